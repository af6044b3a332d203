/* SPDX-License-Identifier: MIT */
/* Guest MSRs held in hardware for the vCPU loaded here (vmm/vcpu_msrs.c). */
#ifndef VMM_VCPU_MSRS_H
#define VMM_VCPU_MSRS_H

#include "vmm/vcpu.h"

#define MSR_STAR		0xc0000081
#define MSR_LSTAR		0xc0000082
#define MSR_CSTAR		0xc0000083
#define MSR_SFMASK		0xc0000084
#define MSR_TSC_AUX		0xc0000103

/*
 * Make this CPU hold @vcpu's values (saving the previous owner's
 * KERNEL_GS_BASE). Called with @vcpu's VMCS current here.
 */
void vcpu_msrs_switch_to(struct vcpu *vcpu);
/* If this CPU holds @vcpu's values: save what the guest may have changed. */
void vcpu_msrs_save(struct vcpu *vcpu);
/* @msr is one of those held in hardware (a WRMSR must reach it). */
bool vcpu_msr_is_hw(u32 msr);

#endif
