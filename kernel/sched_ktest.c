// SPDX-License-Identifier: MIT
/*
 * In-kernel tests of threads, the scheduler, sleeping and the workers.
 */
#include "kernel/ktest.h"
#include "kernel/atomic.h"
#include "kernel/percpu.h"
#include "kernel/platform.h"
#include "kernel/sched.h"
#include "kernel/thread.h"
#include "kernel/wait.h"
#include "kernel/workqueue.h"

#define NS_PER_MS	1000000ULL

static int return_cpu_plus(void *arg)
{
	return (int)this_cpu_id() + (int)(unsigned long)arg;
}

/* A thread pinned to each CPU runs there, and join returns its value. */
KTEST(sched, create_join_every_cpu)
{
	struct thread *th[MAX_CPUS];
	unsigned int cpu, nr = plat_nr_cpus();

	for (cpu = 0; cpu < nr; cpu++) {
		th[cpu] = kthread_run(return_cpu_plus, (void *)100UL, "ktest",
				      cpu);
		KTEST_EXPECT(t, th[cpu] != NULL);
	}
	for (cpu = 0; cpu < nr; cpu++)
		if (th[cpu])
			KTEST_EXPECT_EQ(t, kthread_join(th[cpu]), 100 + cpu);
}

/* Bad input is refused by name, nothing leaks, nothing crashes. */
KTEST(sched, create_on_offline_cpu_refused)
{
	KTEST_EXPECT(t, kthread_create(return_cpu_plus, NULL, "nope",
				       MAX_CPUS + 3) == NULL);
	KTEST_EXPECT(t, kthread_create(return_cpu_plus, NULL, "nope",
				       (int)plat_nr_cpus()) == NULL);
	KTEST_EXPECT_EQ(t, kthread_join(NULL), -1);
}

struct yield_arg {
	atomic_t *turns;
	int rounds;
};

static int yield_many(void *arg)
{
	struct yield_arg *a = arg;

	for (int i = 0; i < a->rounds; i++) {
		atomic_inc(a->turns);
		schedule();
	}
	return 0;
}

/* Several threads on one CPU share it through schedule(). */
KTEST(sched, threads_share_a_cpu)
{
	enum { N = 4, ROUNDS = 50 };
	struct thread *th[N];
	atomic_t turns = ATOMIC_INIT(0);
	struct yield_arg a = { &turns, ROUNDS };
	u64 sw0 = sched_nr_switches(0);

	for (int i = 0; i < N; i++)
		th[i] = kthread_run(yield_many, &a, "yielder", 0);
	for (int i = 0; i < N; i++)
		KTEST_EXPECT_EQ(t, kthread_join(th[i]), 0);
	KTEST_EXPECT_EQ(t, atomic_read(&turns), N * ROUNDS);
	KTEST_EXPECT(t, sched_nr_switches(0) - sw0 >= N * ROUNDS);
}

struct migrate_arg {
	struct sched_notifier n;
	int ins, outs, last_in_cpu;
	int visited[MAX_CPUS];
};

static void mig_in(struct sched_notifier *n, int cpu)
{
	struct migrate_arg *a = container_of(n, struct migrate_arg, n);

	a->ins++;
	a->last_in_cpu = cpu;
}

static void mig_out(struct sched_notifier *n, struct thread *next)
{
	struct migrate_arg *a = container_of(n, struct migrate_arg, n);

	a->outs++;
}

static int migrate_everywhere(void *arg)
{
	struct migrate_arg *a = arg;
	int bad = 0;

	a->n.sched_in = mig_in;
	a->n.sched_out = mig_out;
	sched_notifier_register(&a->n);
	a->last_in_cpu = this_cpu_id();
	for (unsigned int round = 0; round < 3; round++) {
		for (unsigned int cpu = 0; cpu < plat_nr_cpus(); cpu++) {
			thread_migrate(cpu);
			if (this_cpu_id() != cpu || a->last_in_cpu != (int)cpu)
				bad++;
			a->visited[cpu]++;
		}
	}
	sched_notifier_unregister(&a->n);
	return bad;
}

/* thread_migrate() moves the caller; sched_in/out fire on each move. */
KTEST_FLAGS(sched, migrate_and_notifiers, KTEST_F_SMP)
{
	struct migrate_arg a = { .last_in_cpu = -1 };
	struct thread *th = kthread_run(migrate_everywhere, &a, "migrator", 0);
	unsigned int nr = plat_nr_cpus();

	KTEST_EXPECT_EQ(t, kthread_join(th), 0);
	for (unsigned int cpu = 0; cpu < nr; cpu++)
		KTEST_EXPECT_EQ(t, a.visited[cpu], 3);
	/* Every move is one sched_out on the old CPU and one sched_in. */
	KTEST_EXPECT(t, a.ins >= (int)(3 * nr - 1));
	KTEST_EXPECT_EQ(t, a.ins, a.outs);
}

struct ping_pong {
	struct completion ping, pong;
	int rounds;
};

static int ponger(void *arg)
{
	struct ping_pong *p = arg;

	for (int i = 0; i < p->rounds; i++) {
		wait_for_completion(&p->ping);
		complete(&p->pong);
	}
	return 0;
}

/* Completions hand control back and forth between two CPUs. */
KTEST_FLAGS(wait, completion_ping_pong_across_cpus, KTEST_F_SMP)
{
	struct ping_pong p = { .rounds = 50 };
	struct thread *th;

	init_completion(&p.ping);
	init_completion(&p.pong);
	th = kthread_run(ponger, &p, "ponger", 1);
	for (int i = 0; i < p.rounds; i++) {
		complete(&p.ping);
		wait_for_completion(&p.pong);
	}
	KTEST_EXPECT_EQ(t, kthread_join(th), 0);
	KTEST_EXPECT(t, !completion_done(&p.ping));
	KTEST_EXPECT(t, !completion_done(&p.pong));
}

static int wait_all(void *arg)
{
	wait_for_completion(arg);
	return 7;
}

/* complete_all() releases every waiter on every CPU, and later ones too. */
KTEST(wait, complete_all_wakes_everyone)
{
	struct completion c;
	struct thread *th[MAX_CPUS * 2];
	unsigned int i, n = plat_nr_cpus() * 2;

	init_completion(&c);
	for (i = 0; i < n; i++)
		th[i] = kthread_run(wait_all, &c, "waiter", -1);
	msleep(20);
	complete_all(&c);
	for (i = 0; i < n; i++)
		KTEST_EXPECT_EQ(t, kthread_join(th[i]), 7);
	wait_for_completion(&c);	/* does not block */
	KTEST_EXPECT(t, completion_done(&c));
}

/* A timed wait times out, then succeeds once completed. */
KTEST(wait, completion_timeout)
{
	struct completion c;
	u64 t0;

	init_completion(&c);
	t0 = plat_now_ns();
	KTEST_EXPECT(t, !wait_for_completion_timeout(&c, 30 * NS_PER_MS));
	KTEST_EXPECT(t, plat_now_ns() - t0 >= 30 * NS_PER_MS);
	complete(&c);
	KTEST_EXPECT(t, wait_for_completion_timeout(&c, 30 * NS_PER_MS));
	KTEST_EXPECT(t, !completion_done(&c));
}

struct wq_arg {
	struct wait_queue_head wq;
	int stage;			/* written by main, read by sleepers */
	atomic_t seen;
};

static int wq_sleeper(void *arg)
{
	struct wq_arg *a = arg;

	wait_event(a->wq, READ_ONCE(a->stage) == 1);
	atomic_inc(&a->seen);
	return 0;
}

/* wait_event() sleepers on all CPUs wake when the condition is true. */
KTEST(wait, wait_event_across_cpus)
{
	struct wq_arg a = { .stage = 0, .seen = ATOMIC_INIT(0) };
	struct thread *th[MAX_CPUS];
	unsigned int cpu, nr = plat_nr_cpus();

	init_waitqueue_head(&a.wq);
	for (cpu = 0; cpu < nr; cpu++)
		th[cpu] = kthread_run(wq_sleeper, &a, "wq_sleeper", cpu);
	msleep(20);
	/* A wake-up with the condition still false puts them back to sleep. */
	wake_up_all(&a.wq);
	msleep(10);
	KTEST_EXPECT_EQ(t, atomic_read(&a.seen), 0);
	WRITE_ONCE(a.stage, 1);
	wake_up_all(&a.wq);
	for (cpu = 0; cpu < nr; cpu++)
		KTEST_EXPECT_EQ(t, kthread_join(th[cpu]), 0);
	KTEST_EXPECT_EQ(t, atomic_read(&a.seen), nr);
	KTEST_EXPECT(t, !wait_event_timeout(a.wq, READ_ONCE(a.stage) == 2,
					    5 * NS_PER_MS));
}

KTEST(sched, msleep_sleeps)
{
	u64 t0 = plat_now_ns();

	msleep(25);
	KTEST_EXPECT(t, plat_now_ns() - t0 >= 25 * NS_PER_MS);
}

struct work_test {
	struct work_struct w;
	atomic_t runs;
	int cpu;
};

static void work_fn(struct work_struct *w)
{
	struct work_test *wt = container_of(w, struct work_test, w);

	wt->cpu = this_cpu_id();
	msleep(5);
	atomic_inc(&wt->runs);
}

/* Work runs on the queueing CPU's worker; flush waits for it. */
KTEST(workqueue, queue_and_flush)
{
	struct work_test wt = { .runs = ATOMIC_INIT(0), .cpu = -1 };
	unsigned int cpu, nr = plat_nr_cpus();

	INIT_WORK(&wt.w, work_fn);
	for (cpu = 0; cpu < nr; cpu++) {
		KTEST_EXPECT(t, queue_work_on(cpu, &wt.w));
		/*
		 * Already pending: not queued twice. Certain on our own CPU,
		 * whose worker cannot run before we sleep.
		 */
		if (cpu == this_cpu_id())
			KTEST_EXPECT(t, !queue_work_on(cpu, &wt.w));
		flush_work(&wt.w);
		KTEST_EXPECT(t, !work_busy(&wt.w));
		KTEST_EXPECT_EQ(t, wt.cpu, cpu);
	}
	KTEST_EXPECT_EQ(t, atomic_read(&wt.runs), nr);
	KTEST_EXPECT(t, !queue_work_on(MAX_CPUS + 1, &wt.w));
}
