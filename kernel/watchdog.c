// SPDX-License-Identifier: MIT
/*
 * Soft- and hard-lockup detectors (see kernel/watchdog.h).
 *
 * Soft lockup: each CPU checks only itself, from its own tick, so that
 * state needs no lock: `reported_for` is the last_resched_ns value a
 * report was already printed for, which makes the report once per stall
 * (a new scheduling point changes last_resched_ns and re-arms it).
 *
 * Hard lockup (buddy): each CPU's struct watchdog_cpu has two halves.
 *  - As the watched CPU: `hrtimer_interrupts` and `armed` are written only
 *    by its own tick and read by its checker; `nmi_sent` is bumped by a
 *    checker before each NMI and `nmi_seen` by the NMI handler, so the
 *    handler can tell a watchdog NMI from any other even when two
 *    checkers raced at a moment the buddy ring changed; `report_pending`
 *    (set by the checker, exchanged to false by the handler) carries one
 *    report, and `stuck_since_ns`, written before it is set, says since
 *    when. `nr_hard_lockups`/`last_rip` are written by the NMI handler.
 *  - As the checker: `buddy*` fields, its own tick only.
 * The checker re-arms (`buddy_reported` = false) only when the buddy's
 * count moves again, so one lockup episode gets one NMI and one report.
 */
#include "kernel/watchdog.h"
#include "arch/x86/interrupts.h"
#include "kernel/cmdline.h"
#include "kernel/log.h"
#include "kernel/percpu.h"
#include "kernel/platform.h"
#include "kernel/symbols.h"
#include "kernel/thread.h"

#define NS_PER_MS	1000000ULL
#define NO_BUDDY	(~0U)

struct watchdog_cpu {
	/* Soft lockup: owner CPU's tick only. */
	u64 reported_for;

	/* Hard lockup, this CPU as the watched one (see above). */
	unsigned long hrtimer_interrupts;
	bool armed;
	bool report_pending;
	u64 stuck_since_ns;
	unsigned long nmi_sent;
	unsigned long nmi_seen;
	unsigned long nr_hard_lockups;
	u64 last_rip;

	/* Hard lockup, this CPU as the checker: its own tick only. */
	unsigned int buddy;
	unsigned long buddy_seen;	/* buddy's count at buddy_seen_ns */
	u64 buddy_seen_ns;
	bool buddy_reported;		/* NMI sent for this episode */
} __cacheline_aligned;

static struct watchdog_cpu watchdog_cpus[MAX_CPUS];
static u64 boot_thresh_ms = WATCHDOG_THRESH_DEFAULT_S * 1000ULL;
static u64 thresh_ms = WATCHDOG_THRESH_DEFAULT_S * 1000ULL;
static unsigned long nr_soft_lockups;
static u64 boot_hard_thresh_ms = HARDLOCKUP_THRESH_DEFAULT_S * 1000ULL;
static u64 hard_thresh_ms = HARDLOCKUP_THRESH_DEFAULT_S * 1000ULL;
static unsigned long nr_hard_lockups;

void watchdog_init(void)
{
	for (unsigned int cpu = 0; cpu < MAX_CPUS; cpu++)
		watchdog_cpus[cpu].buddy = NO_BUDDY;
	if (cmdline_watchdog_thresh)
		boot_thresh_ms = cmdline_watchdog_thresh * 1000ULL;
	if (cmdline_hardlockup_thresh)
		boot_hard_thresh_ms = cmdline_hardlockup_thresh * 1000ULL;
	WRITE_ONCE(thresh_ms, boot_thresh_ms);
	WRITE_ONCE(hard_thresh_ms, boot_hard_thresh_ms);
	pr_info("watchdog: soft lockup after %llu s without scheduling\n",
		(unsigned long long)boot_thresh_ms / 1000);
}

void watchdog_init_late(void)
{
	unsigned int nr = plat_nr_cpus();

	if (nr < 2) {
		pr_info("watchdog: hard lockup detector off: 1 CPU, no buddy CPU to check it\n");
		return;
	}
	pr_info("watchdog: hard lockup after %llu s with interrupts off (buddy: each of %u CPUs checks the next one's tick)\n",
		(unsigned long long)boot_hard_thresh_ms / 1000, nr);
}

unsigned long watchdog_nr_soft_lockups(void)
{
	return __atomic_load_n(&nr_soft_lockups, __ATOMIC_RELAXED);
}

void watchdog_set_thresh_ms(u64 ms)
{
	WRITE_ONCE(thresh_ms, ms ? ms : boot_thresh_ms);
}

bool watchdog_hardlockup_enabled(void)
{
	return plat_nr_cpus() >= 2;
}

unsigned long watchdog_nr_hard_lockups(void)
{
	return __atomic_load_n(&nr_hard_lockups, __ATOMIC_RELAXED);
}

unsigned long watchdog_nr_hard_lockups_on(unsigned int cpu)
{
	if (cpu >= MAX_CPUS)
		return 0;
	return __atomic_load_n(&watchdog_cpus[cpu].nr_hard_lockups,
			       __ATOMIC_ACQUIRE);
}

u64 watchdog_hardlockup_rip(unsigned int cpu)
{
	return cpu < MAX_CPUS ? READ_ONCE(watchdog_cpus[cpu].last_rip) : 0;
}

u64 watchdog_hardlockup_thresh_ms(void)
{
	return READ_ONCE(hard_thresh_ms);
}

void watchdog_set_hardlockup_thresh_ms(u64 ms)
{
	WRITE_ONCE(hard_thresh_ms, ms ? ms : boot_hard_thresh_ms);
}

static void soft_lockup_check(struct exception_frame *frame, unsigned int cpu,
			      u64 now_ns)
{
	struct watchdog_cpu *w = &watchdog_cpus[cpu];
	u64 last = sched_last_resched_ns(cpu);
	u64 stuck = now_ns - last;
	struct thread *t;

	if (now_ns <= last || stuck <= READ_ONCE(thresh_ms) * NS_PER_MS ||
	    w->reported_for == last)
		return;
	w->reported_for = last;
	__atomic_add_fetch(&nr_soft_lockups, 1, __ATOMIC_RELAXED);
	t = sched_cpu_curr(cpu);
	pr_err("BUG: soft lockup - CPU#%u stuck for %llu.%03llus! [%s]\n", cpu,
	       (unsigned long long)(stuck / 1000000000ULL),
	       (unsigned long long)(stuck / NS_PER_MS % 1000),
	       t ? t->name : "?");
	backtrace_print(frame->rip, frame->rbp);
}

/* The next CPU after @cpu whose watchdog runs, wrapping; NO_BUDDY if none. */
static unsigned int next_buddy(unsigned int cpu)
{
	for (unsigned int i = 1; i < MAX_CPUS; i++) {
		unsigned int c = (cpu + i) % MAX_CPUS;

		if (smp_load_acquire(&watchdog_cpus[c].armed))
			return c;
	}
	return NO_BUDDY;
}

static void hard_lockup_check(unsigned int cpu, u64 now_ns)
{
	struct watchdog_cpu *w = &watchdog_cpus[cpu];
	unsigned int buddy = next_buddy(cpu);
	struct watchdog_cpu *b;
	unsigned long count;

	if (buddy == NO_BUDDY)
		return;
	b = &watchdog_cpus[buddy];
	count = READ_ONCE(b->hrtimer_interrupts);
	if (buddy != w->buddy || count != w->buddy_seen) {
		/* It ticked (or is a new buddy): a new episode may start. */
		w->buddy = buddy;
		w->buddy_seen = count;
		w->buddy_seen_ns = now_ns;
		w->buddy_reported = false;
		return;
	}
	if (w->buddy_reported || now_ns <= w->buddy_seen_ns ||
	    now_ns - w->buddy_seen_ns <= READ_ONCE(hard_thresh_ms) * NS_PER_MS)
		return;
	w->buddy_reported = true;
	WRITE_ONCE(b->stuck_since_ns, w->buddy_seen_ns);
	__atomic_add_fetch(&b->nmi_sent, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&b->report_pending, true, __ATOMIC_RELEASE);
	arch_send_nmi(buddy);
}

void watchdog_tick(struct exception_frame *frame, u64 now_ns)
{
	unsigned int cpu = this_cpu_id();
	struct watchdog_cpu *w = &watchdog_cpus[cpu];

	/* The count the buddy watches: this CPU takes interrupts. */
	WRITE_ONCE(w->hrtimer_interrupts, w->hrtimer_interrupts + 1);
	if (!w->armed)
		smp_store_release(&w->armed, true);
	soft_lockup_check(frame, cpu, now_ns);
	hard_lockup_check(cpu, now_ns);
}

bool watchdog_hardlockup_nmi(struct exception_frame *frame)
{
	unsigned int cpu = this_cpu_id();
	struct watchdog_cpu *w = &watchdog_cpus[cpu];
	u64 stuck;
	struct thread *t;

	/*
	 * NMIs are blocked until this handler's IRET, so nothing else writes
	 * nmi_seen meanwhile; a checker may bump nmi_sent concurrently.
	 */
	if (w->nmi_seen == __atomic_load_n(&w->nmi_sent, __ATOMIC_ACQUIRE))
		return false;
	w->nmi_seen++;
	if (!__atomic_exchange_n(&w->report_pending, false, __ATOMIC_ACQ_REL))
		return true;	/* a second checker's NMI: already reported */

	stuck = plat_now_ns() - READ_ONCE(w->stuck_since_ns);
	t = sched_cpu_curr(cpu);
	WRITE_ONCE(w->last_rip, frame->rip);
	__atomic_add_fetch(&nr_hard_lockups, 1, __ATOMIC_RELAXED);
	pr_err("BUG: hard lockup - CPU#%u stuck with interrupts off for %llu.%03llus! [%s]\n",
	       cpu, (unsigned long long)(stuck / 1000000000ULL),
	       (unsigned long long)(stuck / NS_PER_MS % 1000),
	       t ? t->name : "?");
	show_regs(frame);
	backtrace_print_regs(frame->rip, frame->rsp, frame->rbp);
	/* Last: a test that saw the count change reads a complete report. */
	__atomic_add_fetch(&w->nr_hard_lockups, 1, __ATOMIC_RELEASE);
	return true;
}
