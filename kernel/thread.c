// SPDX-License-Identifier: MIT
/*
 * Kernel threads: creation, start, exit, join, migration and preempt
 * notifiers (the scheduler itself is kernel/sched.c).
 *
 * Lifetime: kthread_create() allocates a 16 KiB stack block whose base
 * holds the struct thread itself;
 * the thread's function returns into thread_exit(), which completes
 * t->exited and switches away for good as THREAD_DEAD. kthread_join()
 * waits for that completion and then for on_cpu to drop (set by the next
 * thread on that CPU once the dead one's stack is no longer in use), and
 * only then frees stack and struct: a thread never frees its own stack.
 */
#include "kernel/thread.h"
#include "arch/x86/cpu.h"
#include "kernel/lockdep.h"
#include "kernel/log.h"
#include "kernel/percpu.h"
#include "kernel/platform.h"
#include "kernel/string.h"
#include "mm/page_alloc.h"

void thread_entry_asm(void);

void thread_init_struct(struct thread *t, const char *name, int cpu)
{
	size_t n = strlen(name);

	if (n >= THREAD_NAME_MAX)
		n = THREAD_NAME_MAX - 1;
	memcpy(t->name, name, n);
	t->name[n] = '\0';
	t->cpu = cpu;
	t->migrate_to = -1;
	t->state = THREAD_NEW;
	INIT_LIST_HEAD(&t->rq_node);
	INIT_LIST_HEAD(&t->sleep_node);
	INIT_LIST_HEAD(&t->notifiers);
	init_completion(&t->exited);
}

static __noreturn void thread_exit(int ret)
{
	struct thread *t = current_thread();

	t->ret = ret;
	if (CONFIG_DEBUG && !sched_debug_check("thread exit"))
		panic("sched: thread '%s' returned holding a lock or inside rcu_read_lock()",
		      t->name);
	if (!list_empty(&t->notifiers))
		pr_warn("sched: thread '%s' exits with preempt notifiers registered\n",
			t->name);
	local_irq_disable();
	/* The joiner also waits for on_cpu to drop before freeing us. */
	complete_all(&t->exited);
	WRITE_ONCE(t->state, THREAD_DEAD);
	schedule();
	panic("sched: dead thread '%s' was scheduled again", t->name);
}

/* First C code of every new thread (from thread_entry_asm). */
__noreturn void thread_entry(struct thread *prev)
{
	struct thread *t;

	sched_finish_switch(prev);
	local_irq_enable();
	t = current_thread();
	thread_exit(t->fn(t->arg));
}

struct thread *kthread_create(int (*fn)(void *arg), void *arg,
			      const char *name, int cpu)
{
	if (cpu >= 0 && !sched_cpu_ready(cpu)) {
		pr_err("kthread_create: CPU %d is not online; thread '%s' not created\n",
		       cpu, name);
		return NULL;
	}
	if (cpu < 0)
		cpu = sched_pick_cpu();
	return __kthread_create(fn, arg, name, cpu);
}

struct thread *__kthread_create(int (*fn)(void *arg), void *arg,
				const char *name, int cpu)
{
	struct thread *t;
	void *stack;
	u64 *sp;

	/*
	 * The struct lives at the base of its own stack block (no heap
	 * object per thread), the canary right above it.
	 */
	stack = page_alloc(THREAD_STACK_ORDER);
	if (!stack) {
		pr_err("kthread_create: out of memory for thread '%s'\n", name);
		return NULL;
	}
	t = stack;
	memset(t, 0, sizeof(*t));
	t->stack = stack;
	t->canary = (u64 *)ALIGN_UP((unsigned long)(t + 1), 8);
	thread_init_struct(t, name, cpu);
	t->fn = fn;
	t->arg = arg;
	*t->canary = THREAD_STACK_CANARY;

	/*
	 * The frame __switch_to pops: r15 r14 r13 r12 rbx rbp (zero), the
	 * return address thread_entry_asm, then a zero word that ends
	 * backtraces and leaves RSP 16-byte aligned at thread_entry_asm's
	 * call, as the ABI wants.
	 */
	sp = (u64 *)((u8 *)t->stack + THREAD_STACK_SIZE);
	*--sp = 0;
	*--sp = 0;
	*--sp = (u64)(unsigned long)thread_entry_asm;
	for (int i = 0; i < 6; i++)
		*--sp = 0;
	t->rsp = (u64)(unsigned long)sp;
	return t;
}

void kthread_start(struct thread *t)
{
	if (!t)
		return;
	if (READ_ONCE(t->state) != THREAD_NEW) {
		pr_err("kthread_start: thread '%s' was already started\n",
		       t->name);
		return;
	}
	sched_enqueue_new(t);
}

struct thread *kthread_run(int (*fn)(void *arg), void *arg, const char *name,
			   int cpu)
{
	struct thread *t = kthread_create(fn, arg, name, cpu);

	kthread_start(t);
	return t;
}

int kthread_join(struct thread *t)
{
	int ret;

	if (!t)
		return -1;
	if (t == current_thread()) {
		pr_err("kthread_join: thread '%s' joins itself\n", t->name);
		return -1;
	}
	if (READ_ONCE(t->state) == THREAD_NEW) {
		/* Its function runs exactly once either way: start it now. */
		pr_warn("kthread_join: thread '%s' was never started; starting it\n",
			t->name);
		kthread_start(t);
	}
	wait_for_completion(&t->exited);
	/* Off its CPU: its stack is no longer anybody's. */
	while (smp_load_acquire(&t->on_cpu))
		cpu_relax();
	ret = t->ret;
	page_free(t->stack, THREAD_STACK_ORDER);	/* t itself is in there */
	return ret;
}

void thread_migrate(int cpu)
{
	struct thread *t = current_thread();

	if (cpu == (int)this_cpu_id())
		return;
	if (!sched_cpu_ready(cpu)) {
		pr_err("thread_migrate: CPU %d is not online; '%s' stays on CPU %u\n",
		       cpu, t->name, this_cpu_id());
		return;
	}
	if (t->is_idle) {
		pr_err("thread_migrate: idle threads stay on their CPU\n");
		return;
	}
	t->migrate_to = cpu;
	schedule();
	/* schedule() refuses to run with a lock held (debug build). */
	if (this_cpu_id() != (unsigned int)cpu) {
		t->migrate_to = -1;
		pr_err("thread_migrate: '%s' could not leave CPU %u\n",
		       t->name, this_cpu_id());
	}
}

void sched_notifier_register(struct sched_notifier *n)
{
	unsigned long flags = local_irq_save();

	list_add_tail(&n->node, &current_thread()->notifiers);
	local_irq_restore(flags);
}

void sched_notifier_unregister(struct sched_notifier *n)
{
	unsigned long flags = local_irq_save();

	list_del_init(&n->node);
	local_irq_restore(flags);
}
