/* SPDX-License-Identifier: MIT */
/*
 * A vCPU's nested-VMX state (struct nested_vcpu, at vcpu->nested: made
 * at the first VMX instruction of a vCPU that is offered VMX, freed with
 * the vCPU) and what vmm/nested/'s files share. Only the vCPU's own run
 * loop touches it: no lock.
 */
#ifndef VMM_NESTED_NESTED_H
#define VMM_NESTED_NESTED_H

#include "vmm/nested/nested_vmx.h"
#include "vmm/mmu/page_fault.h"

struct vcpu;

struct nested_vcpu {
	struct nested_vmx vmx;		/* L1's VMX operation (pure part) */
	bool said_entry_check;		/* a failed VMCS12 check was logged */
	/*
	 * L2 runs (KVM's is_guest_mode): vcpu->vmcs is vmcs02. Set by a
	 * VM entry to L2, cleared by the nested VM exit.
	 */
	bool guest_mode;
	void *vmcs01;			/* L1's VMCS while L2 runs */
	void *vmcs02;			/* made at the first entry to L2 */
	u16 vpid02;			/* L2's VPID (0: none free, L1's) */
	struct kvm_mmu mmu02;		/* EPT02 (shadow of EPT12) */
	/*
	 * An emulated VMLAUNCH/VMRESUME flushes L2's TLB (one VPID02 for
	 * every VPID12), and a guest TLB flush syncs unsync shadow pages
	 * (KVM's kvm_vcpu_flush_tlb_guest): set there, consumed by the next
	 * nested_vmx_before_entry(). Re-entries after exits L0 handled
	 * alone do not sync: L1 flushed nothing. vCPU thread only.
	 */
	bool ept02_sync_pending;
	u64 nr_entries, nr_exits;	/* entries to L2, exits to L1 */
};

/* vcpu->nested, made on first use; NULL when the host has no memory. */
struct nested_vcpu *nested_vcpu_get(struct vcpu *v);

/*
 * Nested VM exits (nested_vmexit.c): L1 resumes in VMCS12's host state;
 * a VM-entry failure (exit reason 33/34, bit 31 set) with @qual.
 */
void nested_vmx_load_host_state(struct vcpu *v, const struct vmcs12 *vmcs12);
int nested_vmx_entry_failed(struct vcpu *v, struct nested_vcpu *nv, u32 reason,
			    u32 qual);
/*
 * A VM exit from L2 to L1 with @reason and @qual; @from_hw copies the
 * rest of the exit information from the hardware exit (VMCS02).
 */
int nested_vmx_vmexit(struct vcpu *v, struct nested_vcpu *nv, u32 reason,
		      u64 qual, bool from_hw);
/* Back to VMCS01 if in L2, EPT02 dropped (VMXOFF, vCPU teardown). */
void nested_vmx_leave(struct vcpu *v, struct nested_vcpu *nv);

/* Entering L2 (nested_run.c) after every VMLAUNCH/VMRESUME check. */
int nested_vmx_enter_guest_mode(struct vcpu *v, struct nested_vcpu *nv);
bool nested_uses_ept12(const struct nested_vcpu *nv);

/* The capability MSRs every L1 sees, and L1's MAXPHYADDR. */
const struct nested_vmx_msrs *nested_vmx_msrs(void);
unsigned int nested_l1_phys_bits(void);

#endif
