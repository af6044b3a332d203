// SPDX-License-Identifier: MIT
/*
 * Walking L1's EPT tables (ept12_walk.h). Every rule here is the CPU's:
 * an L1 that writes a bad entry must get the exit the hardware gives.
 */
#include "kernel/platform.h"
#include "vmm/mmu/ept12_walk.h"
#include "vmm/mmu/memslot.h"
#include "vmm/mmu/tdp_mmu.h"

/* Host address of L1's @gpa, or NULL outside memslots / out of memory. */
static u64 *l1_gpte_ptr(struct vm *vm, gpa_t gpa, struct memslot **slotp,
			bool *nomem)
{
	struct memslot *slot = gfn_to_memslot(vm, gpa >> PAGE_SHIFT);
	kvm_pfn_t pfn;
	int host_level;

	*nomem = false;
	*slotp = slot;
	if (!slot)
		return NULL;
	pfn = __memslot_gfn_to_pfn(slot, gpa >> PAGE_SHIFT, true, &host_level);
	if (!pfn) {
		*nomem = true;
		return NULL;
	}
	return (u64 *)((char *)plat_phys_to_virt(pfn << PAGE_SHIFT) +
		       (gpa & (PAGE_SIZE - 1) & ~7ULL));
}

bool ept12_read_gpte(struct vm *vm, gpa_t gpa, u64 *val)
{
	struct memslot *slot;
	bool nomem;
	u64 *p = l1_gpte_ptr(vm, gpa, &slot, &nomem);

	if (nomem)
		return false;
	/* L1 may be writing it right now (an unsync table): one load. */
	*val = p ? __atomic_load_n(p, __ATOMIC_RELAXED) : ~0ULL;
	return true;
}

bool ept12_gpte_misconfigured(u64 gpte, int level, unsigned int phys_bits)
{
	u64 rsvd = SPTE_BASE_ADDR_MASK & ~((1ULL << phys_bits) - 1);
	bool leaf = level == PG_LEVEL_4K || (gpte & PT_PAGE_SIZE_MASK);
	u64 mt = (gpte & VMX_EPT_MT_MASK) >> VMX_EPT_MT_SHIFT;

	/* Write without read; execute-only is not offered to L1. */
	if ((gpte & VMX_EPT_RWX_MASK) == VMX_EPT_WRITABLE_MASK ||
	    (gpte & VMX_EPT_RWX_MASK) == (VMX_EPT_WRITABLE_MASK |
					  VMX_EPT_EXECUTABLE_MASK) ||
	    (gpte & VMX_EPT_RWX_MASK) == VMX_EPT_EXECUTABLE_MASK)
		return true;
	if (gpte & rsvd)
		return true;
	if (!leaf) {
		/* Bits 7:3 of a PML4E/PDPTE, 6:3 of a PDE (bit 7 is 0 here). */
		return gpte & (0x78ULL | (level == PG_LEVEL_512G ?
					  PT_PAGE_SIZE_MASK : 0));
	}
	/* A large page bit in a PML4E is reserved. */
	if (level == PG_LEVEL_512G)
		return true;
	/* Memory types 2, 3 and 7 are reserved. */
	if (mt == 2 || mt == 3 || mt == 7)
		return true;
	/* The frame of a 2M / 1G leaf is aligned: the low bits are reserved. */
	if (level > PG_LEVEL_4K &&
	    (gpte & SPTE_BASE_ADDR_MASK &
	     ((KVM_PAGES_PER_HPAGE(level) - 1) << PAGE_SHIFT)))
		return true;
	return false;
}

/* Set A (and D) in L1's entry as the CPU would: atomically, if present. */
static void ept12_set_ad(struct vm *vm, gpa_t gpa, u64 gpte, u64 bits)
{
	struct memslot *slot;
	bool nomem;
	u64 *p;

	if ((gpte & bits) == bits)
		return;
	p = l1_gpte_ptr(vm, gpa, &slot, &nomem);
	if (!p || (slot->flags & MEMSLOT_READONLY))
		return;
	/* Only into the entry we used: if L1 changed it, leave it alone. */
	__atomic_compare_exchange_n(p, &gpte, gpte | bits, false,
				    __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
	if (memslot_dirty_log_enabled(slot))
		mark_page_dirty_in_slot(vm, slot, gpa >> PAGE_SHIFT);
}

enum ept12_walk_result ept12_walk(struct vm *vm, gfn_t root_gfn,
				  bool ad_enabled, gpa_t l2_gpa, u64 access,
				  struct ept12_walker *w)
{
	gfn_t table = root_gfn;
	u64 acc = ACC_ALL;
	int level;

	w->pte_access = 0;
	w->fault_perm = 0;
	for (level = EPT12_LEVELS; level >= PG_LEVEL_4K; level--) {
		unsigned int idx = (l2_gpa >> (PAGE_SHIFT +
				    SPTE_LEVEL_SHIFT(level))) & 511;
		gpa_t pte_gpa = ((gpa_t)table << PAGE_SHIFT) + idx * 8;
		u64 gpte;

		w->level = level;
		w->table_gfn[level] = table;
		w->pt_access[level] = acc;
		if (!ept12_read_gpte(vm, pte_gpa, &gpte))
			return EPT12_NOMEM;
		w->gpte[level] = gpte;
		if (!is_present_gpte(gpte)) {
			w->fault_perm = 0;
			return EPT12_VIOLATION;
		}
		if (ept12_gpte_misconfigured(gpte, level, vm->phys_bits))
			return EPT12_MISCONFIG;
		acc &= gpte & VMX_EPT_RWX_MASK;
		if (ad_enabled)
			ept12_set_ad(vm, pte_gpa, gpte, VMX_EPT_ACCESS_BIT);
		if (level == PG_LEVEL_4K || (gpte & PT_PAGE_SIZE_MASK)) {
			gfn_t base = (gpte & SPTE_BASE_ADDR_MASK) >> PAGE_SHIFT;
			gfn_t off = (l2_gpa >> PAGE_SHIFT) &
				    (KVM_PAGES_PER_HPAGE(level) - 1);

			/*
			 * Permission bits in the qualification are those of
			 * the whole translation (SDM 28.2.3.2 / 29.3.3.2).
			 */
			w->fault_perm = acc << 3;
			if ((access & acc) != access)
				return EPT12_VIOLATION;
			if (ad_enabled && (access & ACC_WRITE))
				ept12_set_ad(vm, pte_gpa, gpte,
					     VMX_EPT_ACCESS_BIT |
					     VMX_EPT_DIRTY_BIT);
			w->pte_access = acc;
			w->gfn = base + off;
			return EPT12_OK;
		}
		table = (gpte & SPTE_BASE_ADDR_MASK) >> PAGE_SHIFT;
	}
	return EPT12_VIOLATION;	/* not reached: level 1 is always a leaf */
}
