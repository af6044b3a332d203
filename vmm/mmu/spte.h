/* SPDX-License-Identifier: MIT */
/*
 * The SPTE format: one 64-bit entry of an EPT paging structure as the TDP
 * MMU writes it.
 *
 * Hardware bits (Intel SDM, "EPT Paging-Structure Entries"):
 *   0 R, 1 W, 2 X            permissions; an entry with none is not present
 *   3..5 memory type         leaf entries only (6 = WB)
 *   6 ignore PAT             leaf entries only
 *   7 large page             a 2M/1G leaf at level 2/3
 *   8 accessed, 9 dirty      set by the CPU when EPT A/D bits are enabled
 *   12..51 PFN               host frame of the next table or the leaf page
 * Software bits (ignored by the CPU):
 *   11 SPTE_MMU_PRESENT      set in every entry the MMU installed, so that
 *                            "present to the MMU" does not depend on the
 *                            permissions (an entry may be mapped with none)
 *
 * FROZEN_SPTE (KVM: REMOVED_SPTE, later FROZEN_SPTE) marks an entry that one
 * thread owns while it changes it: it is not present to the CPU (no RWX)
 * and not present to the MMU (no bit 11), and every other thread that reads
 * it backs off and retries. Its bit pattern cannot be produced by
 * make_spte()/make_nonleaf_spte() because those always set bit 11.
 */
#ifndef VMM_MMU_SPTE_H
#define VMM_MMU_SPTE_H

#include "kernel/compiler.h"

/* Levels, numbered as KVM does: 1 maps 4K, 2 maps 2M, 3 maps 1G. */
enum pg_level {
	PG_LEVEL_NONE = 0,
	PG_LEVEL_4K = 1,
	PG_LEVEL_2M = 2,
	PG_LEVEL_1G = 3,
	PG_LEVEL_512G = 4,
};

#define PT64_ROOT_4LEVEL	4
#define PT64_ROOT_5LEVEL	5
#define PT64_ROOT_MAX_LEVEL	PT64_ROOT_5LEVEL

#define SPTE_ENT_PER_PAGE	512
#define SPTE_LEVEL_BITS		9

/* GFN bits translated below (and including) one entry of @level. */
#define SPTE_LEVEL_SHIFT(level)	(((level) - 1) * SPTE_LEVEL_BITS)
#define KVM_PAGES_PER_HPAGE(level) (1ULL << SPTE_LEVEL_SHIFT(level))
#define SPTE_INDEX(gfn, level) \
	(((gfn) >> SPTE_LEVEL_SHIFT(level)) & (SPTE_ENT_PER_PAGE - 1))

#define VMX_EPT_READABLE_MASK		BIT(0)
#define VMX_EPT_WRITABLE_MASK		BIT(1)
#define VMX_EPT_EXECUTABLE_MASK		BIT(2)
#define VMX_EPT_RWX_MASK		(BIT(0) | BIT(1) | BIT(2))
#define VMX_EPT_MT_SHIFT		3
#define VMX_EPT_MT_MASK			(7ULL << VMX_EPT_MT_SHIFT)
#define VMX_EPT_IPAT_BIT		BIT(6)
#define PT_PAGE_SIZE_MASK		BIT(7)
#define VMX_EPT_ACCESS_BIT		BIT(8)
#define VMX_EPT_DIRTY_BIT		BIT(9)
#define SPTE_MMU_PRESENT_MASK		BIT(11)

#define MTRR_TYPE_UNCACHABLE	0
#define MTRR_TYPE_WRBACK	6

#define SPTE_BASE_ADDR_MASK	(((1ULL << 52) - 1) & ~((1ULL << 12) - 1))

/* Bits 5, 7, 8 and 10: RWX clear and bit 11 clear, so "not present". */
#define FROZEN_SPTE		0x5a0ULL

/* Access rights requested by a fault or granted by a mapping. */
#define ACC_READ	VMX_EPT_READABLE_MASK
#define ACC_WRITE	VMX_EPT_WRITABLE_MASK
#define ACC_EXEC	VMX_EPT_EXECUTABLE_MASK
#define ACC_ALL		VMX_EPT_RWX_MASK

BUILD_BUG_ON(FROZEN_SPTE & (VMX_EPT_RWX_MASK | SPTE_MMU_PRESENT_MASK));

/*
 * Reading an SPTE that may point at a table another CPU just linked: the
 * acquire pairs with the release of the cmpxchg that published the table
 * (zeroed first), so the walker sees its initialised contents. A plain
 * load on x86; it matters to the compiler and to ThreadSanitizer.
 */
static inline u64 spte_read(u64 *sptep)
{
	return __atomic_load_n(sptep, __ATOMIC_ACQUIRE);
}

static inline bool is_frozen_spte(u64 spte)
{
	return spte == FROZEN_SPTE;
}

static inline bool is_shadow_present_pte(u64 spte)
{
	return spte & SPTE_MMU_PRESENT_MASK;
}

static inline bool is_large_pte(u64 spte)
{
	return spte & PT_PAGE_SIZE_MASK;
}

/* A leaf maps memory; level 1 entries are always leaves. */
static inline bool is_last_spte(u64 spte, int level)
{
	return level == PG_LEVEL_4K || is_large_pte(spte);
}

static inline bool is_writable_pte(u64 spte)
{
	return spte & VMX_EPT_WRITABLE_MASK;
}

static inline bool is_accessed_spte(u64 spte)
{
	return spte & VMX_EPT_ACCESS_BIT;
}

static inline bool is_dirty_spte(u64 spte)
{
	return spte & VMX_EPT_DIRTY_BIT;
}

static inline u64 spte_access(u64 spte)
{
	return spte & VMX_EPT_RWX_MASK;
}

static inline kvm_pfn_t spte_to_pfn(u64 spte)
{
	return (spte & SPTE_BASE_ADDR_MASK) >> PAGE_SHIFT;
}

static inline bool spte_pfn_fits(kvm_pfn_t pfn)
{
	return ((pfn << PAGE_SHIFT) & ~SPTE_BASE_ADDR_MASK) == 0;
}

/*
 * A leaf at @level mapping host frame @pfn with @access (ACC_* bits),
 * write-back memory type. Accessed is preset (KVM does the same when A/D
 * bits are off) so the guest's first access does not need a second fault.
 */
static inline u64 make_spte(kvm_pfn_t pfn, int level, u64 access)
{
	u64 spte = SPTE_MMU_PRESENT_MASK | VMX_EPT_ACCESS_BIT |
		   (access & VMX_EPT_RWX_MASK) |
		   ((u64)MTRR_TYPE_WRBACK << VMX_EPT_MT_SHIFT) |
		   VMX_EPT_IPAT_BIT | (pfn << PAGE_SHIFT);

	if (level > PG_LEVEL_4K)
		spte |= PT_PAGE_SIZE_MASK;
	return spte;
}

/*
 * Child @index of a huge SPTE split into a table of @child_level entries
 * (KVM's make_huge_page_split_spte): the same permissions, memory type
 * and A/D bits, the frame advanced by @index child-sized pages, and the
 * large bit kept only where the child is itself huge.
 */
static inline u64 make_huge_page_split_spte(u64 huge_spte, int child_level,
					    unsigned int index)
{
	kvm_pfn_t pfn = spte_to_pfn(huge_spte) +
			((u64)index << SPTE_LEVEL_SHIFT(child_level));
	u64 spte = (huge_spte & ~SPTE_BASE_ADDR_MASK) | (pfn << PAGE_SHIFT);

	if (child_level == PG_LEVEL_4K)
		spte &= ~PT_PAGE_SIZE_MASK;
	return spte;
}

/* The host frame a leaf at @level maps for @gfn (huge leaves: an offset). */
static inline kvm_pfn_t spte_gfn_to_pfn(u64 spte, int level, gfn_t gfn)
{
	return spte_to_pfn(spte) + (gfn & (KVM_PAGES_PER_HPAGE(level) - 1));
}

/* A non-leaf entry pointing at the table at host frame @pfn. */
static inline u64 make_nonleaf_spte(kvm_pfn_t pfn)
{
	return SPTE_MMU_PRESENT_MASK | VMX_EPT_RWX_MASK | (pfn << PAGE_SHIFT);
}

#endif
