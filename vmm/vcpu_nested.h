/* SPDX-License-Identifier: MIT */
/*
 * What the VM layer asks of nested VMX (implemented in vmm/nested/,
 * which depends on the VM layer, never the other way): whether a vCPU is
 * offered VMX, its VMX capability MSRs and IA32_FEATURE_CONTROL, the CR0
 * and CR4 rules of VMX operation, and freeing its nested state. The VMX
 * instructions' exits are in vmm/exit_handlers.h's table.
 */
#ifndef VMM_VCPU_NESTED_H
#define VMM_VCPU_NESTED_H

#include "kernel/types.h"

struct vcpu;

/* The guest asked for VMX (nested=1) and the host can offer it. */
bool vcpu_nested_vmx_offered(struct vcpu *v);
/*
 * RDMSR of IA32_FEATURE_CONTROL or a VMX capability MSR by a vCPU that is
 * offered VMX: true with *val set; false when @msr is none of those (or
 * VMX is not offered) and the ordinary MSR rules apply. All of them are
 * read-only: vcpu_nested_vmx_msr() says whether a WRMSR must #GP.
 */
bool vcpu_nested_vmx_rdmsr(struct vcpu *v, u32 msr, u64 *val);
bool vcpu_nested_vmx_msr(struct vcpu *v, u32 msr);
/* In VMX operation (after VMXON): CR4.VMXE, CR0.PE/PG/NE stay set. */
bool vcpu_in_vmx_operation(struct vcpu *v);
/* The vCPU goes away: its nested state with it (before its MMU goes). */
void vcpu_nested_vmx_free(struct vcpu *v);

/* L2 runs on this vCPU (KVM's is_guest_mode): vcpu->vmcs is VMCS02. */
bool vcpu_in_guest_mode(struct vcpu *v);
/*
 * The run loop, before each entry while in guest mode, with interrupts
 * on: EPT02, and an interrupt for L1 turned into its exit. A VCPU_* code.
 */
int nested_vmx_before_entry(struct vcpu *v);
/*
 * An exit while in guest mode (vmm/exit.c, first): reflected to L1 (a
 * VCPU_* code), or NESTED_L0_HANDLES: the ordinary handler takes it.
 */
#define NESTED_L0_HANDLES	(-1)
int nested_vmx_l2_exit(struct vcpu *v, u32 basic_reason);
/* L2 runs through EPT02 (EPT12 on): its EPT violations are the shadow's. */
bool vcpu_nested_ept12(struct vcpu *v);
int nested_ept_violation(struct vcpu *v);
/*
 * The L1 GPA behind @gpa as the vCPU's current guest addresses memory:
 * @gpa itself for L1, L2's through EPT12 (false where EPT12 maps
 * nothing). Used to read what L2 executes and its page tables when an
 * L2 access to L1's MMIO is emulated.
 */
bool nested_gpa_to_l1(struct vcpu *v, u64 gpa, u64 *l1_gpa);

#endif
