/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the tdp_mmu_*.c files; not an interface.
 */
#ifndef VMM_MMU_TDP_MMU_INTERNAL_H
#define VMM_MMU_TDP_MMU_INTERNAL_H

#include "kernel/lockdep.h"
#include "vmm/mmu/tdp_mmu.h"

static inline void kvm_lockdep_assert_mmu_lock_held(struct vm *vm,
						    bool shared)
{
	if (shared)
		lockdep_assert_held_read(&vm->mmu_lock);
	else
		lockdep_assert_held_write(&vm->mmu_lock);
}

/* Page-table pages (tdp_mmu_spte.c). */
struct kvm_mmu_page *tdp_mmu_alloc_sp(struct vm *vm, gfn_t gfn, int level);
void tdp_mmu_free_sp(struct kvm_mmu_page *sp);
void tdp_mmu_free_sp_rcu_callback(struct rcu_head *head);
void tdp_mmu_free_frozen_sp_rcu_callback(struct rcu_head *head);
void tdp_mmu_unhash_sp(struct vm *vm, struct kvm_mmu_page *sp);
/* The same with tdp_mmu_pages_lock already held. */
void tdp_mmu_unhash_sp_locked(struct vm *vm, struct kvm_mmu_page *sp);

/*
 * SPTE updates. The atomic form (mmu_lock held for read) returns 0 or
 * -EBUSY if the SPTE was frozen or no longer iter->old_spte, in which
 * case iter->old_spte holds the current value. Both forms process the
 * change (unlinked tables are frozen and freed via RCU) and return the
 * number of present leaf SPTEs that went away.
 */
int tdp_mmu_set_spte_atomic(struct vm *vm, struct tdp_iter *iter,
			    u64 new_spte, u64 *nr_zapped);
u64 tdp_mmu_set_spte(struct vm *vm, struct tdp_iter *iter, u64 new_spte);
u64 handle_removed_pt_of_invalid_root(struct vm *vm, u64 *pt, int level);
u64 handle_changed_spte(struct vm *vm, gfn_t gfn, u64 old_spte,
			u64 new_spte, int level, bool shared);

/* Find the sp of an unlinked table and unhash it. */
struct kvm_mmu_page *tdp_mmu_unhash_pt(struct vm *vm, u64 *pt);
/* Exchange FROZEN_SPTE in, waiting out another owner; the old value. */
u64 tdp_mmu_freeze_spte(u64 *sptep);

/* Huge pages (tdp_mmu_huge.c). */
/*
 * Replace the huge leaf at @iter with a table of 512 smaller leaves
 * mapping the same frames: 0, -EBUSY (shared: the SPTE changed, iter has
 * the new value), -ENOMEM.
 */
int tdp_mmu_split_huge_page(struct vm *vm, struct tdp_iter *iter, bool shared);
/*
 * Seed 001: merge the table under @iter into @huge_spte in place (shared
 * mmu_lock). 0 merged, -EBUSY the entry changed first, -EAGAIN given up
 * with the missing children populated. iter->old_spte is reread.
 */
int tdp_mmu_merge_huge_spt(struct vm *vm, struct tdp_iter *iter,
			   u64 huge_spte);
/* mmu_lock held for write: no huge leaf maps @gfn; 1: flush, -ENOMEM. */
int tdp_mmu_split_huge_at_gfn_locked(struct vm *vm, gfn_t gfn);

/*
 * Shadow EPT's write protection (tdp_mmu_dirty_log.c), mmu_lock held for
 * write: no root maps @gfn writable; true if a flush is needed.
 */
bool kvm_tdp_mmu_write_protect_gfn(struct vm *vm, gfn_t gfn);

/* Yield from a walk if needed; true if the walk must restart. */
bool tdp_mmu_iter_cond_resched(struct vm *vm, struct tdp_iter *iter,
			       bool flush, bool shared);

#endif
