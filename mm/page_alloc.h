/* SPDX-License-Identifier: MIT */
/*
 * Physical page allocator: a binary buddy allocator over usable RAM, with
 * one descriptor (struct page) per 4 KiB frame.
 *
 * Blocks are 2^order contiguous, naturally aligned frames, order
 * 0..MAX_ORDER. MAX_ORDER is 10 (4 MiB): the largest thing anyone asks for
 * is a 2 MiB huge page (order 9) to back a guest's 2 MiB SPTE, and one order
 * above it keeps 2 MiB blocks coalescing into pairs; going higher only makes
 * the init loop and the free lists longer without serving a caller.
 *
 * Addresses: the direct map is an identity map (DESIGN.md), so a block's
 * kernel VA is its physical address. The descriptor array covers
 * [base, max_phys) where base is the lowest usable address rounded down to a
 * MAX_ORDER block - 0 on every PC, but a hosted test whose "physical memory"
 * is a malloc'ed region gets a small array.
 *
 * The code is portable (no hardware access) and is compiled unchanged into
 * tests/host/test_page_alloc.c.
 */
#ifndef MM_PAGE_ALLOC_H
#define MM_PAGE_ALLOC_H

#include "kernel/compiler.h"

#define MAX_ORDER	10
#define NR_ORDERS	(MAX_ORDER + 1)

struct phys_range {
	phys_addr_t start, end;		/* [start, end), bytes */
};

/* Doubly linked free/partial list; a local type so mm/ depends on nothing. */
struct page_link {
	struct page_link *next, *prev;
};

/*
 * Page flags. Exactly one of PG_reserved, PG_buddy, PG_head is set on a
 * block's first frame; tail frames carry none of them.
 */
enum page_flag {
	PG_reserved = 0,	/* never handed to the buddy (firmware, kernel,
				 * module, the descriptor array, a hole) */
	PG_buddy,		/* first frame of a free block; order valid */
	PG_head,		/* first frame of an allocated block; order valid */
	PG_slab,		/* allocated order-0 frame owned by kmalloc's
				 * size classes; slab_* fields valid */
	PG_kmalloc_large,	/* allocated block owned by a large kmalloc */
	PG_zeroed,		/* free order-0 frame in (or entering) the
				 * zero pool: cleared, not on a buddy list */
};

struct page {
	struct page_link lru;	/* buddy free list, or kmalloc partial list */
	u32 flags;		/* BIT(PG_*); written under the zone lock or by
				 * the block's owner */
	u32 refcount;		/* 1 on allocation; put_page() frees at 0 */
	u8 order;		/* valid with PG_buddy or PG_head */
	u8 slab_class;		/* kmalloc size-class index (PG_slab) */
	u16 slab_inuse;		/* kmalloc objects handed out (PG_slab) */
	u32 __pad;
	void *slab_freelist;	/* first free kmalloc object (PG_slab) */
};

void page_alloc_init(const struct phys_range *usable, unsigned nr_usable,
		     const struct phys_range *reserved, unsigned nr_reserved);

/*
 * Direct-map VA of 2^order naturally aligned frames, NOT zeroed; or NULL.
 * Gives the zero pool back to the buddy lists before it fails.
 */
void *page_alloc(unsigned order);
/* The same, zeroed; order 0 takes a pre-zeroed frame when the pool has one. */
void *page_alloc_zeroed(unsigned order);

/*
 * The zero pool (page_alloc.c): up to @pages free frames kept zeroed
 * ahead of need. 0 (the default) turns it off and empties it.
 */
void page_zero_pool_set_target(u64 pages);
/*
 * Empty the pool, stop refills and wait for one in flight: for tests that
 * need the buddy lists to themselves. Returns the target to restore.
 */
u64 page_zero_pool_suspend(void);
/*
 * Zero one free frame into the pool, unless it is full or free memory is
 * low: true if it did. The kernel's idle loop calls it; it clears 4 KiB
 * with the lock dropped.
 */
bool page_zero_pool_refill(void);
struct zero_pool_stats {
	u64 target, pages;	/* the goal, and frames in the pool now */
	u64 hits, misses;	/* page_alloc_zeroed(0) served by it / not */
};
void page_zero_pool_stats(struct zero_pool_stats *st);
/* page_alloc() restricted to blocks ending at or below limit; slow (scans). */
void *page_alloc_below(unsigned order, phys_addr_t limit);
/*
 * Give back a block from page_alloc(order). A double free, a free of a
 * reserved frame, a free of a tail frame, an order mismatch or a free of a
 * frame kmalloc owns is reported (WARN plus a line naming it) and refused.
 */
void page_free(void *va, unsigned order);
/* An allocated 2^order block becomes 2^order order-0 allocations. */
void page_split(void *va, unsigned order);

/* Descriptor of the frame holding va / pa; NULL outside the managed range. */
struct page *virt_to_page(const void *va);
struct page *phys_to_page(phys_addr_t pa);
phys_addr_t page_to_phys(const struct page *page);
void *page_to_virt(const struct page *page);

/* Reference counting on an allocated block's head frame. */
void get_page(struct page *page);
/* Drops a reference; the last one frees the block (order from the head). */
void put_page(struct page *page);
u32 page_ref_count(const struct page *page);

static inline bool page_test_flag(const struct page *page, enum page_flag f)
{
	return READ_ONCE(page->flags) & BIT(f);
}

/* Smallest order whose block holds size bytes. */
static inline unsigned get_order(size_t size)
{
	unsigned order = 0;

	while ((PAGE_SIZE << order) < size)
		order++;
	return order;
}

/* Counters (pages, not bytes). Read without the lock: a snapshot. */
u64 page_alloc_nr_free(void);
u64 page_alloc_nr_total(void);
u64 page_alloc_nr_free_blocks(unsigned order);
u64 page_alloc_nr_allocs(unsigned order);
u64 page_alloc_nr_frees(unsigned order);
/* Refused page_free() calls (double free, reserved, bad order, ...). */
u64 page_alloc_nr_bad_frees(void);
/* Lowest and highest managed addresses: [min, max). */
phys_addr_t page_alloc_min_phys(void);
phys_addr_t page_alloc_max_phys(void);

/*
 * Why a frame may not be freed, or PAGE_OK. kmalloc uses it to name what
 * went wrong with a pointer that is not a live heap object.
 */
enum page_state {
	PAGE_OK = 0,		/* head of an allocated block */
	PAGE_UNMANAGED,		/* outside the descriptor array */
	PAGE_RESERVED,
	PAGE_FREE,		/* inside a free buddy block */
	PAGE_TAIL,		/* inside an allocated block, not its head */
};
enum page_state page_state(const struct page *page);
const char *page_state_name(enum page_state s);

/*
 * Walk every free list and check the invariants (flags, orders, alignment,
 * counters, no two free buddies left uncoalesced). Returns the number of
 * violations found, each reported with pr_err. For tests; takes the lock.
 */
unsigned page_alloc_check(void);

#endif
