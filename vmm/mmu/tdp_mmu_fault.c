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
		return -ENOMEM;
	new_spte = make_nonleaf_spte(plat_virt_to_phys(sp->spt) >> PAGE_SHIFT);
	if (tdp_mmu_set_spte_atomic(vm, iter, new_spte, NULL)) {
		tdp_mmu_unhash_sp(vm, sp);
		tdp_mmu_free_sp(sp);
		return RET_PF_RETRY;
	}
	return 0;
}

/*
 * One step of a descent towards a 4K leaf, at an entry above 4K: 0 to step
 * down (present, or a table just linked), TDP_DESCEND_HUGE at a huge leaf,
 * RET_PF_RETRY when the entry is frozen or a race was lost, -ENOMEM.
 */
#define TDP_DESCEND_HUGE	(-1000)
static int tdp_mmu_descend(struct vm *vm, struct tdp_iter *iter)
{
	if (is_frozen_spte(iter->old_spte))
		return RET_PF_RETRY;
	if (is_shadow_present_pte(iter->old_spte))
		return is_large_pte(iter->old_spte) ? TDP_DESCEND_HUGE : 0;
	/* The iterator then steps down into the table just linked. */
	return tdp_mmu_link_sp(vm, iter);
}

static inline void pf_stamp(struct kvm_page_fault *fault,
			    enum kvm_pf_stamp which)
{
	if (unlikely(fault->stamps))
		fault->stamps[which] = plat_cycles();
}

static int kvm_tdp_mmu_map(struct vm *vm, struct kvm_mmu_page *root,
			   struct kvm_page_fault *fault)
{
	struct tdp_iter iter;
	u64 new_spte, old;
	int ret;

	lockdep_assert_held_read(&vm->mmu_lock);
	rcu_read_lock();
	for_each_tdp_pte(iter, root, fault->gfn, fault->gfn + 1) {
		if (iter.level == fault->goal_level)
			break;
		ret = tdp_mmu_descend(vm, &iter);
		if (ret == TDP_DESCEND_HUGE)
			break;		/* no promotion: the huge leaf stays */
		if (ret)
			goto out;
	}
	if (WARN_ON_ONCE(!iter.valid)) {
		ret = -EFAULT;
		goto out;
	}
	/*
	 * A table seen present on the way down may be unlinked before the
	 * step into it (a range zap freeing it under the shared lock): the
	 * walk then steps sideways out of the GFN's range and stops above
	 * 4K, on another GFN's entry. Never install there: retry.
	 */
	if (iter.level != PG_LEVEL_4K && !is_large_pte(iter.old_spte)) {
		ret = RET_PF_RETRY;
		goto out;
	}

	old = iter.old_spte;
	new_spte = make_spte(fault->pfn, PG_LEVEL_4K, fault->map_access);
	if (is_frozen_spte(old)) {
		ret = RET_PF_RETRY;
	} else if (is_shadow_present_pte(old) &&
		   is_last_spte(old, iter.level) &&
		   (spte_access(old) & fault->access) == fault->access) {
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
			kvm_flush_remote_tlbs_range(vm, fault->gfn, 1);
		ret = RET_PF_FIXED;
	}
out:
	rcu_read_unlock();
	return ret;
}

int kvm_mmu_faultin_pfn(struct vm *vm, struct kvm_page_fault *fault)
{
	/* Guest-controlled input: reject cleanly, never walk with it. */
	if (fault->addr >> vm->phys_bits) {
		mmu_stat_inc(vm, bad_gpa_faults);
		return -ERANGE;
	}
	fault->slot = gfn_to_memslot(vm, fault->gfn);
	if (!fault->slot) {
		/* Not memory: a device's MMIO, or nothing (the caller says). */
		mmu_stat_inc(vm, bad_gpa_faults);
		return RET_PF_EMULATE;
	}
	fault->map_access = ACC_ALL;
	if (fault->slot->flags & MEMSLOT_READONLY) {
		if (fault->access & ACC_WRITE) {
			mmu_stat_inc(vm, bad_gpa_faults);
			return -EFAULT;
		}
		fault->map_access = ACC_READ | ACC_EXEC;
	}
	/* Sample before the lookup; pairs with the bump in reclaim. */
	fault->mmu_seq = __atomic_load_n(&vm->mmu_invalidate_seq,
					 __ATOMIC_ACQUIRE);
	fault->pfn = memslot_gfn_to_pfn(fault->slot, fault->gfn);
	return fault->pfn ? 0 : -ENOMEM;
}

int kvm_tdp_page_fault(struct vm *vm, struct kvm_mmu *mmu,
		       struct kvm_page_fault *fault)
{
	struct kvm_mmu_page *root = mmu->root;
	int ret;

	pf_stamp(fault, KVM_PF_T_START);
	ret = kvm_mmu_faultin_pfn(vm, fault);
	if (ret)
		return ret;
	mmu_stat_inc(vm, faults);
	pf_stamp(fault, KVM_PF_T_PFN);

	read_lock(&vm->mmu_lock);
	pf_stamp(fault, KVM_PF_T_LOCKED);
	if (root_is_invalid(root) ||
	    READ_ONCE(vm->mmu_invalidate_seq) != fault->mmu_seq)
		ret = RET_PF_RETRY;	/* stale root or raced a reclaim */
	else
		ret = kvm_tdp_mmu_map(vm, root, fault);
	pf_stamp(fault, KVM_PF_T_MAPPED);
	read_unlock(&vm->mmu_lock);

	if (ret == RET_PF_RETRY)
		mmu_stat_inc(vm, fault_retries);
	else if (ret == RET_PF_SPURIOUS)
		mmu_stat_inc(vm, spurious_faults);
	pf_stamp(fault, KVM_PF_T_DONE);
	return ret;
}

int kvm_mmu_do_page_fault(struct vm *vm, struct kvm_mmu_page *root,
			  gpa_t gpa, u64 access)
{
	struct kvm_mmu mmu = { .root = root, .page_fault = kvm_tdp_page_fault };
	struct kvm_page_fault fault;

	kvm_page_fault_init(&fault, gpa, access);
	return mmu.page_fault(vm, &mmu, &fault);
}

int kvm_tdp_mmu_prefault(struct vm *vm, struct kvm_mmu_page *root,
			 gfn_t gfn, u64 npages)
{
	u64 i;

	for (i = 0; i < npages; i++) {
		int ret, tries = 0;

		do {
			ret = kvm_mmu_do_page_fault(vm, root,
						    (gfn + i) << PAGE_SHIFT,
						    ACC_ALL);
		} while (ret == RET_PF_RETRY && ++tries < 1000 &&
			 !root_is_invalid(root));
		if (ret < 0)
			return ret;
		if (ret == RET_PF_EMULATE)
			return -EFAULT;		/* not memory */
		if (ret == RET_PF_RETRY)
			return -EBUSY;
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
 * are now mapped (<= @npages), or -errno.
 */
long kvm_tdp_mmu_map_range(struct vm *vm, struct kvm_mmu_page *root,
			   gfn_t gfn, u64 npages)
{
	struct tdp_iter iter;
	u64 mapped = 0;
	long ret = 0;

	if (gfn >= tdp_mmu_max_gfn(vm) || npages > tdp_mmu_max_gfn(vm) - gfn)
		return -EINVAL;
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

		if (iter.level > PG_LEVEL_4K) {
			int r = tdp_mmu_descend(vm, &iter);

			if (r) {
				/* Frozen, huge or raced: the caller goes on. */
				if (r == -ENOMEM)
					ret = r;
				break;
			}
			continue;
		}
		if (is_frozen_spte(iter.old_spte))
			break;
		if (iter.gfn != gfn + mapped)
			break;		/* a hole we did not fill: stop */
		if (!is_shadow_present_pte(iter.old_spte)) {
			slot = gfn_to_memslot(vm, iter.gfn);
			if (!slot) {
				mmu_stat_inc(vm, bad_gpa_faults);
				ret = -EFAULT;
				break;
			}
			if (slot->flags & MEMSLOT_READONLY)
				access = ACC_READ | ACC_EXEC;
			pfn = memslot_gfn_to_pfn(slot, iter.gfn);
			if (!pfn) {
				ret = -ENOMEM;
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
