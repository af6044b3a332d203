// SPDX-License-Identifier: MIT
/*
 * Host reclaim of guest pages: the analogue of KVM's mmu notifiers.
 *
 * The host may take back the page behind a GFN at any time (guest request,
 * memory pressure). Before the page is reused, no translation to it may
 * remain: every SPTE mapping it, in every root (valid or invalid, the
 * latter kept reachable by their references, seed 000), is zapped and all
 * TLBs are flushed, all with mmu_lock held for write so no fault can
 * install a translation in between. mmu_invalidate_seq makes faults that
 * looked the page up earlier retry instead of installing it afterwards.
 */
#include "kernel/log.h"
#include "kernel/string.h"
#include "kernel/platform.h"
#include "vmm/mmu/shadow_mmu_internal.h"

bool tdp_mmu_unmap_gfn_range(struct vm *vm, gfn_t start, gfn_t end)
{
	struct kvm_mmu_page *root;
	bool flush = false;

	lockdep_assert_held_write(&vm->mmu_lock);
	for_each_tdp_mmu_root_yield_safe(vm, root, false)
		flush = tdp_mmu_zap_leafs(vm, root, start, end, false, flush,
					  false);
	/* L2's translations to these pages go too (shadow EPT). */
	if (!list_empty(&vm->shadow_pages))
		flush |= kvm_shadow_ept_unmap_gfn_range(vm, start, end);
	return flush;
}

static bool page_is_zero(const u64 *p)
{
	unsigned int i;

	for (i = 0; i < PAGE_SIZE / sizeof(u64); i++)
		if (p[i])
			return false;
	return true;
}

/*
 * A GFN whose page is in swap is reclaimed again (discarded, replaced):
 * its store page goes. A page-in that claimed the entry (BUSY) does not
 * take mmu_lock; it publishes its new pfn within a copy, so wait for it
 * and reclaim that page instead. Returns the entry that is there now.
 */
static u64 reclaim_wait_swapin(u64 *entry)
{
	u64 old = __atomic_load_n(entry, __ATOMIC_ACQUIRE);

	while (memslot_entry_swapped(old) && (old & MEMSLOT_SWAPIN_BUSY)) {
		cpu_relax();
		old = __atomic_load_n(entry, __ATOMIC_ACQUIRE);
	}
	return old;
}

/* Migration: the old contents into @to (a swapped entry's from the store). */
static void reclaim_copy(void *to, u64 entry)
{
	u64 from = entry & MEMSLOT_PFN_MASK;

	/* In swap and all zero: no store page, the copy is zeroes. */
	if (from)
		memcpy(to, plat_phys_to_virt(from << PAGE_SHIFT), PAGE_SIZE);
	else
		memset(to, 0, PAGE_SIZE);
}

/*
 * Take the page behind @gfn back (@mode: discard, replace, migrate, or
 * swap out). @replacement (or none) becomes the backing; TDP_RECLAIM_MIGRATE
 * copies the old contents into it after every translation to the old
 * page is gone (zapped and flushed), so no guest write can land in the
 * old page after the copy. TDP_RECLAIM_SWAP keeps the old page as the
 * store's copy (none if it is all zero) and marks the entry swapped.
 */
static int __tdp_mmu_reclaim_gfn(struct vm *vm, gfn_t gfn, void *replacement,
				 enum tdp_reclaim_mode mode)
{
	struct memslot *slot = gfn_to_memslot(vm, gfn);
	u64 idx, new_pfn = 0, old_pfn, *entry;
	bool swap = mode == TDP_RECLAIM_SWAP;

	if (!slot)
		return -EFAULT;
	/* One aliased host page backs many GFNs: not reclaimable by GFN. */
	if (slot->flags & MEMSLOT_ALIAS)
		return -EINVAL;
	idx = gfn - slot->base_gfn;
	entry = &slot->pfns[idx];
	if (replacement)
		new_pfn = plat_virt_to_phys(replacement) >> PAGE_SHIFT;

	write_lock(&vm->mmu_lock);
	__atomic_store_n(&vm->mmu_invalidate_seq, vm->mmu_invalidate_seq + 1,
			 __ATOMIC_RELEASE);
	/*
	 * One 4K page inside a huge mapping changes: split the mapping so
	 * only that page's translation goes, and break the host block so
	 * the page can be replaced alone (the range is mapped 4K from now).
	 */
	/* Out of memory to split: the unmap below zaps the huge leaf whole. */
	tdp_mmu_split_huge_at_gfn_locked(vm, gfn);
	memslot_break_hpage(slot, gfn);
	tdp_mmu_unmap_gfn_range(vm, gfn, gfn + 1);
	/*
	 * Flush even if no SPTE was found here: the guest must not keep a
	 * translation that an earlier, batched zap left for us to flush.
	 */
	kvm_flush_remote_tlbs_range(vm, gfn, 1);
	old_pfn = reclaim_wait_swapin(entry);
	if (swap) {
		/*
		 * Only a first touch (from 0) or a page-in (from swapped)
		 * changes an entry without mmu_lock, and neither can start
		 * from a present pfn: the store below cannot lose a race.
		 */
		if (!old_pfn || memslot_entry_swapped(old_pfn)) {
			write_unlock(&vm->mmu_lock);
			return -ENOENT;
		}
		new_pfn = MEMSLOT_PFN_SWAPPED | old_pfn;
		if (page_is_zero(plat_phys_to_virt(old_pfn << PAGE_SHIFT))) {
			new_pfn = MEMSLOT_PFN_SWAPPED;
			mmu_stat_inc(vm, swap_zero_pages);
		} else {
			old_pfn = 0;	/* the store keeps it */
		}
		__atomic_store_n(entry, new_pfn, __ATOMIC_RELEASE);
		mmu_stat_inc(vm, swap_outs);
		mmu_stat_inc(vm, swapped_pages);
	} else {
		/*
		 * A first touch populates a 0 entry, and a page-in claims a
		 * swapped one, both with cmpxchg and without mmu_lock:
		 * replace only the value we looked at, else look again.
		 */
		for (;;) {
			if (mode == TDP_RECLAIM_MIGRATE && old_pfn &&
			    replacement)
				reclaim_copy(replacement, old_pfn);
			if (__atomic_compare_exchange_n(entry, &old_pfn,
					new_pfn, false, __ATOMIC_ACQ_REL,
					__ATOMIC_ACQUIRE))
				break;
			old_pfn = reclaim_wait_swapin(entry);
		}
		if (memslot_entry_swapped(old_pfn)) {
			mmu_stat_add(vm, swapped_pages, -1);
			old_pfn &= MEMSLOT_PFN_MASK;
		}
	}
	__atomic_store_n(&vm->mmu_invalidate_seq, vm->mmu_invalidate_seq + 1,
			 __ATOMIC_RELEASE);
	write_unlock(&vm->mmu_lock);

	if (old_pfn)
		plat_free_page(plat_phys_to_virt(old_pfn << PAGE_SHIFT));
	mmu_stat_inc(vm, reclaims);
	return 0;
}

int tdp_mmu_reclaim_gfn(struct vm *vm, gfn_t gfn, void *replacement)
{
	return __tdp_mmu_reclaim_gfn(vm, gfn, replacement,
				     TDP_RECLAIM_DISCARD);
}

int tdp_mmu_swap_out_gfn(struct vm *vm, gfn_t gfn)
{
	return __tdp_mmu_reclaim_gfn(vm, gfn, NULL, TDP_RECLAIM_SWAP);
}

/*
 * The memory-pressure worker's step. Walks the memslots round robin from
 * @cur (slot, then GFN), skipping alias slots and unpopulated GFNs, and
 * reclaims up to @nr populated GFNs; stops after one full lap.
 *
 *  TDP_RECLAIM_DISCARD: the GFN becomes unpopulated and the page is freed;
 *    the next guest touch gets a fresh zeroed page (the guest's data is
 *    gone: free-page reporting / ballooning semantics, for memory the
 *    guest said it does not need, and for tests). This is what actually
 *    lowers memory use.
 *  TDP_RECLAIM_MIGRATE: the contents move to a new page (compaction,
 *    "swap out and back in at once"); guest-visible data never changes.
 *    It frees no memory by itself; it proves the move is race-free.
 *  TDP_RECLAIM_SWAP: the contents go to the swap store; the next touch
 *    waits for a page-in (async PF lets the guest run meanwhile).
 *
 * Returns how many GFNs were reclaimed, or -ENOMEM (migrate mode,
 * nothing reclaimed yet) / -EINVAL (bad mode).
 */
long tdp_mmu_reclaim_some(struct vm *vm, u64 nr, enum tdp_reclaim_mode mode,
			  struct tdp_reclaim_cursor *cur)
{
	u64 scanned = 0, total = 0, done = 0;
	unsigned int i;

	if (mode != TDP_RECLAIM_DISCARD && mode != TDP_RECLAIM_MIGRATE &&
	    mode != TDP_RECLAIM_SWAP)
		return -EINVAL;
	for (i = 0; i < vm->nr_memslots; i++)
		total += vm->memslots[i].npages;

	while (done < nr && scanned < total && vm->nr_memslots) {
		struct memslot *slot;
		void *page = NULL;
		u64 old;
		int r;

		if (cur->slot >= vm->nr_memslots) {
			cur->slot = 0;
			cur->idx = 0;
		}
		slot = &vm->memslots[cur->slot];
		if (slot->flags & MEMSLOT_ALIAS || cur->idx >= slot->npages) {
			scanned += cur->idx < slot->npages ?
				   slot->npages - cur->idx : 0;
			cur->slot++;
			cur->idx = 0;
			continue;
		}
		scanned++;
		/* Untouched, or (for swap and migrate) in swap already. */
		old = __atomic_load_n(&slot->pfns[cur->idx], __ATOMIC_ACQUIRE);
		if (!old || (mode != TDP_RECLAIM_DISCARD &&
			     memslot_entry_swapped(old))) {
			cur->idx++;
			continue;
		}
		if (mode == TDP_RECLAIM_MIGRATE) {
			page = plat_alloc_page();
			if (!page)
				return done ? (long)done : -ENOMEM;
		}
		r = __tdp_mmu_reclaim_gfn(vm, slot->base_gfn + cur->idx, page,
					  mode);
		if (r) {
			/* Paged in and out again meanwhile; else a bug. */
			WARN_ON_ONCE(r != -ENOENT);
			if (page)
				plat_free_page(page);
		} else {
			done++;
		}
		cur->idx++;
	}
	return done;
}

/* Test/debug: present leaves under @root. Caller holds mmu_lock. */
u64 tdp_mmu_count_leafs(struct vm *vm, struct kvm_mmu_page *root)
{
	struct tdp_iter iter;
	u64 n = 0;

	lockdep_assert_held(&vm->mmu_lock);
	rcu_read_lock();
	for_each_tdp_pte(iter, root, 0, tdp_mmu_max_gfn(vm))
		if (is_shadow_present_pte(iter.old_spte) &&
		    is_last_spte(iter.old_spte, iter.level))
			n++;
	rcu_read_unlock();
	return n;
}

/*
 * Test/debug: leaves of [start, end) mapping @pfn in any root, valid or
 * not. Takes mmu_lock for write.
 */
u64 tdp_mmu_count_pfn_mappings(struct vm *vm, gfn_t start, gfn_t end,
			       kvm_pfn_t pfn)
{
	struct kvm_mmu_page *root;
	struct tdp_iter iter;
	u64 n = 0;

	write_lock(&vm->mmu_lock);
	rcu_read_lock();
	for_each_tdp_mmu_root(vm, root) {
		for_each_tdp_pte(iter, root, start, end)
			if (is_shadow_present_pte(iter.old_spte) &&
			    is_last_spte(iter.old_spte, iter.level) &&
			    pfn - spte_to_pfn(iter.old_spte) <
			    KVM_PAGES_PER_HPAGE(iter.level))
				n++;
	}
	rcu_read_unlock();
	write_unlock(&vm->mmu_lock);
	return n;
}
