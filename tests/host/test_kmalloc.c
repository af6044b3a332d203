// SPDX-License-Identifier: MIT
/*
 * mm/kmalloc.c + mm/page_alloc.c, unchanged, over fake physical memory:
 * every size class, large objects, pages returning to the buddy, refusal
 * of bad kfree()s, and concurrent kmalloc/kfree with content checks.
 */
// host-srcs: mm/page_alloc.c mm/kmalloc.c
#include "mm/kmalloc.h"
#include "mm/page_alloc.h"
#include "kernel/log.h"
#include "tests/host/platform_host.h"
#include "tests/host/tap.h"

#include <stdlib.h>
#include <string.h>

#define REGION_SIZE	(32UL << 20)

static u8 *region;

static void test_classes(void)
{
	u64 free0 = page_alloc_nr_free(), live0 = kmalloc_nr_live();
	bool aligned = true, intact = true;
	void *p[2100];

	for (size_t s = 1; s <= 2048; s++) {
		size_t cls = 16;

		while (cls < s)
			cls <<= 1;
		p[s] = kmalloc(s);
		if (!p[s] || !IS_ALIGNED((uintptr_t)p[s], cls) ||
		    ksize(p[s]) != cls)
			aligned = false;
		else
			memset(p[s], (int)(s & 0xff), s);
	}
	tap_ok(aligned, "sizes 1..2048: naturally aligned to their class");
	tap_ok(kmalloc_nr_live() == live0 + 2048, "nr_live counts objects");
	for (size_t s = 1; s <= 2048; s++) {
		for (size_t i = 0; p[s] && i < s; i++)
			if (((u8 *)p[s])[i] != (u8)(s & 0xff))
				intact = false;
		kfree(p[s]);
	}
	tap_ok(intact, "contents survive neighbours' writes");
	tap_ok(kmalloc_nr_live() == live0 && kmalloc_nr_slab_pages() == 0 &&
	       page_alloc_nr_free() == free0,
	       "kfree returns every slab page to the buddy");
}

static void test_large(void)
{
	u64 free0 = page_alloc_nr_free();
	u8 *p = kzalloc(100000);
	bool zero = true;

	for (size_t i = 0; p && i < 100000; i++)
		if (p[i])
			zero = false;
	tap_ok(p && IS_ALIGNED((uintptr_t)p, PAGE_SIZE) && zero &&
	       ksize(p) == 131072, "large kzalloc: page aligned, zeroed, order 5");
	kfree(p);
	tap_ok(page_alloc_nr_free() == free0 && kmalloc_nr_live() == 0,
	       "large kfree returns the block");
	tap_ok(kmalloc((PAGE_SIZE << MAX_ORDER) + 1) == NULL,
	       "larger than a max-order block: NULL");
}

static void test_bad(void)
{
	u64 bad0 = kmalloc_nr_bad_frees(), w0 = warn_count;
	u8 *a = kmalloc(128), *keep = kmalloc(128), *big = kmalloc(5000);
	void *pg = page_alloc(0);
	static int not_heap;

	kfree(NULL);
	tap_ok(kmalloc_nr_bad_frees() == bad0, "kfree(NULL) is fine");
	kfree(a + 4);
	tap_ok(kmalloc_nr_bad_frees() == bad0 + 1, "interior pointer refused");
	kfree(a);
	kfree(a);
	tap_ok(kmalloc_nr_bad_frees() == bad0 + 2, "double free refused");
	kfree(pg);
	tap_ok(kmalloc_nr_bad_frees() == bad0 + 3, "page_alloc() page refused");
	kfree(&not_heap);
	tap_ok(kmalloc_nr_bad_frees() == bad0 + 4, "non-heap address refused");
	kfree(big);
	kfree(big);
	tap_ok(kmalloc_nr_bad_frees() == bad0 + 5, "large double free refused");
	tap_ok(warn_count == w0 + 5, "each refusal WARNs");
	host_expect_reports(5);
	kfree(keep);
	page_free(pg, 0);
	tap_ok(kmalloc_nr_live() == 0 && page_alloc_check() == 0,
	       "heap intact after refusals");
}

static bool mt_ok = true;

static void mt_worker(void *arg, unsigned int cpu)
{
	unsigned long iters = *(unsigned long *)arg;
	u64 *mine[64] = { 0 };

	for (unsigned long i = 0; i < iters; i++) {
		unsigned s = host_rand() % 64;

		if (mine[s]) {
			if (mine[s][0] != ((u64)cpu << 32 | s))
				__atomic_store_n(&mt_ok, false, __ATOMIC_RELAXED);
			kfree(mine[s]);
			mine[s] = NULL;
		} else {
			mine[s] = kmalloc(8 + host_rand() % 3000);
			if (mine[s])
				mine[s][0] = (u64)cpu << 32 | s;
		}
	}
	for (unsigned s = 0; s < 64; s++)
		kfree(mine[s]);
}

int main(void)
{
	unsigned long iters = getenv("HOST_STRESS") ? 2000000 : 20000;
	struct phys_range usable;
	u64 free0;

	host_set_resched_rate(0);
	region = aligned_alloc(PAGE_SIZE << MAX_ORDER, REGION_SIZE);
	if (!region)
		return 1;
	usable.start = (uintptr_t)region;
	usable.end = usable.start + REGION_SIZE;
	page_alloc_init(&usable, 1, NULL, 0);
	tap_plan(16);
	test_classes();
	test_large();
	test_bad();
	free0 = page_alloc_nr_free();
	host_run_cpus(4, mt_worker, &iters);
	tap_ok(mt_ok && kmalloc_nr_live() == 0 && kmalloc_nr_bad_frees() == 5 &&
	       page_alloc_nr_free() == free0,
	       "4 CPUs kmalloc/kfree mixed sizes: no overlap, all back");
	free(region);
	return tap_done();
}
