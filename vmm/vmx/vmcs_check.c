// SPDX-License-Identifier: MIT
/*
 * A table of guest-state rules, each a predicate over a snapshot of the
 * current VMCS. Not every SDM rule is here, only those a loader or an exit
 * handler of ours can plausibly break; an entry failure that passes all of
 * them says so.
 */
#include "vmm/vmx/vmcs_check.h"
#include "vmm/vmx/vmcs_fields.h"
#include "vmm/vmx/vmx_caps.h"
#include "arch/x86/cpu.h"
#include "arch/x86/vmx.h"
#include "kernel/log.h"

struct gstate {
	u64 cr0, cr4, efer, rflags, rip, link, dr7;
	u64 entry, proc2, activity, intr;
	u64 cs_ar, ss_ar, tr_ar, ldtr_ar, cs_limit, tr_limit, cs_sel, ss_sel;
	u64 ds_ar, es_ar, fs_ar, gs_ar;
	u64 gdtr_base, idtr_base, gdtr_limit, idtr_limit;
};

static bool canonical(u64 a)
{
	return (u64)(((s64)a << 16) >> 16) == a;
}

static bool ug(const struct gstate *s)
{
	return s->proc2 & CPU2_UNRESTRICTED_GUEST;
}

static bool ia32e(const struct gstate *s)
{
	return s->entry & ENTRY_IA32E_MODE_GUEST;
}

#define AR_UNUSABLE_BIT	0x10000

static bool data_ar_ok(u64 ar)
{
	/* Unusable, or present, S=1, accessed, readable if code. */
	return (ar & AR_UNUSABLE_BIT) ||
	       ((ar & 0x80) && (ar & 0x10) && (ar & 1) &&
		(!(ar & 8) || (ar & 2)));
}

/* RULE(text, expression over const struct gstate *s that must hold) */
#define GUEST_STATE_RULES(RULE)						\
	RULE("CR0 has every CR0_FIXED0 bit (PE/PG exempt with UG)",            \
	     ((s->cr0 | (ug(s) ? 0 : 0)) & vmx_caps.cr0_fixed0 &               \
	      ~(ug(s) ? (X86_CR0_PE | X86_CR0_PG) : 0)) ==                     \
	     (vmx_caps.cr0_fixed0 & ~(ug(s) ? (X86_CR0_PE | X86_CR0_PG) : 0))) \
	RULE("CR0 has no bit outside CR0_FIXED1",                              \
	     !(s->cr0 & ~vmx_caps.cr0_fixed1))                                 \
	RULE("CR0.PG requires CR0.PE", !(s->cr0 & X86_CR0_PG) ||               \
	     (s->cr0 & X86_CR0_PE))                                            \
	RULE("CR4 has every CR4_FIXED0 bit (VMXE)",                            \
	     (s->cr4 & vmx_caps.cr4_fixed0) == vmx_caps.cr4_fixed0)            \
	RULE("CR4 has no bit outside CR4_FIXED1",                              \
	     !(s->cr4 & ~vmx_caps.cr4_fixed1))                                 \
	RULE("IA-32e guest needs CR0.PG and CR4.PAE",                          \
	     !ia32e(s) || ((s->cr0 & X86_CR0_PG) && (s->cr4 & X86_CR4_PAE)))   \
	RULE("CR4.PCIDE only in an IA-32e-mode guest",                         \
	     ia32e(s) || !(s->cr4 & BIT(17)))                                  \
	RULE("EFER.LMA equals the IA-32e-mode entry control",                  \
	     !!(s->efer & EFER_LMA) == ia32e(s))                               \
	RULE("EFER.LME equals EFER.LMA when CR0.PG is set",                    \
	     !(s->cr0 & X86_CR0_PG) ||                                         \
	     !!(s->efer & EFER_LME) == !!(s->efer & EFER_LMA))                 \
	RULE("DR7 bits 63:32 are zero", !(s->dr7 >> 32))                       \
	RULE("RFLAGS bit 1 set, reserved bits and VM clear",                   \
	     (s->rflags & 2) && !(s->rflags & 0xffffffffffc08028ULL) &&        \
	     !(s->rflags & BIT(17)))                                           \
	RULE("RIP canonical (and < 4G outside 64-bit code)",                   \
	     ia32e(s) && (s->cs_ar & BIT(13)) ? canonical(s->rip)              \
					       : !(s->rip >> 32))                                          \
	RULE("CS usable, present, code type 9/11/13/15, S=1",                  \
	     !(s->cs_ar & AR_UNUSABLE_BIT) && (s->cs_ar & 0x80) &&             \
	     (s->cs_ar & 0x10) && (s->cs_ar & 8) && (s->cs_ar & 1))            \
	RULE("CS.L and CS.D/B not both set in IA-32e mode",                    \
	     !ia32e(s) || !((s->cs_ar & BIT(13)) && (s->cs_ar & BIT(14))))     \
	RULE("CS limit consistent with G",                                     \
	     (s->cs_ar & BIT(15)) ? (s->cs_limit & 0xfff) == 0xfff             \
				  : !(s->cs_limit >> 20))                                           \
	RULE("SS.RPL equals CS.RPL (unless UG)",                               \
	     ug(s) || (s->ss_sel & 3) == (s->cs_sel & 3))                      \
	RULE("SS usable: type 3 or 7, present",                                \
	     (s->ss_ar & AR_UNUSABLE_BIT) ||                                   \
	     (((s->ss_ar & 0xf) == 3 || (s->ss_ar & 0xf) == 7) &&              \
	      (s->ss_ar & 0x80)))                                              \
	RULE("DS/ES/FS/GS usable ones present, S=1, accessed",                 \
	     data_ar_ok(s->ds_ar) && data_ar_ok(s->es_ar) &&                   \
	     data_ar_ok(s->fs_ar) && data_ar_ok(s->gs_ar))                     \
	RULE("TR usable, busy TSS (type 11, or 3 outside IA-32e), present",    \
	     !(s->tr_ar & AR_UNUSABLE_BIT) && (s->tr_ar & 0x80) &&             \
	     !(s->tr_ar & 0x10) && ((s->tr_ar & 0xf) == 11 ||                  \
	     (!ia32e(s) && (s->tr_ar & 0xf) == 3)))                            \
	RULE("TR limit consistent with G",                                     \
	     (s->tr_ar & BIT(15)) ? (s->tr_limit & 0xfff) == 0xfff             \
				  : !(s->tr_limit >> 20))                                           \
	RULE("LDTR unusable or an LDT (type 2), present",                      \
	     (s->ldtr_ar & AR_UNUSABLE_BIT) ||                                 \
	     ((s->ldtr_ar & 0xf) == 2 && (s->ldtr_ar & 0x80)))                 \
	RULE("activity state active or HLT", s->activity <= 1)                 \
	RULE("interruptibility: not both STI and MOV-SS blocking",             \
	     (s->intr & 3) != 3)                                               \
	RULE("VMCS link pointer is all ones", s->link == ~0ULL)              \
	RULE("GDTR and IDTR bases canonical, limits at most 0xffff",           \
	     canonical(s->gdtr_base) && canonical(s->idtr_base) &&             \
	     s->gdtr_limit <= 0xffff && s->idtr_limit <= 0xffff)


int vmcs_check_guest_state(void)
{
	struct gstate st = {
		.cr0 = vmread(GUEST_CR0), .cr4 = vmread(GUEST_CR4),
		.efer = vmread(GUEST_IA32_EFER),
		.rflags = vmread(GUEST_RFLAGS), .rip = vmread(GUEST_RIP),
		.link = vmread(VMCS_LINK_POINTER), .dr7 = vmread(GUEST_DR7),
		.entry = vmread(VM_ENTRY_CONTROLS),
		.proc2 = vmread(SECONDARY_VM_EXEC_CONTROL),
		.activity = vmread(GUEST_ACTIVITY_STATE),
		.intr = vmread(GUEST_INTERRUPTIBILITY_INFO),
		.cs_ar = vmread(GUEST_CS_AR_BYTES),
		.ss_ar = vmread(GUEST_SS_AR_BYTES),
		.ds_ar = vmread(GUEST_DS_AR_BYTES),
		.es_ar = vmread(GUEST_ES_AR_BYTES),
		.fs_ar = vmread(GUEST_FS_AR_BYTES),
		.gs_ar = vmread(GUEST_GS_AR_BYTES),
		.tr_ar = vmread(GUEST_TR_AR_BYTES),
		.ldtr_ar = vmread(GUEST_LDTR_AR_BYTES),
		.cs_limit = vmread(GUEST_CS_LIMIT),
		.tr_limit = vmread(GUEST_TR_LIMIT),
		.cs_sel = vmread(GUEST_CS_SELECTOR),
		.ss_sel = vmread(GUEST_SS_SELECTOR),
		.gdtr_base = vmread(GUEST_GDTR_BASE),
		.idtr_base = vmread(GUEST_IDTR_BASE),
		.gdtr_limit = vmread(GUEST_GDTR_LIMIT),
		.idtr_limit = vmread(GUEST_IDTR_LIMIT),
	};
	const struct gstate *s = &st;
	int bad = 0, n = 0;

#define CHECK_RULE(text, expr)						\
	do {								\
		n++;							\
		if (!(expr)) {						\
			pr_err("vmx: guest-state check failed: %s\n", text); \
			bad++;						\
		}							\
	} while (0);
	GUEST_STATE_RULES(CHECK_RULE)
#undef CHECK_RULE
	if (!bad)
		pr_err("vmx: all %d tabled guest-state checks pass "
		       "(the failing rule is not in vmm/vmx/vmcs_check.c)\n", n);
	pr_err("vmx: guest CR0 %#lx CR4 %#lx EFER %#lx RIP %#lx RFLAGS %#lx "
	       "CS.ar %#lx entry %#lx\n", s->cr0, s->cr4, s->efer, s->rip,
	       s->rflags, s->cs_ar, s->entry);
	return bad;
}
