// SPDX-License-Identifier: MIT
/*
 * EPT violations: install the missing tables and the leaf with mmu_lock
 * held for read, racing other vCPUs, zaps and reclaim through cmpxchg.
 */
#include "kernel/log.h"
#include "kernel/platform.h"
#include "vmm/mmu/tdp_mmu_internal.h"
#include "vmm/mmu/shadow_ept.h"

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
 * One step of a descent, at an entry above the goal: 0 to step down
 * (present, or a table just linked), TDP_DESCEND_HUGE at a huge leaf,
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

/*
 * After a merge was given up: is @gfn now mapped with @access under the
 * entry at @iter (whose table the merge left populated)? Then the fault
 * has made its progress even though the huge mapping has not.
 */
static bool tdp_mmu_gfn_mapped_below(struct tdp_iter *iter, gfn_t gfn,
				     u64 access)
{
	u64 spte = iter->old_spte;
	int level = iter->level;

	while (is_shadow_present_pte(spte) && !is_last_spte(spte, level)) {
		spte = spte_read(spte_to_child_pt(spte, level) +
				 SPTE_INDEX(gfn, level - 1));
		level--;
	}
	return is_shadow_present_pte(spte) &&
	       (spte_access(spte) & access) == access;
}

/*
 * Install the leaf for @fault at its goal level, on the way splitting a
 * huge SPTE that is larger than allowed now (lazy split) and, at the
 * goal, merging a table that may be mapped huge again (seed 001).
 */
static int kvm_tdp_mmu_map(struct vm *vm, struct kvm_mmu_page *root,
			   struct kvm_page_fault *fault)
{
	int goal = fault->goal_level;
	struct tdp_iter iter;
	u64 new_spte, old, map_access;
	bool logged, wrprot = false;
	int ret;

	lockdep_assert_held_read(&vm->mmu_lock);
	rcu_read_lock();
	for_each_tdp_pte(iter, root, fault->gfn, fault->gfn + 1) {
		if (iter.level == goal)
			break;
		if (is_shadow_present_pte(iter.old_spte) &&
		    is_large_pte(iter.old_spte)) {
			ret = tdp_mmu_split_huge_page(vm, &iter, true);
			if (ret == -EBUSY)
				ret = RET_PF_RETRY;
			if (ret)
				goto out;
			continue;	/* into the table just made */
		}
		ret = tdp_mmu_descend(vm, &iter);
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
	 * the goal, on another GFN's entry. Never install there: retry.
	 */
	if (iter.level != goal ||
	    iter.gfn != tdp_iter_round_gfn(fault->gfn, goal)) {
		ret = RET_PF_RETRY;
		goto out;
	}

	old = iter.old_spte;
	/*
	 * A GFN that holds a shadowed L1 EPT table (shadow_ept.h): a write
	 * to a leaf table marks its shadow pages unsync and goes through;
	 * a read, or a write to a tracked table, leaves it read-only.
	 */
	map_access = fault->map_access;
	if ((map_access & ACC_WRITE) && READ_ONCE(vm->indirect_shadow_pages) &&
	    mmu_try_to_unsync_pages(vm, fault->slot, fault->gfn,
				    fault->access & ACC_WRITE)) {
		map_access &= ~ACC_WRITE;
		wrprot = true;
		if (!(fault->access & ACC_WRITE))
			mmu_stat_inc(vm, shadow_wrprot_reads);
	}
	new_spte = make_spte(fault->pfn & ~(KVM_PAGES_PER_HPAGE(goal) - 1),
			     goal, map_access);
	logged = fault->dirty_log && (map_access & ACC_WRITE) &&
		 !(is_shadow_present_pte(old) && is_writable_pte(old));
	if (is_frozen_spte(old)) {
		ret = RET_PF_RETRY;
	} else if (is_shadow_present_pte(old) &&
		   is_last_spte(old, iter.level) &&
		   (spte_access(old) & fault->access) == fault->access) {
		/* Another vCPU fixed it first, or a stale TLB entry. */
		ret = RET_PF_SPURIOUS;
	} else if (is_shadow_present_pte(old) &&
		   !is_last_spte(old, iter.level)) {
		/* A table where a huge leaf is allowed again: merge. */
		ret = tdp_mmu_merge_huge_spt(vm, &iter, new_spte);
		if (!ret)
			ret = RET_PF_FIXED;
		else if (ret == -EAGAIN &&
			 tdp_mmu_gfn_mapped_below(&iter, fault->gfn,
						  fault->access))
			ret = RET_PF_FIXED;
		else
			ret = RET_PF_RETRY;
	} else if (tdp_mmu_set_spte_atomic(vm, &iter, new_spte, NULL)) {
		ret = RET_PF_RETRY;
	} else {
		/*
		 * Only after the SPTE is writable is the page logged: a
		 * harvest that cleared the bit in between also finds the
		 * SPTE writable and write-protects it again, so no write
		 * through it goes unreported.
		 */
		if (logged)
			mark_page_dirty_in_slot(vm, fault->slot, fault->gfn);
		/*
		 * A present leaf replaced with more access needs no flush:
		 * the EPT violation dropped the translation it came from.
		 */
		ret = RET_PF_FIXED;
	}
	/* The caller unprotects the GFN and lets the write retry. */
	if (wrprot && (fault->access & ACC_WRITE) && ret != RET_PF_RETRY)
		ret = RET_PF_WRITE_PROTECTED;
out:
	rcu_read_unlock();
	return ret;
}

int kvm_mmu_faultin_pfn(struct vm *vm, struct kvm_page_fault *fault)
{
	int host_level;

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
	/*
	 * Sample before the lookup; pairs with the bump in reclaim, in
	 * dirty-log enabling and in disallowing huge pages, so the level
	 * and logging decided below are rechecked under mmu_lock.
	 */
	fault->mmu_seq = __atomic_load_n(&vm->mmu_invalidate_seq,
					 __ATOMIC_ACQUIRE);
	fault->pfn = __memslot_gfn_to_pfn(fault->slot, fault->gfn,
					  MEMSLOT_GET_POPULATE |
					  MEMSLOT_GET_NOWAIT, &host_level);
	if (unlikely(fault->pfn == KVM_PFN_NOT_RESIDENT))
		return RET_PF_NOT_RESIDENT;	/* in swap: slow, maybe async */
	if (!fault->pfn)
		return -ENOMEM;
	fault->dirty_log = memslot_dirty_log_enabled(fault->slot);
	/* Logging: only a write fault gets write access (and is logged). */
	if (fault->dirty_log && !(fault->access & ACC_WRITE))
		fault->map_access &= ~ACC_WRITE;
	fault->goal_level = kvm_mmu_max_mapping_level(fault->slot, fault->gfn,
			MIN((int)fault->max_level, vm->max_huge_level),
			host_level);
	return 0;
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
			/* A prefault is the host's own request: page in now. */
			if (ret == RET_PF_NOT_RESIDENT) {
				if (memslot_swap_in(gfn_to_memslot(vm, gfn + i),
						    gfn + i))
					return -ENOMEM;
				ret = RET_PF_RETRY;
			}
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
			/* A shadowed L1 EPT table stays read-only. */
			if (READ_ONCE(vm->indirect_shadow_pages) &&
			    mmu_try_to_unsync_pages(vm, slot, iter.gfn, false))
				access &= ~ACC_WRITE;
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
