// SPDX-License-Identifier: MIT
/*
 * VM-entry checks of a VMCS12 (nested_checks.h), group by group in the
 * SDM's order (26.2.1 controls, 26.2.2-4 host state, 26.3.1 guest state,
 * 26.4 the MSR-load list). Each CHECK names its rule. Pure.
 *
 * What VMCS12 may hold is what nested_caps.c offers, so several SDM
 * checks reduce to "the control is not offered" (TPR shadow, posted
 * interrupts, the preemption timer, activity states other than active,
 * VMCS shadowing, entry to SMM): the control-word checks refuse them.
 * Not checked (yet): virtual-8086 guest segments (RFLAGS.VM with
 * IA-32e mode off), IA32_DEBUGCTL's reserved bits, guest activity
 * "HLT" details.
 */
#include "vmm/nested/nested_checks.h"
#include "arch/x86/cpu.h"
#include "arch/x86/vmx.h"

#define CHECK_Q(cls, cond, q, name)					\
	do {								\
		if (!(cond))						\
			return (struct nested_check_result){		\
				(cls), (q), (name) };			\
	} while (0)
#define CHECK(cls, cond, name)	CHECK_Q(cls, cond, 0, name)
#define CTL(cond, name)		CHECK(NESTED_CHECK_CONTROLS, cond, name)
#define HOST(cond, name)	CHECK(NESTED_CHECK_HOST, cond, name)
#define GUEST(cond, name)	CHECK(NESTED_CHECK_GUEST, cond, name)

static const struct nested_check_result ok = { NESTED_CHECK_OK, 0, NULL };

/* Segment access-rights bits (VMCS format). */
#define AR_TYPE(ar)	((ar) & 0xf)
#define AR_S		BIT(4)
#define AR_DPL(ar)	(((ar) >> 5) & 3)
#define AR_P		BIT(7)
#define AR_RSVD		(0xf00ULL | 0xfffe0000ULL)
#define AR_L		BIT(13)
#define AR_DB		BIT(14)
#define AR_G		BIT(15)
#define AR_UNUSABLE	BIT(16)

#define RFLAGS_RSVD	(~0x3fffffULL | BIT(15) | BIT(5) | BIT(3))
#define RFLAGS_FIXED1	BIT(1)
#define RFLAGS_VM	BIT(17)
#define EFER_SCE	BIT(0)
#define EFER_LME	BIT(8)
#define EFER_NXE	BIT(11)
#define EFER_ALLOWED	(EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE)

#define MSR_FS_BASE_NR		0xc0000100
#define MSR_GS_BASE_NR		0xc0000101
#define MSR_SMM_MONITOR_CTL	0x9b
#define MSR_UCODE_WRITE		0x79
#define MSR_UCODE_REV		0x8b

static bool canonical(u64 a)
{
	return (u64)((s64)(a << 16) >> 16) == a;
}

static bool in_width(u64 a, unsigned int phys_bits)
{
	return !(a >> phys_bits);
}

static bool page_addr_ok(u64 a, unsigned int phys_bits)
{
	return !(a & 0xfff) && in_width(a, phys_bits);
}

static bool fixed_ok(u64 val, u64 fixed0, u64 fixed1)
{
	return (val & fixed0) == fixed0 && !(val & ~fixed1);
}

/* Every byte of a PAT is UC, WC, WT, WP, WB or UC- (0, 1, 4-7). */
static bool pat_ok(u64 pat)
{
	for (unsigned int i = 0; i < 8; i++) {
		u8 t = pat >> (8 * i);

		if (t > 7 || t == 2 || t == 3)
			return false;
	}
	return true;
}

/* An MSR-switch area: 16-byte aligned, every entry within the width. */
static bool msr_area_ok(u64 addr, u64 count, unsigned int phys_bits)
{
	return !count || (!(addr & 15) &&
			  in_width(addr + count * 16 - 1, phys_bits));
}

static u32 proc2_of(const struct vmcs12 *v)
{
	return v->cpu_based_vm_exec_control & CPU_SECONDARY_CONTROLS ?
	       (u32)v->secondary_vm_exec_control : 0;
}

static bool error_code_vector(unsigned int vec)
{
	return vec == 8 || (vec >= 10 && vec <= 14) || vec == 17;
}

struct nested_check_result nested_check_controls(const struct vmcs12 *v,
						 const struct nested_check_env *env)
{
	const struct nested_vmx_msrs *m = env->msrs;
	unsigned int pb = env->phys_bits;
	u32 pin = v->pin_based_vm_exec_control;
	u32 proc = v->cpu_based_vm_exec_control;
	u32 proc2 = proc2_of(v);
	u32 info = v->vm_entry_intr_info_field;

	CTL(nested_ctl_ok(m->true_pinbased_ctls, pin),
	    "pin-based controls outside IA32_VMX_TRUE_PINBASED_CTLS");
	CTL(nested_ctl_ok(m->true_procbased_ctls, proc),
	    "processor-based controls outside IA32_VMX_TRUE_PROCBASED_CTLS");
	CTL(nested_ctl_ok(m->procbased_ctls2, proc2),
	    "secondary controls outside IA32_VMX_PROCBASED_CTLS2");
	CTL(v->cr3_target_count <= ((m->misc >> 16) & 0x1ff),
	    "CR3-target count above IA32_VMX_MISC's");
	CTL(!(proc & CPU_USE_IO_BITMAPS) ||
	    (page_addr_ok(v->io_bitmap_a, pb) && page_addr_ok(v->io_bitmap_b, pb)),
	    "I/O-bitmap address unaligned or beyond the width");
	CTL(!(proc & CPU_USE_MSR_BITMAPS) || page_addr_ok(v->msr_bitmap, pb),
	    "MSR-bitmap address unaligned or beyond the width");
	CTL((pin & PIN_NMI_EXITING) || !(pin & PIN_VIRTUAL_NMIS),
	    "virtual NMIs without NMI exiting");
	CTL((pin & PIN_VIRTUAL_NMIS) || !(proc & CPU_NMI_WINDOW_EXITING),
	    "NMI-window exiting without virtual NMIs");
	CTL(!(proc2 & CPU2_ENABLE_VPID) || v->virtual_processor_id,
	    "enable VPID with VPID 0");
	CTL(!(proc2 & CPU2_ENABLE_EPT) ||
	    nested_eptp_valid(m, v->ept_pointer, pb), "invalid EPT pointer");
	CTL(!(proc2 & CPU2_UNRESTRICTED_GUEST) || (proc2 & CPU2_ENABLE_EPT),
	    "unrestricted guest without EPT");

	CTL(nested_ctl_ok(m->true_exit_ctls, v->vm_exit_controls),
	    "VM-exit controls outside IA32_VMX_TRUE_EXIT_CTLS");
	CTL(msr_area_ok(v->vm_exit_msr_store_addr, v->vm_exit_msr_store_count, pb),
	    "VM-exit MSR-store address unaligned or beyond the width");
	CTL(msr_area_ok(v->vm_exit_msr_load_addr, v->vm_exit_msr_load_count, pb),
	    "VM-exit MSR-load address unaligned or beyond the width");

	CTL(nested_ctl_ok(m->true_entry_ctls, v->vm_entry_controls),
	    "VM-entry controls outside IA32_VMX_TRUE_ENTRY_CTLS");
	if (info & INTR_INFO_VALID) {
		unsigned int type = (info >> 8) & 7, vec = info & 0xff;
		bool pe = v->guest_cr0 & X86_CR0_PE;
		bool code = type == 3 && error_code_vector(vec) &&
			    (pe || !(proc2 & CPU2_UNRESTRICTED_GUEST));

		/* 7 ("other event") needs the monitor trap flag: not offered. */
		CTL(type != 1 && type != 7, "event injection of a reserved type");
		CTL(type != 2 || vec == 2, "NMI injection with a vector but 2");
		CTL(type != 3 || vec <= 31, "hardware exception above vector 31");
		CTL(!!(info & INTR_INFO_DELIVER_CODE) == code,
		    "deliver-error-code bit wrong for the event");
		CTL(!(info & 0x7ffff000U), "event injection reserved bits");
		CTL(!(info & INTR_INFO_DELIVER_CODE) ||
		    !(v->vm_entry_exception_error_code & 0xffff0000ULL),
		    "error code above bit 15");
		CTL((type != 4 && type != 5 && type != 6) ||
		    (v->vm_entry_instruction_len >= 1 &&
		     v->vm_entry_instruction_len <= 15),
		    "software event with instruction length outside 1..15");
	}
	CTL(msr_area_ok(v->vm_entry_msr_load_addr, v->vm_entry_msr_load_count, pb),
	    "VM-entry MSR-load address unaligned or beyond the width");
	return ok;
}

struct nested_check_result nested_check_host(const struct vmcs12 *v,
					     const struct nested_check_env *env)
{
	const struct nested_vmx_msrs *m = env->msrs;
	u32 exit = v->vm_exit_controls;
	bool hass = exit & EXIT_HOST_ADDR_SPACE_SIZE;
	const u64 sel[] = {
		v->host_es_selector, v->host_cs_selector, v->host_ss_selector,
		v->host_ds_selector, v->host_fs_selector, v->host_gs_selector,
		v->host_tr_selector,
	};

	HOST(fixed_ok(v->host_cr0, m->cr0_fixed0, m->cr0_fixed1),
	     "host CR0 outside the VMX fixed bits");
	HOST(fixed_ok(v->host_cr4, m->cr4_fixed0, m->cr4_fixed1),
	     "host CR4 outside the VMX fixed bits");
	HOST(in_width(v->host_cr3, env->phys_bits), "host CR3 beyond the width");
	HOST(canonical(v->host_ia32_sysenter_esp) &&
	     canonical(v->host_ia32_sysenter_eip),
	     "host SYSENTER_ESP/EIP not canonical");
	HOST(!(exit & EXIT_LOAD_PAT) || pat_ok(v->host_ia32_pat),
	     "host IA32_PAT with an invalid memory type");
	if (exit & EXIT_LOAD_EFER) {
		HOST(!(v->host_ia32_efer & ~EFER_ALLOWED),
		     "host IA32_EFER reserved bits");
		HOST(!!(v->host_ia32_efer & EFER_LMA) == hass &&
		     !!(v->host_ia32_efer & EFER_LME) == hass,
		     "host IA32_EFER.LMA/LME differ from host address-space size");
	}
	for (unsigned int i = 0; i < ARRAY_SIZE(sel); i++)
		HOST(!(sel[i] & 7), "host selector with RPL or TI set");
	HOST(v->host_cs_selector, "host CS selector 0");
	HOST(v->host_tr_selector, "host TR selector 0");
	HOST(hass || v->host_ss_selector, "host SS 0 with a 32-bit host");
	HOST(canonical(v->host_fs_base) && canonical(v->host_gs_base) &&
	     canonical(v->host_gdtr_base) && canonical(v->host_idtr_base) &&
	     canonical(v->host_tr_base), "host base address not canonical");
	HOST(hass == env->l1_lma,
	     "host address-space size differs from L1's IA-32e mode");
	if (!hass) {
		HOST(!(v->vm_entry_controls & ENTRY_IA32E_MODE_GUEST),
		     "IA-32e mode guest under a 32-bit host");
		HOST(!(v->host_cr4 & X86_CR4_PCIDE), "host CR4.PCIDE, 32-bit host");
		HOST(!(v->host_rip >> 32), "host RIP above 4 GiB, 32-bit host");
	} else {
		HOST(v->host_cr4 & X86_CR4_PAE, "host CR4.PAE clear, 64-bit host");
		HOST(canonical(v->host_rip), "host RIP not canonical");
	}
	return ok;
}

/* The limit and G agree (SDM 26.3.1.2): bytes below 1M, pages above. */
static bool limit_g_ok(u64 limit, u64 ar)
{
	if ((limit & 0xfff) != 0xfff && (ar & AR_G))
		return false;
	if ((limit >> 20) && !(ar & AR_G))
		return false;
	return true;
}

static bool data_seg_ok(u64 ar, u64 limit)
{
	if (ar & AR_UNUSABLE)
		return true;
	return (AR_TYPE(ar) & 1) && (!(AR_TYPE(ar) & 8) || (AR_TYPE(ar) & 2)) &&
	       (ar & AR_S) && (ar & AR_P) && !(ar & AR_RSVD) &&
	       limit_g_ok(limit, ar);
}

static struct nested_check_result check_guest_segments(const struct vmcs12 *v,
						       bool ia32e, bool ug)
{
	u64 cs = v->guest_cs_ar_bytes, ss = v->guest_ss_ar_bytes;
	u64 tr = v->guest_tr_ar_bytes, ldtr = v->guest_ldtr_ar_bytes;
	unsigned int cs_type = AR_TYPE(cs);

	GUEST(!(v->guest_tr_selector & 4), "guest TR selector TI set");
	GUEST(!(tr & AR_UNUSABLE) && (tr & AR_P) && !(tr & AR_S) &&
	      !(tr & AR_RSVD) && limit_g_ok(v->guest_tr_limit, tr),
	      "guest TR not a present system segment");
	GUEST(AR_TYPE(tr) == 11 || (!ia32e && AR_TYPE(tr) == 3),
	      "guest TR not a busy TSS");
	GUEST(canonical(v->guest_tr_base), "guest TR base not canonical");
	if (!(ldtr & AR_UNUSABLE)) {
		GUEST(!(v->guest_ldtr_selector & 4) && AR_TYPE(ldtr) == 2 &&
		      !(ldtr & AR_S) && (ldtr & AR_P) && !(ldtr & AR_RSVD) &&
		      limit_g_ok(v->guest_ldtr_limit, ldtr) &&
		      canonical(v->guest_ldtr_base), "guest LDTR invalid");
	}
	GUEST(!(cs & AR_UNUSABLE) && (cs & AR_S) && (cs & AR_P) &&
	      !(cs & AR_RSVD) && limit_g_ok(v->guest_cs_limit, cs),
	      "guest CS not a present code segment");
	GUEST(cs_type == 9 || cs_type == 11 || cs_type == 13 || cs_type == 15 ||
	      (ug && cs_type == 3), "guest CS type");
	GUEST(cs_type != 3 || !AR_DPL(cs), "guest CS data type with DPL > 0");
	GUEST((cs_type != 9 && cs_type != 11) || (ss & AR_UNUSABLE) ||
	      AR_DPL(cs) == AR_DPL(ss), "guest CS DPL differs from SS DPL");
	GUEST(!(ia32e && (cs & AR_L) && (cs & AR_DB)), "guest CS with L and D");
	GUEST(!(v->guest_cs_base >> 32), "guest CS base above 4 GiB");
	GUEST(ug || (v->guest_ss_selector & 3) == (v->guest_cs_selector & 3),
	      "guest SS RPL differs from CS RPL");
	if (!(ss & AR_UNUSABLE)) {
		GUEST((AR_TYPE(ss) == 3 || AR_TYPE(ss) == 7) && (ss & AR_S) &&
		      (ss & AR_P) && !(ss & AR_RSVD) &&
		      limit_g_ok(v->guest_ss_limit, ss), "guest SS invalid");
		GUEST(!(v->guest_ss_base >> 32), "guest SS base above 4 GiB");
	}
	GUEST((cs_type != 3 && (v->guest_cr0 & X86_CR0_PE)) || !AR_DPL(ss),
	      "guest SS DPL > 0 in real mode or with a data CS");
	GUEST(data_seg_ok(v->guest_ds_ar_bytes, v->guest_ds_limit) &&
	      data_seg_ok(v->guest_es_ar_bytes, v->guest_es_limit) &&
	      data_seg_ok(v->guest_fs_ar_bytes, v->guest_fs_limit) &&
	      data_seg_ok(v->guest_gs_ar_bytes, v->guest_gs_limit),
	      "guest DS/ES/FS/GS invalid");
	GUEST(canonical(v->guest_fs_base) && canonical(v->guest_gs_base),
	      "guest FS/GS base not canonical");
	GUEST(((v->guest_ds_ar_bytes & AR_UNUSABLE) || !(v->guest_ds_base >> 32)) &&
	      ((v->guest_es_ar_bytes & AR_UNUSABLE) || !(v->guest_es_base >> 32)),
	      "guest DS/ES base above 4 GiB");
	return ok;
}

struct nested_check_result nested_check_guest(const struct vmcs12 *v,
					      const struct nested_check_env *env,
					      const struct nested_l1_mem *mem)
{
	const struct nested_vmx_msrs *m = env->msrs;
	unsigned int pb = env->phys_bits;
	u32 proc2 = proc2_of(v), entry = v->vm_entry_controls;
	u32 info = v->vm_entry_intr_info_field;
	u32 type = (info >> 8) & 7;
	bool ug = proc2 & CPU2_UNRESTRICTED_GUEST;
	bool ia32e = entry & ENTRY_IA32E_MODE_GUEST;
	u64 cr0 = v->guest_cr0, cr4 = v->guest_cr4, fixed0 = m->cr0_fixed0;
	u64 rflags = v->guest_rflags, intr = v->guest_interruptibility_info;
	struct nested_check_result r;

	if (ug)
		fixed0 &= ~(u64)(X86_CR0_PE | X86_CR0_PG);
	GUEST(fixed_ok(cr0, fixed0, m->cr0_fixed1),
	      "guest CR0 outside the VMX fixed bits");
	GUEST(!(cr0 & X86_CR0_PG) || (cr0 & X86_CR0_PE), "guest CR0.PG without PE");
	GUEST(fixed_ok(cr4, m->cr4_fixed0, m->cr4_fixed1),
	      "guest CR4 outside the VMX fixed bits");
	if (ia32e)
		GUEST((cr0 & X86_CR0_PG) && (cr4 & X86_CR4_PAE),
		      "IA-32e mode guest without CR0.PG and CR4.PAE");
	else
		GUEST(!(cr4 & X86_CR4_PCIDE), "guest CR4.PCIDE outside IA-32e mode");
	GUEST(in_width(v->guest_cr3, pb), "guest CR3 beyond the width");
	GUEST(!(entry & ENTRY_LOAD_DEBUG_CONTROLS) || !(v->guest_dr7 >> 32),
	      "guest DR7 bits 63:32 set");
	GUEST(canonical(v->guest_sysenter_esp) && canonical(v->guest_sysenter_eip),
	      "guest SYSENTER_ESP/EIP not canonical");
	GUEST(!(entry & ENTRY_LOAD_PAT) || pat_ok(v->guest_ia32_pat),
	      "guest IA32_PAT with an invalid memory type");
	if (entry & ENTRY_LOAD_EFER) {
		GUEST(!(v->guest_ia32_efer & ~EFER_ALLOWED),
		      "guest IA32_EFER reserved bits");
		GUEST(!!(v->guest_ia32_efer & EFER_LMA) == ia32e,
		      "guest IA32_EFER.LMA differs from IA-32e mode guest");
		GUEST(!(cr0 & X86_CR0_PG) ||
		      !!(v->guest_ia32_efer & EFER_LME) == ia32e,
		      "guest IA32_EFER.LME differs from IA-32e mode guest");
	}
	GUEST(!(rflags & RFLAGS_VM), "guest RFLAGS.VM (virtual-8086 not offered)");
	r = check_guest_segments(v, ia32e, ug);
	if (r.class != NESTED_CHECK_OK)
		return r;
	GUEST(canonical(v->guest_gdtr_base) && canonical(v->guest_idtr_base),
	      "guest GDTR/IDTR base not canonical");
	GUEST(!(v->guest_gdtr_limit >> 16) && !(v->guest_idtr_limit >> 16),
	      "guest GDTR/IDTR limit above 0xffff");
	if (ia32e && (v->guest_cs_ar_bytes & AR_L))
		GUEST(canonical(v->guest_rip), "guest RIP not canonical");
	else
		GUEST(!(v->guest_rip >> 32), "guest RIP above 4 GiB outside 64-bit mode");
	GUEST(!(rflags & RFLAGS_RSVD) && (rflags & RFLAGS_FIXED1),
	      "guest RFLAGS reserved bits");
	GUEST(!(info & INTR_INFO_VALID) || type != 0 || (rflags & X86_RFLAGS_IF),
	      "external interrupt injected with RFLAGS.IF = 0");
	GUEST(v->guest_activity_state == GUEST_ACTIVITY_ACTIVE,
	      "guest activity state other than active (none offered)");
	GUEST(!(intr >> 5), "guest interruptibility reserved bits");
	GUEST((intr & 3) != 3, "guest blocked by STI and by MOV SS at once");
	GUEST((rflags & X86_RFLAGS_IF) || !(intr & GUEST_INTR_STI_BLOCKING),
	      "guest STI blocking with RFLAGS.IF = 0");
	GUEST(!(info & INTR_INFO_VALID) || type != 0 || !(intr & 3),
	      "external interrupt injected in an STI/MOV-SS shadow");
	GUEST(!(info & INTR_INFO_VALID) || type != 2 ||
	      (!(intr & GUEST_INTR_MOVSS_BLOCKING) &&
	       !((v->pin_based_vm_exec_control & PIN_VIRTUAL_NMIS) &&
		 (intr & GUEST_INTR_NMI_BLOCKING))),
	      "NMI injected while NMIs or MOV SS block it");
	GUEST(!(v->guest_pending_dbg_exceptions &
		~(0xfULL | BIT(12) | BIT(14) | BIT(16))),
	      "guest pending debug exceptions reserved bits");
	if (v->vmcs_link_pointer != ~0ULL) {
		u32 rev = ~0U;

		CHECK_Q(NESTED_CHECK_GUEST,
			page_addr_ok(v->vmcs_link_pointer, pb) &&
			mem->read(mem->ctx, v->vmcs_link_pointer, &rev, 4) &&
			rev == VMCS12_REVISION, NESTED_ENTRY_FAIL_VMCS_LINK,
			"VMCS link pointer not ~0 nor a VMCS of ours");
	}
	/* PAE paging with EPT: the PDPTEs come from VMCS12 (SDM 26.3.1.6). */
	if ((proc2 & CPU2_ENABLE_EPT) && (cr0 & X86_CR0_PG) &&
	    (cr4 & X86_CR4_PAE) && !ia32e) {
		const u64 pdpte[4] = { v->guest_pdptr0, v->guest_pdptr1,
				       v->guest_pdptr2, v->guest_pdptr3 };

		for (unsigned int i = 0; i < 4; i++)
			GUEST(!(pdpte[i] & 1) ||
			      (!(pdpte[i] & 0x1e6) && in_width(pdpte[i], pb)),
			      "guest PDPTE reserved bits");
	}
	return ok;
}

struct nested_check_result nested_check_entry_msrs(const struct vmcs12 *v,
						   const struct nested_check_env *env,
						   const struct nested_l1_mem *mem)
{
	for (u64 i = 0; i < v->vm_entry_msr_load_count; i++) {
		struct { u32 index, reserved; u64 value; } e;
		bool good;

		good = mem->read(mem->ctx, v->vm_entry_msr_load_addr + i * 16,
				 &e, sizeof(e)) &&
		       !e.reserved && e.index != MSR_FS_BASE_NR &&
		       e.index != MSR_GS_BASE_NR &&
		       e.index != MSR_SMM_MONITOR_CTL &&
		       e.index != MSR_UCODE_WRITE && e.index != MSR_UCODE_REV &&
		       !(env->l1_x2apic && (e.index >> 8) == 8);
		CHECK_Q(NESTED_CHECK_MSR, good, (u32)(i + 1),
			"VM-entry MSR-load entry invalid");
	}
	return ok;
}

struct nested_check_result nested_vmx_check_vmcs12(const struct vmcs12 *vmcs12,
						   const struct nested_check_env *env,
						   const struct nested_l1_mem *mem)
{
	struct nested_check_result r = nested_check_controls(vmcs12, env);

	if (r.class == NESTED_CHECK_OK)
		r = nested_check_host(vmcs12, env);
	if (r.class == NESTED_CHECK_OK)
		r = nested_check_guest(vmcs12, env, mem);
	if (r.class == NESTED_CHECK_OK)
		r = nested_check_entry_msrs(vmcs12, env, mem);
	return r;
}
