// SPDX-License-Identifier: MIT
/* An L1 and its L2 for the hosted shadow-EPT programs (shadow_host_support.h). */
#include <stdio.h>
#include "tests/host/shadow_host_support.h"
#include "kernel/platform.h"

u64 *l1_page(struct sim_vm *s, gfn_t gfn)
{
	struct memslot *slot = gfn_to_memslot(&s->vm, gfn);

	return plat_phys_to_virt(memslot_gfn_to_pfn(slot, gfn) << PAGE_SHIFT);
}

kvm_pfn_t l1_pfn(struct sim_vm *s, gfn_t gfn)
{
	return memslot_gfn_to_pfn(gfn_to_memslot(&s->vm, gfn), gfn);
}

/* L1 as the CPU runs it: a store through EPT01 (write faults and all). */
void l1_write(struct sim_vm *s, unsigned int vcpu, gpa_t gpa, u64 val)
{
	int r = sim_guest_access(&s->vcpus[vcpu], gpa, true, &val);

	if (r)
		fprintf(stderr, "l1_write %#llx: %d\n", (unsigned long long)gpa, r);
}

void l1_set_pte(struct sim_vm *s, unsigned int vcpu, gfn_t table,
		       unsigned int idx, u64 val)
{
	l1_write(s, vcpu, (table << PAGE_SHIFT) + idx * 8, val);
}

/*
 * PML4[0] -> PDPT[0] -> PD; PD[i] -> PT(i) for i < nr_pts; PT(i)[j] ->
 * DATA(i * 2 + j) RWX for j < 2. Written straight into L1's memory: no
 * table is shadowed yet.
 */
void build_ept12(struct sim_vm *s, unsigned int nr_pts)
{
	unsigned int i, j;

	l1_page(s, PML4_GFN)[0] = nonleaf(PDPT_GFN);
	l1_page(s, PDPT_GFN)[0] = nonleaf(PD_GFN);
	for (i = 0; i < nr_pts; i++) {
		l1_page(s, PD_GFN)[i] = nonleaf(PT_GFN(i));
		for (j = 0; j < 2; j++)
			l1_page(s, PT_GFN(i))[j] = leaf(DATA_GFN(i * 2 + j),
							ACC_ALL);
	}
}

gpa_t l2_gpa(unsigned int pt, unsigned int j)
{
	return ((gpa_t)pt << 21) | ((gpa_t)j << PAGE_SHIFT);
}

struct sim_vm *l1_create(unsigned int nr_vcpus)
{
	struct sim_vm *s = sim_vm_create(nr_vcpus, 0);

	vm_add_memslot(&s->vm, 0, L1_PAGES, 0, 0);
	return s;
}

/*
 * What L2 sees: the CPU's walk of EPT02 from @root. The host frame and
 * access of the 4K leaf for @l2_gfn, false if none is present.
 */
bool ept02_translate(struct kvm_mmu_page *root, gfn_t l2_gfn,
			    kvm_pfn_t *pfn, u64 *access)
{
	u64 *pt = root->spt;
	int level;

	*access = ACC_ALL;
	for (level = PT64_ROOT_4LEVEL; level >= PG_LEVEL_4K; level--) {
		u64 spte = pt[SPTE_INDEX(l2_gfn, level)];

		if (!(spte & VMX_EPT_RWX_MASK))
			return false;
		*access &= spte & VMX_EPT_RWX_MASK;
		if (level == PG_LEVEL_4K) {
			*pfn = spte_to_pfn(spte);
			return true;
		}
		if (spte & PT_PAGE_SIZE_MASK)
			return false;	/* the shadow never maps huge */
		pt = plat_phys_to_virt(spte & SPTE_BASE_ADDR_MASK);
	}
	return false;
}

bool l2_sees(struct sim_vm *s, struct kvm_mmu *mmu, gpa_t gpa,
		    gfn_t want_l1_gfn, u64 want_access)
{
	kvm_pfn_t pfn;
	u64 access;

	return ept02_translate(mmu->root, gpa >> PAGE_SHIFT, &pfn, &access) &&
	       pfn == l1_pfn(s, want_l1_gfn) && access == want_access;
}

bool l2_unmapped(struct kvm_mmu *mmu, gpa_t gpa)
{
	kvm_pfn_t pfn;
	u64 access;

	return !ept02_translate(mmu->root, gpa >> PAGE_SHIFT, &pfn, &access);
}

/* An L2 access that faults into the shadow MMU until it is mapped. */
int l2_fault(struct sim_vm *s, struct kvm_mmu *mmu, gpa_t gpa,
		    u64 access, struct shadow_ept_exit *exit)
{
	phys_addr_t hpa;
	int r, tries = 0;

	do {
		if (kvm_shadow_ept_load(&s->vm, mmu, EPTP12, &hpa))
			return -EINVAL;
		r = kvm_shadow_ept_page_fault(&s->vm, mmu, gpa, access, exit);
	} while (r == RET_PF_RETRY && ++tries < 10);
	return r;
}

