/* SPDX-License-Identifier: MIT */
/* The vCPU run loop and its loading of the VMCS (vmm/vcpu_run.c). */
#ifndef VMM_VCPU_RUN_H
#define VMM_VCPU_RUN_H

#include "vmm/vcpu.h"
#include "vmm/exit_codes.h"

/*
 * Run @vcpu on the calling CPU until it stops or yields. A stopped vCPU's
 * VMCS is cleared; a yielded one stays active on this CPU (a later load
 * elsewhere clears it there first).
 */
int vcpu_run_slice(struct vcpu *vcpu);
/* VMCLEAR @vcpu's VMCS wherever it is active. */
void vcpu_vmcs_clear(struct vcpu *vcpu);
/* Make @vmcs the vCPU's current VMCS here, the old one VMCLEARed. */
bool vcpu_switch_vmcs(struct vcpu *vcpu, void *vmcs);
/* Run @vcpu until it stops, yielding to the scheduler in between. */
int vcpu_run(struct vcpu *vcpu);
/* Hook the vCPU's preempt notifiers to the calling (vCPU) thread. */
void vcpu_sched_notifier_register(struct vcpu *vcpu);
void vcpu_sched_notifier_unregister(struct vcpu *vcpu);

/*
 * Ask @vcpu's thread to move itself to host CPU @cpu (thread_migrate())
 * at the end of its current slice, which the kick IPI ends at once.
 */
void vcpu_request_migrate(struct vcpu *vcpu, int cpu);

/* "vcpuN: E exits, H HLT exits, W halt wake-ups, ..." into @buf. */
int vcpu_format_stats(struct vcpu *vcpu, char *buf, size_t size);

#endif
