/* SPDX-License-Identifier: MIT */
/*
 * A vCPU's local APIC as the VM layer drives it (vmm/vcpu_lapic.c): MMIO
 * and MSR access from the exits, INIT/SIPI, the timer's clock.
 */
#ifndef VMM_VCPU_LAPIC_H
#define VMM_VCPU_LAPIC_H

#include "vmm/vcpu.h"

/* At vCPU creation: reset state, vCPU 0 is the BSP. */
void vcpu_lapic_init(struct vcpu *v);
/*
 * An MMIO access at @gpa: true when it is this vCPU's xAPIC page and was
 * served (a read fills *@val); false: not the APIC's, ask the bus.
 */
bool vcpu_lapic_mmio(struct vcpu *v, u64 gpa, unsigned int size, bool write,
		     u64 *val);
/*
 * RDMSR/WRMSR of IA32_APIC_BASE, IA32_TSC_DEADLINE and the x2APIC range:
 * 1 done, -1 #GP, 0 not a LAPIC MSR.
 */
int vcpu_lapic_rdmsr(struct vcpu *v, u32 msr, u64 *val);
int vcpu_lapic_wrmsr(struct vcpu *v, u32 msr, u64 val);
/* Serve INIT/SIPI (VMCS current): VCPU_RESUME or VCPU_WAIT_SIPI. */
int vcpu_lapic_accept_events(struct vcpu *v);
/* Stop the guest when every running vCPU waits for a SIPI. */
void guest_check_all_parked(struct guest *g);
/* Before entry (IRQs off, VMCS current): fire a due timer, arm the exit. */
void vcpu_lapic_timer_sync(struct vcpu *v);
/* A preemption-timer exit that was the APIC timer's: true, fired. */
bool vcpu_lapic_timer_exit(struct vcpu *v);
/* Host ns until the APIC timer's expiry (>= 1), 0 when none is armed. */
u64 vcpu_lapic_timer_sleep_ns(struct vcpu *v);
/* An NMI, INIT/SIPI, a deliverable vector or a due timer is waiting. */
bool vcpu_lapic_wants_attention(struct vcpu *v);

#endif
