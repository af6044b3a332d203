// SPDX-License-Identifier: MIT
/*
 * Huge-page benchmarks of the TDP MMU (hosted, -O2, no sanitizer):
 *
 *  - eager split, 1G to 4K, of a 16 GiB slot (KVM's dirty-logging split):
 *    4K SPTEs created per second per thread, with one thread and with two
 *    splitting halves of the slot;
 *  - merge in place (seed 001) of a 2M range, in a recovery pass over a
 *    1 GiB slot split to 4K: ns per merge and merges per second;
 *  - dirty-log harvest (get and clear, re-protecting) of a 16 GiB slot
 *    with none, 1/64 and all of its pages dirty;
 *  - for each: the longest stretch mmu_lock is held without a scheduling
 *    point (wall and thread CPU time; the goal is at most 100 us whatever
 *    the size).
 *
 * Guest memory is 1G host blocks from plat_alloc_pages(), mmap'ed and
 * never touched, so 16 GiB of guest costs only its page tables (32 MiB of
 * 4K tables once split).
 */
// host-srcs: vmm/mmu/*.c tests/host/host_bench_report.c
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <malloc.h>
#include "kernel/platform.h"
#include "kernel/rcu.h"
#include "tests/host/host_bench_report.h"
#include "tests/host/platform_host.h"
#include "vmm/mmu/tdp_mmu.h"

#define P2M		KVM_PAGES_PER_HPAGE(PG_LEVEL_2M)
#define P1G		KVM_PAGES_PER_HPAGE(PG_LEVEL_1G)
#define SLICE_NS	50000ULL	/* need_resched after 50 us, as a tick */

static bool quick;

/* Longest hold between scheduling points, per measuring thread. */
static __thread bool tls_measure;
static __thread u64 tls_resume, tls_cpu_resume;
static u64 max_hold_ns, max_hold_cpu_ns;	/* atomics */

static u64 thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void note_max(u64 *max, u64 v)
{
	u64 old = __atomic_load_n(max, __ATOMIC_RELAXED);

	while (v > old && !__atomic_compare_exchange_n(max, &old, v, false,
				__ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

static void hold_start(void)
{
	tls_measure = true;
	tls_resume = plat_now_ns();
	tls_cpu_resume = thread_cpu_ns();
}

static void hold_end(void)
{
	note_max(&max_hold_ns, plat_now_ns() - tls_resume);
	note_max(&max_hold_cpu_ns, thread_cpu_ns() - tls_cpu_resume);
	tls_measure = false;
}

static void bench_sched_point(struct vm *vm)
{
	(void)vm;
	if (tls_measure)
		hold_end(), tls_measure = true;
}

static void bench_sched_point_done(struct vm *vm)
{
	(void)vm;
	if (tls_measure)
		hold_start();
}

static const struct vm_mmu_ops bench_ops = {
	.sched_point = bench_sched_point,
	.sched_point_done = bench_sched_point_done,
};

static void hold_reset(void)
{
	max_hold_ns = max_hold_cpu_ns = 0;
}

static void hold_report(const char *what)
{
	bench_add("us", max_hold_ns / 1e3, "%s: longest mmu_lock hold (wall)",
		  what);
	bench_add("us", max_hold_cpu_ns / 1e3,
		  "%s: longest mmu_lock hold (thread CPU)", what);
}

static struct vm *bench_vm(u64 npages, u32 flags)
{
	struct vm *vm = calloc(1, sizeof(*vm));

	if (!vm || tdp_mmu_vm_init(vm, &bench_ops, 0) ||
	    vm_add_memslot(vm, 0, npages, flags, 0)) {
		fprintf(stderr, "bench_tdp_huge: cannot set up a VM\n");
		exit(1);
	}
	return vm;
}

static struct kvm_mmu_page *bench_root(struct vm *vm)
{
	struct kvm_mmu_page *root;

	read_lock(&vm->mmu_lock);
	root = tdp_mmu_get_vcpu_root(vm, 0);
	read_unlock(&vm->mmu_lock);
	return root;
}

static void bench_vm_free(struct vm *vm, struct kvm_mmu_page *root)
{
	read_lock(&vm->mmu_lock);
	tdp_mmu_put_root(vm, root, true);
	read_unlock(&vm->mmu_lock);
	tdp_mmu_vm_destroy(vm);
	free(vm);
}

/* One fault per huge range: the slot mapped by its largest leaves. */
static void map_huge(struct vm *vm, struct kvm_mmu_page *root, u64 npages,
		     u64 step)
{
	u64 g;

	for (g = 0; g < npages; g += step)
		if (kvm_mmu_do_page_fault(vm, root, g << PAGE_SHIFT,
					  ACC_ALL) != RET_PF_FIXED) {
			fprintf(stderr, "bench_tdp_huge: fault failed\n");
			exit(1);
		}
}

struct split_arg {
	struct vm *vm;
	u64 npages;
	unsigned int nr;
	u64 ns[2];
};

static void split_thread(void *p, unsigned int i)
{
	struct split_arg *a = p;
	u64 part = a->npages / a->nr, t0;

	host_set_resched_slice_ns(SLICE_NS);
	t0 = plat_now_ns();
	hold_start();
	if (kvm_tdp_mmu_split_huge_pages(a->vm, i * part, (i + 1) * part,
					 PG_LEVEL_4K)) {
		fprintf(stderr, "bench_tdp_huge: split failed\n");
		exit(1);
	}
	hold_end();
	a->ns[i] = plat_now_ns() - t0;
}

/*
 * Page-table pages come from the C heap in the hosted build: fault its
 * memory in once, so the figures time the MMU, not Linux's first touch
 * (the kernel's tables come from the buddy allocator's free lists).
 */
static void warm_heap(u64 pages)
{
	void **p = calloc(pages, sizeof(void *));
	u64 i;

	for (i = 0; i < pages; i++)
		p[i] = plat_alloc_page();
	for (i = 0; i < pages; i++)
		plat_free_page(p[i]);
	free(p);
}

static void bench_eager_split(u64 gib, unsigned int nr)
{
	u64 npages = gib * P1G;
	struct vm *vm = bench_vm(npages, MEMSLOT_HUGE_1G);
	struct kvm_mmu_page *root = bench_root(vm);
	struct split_arg a = { .vm = vm, .npages = npages, .nr = nr };
	double worst = 0;
	unsigned int i;

	map_huge(vm, root, npages, P1G);
	warm_heap(npages / P2M + npages / P1G + 1024);
	hold_reset();
	host_run_cpus(nr, split_thread, &a);
	for (i = 0; i < nr; i++)
		if (a.ns[i] / 1e9 > worst)
			worst = a.ns[i] / 1e9;
	if (atomic64_read(&vm->stats.v[TDP_MMU_STAT_pages_4k]) != (s64)npages) {
		fprintf(stderr, "bench_tdp_huge: split left %lld 4K leaves\n",
			(long long)atomic64_read(
				&vm->stats.v[TDP_MMU_STAT_pages_4k]));
		exit(1);
	}
	bench_add("M/s", npages / nr / worst / 1e6,
		  "eager split 1G->4K, %llu GiB, %u thread(s): 4K SPTEs per second per thread",
		  (unsigned long long)gib, nr);
	bench_add("s", worst, "eager split 1G->4K, %llu GiB, %u thread(s): time",
		  (unsigned long long)gib, nr);
	{
		char what[64];

		snprintf(what, sizeof(what), "eager split %llu GiB x%u",
			 (unsigned long long)gib, nr);
		hold_report(what);
	}
	bench_vm_free(vm, root);
}

static void bench_merge(u64 gib)
{
	u64 npages = gib * P1G, t0, ns;
	struct vm *vm = bench_vm(npages, MEMSLOT_HUGE_2M);
	struct kvm_mmu_page *root = bench_root(vm);
	long merged;

	map_huge(vm, root, npages, P2M);
	kvm_tdp_mmu_split_huge_pages(vm, 0, npages, PG_LEVEL_4K);
	host_set_resched_slice_ns(SLICE_NS);
	hold_reset();
	t0 = plat_now_ns();
	hold_start();
	merged = kvm_tdp_mmu_recover_huge_pages(vm, &vm->memslots[0]);
	hold_end();
	ns = plat_now_ns() - t0;
	if (merged != (long)(npages / P2M)) {
		fprintf(stderr, "bench_tdp_huge: %ld merges\n", merged);
		exit(1);
	}
	bench_add("ns", (double)ns / merged,
		  "merge in place of a 2M range (recovery pass, %llu GiB): per merge",
		  (unsigned long long)gib);
	bench_add("k/s", merged / (ns / 1e9) / 1e3,
		  "merge in place (recovery pass, %llu GiB): merges per second",
		  (unsigned long long)gib);
	hold_report("recovery pass");
	bench_vm_free(vm, root);
}

static void bench_harvest(u64 gib)
{
	u64 npages = gib * P1G, words = npages / 64, *bm = calloc(words, 8);
	struct vm *vm = bench_vm(npages, MEMSLOT_HUGE_1G);
	struct kvm_mmu_page *root = bench_root(vm);
	static const unsigned int every[] = { 0, 64, 1 };
	unsigned int k;
	u64 g, t0;

	map_huge(vm, root, npages, P1G);
	host_set_resched_slice_ns(SLICE_NS);
	t0 = plat_now_ns();
	kvm_vm_set_dirty_logging(vm, 0, true);
	bench_add("s", (plat_now_ns() - t0) / 1e9,
		  "dirty logging on, %llu GiB (eager split + write-protect all)",
		  (unsigned long long)gib);
	for (k = 0; k < ARRAY_SIZE(every); k++) {
		long n;

		for (g = 0; every[k] && g < npages; g += every[k])
			kvm_mmu_do_page_fault(vm, root, g << PAGE_SHIFT,
					      ACC_WRITE);
		hold_reset();
		t0 = plat_now_ns();
		hold_start();
		n = kvm_vm_harvest_dirty_log(vm, 0, bm);
		hold_end();
		bench_add("ms", (plat_now_ns() - t0) / 1e6,
			  "dirty-log harvest, %llu GiB, %s dirty (%ld pages)",
			  (unsigned long long)gib,
			  !every[k] ? "none" : every[k] == 1 ? "all" : "1/64",
			  n);
		{
			char what[64];

			snprintf(what, sizeof(what), "harvest %s dirty",
				 !every[k] ? "none" : every[k] == 1 ? "all" :
				 "1/64");
			hold_report(what);
		}
	}
	kvm_vm_set_dirty_logging(vm, 0, false);
	free(bm);
	bench_vm_free(vm, root);
}

int main(int argc, char **argv)
{
	u64 gib;

	quick = getenv("HOST_BENCH_QUICK") != NULL;
	/* Keep the warmed heap: glibc would give freed tops back to Linux. */
	mallopt(M_TRIM_THRESHOLD, 1 << 30);
	mallopt(M_MMAP_THRESHOLD, 1 << 30);
	mallopt(M_ARENA_MAX, 1);	/* the warmed arena serves every thread */
	gib = quick ? 2 : 16;
	host_set_resched_rate(0);
	bench_header("bench_tdp_huge", quick ? " (quick)" : "");
	bench_eager_split(gib, 1);
	bench_eager_split(gib, 2);
	bench_merge(1);
	bench_harvest(gib);
	bench_write_json(argc > 1 ? argv[1] : NULL);
	return 0;
}
