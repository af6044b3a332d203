// SPDX-License-Identifier: MIT
/*
 * Nested VM exits to L1 (KVM's nested_vmx_vmexit): the exit information
 * goes into VMCS12 and L1 resumes in the host state VMCS12 holds, loaded
 * into VMCS01's guest-state area as SDM 27.5 says a CPU loads it. Today
 * the only exits are VM-entry failures (exit reasons 33 and 34 with bit
 * 31: SDM 27.8), which save no guest state.
 */
#include "vmm/nested/nested.h"
#include "vmm/nested/nested_checks.h"
#include "vmm/exit_codes.h"
#include "vmm/tdp_kernel.h"
#include "vmm/vcpu.h"
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
