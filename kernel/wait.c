// SPDX-License-Identifier: MIT
/*
 * Wait queues and completions (see kernel/wait.h).
 */
#include "kernel/wait.h"
#include "kernel/lockdep.h"
#include "kernel/log.h"
#include "kernel/thread.h"

#define COMPLETION_ALL	(~0U)

void init_waitqueue_head(struct wait_queue_head *wq)
{
	spin_lock_init(&wq->lock, "wait_queue_head.lock");
	INIT_LIST_HEAD(&wq->head);
}

void init_wait_entry(struct wait_queue_entry *e)
{
	e->thread = current_thread();
	INIT_LIST_HEAD(&e->node);
}

void prepare_to_wait(struct wait_queue_head *wq, struct wait_queue_entry *e)
{
	unsigned long flags = spin_lock_irqsave(&wq->lock);

	if (list_empty(&e->node))
		list_add_tail(&e->node, &wq->head);
	WRITE_ONCE(e->thread->state, THREAD_SLEEPING);
	spin_unlock_irqrestore(&wq->lock, flags);
	/* The caller's read of its condition comes after the SLEEPING store. */
	smp_mb();
}

void finish_wait(struct wait_queue_head *wq, struct wait_queue_entry *e)
{
	unsigned long flags;

	WRITE_ONCE(e->thread->state, THREAD_RUNNING);
	/* Unlocked peek: only wakers remove entries, under the lock. */
	if (list_empty(&e->node))
		return;
	flags = spin_lock_irqsave(&wq->lock);
	list_del_init(&e->node);
	spin_unlock_irqrestore(&wq->lock, flags);
}

/* Wake up to @nr sleepers (0: all), dequeuing them; wq->lock held. */
static unsigned int wake_up_locked(struct wait_queue_head *wq, unsigned int nr)
{
	struct wait_queue_entry *e, *tmp;
	unsigned int n = 0;

	lockdep_assert_held(&wq->lock);
	list_for_each_entry_safe(e, tmp, &wq->head, node) {
		/* Dequeue first: once woken, the entry's stack may be gone. */
		struct thread *t = e->thread;

		list_del_init(&e->node);
		wake_up_thread(t);
		if (++n == nr)
			break;
	}
	return n;
}

unsigned int wake_up(struct wait_queue_head *wq)
{
	unsigned long flags = spin_lock_irqsave(&wq->lock);
	unsigned int n = wake_up_locked(wq, 1);

	spin_unlock_irqrestore(&wq->lock, flags);
	return n;
}

unsigned int wake_up_all(struct wait_queue_head *wq)
{
	unsigned long flags = spin_lock_irqsave(&wq->lock);
	unsigned int n = wake_up_locked(wq, 0);

	spin_unlock_irqrestore(&wq->lock, flags);
	return n;
}

void init_completion(struct completion *c)
{
	c->done = 0;
	init_waitqueue_head(&c->wait);
}

void complete(struct completion *c)
{
	unsigned long flags = spin_lock_irqsave(&c->wait.lock);

	if (c->done != COMPLETION_ALL)
		c->done++;
	wake_up_locked(&c->wait, 1);
	spin_unlock_irqrestore(&c->wait.lock, flags);
}

void complete_all(struct completion *c)
{
	unsigned long flags = spin_lock_irqsave(&c->wait.lock);

	c->done = COMPLETION_ALL;
	wake_up_locked(&c->wait, 0);
	spin_unlock_irqrestore(&c->wait.lock, flags);
}

bool completion_done(struct completion *c)
{
	return READ_ONCE(c->done) != 0;
}

/*
 * Sleep until c->done, consuming one; with @ns != 0 give up after @ns.
 * A waiter that was dequeued by complete() but lost the count to another
 * waiter simply queues again.
 */
static bool do_wait_for_completion(struct completion *c, u64 ns)
{
	struct wait_queue_entry e;
	u64 end = ns ? plat_now_ns() + ns : 0;
	unsigned long flags;
	bool ok = true;

	init_wait_entry(&e);
	BUG_ON(!e.thread);
	flags = spin_lock_irqsave(&c->wait.lock);
	while (!c->done) {
		u64 now = plat_now_ns();

		if (ns && now >= end) {
			ok = false;
			break;
		}
		if (list_empty(&e.node))
			list_add_tail(&e.node, &c->wait.head);
		WRITE_ONCE(e.thread->state, THREAD_SLEEPING);
		spin_unlock_irqrestore(&c->wait.lock, flags);
		if (ns)
			sched_sleep_timeout(end - now);
		else
			sched_sleep();
		flags = spin_lock_irqsave(&c->wait.lock);
	}
	WRITE_ONCE(e.thread->state, THREAD_RUNNING);
	if (!list_empty(&e.node))
		list_del_init(&e.node);
	if (ok && c->done != COMPLETION_ALL)
		c->done--;
	spin_unlock_irqrestore(&c->wait.lock, flags);
	return ok;
}

void wait_for_completion(struct completion *c)
{
	do_wait_for_completion(c, 0);
}

bool wait_for_completion_timeout(struct completion *c, u64 ns)
{
	return do_wait_for_completion(c, ns ? ns : 1);
}
