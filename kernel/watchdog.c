// SPDX-License-Identifier: MIT
/*
 * Soft-lockup detector (see kernel/watchdog.h).
 *
 * Each CPU checks only itself, from its own tick, so the per-CPU state
 * needs no lock: `reported_for` is the last_resched_ns value a report was
 * already printed for, which makes the report once per stall (a new
 * scheduling point changes last_resched_ns and re-arms it).
 */
#include "kernel/watchdog.h"
#include "arch/x86/interrupts.h"
#include "kernel/cmdline.h"
#include "kernel/log.h"
#include "kernel/percpu.h"
#include "kernel/symbols.h"
#include "kernel/thread.h"

struct watchdog_cpu {
	u64 reported_for;		/* owner CPU's tick only */
} __cacheline_aligned;

static struct watchdog_cpu watchdog_cpus[MAX_CPUS];
static u64 boot_thresh_ms = WATCHDOG_THRESH_DEFAULT_S * 1000ULL;
static u64 thresh_ms = WATCHDOG_THRESH_DEFAULT_S * 1000ULL;
static unsigned long nr_soft_lockups;

void watchdog_init(void)
{
	if (cmdline_watchdog_thresh)
		boot_thresh_ms = cmdline_watchdog_thresh * 1000ULL;
	WRITE_ONCE(thresh_ms, boot_thresh_ms);
	pr_info("watchdog: soft lockup after %llu s without scheduling\n",
		(unsigned long long)boot_thresh_ms / 1000);
}

unsigned long watchdog_nr_soft_lockups(void)
{
	return __atomic_load_n(&nr_soft_lockups, __ATOMIC_RELAXED);
}

u64 watchdog_thresh_ms(void)
{
	return READ_ONCE(thresh_ms);
}

void watchdog_set_thresh_ms(u64 ms)
{
	WRITE_ONCE(thresh_ms, ms ? ms : boot_thresh_ms);
}

void watchdog_tick(struct exception_frame *frame, u64 now_ns)
{
	unsigned int cpu = this_cpu_id();
	struct watchdog_cpu *w = &watchdog_cpus[cpu];
	u64 last = sched_last_resched_ns(cpu);
	u64 stuck = now_ns - last;
	struct thread *t;

	if (now_ns <= last || stuck <= READ_ONCE(thresh_ms) * 1000000ULL ||
	    w->reported_for == last)
		return;
	w->reported_for = last;
	__atomic_add_fetch(&nr_soft_lockups, 1, __ATOMIC_RELAXED);
	t = sched_cpu_curr(cpu);
	pr_err("BUG: soft lockup - CPU#%u stuck for %llu.%03llus! [%s]\n", cpu,
	       (unsigned long long)(stuck / 1000000000ULL),
	       (unsigned long long)(stuck / 1000000ULL % 1000),
	       t ? t->name : "?");
	backtrace_print(frame->rip, frame->rbp);
}
