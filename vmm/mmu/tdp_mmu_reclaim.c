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
#include "kernel/platform.h"
#include "vmm/mmu/tdp_mmu_internal.h"

bool tdp_mmu_unmap_gfn_range(struct vm *vm, gfn_t start, gfn_t end)
{
	struct kvm_mmu_page *root;
	bool flush = false;

	lockdep_assert_held_write(&vm->mmu_lock);
	for_each_tdp_mmu_root_yield_safe(vm, root, false)
		flush = tdp_mmu_zap_leafs(vm, root, start, end, false, flush,
					  false);
	return flush;
}

int tdp_mmu_reclaim_gfn(struct vm *vm, gfn_t gfn, void *replacement)
{
	struct memslot *slot = gfn_to_memslot(vm, gfn);
	u64 idx, new_pfn = 0, old_pfn;

	if (!slot)
		return -MMU_EFAULT;
	/* One aliased host page backs many GFNs: not reclaimable by GFN. */
	if (slot->flags & MEMSLOT_ALIAS)
		return -MMU_EINVAL;
	idx = gfn - slot->base_gfn;
	if (replacement)
		new_pfn = plat_virt_to_phys(replacement) >> PAGE_SHIFT;

	write_lock(&vm->mmu_lock);
	__atomic_store_n(&vm->mmu_invalidate_seq, vm->mmu_invalidate_seq + 1,
			 __ATOMIC_RELEASE);
	tdp_mmu_unmap_gfn_range(vm, gfn, gfn + 1);
	/*
	 * Flush even if no SPTE was found here: the guest must not keep a
	 * translation that an earlier, batched zap left for us to flush.
	 */
	kvm_flush_remote_tlbs_range(vm, gfn, 1);
	old_pfn = __atomic_exchange_n(&slot->pfns[idx], new_pfn,
				      __ATOMIC_ACQ_REL);
	__atomic_store_n(&vm->mmu_invalidate_seq, vm->mmu_invalidate_seq + 1,
			 __ATOMIC_RELEASE);
	write_unlock(&vm->mmu_lock);

	if (old_pfn)
		plat_free_page(plat_phys_to_virt(old_pfn << PAGE_SHIFT));
	mmu_stat_inc(vm, reclaims);
	return 0;
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
			    spte_to_pfn(iter.old_spte) == pfn)
				n++;
	}
	rcu_read_unlock();
	write_unlock(&vm->mmu_lock);
	return n;
}
