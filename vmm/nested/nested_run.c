// SPDX-License-Identifier: MIT
/*
 * Entering L2 (KVM's nested_vmx_run / enter_guest_mode): a VMCS12 that
 * passed every check becomes VMCS02, a second hardware VMCS of the vCPU,
 * built from L0's controls OR'ed with L1's, L0's host state (written by
 * the run loop's load, as for VMCS01) and VMCS12's guest state.
 *
 * The two VMCSs (KVM's loaded_vmcs): vcpu->vmcs is always the current
 * one, and the other is always clear - vcpu_switch_vmcs() VMCLEARs the
 * one it leaves - so the run loop's VMCLEAR/VMPTRLD on a thread switch
 * and on migration handle whichever is current without knowing there
 * are two. A switch costs a VMLAUNCH instead of a VMRESUME.
 *
 * VMCS02 is rebuilt from VMCS12 at every VMLAUNCH/VMRESUME (L1 may have
 * changed anything); before each entry to L2, nested_vmx_before_entry()
 * loads the EPT02 root (the shadow EPT MMU, vmm/mmu/shadow_ept.h) and
 * turns an interrupt pending for L1 into an exit to L1 when L1 asked for
 * external-interrupt exiting.
 */
#include "vmm/nested/nested.h"
#include "vmm/nested/nested_checks.h"
#include "vmm/vcpu_nested.h"
#include "vmm/vcpu_irq.h"
#include "vmm/vcpu_run.h"
#include "vmm/guest_report.h"
#include "vmm/exit_codes.h"
#include "vmm/vcpu.h"
#include "vmm/vmcs_setup.h"
#include "vmm/vmx/vmx_caps.h"
#include "vmm/vmx/vmcs_fields.h"
#include "vmm/vmx/vmx_names.h"
#include "vmm/mmu/shadow_ept.h"
#include "vmm/vmx/vpid.h"
#include "arch/x86/cpu.h"
#include "arch/x86/vmx.h"
#include "kernel/log.h"
#include "kernel/platform.h"

/* L0's CR0 bits (vmcs_setup.c's CR0_HOST_OWNED). */
#define CR0_L0_OWNED	(X86_CR0_NE | X86_CR0_CD | X86_CR0_NW | X86_CR0_PG)

bool vcpu_in_guest_mode(struct vcpu *v)
{
	return v->nested && v->nested->guest_mode;
}

bool nested_uses_ept12(const struct nested_vcpu *nv)
{
	const struct vmcs12 *vmcs12 = &nv->vmx.cached_vmcs12;

	return (vmcs12->cpu_based_vm_exec_control & CPU_SECONDARY_CONTROLS) &&
	       (vmcs12->secondary_vm_exec_control & CPU2_ENABLE_EPT);
}

static bool vmcs02_alloc(struct nested_vcpu *nv)
{
	if (nv->vmcs02)
		return true;
	nv->vmcs02 = plat_alloc_page();
	if (!nv->vmcs02)
		return false;
	__builtin_memset(nv->vmcs02, 0, PAGE_SIZE);
	*(u32 *)nv->vmcs02 = vmx_caps.revision;
	/* Clear before its first VMPTRLD (SDM 24.11.3); not current. */
	if (vmclear(plat_virt_to_phys(nv->vmcs02)) != VMX_OK) {
		plat_free_page(nv->vmcs02);
		nv->vmcs02 = NULL;
		return false;
	}
	nv->vpid02 = vpid_alloc();
	return true;
}

#define COPY(field, member)	vmwrite(field, vmcs12->member)
#define COPY_SEG(S, s)							\
	do {								\
		COPY(GUEST_##S##_SELECTOR, guest_##s##_selector);	\
		COPY(GUEST_##S##_BASE, guest_##s##_base);		\
		COPY(GUEST_##S##_LIMIT, guest_##s##_limit);		\
		COPY(GUEST_##S##_AR_BYTES, guest_##s##_ar_bytes);	\
	} while (0)

/* What L1 had in VMCS01 that L2 inherits when VMCS12 does not load it. */
struct l1_inherit {
	u64 efer, pat, debugctl, dr7;
	u32 timer;
};

static void prepare_vmcs02_controls(struct vcpu *v, struct nested_vcpu *nv,
				    const struct vmcs12 *vmcs12)
{
	u32 proc12 = vmcs12->cpu_based_vm_exec_control;
	u32 proc2_12 = proc12 & CPU_SECONDARY_CONTROLS ?
		       (u32)vmcs12->secondary_vm_exec_control : 0;
	u32 entry = vmx_caps.entry_ctl;
	/*
	 * I/O and MSR bitmaps are L1's to consult (nested_reflect.c): L0
	 * keeps exiting on every port and MSR and decides who handles it.
	 */
	u32 proc = vmx_caps.proc_ctl |
		   (proc12 & ~(u32)(CPU_USE_IO_BITMAPS | CPU_USE_MSR_BITMAPS |
				    CPU_USE_TSC_OFFSETTING));

	if (vmcs12->vm_entry_controls & ENTRY_IA32E_MODE_GUEST)
		entry |= ENTRY_IA32E_MODE_GUEST;
	vmwrite(PIN_BASED_VM_EXEC_CONTROL,
		vmx_caps.pin_ctl | vmcs12->pin_based_vm_exec_control);
	vmwrite(CPU_BASED_VM_EXEC_CONTROL, proc);
	vmwrite(SECONDARY_VM_EXEC_CONTROL, vmx_caps.proc2_ctl |
		(proc2_12 & CPU2_WBINVD_EXITING));
	vmwrite(VM_EXIT_CONTROLS, vmx_caps.exit_ctl);
	vmwrite(VM_ENTRY_CONTROLS, entry);
	vmwrite(EXCEPTION_BITMAP, vmcs12->exception_bitmap);
	vmwrite(PAGE_FAULT_ERROR_CODE_MASK, vmcs12->page_fault_error_code_mask);
	vmwrite(PAGE_FAULT_ERROR_CODE_MATCH, vmcs12->page_fault_error_code_match);
	vmwrite(CR3_TARGET_COUNT, 0);
	vmwrite(VM_EXIT_MSR_STORE_COUNT, 0);
	vmwrite(VM_EXIT_MSR_LOAD_COUNT, 0);
	vmwrite(VM_ENTRY_MSR_LOAD_COUNT, 0);
	/* L1's event for L2 (26.6): delivered by this entry. */
	COPY(VM_ENTRY_INTR_INFO_FIELD, vm_entry_intr_info_field);
	COPY(VM_ENTRY_EXCEPTION_ERROR_CODE, vm_entry_exception_error_code);
	COPY(VM_ENTRY_INSTRUCTION_LEN, vm_entry_instruction_len);
	vmwrite(TSC_OFFSET, v->tsc_offset +
		(proc12 & CPU_USE_TSC_OFFSETTING ? vmcs12->tsc_offset : 0));
	/* L2's translations are tagged apart from L1's; flushed below. */
	vmwrite(VIRTUAL_PROCESSOR_ID, nv->vpid02 ? nv->vpid02 : v->vpid);
	/* EPT01 when L1 gives L2 its own physical space; else EPT02. */
	vmwrite(EPT_POINTER, v->eptp);
	vmwrite(VMCS_LINK_POINTER, ~0ULL);
	/*
	 * CR0/CR4: a bit is L1's when VMCS12's mask has it (L2 sees L1's
	 * read shadow), L0's when L0 owns it (L2 sees its own value), else
	 * L2's own.
	 */
	vmwrite(CR0_GUEST_HOST_MASK, CR0_L0_OWNED | vmcs12->cr0_guest_host_mask);
	vmwrite(CR0_READ_SHADOW,
		(vmcs12->cr0_read_shadow & vmcs12->cr0_guest_host_mask) |
		(vmcs12->guest_cr0 & ~vmcs12->cr0_guest_host_mask));
	vmwrite(CR4_GUEST_HOST_MASK, vcpu_cr4_host_owned() |
		vmcs12->cr4_guest_host_mask);
	vmwrite(CR4_READ_SHADOW,
		(vmcs12->cr4_read_shadow & vmcs12->cr4_guest_host_mask) |
		(vmcs12->guest_cr4 & ~vmcs12->cr4_guest_host_mask));
}

static void prepare_vmcs02_guest(const struct vmcs12 *vmcs12,
				 const struct l1_inherit *l1)
{
	u32 entry12 = vmcs12->vm_entry_controls;
	bool ia32e = entry12 & ENTRY_IA32E_MODE_GUEST;
	u64 efer = l1->efer & ~(u64)(EFER_LMA | EFER_LME);

	vmwrite(GUEST_CR0, vmx_fix_cr0(vmcs12->guest_cr0 &
				       ~(X86_CR0_CD | X86_CR0_NW), true));
	vmwrite(GUEST_CR4, vmx_fix_cr4(vmcs12->guest_cr4 | X86_CR4_VMXE));
	COPY(GUEST_CR3, guest_cr3);
	if (entry12 & ENTRY_LOAD_EFER)
		efer = vmcs12->guest_ia32_efer;
	else if (ia32e)
		efer |= EFER_LMA | EFER_LME;
	vmwrite(GUEST_IA32_EFER, efer);
	if (vmx_caps.entry_ctl & ENTRY_LOAD_PAT)
		vmwrite(GUEST_IA32_PAT, entry12 & ENTRY_LOAD_PAT ?
			vmcs12->guest_ia32_pat : l1->pat);
	if (entry12 & ENTRY_LOAD_DEBUG_CONTROLS) {
		COPY(GUEST_DR7, guest_dr7);
		COPY(GUEST_IA32_DEBUGCTL, guest_ia32_debugctl);
	} else {
		vmwrite(GUEST_DR7, l1->dr7);
		vmwrite(GUEST_IA32_DEBUGCTL, l1->debugctl);
	}
	COPY_SEG(ES, es);
	COPY_SEG(CS, cs);
	COPY_SEG(SS, ss);
	COPY_SEG(DS, ds);
	COPY_SEG(FS, fs);
	COPY_SEG(GS, gs);
	COPY_SEG(LDTR, ldtr);
	COPY_SEG(TR, tr);
	COPY(GUEST_GDTR_BASE, guest_gdtr_base);
	COPY(GUEST_GDTR_LIMIT, guest_gdtr_limit);
	COPY(GUEST_IDTR_BASE, guest_idtr_base);
	COPY(GUEST_IDTR_LIMIT, guest_idtr_limit);
	COPY(GUEST_RSP, guest_rsp);
	COPY(GUEST_RIP, guest_rip);
	COPY(GUEST_RFLAGS, guest_rflags);
	COPY(GUEST_INTERRUPTIBILITY_INFO, guest_interruptibility_info);
	COPY(GUEST_ACTIVITY_STATE, guest_activity_state);
	COPY(GUEST_PENDING_DBG_EXCEPTIONS, guest_pending_dbg_exceptions);
	COPY(GUEST_SYSENTER_CS, guest_sysenter_cs);
	COPY(GUEST_SYSENTER_ESP, guest_sysenter_esp);
	COPY(GUEST_SYSENTER_EIP, guest_sysenter_eip);
	COPY(GUEST_PDPTR0, guest_pdptr0);
	COPY(GUEST_PDPTR1, guest_pdptr1);
	COPY(GUEST_PDPTR2, guest_pdptr2);
	COPY(GUEST_PDPTR3, guest_pdptr3);
	vmwrite(VMX_PREEMPTION_TIMER_VALUE, l1->timer);
}

int nested_vmx_enter_guest_mode(struct vcpu *v, struct nested_vcpu *nv)
{
	struct vmcs12 *vmcs12 = &nv->vmx.cached_vmcs12;
	struct l1_inherit l1;

	if (!vmcs02_alloc(nv)) {
		guest_kill(v->guest, "no host memory for a VMCS02 (nested VMX)");
		return VCPU_STOP;
	}
	l1 = (struct l1_inherit){
		.efer = vmread(GUEST_IA32_EFER),
		.pat = vmx_caps.entry_ctl & ENTRY_LOAD_PAT ?
		       vmread(GUEST_IA32_PAT) : 0,
		.debugctl = vmread(GUEST_IA32_DEBUGCTL),
		.dr7 = vmread(GUEST_DR7),
		.timer = (u32)vmread(VMX_PREEMPTION_TIMER_VALUE),
	};
	nv->vmcs01 = v->vmcs;
	if (!vcpu_switch_vmcs(v, nv->vmcs02)) {
		guest_kill(v->guest, "its VMCS02 cannot be loaded (nested VMX)");
		return VCPU_STOP;
	}
	prepare_vmcs02_controls(v, nv, vmcs12);
	prepare_vmcs02_guest(vmcs12, &l1);
	nv->guest_mode = true;
	nv->nr_entries++;
	vmcs12->launch_state = VMCS12_LAUNCHED;
	/* Nothing L2 cached before this entry may survive it (no INVVPID
	 * emulation per VPID12: one VPID02 for all of L1's VPIDs). */
	if (nv->vpid02)
		invvpid(INVVPID_SINGLE_CONTEXT, nv->vpid02, 0);
	nv->ept02_sync_pending = true;
	return VCPU_RESUME;
}

/*
 * Before each entry to L2, outside the run loop's interrupts-off part
 * (the shadow MMU takes mmu_lock): EPT02's root for EPTP12, synced; an
 * interrupt for L1 with external-interrupt exiting becomes its exit.
 */
int nested_vmx_before_entry(struct vcpu *v)
{
	struct nested_vcpu *nv = v->nested;
	const struct vmcs12 *vmcs12 = &nv->vmx.cached_vmcs12;
	phys_addr_t root;
	int r;

	if ((vmcs12->pin_based_vm_exec_control & PIN_EXT_INTR_EXITING) &&
	    vcpu_interrupt_requested(v))
		return nested_vmx_vmexit(v, nv, EXIT_REASON_EXTERNAL_INTERRUPT,
					 0, false);
	if (!nested_uses_ept12(nv))
		return VCPU_RESUME;
	r = kvm_shadow_ept_load(&v->guest->vm, &nv->mmu02,
				vmcs12->ept_pointer, &root);
	if (r == -EINVAL) {
		/*
		 * EPTP12's root is beyond L1's physical-address width (a
		 * root inside it but outside L1's memory reads as all ones
		 * in the shadow MMU's walk, a misconfiguration at L2's first
		 * fault): the same misconfiguration at L2's first access.
		 */
		u64 gpa = vmcs12->guest_cr0 & X86_CR0_PG ?
			  vmcs12->guest_cr3 & PAGE_MASK : vmcs12->guest_rip;

		r = nested_vmx_vmexit(v, nv, EXIT_REASON_EPT_MISCONFIG, 0, false);
		nv->vmx.cached_vmcs12.guest_physical_address = gpa;
		return r;
	}
	if (r) {
		guest_kill(v->guest, "no host memory for an EPT02 root (nested VMX)");
		return VCPU_STOP;
	}
	if (nv->ept02_sync_pending) {
		nv->ept02_sync_pending = false;
		kvm_shadow_ept_sync_root(&v->guest->vm, &nv->mmu02);
	}
	vmwrite(EPT_POINTER, root | EPTP_MEMTYPE_WB | EPTP_PWL4);
	return VCPU_RESUME;
}
