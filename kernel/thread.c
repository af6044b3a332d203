// SPDX-License-Identifier: MIT
/*
 * Kernel threads: creation, start, exit, join, migration and preempt
 * notifiers (the scheduler itself is kernel/sched.c).
 *
 * Lifetime: kthread_create() allocates a stack block (kernel/thread.h)
 * whose lowest page it unmaps as a guard page and whose top holds the
 * struct thread itself;
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
#include "mm/paging.h"

void thread_entry_asm(void);

/*
 * Map the guard page back before the block goes back to the allocator,
 * which poisons it and hands it out as ordinary memory; the restore also
 * undoes the split the unmap caused, so the page count is exact again.
 * If even that fails (no page table: cannot happen for a restore of a
 * page that is already 4 KiB-mapped), leaking the block beats handing
 * out a page that faults.
 */
static void stack_free(u8 *stack)
{
	if (paging_restore_4k((u64)(unsigned long)stack)) {
		pr_err("thread: cannot map back guard page %p; leaking its stack\n",
		       stack);
		return;
	}
	page_free(stack, THREAD_STACK_ORDER);
}

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
	u8 *stack;
	u64 *sp;

	/*
	 * The struct lives at the top of its own stack block (no heap
	 * object per thread), the canary at the lowest usable word, just
	 * above the guard page.
	 */
	stack = page_alloc(THREAD_STACK_ORDER);
	if (!stack) {
		pr_err("kthread_create: out of memory for thread '%s'\n", name);
		return NULL;
	}
	/*
	 * Unmapped (everywhere: paging_unmap_4k() shoots down the other
	 * CPUs' TLBs) before the thread can run on any CPU.
	 */
	if (paging_unmap_4k((u64)(unsigned long)stack)) {
		pr_err("kthread_create: no memory for a page table to unmap the guard page of thread '%s'\n",
		       name);
		page_free(stack, THREAD_STACK_ORDER);
		return NULL;
	}
	t = (struct thread *)(stack + THREAD_STACK_BLOCK -
			      ALIGN_UP(sizeof(*t), 16));
	memset(t, 0, sizeof(*t));
	t->stack = stack;
	t->canary = (u64 *)(stack + PAGE_SIZE);
	thread_init_struct(t, name, cpu);
	t->fn = fn;
	t->arg = arg;
	*t->canary = THREAD_STACK_CANARY;

	/*
	 * The frame __switch_to pops: r15 r14 r13 r12 rbx rbp (zero), the
	 * return address thread_entry_asm, then a zero word that ends
	 * backtraces and leaves RSP 16-byte aligned at thread_entry_asm's
	 * call, as the ABI wants (t is 16-byte aligned, as a page was).
	 */
	sp = (u64 *)t;
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
	stack_free(t->stack);	/* t itself is in there */
	return ret;
}

struct thread *thread_find_by_guard(u64 addr, unsigned int *cpu)
{
	u64 page = addr & ~(u64)(PAGE_SIZE - 1);

	for (unsigned int c = 0; c < MAX_CPUS; c++) {
		struct thread *t = sched_cpu_curr(c);

		if (t && t->stack && (u64)(unsigned long)t->stack == page) {
			*cpu = c;
			return t;
		}
	}
	return NULL;
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
