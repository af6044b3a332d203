/* SPDX-License-Identifier: MIT */
/*
 * Memslots: which host page backs each guest frame.
 *
 * A slot covers [base_gfn, base_gfn + npages). Its backing is either one
 * host frame per GFN, filled on first touch (or all at creation with
 * MEMSLOT_PREPOPULATE) and replaceable by host reclaim, or, with
 * MEMSLOT_ALIAS, a small ring of nr_alias host pages that GFN i maps to
 * page i % nr_alias (huge guests without huge host memory; not
 * reclaimable).
 *
 * Slots are set up before any vCPU runs and never change afterwards, so
 * readers need no lock. The per-GFN pfns[] entries change concurrently
 * (first touch: cmpxchg from 0; reclaim: exchange under mmu_lock held for
 * write with an invalidation in progress).
 */
#ifndef VMM_MMU_MEMSLOT_H
#define VMM_MMU_MEMSLOT_H

#include "kernel/compiler.h"

#define MEMSLOT_PREPOPULATE	BIT(0)
#define MEMSLOT_ALIAS		BIT(1)
#define MEMSLOT_READONLY	BIT(2)

#define VM_MAX_MEMSLOTS		8

struct vm;

struct memslot {
	gfn_t base_gfn;
	u64 npages;
	u32 flags;
	/* Non-alias slots: host pfn per GFN, 0 while not populated. */
	u64 *pfns;
	/* Alias slots: the shared host pages. */
	u64 *alias_pfns;
	unsigned int nr_alias;
};

/* 0, -EINVAL (bad range/overlap/too many), -ENOMEM. */
int vm_add_memslot(struct vm *vm, gfn_t base_gfn, u64 npages, u32 flags,
		   unsigned int nr_alias);
struct memslot *gfn_to_memslot(struct vm *vm, gfn_t gfn);
/* Host pfn backing @gfn, populating it on first touch; 0 on ENOMEM. */
kvm_pfn_t memslot_gfn_to_pfn(struct memslot *slot, gfn_t gfn);
/* Frees every host page the slots own; the VM must have no SPTEs left. */
void vm_free_memslots(struct vm *vm);
/* Host pages currently owned by memslots (for leak accounting). */
u64 vm_memslot_pages(struct vm *vm);

#endif
