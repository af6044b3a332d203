/* SPDX-License-Identifier: MIT */
/*
 * struct kvm_mmu_page: the bookkeeping for one EPT table page (a root or an
 * interior/leaf table) of the TDP MMU.
 */
#ifndef VMM_MMU_MMU_PAGE_H
#define VMM_MMU_MMU_PAGE_H

#include "kernel/list.h"
#include "kernel/rcu.h"
#include "kernel/refcount.h"
#include "vmm/mmu/spte.h"

struct vm;

/*
 * What a table translates. Only the invalid bit ever changes after
 * allocation, and it only goes 0 -> 1, with an atomic exchange on the whole
 * word (kvm_tdp_root_mark_invalid) so readers of the other fields never
 * race with a writer. Two pages with the same gfn and role translate the
 * same thing, which is how the shadow MMU finds a page to share.
 */
union kvm_mmu_page_role {
	u32 word;
	struct {
		unsigned level:4;	/* PG_LEVEL_* of the entries in spt */
		unsigned as_id:8;	/* address space (SMM, ...) */
		unsigned invalid:1;	/* roots: obsolete, zap and free */
		unsigned guest_mode:1;	/* flag: root for a nested guest */
		/*
		 * 0: the page shadows an L1 EPT table at gfn (shadow EPT);
		 * 1: it maps a GFN range directly (every TDP MMU page, and
		 * shadow pages standing in for an L1 huge leaf).
		 */
		unsigned direct:1;
		/*
		 * Shadow pages: the ACC_* the L1 entries above this table
		 * grant (a leaf's access is access & its L1 entry's), so one
		 * L1 table reached with different rights gets one page each.
		 */
		unsigned access:3;
		unsigned ad_enabled:1;	/* shadow: L1's EPTP enables A/D */
		unsigned :13;
	};
};

struct kvm_mmu_page;

/*
 * One parent entry of a shadow page: the shadow page above it and the
 * index of the SPTE there that points at it (KVM keeps parent_ptes).
 * mmu_lock held for write.
 */
struct shadow_parent {
	struct kvm_mmu_page *sp;
	unsigned int index;
	struct shadow_parent *next;
};

struct kvm_mmu_page {
	/* Roots: on vm->tdp_mmu_roots (RCU; changed under tdp_mmu_pages_lock). */
	struct list_head link;
	/* On vm->sp_hash, to find the page from its table (pages_lock). */
	struct kvm_mmu_page *hash_next;
	union kvm_mmu_page_role role;
	/* First GFN translated by spt. */
	gfn_t gfn;
	/* The table itself: 512 SPTEs in one page. */
	u64 *spt;
	/* Roots only: references from vCPUs and yield-safe walkers. */
	refcount_t tdp_mmu_root_count;
	/* Roots only: invalidate_all_roots left a reference for the worker. */
	bool tdp_mmu_scheduled_root_to_zap;
	/* Roots only: creation order, for diagnostics and tests. */
	u64 root_seq;
	struct vm *vm;
	struct rcu_head rcu_head;

	/*
	 * Shadow EPT pages only (role.direct = 0, or direct pages under
	 * one; vmm/mmu/shadow_mmu.c). Changed with mmu_lock held for write
	 * unless said otherwise.
	 */
	/* On vm->mmu_page_hash[gfn], to find the page for an L1 table. */
	struct kvm_mmu_page *gfn_hash_next;
	/* On vm->shadow_pages, every shadow page of the VM. */
	struct list_head shadow_link;
	/* The shadow pages whose SPTEs point here; empty for a root. */
	struct shadow_parent *parents;
	/*
	 * Tables above the leaves: the shadow page each present SPTE points
	 * to (one page of pointers). Leaf tables of L1 (role.direct = 0,
	 * level 4K): the L1 entry each present SPTE was made from, which
	 * the sync compares with L1's table now (KVM's shadowed_translation).
	 */
	union {
		struct kvm_mmu_page **children;
		u64 *shadowed_gpte;
	};
	/* Roots: references from vCPUs' L2 contexts (kvm_shadow_ept_load). */
	int root_count;
	/*
	 * The unsync bookkeeping, seed 004: written with mmu_lock held for
	 * write, *or* for read together with vm->mmu_unsync_pages_lock (the
	 * TDP MMU fault path marking pages unsync). None of it is atomic;
	 * the lock is what keeps two vCPUs that mark siblings from losing
	 * a count or a bit of their common parent.
	 *  unsync: this leaf page may differ from L1's table (L1 has write
	 *          access to it); read lock-free by the fault path first.
	 *  unsync_children: how many bits of unsync_child_bitmap are set.
	 *  unsync_child_bitmap: bit i: the child at SPTE i is unsync or
	 *          has unsync children itself.
	 */
	bool unsync;
	unsigned int unsync_children;
	u64 unsync_child_bitmap[SPTE_ENT_PER_PAGE / 64];
};

static inline union kvm_mmu_page_role sp_role(const struct kvm_mmu_page *sp)
{
	union kvm_mmu_page_role role;

	role.word = __atomic_load_n(&sp->role.word, __ATOMIC_ACQUIRE);
	return role;
}

static inline bool root_is_invalid(const struct kvm_mmu_page *root)
{
	return sp_role(root).invalid;
}

/* Returns the previous value of the invalid bit. */
static inline bool kvm_tdp_root_mark_invalid(struct kvm_mmu_page *root)
{
	union kvm_mmu_page_role role = sp_role(root);

	role.invalid = 1;
	role.word = __atomic_exchange_n(&root->role.word, role.word,
					__ATOMIC_ACQ_REL);
	return role.invalid;
}

#endif
