/* SPDX-License-Identifier: MIT */
/*
 * What this CPU's VMX can do, read once at boot on the BSP, and the
 * VM-execution/exit/entry controls derived from it.
 *
 * Two halves: vmx_caps_decide() (vmm/vmx/vmx_caps.c) is a pure function of
 * the raw CPUID/MSR values - what is required, what is optional, what the
 * controls are, and why VMX is refused - so every refusal path is tested
 * with synthetic values (vmm/vmx/vmx_caps_ktest.c) on any CPU, VMX or not.
 * vmx_caps_probe() (vmm/vmx/vmx_init.c) reads the real values and calls it.
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

	/* Controls every VMCS starts from (vmm/vcpu_run.c adds per-vCPU bits). */
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

/*
 * The raw values the decision is made from. IA32_VMX_BASIC, MISC, the
 * CR0/CR4 fixed MSRs and the four legacy control MSRs exist whenever CPUID
 * says VMX; each other MSR exists only when its has_ flag is set, which the
 * live path sets from the capability bit that announces it (BASIC[55] for
 * the TRUE_* MSRs, proc allowed-1 bit 31 for PROCBASED_CTLS2, proc2
 * allowed-1 EPT or VPID for EPT_VPID_CAP). A value whose flag is clear is
 * never looked at. Nothing past feature_control is looked at unless CPUID
 * has VMX and firmware did not lock VMX off.
 */
struct vmx_caps_raw {
	u32 cpuid1_ecx;
	u64 feature_control;
	u64 basic, misc;
	u64 cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
	u64 pin, proc, exit, entry;		/* IA32_VMX_*_CTLS */
	bool has_true_ctls;
	u64 true_pin, true_proc, true_exit, true_entry;
	bool has_proc2;
	u64 proc2;
	bool has_ept_vpid;
	u64 ept_vpid;
};

enum vmx_caps_verdict {
	VMX_CAPS_OK = 0,
	VMX_CAPS_NO_VMX,		/* CPUID.1:ECX.VMX = 0 */
	VMX_CAPS_LOCKED_OFF,		/* firmware locked VMX off */
	VMX_CAPS_MISSING,		/* VMX, but something required lacks */
};

/* Room for the longest refusal (every requirement missing, truncated). */
#define VMX_REFUSAL_MAX	320

/*
 * Decide from @raw alone: fill @c (controls and optional features; with
 * VMX_CAPS_MISSING still filled, for the report) and, unless VMX_CAPS_OK,
 * write into @why a reason that names every missing feature by name
 * ("missing: unrestricted guest"). No hardware access, no printing.
 */
enum vmx_caps_verdict vmx_caps_decide(const struct vmx_caps_raw *raw,
				      struct vmx_caps *c, char *why,
				      size_t why_len);

/* Set once vmx_caps_probe() has accepted this CPU. */
extern bool vmx_supported;

/*
 * Detect VMX, read the capability MSRs, compute the controls and print the
 * one-screen report. Returns 0, or -1 after printing why VMX is refused
 * (the hypervisor then runs no guests); vmx_caps_refusal() keeps the why.
 */
int vmx_caps_probe(void);
const char *vmx_caps_refusal(void);

/*
 * Make IA32_FEATURE_CONTROL allow VMXON outside SMX on this CPU, locking
 * it if firmware left it unlocked. False when firmware locked VMX off.
 */
bool vmx_feature_control_enable(void);

/* CR0/CR4 values adjusted to the VMX fixed bits. */
u64 vmx_fix_cr0(u64 cr0, bool unrestricted);
u64 vmx_fix_cr4(u64 cr4);

#endif
