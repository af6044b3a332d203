/* SPDX-License-Identifier: MIT */
/*
 * A small task kernel for test guests (task.c): what an async page fault
 * needs to find in a guest to be worth anything - something else to run
 * while a page comes in.
 *
 *  - Tasks with their own stacks, a FIFO run queue, a context switch
 *    (callee-saved registers and RSP, like Linux's __switch_to_asm).
 *  - Preemption by the LAPIC timer (x2APIC, periodic): the tick's handler
 *    switches tasks on its way out when the interrupted task may be
 *    preempted; a task blocked in schedule() resumes where it called it.
 *  - Linux's two counts that say "this context must not schedule": the
 *    preempt count (preempt_disable()) and the RCU read-side depth
 *    (rcu_read_lock(), CONFIG_PREEMPT_RCU's rcu_preempt_depth()), both
 *    per task. A tick or a wake-up never switches away from a task with
 *    either count above 0; the idle task's preempt count is 1, as Linux's.
 *
 * One CPU: the kernel runs on vCPU 0 (the boot context becomes its idle
 * task) and every piece of its state is changed with interrupts off, so
 * "interrupts off" is its only lock, as a uniprocessor kernel's. The
 * async-PF client (kvm_apf.h) keeps the seed's per-bucket spinlocks on
 * top of that all the same.
 */
#ifndef GUEST_LIB_TASK_H
#define GUEST_LIB_TASK_H

#include "tests/guests/lib/guest.h"

#define TASK_MAX		8
#define TASK_STACK_SIZE		0x2000
#define TASK_TIMER_VECTOR	0xef

enum task_state {
	TASK_RUNNING,		/* current, or on the run queue */
	TASK_UNINTERRUPTIBLE,	/* asleep until wake_up_task() */
	TASK_DEAD,
};

struct task {
	u64 rsp;			/* saved by the switch while not current */
	const char *name;
	enum task_state state;
	int preempt_count;
	int rcu_read_depth;
	bool on_rq;
	struct task *rq_next;
	void (*fn)(void *arg);
	void *arg;
	/* What happened to it, for the tests. */
	u64 nr_switches_in, nr_preempted;
	u8 *stack;
};

/*
 * Start the kernel on the calling vCPU (vCPU 0): x2APIC on, the timer
 * ticking every @tick_us (guest TSC time: calibrated against the APIC
 * timer's count). The caller becomes the idle task.
 */
void task_kernel_init(unsigned int tick_us);
/* Stop the tick (tasks keep running only until they block). */
void task_kernel_stop_tick(void);
/*
 * Forget every task (all must be dead; between a test's runs): their
 * slots and stacks are used again.
 */
void task_reset(void);
/* A runnable task at the tail of the run queue; NULL when all are used. */
struct task *task_create(const char *name, void (*fn)(void *), void *arg);
/*
 * The idle loop: run tasks until @done() says so (checked with
 * interrupts off each time the CPU would idle, and after each switch
 * back to idle), halting when nothing is runnable.
 */
void task_run_idle(bool (*done)(void));

extern struct task *current;
extern struct task idle_task;
/* Ticks taken and preemptions made since init (with interrupts off). */
extern u64 task_ticks, task_nr_switches;
/* A wake-up asks for a switch at the next preemption point. */
extern bool need_resched;

/* Interrupts off: pick the next runnable task and switch to it. */
void schedule(void);
/* Give the CPU to the next runnable task (interrupts on before/after). */
void task_yield(void);
/* End the calling task; never returns. */
__noreturn void task_exit(void);
/* TASK_UNINTERRUPTIBLE -> TASK_RUNNING and onto the run queue. */
void wake_up_task(struct task *t);
/* May the current context give up the CPU (preempt count and depth 0)? */
bool task_preemptible(void);
/* The end of an interrupt handler: switch if a switch is due and allowed. */
void task_irq_exit(void);

static inline void preempt_disable(void)
{
	current->preempt_count++;
	asm volatile("" ::: "memory");
}

static inline void preempt_enable(void)
{
	asm volatile("" ::: "memory");
	current->preempt_count--;
}

static inline void rcu_read_lock(void)
{
	current->rcu_read_depth++;
	asm volatile("" ::: "memory");
}

static inline void rcu_read_unlock(void)
{
	asm volatile("" ::: "memory");
	current->rcu_read_depth--;
}

/* x2APIC: the xAPIC page is outside the loader's identity map. */
#define MSR_APIC_BASE		0x1b
#define APIC_BASE_X2APIC	(3ULL << 10)	/* EN | EXTD */
#define MSR_X2APIC_EOI		0x80b
#define MSR_X2APIC_SVR		0x80f
#define MSR_X2APIC_LVTT		0x832
#define MSR_X2APIC_TMICT	0x838
#define MSR_X2APIC_TMCCT	0x839
#define MSR_X2APIC_TDCR		0x83e

/* x2APIC on, software-enabled, spurious vector 0xff. */
void x2apic_enable(void);
static inline void x2apic_eoi(void)
{
	wrmsr_safe(MSR_X2APIC_EOI, 0);
}

#endif
