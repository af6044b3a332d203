// SPDX-License-Identifier: MIT
/*
 * The VMX decision: from raw CPUID/MSR values to the controls every VMCS
 * starts from, the optional features, and - when VMX cannot be used - a
 * reason naming each missing feature. Pure: no hardware access, so the
 * refusal paths are tested with synthetic values (vmm/vmx/vmx_caps_ktest.c);
 * vmm/vmx/vmx_init.c reads the real values.
 *
 * Controls are computed from the capability MSRs, which give for each
 * control word the bits that must be 1 (allowed-0 settings, low half) and
 * the bits that may be 1 (allowed-1 settings, high half). When
 * IA32_VMX_BASIC[55] says so, the TRUE_* MSRs are used instead: they are
 * the only way to learn that "default-1" controls such as CR3-load exiting
 * may be cleared, and Bochs needs those cleared for a guest that writes CR3.
 */
#include "vmm/vmx/vmx_caps.h"
#include "arch/x86/cpu.h"
#include "arch/x86/vmx.h"
#include "kernel/log.h"
#include "kernel/string.h"

struct vmx_caps vmx_caps;
bool vmx_supported;

enum vmx_ctl_word { W_PIN, W_PROC, W_PROC2, W_EXIT, W_ENTRY, NR_CTL_WORDS };

/*
 * What we need from each control word, by name: the names are what a
 * refusal prints. X(word, bit, name).
 */
#define VMX_REQUIRED_CONTROLS(X)					\
	X(W_PIN, PIN_EXT_INTR_EXITING, "external-interrupt exiting")	\
	X(W_PIN, PIN_NMI_EXITING, "NMI exiting")			\
	X(W_PIN, PIN_PREEMPTION_TIMER, "VMX-preemption timer")		\
	X(W_PROC, CPU_HLT_EXITING, "HLT exiting")			\
	X(W_PROC, CPU_UNCOND_IO_EXITING, "unconditional I/O exiting")	\
	X(W_PROC, CPU_CR8_LOAD_EXITING, "CR8-load exiting")		\
	X(W_PROC, CPU_CR8_STORE_EXITING, "CR8-store exiting")		\
	X(W_PROC, CPU_SECONDARY_CONTROLS,				\
	  "secondary processor-based controls")				\
	X(W_PROC2, CPU2_ENABLE_EPT, "EPT")				\
	X(W_PROC2, CPU2_ENABLE_VPID, "VPID")				\
	X(W_PROC2, CPU2_UNRESTRICTED_GUEST, "unrestricted guest")	\
	X(W_EXIT, EXIT_HOST_ADDR_SPACE_SIZE,				\
	  "host address-space size (exit control)")			\
	X(W_EXIT, EXIT_SAVE_EFER, "save IA32_EFER (exit control)")	\
	X(W_EXIT, EXIT_LOAD_EFER, "load IA32_EFER (exit control)")	\
	X(W_ENTRY, ENTRY_LOAD_EFER, "load IA32_EFER (entry control)")

/*
 * Bits we must be able to clear: the guest owns CR3, TSC and INVLPG; we
 * use no bitmaps; interrupts are acknowledged by the host IDT; guests
 * start outside IA-32e mode.
 */
#define VMX_CLEARED_CONTROLS(X)						\
	X(W_PROC, CPU_CR3_LOAD_EXITING, "CR3-load exiting")		\
	X(W_PROC, CPU_CR3_STORE_EXITING, "CR3-store exiting")		\
	X(W_PROC, CPU_INVLPG_EXITING, "INVLPG exiting")			\
	X(W_PROC, CPU_RDTSC_EXITING, "RDTSC exiting")			\
	X(W_PROC, CPU_USE_MSR_BITMAPS, "MSR bitmaps")			\
	X(W_PROC, CPU_USE_IO_BITMAPS, "I/O bitmaps")			\
	X(W_EXIT, EXIT_ACK_INTR_ON_EXIT, "acknowledge interrupt on exit") \
	X(W_ENTRY, ENTRY_IA32E_MODE_GUEST, "IA-32e mode guest")

/*
 * Wanted when present. The guest must not MONITOR/MWAIT the host CPU to
 * sleep. Saving the preemption timer makes it count a whole slice across
 * exits; without it every entry would restart the count and a guest that
 * exits often (a VMCALL loop) would never be preempted.
 */
static const u32 optional_controls[NR_CTL_WORDS] = {
	/* Virtual NMIs make NMI-window exiting available (vcpu_irq.c). */
	[W_PIN] = PIN_VIRTUAL_NMIS,
	[W_PROC] = CPU_MWAIT_EXITING | CPU_MONITOR_EXITING |
		   CPU_USE_TSC_OFFSETTING,
	[W_PROC2] = CPU2_ENABLE_RDTSCP | CPU2_ENABLE_INVPCID,
	[W_EXIT] = EXIT_SAVE_PAT | EXIT_LOAD_PAT | EXIT_SAVE_PREEMPTION_TIMER,
	[W_ENTRY] = ENTRY_LOAD_PAT,
};

/* What the TDP MMU and the flushes need from IA32_VMX_EPT_VPID_CAP. */
#define VMX_REQUIRED_EPT_VPID(X)					\
	X(EPT_CAP_PWL4, "EPT 4-level page walk")			\
	X(EPT_CAP_MEMTYPE_WB, "EPT write-back memory type")		\
	X(EPT_CAP_INVEPT, "INVEPT")					\
	X(EPT_CAP_INVEPT_ALL, "INVEPT all-context")			\
	X(VPID_CAP_INVVPID, "INVVPID")					\
	X(VPID_CAP_INVVPID_ALL, "INVVPID all-context")

struct vmx_ctl_need {
	enum vmx_ctl_word word;
	u32 bit;
	const char *name;
};

#define CTL_NEED(w, b, n) { .word = (w), .bit = (b), .name = (n) },
static const struct vmx_ctl_need required_controls[] = {
	VMX_REQUIRED_CONTROLS(CTL_NEED)
};
static const struct vmx_ctl_need cleared_controls[] = {
	VMX_CLEARED_CONTROLS(CTL_NEED)
};
#undef CTL_NEED

static const struct {
	u64 bit;
	const char *name;
} required_ept_vpid[] = {
#define EPT_NEED(b, n) { .bit = (b), .name = (n) },
	VMX_REQUIRED_EPT_VPID(EPT_NEED)
#undef EPT_NEED
};

/* Appends "; missing: a, b" style lists into a bounded buffer. */
struct why_buf {
	char *buf;
	size_t len, pos;
	const char *section;	/* the list now being appended to */
	unsigned int nr;
};

static void why_add(struct why_buf *w, const char *section, const char *what)
{
	const char *sep = w->section == section ? ", " :
			  w->nr ? "; " : "";
	int n;

	if (w->pos >= w->len)
		return;
	n = ksnprintf(w->buf + w->pos, w->len - w->pos, "%s%s%s", sep,
		      w->section == section ? "" : section, what);
	w->section = section;
	w->nr++;
	w->pos += n > 0 ? (size_t)n : 0;
	if (w->pos >= w->len && w->len > 4)	/* truncated: say so */
		memcpy(w->buf + w->len - 4, "...", 4);
}

static const char *const MISSING = "missing: ";
static const char *const NOT_CLEARABLE = "cannot clear: ";

static u32 allowed0(u64 msr)
{
	return (u32)msr;
}

static u32 allowed1(u64 msr)
{
	return (u32)(msr >> 32);
}

enum vmx_caps_verdict vmx_caps_decide(const struct vmx_caps_raw *raw,
				      struct vmx_caps *c, char *why,
				      size_t why_len)
{
	struct why_buf w = { .buf = why, .len = why_len };
	u32 want[NR_CTL_WORDS] = { 0 }, ctl[NR_CTL_WORDS];
	u64 msr[NR_CTL_WORDS];
	unsigned int i;

	memset(c, 0, sizeof(*c));
	if (why_len)
		why[0] = '\0';
	if (!(raw->cpuid1_ecx & CPUID_1_ECX_VMX)) {
		ksnprintf(why, why_len, "no VMX: CPUID.1:ECX.VMX[5] = 0 (QEMU "
			  "TCG has none; Bochs emulates it)");
		return VMX_CAPS_NO_VMX;
	}
	/* Unlocked is fine: vmx_feature_control_enable() sets and locks it. */
	if ((raw->feature_control & FEAT_CTL_LOCKED) &&
	    !(raw->feature_control & FEAT_CTL_VMX_OUTSIDE_SMX)) {
		ksnprintf(why, why_len, "VMX disabled: IA32_FEATURE_CONTROL "
			  "%#lx is locked with VMX outside SMX off; enable "
			  "VT-x in the firmware setup", raw->feature_control);
		return VMX_CAPS_LOCKED_OFF;
	}

	c->basic = raw->basic;
	c->revision = raw->basic & VMX_BASIC_REVISION_MASK;
	c->true_ctls = raw->has_true_ctls;
	c->misc = raw->misc;
	c->cr0_fixed0 = raw->cr0_fixed0;
	c->cr0_fixed1 = raw->cr0_fixed1;
	c->cr4_fixed0 = raw->cr4_fixed0;
	c->cr4_fixed1 = raw->cr4_fixed1;
	c->pin_msr = c->true_ctls ? raw->true_pin : raw->pin;
	c->proc_msr = c->true_ctls ? raw->true_proc : raw->proc;
	c->exit_msr = c->true_ctls ? raw->true_exit : raw->exit;
	c->entry_msr = c->true_ctls ? raw->true_entry : raw->entry;
	/* An MSR the CPU does not announce reads as "nothing allowed". */
	c->proc2_msr = raw->has_proc2 &&
		       (allowed1(c->proc_msr) & CPU_SECONDARY_CONTROLS) ?
		       raw->proc2 : 0;
	c->ept_vpid = raw->has_ept_vpid &&
		      (allowed1(c->proc2_msr) &
		       (CPU2_ENABLE_EPT | CPU2_ENABLE_VPID)) ?
		      raw->ept_vpid : 0;

	msr[W_PIN] = c->pin_msr;
	msr[W_PROC] = c->proc_msr;
	msr[W_PROC2] = c->proc2_msr;
	msr[W_EXIT] = c->exit_msr;
	msr[W_ENTRY] = c->entry_msr;
	for (i = 0; i < ARRAY_SIZE(required_controls); i++)
		want[required_controls[i].word] |= required_controls[i].bit;
	/* Ask for no bit the CPU cannot set, force every bit it cannot clear. */
	for (i = 0; i < NR_CTL_WORDS; i++)
		ctl[i] = ((want[i] | optional_controls[i]) &
			  allowed1(msr[i])) | allowed0(msr[i]);

	for (i = 0; i < ARRAY_SIZE(required_controls); i++)
		if (!(ctl[required_controls[i].word] & required_controls[i].bit))
			why_add(&w, MISSING, required_controls[i].name);
	/* EPT_VPID_CAP details matter only once EPT and VPID exist at all. */
	if ((ctl[W_PROC2] & (CPU2_ENABLE_EPT | CPU2_ENABLE_VPID)) ==
	    (CPU2_ENABLE_EPT | CPU2_ENABLE_VPID))
		for (i = 0; i < ARRAY_SIZE(required_ept_vpid); i++)
			if (!(c->ept_vpid & required_ept_vpid[i].bit))
				why_add(&w, MISSING, required_ept_vpid[i].name);
	for (i = 0; i < ARRAY_SIZE(cleared_controls); i++)
		if (ctl[cleared_controls[i].word] & cleared_controls[i].bit)
			why_add(&w, NOT_CLEARABLE, cleared_controls[i].name);

	c->pin_ctl = ctl[W_PIN];
	c->proc_ctl = ctl[W_PROC];
	c->proc2_ctl = ctl[W_PROC2];
	c->exit_ctl = ctl[W_EXIT];
	c->entry_ctl = ctl[W_ENTRY];

	c->ept_2m = c->ept_vpid & EPT_CAP_2M_PAGE;
	c->ept_1g = c->ept_vpid & EPT_CAP_1G_PAGE;
	c->ept_ad = c->ept_vpid & EPT_CAP_AD_BITS;
	c->invept_single = c->ept_vpid & EPT_CAP_INVEPT_SINGLE;
	c->invvpid_single = c->ept_vpid & VPID_CAP_INVVPID_SINGLE;
	c->pml = allowed1(c->proc2_msr) & CPU2_ENABLE_PML;
	c->mtf = allowed1(c->proc_msr) & CPU_MONITOR_TRAP_FLAG;
	c->rdtscp = c->proc2_ctl & CPU2_ENABLE_RDTSCP;
	c->preempt_shift = VMX_MISC_PREEMPT_RATE(c->misc);

	return w.nr ? VMX_CAPS_MISSING : VMX_CAPS_OK;
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
