// SPDX-License-Identifier: MIT
/*
 * The test guests' task kernel (task.h): tasks, the run queue, the
 * switch, the tick that preempts, and the idle loop.
 *
 * Invariants, all with interrupts off:
 *  - current is the running task; it is never on the run queue.
 *  - A task is on the run queue iff it is TASK_RUNNING, not current, and
 *    not the idle task (idle runs when the queue is empty).
 *  - A task that is not current has its callee-saved registers and the
 *    return into schedule() (or into task_trampoline) on its stack, at
 *    task->rsp.
 */
#include "tests/guests/lib/task.h"

struct task *current = &idle_task;
/* Linux's idle task: never preemptible, never on the run queue. */
struct task idle_task = { .name = "idle", .preempt_count = 1 };
u64 task_ticks, task_nr_switches;
bool need_resched;

static struct task tasks[TASK_MAX];
static u8 stacks[TASK_MAX][TASK_STACK_SIZE] __attribute__((aligned(16)));
static unsigned int nr_tasks;
static struct task *rq_head, *rq_tail;

/*
 * __switch_to_asm: save the callee-saved registers on prev's stack and
 * its RSP in *prev_rsp, load next's RSP and pop its registers; the RET
 * goes where next left off (schedule(), or task_trampoline the first
 * time). The System V ABI lets the caller's other registers be lost.
 */
void task_switch_asm(u64 *prev_rsp, u64 next_rsp);
void task_trampoline(void);
asm(".text\n"
    ".globl task_switch_asm\n"
    "task_switch_asm:\n"
    "	pushq %rbp\n"
    "	pushq %rbx\n"
    "	pushq %r12\n"
    "	pushq %r13\n"
    "	pushq %r14\n"
    "	pushq %r15\n"
    "	movq %rsp, (%rdi)\n"
    "	movq %rsi, %rsp\n"
    "	popq %r15\n"
    "	popq %r14\n"
    "	popq %r13\n"
    "	popq %r12\n"
    "	popq %rbx\n"
    "	popq %rbp\n"
    "	ret\n"
    ".globl task_trampoline\n"
    "task_trampoline:\n"
    "	andq $-16, %rsp\n"
    "	call task_entry\n"
    "	ud2\n");

static bool irqs_disabled(void)
{
	u64 flags;

	asm volatile("pushfq; popq %0" : "=r"(flags));
	return !(flags & (1ULL << 9));
}

static void rq_enqueue(struct task *t)
{
	if (t->on_rq || t == &idle_task)
		return;
	t->on_rq = true;
	t->rq_next = NULL;
	if (rq_tail)
		rq_tail->rq_next = t;
	else
		rq_head = t;
	rq_tail = t;
}

static struct task *rq_dequeue(void)
{
	struct task *t = rq_head;

	if (!t)
		return NULL;
	rq_head = t->rq_next;
	if (!rq_head)
		rq_tail = NULL;
	t->on_rq = false;
	return t;
}

static void task_bug(const char *what)
{
	ktap_result(false, "task_kernel: %s", what);
	hc_exit(1);
}

void schedule(void)
{
	struct task *prev = current, *next;

	if (!irqs_disabled())
		task_bug("schedule() with interrupts on");
	if (prev->state == TASK_RUNNING)
		rq_enqueue(prev);
	next = rq_dequeue();
	if (!next)
		next = &idle_task;
	need_resched = false;
	if (next == prev)
		return;
	current = next;
	next->nr_switches_in++;
	task_nr_switches++;
	task_switch_asm(&prev->rsp, next->rsp);
	/* Back on prev's stack: someone switched to us again. */
}

/* A new task's first instructions, reached by the switch's RET. */
__noreturn void task_entry(void);
__noreturn void task_entry(void)
{
	sti();
	current->fn(current->arg);
	task_exit();
}

struct task *task_create(const char *name, void (*fn)(void *), void *arg)
{
	u64 flags = local_irq_save();
	struct task *t = NULL;
	u64 *sp;

	if (nr_tasks < TASK_MAX) {
		t = &tasks[nr_tasks];
		*t = (struct task){ .name = name, .fn = fn, .arg = arg,
				    .stack = stacks[nr_tasks],
				    .state = TASK_RUNNING };
		nr_tasks++;
		/* The frame task_switch_asm pops: six registers, then RET. */
		sp = (u64 *)(t->stack + TASK_STACK_SIZE);
		*--sp = 0;				/* alignment */
		*--sp = (u64)(uintptr_t)task_trampoline;
		for (unsigned int i = 0; i < 6; i++)
			*--sp = 0;
		t->rsp = (u64)(uintptr_t)sp;
		rq_enqueue(t);
	}
	local_irq_restore(flags);
	return t;
}

void task_reset(void)
{
	u64 flags = local_irq_save();

	for (unsigned int i = 0; i < nr_tasks; i++)
		if (tasks[i].state != TASK_DEAD)
			task_bug("task_reset() with a task alive");
	nr_tasks = 0;
	rq_head = rq_tail = NULL;
	local_irq_restore(flags);
}

void task_yield(void)
{
	cli();
	schedule();
	sti();
}

__noreturn void task_exit(void)
{
	cli();
	current->state = TASK_DEAD;
	schedule();
	task_bug("a dead task ran again");
	for (;;)
		;
}

void wake_up_task(struct task *t)
{
	if (t->state != TASK_UNINTERRUPTIBLE)
		return;
	t->state = TASK_RUNNING;
	rq_enqueue(t);
	need_resched = true;
}

bool task_preemptible(void)
{
	return current->preempt_count == 0 && current->rcu_read_depth == 0;
}

/*
 * Preemption on the way out of an interrupt (Linux's
 * irqentry_exit_cond_resched): the interrupted task is switched out from
 * inside its handler frame, and the IRET runs when it is switched back.
 */
void task_irq_exit(void)
{
	if (need_resched && task_preemptible()) {
		current->nr_preempted++;
		schedule();
	}
}

static void task_tick(unsigned int vector)
{
	(void)vector;
	task_ticks++;
	x2apic_eoi();
	need_resched = true;
	task_irq_exit();
}

void x2apic_enable(void)
{
	u64 base = 0;

	rdmsr_safe(MSR_APIC_BASE, &base);
	if ((base & APIC_BASE_X2APIC) != APIC_BASE_X2APIC)
		wrmsr_safe(MSR_APIC_BASE, base | APIC_BASE_X2APIC);
	wrmsr_safe(MSR_X2APIC_SVR, 0x1ff);
}

/*
 * The APIC timer counts at a rate of its own: measure it against the TSC
 * (Bochs: instructions; a one-shot count read back after a TSC delay).
 */
static u64 apic_counts_per_tsc_tick_x1000(void)
{
	u64 cur = 0, t0;

	wrmsr_safe(MSR_X2APIC_TDCR, 0xb);		/* divide by 1 */
	wrmsr_safe(MSR_X2APIC_LVTT, 1U << 16);		/* masked one-shot */
	wrmsr_safe(MSR_X2APIC_TMICT, 0xffffffffU);
	t0 = rdtsc();
	while (rdtsc() - t0 < 2000000)
		cpu_relax();
	rdmsr_safe(MSR_X2APIC_TMCCT, &cur);
	t0 = rdtsc() - t0;
	wrmsr_safe(MSR_X2APIC_TMICT, 0);
	return (0xffffffffULL - cur) * 1000 / t0;
}

/* The hypervisor's timing leaf; 1 GHz where there is none. */
static u64 tsc_khz(void)
{
	u32 a, b, c, d;

	cpuid(HV_CPUID_LEAF, 0, &a, &b, &c, &d);
	if (a >= HV_CPUID_TIMING) {
		cpuid(HV_CPUID_TIMING, 0, &a, &b, &c, &d);
		if (a)
			return a;
	}
	return 1000000;
}

void task_kernel_init(unsigned int tick_us)
{
	u64 rate = 0, count;

	x2apic_enable();
	irq_set_handler(TASK_TIMER_VECTOR, task_tick);
	rate = apic_counts_per_tsc_tick_x1000();
	count = tsc_khz() * tick_us / 1000 * rate / 1000;
	if (!count)
		count = 1;
	if (count > 0xffffffffULL)
		count = 0xffffffffULL;
	wrmsr_safe(MSR_X2APIC_LVTT, (1U << 17) | TASK_TIMER_VECTOR);
	wrmsr_safe(MSR_X2APIC_TMICT, count);
	ktap_diag("task kernel: tick every %u us = %llu APIC counts (%llu.%03llu per TSC tick)",
		  tick_us, (unsigned long long)count,
		  (unsigned long long)(rate / 1000),
		  (unsigned long long)(rate % 1000));
}

void task_kernel_stop_tick(void)
{
	wrmsr_safe(MSR_X2APIC_LVTT, 1U << 16);
	wrmsr_safe(MSR_X2APIC_TMICT, 0);
}

void task_run_idle(bool (*done)(void))
{
	for (;;) {
		cli();
		if (done()) {
			sti();
			return;
		}
		if (rq_head)
			schedule();
		else
			safe_halt();	/* an interrupt ends it */
		sti();
	}
}
