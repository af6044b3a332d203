/* SPDX-License-Identifier: MIT */
/*
 * Reader-writer spinlock, fair to writers (the queued-rwlock scheme).
 *
 * `cnts` packs the state: bits 0-7 are the writer byte (WLOCKED while a
 * writer holds the lock), bit 8 is WAITING (a writer is queued and waits
 * for the readers to drain), bits 9.. count readers.
 *
 * Fast paths are one atomic op: a reader adds RBIAS and is in if no writer
 * bit was set; a writer swaps 0 -> WLOCKED. Everyone who misses the fast
 * path queues on `wait_lock`, a FIFO ticket lock. A queued writer sets
 * WAITING, which turns every *new* reader away from the fast path into the
 * queue behind it, so the writer only waits for the readers already
 * inside: a writer is never starved by a stream of readers, and readers
 * are never starved by writers because the queue is FIFO.
 *
 * rwlock_is_contended() (someone is queued) drives the yield decision of
 * long walks (cond_resched_rwlock_read/write in kernel/sched.h).
 *
 * Read recursion is NOT allowed: with a writer queued in between, the
 * second read_lock would wait forever. The debug build reports it.
 */
#ifndef KERNEL_RWLOCK_H
#define KERNEL_RWLOCK_H

#include "kernel/spinlock.h"

#define RWLOCK_WLOCKED	0xffU
#define RWLOCK_WAITING	0x100U
#define RWLOCK_WMASK	(RWLOCK_WLOCKED | RWLOCK_WAITING)
#define RWLOCK_RSHIFT	9
#define RWLOCK_RBIAS	(1U << RWLOCK_RSHIFT)

typedef struct rwlock {
	u32 cnts;			/* see above; atomic RMW only */
	struct arch_spinlock wait_lock;	/* FIFO queue of slow-path lockers */
	const char *name;
	int writer_cpu;			/* CONFIG_DEBUG: -1 when not write-held */
} rwlock_t;

#define RWLOCK_INIT(n) { .cnts = 0, .wait_lock = { 0, 0 }, .name = #n, \
			 .writer_cpu = -1 }
#define DEFINE_RWLOCK(n) rwlock_t n = RWLOCK_INIT(n)

void rwlock_init(rwlock_t *l, const char *name);
void read_lock(rwlock_t *l);
void read_unlock(rwlock_t *l);
bool read_trylock(rwlock_t *l);
void write_lock(rwlock_t *l);
void write_unlock(rwlock_t *l);
bool write_trylock(rwlock_t *l);

/* Some CPU is queued for the lock (reader behind a writer, or a writer). */
static inline bool rwlock_is_contended(const rwlock_t *l)
{
	return arch_spin_is_locked(&l->wait_lock);
}

static inline bool rwlock_is_write_locked(const rwlock_t *l)
{
	return (__atomic_load_n(&l->cnts, __ATOMIC_RELAXED) &
		RWLOCK_WLOCKED) != 0;
}

static inline unsigned int rwlock_nr_readers(const rwlock_t *l)
{
	return __atomic_load_n(&l->cnts, __ATOMIC_RELAXED) >> RWLOCK_RSHIFT;
}

#endif
