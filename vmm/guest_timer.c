// SPDX-License-Identifier: MIT
/*
 * The guest's timer thread. The kernel has no timer wheel: timed sleeps
 * end on the scheduler tick (timer_hz), so this thread sleeps until the
 * earliest deadline its devices give (pit8254_timer, rtc_cmos_timer) and
 * then lets them catch up. A device whose deadline moves (the guest
 * programmed it) calls guest_timer_changed(), which wakes the thread to
 * re-read them. Deadlines shorter than a tick therefore come late and
 * coalesce: a PIT at 1 kHz with timer_hz=100 raises about 100 IRQs a
 * second (the PIT counts the rest in nr_lost_ticks); counters read by
 * the guest are exact, being computed from the host time.
 *
 * The thread ends when the guest dies (it looks at every wake-up, and
 * sleeps at most TIMER_IDLE_NS) or when guest_destroy() stops it, and
 * guest_destroy() joins it before anything it touches is freed, so no
 * device callback runs after guest_destroy().
 */
#include "vmm/guest_timer.h"
#include "kernel/log.h"
#include "kernel/platform.h"
#include "kernel/thread.h"
#include "kernel/wait.h"
#include "vmm/dev/dev_host.h"

#define TIMER_IDLE_NS	100000000ULL	/* with nothing due: look at dead */

struct guest_timer {
	struct thread *thread;
	struct wait_queue_head wq;	/* the thread, while it sleeps */
	bool stop;			/* guest_timer_stop() (atomic) */
	bool changed;			/* a deadline moved (atomic) */
	char name[THREAD_NAME_MAX];
};

static int guest_timer_fn(void *arg)
{
	struct guest *g = arg;
	struct guest_timer *t = g->timer;
	struct wait_queue_entry e;

	init_wait_entry(&e);
	while (!READ_ONCE(t->stop) && !READ_ONCE(g->dead)) {
		u64 now = plat_now_ns(), next, rtc;

		/* Cleared before the devices are read: no change is missed. */
		__atomic_store_n(&t->changed, false, __ATOMIC_SEQ_CST);
		next = pit8254_timer(&g->pit, now);
		rtc = rtc_cmos_timer(&g->rtc, now);
		if (rtc && (!next || rtc < next))
			next = rtc;
		now = plat_now_ns();
		if (next && next <= now)
			continue;
		prepare_to_wait(&t->wq, &e);
		if (!__atomic_load_n(&t->changed, __ATOMIC_SEQ_CST) &&
		    !READ_ONCE(t->stop) && !READ_ONCE(g->dead))
			sched_sleep_timeout(next ? MIN(next - now, TIMER_IDLE_NS)
						 : TIMER_IDLE_NS);
		finish_wait(&t->wq, &e);
	}
	return 0;
}

void guest_timer_changed(struct guest *g)
{
	struct guest_timer *t = __atomic_load_n(&g->timer, __ATOMIC_ACQUIRE);

	if (!t)
		return;		/* not started: guest_start() reads them */
	__atomic_store_n(&t->changed, true, __ATOMIC_SEQ_CST);
	wake_up(&t->wq);
}

int guest_timer_start(struct guest *g)
{
	struct guest_timer *t = plat_zalloc(sizeof(*t));

	if (!t)
		return -ENOMEM;
	init_waitqueue_head(&t->wq);
	ksnprintf(t->name, sizeof(t->name), "%s/timer", g->name);
	/* Published before the thread runs: it reads g->timer. */
	__atomic_store_n(&g->timer, t, __ATOMIC_RELEASE);
	t->thread = kthread_run(guest_timer_fn, g, t->name, -1);
	if (!t->thread) {
		g->timer = NULL;
		plat_free(t);
		return -ENOMEM;
	}
	return 0;
}

void guest_timer_stop(struct guest *g)
{
	struct guest_timer *t = g->timer;

	if (!t)
		return;
	__atomic_store_n(&t->stop, true, __ATOMIC_SEQ_CST);
	wake_up(&t->wq);
	kthread_join(t->thread);
	if (g->pit.nr_irqs)
		pr_info("guest %s: PIT raised IRQ 0 %llu times (%llu periods coalesced)\n",
			g->name, (unsigned long long)g->pit.nr_irqs,
			(unsigned long long)g->pit.nr_lost_ticks);
	__atomic_store_n(&g->timer, NULL, __ATOMIC_RELEASE);
	plat_free(t);
}
