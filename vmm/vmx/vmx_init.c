// SPDX-License-Identifier: MIT
/*
 * VMX at boot: read the real CPUID/MSR values (each capability MSR only
 * once a bit says it exists), let vmx_caps_decide() judge them, print the
 * capability report once, then VMXON on every online CPU. Without VMX (QEMU TCG) or with a missing requirement the report
 * says why, the hypervisor runs no guests, and the kernel's other tests go
 * on; the VMX tests then skip with vmx_unavailable_reason() - unless the
 * command line says expect_vmx=1 (the Bochs configurations), where a
 * missing VMX is a failure.
 */
#include "vmm/vmx/vmx.h"
#include "vmm/vmx/vmx_caps.h"
#include "arch/x86/cpu.h"
#include "arch/x86/interrupts.h"
#include "arch/x86/vmx.h"
#include "arch/x86/smp.h"
#include "kernel/cmdline.h"
#include "kernel/log.h"
#include "kernel/platform.h"
#include "kernel/string.h"

bool vmx_ready;
static const char *vmx_why_not = "vmx_init() has not run";
static char vmx_refusal[VMX_REFUSAL_MAX];

/*
 * Read what vmx_caps_decide() needs, and nothing the CPU does not have:
 * reading a capability MSR that is not announced raises #GP.
 */
static void vmx_caps_read_raw(struct vmx_caps_raw *r)
{
	u32 a, b, d;

	memset(r, 0, sizeof(*r));
	cpuid(1, &a, &b, &r->cpuid1_ecx, &d);
	if (!(r->cpuid1_ecx & CPUID_1_ECX_VMX))
		return;
	r->feature_control = rdmsr(MSR_IA32_FEATURE_CONTROL);
	if ((r->feature_control & FEAT_CTL_LOCKED) &&
	    !(r->feature_control & FEAT_CTL_VMX_OUTSIDE_SMX))
		return;
	r->basic = rdmsr(MSR_IA32_VMX_BASIC);
	r->misc = rdmsr(MSR_IA32_VMX_MISC);
	r->cr0_fixed0 = rdmsr(MSR_IA32_VMX_CR0_FIXED0);
	r->cr0_fixed1 = rdmsr(MSR_IA32_VMX_CR0_FIXED1);
	r->cr4_fixed0 = rdmsr(MSR_IA32_VMX_CR4_FIXED0);
	r->cr4_fixed1 = rdmsr(MSR_IA32_VMX_CR4_FIXED1);
	r->pin = rdmsr(MSR_IA32_VMX_PINBASED_CTLS);
	r->proc = rdmsr(MSR_IA32_VMX_PROCBASED_CTLS);
	r->exit = rdmsr(MSR_IA32_VMX_EXIT_CTLS);
	r->entry = rdmsr(MSR_IA32_VMX_ENTRY_CTLS);
	r->has_true_ctls = r->basic & VMX_BASIC_TRUE_CTLS;
	if (r->has_true_ctls) {
		r->true_pin = rdmsr(MSR_IA32_VMX_TRUE_PINBASED_CTLS);
		r->true_proc = rdmsr(MSR_IA32_VMX_TRUE_PROCBASED_CTLS);
		r->true_exit = rdmsr(MSR_IA32_VMX_TRUE_EXIT_CTLS);
		r->true_entry = rdmsr(MSR_IA32_VMX_TRUE_ENTRY_CTLS);
	}
	/* Each of these MSRs exists only if the bit before it says so. */
	r->has_proc2 = (r->has_true_ctls ? r->true_proc : r->proc) >> 32 &
		       CPU_SECONDARY_CONTROLS;
	if (r->has_proc2)
		r->proc2 = rdmsr(MSR_IA32_VMX_PROCBASED_CTLS2);
	r->has_ept_vpid = r->proc2 >> 32 & (CPU2_ENABLE_EPT | CPU2_ENABLE_VPID);
	if (r->has_ept_vpid)
		r->ept_vpid = rdmsr(MSR_IA32_VMX_EPT_VPID_CAP);
}

bool vmx_feature_control_enable(void)
{
	u64 fc = rdmsr(MSR_IA32_FEATURE_CONTROL);

	if (fc & FEAT_CTL_LOCKED)
		return fc & FEAT_CTL_VMX_OUTSIDE_SMX;
	/* Unlocked: enable VMX and lock, as firmware normally would. */
	wrmsr(MSR_IA32_FEATURE_CONTROL,
	      fc | FEAT_CTL_VMX_OUTSIDE_SMX | FEAT_CTL_LOCKED);
	return true;
}

static const char *yesno(bool b)
{
	return b ? "yes" : "no";
}

static void vmx_caps_report(void)
{
	struct vmx_caps *c = &vmx_caps;

	pr_info("vmx: ---- VMX capability report ----\n");
	pr_info("vmx: VMCS revision %#x, size %lu, %s controls, WB VMCS %s\n",
		c->revision, VMX_BASIC_VMCS_SIZE(c->basic),
		c->true_ctls ? "TRUE_*" : "legacy",
		yesno((c->basic & (0xfULL << 50)) == VMX_BASIC_MEMTYPE_WB));
	pr_info("vmx: pin %#010lx proc %#010lx proc2 %#010lx\n",
		c->pin_msr, c->proc_msr, c->proc2_msr);
	pr_info("vmx: exit %#010lx entry %#010lx ept/vpid %#lx\n",
		c->exit_msr, c->entry_msr, c->ept_vpid);
	pr_info("vmx: required: EPT %s, VPID %s, unrestricted guest %s, "
		"preemption timer %s\n",
		yesno(c->proc2_msr >> 32 & CPU2_ENABLE_EPT),
		yesno(c->proc2_msr >> 32 & CPU2_ENABLE_VPID),
		yesno(c->proc2_msr >> 32 & CPU2_UNRESTRICTED_GUEST),
		yesno(c->pin_msr >> 32 & PIN_PREEMPTION_TIMER));
	pr_info("vmx: EPT: 4-level %s, WB %s, 2M %s, 1G %s, A/D bits %s, "
		"INVEPT single %s\n",
		yesno(c->ept_vpid & EPT_CAP_PWL4),
		yesno(c->ept_vpid & EPT_CAP_MEMTYPE_WB), yesno(c->ept_2m),
		yesno(c->ept_1g), yesno(c->ept_ad), yesno(c->invept_single));
	pr_info("vmx: optional: PML %s, monitor trap flag %s, RDTSCP %s, "
		"INVVPID single %s\n", yesno(c->pml), yesno(c->mtf),
		yesno(c->rdtscp), yesno(c->invvpid_single));
	pr_info("vmx: preemption timer rate: TSC >> %u\n", c->preempt_shift);
	pr_info("vmx: CR0 fixed0 %#lx fixed1 %#lx; CR4 fixed0 %#lx "
		"fixed1 %#lx\n", c->cr0_fixed0, c->cr0_fixed1, c->cr4_fixed0,
		c->cr4_fixed1);
	pr_info("vmx: controls: pin %#x proc %#x proc2 %#x exit %#x "
		"entry %#x\n", c->pin_ctl, c->proc_ctl, c->proc2_ctl,
		c->exit_ctl, c->entry_ctl);
}

int vmx_caps_probe(void)
{
	struct vmx_caps_raw raw;
	enum vmx_caps_verdict v;

	vmx_caps_read_raw(&raw);
	if (raw.cpuid1_ecx & CPUID_1_ECX_VMX)
		pr_info("vmx: IA32_FEATURE_CONTROL = %#lx (%s, VMX outside "
			"SMX %s)\n", raw.feature_control,
			raw.feature_control & FEAT_CTL_LOCKED ? "locked"
							      : "unlocked",
			raw.feature_control & FEAT_CTL_VMX_OUTSIDE_SMX ? "on"
								       : "off");
	v = vmx_caps_decide(&raw, &vmx_caps, vmx_refusal, sizeof(vmx_refusal));
	if (v == VMX_CAPS_OK || v == VMX_CAPS_MISSING)
		vmx_caps_report();
	if (v != VMX_CAPS_OK) {
		pr_err("vmx: refusing VMX: %s; no guests will run\n",
		       vmx_refusal);
		return -1;
	}
	vmx_supported = true;
	return 0;
}

const char *vmx_caps_refusal(void)
{
	return vmx_refusal[0] ? vmx_refusal : NULL;
}

/*
 * The kick IPI only has to make a CPU in guest mode exit (external-
 * interrupt exiting); the run loop then sees the request. Nothing to do
 * in the handler itself.
 */
static void vmx_kick_interrupt(struct exception_frame *frame)
{
}

void vmx_init(void)
{
	unsigned int cpu, nr = plat_nr_cpus(), nr_on = 0;

	if (vmx_caps_probe()) {
		vmx_why_not = vmx_caps_refusal();
		goto out;
	}
	irq_register(VEC_VMX_KICK, vmx_kick_interrupt);
	for (cpu = 0; cpu < nr; cpu++) {
		if (smp_call_on_cpu(cpu, vmx_cpu_enable, NULL, true))
			pr_err("vmx: cpu%u is not online\n", cpu);
		else if (READ_ONCE(vmx_cpus[cpu].on))
			nr_on++;
	}
	if (nr_on != nr) {
		pr_err("vmx: VMXON worked on %u of %u CPUs; no guests will "
		       "run\n", nr_on, nr);
		vmx_why_not = "VMXON failed on some CPU (see the log)";
		goto out;
	}
	pr_info("vmx: VMX root operation on all %u CPUs\n", nr);
	vmx_why_not = NULL;
	WRITE_ONCE(vmx_ready, true);
out:
	if (!vmx_ready && cmdline_expect_vmx)
		pr_err("vmx: expect_vmx=1 but %s\n", vmx_why_not);
}

const char *vmx_unavailable_reason(void)
{
	return READ_ONCE(vmx_ready) ? NULL : vmx_why_not;
}
