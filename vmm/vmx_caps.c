// SPDX-License-Identifier: MIT
/*
 * VMX detection, capability report and control computation.
 *
 * Controls are computed from the capability MSRs, which give for each
 * control word the bits that must be 1 (allowed-0 settings, low half) and
 * the bits that may be 1 (allowed-1 settings, high half). When
 * IA32_VMX_BASIC[55] says so, the TRUE_* MSRs are used instead: they are
 * the only way to learn that "default-1" controls such as CR3-load exiting
 * may be cleared, and Bochs needs those cleared for a guest that writes CR3.
 */
#include "vmm/vmx_caps.h"
#include "arch/x86/cpu.h"
#include "arch/x86/vmx.h"
#include "kernel/log.h"

struct vmx_caps vmx_caps;
bool vmx_supported;

/* What we ask for; "required" bits missing from allowed-1 refuse VMX. */
#define PIN_REQUIRED	(PIN_EXT_INTR_EXITING | PIN_NMI_EXITING | \
			 PIN_PREEMPTION_TIMER)
#define PROC_REQUIRED	(CPU_HLT_EXITING | CPU_UNCOND_IO_EXITING | \
			 CPU_SECONDARY_CONTROLS)
/* The guest must not MONITOR/MWAIT the host CPU to sleep. */
#define PROC_OPTIONAL	(CPU_MWAIT_EXITING | CPU_MONITOR_EXITING)
/* Bits we must be able to clear: the guest owns CR3, TSC and INVLPG. */
#define PROC_CLEAR	(CPU_CR3_LOAD_EXITING | CPU_CR3_STORE_EXITING | \
			 CPU_INVLPG_EXITING | CPU_RDTSC_EXITING | \
			 CPU_USE_MSR_BITMAPS | CPU_USE_IO_BITMAPS)
#define PROC2_REQUIRED	(CPU2_ENABLE_EPT | CPU2_ENABLE_VPID | \
			 CPU2_UNRESTRICTED_GUEST)
#define PROC2_OPTIONAL	(CPU2_ENABLE_RDTSCP | CPU2_ENABLE_INVPCID)
#define EXIT_REQUIRED	(EXIT_HOST_ADDR_SPACE_SIZE | EXIT_SAVE_EFER | \
			 EXIT_LOAD_EFER)
/*
 * Saving the preemption timer makes it count a whole slice across exits;
 * without it every entry would restart the count and a guest that exits
 * often (a VMCALL loop) would never be preempted.
 */
#define EXIT_OPTIONAL	(EXIT_SAVE_PAT | EXIT_LOAD_PAT | \
			 EXIT_SAVE_PREEMPTION_TIMER)
#define ENTRY_REQUIRED	(ENTRY_LOAD_EFER)
#define ENTRY_OPTIONAL	(ENTRY_LOAD_PAT)

static unsigned int nr_missing;

static void require(bool ok, const char *what)
{
	if (!ok) {
		pr_err("vmx: REQUIRED but missing: %s\n", what);
		nr_missing++;
	}
}

/*
 * Fold (required | optional) into what the MSR allows; ask for no bit the
 * CPU cannot set, force every bit it cannot clear.
 */
static u32 adjust_controls(u64 msr, u32 required, u32 optional,
			   u32 must_clear, const char *word)
{
	u32 allowed0 = (u32)msr, allowed1 = (u32)(msr >> 32);
	u32 ctl = ((required | optional) & allowed1) | allowed0;

	if ((ctl & required) != required) {
		pr_err("vmx: %s controls lack required bits %#x\n", word,
		       required & ~ctl);
		nr_missing++;
	}
	if (ctl & must_clear) {
		pr_err("vmx: %s controls cannot clear bits %#x\n", word,
		       ctl & must_clear);
		nr_missing++;
	}
	return ctl;
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

u64 vmx_fix_cr0(u64 cr0, bool unrestricted)
{
	u64 fixed0 = vmx_caps.cr0_fixed0;

	/* Unrestricted guests may run with paging or protection off. */
	if (unrestricted)
		fixed0 &= ~(X86_CR0_PE | X86_CR0_PG);
	return (cr0 | fixed0) & vmx_caps.cr0_fixed1;
}

u64 vmx_fix_cr4(u64 cr4)
{
	return (cr4 | vmx_caps.cr4_fixed0) & vmx_caps.cr4_fixed1;
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
	struct vmx_caps *c = &vmx_caps;
	u32 a, b, ecx, d;
	u64 fc;

	nr_missing = 0;
	cpuid(1, &a, &b, &ecx, &d);
	if (!(ecx & CPUID_1_ECX_VMX)) {
		pr_err("vmx: CPUID.1:ECX.VMX[5] = 0: this CPU has no VMX; "
		       "no guests will run (Bochs emulates VMX, QEMU TCG "
		       "does not)\n");
		return -1;
	}
	fc = rdmsr(MSR_IA32_FEATURE_CONTROL);
	pr_info("vmx: IA32_FEATURE_CONTROL = %#lx (%s, VMX outside SMX %s)\n",
		fc, fc & FEAT_CTL_LOCKED ? "locked" : "unlocked",
		fc & FEAT_CTL_VMX_OUTSIDE_SMX ? "on" : "off");
	if ((fc & FEAT_CTL_LOCKED) && !(fc & FEAT_CTL_VMX_OUTSIDE_SMX)) {
		pr_err("vmx: firmware locked IA32_FEATURE_CONTROL with VMX "
		       "disabled; enable VT-x in the firmware setup. No "
		       "guests will run\n");
		return -1;
	}

	c->basic = rdmsr(MSR_IA32_VMX_BASIC);
	c->revision = c->basic & VMX_BASIC_REVISION_MASK;
	c->true_ctls = c->basic & VMX_BASIC_TRUE_CTLS;
	c->misc = rdmsr(MSR_IA32_VMX_MISC);
	c->cr0_fixed0 = rdmsr(MSR_IA32_VMX_CR0_FIXED0);
	c->cr0_fixed1 = rdmsr(MSR_IA32_VMX_CR0_FIXED1);
	c->cr4_fixed0 = rdmsr(MSR_IA32_VMX_CR4_FIXED0);
	c->cr4_fixed1 = rdmsr(MSR_IA32_VMX_CR4_FIXED1);
	c->pin_msr = rdmsr(c->true_ctls ? MSR_IA32_VMX_TRUE_PINBASED_CTLS
					: MSR_IA32_VMX_PINBASED_CTLS);
	c->proc_msr = rdmsr(c->true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS
					 : MSR_IA32_VMX_PROCBASED_CTLS);
	c->exit_msr = rdmsr(c->true_ctls ? MSR_IA32_VMX_TRUE_EXIT_CTLS
					 : MSR_IA32_VMX_EXIT_CTLS);
	c->entry_msr = rdmsr(c->true_ctls ? MSR_IA32_VMX_TRUE_ENTRY_CTLS
					  : MSR_IA32_VMX_ENTRY_CTLS);
	/* Each of these MSRs exists only if the bit before it says so. */
	c->proc2_msr = (c->proc_msr >> 32) & CPU_SECONDARY_CONTROLS ?
		       rdmsr(MSR_IA32_VMX_PROCBASED_CTLS2) : 0;
	c->ept_vpid = (c->proc2_msr >> 32) &
		      (CPU2_ENABLE_EPT | CPU2_ENABLE_VPID) ?
		      rdmsr(MSR_IA32_VMX_EPT_VPID_CAP) : 0;

	c->pin_ctl = adjust_controls(c->pin_msr, PIN_REQUIRED, 0, 0, "pin");
	c->proc_ctl = adjust_controls(c->proc_msr, PROC_REQUIRED,
				      PROC_OPTIONAL, PROC_CLEAR, "proc");
	c->proc2_ctl = adjust_controls(c->proc2_msr, PROC2_REQUIRED,
				       PROC2_OPTIONAL, 0, "proc2");
	c->exit_ctl = adjust_controls(c->exit_msr, EXIT_REQUIRED,
				      EXIT_OPTIONAL, EXIT_ACK_INTR_ON_EXIT,
				      "exit");
	c->entry_ctl = adjust_controls(c->entry_msr, ENTRY_REQUIRED,
				       ENTRY_OPTIONAL,
				       ENTRY_IA32E_MODE_GUEST, "entry");

	c->ept_2m = c->ept_vpid & EPT_CAP_2M_PAGE;
	c->ept_1g = c->ept_vpid & EPT_CAP_1G_PAGE;
	c->ept_ad = c->ept_vpid & EPT_CAP_AD_BITS;
	c->invept_single = c->ept_vpid & EPT_CAP_INVEPT_SINGLE;
	c->invvpid_single = c->ept_vpid & VPID_CAP_INVVPID_SINGLE;
	c->pml = (c->proc2_msr >> 32) & CPU2_ENABLE_PML;
	c->mtf = (c->proc_msr >> 32) & CPU_MONITOR_TRAP_FLAG;
	c->rdtscp = c->proc2_ctl & CPU2_ENABLE_RDTSCP;
	c->preempt_shift = VMX_MISC_PREEMPT_RATE(c->misc);

	require(c->ept_vpid & EPT_CAP_PWL4, "EPT 4-level page walk");
	require(c->ept_vpid & EPT_CAP_MEMTYPE_WB, "EPT write-back memory type");
	require(c->ept_vpid & EPT_CAP_INVEPT, "INVEPT");
	require(c->ept_vpid & EPT_CAP_INVEPT_ALL, "INVEPT all-context");
	require(c->ept_vpid & VPID_CAP_INVVPID, "INVVPID");
	require(c->ept_vpid & VPID_CAP_INVVPID_ALL, "INVVPID all-context");

	vmx_caps_report();
	if (nr_missing) {
		pr_err("vmx: %u requirement(s) missing: refusing to enable "
		       "VMX; no guests will run\n", nr_missing);
		return -1;
	}
	vmx_supported = true;
	return 0;
}
