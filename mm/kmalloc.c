// SPDX-License-Identifier: MIT
/*
 * Kernel heap: power-of-two size classes carved from order-0 pages, and
 * whole buddy blocks for large requests. See mm/kmalloc.h.
 *
 * A free small object holds, in its first two words, the next free object
 * of its page and a "free" tag (KMALLOC_FREE_TAG ^ its address). kfree()
 * of an object that already carries the tag walks the page's free list to
 * confirm a double free, so the common path stays O(1) and a live object
 * whose contents happen to look like the tag is never refused.
 */
#include "mm/kmalloc.h"
#include "mm/page_alloc.h"
#include "mm/mm_debug.h"
#include "kernel/spinlock.h"
#include "kernel/log.h"

#define KMALLOC_FREE_TAG	0x4b4d414c4c4f43ULL	/* "KMALLOC" */

struct free_obj {
	struct free_obj *next;
	u64 tag;
};

struct kmem_class {
	/*
	 * Protects partial and, for every page of this class, the page's
	 * slab_freelist/slab_inuse and the free objects' headers. Nests
	 * outside the buddy allocator's lock (pages are taken and given back
	 * with it held), never inside it.
	 */
	spinlock_t lock;		/* irqsave, like the buddy's */
	struct page_link partial;	/* pages with at least one free object */
	u32 size;
	u32 objs_per_page;
	u64 nr_pages;			/* pages owned by this class */
} __cacheline_aligned;

/* Statically initialised so kmalloc works from the first call, on any CPU. */
#define KMEM_CLASS(i) [i] = {						\
	.lock = SPINLOCK_INIT(kmem_class_##i),				\
	.partial = { &classes[i].partial, &classes[i].partial },	\
	.size = KMALLOC_MIN_SIZE << (i),				\
	.objs_per_page = PAGE_SIZE / (KMALLOC_MIN_SIZE << (i)),		\
}
static struct kmem_class classes[KMALLOC_NR_CLASSES] = {
	KMEM_CLASS(0), KMEM_CLASS(1), KMEM_CLASS(2), KMEM_CLASS(3),
	KMEM_CLASS(4), KMEM_CLASS(5), KMEM_CLASS(6), KMEM_CLASS(7),
};
BUILD_BUG_ON((KMALLOC_MIN_SIZE << (KMALLOC_NR_CLASSES - 1)) !=
	     KMALLOC_MAX_SMALL);

static u64 nr_live;		/* atomic */
static u64 nr_bad_frees;	/* atomic */

static unsigned size_to_class(size_t size)
{
	unsigned c = 0;

	while ((size_t)KMALLOC_MIN_SIZE << c < size)
		c++;
	return c;
}

static inline u64 free_tag(const void *obj)
{
	return KMALLOC_FREE_TAG ^ (u64)(uintptr_t)obj;
}

static void partial_add(struct kmem_class *kc, struct page *page)
{
	page->lru.next = kc->partial.next;
	page->lru.prev = &kc->partial;
	kc->partial.next->prev = &page->lru;
	kc->partial.next = &page->lru;
}

static void partial_del(struct page *page)
{
	page->lru.prev->next = page->lru.next;
	page->lru.next->prev = page->lru.prev;
	page->lru.next = page->lru.prev = NULL;
}

static void poison_obj(struct free_obj *obj, u32 size)
{
	if (MM_DEBUG)
		__builtin_memset(obj + 1, KMALLOC_POISON_BYTE,
				 size - sizeof(*obj));
}

/* Debug: a free object whose poison changed was written after kfree(). */
static void check_poison(const struct free_obj *obj, u32 size)
{
	const u8 *b = (const u8 *)(obj + 1);
	u32 i;

	if (!MM_DEBUG)
		return;
	for (i = 0; i < size - sizeof(*obj); i++) {
		if (b[i] != KMALLOC_POISON_BYTE) {
			pr_err("kmalloc: object %p (size %u) written after free at +%zu\n",
			       (const void *)obj, size, i + sizeof(*obj));
			WARN_ON(1);
			return;
		}
	}
}

/* Called with kc->lock held: a fresh page with every object free. */
static struct page *slab_page_new(struct kmem_class *kc, unsigned class)
{
	u8 *base = page_alloc(0);
	struct free_obj *prev = NULL;
	struct page *page;
	u32 i;

	if (!base)
		return NULL;
	page = virt_to_page(base);
	/* Build the free list back to front so objects go out in order. */
	for (i = kc->objs_per_page; i-- > 0;) {
		struct free_obj *obj = (struct free_obj *)(base + i * kc->size);

		obj->next = prev;
		obj->tag = free_tag(obj);
		poison_obj(obj, kc->size);
		prev = obj;
	}
	page->slab_freelist = prev;
	page->slab_inuse = 0;
	page->slab_class = class;
	WRITE_ONCE(page->flags, page->flags | (u32)BIT(PG_slab));
	WRITE_ONCE(kc->nr_pages, kc->nr_pages + 1);
	partial_add(kc, page);
	return page;
}

static void *kmalloc_small(size_t size)
{
	unsigned class = size_to_class(size);
	struct kmem_class *kc = &classes[class];
	struct free_obj *obj;
	unsigned long flags;
	struct page *page;

	flags = spin_lock_irqsave(&kc->lock);
	if (kc->partial.next == &kc->partial) {
		if (!slab_page_new(kc, class)) {
			spin_unlock_irqrestore(&kc->lock, flags);
			return NULL;
		}
	}
	page = container_of(kc->partial.next, struct page, lru);
	obj = page->slab_freelist;
	page->slab_freelist = obj->next;
	page->slab_inuse++;
	if (!page->slab_freelist)
		partial_del(page);	/* full pages sit on no list */
	check_poison(obj, kc->size);
	obj->tag = 0;
	spin_unlock_irqrestore(&kc->lock, flags);
	return obj;
}

static void *kmalloc_large(size_t size)
{
	unsigned order = get_order(size);
	struct page *page;
	void *p;

	if (order > MAX_ORDER)
		return NULL;
	p = page_alloc(order);
	if (!p)
		return NULL;
	page = virt_to_page(p);
	__atomic_fetch_or(&page->flags, (u32)BIT(PG_kmalloc_large),
			  __ATOMIC_RELAXED);
	return p;
}

void *kmalloc(size_t size)
{
	void *p;

	p = size <= KMALLOC_MAX_SMALL ? kmalloc_small(size) :
					kmalloc_large(size);
	if (p)
		__atomic_fetch_add(&nr_live, 1, __ATOMIC_RELAXED);
	return p;
}

void *kzalloc(size_t size)
{
	void *p = kmalloc(size);

	if (p)
		__builtin_memset(p, 0, ksize(p));
	return p;
}

static void report_bad_kfree(const void *p, const char *why)
{
	__atomic_fetch_add(&nr_bad_frees, 1, __ATOMIC_RELAXED);
	pr_err("kfree(%p) refused: %s\n", p, why);
	WARN_ON(1);
}

static bool on_freelist(const struct page *page, const struct free_obj *obj)
{
	const struct free_obj *f;

	for (f = page->slab_freelist; f; f = f->next)
		if (f == obj)
			return true;
	return false;
}

static void kfree_small(struct page *page, void *p)
{
	struct kmem_class *kc = &classes[page->slab_class];
	u8 *base = page_to_virt(page);
	struct free_obj *obj = p;
	unsigned long flags;
	bool was_full;

	flags = spin_lock_irqsave(&kc->lock);
	if (!page_test_flag(page, PG_slab)) {
		spin_unlock_irqrestore(&kc->lock, flags);
		report_bad_kfree(p, "slab page was freed meanwhile");
		return;
	}
	if (((u8 *)p - base) % kc->size) {
		spin_unlock_irqrestore(&kc->lock, flags);
		report_bad_kfree(p, "not the start of a heap object");
		return;
	}
	if (obj->tag == free_tag(obj) && on_freelist(page, obj)) {
		spin_unlock_irqrestore(&kc->lock, flags);
		report_bad_kfree(p, "double free");
		return;
	}
	was_full = !page->slab_freelist;
	obj->next = page->slab_freelist;
	obj->tag = free_tag(obj);
	poison_obj(obj, kc->size);
	page->slab_freelist = obj;
	page->slab_inuse--;
	if (page->slab_inuse == 0) {
		/* The last object is back: return the page at once. */
		if (!was_full)
			partial_del(page);
		page->slab_freelist = NULL;
		__atomic_fetch_and(&page->flags, ~(u32)BIT(PG_slab),
				   __ATOMIC_RELAXED);
		WRITE_ONCE(kc->nr_pages, kc->nr_pages - 1);
		page_free(base, 0);
	} else if (was_full) {
		partial_add(kc, page);
	}
	spin_unlock_irqrestore(&kc->lock, flags);
	__atomic_fetch_sub(&nr_live, 1, __ATOMIC_RELAXED);
}

void kfree(void *p)
{
	struct page *page;
	enum page_state s;
	u32 old;

	if (!p)
		return;
	page = virt_to_page(p);
	if (!page) {
		report_bad_kfree(p, "not a heap object (outside managed memory)");
		return;
	}
	if (page_test_flag(page, PG_slab)) {
		kfree_small(page, p);
		return;
	}
	s = page_state(page);
	if (s == PAGE_OK && page_test_flag(page, PG_kmalloc_large)) {
		if (p != page_to_virt(page)) {
			report_bad_kfree(p, "not the start of a heap object");
			return;
		}
		old = __atomic_fetch_and(&page->flags,
					 ~(u32)BIT(PG_kmalloc_large),
					 __ATOMIC_RELAXED);
		if (!(old & BIT(PG_kmalloc_large))) {
			report_bad_kfree(p, "double free");
			return;
		}
		page_free(p, page->order);
		__atomic_fetch_sub(&nr_live, 1, __ATOMIC_RELAXED);
		return;
	}
	switch (s) {
	case PAGE_FREE:
		report_bad_kfree(p, "double free (page is free)");
		break;
	case PAGE_OK:
		report_bad_kfree(p, "not a heap object (a page_alloc() block)");
		break;
	case PAGE_TAIL:
		report_bad_kfree(p, "not the start of a heap object");
		break;
	default:
		report_bad_kfree(p, "not a heap object (reserved memory)");
		break;
	}
}

size_t ksize(const void *p)
{
	struct page *page = p ? virt_to_page(p) : NULL;

	if (!page)
		return 0;
	if (page_test_flag(page, PG_slab))
		return classes[page->slab_class].size;
	if (page_test_flag(page, PG_kmalloc_large))
		return PAGE_SIZE << page->order;
	return 0;
}

u64 kmalloc_nr_live(void)
{
	return __atomic_load_n(&nr_live, __ATOMIC_RELAXED);
}

u64 kmalloc_nr_bad_frees(void)
{
	return __atomic_load_n(&nr_bad_frees, __ATOMIC_RELAXED);
}

u64 kmalloc_nr_slab_pages(void)
{
	u64 n = 0;
	unsigned i;

	for (i = 0; i < KMALLOC_NR_CLASSES; i++)
		n += READ_ONCE(classes[i].nr_pages);
	return n;
}
