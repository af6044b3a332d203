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
 * race with a writer.
 */
union kvm_mmu_page_role {
	u32 word;
	struct {
		unsigned level:4;	/* PG_LEVEL_* of the entries in spt */
		unsigned as_id:8;	/* address space (SMM, ...) */
		unsigned invalid:1;	/* roots: obsolete, zap and free */
		unsigned guest_mode:1;	/* flag: root for a nested guest */
		unsigned :18;
	};
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
