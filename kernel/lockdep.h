/* SPDX-License-Identifier: MIT */
/*
 * Lock debugging (CONFIG_DEBUG): which locks each CPU holds, and reports
 * of misuse by name.
 *
 * Every CPU keeps a small stack of the locks it holds (spinlocks, and
 * rwlocks in read or write mode). Locks are never held across schedule()
 * in this kernel, so "held by this CPU" is the same as "held by this
 * thread". From it come:
 *   - lockdep_assert_held(l) / _read(l) / _write(l) for spinlock_t and
 *     rwlock_t (dispatched with _Generic),
 *   - sched_debug_check(): "yield while holding a lock" and "yield inside
 *     an RCU read-side section", called by schedule() and cond_resched().
 *
 * A misuse prints one line
 *   BUG: <what> (lock 'name', cpu N, owner M)
 * and increments a counter tests read with lockdep_nr_reports(). Nothing
 * panics: the offending operation is refused where continuing would
 * corrupt the lock, so tests can provoke every case.
 */
#ifndef KERNEL_LOCKDEP_H
#define KERNEL_LOCKDEP_H

#include "kernel/compiler.h"
#include "kernel/config.h"
#include "kernel/spinlock.h"
#include "kernel/rwlock.h"

enum lock_mode {
	LOCK_MODE_SPIN,
	LOCK_MODE_READ,
	LOCK_MODE_WRITE,
};

#define LOCKDEP_MAX_HELD	16

/* Bookkeeping for the lock implementations. */
void lockdep_acquire(const void *lock, const char *name, enum lock_mode mode);
/* Drops `lock` from this CPU's held stack; false if it was not there. */
bool lockdep_release(const void *lock);
/*
 * The hot-path forms, one scan of the held stack each: push @lock unless
 * this CPU already holds it (false: recursion, nothing pushed); pop it if
 * held in @mode (false: not held so, nothing popped).
 */
bool lockdep_acquire_new(const void *lock, const char *name,
			 enum lock_mode mode);
bool lockdep_release_mode(const void *lock, enum lock_mode mode);
/* True if this CPU holds `lock` in `mode` (any mode when mode < 0). */
bool lockdep_is_held(const void *lock, int mode);
/* Number of locks this CPU holds right now. */
unsigned int lockdep_depth(void);

/* Print "BUG: what (lock 'name', cpu N, owner M)" and count it. */
void lockdep_report(const char *what, const char *name, int cpu, int owner);
/* Print "BUG: <formatted>" and count it (refcount, RCU misuse). */
void lockdep_report_fmt(const char *fmt, ...) __printf(1, 2);
unsigned long lockdep_nr_reports(void);

/*
 * May this CPU give itself up here? Reports and returns false if it holds
 * a lock or is inside an RCU read-side section; `what` names the caller
 * ("schedule()", "cond_resched()"). Callers skip the yield when false.
 */
bool sched_debug_check(const char *what);

void lockdep_assert_failed(const char *name, const char *mode,
			   const char *file, int line);

static inline void __spin_assert_held(const spinlock_t *l, const char *file,
				      int line)
{
	if (CONFIG_DEBUG && !lockdep_is_held(l, LOCK_MODE_SPIN))
		lockdep_assert_failed(l->name, "held", file, line);
}

static inline void __rwlock_assert_held(const rwlock_t *l, const char *file,
					int line)
{
	if (CONFIG_DEBUG && !lockdep_is_held(l, -1))
		lockdep_assert_failed(l->name, "held", file, line);
}

static inline void __rwlock_assert_held_read(const rwlock_t *l,
					     const char *file, int line)
{
	if (CONFIG_DEBUG && !lockdep_is_held(l, LOCK_MODE_READ))
		lockdep_assert_failed(l->name, "read-held", file, line);
}

static inline void __rwlock_assert_held_write(const rwlock_t *l,
					      const char *file, int line)
{
	if (CONFIG_DEBUG && !lockdep_is_held(l, LOCK_MODE_WRITE))
		lockdep_assert_failed(l->name, "write-held", file, line);
}

#define lockdep_assert_held(l)						\
	_Generic((l),							\
		spinlock_t *: __spin_assert_held,			\
		const spinlock_t *: __spin_assert_held,			\
		rwlock_t *: __rwlock_assert_held,			\
		const rwlock_t *: __rwlock_assert_held)((l), __FILE__, __LINE__)
#define lockdep_assert_held_read(l)  __rwlock_assert_held_read((l), __FILE__, __LINE__)
#define lockdep_assert_held_write(l) __rwlock_assert_held_write((l), __FILE__, __LINE__)

#endif
