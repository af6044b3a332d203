/* SPDX-License-Identifier: MIT */
/*
 * The TDP MMU: EPT paging structures per VM with Linux KVM's semantics.
 *
 * Concurrency contract (see DESIGN.md and vm.h):
 *  - vm->mmu_lock held for read: faults and zaps change SPTEs only with
 *    cmpxchg and retry on contention; held for write: exclusive work.
 *  - FROZEN_SPTE marks an entry one thread is changing; others back off.
 *  - All walks run inside rcu_read_lock(); table pages and roots are
 *    freed through call_rcu().
 *  - Roots: refcounted, on an RCU list; a vCPU or a valid-only walk takes
 *    a reference only on a root that is valid and has a non-zero count,
 *    checked as one step with the increment (tdp_mmu_get_root). Putting the
 *    last reference follows KVM commit "Allow yielding when zapping GFNs
 *    for defunct TDP MMU root" (seed 000).
 */
#ifndef VMM_MMU_TDP_MMU_H
#define VMM_MMU_TDP_MMU_H

#include "kernel/errno.h"
#include "vmm/mmu/vm.h"
#include "vmm/mmu/page_fault.h"
#include "vmm/mmu/mmu_page.h"
#include "vmm/mmu/tdp_iter.h"

/* Failures are negative errno codes (kernel/errno.h). */

#define TDP_MMU_DEFAULT_PHYS_BITS	39
#define TDP_MMU_MAX_PHYS_BITS		48

/* VM lifetime. vm_destroy frees every page the VM used. */
int tdp_mmu_vm_init(struct vm *vm, const struct vm_mmu_ops *ops,
		    unsigned int phys_bits);
void tdp_mmu_vm_destroy(struct vm *vm);

/* Roots (tdp_mmu_root.c). */
/* A reference on a root valid while it is held (mmu_lock held), or false. */
bool tdp_mmu_get_root(struct vm *vm, struct kvm_mmu_page *root);
void tdp_mmu_put_root(struct vm *vm, struct kvm_mmu_page *root, bool shared);
struct kvm_mmu_page *tdp_mmu_get_vcpu_root(struct vm *vm, int as_id);
struct kvm_mmu_page *tdp_mmu_next_root(struct vm *vm,
				       struct kvm_mmu_page *prev_root,
				       bool shared, bool only_valid);
/* vCPU entry: keep *rootp if valid, else drop it and load a fresh one. */
int kvm_mmu_load(struct vm *vm, struct kvm_mmu_page **rootp);
void kvm_mmu_unload(struct vm *vm, struct kvm_mmu_page **rootp);

/*
 * Yield-safe walks over roots: each iteration holds a reference, so the
 * body may drop mmu_lock. The valid-only walk stops once the root it held
 * was invalidated (seed 002): every valid root then postdates the change.
 */
#define __for_each_tdp_mmu_root_yield_safe(vm, root, shared, only_valid) \
	for (root = tdp_mmu_next_root(vm, NULL, shared, only_valid);	\
	     root;							\
	     root = tdp_mmu_next_root(vm, root, shared, only_valid))

#define for_each_valid_tdp_mmu_root_yield_safe(vm, root, shared)	\
	__for_each_tdp_mmu_root_yield_safe(vm, root, shared, true)
#define for_each_tdp_mmu_root_yield_safe(vm, root, shared)		\
	__for_each_tdp_mmu_root_yield_safe(vm, root, shared, false)

/*
 * Every root on the list, valid or not, without references: the caller
 * holds mmu_lock for the whole walk and must not yield.
 */
#define for_each_tdp_mmu_root(vm, root)					\
	for (lockdep_assert_held(&(vm)->mmu_lock),			\
	     root = list_entry_rcu((vm)->tdp_mmu_roots.next,		\
				   struct kvm_mmu_page, link);		\
	     &root->link != &(vm)->tdp_mmu_roots;			\
	     root = list_entry_rcu(root->link.next,			\
				   struct kvm_mmu_page, link))

/*
 * Faults (tdp_mmu_fault.c), struct kvm_page_fault in page_fault.h.
 * kvm_mmu_faultin_pfn: the memslot and host page for @fault (0, or the
 * outcome that ends the fault: RET_PF_EMULATE, -ERANGE, -EFAULT, -ENOMEM).
 * kvm_tdp_page_fault: a whole fault through @mmu's root (the page_fault
 * of a TDP MMU context); takes mmu_lock for read. RET_PF_* or -errno.
 * kvm_mmu_do_page_fault: the same for a GPA and access, for callers
 * without a vCPU context (prefault, tests).
 */
int kvm_mmu_faultin_pfn(struct vm *vm, struct kvm_page_fault *fault);
int kvm_tdp_page_fault(struct vm *vm, struct kvm_mmu *mmu,
		       struct kvm_page_fault *fault);
int kvm_mmu_do_page_fault(struct vm *vm, struct kvm_mmu_page *root,
			  gpa_t gpa, u64 access);
/* Maps [gfn, gfn + npages) ahead of use; 0 or -errno. */
int kvm_tdp_mmu_prefault(struct vm *vm, struct kvm_mmu_page *root,
			 gfn_t gfn, u64 npages);
/* One walk for a whole range; GFNs mapped from @gfn on, or -errno. */
long kvm_tdp_mmu_map_range(struct vm *vm, struct kvm_mmu_page *root,
			   gfn_t gfn, u64 npages);

/*
 * Huge pages (tdp_mmu_huge.c). Split every huge SPTE of [start, end) in
 * every valid root down to @target_level (4K or 2M; eager split, takes
 * mmu_lock for read, yields): 0, -EINVAL, -ENOMEM. Recover: merge every
 * range of @slot that may be mapped huge again (after dirty logging, or
 * a disallow lifted); returns how many merges were done. Disallow: count
 * @gfn as needing 4K mappings (or, !@disallow, no longer) and split what
 * maps it huge; 0, -EFAULT (no memslot), -ENOMEM.
 */
int kvm_tdp_mmu_split_huge_pages(struct vm *vm, gfn_t start, gfn_t end,
				 int target_level);
long kvm_tdp_mmu_recover_huge_pages(struct vm *vm, struct memslot *slot);
int kvm_tdp_mmu_disallow_huge(struct vm *vm, gfn_t gfn, bool disallow);

/*
 * Dirty logging (tdp_mmu_dirty_log.c), KVM's semantics by slot id:
 * enable (eager split, every page write-protected; the bitmap starts
 * clear) and disable (huge pages recovered); get copies the bitmap
 * (KVM_GET_DIRTY_LOG with manual protect: nothing is cleared); clear
 * clears the bits of @mask (a bitmap of @npages from @first) and
 * write-protects exactly the pages whose bit it cleared, flushing before
 * it returns (KVM_CLEAR_DIRTY_LOG); harvest is get and clear of all in
 * one (KVM_GET_DIRTY_LOG without manual protect) and returns the number
 * of dirty pages. Bitmaps are u64 words, bit i = GFN base_gfn + i.
 */
int kvm_vm_set_dirty_logging(struct vm *vm, unsigned int slot_id, bool on);
int kvm_vm_get_dirty_log(struct vm *vm, unsigned int slot_id, u64 *bitmap);
int kvm_vm_clear_dirty_log(struct vm *vm, unsigned int slot_id, u64 first,
			   u64 npages, const u64 *mask);
long kvm_vm_harvest_dirty_log(struct vm *vm, unsigned int slot_id,
			      u64 *bitmap);
/* A write fault made @gfn writable in a logging slot: log it. */
void mark_page_dirty_in_slot(struct vm *vm, struct memslot *slot, gfn_t gfn);

/* Zaps (tdp_mmu_zap.c). Leaves only; tables stay linked. */
bool tdp_mmu_zap_leafs(struct vm *vm, struct kvm_mmu_page *root,
		       gfn_t start, gfn_t end, bool can_yield, bool flush,
		       bool shared);
void tdp_mmu_zap_root(struct vm *vm, struct kvm_mmu_page *root, bool shared);
/*
 * Zap [start, end) in every root; takes mmu_lock for read. Leaf tables
 * whose 2M span and 2M-level tables whose 1G span lie wholly in the range
 * are unlinked and freed too (their memory goes back). 0/-EINVAL
 */
int kvm_tdp_mmu_zap_gfn_range(struct vm *vm, gfn_t start, gfn_t end);
/* Highest GFN + 1 that a root of this VM translates. */
gfn_t tdp_mmu_max_gfn(struct vm *vm);

/* Invalidation (tdp_mmu_root.c). */
void tdp_mmu_invalidate_all_roots(struct vm *vm);
/* Invalidate under the write lock, then let the worker zap. */
void kvm_mmu_zap_all_fast(struct vm *vm);
/* The worker: zap and release every root invalidate_all_roots marked. */
void tdp_mmu_zap_invalidated_roots(struct vm *vm);

/*
 * Host reclaim, the mmu-notifier analogue (tdp_mmu_reclaim.c). Before the
 * host reuses the page backing @gfn, every SPTE mapping it in every root
 * is zapped and TLBs are flushed. @replacement (a page from
 * plat_alloc_page, or NULL to repopulate on next touch) becomes the
 * backing and the old page is freed. 0 or -EINVAL/-EFAULT.
 */
int tdp_mmu_reclaim_gfn(struct vm *vm, gfn_t gfn, void *replacement);
/*
 * The same, but the contents go to the swap store (swap.h) and the next
 * touch of @gfn waits for a page-in. 0, -ENOENT (never touched, or in
 * swap already: nothing to move), -EINVAL (alias), -EFAULT.
 */
int tdp_mmu_swap_out_gfn(struct vm *vm, gfn_t gfn);
bool tdp_mmu_unmap_gfn_range(struct vm *vm, gfn_t start, gfn_t end);

/* The memory-pressure worker (tdp_mmu_reclaim.c explains the modes). */
enum tdp_reclaim_mode {
	TDP_RECLAIM_DISCARD,	/* unpopulate; next touch: fresh zero page */
	TDP_RECLAIM_MIGRATE,	/* copy into a new page; data preserved */
	TDP_RECLAIM_SWAP,	/* to the slow swap store; data preserved */
};

/* Where the round robin over memslots resumes; owned by the worker. */
struct tdp_reclaim_cursor {
	unsigned int slot;
	u64 idx;		/* GFN index inside the slot */
};

long tdp_mmu_reclaim_some(struct vm *vm, u64 nr, enum tdp_reclaim_mode mode,
			  struct tdp_reclaim_cursor *cur);

/* Debug/test helpers: present leaves of a root / leaves mapping @pfn. */
u64 tdp_mmu_count_leafs(struct vm *vm, struct kvm_mmu_page *root);
u64 tdp_mmu_count_pfn_mappings(struct vm *vm, gfn_t start, gfn_t end,
			       kvm_pfn_t pfn);

void kvm_flush_remote_tlbs(struct vm *vm);
void kvm_flush_remote_tlbs_range(struct vm *vm, gfn_t gfn, u64 nr_pages);

#endif
