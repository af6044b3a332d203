/* SPDX-License-Identifier: MIT */
/*
 * Shadow EPT: the MMU for an L2 guest whose L1 hypervisor uses EPT.
 *
 * L1 translates L2's physical addresses with its own EPT tables (EPT12,
 * in L1's memory, rooted at EPTP12). The hardware can walk only one EPT,
 * so L0 builds EPT02: shadow pages that map L2 GPAs straight to host
 * pages, each mirroring one L1 table (KVM's kvm_mmu_page with
 * role.direct = 0; sp->gfn is the L1 GFN of the table it shadows). The
 * composition is "EPT12, then L1's memslots": a shadow leaf's access is
 * the AND of the EPT12 entries on the walk, its frame is the host page
 * behind the L1 GFN the walk ends on.
 *
 * L1 may change its tables at any time, so every L1 GFN that holds a
 * shadowed table is write-protected in L1's own EPT (EPT01, the TDP MMU):
 *  - a table above the leaves is write-*tracked* (a count per GFN in the
 *    memslot); L1's write to it cannot be let through, so the write
 *    fault unprotects the GFN (zaps its shadow pages) and L1 retries;
 *  - a leaf table is only write-protected; L1's first write to it goes
 *    through the TDP MMU fault path (mmu_lock held for read), which
 *    marks the shadow page *unsync* and gives L1 write access
 *    (mmu_try_to_unsync_pages). An unsync page is brought back in line
 *    with L1's table - synced - when L1 executes INVEPT, and at an
 *    emulated VMLAUNCH/VMRESUME (its flush of L2's TLB syncs, as KVM's
 *    guest TLB flush does).
 *
 * Locking (see vm.h beside each field):
 *  - Everything here but mmu_try_to_unsync_pages() holds mmu_lock for
 *    write, as KVM's shadow MMU does: the shape of EPT02, the shadow
 *    page hash, parents and write tracking change only under it.
 *  - mmu_try_to_unsync_pages() runs from the TDP MMU fault path with
 *    mmu_lock held for read, on several vCPUs at once. The unsync
 *    bookkeeping (sp->unsync, the parents' unsync_children counts and
 *    unsync_child_bitmap) is not atomic, so it takes a dedicated spinlock,
 *    vm->mmu_unsync_pages_lock (seed 004). Holding mmu_lock for read
 *    keeps the shadow pages themselves alive and the hash stable.
 *
 * Portable: no hardware access. Guest (L1) memory is reached through the
 * VM's memslots; flushes through vm->mmu_ops.
 */
#ifndef VMM_MMU_SHADOW_EPT_H
#define VMM_MMU_SHADOW_EPT_H

#include "kernel/compiler.h"
#include "vmm/mmu/page_fault.h"

struct vm;
struct kvm_mmu;
struct memslot;

/* EPTP bits (SDM 24.6.11), the same in EPTP12 and in our EPTPs. */
#define VMX_EPTP_MT_MASK	0x7ULL		/* 0 UC, 6 WB */
#define VMX_EPTP_PWL_MASK	0x38ULL		/* page-walk length - 1 */
#define VMX_EPTP_PWL_4		0x18ULL
#define VMX_EPTP_AD_ENABLE	BIT(6)
#define VMX_EPTP_RSVD_MASK	0xf80ULL	/* bits 7-11 */

/*
 * What became of an L2 access that L0 took an EPT violation for, when the
 * cause is in L1's tables: the exit L1 must see (EXIT_REASON_EPT_VIOLATION
 * 48 or EXIT_REASON_EPT_MISCONFIG 49), with the qualification L1 expects
 * (bits 0-2 the access as L0's exit gave it, 3-5 the permissions the EPT12
 * walk granted, 7-8 and 12 copied from L0's qualification) and the
 * guest-physical address (L2's).
 */
struct shadow_ept_exit {
	u32 exit_reason;
	u64 exit_qual;
	gpa_t gpa;
};

/* RET_PF_* beyond page_fault.h's, returned by the shadow fault only. */
enum {
	/* The fault belongs to L1: reflect *exit (a nested VM exit). */
	RET_PF_NESTED_EXIT = 16,
};

/*
 * Load the EPT02 root for @eptp12 into @mmu (an L2 context: root_role has
 * guest_mode = 1, direct = 0), reusing a cached root for the same EPTP12
 * and role (lock-free when @mmu holds it already and it is valid; a root
 * zapped while held is replaced). It does not sync: that is INVEPT's and
 * a guest TLB flush's (kvm_shadow_ept_sync_root). On success
 * *root_hpa is the host-physical address for our EPTP. 0, -EINVAL (EPTP12
 * is not a valid 4-level EPTP or its root lies outside L1's memory: the
 * VMLAUNCH fails as the SDM says) or -ENOMEM.
 */
int kvm_shadow_ept_load(struct vm *vm, struct kvm_mmu *mmu, u64 eptp12,
			phys_addr_t *root_hpa);
/* Drop @mmu's root reference (VM exit to L1 keeps it; VMXOFF drops it). */
void kvm_shadow_ept_unload(struct vm *vm, struct kvm_mmu *mmu);

/*
 * An EPT violation taken while L2 ran through @mmu: @l2_gpa and L0's exit
 * qualification @qual. Walks EPT12; the outcomes:
 *   RET_PF_FIXED / RET_PF_SPURIOUS / RET_PF_RETRY   re-enter L2
 *   RET_PF_NESTED_EXIT   L1's tables forbid it: *exit is filled
 *   RET_PF_EMULATE       EPT12 maps the access to an L1 GPA outside L1's
 *                        memslots (L1's MMIO); exit->gpa is that L1 GPA
 *   -ENOMEM / -EFAULT
 */
int kvm_shadow_ept_page_fault(struct vm *vm, struct kvm_mmu *mmu,
			      gpa_t l2_gpa, u64 qual,
			      struct shadow_ept_exit *exit);

/*
 * L1 executed INVEPT (type 1 single context for @eptp12, type 2 all
 * contexts): every unsync shadow page of the affected roots is synced
 * with L1's tables before this returns, so L2's next access sees what L1
 * wrote. (INVEPT flushes cached translations; shadow roots stay valid.)
 */
void kvm_shadow_ept_invept(struct vm *vm, int type, u64 eptp12);

/*
 * Sync @mmu's root if it has unsync pages: the guest TLB flush of an
 * emulated entry to L2 (KVM_REQ_TLB_FLUSH_GUEST -> kvm_mmu_sync_roots).
 */
void kvm_shadow_ept_sync_root(struct vm *vm, struct kvm_mmu *mmu);

/* VMXOFF, vCPU reset or VM death: zap every shadow page of the VM. */
void kvm_shadow_ept_zap_all(struct vm *vm);

/*
 * The TDP MMU's side (called from its fault path with mmu_lock held for
 * read, or from the shadow MMU with it held for write): may L1 get write
 * access to @gfn? 0: yes (leaf shadow pages of @gfn are now unsync, or it
 * has none); -EPERM: no, @gfn is write-tracked (or @can_unsync is false)
 * and stays write-protected.
 */
int mmu_try_to_unsync_pages(struct vm *vm, struct memslot *slot, gfn_t gfn,
			    bool can_unsync);

/*
 * L1 wrote a write-tracked GFN (the TDP MMU fault returned
 * RET_PF_WRITE_PROTECTED): zap the shadow pages of @gfn so that the
 * write can go through when L1 retries it. Takes mmu_lock for write.
 * True if anything was zapped.
 */
bool kvm_mmu_unprotect_gfn(struct vm *vm, gfn_t gfn);

#endif
