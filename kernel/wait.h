/* SPDX-License-Identifier: MIT */
/*
 * Sleeping: wait queues and completions.
 *
 * A wait queue is a list of sleeping threads behind a spinlock. The
 * sleeper's side, as Linux's:
 *
 *	prepare_to_wait(&wq, &e);	queue e, mark current SLEEPING
 *	if (!cond) sched_sleep();	give the CPU up unless already true
 *	finish_wait(&wq, &e);		RUNNING again, off the queue
 *
 * The waker makes cond true *then* calls wake_up(&wq). No wake-up is lost:
 * either the waker finds the entry queued and sets the thread RUNNING
 * (then sched_sleep() returns at once), or it took the queue lock before
 * the sleeper did, and the sleeper, reading cond after that lock, sees it
 * true. wait_event() wraps the loop.
 *
 * A completion counts complete() calls; each wait_for_completion()
 * consumes one; complete_all() satisfies every present and future waiter.
 * Completions may live on the waiter's stack: complete() touches the
 * completion only under its lock, which the waiter takes before returning.
 *
 * All of these may be used from any CPU; wake_up()/complete() also from
 * interrupt handlers. Sleeping needs a thread context (after sched_init()).
 */
#ifndef KERNEL_WAIT_H
#define KERNEL_WAIT_H

#include "kernel/compiler.h"
#include "kernel/list.h"
#include "kernel/spinlock.h"

struct thread;

struct wait_queue_head {
	spinlock_t lock;		/* protects head; irqsave */
	struct list_head head;		/* struct wait_queue_entry, FIFO */
};

struct wait_queue_entry {
	struct thread *thread;
	struct list_head node;		/* on head while queued, else empty */
};

void init_waitqueue_head(struct wait_queue_head *wq);
void init_wait_entry(struct wait_queue_entry *e);
void prepare_to_wait(struct wait_queue_head *wq, struct wait_queue_entry *e);
void finish_wait(struct wait_queue_head *wq, struct wait_queue_entry *e);
/* Wake the first sleeper / every sleeper; returns how many were woken. */
unsigned int wake_up(struct wait_queue_head *wq);
unsigned int wake_up_all(struct wait_queue_head *wq);

/* Defined in kernel/sched.c (declared here so the macros need no more). */
void sched_sleep(void);
bool sched_sleep_timeout(u64 ns);
u64 plat_now_ns(void);

#define wait_event(wq, cond) do {					\
	struct wait_queue_entry __we;					\
	init_wait_entry(&__we);						\
	for (;;) {							\
		prepare_to_wait(&(wq), &__we);				\
		if (cond)						\
			break;						\
		sched_sleep();						\
	}								\
	finish_wait(&(wq), &__we);					\
} while (0)

/* True if @cond became true, false if @ns passed first. */
#define wait_event_timeout(wq, cond, ns) ({				\
	struct wait_queue_entry __we;					\
	u64 __end = plat_now_ns() + (ns), __now;			\
	bool __ok;							\
	init_wait_entry(&__we);						\
	for (;;) {							\
		prepare_to_wait(&(wq), &__we);				\
		if ((__ok = !!(cond)))					\
			break;						\
		__now = plat_now_ns();					\
		if (__now >= __end)					\
			break;						\
		sched_sleep_timeout(__end - __now);			\
	}								\
	finish_wait(&(wq), &__we);					\
	__ok;								\
})

struct completion {
	unsigned int done;		/* under wait.lock; UINT_MAX: all */
	struct wait_queue_head wait;
};

void init_completion(struct completion *c);
void complete(struct completion *c);
void complete_all(struct completion *c);
void wait_for_completion(struct completion *c);
/* True if completed, false if @ns passed first. */
bool wait_for_completion_timeout(struct completion *c, u64 ns);
bool completion_done(struct completion *c);

#endif
