/*
 * progress.c - the progress line of long runs (cli.h): a counter with rate
 * and ETA on standard error, redrawn in place ("\r") at most ten times a
 * second, only when standard error is a terminal; erased at the end, so
 * what follows starts on a clean line.  Files and pipes never see it.
 */
#include "cli.h"

#include <time.h>
#include <unistd.h>

static double progress_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void cli_progress_begin(struct cli_progress *p, const char *what, long total)
{
	p->on = (total > 1 || total < 0) && isatty(STDERR_FILENO);
	p->pid = getpid();
	p->what = what;
	p->done = 0;
	p->total = total;
	p->start = p->last = p->on ? progress_now() : 0;
}

void cli_progress_step(struct cli_progress *p)
{
	double now, rate, left;

	p->done++;
	if (!p->on || getpid() != p->pid)	/* a forked worker leaves the line alone */
		return;
	now = progress_now();
	if (now - p->last < 0.1 && (p->total < 0 || p->done < p->total))
		return;
	p->last = now;
	rate = now > p->start ? (double)p->done / (now - p->start) : 0;
	if (p->total < 0) {	/* no end known: the count and the rate */
		fprintf(stderr, "\r%s: %ld, %.0f/s\033[K", p->what, p->done, rate);
		fflush(stderr);
		return;
	}
	left = rate > 0 ? (double)(p->total - p->done) / rate : 0;
	fprintf(stderr, "\r%s: %ld/%ld, %.0f/s, ETA %ld:%02ld\033[K", p->what, p->done, p->total,
		rate, (long)left / 60, (long)left % 60);
	fflush(stderr);
}

void cli_progress_end(struct cli_progress *p)
{
	if (p->on && p->last > p->start && getpid() == p->pid)
		fputs("\r\033[K", stderr);
	p->on = false;
}
