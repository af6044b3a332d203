// SPDX-License-Identifier: MIT
/*
 * Benchmarks of the portable TDP MMU (CONFIG_DEBUG=0, -O2, no sanitizer):
 *
 *  1. faults per second per thread (kvm_tdp_page_fault, the EPT-violation
 *     handler), 1 and 2 threads, distinct pages and the same pages;
 *  2. 4K SPTEs zapped per second per thread, best of 3, each with and
 *     without the RCU frees of the tables it unlinked: a range zap of a
 *     populated range (whole 2M leaf tables: one exchange unlinks 512
 *     SPTEs), the same range zapped as GFNs 1..511 of each 2M (no table
 *     can go: one cmpxchg per SPTE, so bounded by the machine's rate of
 *     locked operations), and the root zap of seed 000 (putting the last
 *     reference of a root: every SPTE and every table goes);
 *  3. how long mmu_lock is held, and how long the zapping thread goes
 *     without a scheduling point, while it zaps a 256K/1M/4M-SPTE root.
 *
 * Yield policy of part 3:
 *  - time slices: need_resched() becomes true SLICE_NS (50 us) after the
 *    zapping thread's last schedule() (host_set_resched_slice_ns), as a
 *    scheduler tick sets it when another thread is runnable. 50 us rather
 *    than a 1 kHz tick's 1 ms on purpose: with 1 ms slices the lock is
 *    held ~1 ms by policy, and the figure would measure the tick, not how
 *    finely the zap can stop. Here hold time = slice + the zap's longest
 *    step between two yield checks, so "held max <= 100 us" means the zap
 *    never runs more than 50 us past a request;
 *  - a "reclaim" thread that takes mmu_lock for write every 100 us (host
 *    reclaim under memory pressure: 10,000 pages a second), so the zap
 *    also yields to a queued writer (rwlock_is_contended). Its wake-ups
 *    depend on the host OS, which on a loaded 2-core machine may delay
 *    them by milliseconds: the time-slice policy does not depend on them.
 * Intervals are measured with CLOCK_MONOTONIC at the vm_mmu_ops.sched_point
 * hook (called with mmu_lock dropped) and around the put:
 *  - "lock held (wall)": from re-taking mmu_lock after one scheduling
 *    point (vm_mmu_ops.sched_point_done) to dropping it at the next
 *    (sched_point), or from the start / to the end of the put. The zap
 *    drops the lock at every scheduling point and only there, so this is
 *    also the longest stretch without a scheduling point that the
 *    soft-lockup watchdog would see. It includes any time the host OS
 *    preempted the thread (this machine's few cores are shared);
 *  - "lock held (thread CPU)": the same interval in the zapping thread's
 *    CPU time (CLOCK_THREAD_CPUTIME_ID), i.e. without host preemption,
 *    which the kernel would not do to a thread holding mmu_lock;
 *  - "writer wait": how long the reclaim thread waited for mmu_lock.
 *
 * The machine is shared and has few cores: every figure is from a real run
 * of this program and varies with the load (printed in the header).
 *
 * Usage: bench_tdp_mmu [JSON-FILE]   (HOST_BENCH_QUICK=1: smaller sizes)
 */
// host-srcs: vmm/mmu/*.c
// host-srcs: tests/host/host_bench_report.c
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "kernel/log.h"
#include "kernel/platform.h"
#include "kernel/rcu.h"
#include "tests/host/host_bench_report.h"
#include "tests/host/platform_host.h"
#include "vmm/mmu/tdp_mmu.h"

#define ALIAS_PAGES	64

static bool quick;

static double secs(u64 ns)
{
	return ns / 1e9;
}

static void bench_sched_point(struct vm *vm);

static void bench_sched_point_done(struct vm *vm);

static const struct vm_mmu_ops bench_ops = {
	.sched_point = bench_sched_point,
	.sched_point_done = bench_sched_point_done,
};

/* A VM whose GFNs [0, npages) alias a few host pages (no 16 GiB needed). */
static struct vm *bench_vm(u64 npages)
{
	struct vm *vm = calloc(1, sizeof(*vm));

	if (!vm || tdp_mmu_vm_init(vm, &bench_ops, 0) ||
	    vm_add_memslot(vm, 0, npages, MEMSLOT_ALIAS, ALIAS_PAGES)) {
		fprintf(stderr, "bench_tdp_mmu: cannot set up a VM\n");
		exit(1);
	}
	return vm;
}

static void bench_vm_free(struct vm *vm)
{
	tdp_mmu_vm_destroy(vm);
	free(vm);
}

static struct kvm_mmu_page *bench_root(struct vm *vm, int as_id)
{
	struct kvm_mmu_page *root;

	read_lock(&vm->mmu_lock);
	root = tdp_mmu_get_vcpu_root(vm, as_id);
	read_unlock(&vm->mmu_lock);
	return root;
}

static void put_root(struct vm *vm, struct kvm_mmu_page *root)
{
	read_lock(&vm->mmu_lock);
	tdp_mmu_put_root(vm, root, true);
	read_unlock(&vm->mmu_lock);
}

static void populate(struct vm *vm, struct kvm_mmu_page *root, gfn_t start,
		     u64 n)
{
	if (kvm_tdp_mmu_prefault(vm, root, start, n)) {
		fprintf(stderr, "bench_tdp_mmu: prefault failed\n");
		exit(1);
	}
}

/* Threads start together so their work really overlaps. */
static int start_gate;

static void gate_wait(unsigned int nr)
{
	__atomic_add_fetch(&start_gate, 1, __ATOMIC_ACQ_REL);
	while (__atomic_load_n(&start_gate, __ATOMIC_ACQUIRE) < (int)nr)
		cpu_relax();
}

/* ---- 1. faults ---- */

struct fault_job {
	struct vm *vm;
	struct kvm_mmu_page *root;
	gfn_t base[2];
	u64 n;
	unsigned int nr_threads;
	u64 ns[2], fixed[2], spurious[2], retries[2];
};

static void fault_thread(void *p, unsigned int i)
{
	struct fault_job *j = p;
	u64 g, t0;

	gate_wait(j->nr_threads);
	t0 = plat_now_ns();
	for (g = 0; g < j->n; g++) {
		int ret = kvm_mmu_do_page_fault(j->vm, j->root,
					     (j->base[i] + g) << PAGE_SHIFT,
					     ACC_ALL);

		if (ret == RET_PF_RETRY) {
			j->retries[i]++;
			g--;
		} else if (ret == RET_PF_SPURIOUS) {
			j->spurious[i]++;
		} else if (ret == RET_PF_FIXED) {
			j->fixed[i]++;
		} else {
			fprintf(stderr, "bench_tdp_mmu: fault error %d\n", ret);
			exit(1);
		}
		if ((g & 4095) == 0)
			rcu_note_quiescent_state();
	}
	j->ns[i] = plat_now_ns() - t0;
}

static void bench_faults(unsigned int nr_threads, bool same)
{
	u64 n = quick ? 256 << 10 : 1 << 20;
	struct fault_job j = { .n = n, .nr_threads = nr_threads };
	double rate = 0;
	unsigned int i;

	j.vm = bench_vm(2 * n);
	j.root = bench_root(j.vm, 0);
	j.base[1] = same ? 0 : n;
	start_gate = 0;
	host_run_cpus(nr_threads, fault_thread, &j);
	for (i = 0; i < nr_threads; i++)
		rate += j.n / secs(j.ns[i]);
	bench_add("faults/s/thread", rate / nr_threads,
		  "faults: %u thr, %s pages", nr_threads,
		  same ? "same" : "distinct");
	/* Same pages: about half the faults find the SPTE already set. */
	bench_add("faults", j.spurious[0] + j.spurious[1],
		  "faults: %u thr, %s pages: spurious", nr_threads,
		  same ? "same" : "distinct");
	bench_add("faults", j.retries[0] + j.retries[1],
		  "faults: %u thr, %s pages: retried", nr_threads,
		  same ? "same" : "distinct");
	put_root(j.vm, j.root);
	bench_vm_free(j.vm);
}

/* ---- 2. zap throughput ---- */

struct zap_job {
	struct vm *vm;
	struct kvm_mmu_page *root[2];
	gfn_t start[2];
	u64 n;
	unsigned int nr_threads;
	bool root_zap;
	bool partial;	/* range zap in 511-GFN pieces: no table unlinked */
	u64 ns[2];
};

static void zap_thread(void *p, unsigned int i)
{
	struct zap_job *j = p;
	u64 t0;

	gate_wait(j->nr_threads);
	t0 = plat_now_ns();
	if (j->root_zap) {
		put_root(j->vm, j->root[i]);
	} else if (j->partial) {
		/* GFNs 1..511 of each 2M: the per-SPTE cmpxchg path. */
		for (gfn_t g = j->start[i]; g < j->start[i] + j->n;
		     g += SPTE_ENT_PER_PAGE)
			if (kvm_tdp_mmu_zap_gfn_range(j->vm, g + 1,
						      g + SPTE_ENT_PER_PAGE))
				exit(1);
	} else if (kvm_tdp_mmu_zap_gfn_range(j->vm, j->start[i],
					      j->start[i] + j->n)) {
		exit(1);
	}
	j->ns[i] = plat_now_ns() - t0;
}

/*
 * The machine's ceiling for any zap that needs one locked operation per
 * SPTE (the leaf run of a partly covered table): a bare cmpxchg loop over
 * present entries, best of 3.
 */
static void bench_cmpxchg_ceiling(void)
{
	u64 n = 1 << 20, i, *a = plat_zalloc(n * sizeof(u64)), t0, zapped;
	double best = 0;
	int rep;

	for (rep = 0; rep < 3; rep++) {
		for (i = 0; i < n; i++)
			a[i] = SPTE_MMU_PRESENT_MASK | (i << PAGE_SHIFT);
		zapped = 0;
		t0 = plat_now_ns();
		for (i = 0; i < n; i++) {
			u64 old = __atomic_load_n(&a[i], __ATOMIC_ACQUIRE);

			zapped += is_shadow_present_pte(old) &&
				  __atomic_compare_exchange_n(&a[i], &old, 0,
					false, __ATOMIC_ACQ_REL,
					__ATOMIC_ACQUIRE);
		}
		if (zapped == n && n / secs(plat_now_ns() - t0) > best)
			best = n / secs(plat_now_ns() - t0);
	}
	plat_free(a);
	bench_add("SPTEs/s", best,
		  "machine: bare cmpxchg loop (ceiling of the leaf run)");
}

/* Best of 3 (the machine is shared); per thread, averaged over threads. */
static void bench_zap(unsigned int nr_threads, bool root_zap, bool partial)
{
	u64 n = quick ? 512 << 10 : (root_zap ? 4 << 20 : 1 << 20);
	double best = 0, best_rcu = 0;
	int rep;

	n /= nr_threads;
	for (rep = 0; rep < 3; rep++) {
		struct zap_job j = { .n = n, .nr_threads = nr_threads,
				     .root_zap = root_zap, .partial = partial };
		u64 expect = partial ? nr_threads * n / SPTE_ENT_PER_PAGE *
				       (SPTE_ENT_PER_PAGE - 1) : nr_threads * n;
		double rate = 0;
		unsigned int i;
		u64 t0, zapped0;

		j.vm = bench_vm(nr_threads * n);
		for (i = 0; i < nr_threads; i++) {
			/* Root zap: one root per thread; range: halves. */
			j.root[i] = root_zap || i == 0 ?
				    bench_root(j.vm, i) : j.root[0];
			j.start[i] = root_zap ? 0 : i * n;
			populate(j.vm, j.root[i], j.start[i], n);
		}
		zapped0 = mmu_stat_read(j.vm, zapped_sptes);
		start_gate = 0;
		t0 = plat_now_ns();
		host_run_cpus(nr_threads, zap_thread, &j);
		for (i = 0; i < nr_threads; i++)
			rate += (double)expect / nr_threads / secs(j.ns[i]);
		rate /= nr_threads;
		if (mmu_stat_read(j.vm, zapped_sptes) - zapped0 != expect) {
			fprintf(stderr, "bench_tdp_mmu: zapped %llu of %llu\n",
				(unsigned long long)
				(mmu_stat_read(j.vm, zapped_sptes) - zapped0),
				(unsigned long long)expect);
			exit(1);
		}
		/* Unlinked tables go back through call_rcu: count that too. */
		rcu_barrier();
		if (expect / secs(plat_now_ns() - t0) / nr_threads > best_rcu)
			best_rcu = expect / secs(plat_now_ns() - t0) /
				   nr_threads;
		if (!root_zap)
			put_root(j.vm, j.root[0]);
		if (rate > best)
			best = rate;
		bench_vm_free(j.vm);
	}
	const char *what = root_zap ? "root (seed 000)" :
			   partial ? "range (511 of each 512, leaf run)" :
			   "range (whole 2M tables)";

	bench_add("SPTEs/s/thread", best, "%s zap: %u thr, %lluK SPTEs each",
		  what, nr_threads, (unsigned long long)(n >> 10));
	bench_add("SPTEs/s/thread", best_rcu,
		  "%s zap: %u thr, %lluK SPTEs each, RCU frees done", what,
		  nr_threads, (unsigned long long)(n >> 10));
}

/* ---- 3. mmu_lock hold and scheduling-point intervals ---- */

#define MAX_SAMPLES	(1 << 20)
#define SLICE_NS	50000ULL
#define WRITER_NS	100000ULL

struct lat {
	u64 *v;
	u64 n;
};

static struct lat held, held_cpu, writer_wait;
static u64 cpu_resume;		/* zapper's CPU time at t_resume */
static __thread bool tls_zapper;
static u64 t_resume;		/* end of the last sched point (zapper) */
static u64 t_last_point;	/* last sched point or the start (zapper) */
static int zap_done;

static void lat_add(struct lat *l, u64 v)
{
	if (l->n < MAX_SAMPLES)
		l->v[l->n++] = v;
}

/*
 * The zapping thread's own CPU time: what it would hold the lock for on a
 * CPU that the host OS does not preempt (the kernel does not preempt a
 * thread holding mmu_lock; this shared Linux machine does).
 */
static u64 thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void bench_sched_point(struct vm *vm)
{
	u64 now = plat_now_ns();

	(void)vm;
	if (!tls_zapper)
		return;
	lat_add(&held, now - t_resume);
	lat_add(&held_cpu, thread_cpu_ns() - cpu_resume);
	t_last_point = now;
}

/* mmu_lock is held again: the next hold interval starts. */
static void bench_sched_point_done(struct vm *vm)
{
	(void)vm;
	if (!tls_zapper)
		return;
	cpu_resume = thread_cpu_ns();
	t_resume = plat_now_ns();
}

static void sleep_until(u64 ns)
{
	struct timespec ts = { .tv_sec = ns / 1000000000ULL,
			       .tv_nsec = ns % 1000000000ULL };

	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

struct lat_job {
	struct vm *vm;
	struct kvm_mmu_page *root;
	u64 zap_ns;
};

static void lat_thread(void *p, unsigned int i)
{
	struct lat_job *j = p;
	u64 next;

	if (i == 0) {
		u64 now, t0;

		tls_zapper = true;
		gate_wait(2);
		read_lock(&j->vm->mmu_lock);
		cpu_resume = thread_cpu_ns();
		t0 = t_resume = t_last_point = plat_now_ns();
		tdp_mmu_put_root(j->vm, j->root, true);
		now = plat_now_ns();
		read_unlock(&j->vm->mmu_lock);
		lat_add(&held, now - t_resume);
		lat_add(&held_cpu, thread_cpu_ns() - cpu_resume);
		j->zap_ns = now - t0;
		__atomic_store_n(&zap_done, 1, __ATOMIC_RELEASE);
		tls_zapper = false;
		return;
	}
	/* The reclaim-like writer. */
	gate_wait(2);
	next = plat_now_ns();
	while (!__atomic_load_n(&zap_done, __ATOMIC_ACQUIRE)) {
		u64 t0;

		next += WRITER_NS;
		host_cpu_idle_enter();
		sleep_until(next);
		host_cpu_idle_exit();
		t0 = plat_now_ns();
		write_lock(&j->vm->mmu_lock);
		lat_add(&writer_wait, plat_now_ns() - t0);
		write_unlock(&j->vm->mmu_lock);
	}
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static void lat_report(struct lat *l, const char *what, u64 size)
{
	if (!l->n) {
		printf("  %-14s (no samples)\n", what);
		return;
	}
	qsort(l->v, l->n, sizeof(u64), cmp_u64);
	bench_add("us", l->v[l->n - 1] / 1e3, "%lluK root: %s max",
		  (unsigned long long)size >> 10, what);
	bench_add("us", l->v[(l->n * 99) / 100] / 1e3, "%lluK root: %s p99",
		  (unsigned long long)size >> 10, what);
}

/*
 * The machine's own noise floor for the hold figures: a loop that does
 * nothing but read its thread CPU clock. Any gap between two reads is
 * time the host (this VM's hypervisor, interrupts) charged to the thread
 * while it ran no code of ours; a lock hold can be stretched by as much.
 */
static void bench_noise_floor(void)
{
	u64 start = thread_cpu_ns(), prev = start, now, max = 0, over = 0;

	while ((now = thread_cpu_ns()) - start < 500000000ULL) {
		if (now - prev > max)
			max = now - prev;
		over += now - prev > SLICE_NS;
		prev = now;
	}
	bench_add("us", max / 1e3,
		  "noise floor: largest thread-CPU gap in an empty loop");
	bench_add("gaps", over, "noise floor: gaps > %llu us in 0.5 s",
		  SLICE_NS / 1000);
}

static void bench_latency(u64 n)
{
	struct lat_job j;
	u64 yields0;

	held.n = held_cpu.n = writer_wait.n = 0;
	zap_done = 0;
	j.vm = bench_vm(n);
	j.root = bench_root(j.vm, 0);
	populate(j.vm, j.root, 0, n);
	yields0 = mmu_stat_read(j.vm, yields);
	start_gate = 0;
	host_set_resched_slice_ns(SLICE_NS);
	host_run_cpus(2, lat_thread, &j);
	host_set_resched_slice_ns(0);
	bench_add("ms", j.zap_ns / 1e6, "%lluK root: zap time",
		  (unsigned long long)n >> 10);
	bench_add("yields", mmu_stat_read(j.vm, yields) - yields0,
		  "%lluK root: yields", (unsigned long long)n >> 10);
	lat_report(&held, "mmu_lock held (wall)", n);
	lat_report(&held_cpu, "mmu_lock held (thread CPU)", n);
	lat_report(&writer_wait, "writer wait", n);
	bench_vm_free(j.vm);
}

int main(int argc, char **argv)
{
	quick = getenv("HOST_BENCH_QUICK") != NULL;
	host_set_resched_rate(0);
	held.v = calloc(MAX_SAMPLES, sizeof(u64));
	held_cpu.v = calloc(MAX_SAMPLES, sizeof(u64));
	writer_wait.v = calloc(MAX_SAMPLES, sizeof(u64));
	bench_header("bench_tdp_mmu", quick ? " (quick)" : "");
	printf("# lock/sched policy: need_resched after a %llu us slice, "
	       "a writer takes mmu_lock every %llu us\n",
	       SLICE_NS / 1000, WRITER_NS / 1000);

	bench_faults(1, false);
	bench_faults(2, false);
	bench_faults(2, true);
	bench_cmpxchg_ceiling();
	bench_zap(1, false, false);
	bench_zap(2, false, false);
	bench_zap(1, false, true);
	bench_zap(2, false, true);
	bench_zap(1, true, false);
	bench_zap(2, true, false);
	bench_noise_floor();
	bench_latency(256 << 10);
	if (!quick) {
		bench_latency(1 << 20);
		bench_latency(4 << 20);
	}

	bench_write_json(argc > 1 ? argv[1] : NULL);
	return 0;
}
