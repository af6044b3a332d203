// SPDX-License-Identifier: MIT
/*
 * Hosted tests of the swap store (vmm/mmu/swap.c) and the swapped memslot
 * entries (memslot.c, tdp_mmu_reclaim.c): contents survive a trip to swap
 * and back, a fault on a swapped GFN is "not resident" until its page-in
 * is due, one io serves every waiter of a GFN, a cancelled waiter is
 * never called, and page-ins race faults, swap-outs and discards without
 * losing a value or a page.
 */
// host-srcs: vmm/mmu/*.c tests/host/tdp_host_support.c
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "tests/host/tap.h"
#include "tests/host/platform_host.h"
#include "tests/host/tdp_host_support.h"
#include "kernel/log.h"
#include "kernel/platform.h"

#define NR_PAGES	64
#define MS		1000000ULL

static bool stress;

#define STAT SIM_STAT

static u64 pattern(gfn_t gfn, u64 version)
{
	return gfn * 0x9e3779b97f4a7c15ULL ^ (version << 1) ^ 1;
}

static u64 entry(struct sim_vm *s, gfn_t g)
{
	struct memslot *slot = gfn_to_memslot(&s->vm, g);

	return __atomic_load_n(&slot->pfns[g - slot->base_gfn],
			       __ATOMIC_ACQUIRE);
}

static struct sim_vm *vm_with_ram(unsigned int nr_vcpus)
{
	struct sim_vm *s = sim_vm_create(nr_vcpus, 0);

	vm_add_memslot(&s->vm, 0, NR_PAGES, 0, 0);
	return s;
}

struct counting_waiter {
	struct swap_waiter w;
	unsigned int calls;
	int err;
};

static void count_done(struct swap_waiter *w, int err)
{
	struct counting_waiter *c = (struct counting_waiter *)w;

	__atomic_fetch_add(&c->calls, 1, __ATOMIC_RELAXED);
	c->err = err;
}

/* 1: out and back: the value, the zero page that keeps no memory. */
static void test_roundtrip(void)
{
	struct sim_vm *s = vm_with_ram(1);
	struct sim_vcpu *v = &s->vcpus[0];
	u64 pages0 = host_nr_pages_live(), val = pattern(3, 1), zero = 0, got;
	u64 mem_before, mem_swapped;
	bool ok;

	sim_guest_access(v, 3ULL << PAGE_SHIFT, true, &val);
	sim_guest_access(v, 4ULL << PAGE_SHIFT, true, &zero);
	mem_before = vm_memslot_pages(&s->vm);
	ok = tdp_mmu_swap_out_gfn(&s->vm, 3) == 0 &&
	     tdp_mmu_swap_out_gfn(&s->vm, 4) == 0;
	/* In swap already / never touched: nothing to move. */
	ok &= tdp_mmu_swap_out_gfn(&s->vm, 3) == -ENOENT &&
	      tdp_mmu_swap_out_gfn(&s->vm, 9) == -ENOENT;
	mem_swapped = vm_memslot_pages(&s->vm);
	ok &= memslot_entry_swapped(entry(s, 3)) &&
	      entry(s, 4) == MEMSLOT_PFN_SWAPPED &&
	      mem_swapped == mem_before - 1 &&
	      STAT(s, swap_outs) == 2 && STAT(s, swap_zero_pages) == 1 &&
	      STAT(s, swapped_pages) == 2;
	/* The guest's next touch is "not resident", nothing mapped. */
	ok &= sim_guest_access(v, 3ULL << PAGE_SHIFT, false, &got) == -EAGAIN;
	ok &= memslot_swap_in(gfn_to_memslot(&s->vm, 3), 3) == 0 &&
	      sim_guest_access(v, 3ULL << PAGE_SHIFT, false, &got) == 0 &&
	      got == val;
	/* A host access (hypercall buffers) pages in at once. */
	ok &= memslot_gfn_to_pfn(gfn_to_memslot(&s->vm, 4), 4) != 0 &&
	      sim_guest_access(v, 4ULL << PAGE_SHIFT, false, &got) == 0 &&
	      got == 0;
	ok &= STAT(s, swap_ins) == 2 && STAT(s, swapped_pages) == 0 &&
	      !memslot_entry_swapped(entry(s, 3));
	sim_vm_destroy(s);
	tap_ok(ok && host_nr_pages_live() == pages0,
	       "a page goes to swap and back with its contents; an all-zero one keeps no page; faults say not resident; no page leaked");
}

/* 2: a page-in is due after the latency; one io for all its waiters. */
static void test_latency_and_dedup(void)
{
	struct sim_vm *s = vm_with_ram(1);
	struct sim_vcpu *v = &s->vcpus[0];
	struct counting_waiter a = { .w.done = count_done },
			       b = { .w.done = count_done },
			       c = { .w.done = count_done };
	u64 val = pattern(5, 2), got, next;
	bool ok;

	s->vm.swap.latency_ns = 5 * MS;
	sim_guest_access(v, 5ULL << PAGE_SHIFT, true, &val);
	tdp_mmu_swap_out_gfn(&s->vm, 5);
	ok = swap_pagein_start(&s->vm, 5, &a.w, 100 * MS) == 0 &&
	     swap_pagein_start(&s->vm, 5, &b.w, 101 * MS) == 0 &&
	     s->vm.swap.nr_ios == 1;
	/* Not swapped: nothing queued, no callback. */
	ok &= swap_pagein_start(&s->vm, 6, &c.w, 101 * MS) == 1;
	next = swap_store_run(&s->vm, 104 * MS);
	ok &= next == 105 * MS && !a.calls && !b.calls &&
	      sim_guest_access(v, 5ULL << PAGE_SHIFT, false, &got) == -EAGAIN;
	next = swap_store_run(&s->vm, 105 * MS);
	ok &= next == SWAP_NONE_PENDING && a.calls == 1 && b.calls == 1 &&
	      !c.calls && a.err == 0 &&
	      sim_guest_access(v, 5ULL << PAGE_SHIFT, false, &got) == 0 &&
	      got == val && s->vm.swap.nr_ios_alive == 0;
	sim_vm_destroy(s);
	tap_ok(ok, "a page-in completes at its due time, not before; two waiters of one GFN share one io and are each called once");
}

/* 3: jitter keeps due times in [latency, latency + jitter), in order. */
static void test_jitter_order(void)
{
	struct sim_vm *s = vm_with_ram(1);
	struct sim_vcpu *v = &s->vcpus[0];
	struct counting_waiter w[16];
	u64 prev = 0, lo = ~0ULL, hi = 0;
	bool ok = true, sorted = true;
	struct swap_io *io;
	unsigned int i;

	s->vm.swap.latency_ns = 1 * MS;
	s->vm.swap.jitter_ns = 4 * MS;
	for (i = 0; i < 16; i++) {
		u64 val = i + 1;

		sim_guest_access(v, (u64)(10 + i) << PAGE_SHIFT, true, &val);
		tdp_mmu_swap_out_gfn(&s->vm, 10 + i);
		w[i] = (struct counting_waiter){ .w.done = count_done };
		ok &= swap_pagein_start(&s->vm, 10 + i, &w[i].w, 0) == 0;
	}
	list_for_each_entry(io, &s->vm.swap.pending, link) {
		sorted &= io->due_ns >= prev;
		prev = io->due_ns;
		lo = io->due_ns < lo ? io->due_ns : lo;
		hi = io->due_ns > hi ? io->due_ns : hi;
	}
	swap_store_run(&s->vm, 10 * MS);
	for (i = 0; i < 16; i++)
		ok &= w[i].calls == 1;
	ok &= sorted && lo >= 1 * MS && hi < 5 * MS && hi > lo;
	sim_vm_destroy(s);
	tap_ok(ok, "jittered page-ins are due in [latency, latency + jitter) and kept in due order");
}

/* 4: a waiter cancelled before its io is due is never called. */
static void test_cancel(void)
{
	struct sim_vm *s = vm_with_ram(1);
	struct sim_vcpu *v = &s->vcpus[0];
	struct counting_waiter a = { .w.done = count_done },
			       b = { .w.done = count_done };
	u64 val = 7;
	bool ok;

	sim_guest_access(v, 7ULL << PAGE_SHIFT, true, &val);
	tdp_mmu_swap_out_gfn(&s->vm, 7);
	swap_pagein_start(&s->vm, 7, &a.w, 0);
	swap_pagein_start(&s->vm, 7, &b.w, 0);
	ok = swap_pagein_cancel(&s->vm, &a.w);
	swap_store_run(&s->vm, 1);
	ok &= !a.calls && b.calls == 1;
	/* After its call, cancel says so and waits for nothing. */
	ok &= !swap_pagein_cancel(&s->vm, &b.w);
	/* An io whose waiters all left still brings the page (harmless). */
	sim_vm_destroy(s);
	tap_ok(ok, "a cancelled waiter is never called; cancelling after the call returns false");
}

/* 5: discard and replace of a swapped GFN free its store page. */
static void test_reclaim_swapped(void)
{
	struct sim_vm *s = vm_with_ram(1);
	struct sim_vcpu *v = &s->vcpus[0];
	u64 pages0 = host_nr_pages_live(), val = 11, got;
	void *fresh;
	bool ok;

	sim_guest_access(v, 11ULL << PAGE_SHIFT, true, &val);
	val = 12;
	sim_guest_access(v, 12ULL << PAGE_SHIFT, true, &val);
	tdp_mmu_swap_out_gfn(&s->vm, 11);
	tdp_mmu_swap_out_gfn(&s->vm, 12);
	ok = tdp_mmu_reclaim_gfn(&s->vm, 11, NULL) == 0 && entry(s, 11) == 0;
	fresh = plat_alloc_page();
	memset(fresh, 0x5a, PAGE_SIZE);
	ok &= tdp_mmu_reclaim_gfn(&s->vm, 12, fresh) == 0 &&
	      !memslot_entry_swapped(entry(s, 12));
	ok &= sim_guest_access(v, 11ULL << PAGE_SHIFT, false, &got) == 0 &&
	      got == 0;
	ok &= sim_guest_access(v, 12ULL << PAGE_SHIFT, false, &got) == 0 &&
	      got == 0x5a5a5a5a5a5a5a5aULL && STAT(s, swapped_pages) == 0;
	sim_vm_destroy(s);
	tap_ok(ok && host_nr_pages_live() == pages0,
	       "discarding or replacing a swapped GFN frees its store page; the guest sees the new page");
}

/* 6: the memory-pressure worker's swap mode. */
static void test_reclaim_some_swap(void)
{
	struct sim_vm *s = vm_with_ram(1);
	struct sim_vcpu *v = &s->vcpus[0];
	struct tdp_reclaim_cursor cur = { 0 };
	unsigned int i, bad = 0;
	long n, again;
	u64 got;

	for (i = 0; i < 16; i++) {
		u64 val = pattern(i, 3);

		sim_guest_access(v, (u64)i << PAGE_SHIFT, true, &val);
	}
	n = tdp_mmu_reclaim_some(&s->vm, 100, TDP_RECLAIM_SWAP, &cur);
	again = tdp_mmu_reclaim_some(&s->vm, 100, TDP_RECLAIM_SWAP, &cur);
	for (i = 0; i < 16; i++) {
		while (sim_guest_access(v, (u64)i << PAGE_SHIFT, false,
					&got) == -EAGAIN)
			memslot_swap_in(gfn_to_memslot(&s->vm, i), i);
		bad += got != pattern(i, 3);
	}
	sim_vm_destroy(s);
	tap_ok(n == 16 && again == 0 && bad == 0,
	       "the pressure worker's swap mode moves every touched page once (%ld, then %ld), contents intact (%u bad)",
	       n, again, bad);
}

/*
 * 7: the race. vCPU threads read and write their own GFNs and, on
 * "not resident", wait as a vCPU would (a waiter on the store); a worker
 * runs the store; a swapper thread swaps pages out; a discarder takes
 * pages back now and then (the value is then 0 and the owner rewrites).
 * Every read must see the value its owner last wrote (or 0 after a
 * discard the owner is told about), and no page may leak.
 */
#define RACE_VCPUS	3
#define RACE_GFNS	8	/* per vCPU */

struct race {
	struct sim_vm *s;
	bool stop;
	u64 discards[RACE_VCPUS * RACE_GFNS];	/* by the discarder */
	u64 errors, waits, ops;
};

struct race_waiter {
	struct swap_waiter w;
	bool done;
};

static void race_done(struct swap_waiter *w, int err)
{
	__atomic_store_n(&((struct race_waiter *)w)->done, true,
			 __ATOMIC_RELEASE);
}

struct race_vcpu {
	struct race *r;
	unsigned int id;
	unsigned int seed;
};

static void *race_vcpu_fn(void *arg)
{
	struct race_vcpu *rv = arg;
	struct race *r = rv->r;
	struct sim_vcpu *v = &r->s->vcpus[rv->id];
	u64 last[RACE_GFNS] = { 0 }, seen_discards[RACE_GFNS] = { 0 };
	unsigned int iters = stress ? 200000 : 20000, i;

	host_cpu_register();
	for (i = 0; i < iters && !__atomic_load_n(&r->stop, __ATOMIC_RELAXED);
	     i++) {
		unsigned int k = rand_r(&rv->seed) % RACE_GFNS;
		gfn_t g = rv->id * RACE_GFNS + k;
		bool write = rand_r(&rv->seed) & 1;
		u64 val = write ? pattern(g, i) : 0;
		int ret;

		while ((ret = sim_guest_access(v, g << PAGE_SHIFT, write,
					       &val)) == -EAGAIN) {
			struct race_waiter w = { .w.done = race_done };

			__atomic_fetch_add(&r->waits, 1, __ATOMIC_RELAXED);
			if (swap_pagein_start(&r->s->vm, g, &w.w,
					      plat_now_ns()) == 0) {
				/* Give up sometimes: cancel must be clean. */
				if (rand_r(&rv->seed) % 8 == 0 &&
				    swap_pagein_cancel(&r->s->vm, &w.w))
					continue;
				/* Sleeping, as a vCPU thread: an RCU EQS. */
				host_cpu_idle_enter();
				while (!__atomic_load_n(&w.done,
							__ATOMIC_ACQUIRE))
					usleep(10);
				host_cpu_idle_exit();
				/* done() has run; cancel must say so. */
				if (swap_pagein_cancel(&r->s->vm, &w.w))
					__atomic_fetch_add(&r->errors, 1,
							   __ATOMIC_RELAXED);
			}
		}
		if (ret) {
			__atomic_fetch_add(&r->errors, 1, __ATOMIC_RELAXED);
			break;
		}
		if (write) {
			last[k] = val;
		} else {
			u64 d = __atomic_load_n(&r->discards[g],
						__ATOMIC_ACQUIRE);

			/* A discard since our last write: 0, or our value. */
			if (val != last[k] &&
			    !(val == 0 && d != seen_discards[k])) {
				__atomic_fetch_add(&r->errors, 1,
						   __ATOMIC_RELAXED);
			}
			if (val == 0 && d != seen_discards[k]) {
				seen_discards[k] = d;
				last[k] = 0;
			}
		}
		__atomic_fetch_add(&r->ops, 1, __ATOMIC_RELAXED);
	}
	sim_vcpu_unload(v);
	host_cpu_unregister();
	return NULL;
}

static void *race_worker_fn(void *arg)
{
	struct race *r = arg;

	host_cpu_register();
	while (!__atomic_load_n(&r->stop, __ATOMIC_RELAXED)) {
		swap_store_run(&r->s->vm, plat_now_ns());
		host_cpu_idle_enter();
		usleep(20);
		host_cpu_idle_exit();
	}
	swap_store_run(&r->s->vm, ~0ULL >> 1);
	host_cpu_unregister();
	return NULL;
}

static void *race_swapper_fn(void *arg)
{
	struct race *r = arg;
	unsigned int seed = 7, n = 0;

	host_cpu_register();
	while (!__atomic_load_n(&r->stop, __ATOMIC_RELAXED)) {
		gfn_t g = rand_r(&seed) % (RACE_VCPUS * RACE_GFNS);

		if (++n % 16 == 0) {
			/*
			 * Discard: count first, so a reader that sees 0 also
			 * sees the count move (the 0 comes after it).
			 */
			__atomic_fetch_add(&r->discards[g], 1,
					   __ATOMIC_ACQ_REL);
			tdp_mmu_reclaim_gfn(&r->s->vm, g, NULL);
		} else {
			tdp_mmu_swap_out_gfn(&r->s->vm, g);
		}
		host_cpu_idle_enter();
		usleep(5);
		host_cpu_idle_exit();
	}
	host_cpu_unregister();
	return NULL;
}

static void test_race(void)
{
	struct race r = { .s = vm_with_ram(RACE_VCPUS) };
	struct race_vcpu rv[RACE_VCPUS];
	pthread_t vt[RACE_VCPUS], worker, swapper;
	u64 pages0 = host_nr_pages_live();
	unsigned int i;

	r.s->vm.swap.latency_ns = 20000;
	r.s->vm.swap.jitter_ns = 20000;
	pthread_create(&worker, NULL, race_worker_fn, &r);
	pthread_create(&swapper, NULL, race_swapper_fn, &r);
	for (i = 0; i < RACE_VCPUS; i++) {
		rv[i] = (struct race_vcpu){ .r = &r, .id = i, .seed = i + 1 };
		pthread_create(&vt[i], NULL, race_vcpu_fn, &rv[i]);
	}
	/* The main thread is CPU 0: blocked in join, it is in an EQS. */
	host_cpu_idle_enter();
	for (i = 0; i < RACE_VCPUS; i++)
		pthread_join(vt[i], NULL);
	__atomic_store_n(&r.stop, true, __ATOMIC_RELAXED);
	pthread_join(swapper, NULL);
	pthread_join(worker, NULL);
	host_cpu_idle_exit();
	sim_vm_destroy(r.s);
	tap_ok(r.errors == 0 && r.waits > 0 && host_nr_pages_live() <= pages0,
	       "page-ins race faults, swap-outs, discards and cancels: %llu accesses, %llu waits on swap, %llu wrong values or bad cancels, no page leaked",
	       (unsigned long long)r.ops, (unsigned long long)r.waits,
	       (unsigned long long)r.errors);
}

int main(void)
{
	stress = getenv("HOST_STRESS") != NULL;
	tap_plan(7);
	test_roundtrip();
	test_latency_and_dedup();
	test_jitter_order();
	test_cancel();
	test_reclaim_swapped();
	test_reclaim_some_swap();
	test_race();
	return tap_done();
}
