// SPDX-License-Identifier: MIT
/*
 * Binary buddy allocator over physical frames.
 *
 * A free block of order o is 2^o frames whose first frame index (relative
 * to zone.base_pfn, which is MAX_ORDER-aligned, so relative and absolute
 * alignment agree) is a multiple of 2^o. Its buddy is the block at index
 * ^ 2^o. Freeing merges with the buddy while the buddy is a free block of
 * the same order; allocating takes the smallest free block that fits and
 * hands the upper halves of each split back to the lower orders.
 *
 * Invariant: a frame is in exactly one of three states - reserved, inside a
 * free block, inside an allocated block - and only a block's first frame
 * carries PG_buddy or PG_head, plus the order.
 *
 * The zero pool: free order-0 frames that an idle CPU has already zeroed
 * (page_zero_pool_refill(), called from the idle loop), so that
 * page_alloc_zeroed(0) - a guest's first touch of a page, a new page table
 * - does not clear 4 KiB on its caller's time. Pool frames are free memory:
 * they count in nr_free, carry PG_zeroed instead of PG_buddy (a free of one
 * is a double free), and go back to the buddy lists when an allocation
 * would otherwise fail. A frame being zeroed is in neither place but still
 * counted free (nr_zeroing), so nr_free never dips while a refill runs.
 */
#include "mm/page_alloc.h"
#include "mm/mm_debug.h"
#include "kernel/platform.h"
#include "kernel/spinlock.h"
#include "kernel/log.h"

/* Ranges page_alloc_init() can track after subtraction; a PC has ~10. */
#define MAX_RANGES	256
/* What the boot stub's page tables map (boot/boot.asm). */
#define BOOT_MAPPED_LIMIT	(4ULL << 30)

static struct {
	/*
	 * Protects free_area, every descriptor's flags/order while the frame
	 * is free or being freed/allocated, and the counters (which are
	 * written with WRITE_ONCE so the lock-free getters read snapshots).
	 */
	spinlock_t lock;	/* irqsave: interrupt handlers may allocate */
	struct page_link free_area[NR_ORDERS];
	u64 nr_free_blocks[NR_ORDERS];
	u64 nr_allocs[NR_ORDERS];
	u64 nr_frees[NR_ORDERS];
	u64 nr_free;		/* free pages: buddy + zero pool + zeroing */
	/* The zero pool (see the top of this file). */
	struct page_link zero_pool;
	u64 nr_zero_pool;	/* frames on zero_pool */
	u64 nr_zeroing;		/* frames a refill is clearing, unlocked */
	u64 zero_pool_target;	/* refill up to this many; 0: no pool */
	u64 zero_pool_hits, zero_pool_misses;	/* page_alloc_zeroed(0) */
	u64 nr_total;		/* pages handed to the buddy at init */
	u64 nr_bad_frees;
	/* Set once by page_alloc_init(), read-only afterwards. */
	struct page *memmap;	/* descriptor of frame base_pfn + i at [i] */
	u64 base_pfn;
	u64 nr_pages;		/* descriptors in memmap */
} zone = { .lock = SPINLOCK_INIT(zone.lock) };

/* ---- small list helpers (free lists are LIFO: hot blocks first) ---- */

static void link_init(struct page_link *h)
{
	h->next = h->prev = h;
}

static bool link_empty(const struct page_link *h)
{
	return h->next == h;
}

static void link_add(struct page_link *n, struct page_link *h)
{
	n->next = h->next;
	n->prev = h;
	h->next->prev = n;
	h->next = n;
}

static void link_del(struct page_link *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->next = n->prev = NULL;
}

/* ---- descriptors ---- */

static inline u64 page_idx(const struct page *page)
{
	return (u64)(page - zone.memmap);
}

static inline void set_flag(struct page *page, enum page_flag f)
{
	WRITE_ONCE(page->flags, page->flags | (u32)BIT(f));
}

static inline void clear_flag(struct page *page, enum page_flag f)
{
	WRITE_ONCE(page->flags, page->flags & ~(u32)BIT(f));
}

struct page *phys_to_page(phys_addr_t pa)
{
	u64 pfn = pa >> PAGE_SHIFT;

	if (pfn < zone.base_pfn || pfn - zone.base_pfn >= zone.nr_pages)
		return NULL;
	return &zone.memmap[pfn - zone.base_pfn];
}

struct page *virt_to_page(const void *va)
{
	return phys_to_page((phys_addr_t)(uintptr_t)va);
}

phys_addr_t page_to_phys(const struct page *page)
{
	return (zone.base_pfn + page_idx(page)) << PAGE_SHIFT;
}

void *page_to_virt(const struct page *page)
{
	return (void *)(uintptr_t)page_to_phys(page);
}

/* ---- buddy core; callers hold zone.lock ---- */

static void free_area_add(struct page *page, unsigned order)
{
	page->order = order;
	set_flag(page, PG_buddy);
	link_add(&page->lru, &zone.free_area[order]);
	WRITE_ONCE(zone.nr_free_blocks[order], zone.nr_free_blocks[order] + 1);
}

static void free_area_del(struct page *page, unsigned order)
{
	link_del(&page->lru);
	clear_flag(page, PG_buddy);
	WRITE_ONCE(zone.nr_free_blocks[order], zone.nr_free_blocks[order] - 1);
}

/*
 * Put a block (no flags set on its head) on the lists, merging buddies.
 * Counts nothing: the zero pool moves frames that stay free, and the
 * lock-free reader of nr_free must never see it dip and come back.
 */
static void __merge_free_block(struct page *page, unsigned order)
{
	u64 idx = page_idx(page);

	while (order < MAX_ORDER) {
		u64 buddy_idx = idx ^ (1ULL << order);
		struct page *buddy;

		if (buddy_idx >= zone.nr_pages)
			break;
		buddy = &zone.memmap[buddy_idx];
		if (!page_test_flag(buddy, PG_buddy) || buddy->order != order)
			break;
		free_area_del(buddy, order);
		idx &= buddy_idx;	/* the lower of the two heads */
		order++;
	}
	free_area_add(&zone.memmap[idx], order);
}

static void __free_block(struct page *page, unsigned order)
{
	WRITE_ONCE(zone.nr_free, zone.nr_free + (1ULL << order));
	__merge_free_block(page, order);
}

/*
 * Take free block page (of order o) off its list and split it down to
 * order, handing the upper halves back. Counts nothing (see above).
 */
static struct page *__split_block(struct page *page, unsigned o,
				  unsigned order)
{
	free_area_del(page, o);
	while (o > order) {
		o--;
		free_area_add(page + (1ULL << o), o);
	}
	page->order = order;
	return page;
}

/* The same, as an allocation: head flag, first reference, counters. */
static struct page *__take_block(struct page *page, unsigned o,
				 unsigned order)
{
	__split_block(page, o, order);
	set_flag(page, PG_head);
	WRITE_ONCE(page->refcount, 1);
	WRITE_ONCE(zone.nr_free, zone.nr_free - (1ULL << order));
	WRITE_ONCE(zone.nr_allocs[order], zone.nr_allocs[order] + 1);
	return page;
}

/* The smallest free block of at least @order, still on its list; or NULL. */
static struct page *__find_block(unsigned order, unsigned *found)
{
	unsigned o = order;

	if (unlikely(!zone.memmap))	/* before page_alloc_init() */
		return NULL;
	while (o <= MAX_ORDER && link_empty(&zone.free_area[o]))
		o++;
	if (o > MAX_ORDER)
		return NULL;
	*found = o;
	return container_of(zone.free_area[o].next, struct page, lru);
}

static struct page *__alloc_block(unsigned order)
{
	unsigned o;
	struct page *page = __find_block(order, &o);

	return page ? __take_block(page, o, order) : NULL;
}

/* ---- the zero pool; callers hold zone.lock ---- */

static struct page *__zero_pool_pop(void)
{
	struct page *page;

	if (link_empty(&zone.zero_pool))
		return NULL;
	page = container_of(zone.zero_pool.next, struct page, lru);
	link_del(&page->lru);
	clear_flag(page, PG_zeroed);
	WRITE_ONCE(zone.nr_zero_pool, zone.nr_zero_pool - 1);
	return page;
}

/*
 * Give every pool frame back to the buddy lists, where they merge again:
 * an allocation that found no block may find one after this. The frames
 * stay free and zeroed; only the knowledge that they are zero is lost.
 */
static bool __zero_pool_drain(void)
{
	struct page *page;
	bool any = false;

	while ((page = __zero_pool_pop())) {
		__merge_free_block(page, 0);	/* it was free all along */
		any = true;
	}
	return any;
}

/* __alloc_block(), with the pool given back first if nothing fits. */
static struct page *__alloc_block_or_drain(unsigned order)
{
	struct page *page = __alloc_block(order);

	if (!page && __zero_pool_drain())
		page = __alloc_block(order);
	return page;
}

/*
 * Find what holds a frame without PG_head/PG_buddy: look for the head of a
 * block that contains it at each larger alignment. Blocks are disjoint, so
 * the first head found whose block covers idx is the one.
 */
static enum page_state __page_state(const struct page *page)
{
	u64 idx;
	unsigned o;

	if (!zone.memmap || page < zone.memmap ||
	    page >= zone.memmap + zone.nr_pages)
		return PAGE_UNMANAGED;
	if (page_test_flag(page, PG_reserved))
		return PAGE_RESERVED;
	if (page_test_flag(page, PG_head))
		return PAGE_OK;
	if (page_test_flag(page, PG_buddy) || page_test_flag(page, PG_zeroed))
		return PAGE_FREE;
	idx = page_idx(page);
	for (o = 1; o <= MAX_ORDER; o++) {
		const struct page *head = &zone.memmap[idx & ~((1ULL << o) - 1)];

		if (head->order < o)
			continue;
		if (page_test_flag(head, PG_buddy))
			return PAGE_FREE;
		if (page_test_flag(head, PG_head))
			return PAGE_TAIL;
	}
	/* Unreachable unless descriptors are corrupt. */
	return PAGE_UNMANAGED;
}

enum page_state page_state(const struct page *page)
{
	unsigned long flags = spin_lock_irqsave(&zone.lock);
	enum page_state s = __page_state(page);

	spin_unlock_irqrestore(&zone.lock, flags);
	return s;
}

const char *page_state_name(enum page_state s)
{
	static const char *const names[] = {
		[PAGE_OK] = "allocated",
		[PAGE_UNMANAGED] = "not a managed page",
		[PAGE_RESERVED] = "reserved page",
		[PAGE_FREE] = "double free (page is already free)",
		[PAGE_TAIL] = "not the first page of its allocation",
	};

	return (unsigned)s < ARRAY_SIZE(names) ? names[s] : "?";
}

/* ---- public allocation API ---- */

void *page_alloc(unsigned order)
{
	unsigned long flags;
	struct page *page;

	if (WARN_ON(order > MAX_ORDER))
		return NULL;
	flags = spin_lock_irqsave(&zone.lock);
	page = __alloc_block_or_drain(order);
	spin_unlock_irqrestore(&zone.lock, flags);
	return page ? page_to_virt(page) : NULL;
}

/*
 * Like page_alloc() but only from blocks that end at or below limit. Scans
 * the free lists, so it is for rare callers (page tables built while only
 * the boot identity map exists, low-memory buffers), not hot paths.
 */
void *page_alloc_below(unsigned order, phys_addr_t limit)
{
	struct page *page = NULL;
	unsigned long flags;
	unsigned o;

	if (WARN_ON(order > MAX_ORDER))
		return NULL;
	flags = spin_lock_irqsave(&zone.lock);
	__zero_pool_drain();	/* rare callers: let pool frames qualify */
	for (o = order; o <= MAX_ORDER && !page && zone.memmap; o++) {
		struct page_link *h = &zone.free_area[o], *n;

		for (n = h->next; n != h; n = n->next) {
			struct page *p = container_of(n, struct page, lru);

			if (page_to_phys(p) + (PAGE_SIZE << order) <= limit) {
				page = p;
				break;
			}
		}
	}
	if (page)
		page = __take_block(page, page->order, order);
	spin_unlock_irqrestore(&zone.lock, flags);
	return page ? page_to_virt(page) : NULL;
}

void *page_alloc_zeroed(unsigned order)
{
	struct page *page = NULL;
	unsigned long flags;
	void *va;

	if (order == 0 && READ_ONCE(zone.nr_zero_pool)) {
		flags = spin_lock_irqsave(&zone.lock);
		page = __zero_pool_pop();
		if (page) {
			page->order = 0;
			set_flag(page, PG_head);
			WRITE_ONCE(page->refcount, 1);
			WRITE_ONCE(zone.nr_free, zone.nr_free - 1);
			WRITE_ONCE(zone.nr_allocs[0], zone.nr_allocs[0] + 1);
			WRITE_ONCE(zone.zero_pool_hits, zone.zero_pool_hits + 1);
		}
		spin_unlock_irqrestore(&zone.lock, flags);
	}
	if (page) {
		va = page_to_virt(page);
		/*
		 * A free frame was written since it was zeroed (a use after
		 * free): the canary words at both ends catch most of them.
		 */
		if (MM_DEBUG && (((u64 *)va)[0] || ((u64 *)va)[511])) {
			pr_err("page_alloc: zero-pool frame %p written while free\n",
			       va);
			WARN_ON(1);
		}
		return va;
	}
	if (order == 0 && READ_ONCE(zone.zero_pool_target))
		__atomic_fetch_add(&zone.zero_pool_misses, 1, __ATOMIC_RELAXED);
	va = page_alloc(order);
	if (va)
		__builtin_memset(va, 0, PAGE_SIZE << order);
	return va;
}

void page_zero_pool_set_target(u64 pages)
{
	unsigned long flags = spin_lock_irqsave(&zone.lock);

	WRITE_ONCE(zone.zero_pool_target, pages);
	if (zone.nr_zero_pool > pages) {
		/* Shrink: give everything back; refills bring it to size. */
		__zero_pool_drain();
	}
	spin_unlock_irqrestore(&zone.lock, flags);
}

/*
 * Zero one buddy frame into the pool. Skipped when the pool is full and
 * when free memory is low (pre-zeroing then only moves frames that an
 * allocation of a higher order may need). The clearing runs unlocked, with
 * interrupts as the caller has them.
 */
bool page_zero_pool_refill(void)
{
	unsigned long flags;
	struct page *page = NULL;
	u64 target = READ_ONCE(zone.zero_pool_target);

	if (!target || READ_ONCE(zone.nr_zero_pool) +
		       READ_ONCE(zone.nr_zeroing) >= target)
		return false;
	flags = spin_lock_irqsave(&zone.lock);
	if (zone.nr_zero_pool + zone.nr_zeroing < zone.zero_pool_target &&
	    zone.nr_free - zone.nr_zero_pool - zone.nr_zeroing >
	    4 * zone.zero_pool_target) {
		unsigned o;

		page = __find_block(0, &o);
		if (page) {
			/* Still free memory: nr_free does not change. */
			__split_block(page, o, 0);
			set_flag(page, PG_zeroed);
			WRITE_ONCE(zone.nr_zeroing, zone.nr_zeroing + 1);
		}
	}
	spin_unlock_irqrestore(&zone.lock, flags);
	if (!page)
		return false;
	__builtin_memset(page_to_virt(page), 0, PAGE_SIZE);
	flags = spin_lock_irqsave(&zone.lock);
	WRITE_ONCE(zone.nr_zeroing, zone.nr_zeroing - 1);
	if (zone.nr_zero_pool < zone.zero_pool_target) {
		link_add(&page->lru, &zone.zero_pool);
		WRITE_ONCE(zone.nr_zero_pool, zone.nr_zero_pool + 1);
	} else {
		/* The pool shrank meanwhile (suspend, a new target). */
		clear_flag(page, PG_zeroed);
		__merge_free_block(page, 0);
	}
	spin_unlock_irqrestore(&zone.lock, flags);
	return true;
}

u64 page_zero_pool_suspend(void)
{
	u64 old = READ_ONCE(zone.zero_pool_target);

	page_zero_pool_set_target(0);
	/* A refill past its check finishes into the buddy lists. */
	while (READ_ONCE(zone.nr_zeroing))
		cpu_relax();
	return old;
}

void page_zero_pool_stats(struct zero_pool_stats *st)
{
	st->target = READ_ONCE(zone.zero_pool_target);
	st->pages = READ_ONCE(zone.nr_zero_pool);
	st->hits = READ_ONCE(zone.zero_pool_hits);
	st->misses = __atomic_load_n(&zone.zero_pool_misses, __ATOMIC_RELAXED);
}

static void report_bad_free(const void *va, unsigned order, const char *why,
			    u64 detail)
{
	WRITE_ONCE(zone.nr_bad_frees, zone.nr_bad_frees + 1);
	pr_err("page_free(%p, order %u) refused: %s (%llu)\n", va, order, why,
	       (unsigned long long)detail);
	WARN_ON(1);
}

/*
 * Validate and free one block. expect_ref is the refcount the caller
 * guarantees (1 for page_free, 0 after put_page dropped the last one).
 */
static void free_checked(struct page *page, const void *va, unsigned order,
			 u32 expect_ref)
{
	unsigned long flags = spin_lock_irqsave(&zone.lock);
	enum page_state s = __page_state(page);

	if (s != PAGE_OK) {
		spin_unlock_irqrestore(&zone.lock, flags);
		report_bad_free(va, order, page_state_name(s), 0);
		return;
	}
	if (page->flags & (BIT(PG_slab) | BIT(PG_kmalloc_large))) {
		spin_unlock_irqrestore(&zone.lock, flags);
		report_bad_free(va, order, "page belongs to kmalloc (flags)",
				page->flags);
		return;
	}
	if (page->order != order) {
		spin_unlock_irqrestore(&zone.lock, flags);
		report_bad_free(va, order, "order differs from allocation",
				page->order);
		return;
	}
	if (READ_ONCE(page->refcount) != expect_ref) {
		spin_unlock_irqrestore(&zone.lock, flags);
		report_bad_free(va, order, "page still referenced, refcount",
				page->refcount);
		return;
	}
	clear_flag(page, PG_head);
	WRITE_ONCE(page->refcount, 0);
	/*
	 * Poison under the lock: only now do we know the block was ours to
	 * free, and once it is on a free list another CPU may take it.
	 */
	if (MM_DEBUG)
		__builtin_memset(page_to_virt(page), PAGE_POISON_BYTE,
				 PAGE_SIZE << order);
	WRITE_ONCE(zone.nr_frees[order], zone.nr_frees[order] + 1);
	__free_block(page, order);
	spin_unlock_irqrestore(&zone.lock, flags);
}

void page_free(void *va, unsigned order)
{
	struct page *page;

	if (!va)
		return;
	page = virt_to_page(va);
	if (!page || !IS_ALIGNED((uintptr_t)va, PAGE_SIZE) ||
	    order > MAX_ORDER) {
		enum page_state st = page ? page_state(page) : PAGE_UNMANAGED;

		report_bad_free(va, order, st == PAGE_OK ?
				"bad alignment or order" : page_state_name(st),
				0);
		return;
	}
	free_checked(page, va, order, 1);
}

/*
 * Turn an allocated block of 2^order frames into 2^order order-0 blocks,
 * each freed on its own with page_free(va, 0). The guest memory behind a
 * huge SPTE is allocated as one block (contiguous, aligned) but given
 * back a 4K page at a time when the host reclaims pages inside it; the
 * buddy lists put the block back together as its pieces come home.
 */
void page_split(void *va, unsigned order)
{
	struct page *page = va ? virt_to_page(va) : NULL;
	unsigned long flags;
	u64 i;

	if (!page || !order)
		return;
	flags = spin_lock_irqsave(&zone.lock);
	if (WARN_ON(!page_test_flag(page, PG_head) || page->order != order ||
		    (page->flags & (BIT(PG_slab) | BIT(PG_kmalloc_large))))) {
		spin_unlock_irqrestore(&zone.lock, flags);
		return;
	}
	for (i = 0; i < (1ULL << order); i++) {
		page[i].order = 0;
		page[i].refcount = 1;
		set_flag(&page[i], PG_head);
	}
	spin_unlock_irqrestore(&zone.lock, flags);
}

void get_page(struct page *page)
{
	u32 old = __atomic_fetch_add(&page->refcount, 1, __ATOMIC_RELAXED);

	WARN_ON(old == 0);
}

void put_page(struct page *page)
{
	u32 old = __atomic_fetch_sub(&page->refcount, 1, __ATOMIC_ACQ_REL);

	if (WARN_ON(old == 0)) {
		__atomic_fetch_add(&page->refcount, 1, __ATOMIC_RELAXED);
		return;
	}
	if (old == 1)
		free_checked(page, page_to_virt(page), page->order, 0);
}

u32 page_ref_count(const struct page *page)
{
	return __atomic_load_n(&page->refcount, __ATOMIC_RELAXED);
}

/* ---- counters ---- */

u64 page_alloc_nr_free(void) { return READ_ONCE(zone.nr_free); }
u64 page_alloc_nr_total(void) { return READ_ONCE(zone.nr_total); }
u64 page_alloc_nr_bad_frees(void) { return READ_ONCE(zone.nr_bad_frees); }

u64 page_alloc_nr_free_blocks(unsigned order)
{
	return order <= MAX_ORDER ? READ_ONCE(zone.nr_free_blocks[order]) : 0;
}

u64 page_alloc_nr_allocs(unsigned order)
{
	return order <= MAX_ORDER ? READ_ONCE(zone.nr_allocs[order]) : 0;
}

u64 page_alloc_nr_frees(unsigned order)
{
	return order <= MAX_ORDER ? READ_ONCE(zone.nr_frees[order]) : 0;
}

phys_addr_t page_alloc_min_phys(void)
{
	return zone.base_pfn << PAGE_SHIFT;
}

phys_addr_t page_alloc_max_phys(void)
{
	return (zone.base_pfn + zone.nr_pages) << PAGE_SHIFT;
}

/* ---- consistency check for tests ---- */

unsigned page_alloc_check(void)
{
	unsigned long flags = spin_lock_irqsave(&zone.lock);
	unsigned bad = 0, o;
	u64 pages = 0;

	for (o = 0; o <= MAX_ORDER; o++) {
		const struct page_link *h = &zone.free_area[o];
		const struct page_link *n;
		u64 blocks = 0;

		for (n = h->next; n != h; n = n->next) {
			const struct page *p =
				container_of(n, struct page, lru);
			u64 idx = page_idx(p), bi = idx ^ (1ULL << o);

			blocks++;
			if (p->order != o || !page_test_flag(p, PG_buddy) ||
			    (p->flags & (BIT(PG_head) | BIT(PG_reserved)))) {
				pr_err("free block %llu: order %u flags %#x on list %u\n",
				       (unsigned long long)idx, p->order,
				       p->flags, o);
				bad++;
			}
			if (idx & ((1ULL << o) - 1)) {
				pr_err("free block %llu misaligned for order %u\n",
				       (unsigned long long)idx, o);
				bad++;
			}
			if (o < MAX_ORDER && bi < zone.nr_pages &&
			    page_test_flag(&zone.memmap[bi], PG_buddy) &&
			    zone.memmap[bi].order == o) {
				pr_err("free buddies %llu/%llu not merged (order %u)\n",
				       (unsigned long long)idx,
				       (unsigned long long)bi, o);
				bad++;
			}
		}
		if (blocks != zone.nr_free_blocks[o]) {
			pr_err("order %u: %llu blocks listed, counter %llu\n", o,
			       (unsigned long long)blocks,
			       (unsigned long long)zone.nr_free_blocks[o]);
			bad++;
		}
		pages += blocks << o;
	}
	{
		const struct page_link *n;
		u64 pooled = 0;

		for (n = zone.zero_pool.next; n != &zone.zero_pool; n = n->next) {
			const struct page *p =
				container_of(n, struct page, lru);

			pooled++;
			if (p->flags != BIT(PG_zeroed)) {
				pr_err("zero-pool frame %llu: flags %#x\n",
				       (unsigned long long)page_idx(p),
				       p->flags);
				bad++;
			}
		}
		if (pooled != zone.nr_zero_pool) {
			pr_err("zero pool: %llu frames listed, counter %llu\n",
			       (unsigned long long)pooled,
			       (unsigned long long)zone.nr_zero_pool);
			bad++;
		}
		pages += pooled + zone.nr_zeroing;
	}
	if (pages != zone.nr_free) {
		pr_err("free pages listed %llu, counter %llu\n",
		       (unsigned long long)pages,
		       (unsigned long long)zone.nr_free);
		bad++;
	}
	spin_unlock_irqrestore(&zone.lock, flags);
	return bad;
}

/* ---- initialisation ---- */

/* Scratch for range arithmetic; page_alloc_init runs once, before SMP. */
static struct phys_range free_ranges[MAX_RANGES];
static unsigned nr_free_ranges;

/* Insert [s, e) keeping free_ranges sorted and disjoint (merging). */
static void range_add(phys_addr_t s, phys_addr_t e)
{
	unsigned i, j;

	if (s >= e)
		return;
	for (i = 0; i < nr_free_ranges && free_ranges[i].end < s; i++)
		;
	/* Ranges i..j-1 touch or overlap [s, e): fold them in. */
	for (j = i; j < nr_free_ranges && free_ranges[j].start <= e; j++) {
		s = MIN(s, free_ranges[j].start);
		e = MAX(e, free_ranges[j].end);
	}
	if (j == i) {
		if (nr_free_ranges == MAX_RANGES)
			panic("page_alloc_init: more than %d ranges",
			      MAX_RANGES);
		__builtin_memmove(&free_ranges[i + 1], &free_ranges[i],
				  (nr_free_ranges - i) * sizeof(free_ranges[0]));
		nr_free_ranges++;
	} else if (j > i + 1) {
		__builtin_memmove(&free_ranges[i + 1], &free_ranges[j],
				  (nr_free_ranges - j) * sizeof(free_ranges[0]));
		nr_free_ranges -= j - i - 1;
	}
	free_ranges[i].start = s;
	free_ranges[i].end = e;
}

/* Remove [s, e) from free_ranges. */
static void range_sub(phys_addr_t s, phys_addr_t e)
{
	unsigned i = 0;

	if (s >= e)
		return;
	while (i < nr_free_ranges) {
		struct phys_range *r = &free_ranges[i];

		if (r->end <= s || r->start >= e) {
			i++;
		} else if (r->start >= s && r->end <= e) {
			__builtin_memmove(r, r + 1, (nr_free_ranges - i - 1) *
					  sizeof(*r));
			nr_free_ranges--;
		} else if (r->start < s && r->end > e) {
			phys_addr_t old_end = r->end;

			r->end = s;
			range_add(e, old_end);
			return;
		} else if (r->start < s) {
			r->end = s;
			i++;
		} else {
			r->start = e;
			i++;
		}
	}
}

static void free_range_to_buddy(phys_addr_t start, phys_addr_t end)
{
	u64 idx = (start >> PAGE_SHIFT) - zone.base_pfn;
	u64 end_idx = (end >> PAGE_SHIFT) - zone.base_pfn;

	while (idx < end_idx) {
		unsigned order = MAX_ORDER;

		while (order && ((idx & ((1ULL << order) - 1)) ||
				 idx + (1ULL << order) > end_idx))
			order--;
		for (u64 i = 0; i < (1ULL << order); i++)
			clear_flag(&zone.memmap[idx + i], PG_reserved);
		__free_block(&zone.memmap[idx], order);
		zone.nr_total += 1ULL << order;
		idx += 1ULL << order;
	}
}

/* Top-most page-aligned spot of size bytes in a free range below limit. */
static phys_addr_t place_below(phys_addr_t size, phys_addr_t limit)
{
	unsigned i;

	for (i = nr_free_ranges; i-- > 0;) {
		phys_addr_t end = MIN(free_ranges[i].end, limit);

		if (end > free_ranges[i].start &&
		    end - free_ranges[i].start >= size)
			return end - size;
	}
	return 0;
}

void page_alloc_init(const struct phys_range *usable, unsigned nr_usable,
		     const struct phys_range *reserved, unsigned nr_reserved)
{
	phys_addr_t lo = ~0ULL, hi = 0, map_bytes, map_at = 0, usable_bytes = 0;
	unsigned i, o;

	/*
	 * Runs once in the kernel, before other CPUs start. Hosted tests call
	 * it again for each scenario; that forgets all earlier state.
	 */
	__builtin_memset(&zone, 0, sizeof(zone));
	spin_lock_init(&zone.lock, "zone.lock");
	nr_free_ranges = 0;
	for (i = 0; i < nr_usable; i++) {
		phys_addr_t s = ALIGN_UP(usable[i].start, PAGE_SIZE);
		phys_addr_t e = ALIGN_DOWN(usable[i].end, PAGE_SIZE);

		if (s >= e)
			continue;
		range_add(s, e);
		lo = MIN(lo, s);
		hi = MAX(hi, e);
	}
	for (i = 0; i < nr_free_ranges; i++)
		usable_bytes += free_ranges[i].end - free_ranges[i].start;
	/* Frame 0 is never handed out: its address is NULL. */
	range_sub(0, PAGE_SIZE);
	/* Reserved ranges grow outward: a partly reserved page is reserved. */
	for (i = 0; i < nr_reserved; i++)
		range_sub(ALIGN_DOWN(reserved[i].start, PAGE_SIZE),
			  ALIGN_UP(reserved[i].end, PAGE_SIZE));
	if (!nr_free_ranges)
		panic("page_alloc_init: no usable memory");

	zone.base_pfn = ALIGN_DOWN(lo >> PAGE_SHIFT, 1ULL << MAX_ORDER);
	zone.nr_pages = (hi >> PAGE_SHIFT) - zone.base_pfn;
	map_bytes = ALIGN_UP(zone.nr_pages * sizeof(struct page), PAGE_SIZE);

	/*
	 * The descriptor array goes at the top of the highest range it fits,
	 * below 4 GiB if possible: until paging_init() runs, the boot page
	 * tables map only the first 4 GiB. (Hosted "RAM" lies above 4 GiB and
	 * takes the second pass.)
	 */
	map_at = place_below(map_bytes, BOOT_MAPPED_LIMIT);
	if (!map_at)
		map_at = place_below(map_bytes, ~0ULL);
	if (!map_at)
		panic("page_alloc_init: no room for %llu KiB of descriptors",
		      (unsigned long long)(map_bytes >> 10));
	range_sub(map_at, map_at + map_bytes);
	zone.memmap = (struct page *)(uintptr_t)map_at;

	for (u64 idx = 0; idx < zone.nr_pages; idx++) {
		__builtin_memset(&zone.memmap[idx], 0, sizeof(struct page));
		zone.memmap[idx].flags = BIT(PG_reserved);
	}
	for (o = 0; o <= MAX_ORDER; o++)
		link_init(&zone.free_area[o]);
	link_init(&zone.zero_pool);
	for (i = 0; i < nr_free_ranges; i++)
		free_range_to_buddy(free_ranges[i].start, free_ranges[i].end);

	pr_info("mm: %llu MiB usable, %llu MiB free in %u ranges (%llu KiB of page descriptors at %#llx)\n",
		(unsigned long long)(usable_bytes >> 20),
		(unsigned long long)((zone.nr_free << PAGE_SHIFT) >> 20),
		nr_free_ranges, (unsigned long long)(map_bytes >> 10),
		(unsigned long long)map_at);
}
