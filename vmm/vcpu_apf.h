/* SPDX-License-Identifier: MIT */
/*
 * Async page faults on a vCPU: the portable core (vmm/apf/async_pf.h)
 * wired to the VMCS, the LAPIC and the swap store (vmm/mmu/swap.h), and
 * the swap store's worker thread. The vCPU's kvm_vcpu_apf is its run
 * loop's (the core's rules), except what page-in completions append.
 */
#ifndef VMM_VCPU_APF_H
#define VMM_VCPU_APF_H

#include "kernel/compiler.h"

struct vcpu;
struct guest;

void vcpu_apf_init(struct vcpu *v);
/* The vCPU is stopped: every page-in cancelled, every work item freed. */
void vcpu_apf_destroy(struct vcpu *v);

/*
 * An EPT violation on a GFN in swap (RET_PF_NOT_RESIDENT): tell the guest
 * "not present" and go on if it can take one, else sleep until the page
 * is in. Returns VCPU_RESUME or VCPU_STOP.
 */
int vcpu_apf_fault(struct vcpu *v, u64 gpa, u64 access);
/*
 * Before an entry, VMCS current: deliver completed page-ins ("page
 * ready" into the LAPIC). vcpu_apf_after_irq() runs after the interrupt
 * injection and places a "not present" the race hook owes.
 */
void vcpu_apf_before_entry(struct vcpu *v);
void vcpu_apf_after_irq(struct vcpu *v);
/* Something for a halted vCPU to wake for (a deliverable "page ready"). */
bool vcpu_apf_wakes_halt(struct vcpu *v);
/* Is there anything for vcpu_apf_before_entry() to do? Lock-free. */
bool vcpu_apf_pending(struct vcpu *v);

/* profile=1: account the entry at TSC @t_entry; print at the end. */
void vcpu_apf_profile_account(struct vcpu *v, u64 t_entry);
void vcpu_apf_profile_print(struct vcpu *v);

/* MSR_KVM_ASYNC_PF_*: true if @msr is one (*@gp: raise #GP). */
bool vcpu_apf_wrmsr(struct vcpu *v, u32 msr, u64 val, bool *gp);
bool vcpu_apf_rdmsr(struct vcpu *v, u32 msr, u64 *val, bool *gp);

/* The swap store's worker: with the guest, before it runs / after. */
int guest_swap_start(struct guest *g, u64 latency_ns, u64 jitter_ns);
void guest_swap_stop(struct guest *g);

#endif
