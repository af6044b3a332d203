// SPDX-License-Identifier: MIT
/*
 * Huge pages in the TDP MMU: splitting a huge SPTE into a table of
 * smaller ones, and merging a table back into a huge SPTE in place.
 *
 * Both run with mmu_lock held for read, against faults and zaps that
 * change SPTEs with cmpxchg:
 *  - A split (KVM's tdp_mmu_split_huge_page) fills a new table with 512
 *    children mapping the same frames with the same permissions before
 *    anyone can see it, then replaces the huge SPTE with one cmpxchg. No
 *    flush: every translation the CPU may cache stays right.
 *  - A merge (seed 001, "Try to merge pages into a large page") freezes
 *    the parent SPTE, which makes it this thread's: walkers that reach it
 *    back off, so nobody new enters the child table. Walkers already
 *    inside may still change children, so the children are populated
 *    with cmpxchg and judged from what the cmpxchg saw. A child that is
 *    frozen (someone is changing it) or maps a frame other than base + i
 *    ends the attempt: the parent gets its table back, with the missing
 *    children now populated, so the faulting GFN still makes progress.
 *    Otherwise the range is flushed while the parent is still frozen (no
 *    translation through the old table survives, and none can be made),
 *    the huge SPTE is written, and the old table is frozen entry by entry
 *    and freed through RCU like any removed table.
 */
#include "kernel/log.h"
#include "kernel/platform.h"
#include "vmm/mmu/tdp_mmu_internal.h"

int tdp_mmu_split_huge_page(struct vm *vm, struct tdp_iter *iter, bool shared)
{
	int child_level = iter->level - 1;
	struct kvm_mmu_page *sp;
	u64 huge = iter->old_spte;
	unsigned int i;

	kvm_lockdep_assert_mmu_lock_held(vm, shared);
	if (WARN_ON_ONCE(!is_shadow_present_pte(huge) || !is_large_pte(huge)))
		return -EINVAL;
	sp = tdp_mmu_alloc_sp(vm, iter->gfn, child_level);
	if (!sp)
		return -ENOMEM;
	for (i = 0; i < SPTE_ENT_PER_PAGE; i++)
		sp->spt[i] = make_huge_page_split_spte(huge, child_level, i);

	/* The release of the replace publishes the children. */
	if (shared) {
		if (tdp_mmu_set_spte_atomic(vm, iter, make_nonleaf_spte(
				plat_virt_to_phys(sp->spt) >> PAGE_SHIFT),
				NULL)) {
			tdp_mmu_unhash_sp(vm, sp);
			tdp_mmu_free_sp(sp);
			return -EBUSY;
		}
	} else {
		tdp_mmu_set_spte(vm, iter, make_nonleaf_spte(
			plat_virt_to_phys(sp->spt) >> PAGE_SHIFT));
	}
	mmu_stat_inc(vm, huge_splits);
	return 0;
}

/*
 * Split every huge SPTE above @target_level in [start, end) of @root.
 * Pre-order: a 1G leaf split into 2M leaves is entered next and each of
 * those is split in turn, so 1G goes to 4K in one pass. One step does at
 * most one table's work, and the walk may yield between steps.
 */
static int tdp_mmu_split_huge_pages_root(struct vm *vm,
					 struct kvm_mmu_page *root,
					 gfn_t start, gfn_t end,
					 int target_level, bool shared)
{
	struct tdp_iter iter;
	int ret = 0;

	rcu_read_lock();
	for_each_tdp_pte_min_level(iter, root, target_level + 1, start, end) {
retry:
		if (tdp_mmu_iter_cond_resched(vm, &iter, false, shared))
			continue;
		if (!is_shadow_present_pte(iter.old_spte) ||
		    !is_large_pte(iter.old_spte))
			continue;
		ret = tdp_mmu_split_huge_page(vm, &iter, shared);
		if (ret == -EBUSY) {
			ret = 0;
			goto retry;	/* iter.old_spte holds the new value */
		}
		if (ret)
			break;
	}
	rcu_read_unlock();
	return ret;
}

int kvm_tdp_mmu_split_huge_pages(struct vm *vm, gfn_t start, gfn_t end,
				 int target_level)
{
	struct kvm_mmu_page *root;
	int ret = 0;

	if (start >= end || end > tdp_mmu_max_gfn(vm) ||
	    target_level < PG_LEVEL_4K || target_level >= PG_LEVEL_1G)
		return -EINVAL;
	read_lock(&vm->mmu_lock);
	for_each_valid_tdp_mmu_root_yield_safe(vm, root, true) {
		if (!ret)
			ret = tdp_mmu_split_huge_pages_root(vm, root, start,
							    end, target_level,
							    true);
	}
	read_unlock(&vm->mmu_lock);
	return ret;
}

/*
 * The old child table of a merge: unreachable since the huge SPTE went
 * in, but walkers that were inside may still write. Freeze each entry
 * (they back off) and process what it held; a child a late fault split
 * into a table meanwhile is torn down like any removed table.
 */
static void tdp_mmu_retire_merged_pt(struct vm *vm, u64 *pt, gfn_t gfn,
				     int child_level)
{
	struct kvm_mmu_page *sp = tdp_mmu_unhash_pt(vm, pt);
	unsigned int i;

	if (WARN_ON(!sp))
		return;
	for (i = 0; i < SPTE_ENT_PER_PAGE; i++) {
		u64 old = tdp_mmu_freeze_spte(&pt[i]);

		handle_changed_spte(vm, gfn + ((u64)i <<
				    SPTE_LEVEL_SHIFT(child_level)), old,
				    FROZEN_SPTE, child_level, true);
	}
	call_rcu(&sp->rcu_head, tdp_mmu_free_frozen_sp_rcu_callback);
}

/*
 * Merge the table under the SPTE at @sptep (level @level, last read as
 * @old_spte, mapping from @gfn) into @huge_spte. 0: merged; -EBUSY: the
 * SPTE was no longer @old_spte (nothing done); -EAGAIN: given up, the
 * table stays with its missing children populated.
 */
static int __tdp_mmu_merge(struct vm *vm, u64 *sptep, u64 old_spte,
			   gfn_t gfn, int level, u64 huge_spte)
{
	int child_level = level - 1;
	bool give_up = false;
	unsigned int i;
	u64 *child_pt;

	if (!__atomic_compare_exchange_n(sptep, &old_spte, FROZEN_SPTE, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return -EBUSY;
	/* The iterator cannot step below a frozen entry: walk by hand. */
	child_pt = spte_to_child_pt(old_spte, level);

	/*
	 * Every missing child is populated even once the merge is lost (the
	 * seed's forward-progress rule): the faulting GFN gets its mapping
	 * at the smaller size, and the next attempt has less to do.
	 */
	for (i = 0; i < SPTE_ENT_PER_PAGE; i++) {
		u64 *csptep = child_pt + i, cur = spte_read(csptep);
		u64 want = make_huge_page_split_spte(huge_spte, child_level, i);
		gfn_t cgfn = gfn + ((u64)i << SPTE_LEVEL_SHIFT(child_level));

		for (;;) {
			if (is_frozen_spte(cur)) {
				give_up = true;	/* someone owns it: retry */
				break;
			}
			if (is_shadow_present_pte(cur) &&
			    !is_last_spte(cur, child_level)) {
				/* 1G over 2M tables: merge those first. */
				int r = __tdp_mmu_merge(vm, csptep, cur, cgfn,
							child_level, want);

				if (r == -EBUSY) {
					cur = spte_read(csptep);
					continue;
				}
				give_up |= r != 0;
				break;
			}
			if (is_shadow_present_pte(cur)) {
				/* Mapped elsewhere (KVM's TODO: relocate). */
				give_up |= spte_to_pfn(cur) !=
					   spte_to_pfn(want);
				break;
			}
			if (__atomic_compare_exchange_n(csptep, &cur, want,
					false, __ATOMIC_ACQ_REL,
					__ATOMIC_ACQUIRE)) {
				mmu_stat_add_leafs(vm, child_level, 1);
				break;
			}
			/* cur is what got there first: judge it again. */
		}
	}
	if (give_up) {
		__atomic_store_n(sptep, old_spte, __ATOMIC_RELEASE);
		mmu_stat_inc(vm, merge_retries);
		return -EAGAIN;
	}

	kvm_flush_remote_tlbs_range(vm, gfn, KVM_PAGES_PER_HPAGE(level));
	__atomic_store_n(sptep, huge_spte, __ATOMIC_RELEASE);
	mmu_stat_add_leafs(vm, level, 1);
	tdp_mmu_retire_merged_pt(vm, child_pt, gfn, child_level);
	mmu_stat_inc(vm, huge_merges);
	return 0;
}

int tdp_mmu_merge_huge_spt(struct vm *vm, struct tdp_iter *iter,
			   u64 huge_spte)
{
	int ret;

	lockdep_assert_held_read(&vm->mmu_lock);
	if (WARN_ON_ONCE(iter->level == PG_LEVEL_4K ||
			 !is_shadow_present_pte(iter->old_spte) ||
			 is_last_spte(iter->old_spte, iter->level) ||
			 !is_large_pte(huge_spte)))
		return -EINVAL;
	ret = __tdp_mmu_merge(vm, iter->sptep, iter->old_spte, iter->gfn,
			      iter->level, huge_spte);
	iter->old_spte = spte_read(iter->sptep);
	return ret;
}

/*
 * The huge SPTE a range at @level of @slot may be merged into now, or 0:
 * the range must lie in the slot, be backed by one host block, and be
 * allowed at @level (no dirty logging, nothing disallowed, the CPU).
 */
static u64 recoverable_huge_spte(struct vm *vm, struct memslot *slot,
				 gfn_t gfn, int level)
{
	int host_level;
	kvm_pfn_t pfn;

	if (level > vm->max_huge_level || gfn < slot->base_gfn ||
	    gfn + KVM_PAGES_PER_HPAGE(level) > slot->base_gfn + slot->npages)
		return 0;
	pfn = __memslot_gfn_to_pfn(slot, gfn, false, &host_level);
	if (!pfn || kvm_mmu_max_mapping_level(slot, gfn, level,
					      host_level) < level)
		return 0;
	return make_spte(pfn, level, slot->flags & MEMSLOT_READONLY ?
			 ACC_READ | ACC_EXEC : ACC_ALL);
}

static long tdp_mmu_recover_huge_pages_root(struct vm *vm,
					    struct kvm_mmu_page *root,
					    struct memslot *slot)
{
	gfn_t start = slot->base_gfn, end = slot->base_gfn + slot->npages;
	struct tdp_iter iter;
	long merged = 0;
	u64 huge;

	rcu_read_lock();
	for_each_tdp_pte_min_level(iter, root, PG_LEVEL_2M, start, end) {
retry:
		if (tdp_mmu_iter_cond_resched(vm, &iter, false, true))
			continue;
		if (iter.level > KVM_MAX_HUGEPAGE_LEVEL ||
		    !is_shadow_present_pte(iter.old_spte) ||
		    is_last_spte(iter.old_spte, iter.level))
			continue;
		huge = recoverable_huge_spte(vm, slot, iter.gfn, iter.level);
		if (!huge)
			continue;
		switch (tdp_mmu_merge_huge_spt(vm, &iter, huge)) {
		case 0:
			merged++;
			break;
		case -EBUSY:
			goto retry;
		default:
			break;	/* -EAGAIN: left for the next pass */
		}
	}
	rcu_read_unlock();
	return merged;
}

long kvm_tdp_mmu_recover_huge_pages(struct vm *vm, struct memslot *slot)
{
	struct kvm_mmu_page *root;
	long merged = 0;

	read_lock(&vm->mmu_lock);
	for_each_valid_tdp_mmu_root_yield_safe(vm, root, true)
		merged += tdp_mmu_recover_huge_pages_root(vm, root, slot);
	read_unlock(&vm->mmu_lock);
	return merged;
}

/*
 * With mmu_lock held for write: no huge leaf maps @gfn in any root any
 * more (valid roots split it down to 4K, invalid ones, where nothing may
 * be linked, zap it). Returns whether a flush is needed, or -ENOMEM.
 */
int tdp_mmu_split_huge_at_gfn_locked(struct vm *vm, gfn_t gfn)
{
	struct kvm_mmu_page *root;
	struct tdp_iter iter;
	int ret = 0;

	lockdep_assert_held_write(&vm->mmu_lock);
	rcu_read_lock();
	for_each_tdp_mmu_root(vm, root) {
		for_each_tdp_pte_min_level(iter, root, PG_LEVEL_2M, gfn,
					   gfn + 1) {
			if (!is_shadow_present_pte(iter.old_spte) ||
			    !is_large_pte(iter.old_spte))
				continue;
			if (root_is_invalid(root)) {
				tdp_mmu_set_spte(vm, &iter, 0);
				ret = ret ? ret : 1;
				continue;
			}
			if (tdp_mmu_split_huge_page(vm, &iter, false)) {
				ret = -ENOMEM;
				break;
			}
			ret = ret ? ret : 1;
		}
	}
	rcu_read_unlock();
	return ret;
}

/*
 * Forbid a huge mapping over @gfn from now on (a write-protected guest
 * page table, a GFN the host handles at 4K): count it in lpage_info,
 * make faults that looked earlier retry, and split what maps it huge.
 * Allowing again changes only the count: the next fault or recovery
 * pass merges.
 */
int kvm_tdp_mmu_disallow_huge(struct vm *vm, gfn_t gfn, bool disallow)
{
	struct memslot *slot = gfn_to_memslot(vm, gfn);
	int ret = 0;

	if (!slot)
		return -EFAULT;
	write_lock(&vm->mmu_lock);
	if (disallow)
		kvm_mmu_gfn_disallow_lpage(slot, gfn);
	else
		kvm_mmu_gfn_allow_lpage(slot, gfn);
	__atomic_store_n(&vm->mmu_invalidate_seq, vm->mmu_invalidate_seq + 1,
			 __ATOMIC_RELEASE);
	if (disallow)
		ret = tdp_mmu_split_huge_at_gfn_locked(vm, gfn);
	if (ret > 0)
		kvm_flush_remote_tlbs_range(vm, tdp_iter_round_gfn(gfn,
					    PG_LEVEL_1G),
					    KVM_PAGES_PER_HPAGE(PG_LEVEL_1G));
	write_unlock(&vm->mmu_lock);
	return ret < 0 ? ret : 0;
}
