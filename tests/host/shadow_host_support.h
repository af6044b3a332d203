/* SPDX-License-Identifier: MIT */
/*
 * Hosted stand-ins for an L1 hypervisor and its L2 (tests and benchmarks
 * of shadow EPT): L1's memory is one memslot of a simulated VM, in which
 * EPT12 tables are built; L1's own stores go through a simulated vCPU and
 * EPT01 (so write protection and unsync are the real paths); what L2 sees
 * is read by walking EPT02 as the CPU would.
 *
 * Layout of L1's memory: PML4 at PML4_GFN -> PDPT -> PD; PD[i] -> leaf
 * table PT_GFN(i); PT(i)[j] -> DATA_GFN(2 * i + j) for j < 2 (build_ept12).
 * L2 GPA l2_gpa(i, j) is therefore translated by PT(i)[j].
 */
#ifndef TESTS_HOST_SHADOW_HOST_SUPPORT_H
#define TESTS_HOST_SHADOW_HOST_SUPPORT_H

#include "tests/host/tdp_host_support.h"
#include "vmm/mmu/shadow_ept.h"

#define L1_PAGES	2048
#define PML4_GFN	1
#define PDPT_GFN	2
#define PD_GFN		3
#define PT_GFN(i)	(8 + (i))		/* leaf tables */
#define DATA_GFN(i)	(1024 + (i))
#define EPTP12		((PML4_GFN << PAGE_SHIFT) | 6 | VMX_EPTP_PWL_4)
#define WB		(6ULL << 3)


static inline u64 nonleaf(gfn_t gfn)
{
	return (gfn << PAGE_SHIFT) | ACC_ALL;
}

static inline u64 leaf(gfn_t gfn, u64 perm)
{
	return (gfn << PAGE_SHIFT) | perm | WB;
}


struct sim_vm *l1_create(unsigned int nr_vcpus);
u64 *l1_page(struct sim_vm *s, gfn_t gfn);
kvm_pfn_t l1_pfn(struct sim_vm *s, gfn_t gfn);
/* A store of L1's through EPT01 (write faults, unprotects and all). */
void l1_write(struct sim_vm *s, unsigned int vcpu, gpa_t gpa, u64 val);
void l1_set_pte(struct sim_vm *s, unsigned int vcpu, gfn_t table,
		unsigned int idx, u64 val);
/* Straight into L1's memory: only before anything is shadowed. */
void build_ept12(struct sim_vm *s, unsigned int nr_pts);
gpa_t l2_gpa(unsigned int pt, unsigned int j);
/* The CPU's walk of EPT02: host frame and access of @l2_gfn's leaf. */
bool ept02_translate(struct kvm_mmu_page *root, gfn_t l2_gfn,
		     kvm_pfn_t *pfn, u64 *access);
bool l2_sees(struct sim_vm *s, struct kvm_mmu *mmu, gpa_t gpa,
	     gfn_t want_l1_gfn, u64 want_access);
bool l2_unmapped(struct kvm_mmu *mmu, gpa_t gpa);
/* An L2 access faulted into the shadow MMU (root loaded for EPTP12). */
int l2_fault(struct sim_vm *s, struct kvm_mmu *mmu, gpa_t gpa, u64 access,
	     struct shadow_ept_exit *exit);

#endif
