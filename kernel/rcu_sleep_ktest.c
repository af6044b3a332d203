// SPDX-License-Identifier: MIT
/*
 * RCU waiters sleep, and interrupt handlers on idle CPUs may use RCU.
 *
 *  - synchronize_rcu() / rcu_barrier() from thread W on CPU A while a
 *    reader thread H on CPU B holds rcu_read_lock(): a second thread R on
 *    CPU A runs meanwhile, sees W asleep off the run queue, and only then
 *    lets H go; W observes R's progress and returns after H's release.
 *  - IPI handlers on an idle CPU read an object under rcu_read_lock()
 *    while a writer replaces it and frees the old one with call_rcu()
 *    (poisoned first): no handler ever sees a freed object.
 *  - rcu_irq_enter()/rcu_irq_exit() leave and re-enter the EQS, nest, and
 *    rcu_read_lock() in an EQS without them is reported.
 *  - The latency of synchronize_rcu() with idle and with busy peers, as
 *    diagnostics.
 */
#include "kernel/ktest.h"
#include "arch/x86/cpu.h"
#include "arch/x86/smp.h"
#include "kernel/atomic.h"
#include "kernel/lockdep.h"
#include "kernel/percpu.h"
#include "kernel/platform.h"
#include "kernel/rcu.h"
#include "kernel/sched.h"
#include "kernel/thread.h"
#include "mm/kmalloc.h"

#define NS_PER_MS	1000000ULL
/* H lets go on its own after this long: the test then fails, not hangs. */
#define HOLD_MAX_NS	(3000ULL * NS_PER_MS)
/* R releases H after seeing W asleep this many times. */
#define SEEN_ASLEEP	3
#define NR_CBS		32

struct rs_ctx {
	bool barrier;			/* rcu_barrier() instead of synchronize_rcu() */
	struct thread *w, *r;
	int release, h_released, h_timed_out;
	int w_in, w_done;
	u64 r_count;			/* R's progress */
	unsigned int seen_asleep;	/* R saw W SLEEPING and off the run queue */
	unsigned int seen_queued;	/* R saw W in its wait but on the run queue */
	/* What W saw when its wait returned. */
	u64 r_during, w_ns, sleeps;
	int saw_released, cbs_at_return;
	atomic_t cbs_done;
};

struct rs_cb {
	struct rcu_head rh;
	atomic_t *done;
};

static void rs_cb_fn(struct rcu_head *rh)
{
	struct rs_cb *c = container_of(rh, struct rs_cb, rh);

	atomic_inc(c->done);
	kfree(c);
}

static void rs_queue_cbs(struct rs_ctx *x)
{
	for (unsigned int i = 0; i < NR_CBS; i++) {
		struct rs_cb *c = kzalloc(sizeof(*c));

		if (!c)
			return;
		c->done = &x->cbs_done;
		call_rcu(&c->rh, rs_cb_fn);
	}
}

/* H: a reader that holds up every grace period until R says so. */
static int rs_holder(void *arg)
{
	struct rs_ctx *x = arg;
	u64 end = plat_now_ns() + HOLD_MAX_NS;

	if (x->barrier)
		rs_queue_cbs(x);	/* callbacks on B too, freed after */
	rcu_read_lock();
	/*
	 * Only now W and R on CPU A: W's grace period must wait for us.
	 * Started from here, as B may be the CPU of the test's own thread,
	 * which cannot run again before we are done.
	 */
	kthread_start(x->w);
	kthread_start(x->r);
	while (!smp_load_acquire(&x->release) && plat_now_ns() < end)
		cpu_relax();
	WRITE_ONCE(x->h_timed_out, !smp_load_acquire(&x->release));
	smp_store_release(&x->h_released, 1);
	rcu_read_unlock();
	/* Busy on B, passing quiescent states, until W is done. */
	while (!smp_load_acquire(&x->w_done))
		cond_resched();
	return 0;
}

static int rs_waiter(void *arg)
{
	struct rs_ctx *x = arg;
	u64 r0, s0 = rcu_nr_waiter_sleeps(), t0;

	if (x->barrier)
		rs_queue_cbs(x);
	r0 = READ_ONCE(x->r_count);
	t0 = plat_now_ns();
	smp_store_release(&x->w_in, 1);
	if (x->barrier)
		rcu_barrier();
	else
		synchronize_rcu();
	x->cbs_at_return = atomic_read(&x->cbs_done);
	x->saw_released = smp_load_acquire(&x->h_released);
	x->w_ns = plat_now_ns() - t0;
	x->r_during = READ_ONCE(x->r_count) - r0;
	x->sleeps = rcu_nr_waiter_sleeps() - s0;
	smp_store_release(&x->w_done, 1);
	return 0;
}

/* R: the other thread on W's CPU. Runs only if W really gives the CPU up. */
static int rs_runner(void *arg)
{
	struct rs_ctx *x = arg;

	while (!smp_load_acquire(&x->w_done)) {
		WRITE_ONCE(x->r_count, x->r_count + 1);
		if (smp_load_acquire(&x->w_in) && !READ_ONCE(x->w_done)) {
			/* W is not running (we are): asleep, or queued? */
			if (READ_ONCE(x->w->state) == THREAD_SLEEPING &&
			    !READ_ONCE(x->w->on_rq)) {
				if (++x->seen_asleep >= SEEN_ASLEEP)
					smp_store_release(&x->release, 1);
			} else {
				x->seen_queued++;
			}
		}
		cond_resched();
		cpu_relax();
	}
	return 0;
}

static void rs_run(struct ktest *t, struct rs_ctx *x)
{
	unsigned int nr = plat_nr_cpus();
	int cpu_a = 1, cpu_b = nr > 2 ? 2 : 0;
	struct thread *h;

	atomic_set(&x->cbs_done, 0);
	x->w = kthread_create(rs_waiter, x, "rs_waiter", cpu_a);
	x->r = kthread_create(rs_runner, x, "rs_runner", cpu_a);
	h = kthread_create(rs_holder, x, "rs_holder", cpu_b);
	/* Short of memory only; the threads created never start then. */
	if (!KTEST_EXPECT(t, x->w && x->r && h))
		return;
	kthread_start(h);	/* H starts W and R once it holds the reader */
	/* H first: joining a thread never started would start it here. */
	KTEST_EXPECT_EQ(t, kthread_join(h), 0);
	KTEST_EXPECT_EQ(t, kthread_join(x->w), 0);
	KTEST_EXPECT_EQ(t, kthread_join(x->r), 0);

	ktest_diag(t, "W waited %llu us, went to sleep %llu times; R ran %llu "
		   "loops meanwhile, saw W asleep %u times, queued %u times",
		   (unsigned long long)x->w_ns / 1000,
		   (unsigned long long)x->sleeps,
		   (unsigned long long)x->r_during, x->seen_asleep,
		   x->seen_queued);
	/* W slept off the run queue, R had the CPU and W saw it progress. */
	KTEST_EXPECT(t, x->seen_asleep >= SEEN_ASLEEP);
	KTEST_EXPECT(t, x->r_during > 0);
	KTEST_EXPECT(t, x->sleeps > 0);
	/* H held the grace period up until R let it go, not until timeout. */
	KTEST_EXPECT_EQ(t, x->h_timed_out, 0);
	KTEST_EXPECT_EQ(t, x->saw_released, 1);
}

KTEST_FLAGS(rcu_sleep, synchronize_rcu_sleeps, KTEST_F_SMP)
{
	struct rs_ctx x = { .barrier = false };

	rs_run(t, &x);
}

KTEST_FLAGS(rcu_sleep, rcu_barrier_sleeps, KTEST_F_SMP)
{
	struct rs_ctx x = { .barrier = true };

	rs_run(t, &x);
	/* W's callbacks (CPU A) and H's (CPU B) all ran before it returned. */
	KTEST_EXPECT_EQ(t, x.cbs_at_return, 2 * NR_CBS);
}

/* ---- RCU readers in interrupt handlers on an idle CPU ---- */

#define IRQ_OBJ_ALIVE	0xa11fe0a11fe0a11fULL
#define IRQ_OBJ_DEAD	0xdeaddeaddeaddeadULL

struct irq_obj {
	u64 magic;
	u64 seq;
	struct rcu_head rh;
};

struct irq_torture {
	struct irq_obj *cur;		/* RCU-protected; the writer replaces it */
	atomic_t bad_reads;
	atomic_t handled;
	atomic_t from_eqs;		/* handlers whose entry left an EQS */
	atomic_t freed;
};

static struct irq_torture *irq_torture_ctx;

static void irq_obj_free(struct rcu_head *rh)
{
	struct irq_obj *o = container_of(rh, struct irq_obj, rh);

	/* Poison first: a handler still reading it would see IRQ_OBJ_DEAD. */
	WRITE_ONCE(o->magic, IRQ_OBJ_DEAD);
	WRITE_ONCE(o->seq, ~0ULL);
	atomic_inc(&irq_torture_ctx->freed);
	kfree(o);
}

/* An IPI handler on the idle CPU: a reader held while the writer moves on. */
static void irq_reader(void *arg)
{
	struct irq_torture *x = arg;
	struct irq_obj *o;
	u64 seq;

	if (rcu_irq_from_eqs())
		atomic_inc(&x->from_eqs);
	rcu_read_lock();
	o = rcu_dereference(x->cur);
	seq = READ_ONCE(o->seq);
	for (unsigned int i = 0; i < 200; i++) {
		if (READ_ONCE(o->magic) != IRQ_OBJ_ALIVE ||
		    READ_ONCE(o->seq) != seq) {
			atomic_inc(&x->bad_reads);
			break;
		}
		cpu_relax();
	}
	rcu_read_unlock();
	atomic_inc(&x->handled);
}

static void irq_noop(void *arg)
{
}

static struct irq_obj *irq_obj_new(u64 seq)
{
	struct irq_obj *o = kzalloc(sizeof(*o));

	if (o) {
		o->magic = IRQ_OBJ_ALIVE;
		o->seq = seq;
	}
	return o;
}

KTEST_FLAGS(rcu_sleep, irq_readers_on_idle_cpu, KTEST_F_SMP)
{
	enum { ROUNDS = 300, UPDATES_PER_ROUND = 3 };
	struct irq_torture x = { .bad_reads = ATOMIC_INIT(0) };
	unsigned int target = plat_nr_cpus() - 1, updates = 0;
	struct irq_obj *o;
	u64 seq = 0;

	irq_torture_ctx = &x;
	o = irq_obj_new(seq);
	if (!KTEST_EXPECT(t, o != NULL))
		return;
	rcu_assign_pointer(x.cur, o);
	/* The writer is this thread (CPU 0); the target CPU runs no thread. */
	for (unsigned int r = 0; r < ROUNDS; r++) {
		smp_call_on_cpu(target, irq_reader, &x, false);
		for (unsigned int k = 0; k < UPDATES_PER_ROUND; k++) {
			struct irq_obj *old = rcu_access_pointer(x.cur);

			o = irq_obj_new(++seq);
			if (!KTEST_EXPECT(t, o != NULL))
				break;
			rcu_assign_pointer(x.cur, o);
			call_rcu(&old->rh, irq_obj_free);
			updates++;
			/* A QS: may end grace periods and run the frees. */
			cond_resched();
			for (unsigned int i = 0; i < 20; i++)
				cpu_relax();
		}
	}
	smp_call_on_cpu(target, irq_noop, NULL, true);	/* handlers done */
	rcu_barrier();
	ktest_diag(t, "%d IPI readers on cpu%u (%d entered from its idle EQS), "
		   "%u objects replaced, %d freed",
		   atomic_read(&x.handled), target, atomic_read(&x.from_eqs),
		   updates, atomic_read(&x.freed));
	KTEST_EXPECT_EQ(t, atomic_read(&x.handled), ROUNDS);
	KTEST_EXPECT_EQ(t, atomic_read(&x.bad_reads), 0);
	KTEST_EXPECT_EQ(t, atomic_read(&x.freed), updates);
	KTEST_EXPECT(t, atomic_read(&x.from_eqs) > 0);
	kfree(rcu_access_pointer(x.cur));
	irq_torture_ctx = NULL;
}

/* ---- rcu_irq_enter()/rcu_irq_exit() ---- */

KTEST(rcu_sleep, irq_enter_leaves_eqs)
{
	unsigned long reports = lockdep_nr_reports();
	unsigned long flags = local_irq_save();
	bool in_eqs[6], from_eqs[3];

	/* As the idle loop's HLT, then an interrupt, then a nested one. */
	rcu_eqs_enter();
	in_eqs[0] = rcu_in_eqs();
	rcu_irq_enter();
	in_eqs[1] = rcu_in_eqs();
	from_eqs[0] = rcu_irq_from_eqs();
	rcu_irq_enter();
	rcu_read_lock();	/* allowed: the interrupt entered */
	rcu_read_unlock();
	rcu_irq_exit();
	in_eqs[2] = rcu_in_eqs();
	rcu_irq_exit();
	in_eqs[3] = rcu_in_eqs();
	rcu_eqs_exit();
	/* An interrupt of a CPU that is not in an EQS changes nothing. */
	rcu_irq_enter();
	in_eqs[4] = rcu_in_eqs();
	from_eqs[1] = rcu_irq_from_eqs();
	rcu_irq_exit();
	in_eqs[5] = rcu_in_eqs();
	from_eqs[2] = rcu_irq_from_eqs();
	local_irq_restore(flags);

	KTEST_EXPECT(t, in_eqs[0]);
	KTEST_EXPECT(t, !in_eqs[1] && from_eqs[0]);
	KTEST_EXPECT(t, !in_eqs[2]);
	KTEST_EXPECT(t, in_eqs[3]);
	KTEST_EXPECT(t, !in_eqs[4] && !from_eqs[1]);
	KTEST_EXPECT(t, !in_eqs[5] && !from_eqs[2]);
	KTEST_EXPECT_EQ(t, lockdep_nr_reports(), reports);
}

KTEST_FLAGS(rcu_sleep, read_lock_in_eqs_reported, KTEST_F_EXPECTS_BUG)
{
	unsigned long reports = lockdep_nr_reports();
	unsigned long flags;

	ktest_diag(t, "expecting BUG: rcu_read_lock() in extended quiescent "
		   "state (an interrupt on an idle CPU without rcu_irq_enter())");
	flags = local_irq_save();
	rcu_eqs_enter();
	rcu_read_lock();	/* what a handler that did not enter does */
	rcu_read_unlock();
	rcu_eqs_exit();
	local_irq_restore(flags);
	KTEST_EXPECT_EQ(t, lockdep_nr_reports(), reports + 1);
}

/* ---- synchronize_rcu() latency ---- */

struct busy_peer {
	int stop;
};

static int busy_peer_fn(void *arg)
{
	struct busy_peer *b = arg;

	while (!smp_load_acquire(&b->stop)) {
		for (unsigned int i = 0; i < 200; i++)
			cpu_relax();
		cond_resched();
	}
	return 0;
}

static u64 sync_latency_ns(unsigned int n, u64 *sleeps)
{
	u64 s0 = rcu_nr_waiter_sleeps(), t0 = plat_now_ns();

	for (unsigned int i = 0; i < n; i++)
		synchronize_rcu();
	*sleeps = rcu_nr_waiter_sleeps() - s0;
	return (plat_now_ns() - t0) / n;
}

KTEST(rcu_sleep, synchronize_rcu_latency)
{
	enum { N = 50 };
	struct busy_peer b = { 0 };
	struct thread *th[MAX_CPUS] = { NULL };
	unsigned int cpu, nr = plat_nr_cpus();
	u64 idle_ns, busy_ns, busy0_ns, idle_sl, busy_sl, busy0_sl;
	u64 gps0 = rcu_nr_grace_periods(), spin = rcu_wait_spin_ns;

	idle_ns = sync_latency_ns(N, &idle_sl);
	for (cpu = 1; cpu < nr; cpu++)
		th[cpu] = kthread_run(busy_peer_fn, &b, "busy_peer", cpu);
	busy_ns = sync_latency_ns(N, &busy_sl);
	/* The same without the poll before sleeping. */
	WRITE_ONCE(rcu_wait_spin_ns, 0);
	busy0_ns = sync_latency_ns(N, &busy0_sl);
	WRITE_ONCE(rcu_wait_spin_ns, spin);
	smp_store_release(&b.stop, 1);
	for (cpu = 1; cpu < nr; cpu++)
		if (th[cpu])
			KTEST_EXPECT_EQ(t, kthread_join(th[cpu]), 0);
	ktest_diag(t, "synchronize_rcu latency, %u CPUs, average of %u: idle "
		   "peers %llu ns (%llu slept); busy peers %llu ns (%llu "
		   "slept), %llu ns sleeping at once (%llu slept)", nr, N,
		   (unsigned long long)idle_ns, (unsigned long long)idle_sl,
		   (unsigned long long)busy_ns, (unsigned long long)busy_sl,
		   (unsigned long long)busy0_ns, (unsigned long long)busy0_sl);
	KTEST_EXPECT_EQ(t, rcu_nr_grace_periods() - gps0, 3 * N);
}
