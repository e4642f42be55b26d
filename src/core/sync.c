/*
 * The sync layer's locks.
 *
 * The model is single-threaded at the C level: "threads" are model threads,
 * interleaved by the race explorer at the points where they touch shared
 * state.  A lock therefore only records its owner.  Taking a lock that the
 * current model thread already holds, or that another model thread holds in
 * a plain (unscheduled) run, is a pinlab bug: the explorer never schedules a
 * thread into a held lock, and a plain run has only one thread.
 *
 *   spinlock (PTL, pmd lock):   owner = thread + 1
 *   rwsem (mmap_lock):          readers = count, owner = writer + 1
 *
 * The hook names the lock before it is taken (PL_SYNC_LOCK, _READ_LOCK: the
 * explorer blocks the thread while the lock is held; PL_SYNC_TRYLOCK: never
 * blocks) and after it is released (PL_SYNC_UNLOCK, _READ_UNLOCK).
 *
 * pl_spin_lock(), pl_spin_unlock(), pl_down_read() and pl_up_read(), taken
 * on every fault and user access, are inline in internal.h; the rest is here.
 */
#include "internal.h"

bool pl_trylock(struct world *w, struct pl_lock *l)
{
	pl_sync(w, PL_SYNC_TRYLOCK, l);
	if (l->owner != 0)
		return false;
	l->owner = w->cur_thread + 1;
	return true;
}

void pl_down_write(struct world *w, struct pl_lock *l)
{
	pl_sync(w, PL_SYNC_LOCK, l);
	PL_BUG_ON(l->owner != 0 || l->readers != 0);
	l->owner = w->cur_thread + 1;
}

void pl_up_write(struct world *w, struct pl_lock *l)
{
	PL_BUG_ON(l->owner != w->cur_thread + 1);
	l->owner = 0;
	pl_sync(w, PL_SYNC_UNLOCK, l);
}
