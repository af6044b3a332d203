// SPDX-License-Identifier: MIT
/*
 * The watchdogs must bark exactly when they should: a CPU spinning with no
 * scheduling point past the (lowered) threshold gets one soft-lockup
 * report; the same loop with cond_resched() gets none; a CPU that passes
 * no RCU quiescent state while a grace period waits gets one stall report.
 */
#include "kernel/ktest.h"
#include "kernel/percpu.h"
#include "kernel/platform.h"
#include "kernel/rcu.h"
#include "kernel/sched.h"
#include "kernel/thread.h"
#include "kernel/watchdog.h"

#define NS_PER_MS		1000000ULL
#define TEST_THRESH_MS		300
/* Generous: QEMU TCG and Bochs time runs unevenly. */
#define TEST_GIVE_UP_MS		5000

KTEST_FLAGS(watchdog, soft_lockup_reported, KTEST_F_EXPECTS_BUG)
{
	unsigned long before = watchdog_nr_soft_lockups();
	u64 start = plat_now_ns();
	bool seen = false;

	ktest_diag(t, "expecting BUG: soft lockup - CPU#%u (spinning %u ms with no scheduling point)",
		   this_cpu_id(), TEST_THRESH_MS);
	watchdog_set_thresh_ms(TEST_THRESH_MS);
	/* No scheduling point: only the tick can notice us. */
	while (plat_now_ns() - start < TEST_GIVE_UP_MS * NS_PER_MS) {
		if (watchdog_nr_soft_lockups() != before) {
			seen = true;
			break;
		}
		cpu_relax();
	}
	/* Keep spinning a little: still one stall, so still one report. */
	start = plat_now_ns();
	while (plat_now_ns() - start < TEST_THRESH_MS * NS_PER_MS)
		cpu_relax();
	schedule();
	watchdog_set_thresh_ms(0);
	KTEST_EXPECT(t, seen);
	KTEST_EXPECT_EQ(t, watchdog_nr_soft_lockups() - before, 1);
}

KTEST(watchdog, cond_resched_keeps_it_quiet)
{
	unsigned long before = watchdog_nr_soft_lockups();
	u64 start = plat_now_ns();
	unsigned long yields = 0;

	watchdog_set_thresh_ms(TEST_THRESH_MS);
	while (plat_now_ns() - start < 3 * TEST_THRESH_MS * NS_PER_MS)
		yields += cond_resched();
	watchdog_set_thresh_ms(0);
	KTEST_EXPECT_EQ(t, watchdog_nr_soft_lockups(), before);
	/* The tick asked for the CPU every slice, and we gave it. */
	KTEST_EXPECT(t, yields >= 3);
	ktest_diag(t, "%lu yields in %u ms", yields, 3 * TEST_THRESH_MS);
}

struct stall_arg {
	unsigned long stalls_before;
	bool seen;
};

/* Spin with no quiescent state until the stall is reported. */
static int rcu_staller(void *arg)
{
	struct stall_arg *a = arg;
	u64 start = plat_now_ns();

	while (plat_now_ns() - start < TEST_GIVE_UP_MS * NS_PER_MS) {
		if (rcu_nr_stalls() != a->stalls_before) {
			a->seen = true;
			break;
		}
		cpu_relax();
	}
	return 0;
}

KTEST_FLAGS(watchdog, rcu_stall_reported, KTEST_F_SMP | KTEST_F_EXPECTS_BUG)
{
	struct stall_arg a = { .stalls_before = rcu_nr_stalls() };
	u64 saved = rcu_stall_timeout_ms;
	struct thread *th;

	ktest_diag(t, "expecting BUG: RCU stall - CPU#1 (no quiescent state for %u ms)",
		   TEST_THRESH_MS);
	WRITE_ONCE(rcu_stall_timeout_ms, TEST_THRESH_MS);
	th = kthread_run(rcu_staller, &a, "rcu_staller", 1);
	/* Let it start spinning, so it is the one holding the GP up. */
	while (sched_cpu_curr(1) != th)
		cpu_relax();
	synchronize_rcu();	/* the waiter detects and names the stall */
	KTEST_EXPECT_EQ(t, kthread_join(th), 0);
	WRITE_ONCE(rcu_stall_timeout_ms, saved);
	KTEST_EXPECT(t, a.seen);
	KTEST_EXPECT_EQ(t, rcu_nr_stalls() - a.stalls_before, 1);
}
