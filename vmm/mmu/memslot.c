// SPDX-License-Identifier: MIT
/*
 * Memslots: GFN ranges and the host pages behind them. See memslot.h.
 */
#include "kernel/log.h"
#include "kernel/platform.h"
#include "kernel/string.h"
#include "vmm/mmu/tdp_mmu.h"

static void *pfn_to_virt(kvm_pfn_t pfn)
{
	return plat_phys_to_virt(pfn << PAGE_SHIFT);
}

static kvm_pfn_t virt_to_pfn(void *va)
{
	return plat_virt_to_phys(va) >> PAGE_SHIFT;
}

static unsigned int level_order(int level)
{
	return SPTE_LEVEL_SHIFT(level);
}

static u64 nr_lpages(const struct memslot *slot, int level)
{
	return gfn_to_lpage_index(slot->base_gfn + slot->npages - 1,
				  slot->base_gfn, level) + 1;
}

/* A block's pages: a whole block at once, a broken 1G's piece one by one. */
static void free_hpage_block(u64 host_pfn, int level)
{
	u64 i, base = host_pfn & ~HPAGE_PIECE;

	if (!(host_pfn & HPAGE_PIECE)) {
		plat_free_pages(pfn_to_virt(base), level_order(level));
		return;
	}
	for (i = 0; i < KVM_PAGES_PER_HPAGE(level); i++)
		plat_free_page(pfn_to_virt(base + i));
}

static bool hpage_is_block(u64 host_pfn)
{
	return host_pfn != HPAGE_UNTOUCHED && host_pfn != HPAGE_SMALL;
}

static void free_slot(struct memslot *slot)
{
	int level;
	u64 i;

	/*
	 * Each page has exactly one owner: an intact 1G block, else the 2M
	 * entry of its range (block or piece), else pfns[] (breaking moves
	 * ownership down a level before it marks the upper one small).
	 */
	for (level = KVM_MAX_HUGEPAGE_LEVEL; level > PG_LEVEL_4K; level--) {
		struct kvm_lpage_info *info = slot->lpage_info[level - 2];

		for (i = 0; info && i < nr_lpages(slot, level); i++)
			if (hpage_is_block(info[i].host_pfn))
				free_hpage_block(info[i].host_pfn, level);
		plat_free(info);
		slot->lpage_info[level - 2] = NULL;
	}
	if (slot->pfns) {
		/* Swapped entries own their store page too (0: none kept). */
		for (i = 0; i < slot->npages; i++)
			if (slot->pfns[i] & MEMSLOT_PFN_MASK)
				plat_free_page(pfn_to_virt(slot->pfns[i] &
							   MEMSLOT_PFN_MASK));
		plat_free(slot->pfns);
	}
	if (slot->alias_pfns) {
		for (i = 0; i < slot->nr_alias; i++)
			if (slot->alias_pfns[i])
				plat_free_page(pfn_to_virt(slot->alias_pfns[i]));
		plat_free(slot->alias_pfns);
	}
	plat_free(slot->dirty_bitmap);
	slot->pfns = slot->alias_pfns = slot->dirty_bitmap = NULL;
	plat_free(slot->gfn_write_track);
	slot->gfn_write_track = NULL;
	plat_free(slot->shadow_mapped);
	slot->shadow_mapped = NULL;
}

/*
 * KVM's kvm_alloc_memslot_metadata: a range that sticks out of the slot
 * may never be mapped huge, and one the backing cannot provide a block
 * for starts out small.
 */
static int alloc_lpage_info(struct memslot *slot)
{
	int level;

	for (level = PG_LEVEL_2M; level <= KVM_MAX_HUGEPAGE_LEVEL; level++) {
		u64 n = nr_lpages(slot, level), i;
		u64 pages = KVM_PAGES_PER_HPAGE(level);
		struct kvm_lpage_info *info = plat_zalloc(n * sizeof(*info));

		if (!info)
			return -ENOMEM;
		slot->lpage_info[level - 2] = info;
		if (slot->base_gfn & (pages - 1))
			info[0].disallow_lpage = 1;
		if ((slot->base_gfn + slot->npages) & (pages - 1))
			info[n - 1].disallow_lpage = 1;
		for (i = 0; i < n; i++)
			if (info[i].disallow_lpage ||
			    level > slot->backing_level)
				info[i].host_pfn = HPAGE_SMALL;
	}
	return 0;
}

int vm_add_memslot(struct vm *vm, gfn_t base_gfn, u64 npages, u32 flags,
		   unsigned int nr_alias)
{
	struct memslot *slot;
	gfn_t max = tdp_mmu_max_gfn(vm);
	unsigned int i;
	u64 g;

	if (!npages || base_gfn >= max || npages > max - base_gfn ||
	    vm->nr_memslots >= VM_MAX_MEMSLOTS)
		return -EINVAL;
	if ((flags & MEMSLOT_ALIAS) && (!nr_alias || nr_alias > npages))
		return -EINVAL;
	if ((flags & MEMSLOT_ALIAS) &&
	    (flags & (MEMSLOT_HUGE_2M | MEMSLOT_HUGE_1G)))
		return -EINVAL;		/* aliased pages are never contiguous */
	for (i = 0; i < vm->nr_memslots; i++) {
		struct memslot *s = &vm->memslots[i];

		if (base_gfn < s->base_gfn + s->npages &&
		    s->base_gfn < base_gfn + npages)
			return -EINVAL;
	}

	slot = &vm->memslots[vm->nr_memslots];
	*slot = (struct memslot){ .vm = vm, .base_gfn = base_gfn,
				  .npages = npages,
				  .flags = flags, .id = vm->nr_memslots,
				  .backing_level = PG_LEVEL_4K };
	if (flags & MEMSLOT_HUGE_1G)
		slot->backing_level = PG_LEVEL_1G;
	else if (flags & MEMSLOT_HUGE_2M)
		slot->backing_level = PG_LEVEL_2M;
	if (alloc_lpage_info(slot))
		goto nomem;
	if (flags & MEMSLOT_ALIAS) {
		slot->nr_alias = nr_alias;
		slot->alias_pfns = plat_zalloc(nr_alias * sizeof(u64));
		if (!slot->alias_pfns)
			goto nomem;
		for (i = 0; i < nr_alias; i++) {
			void *p = plat_alloc_page();

			if (!p)
				goto nomem;
			slot->alias_pfns[i] = virt_to_pfn(p);
		}
	} else {
		slot->pfns = plat_zalloc(npages * sizeof(u64));
		if (!slot->pfns)
			goto nomem;
		for (g = 0; (flags & MEMSLOT_PREPOPULATE) && g < npages; g++)
			if (!memslot_gfn_to_pfn(slot, base_gfn + g))
				goto nomem;
	}
	vm->nr_memslots++;
	return 0;
nomem:
	free_slot(slot);
	return -ENOMEM;
}

struct memslot *gfn_to_memslot(struct vm *vm, gfn_t gfn)
{
	unsigned int i;

	for (i = 0; i < vm->nr_memslots; i++) {
		struct memslot *s = &vm->memslots[i];

		if (gfn >= s->base_gfn && gfn - s->base_gfn < s->npages)
			return s;
	}
	return NULL;
}

/*
 * First touch of a huge range: racing vCPUs each try for a block and
 * agree through one cmpxchg; the losers give theirs back. No block free
 * makes the range small, and the caller goes down a level.
 */
static u64 hpage_populate(struct kvm_lpage_info *info, int level)
{
	void *block = plat_alloc_pages(level_order(level));
	u64 expected = HPAGE_UNTOUCHED;
	u64 want = block ? virt_to_pfn(block) : HPAGE_SMALL;

	if (__atomic_compare_exchange_n(&info->host_pfn, &expected, want,
					false, __ATOMIC_ACQ_REL,
					__ATOMIC_ACQUIRE))
		return want;
	if (block)
		plat_free_pages(block, level_order(level));
	return expected;
}

bool memslot_gfn_swapped(struct memslot *slot, gfn_t gfn)
{
	if (slot->flags & MEMSLOT_ALIAS)
		return false;
	return memslot_entry_swapped(__atomic_load_n(
			&slot->pfns[gfn - slot->base_gfn], __ATOMIC_ACQUIRE));
}

int memslot_swap_in(struct memslot *slot, gfn_t gfn)
{
	u64 *entry = &slot->pfns[gfn - slot->base_gfn];
	u64 old, store_pfn;
	void *page;

retry:
	old = __atomic_load_n(entry, __ATOMIC_ACQUIRE);
	for (;;) {
		if (!memslot_entry_swapped(old))
			return 0;	/* in, or discarded: nothing to bring */
		if (!(old & MEMSLOT_SWAPIN_BUSY))
			break;
		/* Another page-in is copying it: it publishes soon. */
		cpu_relax();
		old = __atomic_load_n(entry, __ATOMIC_ACQUIRE);
	}
	page = plat_alloc_page();
	if (!page)
		return -ENOMEM;
	/*
	 * Claim the entry: from now on only we touch the store page, and
	 * reclaim, which would free it, waits for our store below.
	 */
	if (!__atomic_compare_exchange_n(entry, &old, old | MEMSLOT_SWAPIN_BUSY,
					 false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE)) {
		plat_free_page(page);
		goto retry;
	}
	/* No store page: the page was all zero, as a fresh one is. */
	store_pfn = old & MEMSLOT_PFN_MASK;
	if (store_pfn) {
		memcpy(page, pfn_to_virt(store_pfn), PAGE_SIZE);
		plat_free_page(pfn_to_virt(store_pfn));
	}
	__atomic_store_n(entry, virt_to_pfn(page), __ATOMIC_RELEASE);
	mmu_stat_inc(slot->vm, swap_ins);
	mmu_stat_add(slot->vm, swapped_pages, -1);
	return 0;
}

kvm_pfn_t __memslot_gfn_to_pfn(struct memslot *slot, gfn_t gfn,
			       unsigned int flags, int *host_level)
{
	u64 idx = gfn - slot->base_gfn, pfn, expected = 0;
	bool populate = flags & MEMSLOT_GET_POPULATE;
	void *page;
	int level;

	*host_level = PG_LEVEL_4K;
	if (slot->flags & MEMSLOT_ALIAS)
		return slot->alias_pfns[idx % slot->nr_alias];

	/*
	 * From the largest block down: a range is looked at only once the
	 * one above it is small, and a break fills the level below before
	 * it marks the level above small, so the acquire loads see a
	 * complete picture.
	 */
	for (level = slot->backing_level; level > PG_LEVEL_4K; level--) {
		struct kvm_lpage_info *info = lpage_info_slot(gfn, slot, level);
		u64 v = __atomic_load_n(&info->host_pfn, __ATOMIC_ACQUIRE);

		if (v == HPAGE_UNTOUCHED) {
			if (!populate)
				return 0;
			v = hpage_populate(info, level);
		}
		if (v != HPAGE_SMALL) {
			*host_level = level;
			return (v & ~HPAGE_PIECE) +
			       (gfn & (KVM_PAGES_PER_HPAGE(level) - 1));
		}
	}

	pfn = __atomic_load_n(&slot->pfns[idx], __ATOMIC_ACQUIRE);
	while (unlikely(memslot_entry_swapped(pfn))) {
		if (!populate)
			return 0;
		if (flags & MEMSLOT_GET_NOWAIT)
			return KVM_PFN_NOT_RESIDENT;
		if (memslot_swap_in(slot, gfn))
			return 0;
		pfn = __atomic_load_n(&slot->pfns[idx], __ATOMIC_ACQUIRE);
	}
	if (pfn || !populate)
		return pfn;
	/* First touch: racing vCPUs agree on one page, losers free theirs. */
	page = plat_alloc_page();
	if (!page)
		return 0;
	pfn = virt_to_pfn(page);
	if (__atomic_compare_exchange_n(&slot->pfns[idx], &expected, pfn,
					false, __ATOMIC_ACQ_REL,
					__ATOMIC_ACQUIRE))
		return pfn;
	plat_free_page(page);
	return expected;
}

kvm_pfn_t memslot_gfn_to_pfn(struct memslot *slot, gfn_t gfn)
{
	int host_level;

	return __memslot_gfn_to_pfn(slot, gfn, true, &host_level);
}

void memslot_break_hpage(struct memslot *slot, gfn_t gfn)
{
	int level;
	u64 i;

	if (slot->flags & MEMSLOT_ALIAS)
		return;
	for (level = slot->backing_level; level > PG_LEVEL_4K; level--) {
		struct kvm_lpage_info *info = lpage_info_slot(gfn, slot, level);
		u64 v = __atomic_load_n(&info->host_pfn, __ATOMIC_ACQUIRE);
		gfn_t start = tdp_iter_round_gfn(gfn, level);
		u64 pages = KVM_PAGES_PER_HPAGE(level);

		if (v == HPAGE_SMALL)
			continue;
		if (hpage_is_block(v) && level == PG_LEVEL_1G) {
			/* Its 2M pieces stay blocks; only ours breaks below. */
			for (i = 0; i < pages; i += KVM_PAGES_PER_HPAGE(2))
				__atomic_store_n(&lpage_info_slot(start + i,
						 slot, PG_LEVEL_2M)->host_pfn,
						 (v + i) | HPAGE_PIECE,
						 __ATOMIC_RELEASE);
		} else if (hpage_is_block(v)) {
			u64 base = v & ~HPAGE_PIECE;

			/* From now on its pages are freed one by one. */
			for (i = 0; i < pages; i++)
				__atomic_store_n(&slot->pfns[start + i -
						 slot->base_gfn], base + i,
						 __ATOMIC_RELEASE);
		}
		/* An untouched range just becomes small: 4K frames on touch. */
		__atomic_store_n(&info->host_pfn, HPAGE_SMALL,
				 __ATOMIC_RELEASE);
	}
}

int kvm_mmu_max_mapping_level(struct memslot *slot, gfn_t gfn, int max_level,
			      int host_level)
{
	if (host_level < max_level)
		max_level = host_level;
	if (memslot_dirty_log_enabled(slot))
		return PG_LEVEL_4K;
	for (; max_level > PG_LEVEL_4K; max_level--)
		if (!__atomic_load_n(&lpage_info_slot(gfn, slot,
				max_level)->disallow_lpage, __ATOMIC_ACQUIRE))
			break;
	return max_level;
}

static void update_gfn_disallow_lpage_count(struct memslot *slot, gfn_t gfn,
					    int count)
{
	int level;

	for (level = PG_LEVEL_2M; level <= KVM_MAX_HUGEPAGE_LEVEL; level++) {
		struct kvm_lpage_info *info = lpage_info_slot(gfn, slot, level);
		int old = __atomic_fetch_add(&info->disallow_lpage, count,
					     __ATOMIC_ACQ_REL);

		WARN_ON_ONCE(old + count < 0);
	}
}

void kvm_mmu_gfn_disallow_lpage(struct memslot *slot, gfn_t gfn)
{
	update_gfn_disallow_lpage_count(slot, gfn, 1);
}

void kvm_mmu_gfn_allow_lpage(struct memslot *slot, gfn_t gfn)
{
	update_gfn_disallow_lpage_count(slot, gfn, -1);
}

int memslot_set_backing(struct memslot *slot, u32 huge_flags)
{
	int level;
	u64 i;

	if ((slot->flags & MEMSLOT_ALIAS) ||
	    (huge_flags & ~(MEMSLOT_HUGE_2M | MEMSLOT_HUGE_1G)))
		return -EINVAL;
	for (i = 0; i < slot->npages; i++)
		if (slot->pfns[i])	/* populated, or in swap */
			return -EBUSY;
	for (level = PG_LEVEL_2M; level <= KVM_MAX_HUGEPAGE_LEVEL; level++)
		for (i = 0; i < nr_lpages(slot, level); i++)
			if (hpage_is_block(slot->lpage_info[level - 2][i].host_pfn))
				return -EBUSY;
	slot->flags = (slot->flags & ~(MEMSLOT_HUGE_2M | MEMSLOT_HUGE_1G)) |
		      huge_flags;
	slot->backing_level = huge_flags & MEMSLOT_HUGE_1G ? PG_LEVEL_1G :
			      huge_flags & MEMSLOT_HUGE_2M ? PG_LEVEL_2M :
			      PG_LEVEL_4K;
	for (level = PG_LEVEL_2M; level <= KVM_MAX_HUGEPAGE_LEVEL; level++) {
		struct kvm_lpage_info *info = slot->lpage_info[level - 2];

		for (i = 0; i < nr_lpages(slot, level); i++)
			info[i].host_pfn = info[i].disallow_lpage ||
					   level > slot->backing_level ?
					   HPAGE_SMALL : HPAGE_UNTOUCHED;
	}
	return 0;
}

void vm_free_memslots(struct vm *vm)
{
	unsigned int i;

	for (i = 0; i < vm->nr_memslots; i++)
		free_slot(&vm->memslots[i]);
	vm->nr_memslots = 0;
}

u64 vm_memslot_pages(struct vm *vm)
{
	unsigned int i;
	int level;
	u64 g, n = 0;

	for (i = 0; i < vm->nr_memslots; i++) {
		struct memslot *s = &vm->memslots[i];

		if (s->flags & MEMSLOT_ALIAS) {
			n += s->nr_alias;
			continue;
		}
		for (level = PG_LEVEL_2M; level <= KVM_MAX_HUGEPAGE_LEVEL;
		     level++)
			for (g = 0; g < nr_lpages(s, level); g++)
				if (hpage_is_block(__atomic_load_n(
					&s->lpage_info[level - 2][g].host_pfn,
					__ATOMIC_RELAXED)))
					n += KVM_PAGES_PER_HPAGE(level);
		/* A swapped GFN holds a store page unless it was all zero. */
		for (g = 0; g < s->npages; g++)
			n += (__atomic_load_n(&s->pfns[g], __ATOMIC_RELAXED) &
			      MEMSLOT_PFN_MASK) != 0;
	}
	return n;
}
