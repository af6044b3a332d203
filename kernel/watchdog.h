/* SPDX-License-Identifier: MIT */
/*
 * Soft- and hard-lockup watchdogs, fed by every CPU's timer tick.
 *
 * Soft lockup: a CPU "schedules" at schedule(), at a cond_resched() that
 * yields (the tick sets need_resched every time slice, so a loop calling
 * cond_resched yields every slice) and in the idle loop. If the tick finds
 * that its CPU has not done so for longer than the threshold
 * (watchdog_thresh= seconds on the command line, default 20), it prints
 * once per stall
 *
 *	BUG: soft lockup - CPU#N stuck for X.XXXs! [thread name]
 *
 * with a backtrace of the interrupted code, and counts it.
 *
 * Hard lockup: a CPU spinning with interrupts off takes no tick, so it
 * cannot see itself. The *buddy* detector (no perf counters needed): every
 * tick bumps its own CPU's tick count and looks at the next CPU's (the
 * next one whose watchdog runs, wrapping around). When that count has not
 * moved for longer than the hard-lockup threshold (hardlockup_thresh=
 * seconds, default 10), the checker sends the buddy an NMI, whose handler
 * prints on the stuck CPU, once per lockup episode,
 *
 *	BUG: hard lockup - CPU#N stuck with interrupts off for X.XXXs! [thread]
 *
 * with the registers and a backtrace of the interrupted code, counts it
 * and returns: the CPU goes on with what it was doing. With one CPU there
 * is no buddy and no hard-lockup detection (said once at boot).
 *
 * The RCU stall warning is kernel/rcu.c's (rcu_stall_timeout_ms,
 * rcu_nr_stalls()): a grace-period waiter names the CPUs holding it up
 * once the grace period is older than that threshold.
 */
#ifndef KERNEL_WATCHDOG_H
#define KERNEL_WATCHDOG_H

#include "kernel/compiler.h"

struct exception_frame;

#define WATCHDOG_THRESH_DEFAULT_S	20
#define HARDLOCKUP_THRESH_DEFAULT_S	10

void watchdog_init(void);
/* Once the APs are up: says whether hard lockups can be detected. */
void watchdog_init_late(void);
/* From timer_tick(), interrupts off, on the CPU concerned. */
void watchdog_tick(struct exception_frame *frame, u64 now_ns);

unsigned long watchdog_nr_soft_lockups(void);
/* Tests lower the threshold for a while; 0 restores the boot value. */
void watchdog_set_thresh_ms(u64 ms);

/*
 * From the NMI handler (arch/x86/traps.c), after the stop-all-CPUs check:
 * true when this NMI was the hard-lockup detector's (then it has been
 * reported and the CPU may resume), false when it was not ours.
 */
bool watchdog_hardlockup_nmi(struct exception_frame *frame);
/* Sends an NMI to @cpu (dense id); arch glue, arch/x86/lapic.c. */
void arch_send_nmi(unsigned int cpu);

unsigned long watchdog_nr_hard_lockups(void);
unsigned long watchdog_nr_hard_lockups_on(unsigned int cpu);
/* RIP interrupted by @cpu's last hard-lockup report (0: none yet). */
u64 watchdog_hardlockup_rip(unsigned int cpu);
/* Whether this boot has a buddy for every CPU (more than one CPU). */
bool watchdog_hardlockup_enabled(void);
u64 watchdog_hardlockup_thresh_ms(void);
/* Tests lower the threshold for a while; 0 restores the boot value. */
void watchdog_set_hardlockup_thresh_ms(u64 ms);

#endif
