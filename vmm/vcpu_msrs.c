// SPDX-License-Identifier: MIT
/*
 * Guest MSRs that VMX does not switch: the SYSCALL MSRs, KERNEL_GS_BASE
 * (SWAPGS) and TSC_AUX (RDTSCP). The host never uses SYSCALL, SWAPGS or
 * RDTSCP, so instead of switching them at every entry and exit the CPU
 * simply holds the values of the vCPU whose VMCS it last loaded
 * (vmx_cpus[cpu].msr_owner): vcpu_load() swaps them when another vCPU
 * comes, and VMCLEAR (vmcs_clear_local) saves them. A guest changes them
 * only through WRMSR exits, except KERNEL_GS_BASE, which SWAPGS exchanges
 * in hardware: that one is read back whenever the vCPU's copy is needed.
 */
#include "vmm/vcpu_msrs.h"
#include "vmm/vmx/vmx.h"
#include "vmm/vmx/vmx_caps.h"
#include "arch/x86/cpu.h"
#include "kernel/platform.h"

/* X(msr, field of struct vcpu) */
#define VCPU_HW_MSRS(X)							\
	X(MSR_STAR,		msr_star)				\
	X(MSR_LSTAR,		msr_lstar)				\
	X(MSR_CSTAR,		msr_cstar)				\
	X(MSR_SFMASK,		msr_sfmask)				\
	X(MSR_KERNEL_GS_BASE,	msr_kernel_gs_base)

static void vcpu_msrs_load(struct vcpu *v)
{
#define LOAD_MSR(msr, field) wrmsr(msr, v->field);
	VCPU_HW_MSRS(LOAD_MSR)
#undef LOAD_MSR
	if (vmx_caps.rdtscp)
		wrmsr(MSR_TSC_AUX, v->msr_tsc_aux);
}

void vcpu_msrs_save(struct vcpu *v)
{
	struct vmx_cpu *vc = &vmx_cpus[plat_cpu_id()];

	if (vc->msr_owner != v)
		return;
	v->msr_kernel_gs_base = rdmsr(MSR_KERNEL_GS_BASE);
	vc->msr_owner = NULL;
}

void vcpu_msrs_switch_to(struct vcpu *v)
{
	unsigned long flags = local_irq_save();
	struct vmx_cpu *vc = &vmx_cpus[plat_cpu_id()];

	if (vc->msr_owner != v) {
		if (vc->msr_owner)
			vcpu_msrs_save(vc->msr_owner);
		vcpu_msrs_load(v);
		vc->msr_owner = v;
	}
	local_irq_restore(flags);
}

bool vcpu_msr_is_hw(u32 msr)
{
	switch (msr) {
#define CASE_MSR(msr, field) case msr:
	VCPU_HW_MSRS(CASE_MSR)
#undef CASE_MSR
		return true;
	case MSR_TSC_AUX:
		return vmx_caps.rdtscp;
	}
	return false;
}
