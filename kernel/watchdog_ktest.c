// SPDX-License-Identifier: MIT
/*
 * The watchdogs must bark exactly when they should: a CPU spinning with no
 * scheduling point past the (lowered) threshold gets one soft-lockup
 * report; the same loop with cond_resched() gets none; a CPU that passes
 * no RCU quiescent state while a grace period waits gets one stall report;
 * a CPU spinning with interrupts off gets one hard-lockup report from its
 * buddy's NMI, naming the spinning function; interrupts on, none.
 */
#include "kernel/ktest.h"
#include "arch/x86/cpu.h"
#include "kernel/cmdline.h"
#include "kernel/percpu.h"
#include "kernel/platform.h"
#include "kernel/rcu.h"
#include "kernel/sched.h"
#include "kernel/string.h"
#include "kernel/symbols.h"
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

/*
 * Hard lockup: CPU 1 spins with interrupts off, so its tick stops and only
 * its buddy (CPU 0 checks CPU 1) can notice, by NMI.
 */
#define HARD_THRESH_MS		400
#define NO_BUDDY_REASON		"1 CPU: no buddy CPU to detect a hard lockup"

struct hard_spin_arg {
	unsigned long reports_before;	/* CPU 1's count before the spin */
	bool irqs_off;			/* else interrupts on + cond_resched() */
	bool spinning;
	bool stop;			/* set by the test */
	unsigned long yields;
	u64 ticks_before, ticks_after;	/* this CPU's tick count */
};

/* Hard lockups this file caused on purpose (checked by quiet_otherwise). */
static unsigned long hard_lockups_caused;

/*
 * Not inlined: the report's RIP must land in this function, by name, and
 * the loop calls nothing (cpu_pause() is an inline PAUSE; cpu_relax() is
 * a call) so the NMI cannot land in a callee instead.
 */
static __attribute__((noinline)) void hardlockup_spin_irqs_off(struct hard_spin_arg *a)
{
	unsigned long flags = plat_irq_save();

	a->ticks_before = READ_ONCE(this_cpu()->ticks);
	WRITE_ONCE(a->spinning, true);
	while (!READ_ONCE(a->stop))
		cpu_pause();
	a->ticks_after = READ_ONCE(this_cpu()->ticks);
	plat_irq_restore(flags);
}

static int hard_spinner(void *arg)
{
	struct hard_spin_arg *a = arg;

	if (a->irqs_off) {
		hardlockup_spin_irqs_off(a);
		return 0;
	}
	a->ticks_before = READ_ONCE(this_cpu()->ticks);
	WRITE_ONCE(a->spinning, true);
	while (!READ_ONCE(a->stop))
		a->yields += cond_resched();
	a->ticks_after = READ_ONCE(this_cpu()->ticks);
	return 0;
}

static struct thread *start_hard_spinner(struct hard_spin_arg *a)
{
	struct thread *th = kthread_run(hard_spinner, a, "hard_spinner", 1);

	while (th && !READ_ONCE(a->spinning))
		cpu_relax();
	return th;
}

static void wait_ms(u64 ms)
{
	u64 start = plat_now_ns();

	while (plat_now_ns() - start < ms * NS_PER_MS)
		cpu_relax();
}

KTEST_FLAGS(watchdog, hard_lockup_reported, KTEST_F_EXPECTS_BUG)
{
	struct hard_spin_arg a = { .irqs_off = true };
	unsigned long total_before = watchdog_nr_hard_lockups();
	const char *fn;
	u64 start, off, fn_off;
	struct thread *th;
	bool seen = false;

	if (!watchdog_hardlockup_enabled()) {
		ktest_skip(t, NO_BUDDY_REASON);
		return;
	}
	ktest_diag(t, "expecting BUG: hard lockup - CPU#1 (spinning with interrupts off past %u ms)",
		   HARD_THRESH_MS);
	a.reports_before = watchdog_nr_hard_lockups_on(1);
	th = start_hard_spinner(&a);
	if (!KTEST_EXPECT(t, th))
		return;
	/* Lowered only now: the episode under test is this spin's. */
	watchdog_set_hardlockup_thresh_ms(HARD_THRESH_MS);
	start = plat_now_ns();
	while (plat_now_ns() - start < TEST_GIVE_UP_MS * NS_PER_MS) {
		if (watchdog_nr_hard_lockups_on(1) != a.reports_before) {
			seen = true;
			break;
		}
		cpu_relax();
	}
	off = plat_now_ns() - start;
	/*
	 * Still the same episode for two more thresholds: the buddy must not
	 * bark again.
	 */
	wait_ms(2 * HARD_THRESH_MS);
	WRITE_ONCE(a.stop, true);
	KTEST_EXPECT_EQ(t, kthread_join(th), 0);
	/* Let CPU 1 tick again (ends the episode) before restoring. */
	wait_ms(50);
	watchdog_set_hardlockup_thresh_ms(0);
	hard_lockups_caused += watchdog_nr_hard_lockups_on(1) - a.reports_before;

	KTEST_EXPECT(t, seen);
	KTEST_EXPECT_EQ(t, watchdog_nr_hard_lockups_on(1) - a.reports_before, 1);
	KTEST_EXPECT_EQ(t, watchdog_nr_hard_lockups() - total_before, 1);
	/* The spinning CPU took no tick while it spun. */
	KTEST_EXPECT_EQ(t, a.ticks_after, a.ticks_before);
	fn = symbol_lookup(watchdog_hardlockup_rip(1), &fn_off);
	KTEST_EXPECT(t, fn && !strcmp(fn, "hardlockup_spin_irqs_off"));
	ktest_diag(t, "reported after %llu ms, at %s", (unsigned long long)(off / NS_PER_MS),
		   fn ? fn : "?");
}

KTEST(watchdog, hard_lockup_quiet_with_interrupts_on)
{
	struct hard_spin_arg a = { .irqs_off = false };
	unsigned long before = watchdog_nr_hard_lockups();
	struct thread *th;

	if (!watchdog_hardlockup_enabled()) {
		ktest_skip(t, NO_BUDDY_REASON);
		return;
	}
	th = start_hard_spinner(&a);
	if (!KTEST_EXPECT(t, th))
		return;
	watchdog_set_hardlockup_thresh_ms(HARD_THRESH_MS);
	wait_ms(3 * HARD_THRESH_MS);
	WRITE_ONCE(a.stop, true);
	KTEST_EXPECT_EQ(t, kthread_join(th), 0);
	watchdog_set_hardlockup_thresh_ms(0);
	KTEST_EXPECT_EQ(t, watchdog_nr_hard_lockups(), before);
	/* It really ran, ticking and yielding, on CPU 1 all along. */
	KTEST_EXPECT(t, a.ticks_after > a.ticks_before);
	KTEST_EXPECT(t, a.yields >= 3);
	ktest_diag(t, "%llu ticks, %lu yields in %u ms",
		   (unsigned long long)(a.ticks_after - a.ticks_before),
		   a.yields, 3 * HARD_THRESH_MS);
}

/*
 * Every hard lockup so far was one of ours (the boot judge also fails any
 * "BUG:" that no test announced, which covers the rest of the run).
 */
KTEST(watchdog, hard_lockup_quiet_otherwise)
{
	KTEST_EXPECT_EQ(t, watchdog_nr_hard_lockups(), hard_lockups_caused);
	KTEST_EXPECT_EQ(t, watchdog_hardlockup_thresh_ms(),
			(u64)(cmdline_hardlockup_thresh ? cmdline_hardlockup_thresh :
			      HARDLOCKUP_THRESH_DEFAULT_S) * 1000);
}
