// SPDX-License-Identifier: MIT
/*
 * RDMSR/WRMSR: every MSR access exits (no MSR bitmap). The local APIC's
 * (IA32_APIC_BASE, IA32_TSC_DEADLINE, x2APIC 0x800-0x8ff) go to it
 * (vmm/vcpu_lapic.c); beside those only the MSRs in the allow-list below
 * exist for the guest; anything else raises #GP as on a CPU without that
 * MSR, the VMX capability MSRs too unless the guest is offered VMX
 * (nested=1: vmm/nested/ answers them and IA32_FEATURE_CONTROL, all
 * read-only).
 *
 * Where the VMCS holds the guest's copy (EFER, PAT, FS/GS base, SYSENTER)
 * the access goes there. The SYSCALL MSRs, KERNEL_GS_BASE and TSC_AUX are
 * not switched by VMX: this CPU holds the running vCPU's values in
 * hardware (vmm/vcpu_msrs.c), so SYSCALL, SWAPGS and RDTSCP work in the
 * guest; the vCPU keeps a copy for when it runs elsewhere.
 */
#include "vmm/vcpu_apf.h"
#include "vmm/exit_codes.h"
#include "vmm/exit_handlers.h"
#include "vmm/vcpu_msrs.h"
#include "vmm/vcpu_lapic.h"
#include "vmm/vcpu_nested.h"
#include "vmm/vmx/vmx_caps.h"
#include "vmm/vmx/vmcs_fields.h"
#include "arch/x86/cpu.h"
#include "arch/x86/interrupts.h"
#include "arch/x86/vmx.h"
#include "kernel/log.h"

#define MSR_IA32_TSC		0x10
#define MSR_IA32_PLATFORM_ID	0x17
#define MSR_IA32_TSC_ADJUST	0x3b
#define MSR_IA32_BIOS_SIGN_ID	0x8b
#define MSR_MTRRCAP		0xfe
#define MSR_IA32_MCG_CAP	0x179
#define MSR_IA32_MCG_STATUS	0x17a
#define MSR_IA32_MISC_ENABLE	0x1a0
#define MSR_MTRR_DEF_TYPE	0x2ff

enum msr_kind {
	MSR_VMCS,	/* the guest's copy lives in a VMCS field */
	MSR_VCPU,	/* kept in struct vcpu at an offset */
	MSR_CONST,	/* reads a constant, writes are dropped */
	MSR_CONST_RO,	/* reads a constant, writes #GP */
	MSR_EFER_KIND,	/* EFER: validated, LMA follows the entry control */
	MSR_TSC_KIND,	/* the guest's TSC: host TSC + TSC offset */
	MSR_TSC_ADJUST_KIND, /* IA32_TSC_ADJUST: moves with TSC writes */
	MSR_MISC_ENABLE_KIND, /* per vCPU; read-only and reserved bits */
};

/* X(msr, kind, arg: VMCS field / vcpu offset / constant) */
#define VCPU_OFF(f)	__builtin_offsetof(struct vcpu, f)
#define MSR_ALLOW_LIST(X)						\
	X(MSR_IA32_TSC,		MSR_TSC_KIND,	0)			\
	X(MSR_IA32_TSC_ADJUST,	MSR_TSC_ADJUST_KIND, 0)			\
	X(MSR_IA32_PLATFORM_ID,	MSR_CONST_RO,	0)			\
	X(MSR_IA32_FEATURE_CONTROL, MSR_CONST_RO, FEAT_CTL_LOCKED)	\
	X(MSR_IA32_BIOS_SIGN_ID, MSR_CONST,	0)			\
	X(MSR_MTRRCAP,		MSR_CONST_RO,	0)			\
	X(MSR_IA32_SYSENTER_CS,	MSR_VMCS,	GUEST_SYSENTER_CS)	\
	X(MSR_IA32_SYSENTER_ESP, MSR_VMCS,	GUEST_SYSENTER_ESP)	\
	X(MSR_IA32_SYSENTER_EIP, MSR_VMCS,	GUEST_SYSENTER_EIP)	\
	/* Machine check: no banks, no MCG_CTL (so MCi_* and MCG_CTL #GP). */\
	X(MSR_IA32_MCG_CAP,	MSR_CONST_RO,	0)			\
	X(MSR_IA32_MCG_STATUS,	MSR_CONST,	0)			\
	X(MSR_IA32_MISC_ENABLE,	MSR_MISC_ENABLE_KIND, 0)		\
	X(MSR_IA32_PAT,		MSR_VMCS,	GUEST_IA32_PAT)		\
	X(MSR_MTRR_DEF_TYPE,	MSR_CONST,	0)			\
	X(MSR_EFER,		MSR_EFER_KIND,	0)			\
	X(MSR_STAR,		MSR_VCPU,	VCPU_OFF(msr_star))	\
	X(MSR_LSTAR,		MSR_VCPU,	VCPU_OFF(msr_lstar))	\
	X(MSR_CSTAR,		MSR_VCPU,	VCPU_OFF(msr_cstar))	\
	X(MSR_SFMASK,		MSR_VCPU,	VCPU_OFF(msr_sfmask))	\
	X(MSR_FS_BASE,		MSR_VMCS,	GUEST_FS_BASE)		\
	X(MSR_GS_BASE,		MSR_VMCS,	GUEST_GS_BASE)		\
	X(MSR_KERNEL_GS_BASE,	MSR_VCPU,	VCPU_OFF(msr_kernel_gs_base)) \
	X(MSR_TSC_AUX,		MSR_VCPU,	VCPU_OFF(msr_tsc_aux))

static const struct msr_entry {
	u32 msr;
	enum msr_kind kind;
	u64 arg;
} msr_allow_list[] = {
#define MSR_ENTRY(msr, kind, arg) { msr, kind, arg },
	MSR_ALLOW_LIST(MSR_ENTRY)
#undef MSR_ENTRY
};

static const struct msr_entry *msr_lookup(u32 msr)
{
	for (size_t i = 0; i < ARRAY_SIZE(msr_allow_list); i++)
		if (msr_allow_list[i].msr == msr)
			return &msr_allow_list[i];
	return NULL;
}

static bool canonical(u64 a)
{
	return (u64)(((s64)a << 16) >> 16) == a;
}

/* Returns false when the access must raise #GP. */
static bool msr_read(struct vcpu *v, const struct msr_entry *e, u64 *val)
{
	switch (e->kind) {
	case MSR_VMCS:
		if (e->arg == GUEST_IA32_PAT &&
		    !(vmx_caps.entry_ctl & ENTRY_LOAD_PAT))
			return false;
		*val = vmread(e->arg);
		return true;
	case MSR_VCPU:
		if (!vcpu_msr_is_hw(e->msr))
			return false;
		/* This CPU holds the vCPU's value (SWAPGS may change it). */
		*val = rdmsr(e->msr);
		return true;
	case MSR_CONST:
	case MSR_CONST_RO:
		*val = e->arg;
		return true;
	case MSR_EFER_KIND:
		*val = vmread(GUEST_IA32_EFER);
		return true;
	case MSR_TSC_KIND:
		*val = vcpu_guest_tsc(v);
		return true;
	case MSR_TSC_ADJUST_KIND:
		*val = v->tsc_adjust;
		return true;
	case MSR_MISC_ENABLE_KIND:
		*val = v->msr_misc_enable;
		return true;
	}
	return false;
}

/*
 * IA32_MISC_ENABLE (SDM vol. 4, table 2-2): fast strings (0), automatic
 * thermal control (3), the FERR# multiplexing (10 is reserved here), the
 * Enhanced SpeedStep/MONITOR/limit-CPUID/xTPR/XD-disable bits (16, 18,
 * 22, 23, 34) are the guest's to set; 7 (performance monitoring
 * available), 11 (BTS unavailable) and 12 (PEBS unavailable) are
 * read-only; the rest is reserved (#GP).
 */
#define MISC_ENABLE_WRITABLE	(BIT(0) | BIT(3) | BIT(16) | BIT(18) |	\
				 BIT(22) | BIT(23) | (1ULL << 34))
#define MISC_ENABLE_RO		(BIT(7) | BIT(11) | BIT(12))

/*
 * A guest TSC write moves the TSC offset (the guest's TSC is the host's
 * plus it: the host's own never changes); IA32_TSC_ADJUST follows a TSC
 * write by the same delta, and a TSC_ADJUST write moves the TSC
 * (SDM 17.17.3). Without TSC offsetting the TSC is read-only.
 */
static bool tsc_move(struct vcpu *v, s64 delta)
{
	if (!(vmx_caps.proc_ctl & CPU_USE_TSC_OFFSETTING))
		return false;
	v->tsc_offset += (u64)delta;
	vmwrite(TSC_OFFSET, v->tsc_offset);
	v->slice_end_tsc = 0;	/* kept in guest TSC: recomputed */
	return true;
}

static bool msr_write(struct vcpu *v, const struct msr_entry *e, u64 val)
{
	u64 efer;

	switch (e->kind) {
	case MSR_VMCS:
		if (e->arg == GUEST_IA32_PAT &&
		    !(vmx_caps.entry_ctl & ENTRY_LOAD_PAT))
			return false;
		if ((e->arg == GUEST_FS_BASE || e->arg == GUEST_GS_BASE ||
		     e->arg == GUEST_SYSENTER_ESP ||
		     e->arg == GUEST_SYSENTER_EIP) && !canonical(val))
			return false;
		vmwrite(e->arg, val);
		return true;
	case MSR_VCPU:
		if (e->arg != VCPU_OFF(msr_star) &&
		    e->arg != VCPU_OFF(msr_sfmask) &&
		    e->arg != VCPU_OFF(msr_tsc_aux) && !canonical(val))
			return false;
		if (!vcpu_msr_is_hw(e->msr) ||
		    (e->msr == MSR_TSC_AUX && val >> 32))
			return false;
		*(u64 *)((char *)v + e->arg) = val;
		wrmsr(e->msr, val);
		return true;
	case MSR_CONST:
		return true;
	case MSR_CONST_RO:
		return false;
	case MSR_TSC_KIND: {
		s64 delta = (s64)(val - vcpu_guest_tsc(v));

		if (!tsc_move(v, delta))
			return false;
		v->tsc_adjust += (u64)delta;
		return true;
	}
	case MSR_TSC_ADJUST_KIND:
		if (!tsc_move(v, (s64)(val - v->tsc_adjust)))
			return false;
		v->tsc_adjust = val;
		return true;
	case MSR_MISC_ENABLE_KIND:
		if (val & ~(MISC_ENABLE_WRITABLE | MISC_ENABLE_RO))
			return false;
		v->msr_misc_enable = (val & MISC_ENABLE_WRITABLE) |
				     (v->msr_misc_enable & MISC_ENABLE_RO);
		return true;
	case MSR_EFER_KIND:
		/* SCE, LME, NXE are writable; LMA is the CPU's to set. */
		if (val & ~(u64)(EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE))
			return false;
		efer = vmread(GUEST_IA32_EFER);
		/* LME may not change while paging is on. */
		if ((vmread(CR0_READ_SHADOW) & X86_CR0_PG) &&
		    ((val ^ efer) & EFER_LME))
			return false;
		val = (val & ~(u64)EFER_LMA) | (efer & EFER_LMA);
		vmwrite(GUEST_IA32_EFER, val);
		return true;
	}
	return false;
}

/*
 * An MSR that does not exist here (#GP): said once per MSR and guest, the
 * first GUEST_MSR_LOG_MAX of them, so a guest probing MSRs cannot flood
 * the log but its author learns which MSR it wanted.
 */
static void msr_log_unknown(struct vcpu *v, u32 msr, bool write)
{
	struct guest *g = v->guest;
	unsigned long flags = spin_lock_irqsave(&g->msr_log_lock);
	bool say = true, full = false;

	for (unsigned int i = 0; i < g->nr_msr_logged; i++)
		if (g->msr_logged[i] == msr)
			say = false;
	if (say && g->nr_msr_logged == GUEST_MSR_LOG_MAX) {
		say = false;
		full = !g->msr_log_full_said;
		g->msr_log_full_said = true;
	} else if (say) {
		g->msr_logged[g->nr_msr_logged++] = msr;
	}
	spin_unlock_irqrestore(&g->msr_log_lock, flags);
	if (say)
		pr_info("guest %s: %s of MSR %#x: no such MSR here (#GP; said once)\n",
			g->name, write ? "WRMSR" : "RDMSR", msr);
	else if (full)
		pr_info("guest %s: more unknown MSRs; #GP, not logged\n", g->name);
}

/* RDMSR's end: #GP, or EDX:EAX = @val and the next instruction. */
static int rdmsr_complete(struct vcpu *v, u64 val, bool gp)
{
	if (gp) {
		vcpu_inject_exception(v, X86_VEC_GP, true, 0);
		return VCPU_RESUME;
	}
	v->regs.rax = (u32)val;
	v->regs.rdx = val >> 32;
	vcpu_skip_insn(v);
	return VCPU_RESUME;
}

int handle_rdmsr(struct vcpu *v)
{
	const struct msr_entry *e = msr_lookup((u32)v->regs.rcx);
	bool gp;
	int lapic;
	u64 val;

	if (vcpu_apf_rdmsr(v, (u32)v->regs.rcx, &val, &gp))
		return rdmsr_complete(v, val, gp);
	if (vcpu_nested_vmx_rdmsr(v, (u32)v->regs.rcx, &val))
		return rdmsr_complete(v, val, false);
	lapic = vcpu_lapic_rdmsr(v, (u32)v->regs.rcx, &val);
	if (!lapic && !e)
		msr_log_unknown(v, (u32)v->regs.rcx, false);
	return rdmsr_complete(v, val, lapic < 0 ||
			      (!lapic && (!e || !msr_read(v, e, &val))));
}

int handle_wrmsr(struct vcpu *v)
{
	const struct msr_entry *e = msr_lookup((u32)v->regs.rcx);
	u64 val = (u32)v->regs.rax | ((u64)(u32)v->regs.rdx << 32);
	bool gp;
	int lapic;

	/* KVM's async-PF MSRs: bad values #GP (vmm/apf/async_pf.c). */
	if (vcpu_apf_wrmsr(v, (u32)v->regs.rcx, val, &gp)) {
		if (gp)
			vcpu_inject_exception(v, X86_VEC_GP, true, 0);
		else
			vcpu_skip_insn(v);
		return VCPU_RESUME;
	}
	if (vcpu_nested_vmx_msr(v, (u32)v->regs.rcx)) {
		vcpu_inject_exception(v, X86_VEC_GP, true, 0);
		return VCPU_RESUME;
	}
	lapic = vcpu_lapic_wrmsr(v, (u32)v->regs.rcx, val);
	if (!lapic && !e)
		msr_log_unknown(v, (u32)v->regs.rcx, true);
	if (lapic < 0 || (!lapic && (!e || !msr_write(v, e, val)))) {
		vcpu_inject_exception(v, X86_VEC_GP, true, 0);
		return VCPU_RESUME;
	}
	vcpu_skip_insn(v);
	return VCPU_RESUME;
}
