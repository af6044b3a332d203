/* SPDX-License-Identifier: MIT */
/*
 * Memslots: which host page backs each guest frame, and how large a
 * mapping each part of a slot may get.
 *
 * A slot covers [base_gfn, base_gfn + npages). Its backing is one of:
 *  - one host frame per GFN, filled on first touch (or all at creation
 *    with MEMSLOT_PREPOPULATE) and replaceable by host reclaim;
 *  - with MEMSLOT_HUGE_2M / MEMSLOT_HUGE_1G, host blocks of 2M / 1G
 *    (physically contiguous and aligned) allocated on the first touch of
 *    each aligned range wholly inside the slot, falling back to smaller
 *    blocks and finally to 4K frames when none is free. A block backs its
 *    range until a page inside it is reclaimed or replaced, which "breaks"
 *    it into 4K frames (memslot_break_hpage);
 *  - with MEMSLOT_ALIAS, a small ring of nr_alias host pages that GFN i
 *    maps to page i % nr_alias (huge guests without huge host memory; not
 *    reclaimable, never mapped huge).
 *
 * The slot array is set up before any vCPU runs and never changes
 * afterwards, so readers need no lock. What changes concurrently, and
 * how, is said beside each field.
 */
#ifndef VMM_MMU_MEMSLOT_H
#define VMM_MMU_MEMSLOT_H

#include "kernel/compiler.h"
#include "vmm/mmu/spte.h"

#define MEMSLOT_PREPOPULATE	BIT(0)
#define MEMSLOT_ALIAS		BIT(1)
#define MEMSLOT_READONLY	BIT(2)
#define MEMSLOT_HUGE_2M		BIT(3)	/* back with 2M blocks */
#define MEMSLOT_HUGE_1G		BIT(4)	/* back with 1G blocks, then 2M */

#define VM_MAX_MEMSLOTS		8

/* 4K, 2M, 1G: the sizes a leaf SPTE can map (KVM's KVM_NR_PAGE_SIZES). */
#define KVM_MAX_HUGEPAGE_LEVEL	PG_LEVEL_1G
#define KVM_NR_PAGE_SIZES	3

/* kvm_lpage_info.host_pfn: no block yet (the first touch allocates). */
#define HPAGE_UNTOUCHED		0ULL
/* kvm_lpage_info.host_pfn: backed by 4K frames in pfns[]. */
#define HPAGE_SMALL		(~0ULL)
/*
 * Low bit of a block's base pfn (bases are aligned, so the bit is free):
 * a 2M piece of a broken 1G block, whose pages are freed one by one.
 */
#define HPAGE_PIECE		1ULL

/*
 * One aligned huge-page range of a slot at one level (2M or 1G): KVM's
 * kvm_lpage_info, plus what KVM reads from the host page tables (is the
 * range backed by one huge host page?).
 */
struct kvm_lpage_info {
	/*
	 * > 0: the range may not be mapped huge at this level. 1 for ranges
	 * that stick out of the slot (for ever); counted up and down for
	 * GFNs that must be mapped 4K (a write-protected guest page table,
	 * nested EPT). Atomic; changed with mmu_lock held for write, which
	 * also zaps or splits what the change forbids.
	 */
	int disallow_lpage;
	/*
	 * HPAGE_UNTOUCHED -> a block's base pfn (first touch, cmpxchg) or
	 * HPAGE_SMALL (no block free, cmpxchg); base -> HPAGE_SMALL when the
	 * block breaks (mmu_lock held for write). Read lock-free (acquire).
	 */
	u64 host_pfn;
};

/*
 * A pfns[] entry of a GFN whose page is in the swap store (swap.h): the
 * low bits hold the host page keeping its contents (0: the page was all
 * zeroes and no page is kept). MEMSLOT_SWAPIN_BUSY: a page-in claimed the
 * entry and is copying it back; it publishes the new pfn next.
 */
#define MEMSLOT_PFN_SWAPPED	(1ULL << 63)
#define MEMSLOT_SWAPIN_BUSY	(1ULL << 62)
#define MEMSLOT_PFN_MASK	(MEMSLOT_SWAPIN_BUSY - 1)
/* __memslot_gfn_to_pfn() with MEMSLOT_GET_NOWAIT: the page is in swap. */
#define KVM_PFN_NOT_RESIDENT	((kvm_pfn_t)MEMSLOT_PFN_SWAPPED)

/* __memslot_gfn_to_pfn() flags. */
#define MEMSLOT_GET_POPULATE	BIT(0)	/* allocate on first touch */
#define MEMSLOT_GET_NOWAIT	BIT(1)	/* in swap: say so, do not page in */

struct vm;

struct memslot {
	struct vm *vm;
	gfn_t base_gfn;
	u64 npages;
	u32 flags;
	/* Index in vm->memslots (the dirty-log calls name slots by it). */
	u8 id;
	/* Largest host block tried: PG_LEVEL_4K, _2M or _1G. */
	u8 backing_level;
	/*
	 * Non-alias slots: host pfn per GFN, 0 while not populated; used
	 * for GFNs whose huge ranges are HPAGE_SMALL. First touch: cmpxchg
	 * from 0; reclaim and swap-out: exchange or cmpxchg under mmu_lock
	 * held for write; page-in (a MEMSLOT_PFN_SWAPPED entry): cmpxchg to
	 * MEMSLOT_SWAPIN_BUSY, then a store of the new pfn, without mmu_lock
	 * (like a first touch, it only makes a page appear).
	 */
	u64 *pfns;
	/* Alias slots: the shared host pages. */
	u64 *alias_pfns;
	unsigned int nr_alias;
	/* [level - 2] for 2M and 1G: one entry per aligned range touched. */
	struct kvm_lpage_info *lpage_info[KVM_NR_PAGE_SIZES - 1];
	/*
	 * Dirty logging (tdp_mmu_dirty_log.c): on while dirty_log is set
	 * (written with mmu_lock held for write, read lock-free after the
	 * fault samples mmu_invalidate_seq). dirty_bitmap has a bit per GFN,
	 * set atomically by write faults, allocated the first time logging
	 * is enabled and kept until the slot goes.
	 */
	u32 dirty_log;
	u64 *dirty_bitmap;
	/*
	 * Write tracking for shadow EPT (KVM's gfn_write_track): per GFN,
	 * how many shadow pages above the leaves mirror the L1 EPT table
	 * there; while > 0, L1 never gets write access to the GFN. NULL
	 * until the slot's first shadowed table; changed with mmu_lock
	 * held for write, read with it held for read (the fault path).
	 */
	u16 *gfn_write_track;
	/*
	 * Shadow EPT: bit per GFN, set when an EPT02 leaf is made to map it
	 * (mmu_lock held for write) and cleared only when the VM has no
	 * shadow page left. Host reclaim of a GFN whose bit is clear has no
	 * EPT02 entry to look for (there is no reverse map). NULL until the
	 * slot's first such leaf.
	 */
	u64 *shadow_mapped;
};

/* 0, -EINVAL (bad range/flags/overlap/too many), -ENOMEM. */
int vm_add_memslot(struct vm *vm, gfn_t base_gfn, u64 npages, u32 flags,
		   unsigned int nr_alias);
struct memslot *gfn_to_memslot(struct vm *vm, gfn_t gfn);
/* Host pfn backing @gfn, populating it on first touch; 0 on ENOMEM. */
kvm_pfn_t memslot_gfn_to_pfn(struct memslot *slot, gfn_t gfn);
/*
 * The same, and *@host_level: the size of the host block the pfn lies in
 * (PG_LEVEL_4K/2M/1G; KVM's host mapping level). @flags: without
 * MEMSLOT_GET_POPULATE an untouched or swapped GFN gives 0 and nothing is
 * allocated; with it, a swapped GFN is paged in at once (the host itself
 * needs the page), unless MEMSLOT_GET_NOWAIT asks for
 * KVM_PFN_NOT_RESIDENT instead (the fault path: slow, maybe async).
 */
kvm_pfn_t __memslot_gfn_to_pfn(struct memslot *slot, gfn_t gfn,
			       unsigned int flags, int *host_level);
/*
 * Bring swapped @gfn back into a fresh page now: 0 (resident, by us or
 * by someone else), -ENOMEM. Counts swap_ins.
 */
int memslot_swap_in(struct memslot *slot, gfn_t gfn);
static inline bool memslot_entry_swapped(u64 entry)
{
	return entry & MEMSLOT_PFN_SWAPPED;
}
/* Is @gfn's page in the swap store (or being paged in)? */
bool memslot_gfn_swapped(struct memslot *slot, gfn_t gfn);
/*
 * Make every huge range covering @gfn 4K-backed (pfns[] filled from the
 * block), so the page behind @gfn can be replaced alone. The caller holds
 * mmu_lock for write, has bumped mmu_invalidate_seq and has split or
 * zapped every huge SPTE over @gfn.
 */
void memslot_break_hpage(struct memslot *slot, gfn_t gfn);

static inline u64 gfn_to_lpage_index(gfn_t gfn, gfn_t base_gfn, int level)
{
	return (gfn >> SPTE_LEVEL_SHIFT(level)) -
	       (base_gfn >> SPTE_LEVEL_SHIFT(level));
}

static inline struct kvm_lpage_info *lpage_info_slot(gfn_t gfn,
						     struct memslot *slot,
						     int level)
{
	return &slot->lpage_info[level - 2][gfn_to_lpage_index(gfn,
					slot->base_gfn, level)];
}

static inline bool memslot_dirty_log_enabled(const struct memslot *slot)
{
	return __atomic_load_n(&slot->dirty_log, __ATOMIC_ACQUIRE);
}

/*
 * The largest level @gfn may be mapped at: at most @max_level (the
 * fault's and the CPU's limit) and @host_level, 4K while dirty logging,
 * and no level whose range is disallowed (KVM's
 * kvm_mmu_max_mapping_level).
 */
int kvm_mmu_max_mapping_level(struct memslot *slot, gfn_t gfn, int max_level,
			      int host_level);
/* Forbid / allow again a huge mapping over @gfn at every level. */
void kvm_mmu_gfn_disallow_lpage(struct memslot *slot, gfn_t gfn);
void kvm_mmu_gfn_allow_lpage(struct memslot *slot, gfn_t gfn);

/*
 * Change a slot's backing (MEMSLOT_HUGE_2M/_1G or neither) before any of
 * its GFNs is populated: 0, -EBUSY (populated already), -EINVAL (alias).
 */
int memslot_set_backing(struct memslot *slot, u32 huge_flags);

/* Frees every host page the slots own; the VM must have no SPTEs left. */
void vm_free_memslots(struct vm *vm);
/* Host pages currently owned by memslots (for leak accounting). */
u64 vm_memslot_pages(struct vm *vm);

#endif
