/* SPDX-License-Identifier: MIT */
/* A fresh vCPU's VMCS (vmm/vmcs_setup.c). */
#ifndef VMM_VMCS_SETUP_H
#define VMM_VMCS_SETUP_H

#include "vmm/vcpu.h"

/* Write the VMCS (current on this CPU) for a fresh vCPU (vmm/vmcs_setup.c). */
void vmcs_setup(struct vcpu *vcpu);
/* Preemption-timer ticks in one guest time slice (set by vmcs_setup()). */
extern u32 vcpu_slice_ticks;

/* CR4 bits the guest may set, and those whose writes exit to be checked. */
u64 vcpu_cr4_guest_allowed(void);
u64 vcpu_cr4_host_owned(void);
/* Real mode at (vector << 8):0, as a start-up IPI leaves a CPU. */
void vmcs_setup_sipi(struct vcpu *v, u8 vector);

#endif
