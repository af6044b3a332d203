// SPDX-License-Identifier: MIT
/*
 * In-kernel tests of the page allocator, the heap and the identity map.
 *
 * Each test gives back everything it took: the runner fails a test whose
 * free-page or live-object count changed.
 */
#include "arch/x86/acpi.h"
#include "kernel/ktest.h"
#include "kernel/log.h"
#include "kernel/sched.h"
#include "kernel/thread.h"
#include "mm/page_alloc.h"
#include "mm/kmalloc.h"
#include "mm/paging.h"
#include "mm/mm_debug.h"

/*
 * Blocks held by a test are chained through their own first two words, so
 * holding all of memory needs no memory.
 */
struct held {
	struct held *next;
	u64 order;
};

static void hold(struct held **list, void *va, unsigned order)
{
	struct held *h = va;

	h->next = *list;
	h->order = order;
	*list = h;
}

static u64 release_all(struct held **list)
{
	u64 pages = 0;

	while (*list) {
		struct held *h = *list;

		*list = h->next;
		pages += 1ULL << h->order;
		page_free(h, h->order);
		/* Slow under Bochs: the soft-lockup watchdog wants a break. */
		cond_resched();
	}
	return pages;
}

static void snapshot_free_blocks(u64 *blocks)
{
	for (unsigned o = 0; o <= MAX_ORDER; o++)
		blocks[o] = page_alloc_nr_free_blocks(o);
}

/* Hand out every free page (largest blocks first), then take all back. */
KTEST(page_alloc, all_memory_out_and_back)
{
	/* Idle CPUs refilling the zero pool would move blocks meanwhile. */
	u64 pool = page_zero_pool_suspend();
	u64 start = page_alloc_nr_free(), got = 0;
	u64 before[NR_ORDERS], after[NR_ORDERS];
	struct held *list = NULL;
	void *va;

	snapshot_free_blocks(before);
	for (int o = MAX_ORDER; o >= 0; o--) {
		while ((va = page_alloc(o))) {
			KTEST_EXPECT(t, IS_ALIGNED((uintptr_t)va,
						   PAGE_SIZE << o));
			hold(&list, va, o);
			got += 1ULL << o;
			cond_resched();
		}
	}
	KTEST_EXPECT_EQ(t, got, start);
	KTEST_EXPECT_EQ(t, page_alloc_nr_free(), 0);
	KTEST_EXPECT(t, page_alloc(0) == NULL);
	KTEST_EXPECT_EQ(t, release_all(&list), got);
	KTEST_EXPECT_EQ(t, page_alloc_nr_free(), start);
	/*
	 * Coalescing must leave no two free buddies apart (page_alloc_check).
	 * The per-order counts match the start only if no other CPU took or
	 * gave back a page meanwhile (an RCU callback freeing a slab page,
	 * a worker's allocation), which a running kernel cannot promise; the
	 * hosted test_page_alloc checks them exactly, single-threaded.
	 */
	snapshot_free_blocks(after);
	KTEST_EXPECT_EQ(t, page_alloc_check(), 0);
	for (unsigned o = 0; o <= MAX_ORDER; o++)
		if (after[o] != before[o])
			ktest_diag(t, "order %u: %llu free blocks, %llu before (pages moved under us)",
				   o, (unsigned long long)after[o],
				   (unsigned long long)before[o]);
	ktest_diag(t, "%llu pages (%llu MiB) handed out and taken back",
		   (unsigned long long)got, (unsigned long long)(got >> 8));
	page_zero_pool_set_target(pool);
}

/*
 * With every block below MAX_ORDER held, one order-0 allocation must split
 * a max-order block into one free block of each lower order, the next
 * 2^MAX_ORDER - 1 must come from that same block, and freeing them must
 * merge it back whole.
 */
KTEST(page_alloc, split_and_coalesce)
{
	u64 pool = page_zero_pool_suspend();
	u64 max_blocks, n = 0, base;
	struct held *low = NULL, *pages = NULL;
	bool same_block = true;
	void *va;

	for (unsigned o = 0; o < MAX_ORDER; o++)
		while (page_alloc_nr_free_blocks(o) && (va = page_alloc(o)))
			hold(&low, va, o);
	for (unsigned o = 0; o < MAX_ORDER; o++)
		KTEST_EXPECT_EQ(t, page_alloc_nr_free_blocks(o), 0);
	max_blocks = page_alloc_nr_free_blocks(MAX_ORDER);
	if (!KTEST_EXPECT(t, max_blocks > 0))
		goto out;

	va = page_alloc(0);
	base = (uintptr_t)va & ~((PAGE_SIZE << MAX_ORDER) - 1);
	hold(&pages, va, 0);
	n = 1;
	KTEST_EXPECT_EQ(t, page_alloc_nr_free_blocks(MAX_ORDER), max_blocks - 1);
	for (unsigned o = 0; o < MAX_ORDER; o++)
		KTEST_EXPECT_EQ(t, page_alloc_nr_free_blocks(o), 1);

	for (; n < (1ULL << MAX_ORDER); n++) {
		va = page_alloc(0);
		if (!va)
			break;
		if (((uintptr_t)va & ~((PAGE_SIZE << MAX_ORDER) - 1)) != base)
			same_block = false;
		hold(&pages, va, 0);
	}
	KTEST_EXPECT_EQ(t, n, 1ULL << MAX_ORDER);
	KTEST_EXPECT(t, same_block);
	for (unsigned o = 0; o < MAX_ORDER; o++)
		KTEST_EXPECT_EQ(t, page_alloc_nr_free_blocks(o), 0);

	release_all(&pages);
	KTEST_EXPECT_EQ(t, page_alloc_nr_free_blocks(MAX_ORDER), max_blocks);
	for (unsigned o = 0; o < MAX_ORDER; o++)
		KTEST_EXPECT_EQ(t, page_alloc_nr_free_blocks(o), 0);
out:
	release_all(&pages);
	release_all(&low);
	KTEST_EXPECT_EQ(t, page_alloc_check(), 0);
	page_zero_pool_set_target(pool);
}

/*
 * The zero pool is filled by idle CPUs (the idle loop's refill), not by
 * allocators: emptied, it must be full again within a second while this
 * thread sleeps, and a zeroed allocation must then come from it, zeroed.
 */
KTEST(page_alloc, zero_pool_filled_by_idle_cpus)
{
	u64 target = page_zero_pool_suspend();
	struct zero_pool_stats st;
	unsigned int ms = 0;
	u64 hits;
	u64 *p;
	bool zero = true;

	if (!target) {
		page_zero_pool_set_target(target);
		ktest_skip(t, "zero_pool=0 on the command line");
		return;
	}
	page_zero_pool_set_target(target);
	do {
		msleep(10);
		page_zero_pool_stats(&st);
	} while (st.pages < target && (ms += 10) < 1000);
	KTEST_EXPECT_EQ(t, st.pages, target);
	hits = st.hits;
	p = page_alloc_zeroed(0);
	if (!KTEST_EXPECT(t, p != NULL))
		return;
	for (unsigned int i = 0; i < PAGE_SIZE / 8; i++)
		zero &= p[i] == 0;
	KTEST_EXPECT(t, zero);
	page_zero_pool_stats(&st);
	KTEST_EXPECT(t, st.hits > hits);
	page_free(p, 0);
	KTEST_EXPECT_EQ(t, page_alloc_check(), 0);
	ktest_diag(t, "%llu pages zeroed ahead in %u ms", (unsigned long long)target,
		   ms);
}

KTEST(page_alloc, counters_per_order)
{
	u64 a = page_alloc_nr_allocs(3), f = page_alloc_nr_frees(3);
	u64 free0 = page_alloc_nr_free();
	void *va = page_alloc(3);

	if (!KTEST_EXPECT(t, va != NULL))
		return;
	KTEST_EXPECT_EQ(t, page_alloc_nr_allocs(3), a + 1);
	KTEST_EXPECT_EQ(t, page_alloc_nr_free(), free0 - 8);
	KTEST_EXPECT_EQ(t, page_ref_count(virt_to_page(va)), 1);
	page_free(va, 3);
	KTEST_EXPECT_EQ(t, page_alloc_nr_frees(3), f + 1);
	KTEST_EXPECT_EQ(t, page_alloc_nr_free(), free0);
}

KTEST(page_alloc, refcount_last_put_frees)
{
	u64 free0 = page_alloc_nr_free();
	void *va = page_alloc(1);
	struct page *pg;

	if (!KTEST_EXPECT(t, va != NULL))
		return;
	pg = virt_to_page(va);
	get_page(pg);
	KTEST_EXPECT_EQ(t, page_ref_count(pg), 2);
	put_page(pg);
	KTEST_EXPECT_EQ(t, page_alloc_nr_free(), free0 - 2);
	put_page(pg);
	KTEST_EXPECT_EQ(t, page_alloc_nr_free(), free0);
}

/* Each misuse is refused (counted, WARNed) and changes nothing. */
KTEST(page_alloc, bad_frees_refused)
{
	static u8 in_kernel_image[16];
	u64 bad0 = page_alloc_nr_bad_frees(), warn0 = warn_count;
	u64 free0 = page_alloc_nr_free();
	u8 *a = page_alloc(0), *b = page_alloc(1);

	if (!KTEST_EXPECT(t, a && b))
		return;
	page_free(a, 0);
	page_free(a, 0);			/* double free */
	KTEST_EXPECT_EQ(t, page_state(virt_to_page(a)), PAGE_FREE);
	page_free(b + PAGE_SIZE, 0);		/* tail of an allocation */
	KTEST_EXPECT_EQ(t, page_state(virt_to_page(b + PAGE_SIZE)), PAGE_TAIL);
	page_free(b, 0);			/* wrong order */
	page_free(in_kernel_image, 0);		/* reserved: kernel image */
	KTEST_EXPECT_EQ(t, page_alloc_nr_bad_frees(), bad0 + 4);
	KTEST_EXPECT_EQ(t, warn_count, warn0 + 4);
	KTEST_EXPECT_EQ(t, page_alloc_nr_free(), free0 - 2);
	page_free(b, 1);
	KTEST_EXPECT_EQ(t, page_alloc_nr_free(), free0);
	KTEST_EXPECT_EQ(t, page_alloc_check(), 0);
}

KTEST(page_alloc, freed_pages_poisoned)
{
	u64 *p = page_alloc(0);
	bool poisoned = true;

	if (!MM_DEBUG) {
		ktest_skip(t, "CONFIG_DEBUG=0: no poisoning");
		if (p)
			page_free(p, 0);
		return;
	}
	if (!KTEST_EXPECT(t, p != NULL))
		return;
	p[0] = 0x1234;
	page_free(p, 0);
	/* Still identity-mapped: reading it shows what the allocator left. */
	for (unsigned i = 0; i < PAGE_SIZE / 8; i++)
		if (READ_ONCE(p[i]) != PAGE_POISON_U64)
			poisoned = false;
	KTEST_EXPECT(t, poisoned);
}

/* ---- heap ---- */

static void fill(u8 *p, size_t n, u8 seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (u8)(seed + i * 7);
}

static bool check_fill(const u8 *p, size_t n, u8 seed)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != (u8)(seed + i * 7))
			return false;
	return true;
}

KTEST(kmalloc, every_class_aligned_and_intact)
{
	static const size_t sizes[] = {
		1, 8, 16, 17, 31, 32, 33, 64, 100, 128, 200, 256, 500, 512,
		1000, 1024, 1500, 2048,
	};
	void *p[ARRAY_SIZE(sizes)];
	u64 live0 = kmalloc_nr_live();

	for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++) {
		size_t cls = 16;

		while (cls < sizes[i])
			cls <<= 1;
		p[i] = kmalloc(sizes[i]);
		if (!KTEST_EXPECT(t, p[i] != NULL))
			continue;
		KTEST_EXPECT(t, IS_ALIGNED((uintptr_t)p[i], cls));
		KTEST_EXPECT_EQ(t, ksize(p[i]), cls);
		fill(p[i], sizes[i], (u8)i);
	}
	KTEST_EXPECT_EQ(t, kmalloc_nr_live(), live0 + ARRAY_SIZE(sizes));
	for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++) {
		if (!p[i])
			continue;
		KTEST_EXPECT(t, check_fill(p[i], sizes[i], (u8)i));
		kfree(p[i]);
	}
	KTEST_EXPECT_EQ(t, kmalloc_nr_live(), live0);
	KTEST_EXPECT_EQ(t, kmalloc_nr_slab_pages(), 0);
}

/* Many objects of one class span pages; all distinct; pages come back. */
KTEST(kmalloc, many_objects_pages_return)
{
	enum { N = 600 };
	static u64 *objs[N];
	u64 free0 = page_alloc_nr_free();
	bool distinct = true, intact = true;

	for (unsigned i = 0; i < N; i++) {
		objs[i] = kmalloc(32);
		if (!KTEST_EXPECT(t, objs[i] != NULL))
			return;
		objs[i][0] = i;
		objs[i][3] = ~(u64)i;
	}
	KTEST_EXPECT(t, page_alloc_nr_free() < free0);
	for (unsigned i = 1; i < N; i++)
		if (objs[i] == objs[i - 1])
			distinct = false;
	KTEST_EXPECT(t, distinct);
	/* Free every other one first, then the rest: partial pages refill. */
	for (unsigned i = 0; i < N; i += 2)
		kfree(objs[i]);
	for (unsigned i = 1; i < N; i += 2)
		if (objs[i][0] != i || objs[i][3] != ~(u64)i)
			intact = false;
	KTEST_EXPECT(t, intact);
	for (unsigned i = 1; i < N; i += 2)
		kfree(objs[i]);
	KTEST_EXPECT_EQ(t, page_alloc_nr_free(), free0);
}

KTEST(kmalloc, large_allocations)
{
	static const size_t sizes[] = { 2049, 4096, 10000, 65536, 1 << 20 };
	u64 free0 = page_alloc_nr_free();

	for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++) {
		u8 *p = kzalloc(sizes[i]);
		bool zero = true;

		if (!KTEST_EXPECT(t, p != NULL))
			continue;
		KTEST_EXPECT(t, IS_ALIGNED((uintptr_t)p, PAGE_SIZE));
		KTEST_EXPECT(t, ksize(p) >= sizes[i]);
		for (size_t j = 0; j < sizes[i]; j++)
			if (p[j])
				zero = false;
		KTEST_EXPECT(t, zero);
		fill(p, sizes[i], 3);
		KTEST_EXPECT(t, check_fill(p, sizes[i], 3));
		kfree(p);
		KTEST_EXPECT_EQ(t, page_alloc_nr_free(), free0);
	}
	KTEST_EXPECT(t, kmalloc((PAGE_SIZE << MAX_ORDER) + 1) == NULL);
}

KTEST(kmalloc, bad_kfree_refused)
{
	static u64 not_heap;
	u64 bad0 = kmalloc_nr_bad_frees();
	u8 *small = kmalloc(64), *big = kmalloc(8192), *keep = kmalloc(64);
	void *pg = page_alloc(0);

	if (!KTEST_EXPECT(t, small && big && keep && pg))
		goto out;
	kfree(NULL);
	kfree(small + 8);		/* interior pointer */
	kfree(big + PAGE_SIZE);		/* tail page of a large object */
	kfree(pg);			/* page_alloc()'ed, not heap */
	kfree(&not_heap);		/* kernel image */
	kfree(small);
	kfree(small);			/* double free (page still in use) */
	kfree(big);
	kfree(big);			/* double free of a large object */
	small = big = NULL;
	KTEST_EXPECT_EQ(t, kmalloc_nr_bad_frees(), bad0 + 6);
out:
	kfree(small);
	kfree(big);
	kfree(keep);
	page_free(pg, 0);
}

/* ---- identity map ---- */

KTEST(paging, page0_unmapped_rest_mapped)
{
	static u8 in_image;
	phys_addr_t pa;
	u64 fl;

	if (!KTEST_EXPECT(t, paging_root() != 0))
		return;
	KTEST_EXPECT(t, !paging_is_mapped(0));
	KTEST_EXPECT(t, !paging_is_mapped(PAGE_SIZE - 1));
	KTEST_EXPECT(t, paging_is_mapped(PAGE_SIZE));
	KTEST_EXPECT(t, paging_translate((uintptr_t)&in_image, &pa, NULL) &&
			pa == (uintptr_t)&in_image);
	KTEST_EXPECT(t, paging_is_mapped(page_alloc_max_phys() - 1));
	/* RAM ends the map; MMIO the kernel does not use stays out. */
	KTEST_EXPECT(t, paging_ram_end() >= page_alloc_max_phys());
	KTEST_EXPECT(t, paging_ram_end() < MMIO_UC_START);
	KTEST_EXPECT(t, !paging_is_mapped((paging_ram_end() + MMIO_UC_START) / 2));
	KTEST_EXPECT(t, !paging_is_mapped((4ULL << 30) - 1));
	KTEST_EXPECT(t, !paging_is_mapped(0xfd00000000ULL));
	KTEST_EXPECT(t, paging_translate(0xfee00000, &pa, &fl) &&
			pa == 0xfee00000 && (fl & PTE_PCD) && (fl & PTE_PWT));
	/* The IOAPIC is mapped only when the MADT names one. */
	if (acpi_info.nr_ioapics)
		KTEST_EXPECT(t, paging_translate(acpi_info.ioapic_addr, &pa,
						 &fl) && (fl & PTE_PCD));
	KTEST_EXPECT(t, paging_translate(64ULL << 20, &pa, &fl) &&
			!(fl & PTE_PCD));
}

KTEST(paging, unmap_and_remap_4k)
{
	u64 free0 = page_alloc_nr_free();
	/* Two pages, so the neighbour checked below is ours, not a guard page. */
	u64 *p = page_alloc(1);
	u64 va = (uintptr_t)p;

	/*
	 * Splitting the large page that maps p takes up to two page-table
	 * pages; they stay while another 4 KiB change (a guard page) keeps
	 * the range split. The check at the end bounds that instead of the
	 * runner's exact leak check.
	 */
	t->allow_leak = true;
	if (!KTEST_EXPECT(t, p != NULL))
		return;
	p[0] = 0xfeedface;
	KTEST_EXPECT(t, paging_is_mapped(va));
	KTEST_EXPECT_EQ(t, paging_unmap_4k(va), 0);
	KTEST_EXPECT(t, !paging_is_mapped(va));
	/* Neighbours keep their translation after the split. */
	KTEST_EXPECT(t, paging_is_mapped(va + PAGE_SIZE) ||
			va + PAGE_SIZE >= paging_ram_end());
	KTEST_EXPECT(t, paging_is_mapped(va - PAGE_SIZE));
	KTEST_EXPECT_EQ(t, paging_map_4k(va, va, PTE_RW), 0);
	KTEST_EXPECT(t, paging_is_mapped(va));
	KTEST_EXPECT_EQ(t, READ_ONCE(p[0]), 0xfeedface);
	page_free(p, 1);
	KTEST_EXPECT(t, free0 - page_alloc_nr_free() <= 2);
}
