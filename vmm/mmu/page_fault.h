/* SPDX-License-Identifier: MIT */
/*
 * What a guest page fault is, as it travels from the exit handler into the
 * MMU (KVM's struct kvm_page_fault), and the MMU context a vCPU faults
 * through (KVM's struct kvm_mmu).
 *
 * The exit handler fills the inputs; the MMU fills the rest as the fault
 * proceeds: kvm_mmu_faultin_pfn() finds the memslot and the host page, the
 * map step installs the SPTE. The result is a RET_PF_* (>= 0) or a
 * negative errno (kernel/errno.h):
 *   RET_PF_FIXED, RET_PF_SPURIOUS  re-enter the guest
 *   RET_PF_RETRY     lost a race or the root went stale: re-enter, the
 *                    access faults again if it still must
 *   RET_PF_EMULATE   no memslot: the access is for a device (the caller
 *                    emulates it on the device bus) or for nothing
 *   RET_PF_WRITE_PROTECTED  a write to a GFN that holds a shadowed L1 EPT
 *                    table that cannot be unsync (vmm/mmu/shadow_ept.h):
 *                    mapped read-only; the caller unprotects and retries
 *   RET_PF_NOT_RESIDENT  the page is in the swap store: the caller brings
 *                    it in (async PF, or its thread sleeps) and retries
 *   -EFAULT          the access is not allowed (a write to a read-only slot)
 *   -ERANGE          the GPA is above the guest's physical address width
 *   -ENOMEM          the host has no page for it
 */
#ifndef VMM_MMU_PAGE_FAULT_H
#define VMM_MMU_PAGE_FAULT_H

#include "kernel/compiler.h"
#include "vmm/mmu/memslot.h"
#include "vmm/mmu/mmu_page.h"

struct vm;
struct memslot;

enum {
	RET_PF_FIXED = 0,	/* a new SPTE was installed */
	RET_PF_SPURIOUS = 1,	/* already mapped with enough access */
	RET_PF_RETRY = 2,	/* lost a race or the root went stale: re-enter */
	RET_PF_EMULATE = 3,	/* not memory: emulate the access */
	RET_PF_WRITE_PROTECTED = 4, /* write-tracked GFN: unprotect, retry */
	RET_PF_NOT_RESIDENT = 5, /* in swap: page it in, then retry */
};

/*
 * Timestamps a profiled fault records (plat_cycles()), for the fault-in
 * benchmark's breakdown. The exit path adds its own around them.
 */
enum kvm_pf_stamp {
	KVM_PF_T_START,		/* kvm_tdp_page_fault() entered */
	KVM_PF_T_PFN,		/* memslot and host page found */
	KVM_PF_T_LOCKED,	/* mmu_lock taken for read */
	KVM_PF_T_MAPPED,	/* SPTE installed (or not), lock still held */
	KVM_PF_T_DONE,		/* lock dropped, statistics counted */
	KVM_PF_NR_STAMPS
};

struct kvm_page_fault {
	/* Inputs, from the exit. */
	gpa_t addr;
	gfn_t gfn;
	u64 access;		/* ACC_* the guest tried */
	/*
	 * Largest mapping the fault may install (the caller's limit);
	 * goal_level is what kvm_mmu_faultin_pfn() settles on within it
	 * (the slot's rules, the host block, the CPU).
	 */
	u8 max_level, goal_level;

	/* Found by kvm_mmu_faultin_pfn(). */
	struct memslot *slot;
	kvm_pfn_t pfn;
	u64 map_access;		/* ACC_* of the SPTE (read-only slots) */
	u64 mmu_seq;		/* vm->mmu_invalidate_seq before the lookup */
	bool dirty_log;		/* the slot logs writes (sampled after mmu_seq) */

	/* NULL, or where a profiled fault records its stamps. */
	u64 *stamps;
};

/*
 * A vCPU's MMU context: the root it enters with and how its faults are
 * handled. One per vCPU today (the TDP MMU over the VM's memslots); a
 * nested guest's context on shadow EPT will sit beside it.
 */
struct kvm_mmu {
	/*
	 * The root in use, with one reference. Only the vCPU's run loop
	 * changes it (kvm_mmu_load() before an entry).
	 */
	struct kvm_mmu_page *root;
	/*
	 * What the root must be (KVM's root_role): level and address space
	 * for the TDP MMU today; guest_mode will tell an L2 context's
	 * shadow-EPT roots from L1's. Written with the root, run loop only.
	 */
	union kvm_mmu_page_role root_role;
	int (*page_fault)(struct vm *vm, struct kvm_mmu *mmu,
			  struct kvm_page_fault *fault);
};

static inline void kvm_page_fault_init(struct kvm_page_fault *fault,
				       gpa_t gpa, u64 access)
{
	*fault = (struct kvm_page_fault){
		.addr = gpa, .gfn = gpa >> PAGE_SHIFT, .access = access,
		.max_level = KVM_MAX_HUGEPAGE_LEVEL,
		.goal_level = PG_LEVEL_4K,
	};
}

#endif
