// SPDX-License-Identifier: MIT
/*
 * Every bad use of the locking/RCU/refcount API is reported by name in the
 * debug build (one "BUG: ..." line, one count), and the lock stays usable.
 */
#include "kernel/lockdep.h"
#include "kernel/rcu.h"
#include "kernel/refcount.h"
#include "kernel/sched.h"
#include "tests/host/platform_host.h"
#include "tests/host/tap.h"

#include <string.h>

static DEFINE_SPINLOCK(test_lock);
static DEFINE_RWLOCK(test_rwlock);

/* Run `stmt`, expect exactly one new report whose text contains `what`. */
#define EXPECT_REPORT(what, stmt) do {					\
	unsigned long __before = lockdep_nr_reports();			\
	stmt;								\
	tap_ok(lockdep_nr_reports() == __before + 1 &&			\
	       strstr(host_last_console(), "BUG: ") &&			\
	       strstr(host_last_console(), what),			\
	       "reports '%s'", what);					\
	host_expect_reports(1);						\
} while (0)

static int other_cpu_result;

static void unlock_from_other_cpu(void *arg, unsigned int i)
{
	unsigned long before = lockdep_nr_reports();

	(void)i;
	if (arg == &test_lock)
		spin_unlock(&test_lock);
	else
		write_unlock(&test_rwlock);
	other_cpu_result = lockdep_nr_reports() == before + 1 &&
			   strstr(host_last_console(), "non-owner") != NULL;
	host_expect_reports(1);
}

int main(void)
{
	refcount_t r;

	host_set_resched_rate(0);
	tap_plan(26);

	spin_lock(&test_lock);
	spin_unlock(&test_lock);
	EXPECT_REPORT("spinlock double unlock", spin_unlock(&test_lock));
	tap_ok(!spin_is_locked(&test_lock), "double unlock left lock free");

	spin_lock(&test_lock);
	EXPECT_REPORT("spinlock recursion", spin_lock(&test_lock));
	host_run_cpus(1, unlock_from_other_cpu, &test_lock);
	tap_ok(other_cpu_result && spin_is_locked(&test_lock),
	       "non-owner spin_unlock reported and refused");
	EXPECT_REPORT("cond_resched() while holding a spin lock",
		      cond_resched());
	host_set_need_resched();
	EXPECT_REPORT("schedule() while holding a spin lock", schedule());
	spin_unlock(&test_lock);
	tap_ok(spin_trylock(&test_lock), "spinlock usable after misuse");
	spin_unlock(&test_lock);

	EXPECT_REPORT("rwlock write double unlock", write_unlock(&test_rwlock));
	EXPECT_REPORT("rwlock read double unlock", read_unlock(&test_rwlock));
	write_lock(&test_rwlock);
	host_run_cpus(1, unlock_from_other_cpu, &test_rwlock);
	tap_ok(other_cpu_result && rwlock_is_write_locked(&test_rwlock),
	       "non-owner write_unlock reported and refused");
	EXPECT_REPORT("rwlock recursive read_lock", read_lock(&test_rwlock));
	write_unlock(&test_rwlock);
	read_lock(&test_rwlock);
	EXPECT_REPORT("expected write-held",
		      lockdep_assert_held_write(&test_rwlock));
	/* A second read_lock on this CPU deadlocks behind a queued writer. */
	EXPECT_REPORT("rwlock recursive read_lock", read_lock(&test_rwlock));
	read_unlock(&test_rwlock);
	tap_ok(rwlock_nr_readers(&test_rwlock) == 0,
	       "the refused recursive read_lock took no reader count");
	write_lock(&test_rwlock);
	EXPECT_REPORT("rwlock read double unlock", read_unlock(&test_rwlock));
	tap_ok(rwlock_is_write_locked(&test_rwlock),
	       "read_unlock of a write-held lock refused");
	write_unlock(&test_rwlock);
	EXPECT_REPORT("expected held", lockdep_assert_held(&test_lock));

	EXPECT_REPORT("rcu_read_unlock() without rcu_read_lock()",
		      rcu_read_unlock());
	rcu_read_lock();
	EXPECT_REPORT("cond_resched() inside RCU read-side", cond_resched());
	EXPECT_REPORT("synchronize_rcu() inside RCU read-side",
		      synchronize_rcu());
	rcu_read_unlock();
	tap_ok(rcu_read_lock_nesting() == 0, "RCU nesting balanced again");
	host_cpu_idle_enter();
	EXPECT_REPORT("rcu_read_lock() in extended quiescent state",
		      rcu_read_lock());
	rcu_read_unlock();
	host_cpu_idle_exit();

	refcount_set(&r, 1);
	tap_ok(refcount_dec_and_test(&r), "last put returns true");
	EXPECT_REPORT("refcount_t: underflow", refcount_dec_and_test(&r));
	refcount_set(&r, 0);
	EXPECT_REPORT("refcount_t: addition on 0", refcount_inc(&r));
	tap_ok((int)refcount_read(&r) == REFCOUNT_SATURATED,
	       "misused refcount is saturated");
	return tap_done();
}
