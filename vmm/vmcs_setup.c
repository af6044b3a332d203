// SPDX-License-Identifier: MIT
/*
 * The first contents of a vCPU's VMCS: execution controls from the
 * capability MSRs (vmm/vmx/vmx_caps.c) and the guest state the loader chose
 * (struct vcpu_boot_state). The host-state area is per CPU and written by
 * the run loop whenever the VMCS is loaded on a CPU (vmm/vcpu_run.c).
 */
#include "vmm/vmcs_setup.h"
#include "vmm/vcpu.h"
#include "vmm/vmx/vmx_caps.h"
#include "vmm/vmx/vmcs_fields.h"
#include "arch/x86/cpu.h"
#include "arch/x86/lapic.h"
#include "arch/x86/vmx.h"

/* Segment access rights (VMCS format). */
#define AR_CODE64		0xa09b	/* P, S, execute/read accessed, L, G */
#define AR_CODE32		0xc09b	/* P, S, execute/read accessed, D, G */
#define AR_DATA			0xc093	/* P, S, read/write accessed, D, G */
#define AR_TSS_BUSY		0x008b
#define AR_LDT			0x0082
#define AR_UNUSABLE		0x10000
#define AR_REAL_CODE		0x009b	/* P, S, execute/read accessed, 16-bit */
#define AR_REAL_DATA		0x0093	/* P, S, read/write accessed, 16-bit */

/*
 * Guest time slice: the VMX preemption timer hands the CPU back to the
 * run loop after this long even when the guest runs with IF=0 (Bochs
 * never exits on external interrupts then).
 */
#define VCPU_SLICE_NS		5000000ULL

/*
 * CR0 bits the host owns: NE must stay set under VMX; CD/NW stay as the
 * host needs them (Bochs starts with CD set); PG toggles exit so that the
 * IA-32e-mode entry control can follow EFER.LMA (vmm/exit_misc.c).
 */
#define CR0_HOST_OWNED	(X86_CR0_NE | X86_CR0_CD | X86_CR0_NW | X86_CR0_PG)

u32 vcpu_slice_ticks;

/*
 * CR4 bits a guest may set: the architectural ones of every 64-bit CPU,
 * and those whose feature CPUID shows the guest (vmm/exit_cpuid.c) and
 * VMX lets a guest have (IA32_VMX_CR4_FIXED1). Never VMXE (the CR4 path
 * adds it for a vCPU offered VMX: vmm/vcpu_nested.h), OSXSAVE (XSAVE is hidden), SMXE, LA57 (guest 5-level paging
 * is not offered).
 */
u64 vcpu_cr4_guest_allowed(void)
{
	static u64 allowed;
	u32 a, b, c, d, max;

	if (allowed)
		return allowed;
	cpuid_count(0, 0, &max, &b, &c, &d);
	allowed = 0x7ff;		/* VME ... OSXMMEXCPT */
	cpuid_count(1, 0, &a, &b, &c, &d);
	if (c & BIT(17))
		allowed |= BIT(17);	/* PCIDE */
	if (max >= 7) {
		cpuid_count(7, 0, &a, &b, &c, &d);
		if (b & BIT(0))
			allowed |= BIT(16);	/* FSGSBASE */
		if (b & BIT(7))
			allowed |= BIT(20);	/* SMEP */
		if (b & BIT(20))
			allowed |= BIT(21);	/* SMAP */
		if (c & BIT(2))
			allowed |= BIT(11);	/* UMIP */
	}
	allowed &= vmx_caps.cr4_fixed1;
	return allowed;
}

/*
 * Bits whose guest writes exit to be checked: all but the freely
 * guest-owned ones. PAE (no clearing it in long mode) and PCIDE (only
 * in long mode, with CR3[11:0] = 0) have rules; VMXE must stay set in
 * VMX non-root operation while the guest sees 0.
 */
u64 vcpu_cr4_host_owned(void)
{
	return ~(vcpu_cr4_guest_allowed() & ~(u64)(X86_CR4_PAE | BIT(17)));
}

static u32 preemption_timer_value(void)
{
	u64 ticks = tsc_hz() / (1000000000ULL / VCPU_SLICE_NS);

	ticks >>= vmx_caps.preempt_shift;
	if (ticks < 1000)
		ticks = 1000;
	return ticks > 0xffffffffULL ? 0xffffffffU : (u32)ticks;
}

static void vmcs_setup_controls(struct vcpu *v)
{
	u32 entry = vmx_caps.entry_ctl;

	if (v->boot.mode == GUEST_ENTRY_LONG64)
		entry |= ENTRY_IA32E_MODE_GUEST;
	vmwrite(PIN_BASED_VM_EXEC_CONTROL, vmx_caps.pin_ctl);
	vmwrite(CPU_BASED_VM_EXEC_CONTROL, vmx_caps.proc_ctl);
	vmwrite(SECONDARY_VM_EXEC_CONTROL, vmx_caps.proc2_ctl);
	vmwrite(VM_EXIT_CONTROLS, vmx_caps.exit_ctl);
	vmwrite(VM_ENTRY_CONTROLS, entry);
	vmwrite(EXCEPTION_BITMAP, 0);
	vmwrite(PAGE_FAULT_ERROR_CODE_MASK, 0);
	vmwrite(PAGE_FAULT_ERROR_CODE_MATCH, 0);
	vmwrite(CR3_TARGET_COUNT, 0);
	vmwrite(VM_EXIT_MSR_STORE_COUNT, 0);
	vmwrite(VM_EXIT_MSR_LOAD_COUNT, 0);
	vmwrite(VM_ENTRY_MSR_LOAD_COUNT, 0);
	vmwrite(VM_ENTRY_INTR_INFO_FIELD, 0);
	vmwrite(TSC_OFFSET, v->tsc_offset);
	vmwrite(VIRTUAL_PROCESSOR_ID, v->vpid);
	vmwrite(EPT_POINTER, v->eptp);	/* set by vcpu_mmu_reload() */
	vcpu_slice_ticks = preemption_timer_value();
	vmwrite(VMX_PREEMPTION_TIMER_VALUE, vcpu_slice_ticks);
	vmwrite(CR0_GUEST_HOST_MASK, CR0_HOST_OWNED);
	vmwrite(CR4_GUEST_HOST_MASK, vcpu_cr4_host_owned());
	vmwrite(VMCS_LINK_POINTER, ~0ULL);
}

static void seg(u64 sel_f, u64 base_f, u64 limit_f, u64 ar_f, u16 sel,
		u32 limit, u32 ar)
{
	vmwrite(sel_f, sel);
	vmwrite(base_f, 0);
	vmwrite(limit_f, limit);
	vmwrite(ar_f, ar);
}

#define SEG(S, sel, limit, ar)						\
	seg(GUEST_##S##_SELECTOR, GUEST_##S##_BASE, GUEST_##S##_LIMIT,	\
	    GUEST_##S##_AR_BYTES, sel, limit, ar)

/*
 * LONG64: paging on with the loader's page tables at bs->cr3, 64-bit CS.
 * PROT32: CR0.PE only, flat 32-bit segments, paging off (unrestricted
 * guest allows that). Either way flat segments from the loader's GDT; the
 * hidden parts are written here because VM entry does not read the GDT.
 */
static void vmcs_setup_guest(struct vcpu *v)
{
	const struct vcpu_boot_state *bs = &v->boot;
	bool lm = bs->mode == GUEST_ENTRY_LONG64;
	u64 cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE;
	u64 cr4 = 0, efer = 0;

	if (lm) {
		cr0 |= X86_CR0_PG | X86_CR0_WP | X86_CR0_MP;
		cr4 = X86_CR4_PAE;
		efer = EFER_LME | EFER_LMA;
	}
	vmwrite(GUEST_CR0, vmx_fix_cr0(cr0, true));
	vmwrite(CR0_READ_SHADOW, cr0);
	vmwrite(GUEST_CR4, vmx_fix_cr4(cr4 | X86_CR4_VMXE));
	vmwrite(CR4_READ_SHADOW, cr4);
	vmwrite(GUEST_CR3, lm ? bs->cr3 : 0);
	vmwrite(GUEST_IA32_EFER, efer);
	if (vmx_caps.entry_ctl & ENTRY_LOAD_PAT)
		vmwrite(GUEST_IA32_PAT, 0x0007040600070406ULL);
	vmwrite(GUEST_IA32_DEBUGCTL, 0);
	vmwrite(GUEST_DR7, 0x400);

	SEG(CS, bs->cs_sel, 0xffffffff, lm ? AR_CODE64 : AR_CODE32);
	SEG(SS, bs->ds_sel, 0xffffffff, AR_DATA);
	SEG(DS, bs->ds_sel, 0xffffffff, AR_DATA);
	SEG(ES, bs->ds_sel, 0xffffffff, AR_DATA);
	SEG(FS, bs->ds_sel, 0xffffffff, AR_DATA);
	SEG(GS, bs->ds_sel, 0xffffffff, AR_DATA);
	SEG(TR, 0, 0x67, AR_TSS_BUSY);
	SEG(LDTR, 0, 0, AR_UNUSABLE);
	vmwrite(GUEST_GDTR_BASE, bs->gdt_base);
	vmwrite(GUEST_GDTR_LIMIT, bs->gdt_limit);
	vmwrite(GUEST_IDTR_BASE, 0);
	vmwrite(GUEST_IDTR_LIMIT, 0);

	vmwrite(GUEST_RSP, bs->rsp);
	vmwrite(GUEST_RIP, bs->rip);
	vmwrite(GUEST_RFLAGS, 0x2);
	vmwrite(GUEST_INTERRUPTIBILITY_INFO, 0);
	vmwrite(GUEST_ACTIVITY_STATE, GUEST_ACTIVITY_ACTIVE);
	vmwrite(GUEST_PENDING_DBG_EXCEPTIONS, 0);
	vmwrite(GUEST_SYSENTER_CS, 0);
	vmwrite(GUEST_SYSENTER_ESP, 0);
	vmwrite(GUEST_SYSENTER_EIP, 0);

	v->regs.rax = bs->rax;
	v->regs.rbx = bs->rbx;
	v->regs.rdi = bs->rdi;
	v->regs.rsi = bs->rsi;
}

/*
 * The state a start-up IPI leaves (SDM 8.4.3, 9.1.1 table 9-1): real
 * mode at CS:IP = (vector << 8):0000, the other segments at 0 with 64 KiB
 * limits, caches off as after INIT, EDX the CPU signature and the other
 * registers 0. Unrestricted guest lets VMX run it as it is.
 */
void vmcs_setup_sipi(struct vcpu *v, u8 vector)
{
	u64 cr0 = X86_CR0_ET | X86_CR0_CD | X86_CR0_NW;
	u32 a, b, c, d;

	vmwrite(VM_ENTRY_CONTROLS,
		vmread(VM_ENTRY_CONTROLS) & ~(u64)ENTRY_IA32E_MODE_GUEST);
	vmwrite(GUEST_CR0, vmx_fix_cr0((cr0 & ~(X86_CR0_CD | X86_CR0_NW)) |
				       X86_CR0_NE, true));
	vmwrite(CR0_READ_SHADOW, cr0);
	vmwrite(GUEST_CR4, vmx_fix_cr4(X86_CR4_VMXE));
	vmwrite(CR4_READ_SHADOW, 0);
	vmwrite(GUEST_CR3, 0);
	vmwrite(GUEST_IA32_EFER, 0);
	vmwrite(GUEST_DR7, 0x400);
	SEG(SS, 0, 0xffff, AR_REAL_DATA);
	SEG(DS, 0, 0xffff, AR_REAL_DATA);
	SEG(ES, 0, 0xffff, AR_REAL_DATA);
	SEG(FS, 0, 0xffff, AR_REAL_DATA);
	SEG(GS, 0, 0xffff, AR_REAL_DATA);
	SEG(CS, (u16)(vector << 8), 0xffff, AR_REAL_CODE);
	vmwrite(GUEST_CS_BASE, (u64)vector << 12);
	SEG(TR, 0, 0xffff, AR_TSS_BUSY);
	SEG(LDTR, 0, 0xffff, AR_LDT);
	vmwrite(GUEST_GDTR_BASE, 0);
	vmwrite(GUEST_GDTR_LIMIT, 0xffff);
	vmwrite(GUEST_IDTR_BASE, 0);
	vmwrite(GUEST_IDTR_LIMIT, 0xffff);
	vmwrite(GUEST_RSP, 0);
	vmwrite(GUEST_RIP, 0);
	vmwrite(GUEST_RFLAGS, 0x2);
	vmwrite(GUEST_INTERRUPTIBILITY_INFO, 0);
	vmwrite(GUEST_ACTIVITY_STATE, GUEST_ACTIVITY_ACTIVE);
	vmwrite(GUEST_PENDING_DBG_EXCEPTIONS, 0);
	vmwrite(VM_ENTRY_INTR_INFO_FIELD, 0);
	vmwrite(GUEST_SYSENTER_CS, 0);
	vmwrite(GUEST_SYSENTER_ESP, 0);
	vmwrite(GUEST_SYSENTER_EIP, 0);
	cpuid_count(1, 0, &a, &b, &c, &d);
	v->regs = (struct vcpu_regs){ .rdx = a };
}

void vmcs_setup(struct vcpu *v)
{
	vmcs_setup_controls(v);
	vmcs_setup_guest(v);
}
