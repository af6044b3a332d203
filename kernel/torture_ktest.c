// SPDX-License-Identifier: MIT
/*
 * Torture tests on every CPU: spinlock and rwlock mutual exclusion (and
 * writers getting through a stream of readers), RCU readers never seeing
 * a freed object, call_rcu callbacks all done after rcu_barrier().
 * Each runs for a bounded number of iterations so the suite stays short
 * under QEMU TCG.
 */
#include "kernel/ktest.h"
#include "kernel/atomic.h"
#include "kernel/percpu.h"
#include "kernel/platform.h"
#include "kernel/rcu.h"
#include "kernel/rwlock.h"
#include "kernel/sched.h"
#include "kernel/spinlock.h"
#include "kernel/thread.h"
#include "mm/kmalloc.h"

#define NS_PER_MS	1000000ULL

static void spin_a_little(unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		cpu_relax();
}

/* ---- spinlock ---- */

struct spin_torture {
	spinlock_t lock;
	u64 counter;		/* under lock, updated non-atomically */
	int holder;		/* under lock: -1 or the CPU inside */
	atomic_t violations;
	unsigned int iters;
};

static int spin_torturer(void *arg)
{
	struct spin_torture *s = arg;
	int me = this_cpu_id();

	for (unsigned int i = 0; i < s->iters; i++) {
		unsigned long flags = spin_lock_irqsave(&s->lock);
		u64 v;

		if (READ_ONCE(s->holder) != -1)
			atomic_inc(&s->violations);
		WRITE_ONCE(s->holder, me);
		v = READ_ONCE(s->counter);
		spin_a_little(i & 7);
		WRITE_ONCE(s->counter, v + 1);
		if (READ_ONCE(s->holder) != me)
			atomic_inc(&s->violations);
		WRITE_ONCE(s->holder, -1);
		spin_unlock_irqrestore(&s->lock, flags);
		if ((i & 15) == 0)
			cond_resched();
	}
	return 0;
}

KTEST_FLAGS(torture, spinlock, KTEST_F_SMP)
{
	struct spin_torture s = { .holder = -1, .iters = 400,
				  .violations = ATOMIC_INIT(0) };
	struct thread *th[MAX_CPUS];
	unsigned int cpu, nr = plat_nr_cpus();

	spin_lock_init(&s.lock, "torture.spinlock");
	for (cpu = 0; cpu < nr; cpu++)
		th[cpu] = kthread_run(spin_torturer, &s, "spin_torture", cpu);
	for (cpu = 0; cpu < nr; cpu++)
		KTEST_EXPECT_EQ(t, kthread_join(th[cpu]), 0);
	KTEST_EXPECT_EQ(t, s.counter, (u64)nr * s.iters);
	KTEST_EXPECT_EQ(t, atomic_read(&s.violations), 0);
}

/* ---- rwlock ---- */

struct rw_torture {
	rwlock_t lock;
	u64 a, b;		/* under write lock; equal whenever readable */
	int writer_inside;	/* under lock */
	atomic_t readers_inside;
	atomic_t violations;
	atomic_t writers_left;	/* readers run until every writer is done */
	u64 max_write_wait_ns;	/* under write lock */
	unsigned int write_iters;
	atomic64_t reads;
};

static int rw_reader(void *arg)
{
	struct rw_torture *r = arg;

	while (atomic_read(&r->writers_left) > 0) {
		read_lock(&r->lock);
		atomic_inc(&r->readers_inside);
		if (READ_ONCE(r->writer_inside))
			atomic_inc(&r->violations);
		if (READ_ONCE(r->a) != READ_ONCE(r->b))
			atomic_inc(&r->violations);
		spin_a_little(20);
		if (READ_ONCE(r->a) != READ_ONCE(r->b))
			atomic_inc(&r->violations);
		atomic_dec(&r->readers_inside);
		read_unlock(&r->lock);
		atomic64_inc(&r->reads);
		cond_resched();
	}
	return 0;
}

static int rw_writer(void *arg)
{
	struct rw_torture *r = arg;

	for (unsigned int i = 0; i < r->write_iters; i++) {
		u64 t0 = plat_now_ns(), waited;

		write_lock(&r->lock);
		waited = plat_now_ns() - t0;
		if (waited > r->max_write_wait_ns)
			r->max_write_wait_ns = waited;
		if (READ_ONCE(r->writer_inside) ||
		    atomic_read(&r->readers_inside))
			atomic_inc(&r->violations);
		WRITE_ONCE(r->writer_inside, 1);
		WRITE_ONCE(r->a, r->a + 1);
		spin_a_little(10);
		WRITE_ONCE(r->b, r->b + 1);
		WRITE_ONCE(r->writer_inside, 0);
		write_unlock(&r->lock);
		cond_resched();
	}
	atomic_dec(&r->writers_left);
	return 0;
}

/*
 * Readers on every CPU keep the lock busy until the writers are done, so
 * the writers finishing at all shows they are not starved; the longest
 * single wait is bounded too (loosely: emulated CPUs stall unevenly).
 */
KTEST_FLAGS(torture, rwlock_writers_get_through, KTEST_F_SMP)
{
	enum { WRITERS = 2 };
	struct rw_torture r = { .write_iters = 300,
				.writers_left = ATOMIC_INIT(WRITERS) };
	struct thread *rd[MAX_CPUS], *wr[WRITERS];
	unsigned int cpu, nr = plat_nr_cpus();

	rwlock_init(&r.lock, "torture.rwlock");
	for (cpu = 0; cpu < nr; cpu++)
		rd[cpu] = kthread_run(rw_reader, &r, "rw_reader", cpu);
	for (int i = 0; i < WRITERS; i++)
		wr[i] = kthread_run(rw_writer, &r, "rw_writer", i % nr);
	for (int i = 0; i < WRITERS; i++)
		KTEST_EXPECT_EQ(t, kthread_join(wr[i]), 0);
	for (cpu = 0; cpu < nr; cpu++)
		KTEST_EXPECT_EQ(t, kthread_join(rd[cpu]), 0);
	KTEST_EXPECT_EQ(t, r.a, (u64)WRITERS * r.write_iters);
	KTEST_EXPECT_EQ(t, r.b, r.a);
	KTEST_EXPECT_EQ(t, atomic_read(&r.violations), 0);
	KTEST_EXPECT(t, r.max_write_wait_ns < 1000 * NS_PER_MS);
	ktest_diag(t, "%lld reads, longest writer wait %llu us",
		   (long long)atomic64_read(&r.reads),
		   (unsigned long long)r.max_write_wait_ns / 1000);
}

/* ---- RCU ---- */

#define OBJ_ALIVE	0xa11fe0a11fe0ULL
#define OBJ_DEAD	0xdeaddeaddeadULL

struct rcu_obj {
	u64 magic;
	u64 seq;
	struct rcu_head rh;
};

struct rcu_torture {
	struct rcu_obj *cur;	/* RCU-protected; replaced by the writer */
	bool stop;
	atomic_t bad_reads;
	atomic64_t reads;
	atomic_t freed;
};

static struct rcu_torture *rcu_torture_ctx;

static void rcu_obj_free(struct rcu_head *rh)
{
	struct rcu_obj *o = container_of(rh, struct rcu_obj, rh);

	/* Poison first: a reader still holding it would see OBJ_DEAD. */
	WRITE_ONCE(o->magic, OBJ_DEAD);
	atomic_inc(&rcu_torture_ctx->freed);
	kfree(o);
}

static int rcu_reader(void *arg)
{
	struct rcu_torture *r = arg;

	while (!READ_ONCE(r->stop)) {
		struct rcu_obj *o;
		u64 seq;

		rcu_read_lock();
		o = rcu_dereference(r->cur);
		seq = READ_ONCE(o->seq);
		if (READ_ONCE(o->magic) != OBJ_ALIVE)
			atomic_inc(&r->bad_reads);
		spin_a_little(50);	/* hold it while the writer moves on */
		if (READ_ONCE(o->magic) != OBJ_ALIVE ||
		    READ_ONCE(o->seq) != seq)
			atomic_inc(&r->bad_reads);
		rcu_read_unlock();
		atomic64_inc(&r->reads);
		cond_resched();
	}
	return 0;
}

KTEST_FLAGS(torture, rcu_readers_never_see_freed, KTEST_F_SMP)
{
	enum { UPDATES = 300 };
	struct rcu_torture r = { .bad_reads = ATOMIC_INIT(0),
				 .freed = ATOMIC_INIT(0) };
	struct thread *rd[MAX_CPUS];
	unsigned int cpu, nr = plat_nr_cpus();
	u64 gps0 = rcu_nr_grace_periods();
	struct rcu_obj *o;

	rcu_torture_ctx = &r;
	o = kzalloc(sizeof(*o));
	o->magic = OBJ_ALIVE;
	rcu_assign_pointer(r.cur, o);
	for (cpu = 1; cpu < nr; cpu++)
		rd[cpu] = kthread_run(rcu_reader, &r, "rcu_reader", cpu);
	for (unsigned int i = 1; i <= UPDATES; i++) {
		struct rcu_obj *old = rcu_access_pointer(r.cur);

		o = kzalloc(sizeof(*o));
		if (!KTEST_EXPECT(t, o != NULL))
			break;
		o->magic = OBJ_ALIVE;
		o->seq = i;
		rcu_assign_pointer(r.cur, o);
		if (i % 32 == 0) {
			/* Some synchronously, most through call_rcu. */
			synchronize_rcu();
			rcu_obj_free(&old->rh);
		} else {
			call_rcu(&old->rh, rcu_obj_free);
		}
		cond_resched();
	}
	WRITE_ONCE(r.stop, true);
	for (cpu = 1; cpu < nr; cpu++)
		KTEST_EXPECT_EQ(t, kthread_join(rd[cpu]), 0);
	rcu_barrier();
	KTEST_EXPECT_EQ(t, atomic_read(&r.freed), UPDATES);
	KTEST_EXPECT_EQ(t, atomic_read(&r.bad_reads), 0);
	KTEST_EXPECT(t, rcu_nr_grace_periods() > gps0);
	ktest_diag(t, "%lld reads, %u objects freed",
		   (long long)atomic64_read(&r.reads), atomic_read(&r.freed));
	kfree(rcu_access_pointer(r.cur));
	rcu_torture_ctx = NULL;
}

/* ---- call_rcu + rcu_barrier ---- */

struct cb_item {
	struct rcu_head rh;
	atomic_t *done;
};

static void cb_item_done(struct rcu_head *rh)
{
	struct cb_item *c = container_of(rh, struct cb_item, rh);

	atomic_inc(c->done);
	kfree(c);
}

struct cb_arg {
	atomic_t *done;
	unsigned int n;
};

static int cb_queuer(void *arg)
{
	struct cb_arg *a = arg;

	for (unsigned int i = 0; i < a->n; i++) {
		struct cb_item *c = kzalloc(sizeof(*c));

		if (!c)
			return -1;
		c->done = a->done;
		call_rcu(&c->rh, cb_item_done);
		if ((i & 7) == 0)
			cond_resched();
	}
	return 0;
}

/*
 * Callbacks queued on every CPU have all run once rcu_barrier() returns,
 * even though the CPUs that queued them go idle right after.
 */
KTEST(torture, call_rcu_all_run_after_barrier)
{
	atomic_t done = ATOMIC_INIT(0);
	struct cb_arg a = { &done, 200 };
	struct thread *th[MAX_CPUS];
	unsigned int cpu, nr = plat_nr_cpus();

	for (cpu = 0; cpu < nr; cpu++)
		th[cpu] = kthread_run(cb_queuer, &a, "cb_queuer", cpu);
	for (cpu = 0; cpu < nr; cpu++)
		KTEST_EXPECT_EQ(t, kthread_join(th[cpu]), 0);
	rcu_barrier();
	KTEST_EXPECT_EQ(t, atomic_read(&done), nr * a.n);
}
