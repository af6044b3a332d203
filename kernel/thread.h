/* SPDX-License-Identifier: MIT */
/*
 * Kernel threads and the per-CPU scheduler (non-preemptive, as Linux
 * without CONFIG_PREEMPT).
 *
 * A thread runs until it gives the CPU up: schedule(), cond_resched()
 * (which schedules when need_resched() is set), or sleeping (kernel/wait.h).
 * The timer tick never switches threads; it only sets need_resched once the
 * running thread has had its time slice, and feeds the watchdogs
 * (kernel/watchdog.h). Every CPU has its own run queue and an idle thread
 * that halts with the CPU in an RCU extended quiescent state.
 *
 * Thread states and who changes them:
 *   THREAD_NEW       created, not started (kthread_start() queues it)
 *   THREAD_RUNNING   running or on a run queue (runnable)
 *   THREAD_SLEEPING  set by the thread itself before it sleeps; a waker
 *                    sets RUNNING again under the thread's run-queue lock
 *   THREAD_DEAD      its function returned; kthread_join() frees it once
 *                    it is off its CPU (on_cpu == false)
 *
 * Threads run with interrupts enabled; schedule() may be called with them
 * off and returns with the same state.
 */
#ifndef KERNEL_THREAD_H
#define KERNEL_THREAD_H

#include "kernel/compiler.h"
#include "kernel/list.h"
#include "kernel/wait.h"

struct exception_frame;

/*
 * A thread's stack block: its lowest page is an unmapped guard page, then
 * the stack (growing down from the top), with struct thread at the very
 * top, above the first frame, where an overflow reaches it last (it
 * faults on the guard page first), so the #DF report can still name it.
 */
#define THREAD_STACK_ORDER	3	/* 32 KiB block */
#define THREAD_STACK_BLOCK	(PAGE_SIZE << THREAD_STACK_ORDER)
#define THREAD_STACK_SIZE	(THREAD_STACK_BLOCK - PAGE_SIZE) /* usable */
#define THREAD_NAME_MAX		24
/* Written at the lowest usable word of every allocated stack; checked at switch. */
#define THREAD_STACK_CANARY	0x57ac4ca9a1e5f00dULL

enum thread_state {
	THREAD_NEW,
	THREAD_RUNNING,
	THREAD_SLEEPING,
	THREAD_DEAD,
};

struct thread {
	u64 rsp;			/* saved stack pointer while switched out */
	int state;			/* enum thread_state; see above */
	int cpu;			/* run queue it belongs to; see sched.c */
	bool on_rq;			/* queued or current: under the rq lock */
	bool on_cpu;			/* its stack is in use by a CPU */
	bool is_idle;
	int migrate_to;			/* -1, or the CPU thread_migrate() asked for */
	struct list_head rq_node;	/* run queue entry, under the rq lock */
	struct list_head sleep_node;	/* timed sleepers (sched.c), rq lock */
	u64 wake_at_ns;			/* deadline of a timed sleep */
	bool timed_out;			/* the tick, not a waker, woke it */
	void *stack;			/* stack block = its guard page (holds this struct); NULL: boot stack */
	u64 *canary;			/* lowest usable stack word; NULL: boot stack */
	int (*fn)(void *arg);
	void *arg;
	int ret;
	struct list_head notifiers;	/* sched_notifier list; owner only */
	struct completion exited;	/* completed when fn has returned */
	u64 nr_switches;		/* times switched in */
	char name[THREAD_NAME_MAX];
};

/* Create a thread that will run fn(arg) on @cpu (-1: least loaded CPU). */
struct thread *kthread_create(int (*fn)(void *arg), void *arg,
			      const char *name, int cpu);
void kthread_start(struct thread *t);
struct thread *kthread_run(int (*fn)(void *arg), void *arg, const char *name,
			   int cpu);
/* Wait for fn to return; returns its value and frees @t. */
int kthread_join(struct thread *t);

/*
 * The thread running on some CPU whose stack's guard page holds @addr,
 * or NULL (then *@cpu is untouched). Lock-free, for the #DF report.
 */
struct thread *thread_find_by_guard(u64 addr, unsigned int *cpu);

struct thread *current_thread(void);
/* Move the calling thread to @cpu's run queue (it continues there). */
void thread_migrate(int cpu);

/*
 * Preempt notifiers, as KVM's: called with interrupts off on the CPU
 * concerned. sched_out runs on the old CPU before @next is switched in;
 * sched_in runs on the CPU the thread resumes on, before it continues.
 */
struct sched_notifier {
	void (*sched_in)(struct sched_notifier *n, int cpu);
	void (*sched_out)(struct sched_notifier *n, struct thread *next);
	struct list_head node;
};

void sched_notifier_register(struct sched_notifier *n);
void sched_notifier_unregister(struct sched_notifier *n);

/* ---- the scheduler (kernel/sched.c) ---- */

/* Bring up scheduling on this CPU (the boot CPU's kmain becomes a thread). */
void sched_init(void);
/* After every CPU is online: start the per-CPU workers. */
void sched_init_late(void);
/* Make a NEW or SLEEPING thread runnable on its CPU; false if it was not. */
bool wake_up_thread(struct thread *t);
/* Give the CPU away with the current thread asleep (state set by caller). */
void sched_sleep(void);
/* Sleep until woken or @ns have passed; returns true if woken before. */
bool sched_sleep_timeout(u64 ns);
/* Context switches on @cpu so far. */
u64 sched_nr_switches(unsigned int cpu);
/* The thread running on @cpu (the idle thread when nothing else runs). */
struct thread *sched_cpu_curr(unsigned int cpu);
/* Monotonic time of the last scheduling point on @cpu (watchdog). */
u64 sched_last_resched_ns(unsigned int cpu);
/* A thread gave the CPU up or passed a scheduling point: note it. */
void sched_note_resched_point(void);
/* Sleep for about @ms milliseconds. */
void msleep(unsigned int ms);

/* The LAPIC tick (arch/x86/lapic.c calls it with the interrupted frame). */
void timer_tick(struct exception_frame *frame);

/* Internal to thread.c and sched.c. */
void thread_init_struct(struct thread *t, const char *name, int cpu);
/* kthread_create() without the online check (the boot CPU's idle thread). */
struct thread *__kthread_create(int (*fn)(void *arg), void *arg,
				const char *name, int cpu);
void sched_enqueue_new(struct thread *t);
void sched_finish_switch(struct thread *prev);
int sched_pick_cpu(void);
bool sched_cpu_ready(int cpu);
void sched_fire_notifiers_out(struct thread *prev, struct thread *next);
void sched_fire_notifiers_in(struct thread *t, int cpu);

#endif
