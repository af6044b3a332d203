// SPDX-License-Identifier: MIT
/*
 * Nested VM exits to L1 (KVM's nested_vmx_vmexit): L2's state goes back
 * into VMCS12 (SDM 27.3), with the exit information (27.2); the vCPU
 * switches back to VMCS01 and L1 resumes in the host state VMCS12 holds,
 * loaded into VMCS01's guest-state area as SDM 27.5 says a CPU loads it.
 * A VM-entry failure (exit reasons 33 and 34 with bit 31: SDM 27.8)
 * saves no guest state. L1's general-purpose registers are L2's at the
 * exit, as on hardware (RSP and RIP come from the host state).
 */
#include "vmm/nested/nested.h"
#include "vmm/nested/nested_checks.h"
#include "vmm/exit_codes.h"
#include "vmm/tdp_kernel.h"
#include "vmm/vcpu.h"
#include "vmm/vcpu_run.h"
#include "vmm/guest_report.h"
#include "vmm/vmcs_setup.h"
#include "vmm/mmu/shadow_ept.h"
#include "vmm/vmx/vmx_caps.h"
#include "vmm/vmx/vmcs_fields.h"
#include "arch/x86/cpu.h"
#include "arch/x86/vmx.h"

#define AR_CODE64		0xa09bU	/* P, S, code execute/read accessed, L, G */
#define AR_CODE32		0xc09bU	/* the same with D instead of L */
#define AR_DATA			0xc093U	/* P, S, data read/write accessed, D, G */
#define AR_TSS_BUSY64		0x008bU
#define AR_UNUSABLE		0x10000U

static void load_seg(u64 sel_f, u64 base_f, u64 limit_f, u64 ar_f, u64 sel,
		     u64 base, u32 ar)
{
	vmwrite(sel_f, sel);
	vmwrite(base_f, base);
	vmwrite(limit_f, 0xffffffff);
	/* A null data selector leaves the register unusable (27.5.2). */
	vmwrite(ar_f, sel ? ar : AR_UNUSABLE);
}

#define LOAD_SEG(S, sel, base, ar)					\
	load_seg(GUEST_##S##_SELECTOR, GUEST_##S##_BASE,		\
		 GUEST_##S##_LIMIT, GUEST_##S##_AR_BYTES, sel, base, ar)

/*
 * SDM 27.5.1-27.5.3: control registers, debug, MSRs, segments and
 * descriptor tables, RIP/RSP/RFLAGS from VMCS12's host-state area.
 * L0 keeps its own bits of CR0/CR4 in the real fields and shows L1 its
 * values through the read shadows, as the MOV-to-CR paths do.
 */
void nested_vmx_load_host_state(struct vcpu *v, const struct vmcs12 *vmcs12)
{
	u32 exit = vmcs12->vm_exit_controls;
	bool hass = exit & EXIT_HOST_ADDR_SPACE_SIZE;
	u32 entry01 = (u32)vmread(VM_ENTRY_CONTROLS);
	u64 efer = vmread(GUEST_IA32_EFER);

	vmwrite(CR0_READ_SHADOW, vmcs12->host_cr0);
	vmwrite(GUEST_CR0, vmx_fix_cr0(vmcs12->host_cr0 &
				       ~(X86_CR0_CD | X86_CR0_NW), true));
	vmwrite(CR4_READ_SHADOW, vmcs12->host_cr4);
	vmwrite(GUEST_CR4, vmx_fix_cr4(vmcs12->host_cr4 | X86_CR4_VMXE));
	vmwrite(GUEST_CR3, vmcs12->host_cr3);
	vmwrite(GUEST_DR7, 0x400);
	vmwrite(GUEST_IA32_DEBUGCTL, 0);
	vmwrite(GUEST_SYSENTER_CS, vmcs12->host_ia32_sysenter_cs);
	vmwrite(GUEST_SYSENTER_ESP, vmcs12->host_ia32_sysenter_esp);
	vmwrite(GUEST_SYSENTER_EIP, vmcs12->host_ia32_sysenter_eip);
	if (exit & EXIT_LOAD_EFER)
		efer = vmcs12->host_ia32_efer;
	else if (hass)
		efer |= EFER_LMA | EFER_LME;
	else
		efer &= ~(u64)(EFER_LMA | EFER_LME);
	vmwrite(GUEST_IA32_EFER, efer);
	vmwrite(VM_ENTRY_CONTROLS, hass ? entry01 | ENTRY_IA32E_MODE_GUEST
					: entry01 & ~(u32)ENTRY_IA32E_MODE_GUEST);
	if ((exit & EXIT_LOAD_PAT) && (vmx_caps.entry_ctl & ENTRY_LOAD_PAT))
		vmwrite(GUEST_IA32_PAT, vmcs12->host_ia32_pat);

	vmwrite(GUEST_CS_SELECTOR, vmcs12->host_cs_selector);
	vmwrite(GUEST_CS_BASE, 0);
	vmwrite(GUEST_CS_LIMIT, 0xffffffff);
	vmwrite(GUEST_CS_AR_BYTES, hass ? AR_CODE64 : AR_CODE32);
	LOAD_SEG(SS, vmcs12->host_ss_selector, 0, AR_DATA);
	LOAD_SEG(DS, vmcs12->host_ds_selector, 0, AR_DATA);
	LOAD_SEG(ES, vmcs12->host_es_selector, 0, AR_DATA);
	LOAD_SEG(FS, vmcs12->host_fs_selector, vmcs12->host_fs_base, AR_DATA);
	LOAD_SEG(GS, vmcs12->host_gs_selector, vmcs12->host_gs_base, AR_DATA);
	/* FS/GS bases are loaded whatever the selectors. */
	vmwrite(GUEST_FS_BASE, vmcs12->host_fs_base);
	vmwrite(GUEST_GS_BASE, vmcs12->host_gs_base);
	vmwrite(GUEST_TR_SELECTOR, vmcs12->host_tr_selector);
	vmwrite(GUEST_TR_BASE, vmcs12->host_tr_base);
	vmwrite(GUEST_TR_LIMIT, 0x67);
	vmwrite(GUEST_TR_AR_BYTES, AR_TSS_BUSY64);
	vmwrite(GUEST_LDTR_SELECTOR, 0);
	vmwrite(GUEST_LDTR_AR_BYTES, AR_UNUSABLE);
	vmwrite(GUEST_GDTR_BASE, vmcs12->host_gdtr_base);
	vmwrite(GUEST_GDTR_LIMIT, 0xffff);
	vmwrite(GUEST_IDTR_BASE, vmcs12->host_idtr_base);
	vmwrite(GUEST_IDTR_LIMIT, 0xffff);

	vmwrite(GUEST_RIP, vmcs12->host_rip);
	vmwrite(GUEST_RSP, vmcs12->host_rsp);
	vmwrite(GUEST_RFLAGS, 0x2);
	vmwrite(GUEST_INTERRUPTIBILITY_INFO,
		vmread(GUEST_INTERRUPTIBILITY_INFO) & GUEST_INTR_NMI_BLOCKING);
	vmwrite(GUEST_PENDING_DBG_EXCEPTIONS, 0);
	vmwrite(GUEST_ACTIVITY_STATE, GUEST_ACTIVITY_ACTIVE);
	/* A CR3 load by a VM exit leaves no stale translation behind. */
	vcpu_mmu_flush_current(v);
}

/*
 * A VM entry that failed on guest state (33) or MSR loading (34): L1
 * gets a VM exit with bit 31 of the reason set; nothing of L2 is saved
 * and the VMCS12 stays not launched (SDM 27.8).
 */
int nested_vmx_entry_failed(struct vcpu *v, struct nested_vcpu *nv, u32 reason,
			    u32 qual)
{
	struct vmcs12 *vmcs12 = &nv->vmx.cached_vmcs12;

	vmcs12->vm_exit_reason = reason | VMX_EXIT_REASON_ENTRY_FAIL;
	vmcs12->exit_qualification = qual;
	vmcs12->vm_exit_intr_info = 0;
	vmcs12->idt_vectoring_info_field = 0;
	vmcs12->vm_exit_instruction_len = 0;
	vmcs12->vmx_instruction_info = 0;
	nested_vmx_load_host_state(v, vmcs12);
	return VCPU_RESUME;
}

#define SAVE(member, field)	(vmcs12->member = vmread(field))
#define SAVE_SEG(S, s)							\
	do {								\
		SAVE(guest_##s##_selector, GUEST_##S##_SELECTOR);	\
		SAVE(guest_##s##_base, GUEST_##S##_BASE);		\
		SAVE(guest_##s##_limit, GUEST_##S##_LIMIT);		\
		SAVE(guest_##s##_ar_bytes, GUEST_##S##_AR_BYTES);	\
	} while (0)

/*
 * L2's control register as L1 must see it in VMCS12: the real value for
 * the bits nobody intercepts, L2's own value (VMCS02's read shadow) for
 * those only L0 owns, VMCS12's for those L1 owns (L2 cannot change those
 * without an exit to L1).
 */
static u64 l2_cr(u64 real, u64 shadow02, u64 mask02, u64 val12, u64 mask12)
{
	return (real & ~mask02) | (shadow02 & mask02 & ~mask12) |
	       (val12 & mask12);
}

/* SDM 27.3: L2's state from VMCS02 (current) into VMCS12. */
static void sync_vmcs12(struct vmcs12 *vmcs12)
{
	u32 exit12 = vmcs12->vm_exit_controls;

	vmcs12->guest_cr0 = l2_cr(vmread(GUEST_CR0), vmread(CR0_READ_SHADOW),
				  vmread(CR0_GUEST_HOST_MASK), vmcs12->guest_cr0,
				  vmcs12->cr0_guest_host_mask);
	vmcs12->guest_cr4 = l2_cr(vmread(GUEST_CR4), vmread(CR4_READ_SHADOW),
				  vmread(CR4_GUEST_HOST_MASK), vmcs12->guest_cr4,
				  vmcs12->cr4_guest_host_mask);
	SAVE(guest_cr3, GUEST_CR3);
	SAVE(guest_rsp, GUEST_RSP);
	SAVE(guest_rip, GUEST_RIP);
	SAVE(guest_rflags, GUEST_RFLAGS);
	SAVE_SEG(ES, es);
	SAVE_SEG(CS, cs);
	SAVE_SEG(SS, ss);
	SAVE_SEG(DS, ds);
	SAVE_SEG(FS, fs);
	SAVE_SEG(GS, gs);
	SAVE_SEG(LDTR, ldtr);
	SAVE_SEG(TR, tr);
	SAVE(guest_gdtr_base, GUEST_GDTR_BASE);
	SAVE(guest_gdtr_limit, GUEST_GDTR_LIMIT);
	SAVE(guest_idtr_base, GUEST_IDTR_BASE);
	SAVE(guest_idtr_limit, GUEST_IDTR_LIMIT);
	SAVE(guest_sysenter_cs, GUEST_SYSENTER_CS);
	SAVE(guest_sysenter_esp, GUEST_SYSENTER_ESP);
	SAVE(guest_sysenter_eip, GUEST_SYSENTER_EIP);
	SAVE(guest_interruptibility_info, GUEST_INTERRUPTIBILITY_INFO);
	SAVE(guest_activity_state, GUEST_ACTIVITY_STATE);
	SAVE(guest_pending_dbg_exceptions, GUEST_PENDING_DBG_EXCEPTIONS);
	SAVE(guest_pdptr0, GUEST_PDPTR0);
	SAVE(guest_pdptr1, GUEST_PDPTR1);
	SAVE(guest_pdptr2, GUEST_PDPTR2);
	SAVE(guest_pdptr3, GUEST_PDPTR3);
	if (exit12 & EXIT_SAVE_DEBUG_CONTROLS) {
		SAVE(guest_dr7, GUEST_DR7);
		SAVE(guest_ia32_debugctl, GUEST_IA32_DEBUGCTL);
	}
	if (exit12 & EXIT_SAVE_EFER)
		SAVE(guest_ia32_efer, GUEST_IA32_EFER);
	if ((exit12 & EXIT_SAVE_PAT) && (vmx_caps.entry_ctl & ENTRY_LOAD_PAT))
		SAVE(guest_ia32_pat, GUEST_IA32_PAT);
	/* IA32_VMX_MISC[5]: the exit stores EFER.LMA in the entry control. */
	if (vmread(GUEST_IA32_EFER) & EFER_LMA)
		vmcs12->vm_entry_controls |= ENTRY_IA32E_MODE_GUEST;
	else
		vmcs12->vm_entry_controls &= ~(u64)ENTRY_IA32E_MODE_GUEST;
	/* The event L1 injected was delivered (or is in IDT vectoring). */
	vmcs12->vm_entry_intr_info_field &= ~(u64)INTR_INFO_VALID;
}

/* SDM 27.2: the exit information of the hardware exit being reflected. */
static void save_exit_info(struct vmcs12 *vmcs12)
{
	SAVE(exit_qualification, EXIT_QUALIFICATION);
	SAVE(guest_linear_address, GUEST_LINEAR_ADDRESS);
	SAVE(guest_physical_address, GUEST_PHYSICAL_ADDRESS);
	SAVE(vm_exit_intr_info, VM_EXIT_INTR_INFO);
	SAVE(vm_exit_intr_error_code, VM_EXIT_INTR_ERROR_CODE);
	SAVE(idt_vectoring_info_field, IDT_VECTORING_INFO_FIELD);
	SAVE(idt_vectoring_error_code, IDT_VECTORING_ERROR_CODE);
	SAVE(vm_exit_instruction_len, VM_EXIT_INSTRUCTION_LEN);
	SAVE(vmx_instruction_info, VMX_INSTRUCTION_INFO);
}

int nested_vmx_vmexit(struct vcpu *v, struct nested_vcpu *nv, u32 reason,
		      u64 qual, bool from_hw)
{
	struct vmcs12 *vmcs12 = &nv->vmx.cached_vmcs12;
	u32 timer = (u32)vmread(VMX_PREEMPTION_TIMER_VALUE);

	sync_vmcs12(vmcs12);
	if (from_hw) {
		save_exit_info(vmcs12);
	} else {
		vmcs12->vm_exit_intr_info = 0;
		vmcs12->idt_vectoring_info_field = 0;
		vmcs12->vm_exit_instruction_len = 0;
		vmcs12->vmx_instruction_info = 0;
	}
	vmcs12->vm_exit_reason = reason;
	vmcs12->exit_qualification = qual;
	nv->guest_mode = false;
	nv->nr_exits++;
	if (!vcpu_switch_vmcs(v, nv->vmcs01)) {
		guest_kill(v->guest, "its VMCS01 cannot be loaded back (nested VMX)");
		return VCPU_STOP;
	}
	/* The slice goes on: its preemption-timer count with it. */
	vmwrite(VMX_PREEMPTION_TIMER_VALUE, timer);
	vmwrite(VM_ENTRY_INTR_INFO_FIELD, 0);
	nested_vmx_load_host_state(v, vmcs12);
	return VCPU_RESUME;
}

/*
 * Leaving VMX operation or the vCPU going away: back to VMCS01 if L2 was
 * running (the caller's VMCS is current), and EPT02 dropped.
 */
void nested_vmx_leave(struct vcpu *v, struct nested_vcpu *nv)
{
	if (nv->guest_mode) {
		nv->guest_mode = false;
		vcpu_switch_vmcs(v, nv->vmcs01);
	}
	kvm_shadow_ept_unload(&v->guest->vm, &nv->mmu02);
}
