/* SPDX-License-Identifier: MIT */
/*
 * Scheduling points for the non-preemptive kernel.
 *
 * need_resched() and schedule() are the platform's (kernel/platform.h):
 * kernel/sched.c in the kernel, tests/host/platform_host.c when hosted.
 * The helpers here are portable (kernel/cond_resched.c):
 *
 *   cond_resched()              a scheduling point: always an RCU
 *                               quiescent state; schedules if asked to.
 *                               Must not be called holding a lock or
 *                               inside rcu_read_lock() (the debug build
 *                               reports it by name and skips the yield).
 *   cond_resched_rwlock_read(l) with `l` read-held: if a reschedule is due
 *   cond_resched_rwlock_write(l) or someone is queued on `l`, drop `l`,
 *                               yield, re-take it; returns true if it
 *                               dropped the lock (the caller must then
 *                               revalidate what it derived under it).
 *
 * The kernel's threads, run queues, workers and completions are declared
 * in kernel/thread.h, kernel/workqueue.h and kernel/wait.h.
 */
#ifndef KERNEL_SCHED_H
#define KERNEL_SCHED_H

#include "kernel/platform.h"
#include "kernel/rwlock.h"

bool cond_resched(void);
bool cond_resched_rwlock_read(rwlock_t *l);
bool cond_resched_rwlock_write(rwlock_t *l);

#endif
