/* SPDX-License-Identifier: MIT */
/*
 * Soft-lockup watchdog, fed by every CPU's timer tick.
 *
 * A CPU "schedules" at schedule(), at a cond_resched() that yields (the
 * tick sets need_resched every time slice, so a loop calling cond_resched
 * yields every slice) and in the idle loop. If the tick finds that its CPU
 * has not done so for longer than the threshold (watchdog_thresh= seconds
 * on the command line, default 20), it prints once per stall
 *
 *	BUG: soft lockup - CPU#N stuck for X.XXXs! [thread name]
 *
 * with a backtrace of the interrupted code, and counts it. The RCU stall
 * warning is kernel/rcu.c's (rcu_stall_timeout_ms, rcu_nr_stalls()): a
 * grace-period waiter names the CPUs holding it up once the grace period
 * is older than that threshold.
 */
#ifndef KERNEL_WATCHDOG_H
#define KERNEL_WATCHDOG_H

#include "kernel/compiler.h"

struct exception_frame;

#define WATCHDOG_THRESH_DEFAULT_S	20

void watchdog_init(void);
/* From timer_tick(), interrupts off, on the CPU concerned. */
void watchdog_tick(struct exception_frame *frame, u64 now_ns);

unsigned long watchdog_nr_soft_lockups(void);
u64 watchdog_thresh_ms(void);
/* Tests lower the threshold for a while; 0 restores the boot value. */
void watchdog_set_thresh_ms(u64 ms);

#endif
