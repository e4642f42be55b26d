#!/usr/bin/env bash
# tools/slurm/cluster.sh - a private one-node Slurm cluster in one directory,
# for running `pinlab explore --shard K/N` as a real Slurm array job on this
# machine (tests/cli/slurm.sh, bench/slurm.sh, docs/explore.md).
#
#   tools/slurm/cluster.sh start DIR   start munged, slurmctld and slurmd; DIR holds
#                                      everything (key, config, state, logs, pids)
#   tools/slurm/cluster.sh stop DIR    stop the daemons started in DIR, and only them
#
# After `start`, `. DIR/env` sets SLURM_CONF, so sbatch/squeue/sinfo talk to this
# cluster and nothing else.  Nothing outside DIR is read or written: the munge
# key is new, the ports are free ones above 20000 picked at start, the cluster
# name carries DIR's name, so two clusters (two test runs) can live side by side
# with a site's own Slurm.  Needs root (slurmd runs jobs as their user) and
# Debian's slurm-wlm + munge (`apt-get install slurm-wlm munge`); without them
# `start` exits 77 with the reason.  Exit 1 when a daemon did not come up (its
# log is printed).
set -uo pipefail

usage() {
	echo "usage: tools/slurm/cluster.sh start|stop DIR" >&2
	exit 2
}
[ $# -eq 2 ] || usage
cmd=$1
dir=$(cd "$2" 2>/dev/null && pwd) || { echo "cluster.sh: no directory $2" >&2; exit 2; }

# stop_pidfile FILE: TERM the daemon whose pid FILE names, then wait for it.
stop_pidfile() {
	local pid n
	pid=$(cat "$1" 2>/dev/null) || return 0
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
	kill "$pid" 2>/dev/null
	for n in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null
}

if [ "$cmd" = stop ]; then
	# slurmd first, so no job step outlives the controller that would reap it
	stop_pidfile "$dir/slurmd.pid"
	stop_pidfile "$dir/slurmctld.pid"
	stop_pidfile "$dir/munged.pid"
	exit 0
fi
[ "$cmd" = start ] || usage

if [ "$(id -u)" -ne 0 ]; then
	echo "# SKIP a Slurm cluster needs root (slurmd starts jobs as their user)"
	exit 77
fi
for c in munged munge slurmctld slurmd sbatch sinfo; do
	command -v "$c" >/dev/null 2>&1 ||
		{ echo "# SKIP no $c (Debian: apt-get install slurm-wlm munge)"; exit 77; }
done

# A port that nothing listens on (bash's /dev/tcp connects if one does).
free_port() {
	local p=$1
	while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do
		p=$((p + 1))
	done
	echo "$p"
}
base=$((20000 + ($$ * 7) % 30000))
ctld_port=$(free_port "$base")
slurmd_port=$(free_port $((ctld_port + 1)))
host=$(hostname -s)
name=pl$(printf %s "$dir" | cksum | cut -d" " -f1)

mkdir -p "$dir/munge" "$dir/state" "$dir/spool" "$dir/log"
chmod 700 "$dir/munge"
head -c 1024 /dev/urandom >"$dir/munge/key"
chmod 600 "$dir/munge/key"

cat >"$dir/slurm.conf" <<CONF
# written by tools/slurm/cluster.sh: a one-node cluster private to $dir
ClusterName=$name
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
AuthType=auth/munge
AuthInfo=socket=$dir/munge/sock
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
MpiDefault=none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
JobAcctGatherType=jobacct_gather/none
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=pinlab Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
echo "export SLURM_CONF=$dir/slurm.conf" >"$dir/env"

# --force: munged refuses a key or socket outside its usual directories
munged --force --socket="$dir/munge/sock" --key-file="$dir/munge/key" \
	--log-file="$dir/log/munged.log" --pid-file="$dir/munged.pid" \
	--seed-file="$dir/munge/seed" >/dev/null 2>&1 || {
	echo "cluster.sh: munged did not start:" >&2
	cat "$dir/log/munged.log" >&2 2>/dev/null
	exit 1
}
export SLURM_CONF="$dir/slurm.conf"
slurmctld -f "$SLURM_CONF" >"$dir/log/slurmctld.out" 2>&1 &&
	slurmd -f "$SLURM_CONF" >"$dir/log/slurmd.out" 2>&1 || {
	echo "cluster.sh: slurmctld/slurmd did not start:" >&2
	cat "$dir"/log/slurm*.out "$dir"/log/slurm*.log >&2 2>/dev/null
	"$0" stop "$dir"
	exit 1
}
# up when the node is idle (30 s: slurmd registers within a second or two)
for n in $(seq 300); do
	if sinfo -h -N -o %t 2>/dev/null | grep -qx idle; then
		echo "cluster.sh: one-node cluster $name on $host (ports $ctld_port, $slurmd_port) in $dir"
		exit 0
	fi
	sleep 0.1
done
echo "cluster.sh: the node did not become idle in 30 s:" >&2
sinfo -N >&2
tail -20 "$dir/log/slurmctld.log" "$dir/log/slurmd.log" >&2 2>/dev/null
"$0" stop "$dir"
exit 1
