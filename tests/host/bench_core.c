// SPDX-License-Identifier: MIT
/*
 * Micro-benchmarks of the concurrency core (CONFIG_DEBUG=0, -O2).
 * Prints a table; writes JSON to argv[1].
 */
#include "kernel/rcu.h"
#include "kernel/rwlock.h"
#include "kernel/sched.h"
#include "kernel/spinlock.h"
#include "tests/host/platform_host.h"

#include <stdio.h>
#include <stdlib.h>

#define N 10000000UL

static DEFINE_SPINLOCK(sl);
static DEFINE_RWLOCK(rl);
static volatile unsigned long counter;
static int stop;
static u64 cbs;

struct result { const char *name; double value; const char *unit; };
static struct result res[8];
static int nres;

static void add(const char *name, double v, const char *unit)
{
	res[nres++] = (struct result){ name, v, unit };
	printf("%-36s %12.2f %s\n", name, v, unit);
}

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

int main(int argc, char **argv)
{
	unsigned long k, hn = 2000000;
	u64 t0, lat = 0;
	FILE *f;
	int i;

	host_set_resched_rate(0);
	t0 = plat_now_ns();
	for (k = 0; k < N; k++)
		counter++;
	add("counter increment", (double)(plat_now_ns() - t0) / N, "ns/op");
	t0 = plat_now_ns();
	for (k = 0; k < N; k++) {
		spin_lock(&sl);
		spin_unlock(&sl);
	}
	add("spin_lock+unlock (uncontended)", (double)(plat_now_ns() - t0) / N, "ns/op");
	t0 = plat_now_ns();
	for (k = 0; k < N; k++) {
		read_lock(&rl);
		read_unlock(&rl);
	}
	add("read_lock+unlock (uncontended)", (double)(plat_now_ns() - t0) / N, "ns/op");
	t0 = plat_now_ns();
	for (k = 0; k < N; k++) {
		rcu_read_lock();
		counter++;
		rcu_read_unlock();
	}
	add("rcu_read_lock+counter+unlock", (double)(plat_now_ns() - t0) / N, "ns/op");
	host_run_cpus(2, qs_loop, &lat);
	add("synchronize_rcu latency (2 CPUs)", (double)lat, "ns");
	t0 = plat_now_ns();
	for (k = 0; k < 1000000; k++) {
		call_rcu(malloc(sizeof(struct rcu_head)), cb);
		if ((k & 1023) == 0)
			rcu_note_quiescent_state();
	}
	rcu_barrier();
	add("call_rcu callbacks", cbs / ((plat_now_ns() - t0) / 1e9), "cb/s");
	counter = 0;
	t0 = plat_now_ns();
	host_run_cpus(2, handoff, &hn);
	add("contended spinlock hand-offs (2 thr)",
	    counter / ((plat_now_ns() - t0) / 1e9), "ops/s");
	if (argc > 1 && (f = fopen(argv[1], "w"))) {
		fprintf(f, "{\n");
		for (i = 0; i < nres; i++)
			fprintf(f, "  \"%s\": {\"value\": %.2f, \"unit\": \"%s\"}%s\n",
				res[i].name, res[i].value, res[i].unit,
				i + 1 < nres ? "," : "");
		fprintf(f, "}\n");
		fclose(f);
	}
	return 0;
}
