// SPDX-License-Identifier: MIT
/*
 * Micro-benchmarks of the concurrency core (CONFIG_DEBUG=0, -O2).
 * Prints a table; writes JSON to argv[1].
 */
// host-srcs: tests/host/host_bench_report.c
#include "kernel/rcu.h"
#include "kernel/rwlock.h"
#include "kernel/sched.h"
#include "kernel/spinlock.h"
#include "tests/host/host_bench_report.h"
#include "tests/host/platform_host.h"

#include <stdio.h>
#include <stdlib.h>

#define N 10000000UL

static DEFINE_SPINLOCK(sl);
static DEFINE_RWLOCK(rl);
static volatile unsigned long counter;
static int stop;
static u64 cbs;

static void cb(struct rcu_head *h)
{
	cbs++;
	free(h);
}

static void handoff(void *arg, unsigned int i)
{
	unsigned long k, n = *(unsigned long *)arg;

	(void)i;
	for (k = 0; k < n; k++) {
		spin_lock(&sl);
		counter++;
		spin_unlock(&sl);
	}
}

static void qs_loop(void *arg, unsigned int i)
{
	u64 *lat = arg, t0;
	int k;

	if (i == 0) {
		while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE))
			rcu_note_quiescent_state();
		return;
	}
	t0 = plat_now_ns();
	for (k = 0; k < 1000; k++)
		synchronize_rcu();
	*lat = (plat_now_ns() - t0) / 1000;
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
}

/* Nanoseconds per operation of a loop of N that began at @t0. */
static double ns_per_op(u64 t0)
{
	return (double)(plat_now_ns() - t0) / N;
}

/* Operations per second of @ops done since @t0. */
static double per_sec(double ops, u64 t0)
{
	return ops / ((plat_now_ns() - t0) / 1e9);
}

int main(int argc, char **argv)
{
	unsigned long k, hn = 2000000;
	u64 t0, lat = 0;

	host_set_resched_rate(0);
	bench_header("bench_core", "");
	t0 = plat_now_ns();
	for (k = 0; k < N; k++)
		counter++;
	bench_add("ns/op", ns_per_op(t0), "counter increment");
	t0 = plat_now_ns();
	for (k = 0; k < N; k++) {
		spin_lock(&sl);
		spin_unlock(&sl);
	}
	bench_add("ns/op", ns_per_op(t0), "spin_lock+unlock (uncontended)");
	t0 = plat_now_ns();
	for (k = 0; k < N; k++) {
		read_lock(&rl);
		read_unlock(&rl);
	}
	bench_add("ns/op", ns_per_op(t0), "read_lock+unlock (uncontended)");
	t0 = plat_now_ns();
	for (k = 0; k < N; k++) {
		rcu_read_lock();
		counter++;
		rcu_read_unlock();
	}
	bench_add("ns/op", ns_per_op(t0), "rcu_read_lock+counter+unlock");
	host_run_cpus(2, qs_loop, &lat);
	bench_add("ns", (double)lat, "synchronize_rcu latency (2 CPUs)");
	t0 = plat_now_ns();
	for (k = 0; k < 1000000; k++) {
		call_rcu(malloc(sizeof(struct rcu_head)), cb);
		if ((k & 1023) == 0)
			rcu_note_quiescent_state();
	}
	rcu_barrier();
	bench_add("cb/s", per_sec(cbs, t0), "call_rcu callbacks");
	counter = 0;
	t0 = plat_now_ns();
	host_run_cpus(2, handoff, &hn);
	bench_add("ops/s", per_sec(counter, t0),
		  "contended spinlock hand-offs (2 thr)");
	bench_write_json(argc > 1 ? argv[1] : NULL);
	return 0;
}
