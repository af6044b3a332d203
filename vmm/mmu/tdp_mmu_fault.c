// SPDX-License-Identifier: MIT
/*
 * EPT violations: install the missing tables and the leaf with mmu_lock
 * held for read, racing other vCPUs, zaps and reclaim through cmpxchg.
 */
#include "kernel/log.h"
#include "kernel/platform.h"
#include "vmm/mmu/tdp_mmu_internal.h"

/*
 * Link a fresh table under the entry at @iter. Losing the cmpxchg (another
 * vCPU linked one first, or the entry is frozen) frees ours, which nobody
 * could see; the fault is retried.
 */
static int tdp_mmu_link_sp(struct vm *vm, struct tdp_iter *iter)
{
	struct kvm_mmu_page *sp;
	u64 new_spte;

	sp = tdp_mmu_alloc_sp(vm, iter->gfn, iter->level - 1);
	if (!sp)
		return -MMU_ENOMEM;
	new_spte = make_nonleaf_spte(plat_virt_to_phys(sp->spt) >> PAGE_SHIFT);
	if (tdp_mmu_set_spte_atomic(vm, iter, new_spte, NULL)) {
		tdp_mmu_unhash_sp(vm, sp);
		tdp_mmu_free_sp(sp);
		return RET_PF_RETRY;
	}
	return 0;
}

static int kvm_tdp_mmu_map(struct vm *vm, struct kvm_mmu_page *root,
			   gfn_t gfn, kvm_pfn_t pfn, u64 access,
			   u64 map_access)
{
	struct tdp_iter iter;
	u64 new_spte, old;
	int ret;

	lockdep_assert_held_read(&vm->mmu_lock);
	rcu_read_lock();
	for_each_tdp_pte(iter, root, gfn, gfn + 1) {
		if (iter.level == PG_LEVEL_4K)
			break;
		if (is_frozen_spte(iter.old_spte)) {
			ret = RET_PF_RETRY;
			goto out;
		}
		if (is_shadow_present_pte(iter.old_spte)) {
			/* Huge leaves are not created here (no promotion). */
			if (is_large_pte(iter.old_spte))
				break;
			continue;
		}
		ret = tdp_mmu_link_sp(vm, &iter);
		if (ret)
			goto out;
		/* The iterator steps down into the table just linked. */
	}
	if (WARN_ON_ONCE(!iter.valid)) {
		ret = -MMU_EFAULT;
		goto out;
	}
	/*
	 * A table seen present on the way down may be unlinked before the
	 * step into it (a range zap freeing it under the shared lock): the
	 * walk then steps sideways out of @gfn's range and stops above 4K,
	 * on another GFN's entry. Never install there: retry from the root.
	 */
	if (iter.level != PG_LEVEL_4K && !is_large_pte(iter.old_spte)) {
		ret = RET_PF_RETRY;
		goto out;
	}

	old = iter.old_spte;
	new_spte = make_spte(pfn, PG_LEVEL_4K, map_access);
	if (is_frozen_spte(old)) {
		ret = RET_PF_RETRY;
	} else if (is_shadow_present_pte(old) &&
		   is_last_spte(old, iter.level) &&
		   (spte_access(old) & access) == access) {
		/* Another vCPU fixed it first, or a stale TLB entry. */
		ret = RET_PF_SPURIOUS;
	} else if (is_large_pte(old)) {
		ret = RET_PF_RETRY;	/* would need a split: not supported */
		WARN_ON_ONCE(1);
	} else if (tdp_mmu_set_spte_atomic(vm, &iter, new_spte, NULL)) {
		ret = RET_PF_RETRY;
	} else {
		/* Replacing a present leaf: drop the old translation. */
		if (is_shadow_present_pte(old))
			kvm_flush_remote_tlbs_range(vm, gfn, 1);
		ret = RET_PF_FIXED;
	}
out:
	rcu_read_unlock();
	return ret;
}

int kvm_tdp_page_fault(struct vm *vm, struct kvm_mmu_page *root, gpa_t gpa,
		       u64 access)
{
	gfn_t gfn = gpa >> PAGE_SHIFT;
	struct memslot *slot;
	u64 mmu_seq, map_access = ACC_ALL;
	kvm_pfn_t pfn;
	int ret;

	/* Guest-controlled input: reject cleanly, never walk with it. */
	if (gpa >> vm->phys_bits) {
		mmu_stat_inc(vm, bad_gpa_faults);
		return -MMU_ERANGE;
	}
	slot = gfn_to_memslot(vm, gfn);
	if (!slot) {
		mmu_stat_inc(vm, bad_gpa_faults);
		return -MMU_EFAULT;
	}
	if (slot->flags & MEMSLOT_READONLY) {
		if (access & ACC_WRITE) {
			mmu_stat_inc(vm, bad_gpa_faults);
			return -MMU_EFAULT;
		}
		map_access = ACC_READ | ACC_EXEC;
	}
	mmu_stat_inc(vm, faults);

	/* Sample before the lookup; pairs with the bump in reclaim. */
	mmu_seq = __atomic_load_n(&vm->mmu_invalidate_seq, __ATOMIC_ACQUIRE);
	pfn = memslot_gfn_to_pfn(slot, gfn);
	if (!pfn)
		return -MMU_ENOMEM;

	read_lock(&vm->mmu_lock);
	if (root_is_invalid(root) ||
	    READ_ONCE(vm->mmu_invalidate_seq) != mmu_seq)
		ret = RET_PF_RETRY;	/* stale root or raced a reclaim */
	else
		ret = kvm_tdp_mmu_map(vm, root, gfn, pfn, access, map_access);
	read_unlock(&vm->mmu_lock);

	if (ret == RET_PF_RETRY)
		mmu_stat_inc(vm, fault_retries);
	else if (ret == RET_PF_SPURIOUS)
		mmu_stat_inc(vm, spurious_faults);
	return ret;
}

int kvm_tdp_mmu_prefault(struct vm *vm, struct kvm_mmu_page *root,
			 gfn_t gfn, u64 npages)
{
	u64 i;

	for (i = 0; i < npages; i++) {
		int ret, tries = 0;

		do {
			ret = kvm_tdp_page_fault(vm, root,
						 (gfn + i) << PAGE_SHIFT,
						 ACC_ALL);
		} while (ret == RET_PF_RETRY && ++tries < 1000 &&
			 !root_is_invalid(root));
		if (ret < 0)
			return ret;
		if (ret == RET_PF_RETRY)
			return -MMU_EBUSY;
	}
	return 0;
}

/*
 * The bulk form of kvm_tdp_mmu_prefault() for huge prefaults (the seed
 * 000 root of millions of SPTEs): one walk over [gfn, gfn + npages) with
 * mmu_lock held for read instead of one fault per page. The same rules as
 * a fault: tables linked and leaves installed with cmpxchg only where
 * nothing is present; a frozen, raced or huge entry ends the walk early
 * (the caller finishes the rest with kvm_tdp_mmu_prefault()). pfns are
 * looked up with mmu_lock held, which host reclaim takes for write, so no
 * mmu_invalidate_seq check is needed. Returns how many GFNs from @gfn on
 * are now mapped (<= @npages), or -MMU_E*.
 */
long kvm_tdp_mmu_map_range(struct vm *vm, struct kvm_mmu_page *root,
			   gfn_t gfn, u64 npages)
{
	struct tdp_iter iter;
	u64 mapped = 0;
	long ret = 0;

	if (gfn >= tdp_mmu_max_gfn(vm) || npages > tdp_mmu_max_gfn(vm) - gfn)
		return -MMU_EINVAL;
	read_lock(&vm->mmu_lock);
	if (root_is_invalid(root)) {
		read_unlock(&vm->mmu_lock);
		return 0;
	}
	rcu_read_lock();
	for_each_tdp_pte(iter, root, gfn, gfn + npages) {
		struct memslot *slot;
		u64 access = ACC_ALL;
		kvm_pfn_t pfn;

		if (is_frozen_spte(iter.old_spte))
			break;
		if (iter.level > PG_LEVEL_4K) {
			if (is_shadow_present_pte(iter.old_spte)) {
				if (is_large_pte(iter.old_spte))
					break;
				continue;
			}
			ret = tdp_mmu_link_sp(vm, &iter);
			if (ret)
				break;
			continue;	/* steps down into the new table */
		}
		if (iter.gfn != gfn + mapped)
			break;		/* a hole we did not fill: stop */
		if (!is_shadow_present_pte(iter.old_spte)) {
			slot = gfn_to_memslot(vm, iter.gfn);
			if (!slot) {
				mmu_stat_inc(vm, bad_gpa_faults);
				ret = -MMU_EFAULT;
				break;
			}
			if (slot->flags & MEMSLOT_READONLY)
				access = ACC_READ | ACC_EXEC;
			pfn = memslot_gfn_to_pfn(slot, iter.gfn);
			if (!pfn) {
				ret = -MMU_ENOMEM;
				break;
			}
			if (tdp_mmu_set_spte_atomic(vm, &iter,
					make_spte(pfn, PG_LEVEL_4K, access), NULL))
				break;
		}
		mapped++;
	}
	rcu_read_unlock();
	read_unlock(&vm->mmu_lock);
	return ret < 0 ? ret : (long)mapped;
}
