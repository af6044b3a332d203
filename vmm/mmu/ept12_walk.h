/* SPDX-License-Identifier: MIT */
/*
 * The walk of L1's EPT tables (EPT12) for one L2 guest-physical address,
 * as the CPU would do it for L1 (SDM 29.3.2, "EPT Translation
 * Mechanism"; KVM's paging_tmpl.h in its EPT flavour). Portable: L1's
 * memory is read through the VM's memslots.
 *
 * A GPA of L1 where no memslot is reads as all ones (an unclaimed bus
 * cycle), so a table there is a misconfiguration, not a host error.
 */
#ifndef VMM_MMU_EPT12_WALK_H
#define VMM_MMU_EPT12_WALK_H

#include "kernel/compiler.h"
#include "vmm/mmu/spte.h"

struct vm;

#define EPT12_LEVELS	PT64_ROOT_4LEVEL

enum ept12_walk_result {
	EPT12_OK = 0,
	EPT12_VIOLATION,	/* not present, or the access is not allowed */
	EPT12_MISCONFIG,	/* a present entry L1 may not write that way */
	EPT12_NOMEM,		/* the host could not populate an L1 page */
};

struct ept12_walker {
	/* Level of the leaf (or of the entry where the walk stopped). */
	int level;
	/* L1 GFN of the table read at each level: table_gfn[level]. */
	gfn_t table_gfn[EPT12_LEVELS + 1];
	/* The entry read at each level, as it was. */
	u64 gpte[EPT12_LEVELS + 1];
	/*
	 * pt_access[level]: the ACC_* that the entries above the table at
	 * @level grant (ACC_ALL for the root table). pte_access: what the
	 * whole walk grants, the leaf included (0 if it stopped early).
	 */
	u64 pt_access[EPT12_LEVELS + 1];
	u64 pte_access;
	/* EPT12_OK: the L1 GFN the 4K page of the access lies in. */
	gfn_t gfn;
	/*
	 * EPT12_VIOLATION: bits 3-5 of the exit qualification L1 gets (the
	 * permissions of the walk up to and including the failing entry).
	 */
	u64 fault_perm;
};

/*
 * Walk for @l2_gpa from the root table at @root_gfn, needing @access
 * (ACC_* bits; 0 walks without a permission check). With @ad_enabled
 * (EPTP12 bit 6), sets the accessed flag of every entry used and the
 * dirty flag of the leaf on a write, in L1's memory, as the CPU does.
 * @phys_bits: L1's MAXPHYADDR (address bits above it are reserved).
 */
enum ept12_walk_result ept12_walk(struct vm *vm, gfn_t root_gfn,
				  bool ad_enabled, gpa_t l2_gpa, u64 access,
				  struct ept12_walker *w);

/*
 * Is the present L1 entry @gpte at @level misconfigured (SDM 29.3.3.1)?
 * Exported for the sync, which rechecks entries without a walk.
 */
bool ept12_gpte_misconfigured(u64 gpte, int level, unsigned int phys_bits);

/* Read one 8-byte entry of L1 memory (all ones outside memslots). */
bool ept12_read_gpte(struct vm *vm, gpa_t gpa, u64 *val);

/* The bits of an L1 entry the shadow follows (not A/D, not ignored bits). */
#define EPT12_GPTE_SHADOWED_MASK					\
	(SPTE_BASE_ADDR_MASK | VMX_EPT_RWX_MASK | VMX_EPT_MT_MASK |	\
	 VMX_EPT_IPAT_BIT | PT_PAGE_SIZE_MASK)

static inline bool is_present_gpte(u64 gpte)
{
	return gpte & VMX_EPT_RWX_MASK;
}

#endif
