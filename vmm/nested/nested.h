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

struct vcpu;

struct nested_vcpu {
	struct nested_vmx vmx;		/* L1's VMX operation (pure part) */
	bool said_entry_check;		/* a failed VMCS12 check was logged */
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

/* The capability MSRs every L1 sees, and L1's MAXPHYADDR. */
const struct nested_vmx_msrs *nested_vmx_msrs(void);
unsigned int nested_l1_phys_bits(void);

#endif
