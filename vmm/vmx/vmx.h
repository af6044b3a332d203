/* SPDX-License-Identifier: MIT */
/*
 * VMX root operation on each host CPU, and the per-CPU host state that
 * every VMCS loaded on that CPU must carry.
 */
#ifndef VMM_VMX_H
#define VMM_VMX_H

#include "kernel/compiler.h"

struct vcpu;

/* Guest general-purpose registers; the layout is vmm/vmx/vmx_entry.c's. */
struct vcpu_regs {
	u64 rax, rcx, rdx, rbx, rsp_unused, rbp, rsi, rdi;
	u64 r8, r9, r10, r11, r12, r13, r14, r15;
	/*
	 * CR2 is not in the VMCS: the run loop saves it after each exit and
	 * loads it before each entry (vcpu_run.c), as KVM's vmx_vcpu_run().
	 */
	u64 cr2;
};

/*
 * Enter the guest with @regs (VMLAUNCH unless @launched, else VMRESUME)
 * and come back at its next VM exit: 0, or nonzero when the entry
 * instruction itself failed (vmm/vmx/vmx_entry.c).
 */
int vmx_vcpu_enter(struct vcpu_regs *regs, bool launched);

/*
 * VMX usable on every online CPU (vmm/vmx/vmx_init.c): capability report
 * printed and VMXON done. vmx_init() runs once at boot.
 */
extern bool vmx_ready;
void vmx_init(void);
/* Why no guest can run (for test skips), or NULL when VMX is ready. */
const char *vmx_unavailable_reason(void);


/* Per-CPU VMX state; index by plat_cpu_id(). */
struct vmx_cpu {
	void *vmxon_region;
	bool on;			/* VMXON succeeded */
	struct vcpu *loaded;		/* vCPU whose VMCS is current here */
	/*
	 * vCPU whose SYSCALL/KERNEL_GS_BASE/TSC_AUX values this CPU holds
	 * (vmm/vcpu_msrs.c); its VMCS is active here. Changed by this CPU
	 * only, with interrupts off.
	 */
	struct vcpu *msr_owner;
};

extern struct vmx_cpu vmx_cpus[MAX_CPUS];

/*
 * Enter VMX root operation on the calling CPU (fixes CR0/CR4, checks
 * IA32_FEATURE_CONTROL, allocates the VMXON region). @arg is unused so the
 * function can be sent to another CPU by smp_call_on_cpu(). Result in
 * vmx_cpus[cpu].on.
 */
void vmx_cpu_enable(void *arg);

/* Write the host-state fields that differ per CPU into the current VMCS. */
void vmx_write_host_state(void);

/* Log the VM-instruction error of the current VMCS with its name. */
void vmx_report_insn_error(const char *what);

#endif
