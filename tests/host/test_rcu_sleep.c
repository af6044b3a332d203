// SPDX-License-Identifier: MIT
/*
 * RCU waiters sleep (hosted: the waiting CPU-thread blocks in an EQS
 * instead of spinning), and "interrupts" taken in an EQS may read under
 * rcu_read_lock() once they call rcu_irq_enter().
 *
 *  - synchronize_rcu() / rcu_barrier() held up by a reader for HOLD_MS:
 *    the waiter returns only after the reader is done, went to sleep, and
 *    used far less CPU time than the wall time it waited (a spinning
 *    waiter uses all of it).
 *  - rcu_irq_enter()/rcu_irq_exit() semantics, and misuse reported.
 *  - Torture: a CPU-thread idling in an EQS takes simulated interrupts
 *    that read the current object under rcu_read_lock() while writers
 *    replace objects and free them with call_rcu() (poisoned, then freed:
 *    ASan sees a use after free too).
 */
#define _GNU_SOURCE
#include "kernel/lockdep.h"
#include "kernel/rcu.h"
#include "kernel/sched.h"
#include "tests/host/platform_host.h"
#include "tests/host/tap.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HOLD_MS		200
#define OBJ_LIVE	0x5ee95ee95ee95ee9ULL
#define OBJ_DEAD	0xdeaddeaddeaddeadULL

static void sleep_ms(u64 ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static u64 thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* ---- a waiter held up by a reader sleeps ---- */

static u64 cbs_run;

static void count_cb(struct rcu_head *h)
{
	__atomic_add_fetch(&cbs_run, 1, __ATOMIC_RELAXED);
	free(h);
}

struct hold {
	bool barrier;
	int reader_in, reader_out;
	int saw_reader_out;
	u64 wall_ns, cpu_ns, sleeps, cbs_at_return;
};

static void hold_test(void *arg, unsigned int i)
{
	struct hold *h = arg;
	u64 t0, c0, s0;

	if (i == 0) {
		for (int k = 0; k < 16 && h->barrier; k++)
			call_rcu(malloc(sizeof(struct rcu_head)), count_cb);
		rcu_read_lock();
		__atomic_store_n(&h->reader_in, 1, __ATOMIC_RELEASE);
		sleep_ms(HOLD_MS);	/* no QS while inside */
		__atomic_store_n(&h->reader_out, 1, __ATOMIC_RELEASE);
		rcu_read_unlock();
		cond_resched();
		return;
	}
	while (!__atomic_load_n(&h->reader_in, __ATOMIC_ACQUIRE))
		cond_resched();
	for (int k = 0; k < 16 && h->barrier; k++)
		call_rcu(malloc(sizeof(struct rcu_head)), count_cb);
	s0 = rcu_nr_waiter_sleeps();
	t0 = plat_now_ns();
	c0 = thread_cpu_ns();
	if (h->barrier)
		rcu_barrier();
	else
		synchronize_rcu();
	h->cpu_ns = thread_cpu_ns() - c0;
	h->wall_ns = plat_now_ns() - t0;
	h->sleeps = rcu_nr_waiter_sleeps() - s0;
	h->saw_reader_out = __atomic_load_n(&h->reader_out, __ATOMIC_ACQUIRE);
	h->cbs_at_return = __atomic_load_n(&cbs_run, __ATOMIC_RELAXED);
}

static void run_hold(bool barrier)
{
	struct hold h = { .barrier = barrier };
	const char *what = barrier ? "rcu_barrier" : "synchronize_rcu";

	cbs_run = 0;
	host_run_cpus(2, hold_test, &h);
	tap_ok(h.saw_reader_out, "%s held up by a reader returns after it",
	       what);
	tap_ok(h.sleeps > 0 && h.cpu_ns < h.wall_ns / 2,
	       "%s slept: %llu sleeps, %llu us CPU in %llu us waited", what,
	       (unsigned long long)h.sleeps,
	       (unsigned long long)h.cpu_ns / 1000,
	       (unsigned long long)h.wall_ns / 1000);
	if (barrier)
		tap_ok(h.cbs_at_return == 32, "rcu_barrier: all %llu callbacks "
		       "of both CPUs ran before it returned",
		       (unsigned long long)h.cbs_at_return);
}

/* ---- rcu_irq_enter()/rcu_irq_exit() ---- */

static void irq_semantics(void)
{
	unsigned long reports = lockdep_nr_reports();
	bool a, b, c, d, e;

	host_cpu_idle_enter();
	a = rcu_in_eqs();
	rcu_irq_enter();
	b = !rcu_in_eqs() && rcu_irq_from_eqs();
	rcu_irq_enter();
	rcu_read_lock();
	rcu_read_unlock();
	rcu_irq_exit();
	c = !rcu_in_eqs();
	rcu_irq_exit();
	d = rcu_in_eqs();
	host_cpu_idle_exit();
	rcu_irq_enter();
	e = !rcu_in_eqs() && !rcu_irq_from_eqs();
	rcu_irq_exit();
	tap_ok(a && b && c && d && e && !rcu_in_eqs() &&
	       lockdep_nr_reports() == reports,
	       "rcu_irq_enter leaves the EQS, nests, rcu_irq_exit re-enters "
	       "it; outside an EQS nothing changes");

	rcu_irq_exit();
	tap_ok(lockdep_nr_reports() == reports + 1 &&
	       strstr(host_last_console(), "rcu_irq_exit() without"),
	       "rcu_irq_exit() without rcu_irq_enter() is reported");
	host_expect_reports(1);
	host_cpu_idle_enter();
	rcu_read_lock();
	tap_ok(lockdep_nr_reports() == reports + 2 &&
	       strstr(host_last_console(), "needs rcu_irq_enter()"),
	       "rcu_read_lock() in an EQS without rcu_irq_enter() is "
	       "reported");
	host_expect_reports(1);
	rcu_read_unlock();
	host_cpu_idle_exit();
}

/* ---- torture: simulated interrupts on an idle CPU ---- */

struct tobj {
	u64 magic;
	u64 gen;
	struct rcu_head rcu;
};

static struct tobj *cur;
static int writers_left, bad_reads;
static u64 irq_reads, frees;

static struct tobj *tobj_new(u64 gen)
{
	struct tobj *o = malloc(sizeof(*o));

	o->magic = OBJ_LIVE;
	o->gen = gen;
	return o;
}

static void tobj_free(struct rcu_head *h)
{
	struct tobj *o = container_of(h, struct tobj, rcu);

	__atomic_store_n(&o->magic, OBJ_DEAD, __ATOMIC_RELAXED);
	__atomic_add_fetch(&frees, 1, __ATOMIC_RELAXED);
	free(o);
}

static void irq_torture(void *arg, unsigned int i)
{
	unsigned long n = *(unsigned long *)arg;

	if (i < 2) {		/* writers */
		for (unsigned long k = 0; k < n; k++) {
			struct tobj *o = tobj_new(k), *old;

			old = __atomic_exchange_n(&cur, o, __ATOMIC_ACQ_REL);
			if (k % 64 == 0) {
				synchronize_rcu();
				tobj_free(&old->rcu);
			} else {
				call_rcu(&old->rcu, tobj_free);
			}
			cond_resched();
		}
		__atomic_sub_fetch(&writers_left, 1, __ATOMIC_RELEASE);
		return;
	}
	/* An idle CPU: in an EQS except while it takes an "interrupt". */
	host_cpu_idle_enter();
	while (__atomic_load_n(&writers_left, __ATOMIC_ACQUIRE)) {
		struct tobj *o;
		u64 gen;

		rcu_irq_enter();
		rcu_read_lock();
		o = rcu_dereference(cur);
		gen = __atomic_load_n(&o->gen, __ATOMIC_RELAXED);
		for (int k = 0; k < 50; k++) {
			if (__atomic_load_n(&o->magic, __ATOMIC_RELAXED) !=
			    OBJ_LIVE ||
			    __atomic_load_n(&o->gen, __ATOMIC_RELAXED) != gen) {
				__atomic_add_fetch(&bad_reads, 1,
						   __ATOMIC_RELAXED);
				break;
			}
			cpu_relax();
		}
		rcu_read_unlock();
		rcu_irq_exit();
		__atomic_add_fetch(&irq_reads, 1, __ATOMIC_RELAXED);
	}
	host_cpu_idle_exit();
}

int main(void)
{
	unsigned long n = getenv("HOST_STRESS") ? 200000 : 5000;

	tap_plan(10);
	run_hold(false);
	run_hold(true);
	irq_semantics();

	cur = tobj_new(~0ULL);
	writers_left = 2;
	host_run_cpus(4, irq_torture, &n);
	rcu_barrier();
	tap_ok(bad_reads == 0 && irq_reads > 0,
	       "torture: %llu reads by interrupts in an EQS, none saw a freed "
	       "object (%d bad)", (unsigned long long)irq_reads, bad_reads);
	free(cur);
	tap_ok(frees == 2 * n, "torture: every replaced object freed (%llu "
	       "of %lu)", (unsigned long long)frees, 2 * n);
	return tap_done();
}
