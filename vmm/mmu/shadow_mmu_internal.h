/* SPDX-License-Identifier: MIT */
/*
 * Shared by the shadow MMU's files (shadow_mmu.c: pages, links, zaps,
 * faults, roots; shadow_unsync.c: unsync marking, sync, the audit).
 * Everything here needs mmu_lock held for write unless it says so.
 */
#ifndef VMM_MMU_SHADOW_MMU_INTERNAL_H
#define VMM_MMU_SHADOW_MMU_INTERNAL_H

#include "kernel/list.h"
#include "vmm/mmu/shadow_ept.h"
#include "vmm/mmu/tdp_mmu_internal.h"

static inline unsigned int mmu_page_hash_idx(gfn_t gfn)
{
	return (unsigned int)((gfn * 0x9e3779b97f4a7c15ULL) >>
			      (64 - MMU_PAGE_HASH_BITS));
}

#define for_each_gfn_valid_sp(vm, sp, _gfn)				\
	for (sp = (vm)->mmu_page_hash[mmu_page_hash_idx(_gfn)]; sp;	\
	     sp = sp->gfn_hash_next)					\
		if (sp->gfn != (_gfn) || sp->role.invalid ||		\
		    sp->role.direct) {} else

/*
 * Zapping is two steps, as KVM's prepare/commit: unlink pages onto
 * @invalid_list (nothing can reach them afterwards but a CPU's cached
 * translations), then flush once and free them all.
 */
void shadow_zap_page(struct vm *vm, struct kvm_mmu_page *sp,
		     struct list_head *invalid_list);
void shadow_commit_zap(struct vm *vm, struct list_head *invalid_list);
/* Zap every valid shadow page of L1 table @gfn; true if any. */
bool shadow_zap_gfn(struct vm *vm, gfn_t gfn, struct list_head *invalid_list);

/* Unsync bookkeeping (shadow_unsync.c). */
/* Set bit @index of @sp and carry it upwards (the caller owns the lock). */
void shadow_mark_unsync(struct kvm_mmu_page *sp, unsigned int index);
/* Clear bit @index of @sp; when its last bit goes, carry it upwards. */
void shadow_clear_unsync_child_bit(struct kvm_mmu_page *sp,
				   unsigned int index);
/* @sp is unsync-clean now: clear its bit in every parent. */
void shadow_clear_unsync_in_parents(struct kvm_mmu_page *sp);
/* Sync every unsync page under @root; true if any SPTE changed. */
void shadow_sync_root(struct vm *vm, struct kvm_mmu_page *root);

/*
 * Debug check after every sync: recount unsync_children and the bitmaps
 * from the shadow tree. Returns the number of differences (each also a
 * WARN and an mmu_bugs count).
 */
unsigned int shadow_audit_unsync(struct vm *vm);

/* Reclaim's hook: drop EPT02 translations to L1 GFNs in [start, end). */
bool kvm_shadow_ept_unmap_gfn_range(struct vm *vm, gfn_t start, gfn_t end);

/* Debug/test: shadow pages alive, and the L1 GFN a leaf SPTE maps. */
u64 shadow_count_pages(struct vm *vm);

#endif
