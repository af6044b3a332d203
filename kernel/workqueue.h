/* SPDX-License-Identifier: MIT */
/*
 * Workers for background jobs: one worker thread per CPU, each with a
 * FIFO of work items.
 *
 *	static void fn(struct work_struct *w) { ... }
 *	INIT_WORK(&w, fn);
 *	queue_work(&w);		run fn(&w) soon on this CPU's worker
 *	flush_work(&w);		wait until it is neither queued nor running
 *
 * queue_work() on a work that is already queued does nothing and returns
 * false; a work that is running may be queued again (it then runs again).
 * The function may free its work_struct: the worker never touches the
 * item after calling it (flush_work() of freed work is the caller's bug).
 * Work functions run in a thread, may sleep, and should cond_resched() if
 * long. queue_work() may be called from interrupt handlers.
 */
#ifndef KERNEL_WORKQUEUE_H
#define KERNEL_WORKQUEUE_H

#include "kernel/compiler.h"
#include "kernel/list.h"

struct work_struct;
typedef void (*work_func_t)(struct work_struct *work);

struct work_struct {
	struct list_head entry;		/* on a worker's list while pending */
	work_func_t func;
	unsigned long pending;		/* 1 while queued; atomic */
};

#define INIT_WORK(w, fn) do {						\
	INIT_LIST_HEAD(&(w)->entry);					\
	(w)->func = (fn);						\
	(w)->pending = 0;						\
} while (0)

bool queue_work(struct work_struct *w);
bool queue_work_on(int cpu, struct work_struct *w);
void flush_work(struct work_struct *w);
/* Is @w queued or running on some worker? */
bool work_busy(struct work_struct *w);

/* Start the workers (kernel/sched.c, once every CPU is online). */
void workqueue_init(void);

#endif
