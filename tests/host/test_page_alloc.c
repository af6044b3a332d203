// SPDX-License-Identifier: MIT
/*
 * mm/page_alloc.c, unchanged, over a fake "physical memory": an aligned
 * malloc'ed region whose addresses are its physical addresses (the direct
 * map is the identity). Checks range subtraction against a brute-force
 * model, drain/refill with maximal coalescing, refusal of bad frees, a
 * seeded random stress, concurrent alloc/free, the zero pool (alone and
 * refilled by a CPU racing allocators), and measures ns per op.
 */
// host-srcs: mm/page_alloc.c
#include "mm/page_alloc.h"
#include "mm/mm_debug.h"
#include "kernel/log.h"
#include "kernel/platform.h"
#include "tests/host/platform_host.h"
#include "tests/host/tap.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define REGION_SIZE	(64UL << 20)
#define REGION_ALIGN	(PAGE_SIZE << MAX_ORDER)

static u8 *region;

static phys_addr_t R(u64 off)
{
	return (phys_addr_t)(uintptr_t)region + off;
}

/* Blocks are chained through their first words while held. */
struct held {
	struct held *next;
	u64 order;
};

static void hold(struct held **l, void *va, unsigned order)
{
	struct held *h = va;

	h->next = *l;
	h->order = order;
	*l = h;
}

static u64 nr_held(struct held *l, struct held ***arr)
{
	u64 n = 0;

	for (struct held *h = l; h; h = h->next)
		n++;
	if (arr) {
		*arr = malloc(n * sizeof(**arr));
		n = 0;
		for (struct held *h = l; h; h = h->next)
			(*arr)[n++] = h;
	}
	return n;
}

static void shuffle(struct held **a, u64 n)
{
	for (u64 i = n; i > 1; i--) {
		u64 j = host_rand() % i;
		struct held *t = a[i - 1];

		a[i - 1] = a[j];
		a[j] = t;
	}
}

static void snapshot(u64 *blocks)
{
	for (unsigned o = 0; o <= MAX_ORDER; o++)
		blocks[o] = page_alloc_nr_free_blocks(o);
}

static bool same_blocks(const u64 *a, const u64 *b)
{
	return !memcmp(a, b, NR_ORDERS * sizeof(u64));
}

/* Unsorted, overlapping, unaligned ranges vs. a per-page model. */
static void test_ranges(void)
{
	const struct phys_range usable[] = {
		{ R(40 << 20) + 123, R(64 << 20) },		/* unaligned start */
		{ R(0), R(8 << 20) - 5 },			/* unaligned end */
		{ R(6 << 20), R(20 << 20) },			/* overlaps prev */
		{ R(30 << 20), R(30 << 20) + 100 },		/* < 1 page */
		{ R(24 << 20), R(26 << 20) },			/* isolated */
	};
	const struct phys_range reserved[] = {
		{ R(10 << 20) + 1, R(10 << 20) + 2 },	/* inside one page */
		{ R(19 << 20), R(25 << 20) },		/* spans a hole */
		{ R(0), R(PAGE_SIZE) },			/* first page */
		{ R(63 << 20), R(70 << 20) },		/* past the end */
		{ R(12 << 20), R(13 << 20) },
		{ R(12 << 20) + 4096, R(12 << 20) + 8192 }, /* inside prev */
	};
	u64 npages = REGION_SIZE / PAGE_SIZE, expect = 0, got = 0, map_pages;
	bool *model = calloc(npages, 1), outside = false;
	struct held *list = NULL;
	void *va;

	for (u64 p = 0; p < npages; p++) {
		phys_addr_t s = R(p * PAGE_SIZE), e = s + PAGE_SIZE;
		bool in = false;

		for (unsigned i = 0; i < ARRAY_SIZE(usable); i++)
			if (s >= usable[i].start && e <= usable[i].end)
				in = true;
		for (unsigned i = 0; i < ARRAY_SIZE(reserved); i++)
			if (s < reserved[i].end && e > reserved[i].start)
				in = false;
		model[p] = in;
		expect += in;
	}
	page_alloc_init(usable, ARRAY_SIZE(usable), reserved,
			ARRAY_SIZE(reserved));
	map_pages = DIV_ROUND_UP((page_alloc_max_phys() - page_alloc_min_phys()) /
				 PAGE_SIZE * sizeof(struct page), PAGE_SIZE);
	while ((va = page_alloc(0))) {
		u64 p = ((uintptr_t)va - (uintptr_t)region) / PAGE_SIZE;

		if (p >= npages || !model[p])
			outside = true;
		hold(&list, va, 0);
		got++;
	}
	tap_ok(!outside, "ranges: every page handed out is usable and not reserved");
	tap_ok(got + map_pages == expect,
	       "ranges: pages handed out (%llu) + descriptor pages (%llu) == model (%llu)",
	       (unsigned long long)got, (unsigned long long)map_pages,
	       (unsigned long long)expect);
	tap_ok(page_alloc_nr_total() == got, "ranges: nr_total == pages handed out");
	while (list) {
		struct held *h = list;

		list = h->next;
		page_free(h, 0);
	}
	tap_ok(page_alloc_nr_free() == got && page_alloc_check() == 0,
	       "ranges: all freed back, free lists consistent");
	free(model);
}

static void init_whole(void)
{
	const struct phys_range usable = { R(0), R(REGION_SIZE) };
	const struct phys_range reserved = { R(3 << 20) + 77, R(5 << 20) };

	page_alloc_init(&usable, 1, &reserved, 1);
}

static void test_drain_refill(void)
{
	u64 start, before[NR_ORDERS], after[NR_ORDERS], n, got;
	struct held *list = NULL, **arr;
	void *va;

	init_whole();
	start = page_alloc_nr_free();
	snapshot(before);

	/* Page by page, freed in random order. */
	for (got = 0; (va = page_alloc(0)); got++)
		hold(&list, va, 0);
	tap_ok(got == start && page_alloc_nr_free() == 0,
	       "drain: %llu single pages == nr_free at start",
	       (unsigned long long)got);
	n = nr_held(list, &arr);
	shuffle(arr, n);
	for (u64 i = 0; i < n; i++)
		page_free(arr[i], 0);
	free(arr);
	list = NULL;
	snapshot(after);
	tap_ok(page_alloc_nr_free() == start && same_blocks(before, after),
	       "drain: random-order frees coalesce back to the maximal blocks");

	/* Mixed orders until exhaustion, freed in random order. */
	got = 0;
	for (;;) {
		unsigned o = host_rand() % NR_ORDERS;

		va = page_alloc(o);
		if (!va) {
			while (o > 0 && !(va = page_alloc(--o)))
				;
			if (!va)
				break;
		}
		hold(&list, va, o);
		got += 1ULL << o;
	}
	tap_ok(got == start, "mixed orders: all %llu pages handed out",
	       (unsigned long long)got);
	n = nr_held(list, &arr);
	shuffle(arr, n);
	for (u64 i = 0; i < n; i++)
		page_free(arr[i], arr[i]->order);
	free(arr);
	snapshot(after);
	tap_ok(page_alloc_nr_free() == start && same_blocks(before, after) &&
	       page_alloc_check() == 0,
	       "mixed orders: coalescing restores maximal blocks, nr_free");
}

static void test_bad_frees(void)
{
	u64 bad0, free0, warn0 = warn_count;
	u8 *a, *b;

	init_whole();
	bad0 = page_alloc_nr_bad_frees();
	a = page_alloc(0);
	b = page_alloc(2);
	free0 = page_alloc_nr_free();
	page_free(a, 0);
	page_free(a, 0);
	tap_ok(warn_count == warn0 + 1, "double free reported (WARN)");
	tap_ok(page_alloc_nr_bad_frees() == bad0 + 1 &&
	       page_alloc_nr_free() == free0 + 1, "double free refused");
	page_free(b + 2 * PAGE_SIZE, 0);
	tap_ok(page_alloc_nr_bad_frees() == bad0 + 2, "tail-page free refused");
	page_free(b, 1);
	tap_ok(page_alloc_nr_bad_frees() == bad0 + 3, "wrong-order free refused");
	page_free(region + (4 << 20), 0);
	tap_ok(page_alloc_nr_bad_frees() == bad0 + 4 &&
	       page_state(virt_to_page(region + (4 << 20))) == PAGE_RESERVED,
	       "reserved-page free refused");
	page_free(b, 2);
	tap_ok(page_alloc_nr_free() == free0 + 5 && page_alloc_check() == 0,
	       "allocator intact after refused frees");
	tap_ok(warn_count == warn0 + 4, "each refused free WARNs once");
	host_expect_reports(4);
	if (MM_DEBUG) {
		bool poisoned = true;

		for (unsigned i = 0; i < PAGE_SIZE; i++)
			if (a[i] != PAGE_POISON_BYTE)
				poisoned = false;
		tap_ok(poisoned, "freed page poisoned");
	} else {
		tap_skip("freed page poisoned", "CONFIG_DEBUG=0");
	}
}

/* Random alloc/free with a tag in every page to catch overlaps. */
static void test_random_stress(unsigned long iters)
{
	enum { SLOTS = 512 };
	static u64 *slot[SLOTS];
	static unsigned slot_order[SLOTS];
	u64 start;
	bool ok = true;

	init_whole();
	start = page_alloc_nr_free();
	memset(slot, 0, sizeof(slot));
	for (unsigned long i = 0; i < iters; i++) {
		unsigned s = host_rand() % SLOTS;

		if (slot[s]) {
			for (u64 p = 0; p < (1ULL << slot_order[s]); p++)
				if (slot[s][p * PAGE_SIZE / 8] != s + p * SLOTS)
					ok = false;
			page_free(slot[s], slot_order[s]);
			slot[s] = NULL;
		} else {
			unsigned o = host_rand() % 6;

			slot[s] = page_alloc(o);
			slot_order[s] = o;
			for (u64 p = 0; slot[s] && p < (1ULL << o); p++)
				slot[s][p * PAGE_SIZE / 8] = s + p * SLOTS;
		}
	}
	for (unsigned s = 0; s < SLOTS; s++)
		if (slot[s])
			page_free(slot[s], slot_order[s]);
	tap_ok(ok && page_alloc_nr_free() == start && page_alloc_check() == 0 &&
	       page_alloc_nr_bad_frees() == 0,
	       "random stress (%lu ops, seed %llu): no overlap, all back",
	       iters, (unsigned long long)host_seed());
}

static bool mt_ok = true;

static void mt_worker(void *arg, unsigned int cpu)
{
	unsigned long iters = *(unsigned long *)arg;
	u64 *mine[32] = { 0 };
	unsigned ord[32];

	for (unsigned long i = 0; i < iters; i++) {
		unsigned s = host_rand() % 32;

		if (mine[s]) {
			if (mine[s][0] != ((u64)cpu << 32 | s))
				__atomic_store_n(&mt_ok, false, __ATOMIC_RELAXED);
			page_free(mine[s], ord[s]);
			mine[s] = NULL;
		} else {
			ord[s] = host_rand() % 4;
			mine[s] = page_alloc(ord[s]);
			if (mine[s])
				mine[s][0] = (u64)cpu << 32 | s;
		}
	}
	for (unsigned s = 0; s < 32; s++)
		if (mine[s])
			page_free(mine[s], ord[s]);
}

static void test_threads(unsigned long iters)
{
	u64 start;

	init_whole();
	start = page_alloc_nr_free();
	host_run_cpus(4, mt_worker, &iters);
	tap_ok(mt_ok && page_alloc_nr_free() == start &&
	       page_alloc_check() == 0 && page_alloc_nr_bad_frees() == 0,
	       "4 CPUs alloc/free concurrently: no overlap, all back");
}

static bool page_is_zero(const u8 *p)
{
	for (unsigned i = 0; i < PAGE_SIZE; i++)
		if (p[i])
			return false;
	return true;
}

/*
 * The zero pool: refilled frames count as free, come back zeroed, are
 * double frees if freed, go back to the buddy when memory runs out, and
 * the pool never grows past its target nor while free memory is low.
 */
static void test_zero_pool(void)
{
	struct zero_pool_stats st;
	u64 start, before[NR_ORDERS], after[NR_ORDERS], n = 0, bad0, got = 0;
	struct held *list = NULL;
	bool zero = true;
	u8 *a;
	void *va;

	init_whole();
	start = page_alloc_nr_free();
	snapshot(before);
	tap_ok(!page_zero_pool_refill(), "zero pool: off by default (no refill)");
	page_zero_pool_set_target(64);
	while (page_zero_pool_refill())
		n++;
	page_zero_pool_stats(&st);
	tap_ok(n == 64 && st.pages == 64 && page_alloc_nr_free() == start &&
	       page_alloc_check() == 0,
	       "zero pool: fills to its target (%llu), frames still count free",
	       (unsigned long long)n);
	/* Dirty every frame the pool may hand out: only clearing makes 0. */
	for (unsigned i = 0; i < 64; i++) {
		a = page_alloc_zeroed(0);
		zero &= a && page_is_zero(a);
		memset(a, 0x5a, PAGE_SIZE);
		hold(&list, a, 0);
	}
	page_zero_pool_stats(&st);
	tap_ok(zero && st.hits == 64 && st.misses == 0 && st.pages == 0,
	       "zero pool: 64 allocations served zeroed from it");
	while (list) {
		struct held *h = list;

		list = h->next;
		page_free(h, 0);
	}
	while (page_zero_pool_refill())
		;
	a = page_alloc_zeroed(0);
	tap_ok(a && page_is_zero(a), "zero pool: a frame freed dirty comes back zeroed");
	page_free(a, 0);

	/* A frame in the pool is free: freeing it is a double free. */
	while (page_zero_pool_refill())
		;
	bad0 = page_alloc_nr_bad_frees();
	a = page_alloc_zeroed(0);
	page_free(a, 0);	/* to the buddy lists */
	page_zero_pool_refill();
	{
		struct page *pg = NULL;

		for (u64 off = 0; off < REGION_SIZE && !pg; off += PAGE_SIZE) {
			struct page *p = virt_to_page(region + off);

			if (p && page_test_flag(p, PG_zeroed))
				pg = p;
		}
		if (pg)
			page_free(page_to_virt(pg), 0);
		tap_ok(pg && page_alloc_nr_bad_frees() == bad0 + 1 &&
		       page_state(pg) == PAGE_FREE && page_alloc_check() == 0,
		       "zero pool: freeing a pooled frame is refused as a double free");
		host_expect_reports(1);
	}

	/* Out of memory: the pool goes back to the buddy, every page serves. */
	for (int o = MAX_ORDER; o >= 0; o--)
		while ((va = page_alloc(o))) {
			hold(&list, va, o);
			got += 1ULL << o;
		}
	page_zero_pool_stats(&st);
	tap_ok(got == start && page_alloc_nr_free() == 0 && st.pages == 0 &&
	       !page_zero_pool_refill(),
	       "zero pool: drained when memory runs out (%llu of %llu pages out), no refill at 0 free",
	       (unsigned long long)got, (unsigned long long)start);
	while (list) {
		struct held *h = list;

		list = h->next;
		page_free(h, h->order);
	}
	page_zero_pool_suspend();
	snapshot(after);
	tap_ok(page_alloc_nr_free() == start && same_blocks(before, after) &&
	       page_alloc_check() == 0,
	       "zero pool: suspended, the buddy lists coalesce back whole");
}

/* One CPU refills the pool while three allocate zeroed pages and free. */
static bool zp_stop, zp_ok = true;

static void zp_worker(void *arg, unsigned int cpu)
{
	unsigned long iters = *(unsigned long *)arg;
	u8 *mine[16] = { 0 };

	if (cpu == 0) {
		while (!__atomic_load_n(&zp_stop, __ATOMIC_ACQUIRE))
			if (!page_zero_pool_refill())
				cpu_relax();
		return;
	}
	for (unsigned long i = 0; i < iters; i++) {
		unsigned s = host_rand() % 16;

		if (mine[s]) {
			page_free(mine[s], 0);
			mine[s] = NULL;
			continue;
		}
		mine[s] = page_alloc_zeroed(0);
		if (!mine[s] || !page_is_zero(mine[s]))
			__atomic_store_n(&zp_ok, false, __ATOMIC_RELAXED);
		if (mine[s])
			memset(mine[s], cpu, PAGE_SIZE);
	}
	for (unsigned s = 0; s < 16; s++)
		page_free(mine[s], 0);
}

static void zp_run(void *arg, unsigned int cpu)
{
	static unsigned done;

	zp_worker(arg, cpu);
	if (cpu && __atomic_add_fetch(&done, 1, __ATOMIC_ACQ_REL) == 3)
		__atomic_store_n(&zp_stop, true, __ATOMIC_RELEASE);
}

static void test_zero_pool_threads(unsigned long iters)
{
	struct zero_pool_stats st;
	u64 start;

	init_whole();
	start = page_alloc_nr_free();
	page_zero_pool_set_target(32);
	host_run_cpus(4, zp_run, &iters);
	page_zero_pool_stats(&st);
	page_zero_pool_suspend();
	tap_ok(zp_ok && page_alloc_nr_free() == start &&
	       page_alloc_check() == 0 && page_alloc_nr_bad_frees() == 0 &&
	       st.hits > 0,
	       "zero pool refilled by one CPU while 3 allocate: every page zero, all back (%llu hits, %llu misses)",
	       (unsigned long long)st.hits, (unsigned long long)st.misses);
}

/*
 * Pool frames never stop being free: while one CPU refills and another
 * keeps draining the pool, a third must read the same nr_free every time.
 */
static u64 nf_expect;
static bool nf_stop, nf_ok = true;
static unsigned long nf_reads;

static void nf_worker(void *arg, unsigned int cpu)
{
	unsigned long drains = *(unsigned long *)arg;
	struct zero_pool_stats st;

	if (cpu == 0) {
		while (!__atomic_load_n(&nf_stop, __ATOMIC_ACQUIRE))
			if (!page_zero_pool_refill())
				cpu_relax();
	} else if (cpu == 1) {
		/* Drain a full pool: 256 frames go back to the buddy each time. */
		for (unsigned long i = 0; i < drains; i++) {
			do {
				page_zero_pool_stats(&st);
			} while (st.pages < st.target);
			page_zero_pool_set_target(0);
			page_zero_pool_set_target(256);
		}
		__atomic_store_n(&nf_stop, true, __ATOMIC_RELEASE);
	} else {
		while (!__atomic_load_n(&nf_stop, __ATOMIC_ACQUIRE)) {
			if (page_alloc_nr_free() != nf_expect)
				__atomic_store_n(&nf_ok, false, __ATOMIC_RELAXED);
			nf_reads++;
		}
	}
}

static void test_zero_pool_nr_free_steady(unsigned long iters)
{
	init_whole();
	nf_expect = page_alloc_nr_free();
	page_zero_pool_set_target(256);
	host_run_cpus(3, nf_worker, &iters);
	page_zero_pool_suspend();
	tap_ok(nf_ok && page_alloc_nr_free() == nf_expect &&
	       page_alloc_check() == 0,
	       "zero pool refilled and drained %lu times meanwhile: nr_free read %lu times, never moved",
	       iters, nf_reads);
}

static u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void measure(void)
{
	enum { N = 4096 };
	static void *p[N];
	u64 t0, t1, t2;

	init_whole();
	t0 = now_ns();
	for (unsigned i = 0; i < N; i++)
		p[i] = page_alloc(0);
	t1 = now_ns();
	for (unsigned i = 0; i < N; i++)
		page_free(p[i], 0);
	t2 = now_ns();
	tap_diag("order-0 page_alloc %llu ns/op, page_free %llu ns/op (this build; poisoning=%d)",
		 (unsigned long long)((t1 - t0) / N),
		 (unsigned long long)((t2 - t1) / N), MM_DEBUG);
}

int main(void)
{
	bool stress = getenv("HOST_STRESS") != NULL;

	host_set_resched_rate(0);
	region = aligned_alloc(REGION_ALIGN, REGION_SIZE);
	if (!region)
		return 1;
	tap_plan(27);
	test_ranges();
	test_drain_refill();
	test_bad_frees();
	test_random_stress(stress ? 5000000 : 200000);
	test_threads(stress ? 2000000 : 20000);
	test_zero_pool();
	test_zero_pool_threads(stress ? 1000000 : 20000);
	test_zero_pool_nr_free_steady(stress ? 5000 : 200);
	measure();
	free(region);
	return tap_done();
}
