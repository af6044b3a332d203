// SPDX-License-Identifier: MIT
/*
 * Portable scheduling-point helpers (see kernel/sched.h).
 */
#include "kernel/sched.h"
#include "kernel/lockdep.h"
#include "kernel/rcu.h"

bool cond_resched(void)
{
	/* Checked on every call, not only when yielding, so bugs show early. */
	if (CONFIG_DEBUG && !sched_debug_check("cond_resched()"))
		return false;
	if (need_resched()) {
		schedule();
		return true;
	}
	rcu_note_quiescent_state();
	return false;
}

static bool rwlock_needbreak(rwlock_t *l)
{
	return need_resched() || rwlock_is_contended(l);
}

bool cond_resched_rwlock_read(rwlock_t *l)
{
	lockdep_assert_held_read(l);
	if (!rwlock_needbreak(l))
		return false;
	read_unlock(l);
	if (!cond_resched())
		cpu_relax();	/* contention only: let the queued CPU in */
	read_lock(l);
	return true;
}

bool cond_resched_rwlock_write(rwlock_t *l)
{
	lockdep_assert_held_write(l);
	if (!rwlock_needbreak(l))
		return false;
	write_unlock(l);
	if (!cond_resched())
		cpu_relax();
	write_lock(l);
	return true;
}
