// SPDX-License-Identifier: MIT
/*
 * Per-CPU workers (see kernel/workqueue.h).
 *
 * A worker takes the first item off its list under the pool lock, clears
 * its pending flag and records it as current_work in the same critical
 * section, so at every instant an item is visibly "pending" or "current"
 * (or neither, once done); flush_work() waits on that. After the function
 * returns, the worker clears current_work and wakes flush_waitq.
 */
#include "kernel/workqueue.h"
#include "kernel/log.h"
#include "kernel/percpu.h"
#include "kernel/platform.h"
#include "kernel/sched.h"
#include "kernel/spinlock.h"
#include "kernel/thread.h"
#include "kernel/wait.h"

struct worker_pool {
	/* Protects list and current_work; irqsave (queue_work from IRQs). */
	spinlock_t lock;
	struct list_head list;
	struct work_struct *current_work;
	struct wait_queue_head more;	/* the worker sleeps here when idle */
	struct thread *worker;
	int cpu;
} __cacheline_aligned;

static struct worker_pool pools[MAX_CPUS];
static bool workqueue_ready;
static struct wait_queue_head flush_waitq;	/* work finished */
static u64 nr_executed;

static bool pool_has_work(struct worker_pool *p)
{
	return !list_empty(&p->list);
}

static int worker_fn(void *arg)
{
	struct worker_pool *p = arg;

	for (;;) {
		struct work_struct *w;
		unsigned long flags;

		wait_event(p->more, pool_has_work(p));
		flags = spin_lock_irqsave(&p->lock);
		w = list_first_entry_or_null(&p->list, struct work_struct,
					     entry);
		if (w) {
			list_del_init(&w->entry);
			__atomic_store_n(&w->pending, 0, __ATOMIC_RELEASE);
			p->current_work = w;
		}
		spin_unlock_irqrestore(&p->lock, flags);
		if (!w)
			continue;
		w->func(w);	/* may free w */
		flags = spin_lock_irqsave(&p->lock);
		p->current_work = NULL;
		spin_unlock_irqrestore(&p->lock, flags);
		__atomic_add_fetch(&nr_executed, 1, __ATOMIC_RELAXED);
		wake_up_all(&flush_waitq);
		cond_resched();
	}
	return 0;
}

bool queue_work_on(int cpu, struct work_struct *w)
{
	struct worker_pool *p;
	unsigned long flags;

	if (!READ_ONCE(workqueue_ready) || cpu < 0 || cpu >= MAX_CPUS ||
	    !pools[cpu].worker) {
		pr_err("queue_work: no worker on CPU %d for work %p\n", cpu, w);
		return false;
	}
	if (__atomic_exchange_n(&w->pending, 1, __ATOMIC_ACQ_REL))
		return false;
	p = &pools[cpu];
	flags = spin_lock_irqsave(&p->lock);
	list_add_tail(&w->entry, &p->list);
	spin_unlock_irqrestore(&p->lock, flags);
	wake_up(&p->more);
	return true;
}

bool queue_work(struct work_struct *w)
{
	return queue_work_on(plat_cpu_id(), w);
}

bool work_busy(struct work_struct *w)
{
	unsigned int cpu;

	if (__atomic_load_n(&w->pending, __ATOMIC_ACQUIRE))
		return true;
	for (cpu = 0; cpu < MAX_CPUS; cpu++)
		if (READ_ONCE(pools[cpu].current_work) == w)
			return true;
	return false;
}

void flush_work(struct work_struct *w)
{
	wait_event(flush_waitq, !work_busy(w));
}

void workqueue_init(void)
{
	unsigned int cpu, nr = plat_nr_cpus();
	char name[THREAD_NAME_MAX];

	init_waitqueue_head(&flush_waitq);
	for (cpu = 0; cpu < MAX_CPUS; cpu++) {
		struct worker_pool *p = &pools[cpu];

		spin_lock_init(&p->lock, "worker_pool.lock");
		INIT_LIST_HEAD(&p->list);
		init_waitqueue_head(&p->more);
		p->cpu = cpu;
	}
	for (cpu = 0; cpu < nr; cpu++) {
		if (!sched_cpu_ready(cpu))
			continue;
		ksnprintf(name, sizeof(name), "kworker/%u", cpu);
		pools[cpu].worker = kthread_run(worker_fn, &pools[cpu], name,
						cpu);
	}
	smp_store_release(&workqueue_ready, true);
}
