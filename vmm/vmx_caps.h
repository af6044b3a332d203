/* SPDX-License-Identifier: MIT */
/*
 * What this CPU's VMX can do, read once at boot on the BSP, and the
 * VM-execution/exit/entry controls derived from it.
 *
 * Every capability MSR is read only after the bit that says it exists:
 * reading a missing one raises #GP (Bochs models without secondary
 * controls, for instance). The APs are assumed to match the BSP (they do in
 * Bochs and on every real part we target); vmx_cpu_enable() re-checks
 * IA32_FEATURE_CONTROL on each CPU, which is per-core state.
 */
#ifndef VMM_VMX_CAPS_H
#define VMM_VMX_CAPS_H

#include "kernel/types.h"

struct vmx_caps {
	u64 basic;
	u64 misc;
	u64 cr0_fixed0, cr0_fixed1;
	u64 cr4_fixed0, cr4_fixed1;
	u64 ept_vpid;		/* 0 when the MSR does not exist */
	/* Allowed-0 (low) / allowed-1 (high) pairs; TRUE_* when present. */
	u64 pin_msr, proc_msr, proc2_msr, exit_msr, entry_msr;
	bool true_ctls;
	u32 revision;

	/* Controls every VMCS starts from (vmm/vcpu.c adds per-vCPU bits). */
	u32 pin_ctl, proc_ctl, proc2_ctl, exit_ctl, entry_ctl;

	/* Optional features, used when present. */
	bool ept_ad;
	bool ept_2m, ept_1g;
	bool pml;
	bool mtf;
	bool invept_single;
	bool invvpid_single;
	bool rdtscp;
	unsigned int preempt_shift;	/* timer ticks = TSC >> preempt_shift */
};

extern struct vmx_caps vmx_caps;

/* Set once vmx_caps_probe() has accepted this CPU. */
extern bool vmx_supported;

/*
 * Detect VMX, read the capability MSRs, compute the controls and print the
 * one-screen report. Returns 0, or -1 after printing every missing
 * requirement (the hypervisor then runs no guests).
 */
int vmx_caps_probe(void);

/*
 * Make IA32_FEATURE_CONTROL allow VMXON outside SMX on this CPU, locking
 * it if firmware left it unlocked. False when firmware locked VMX off.
 */
bool vmx_feature_control_enable(void);

/* CR0/CR4 values adjusted to the VMX fixed bits. */
u64 vmx_fix_cr0(u64 cr0, bool unrestricted);
u64 vmx_fix_cr4(u64 cr4);

#endif
