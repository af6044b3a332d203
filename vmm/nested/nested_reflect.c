// SPDX-License-Identifier: MIT
/*
 * An exit from L2: L1's or L0's? (KVM's nested_vmx_reflect_vmexit.) An
 * exit goes to L1 when VMCS12's controls ask for it - the exception
 * bitmap, the I/O and MSR bitmaps, HLT and the other instruction
 * exits, the CR masks, the interrupt/NMI windows - or when L1 always
 * gets it (CPUID, VMCALL, the VMX instructions, a triple fault). External
 * interrupts, NMIs and the preemption timer are L0's, and so is an EPT
 * violation unless its cause is in L1's EPT12 (nested_ept_violation()).
 * What L0 handles it handles with its ordinary handlers on VMCS02, and
 * L2 resumes.
 */
#include "vmm/nested/nested.h"
#include "vmm/vcpu_nested.h"
#include "vmm/exit_handlers.h"
#include "vmm/guest_mem.h"
#include "vmm/guest_report.h"
#include "vmm/vcpu.h"
#include "vmm/vmx/vmcs_fields.h"
#include "vmm/vmx/vmx_names.h"
#include "vmm/mmu/shadow_ept.h"
#include "vmm/mmu/ept12_walk.h"
#include "vmm/exit_mmio.h"
#include "arch/x86/cpu.h"
#include "arch/x86/vmx.h"
#include "kernel/log.h"

/* One bit of an L1 bitmap page at L1 GPA @page; unreadable: set. */
static bool l1_bitmap_bit(struct vcpu *v, u64 page, u32 bit)
{
	u8 byte;

	if (!guest_read(v->guest, page + bit / 8, &byte, 1))
		return true;
	return byte & (1U << (bit % 8));
}

/* SDM 25.1.3: does any byte of the access hit a set bit of L1's bitmaps? */
static bool l1_wants_io(struct vcpu *v, const struct vmcs12 *vmcs12, u64 qual)
{
	u32 proc = vmcs12->cpu_based_vm_exec_control;
	unsigned int size = (qual & 7) + 1;
	u32 port = (u32)(qual >> 16);

	if (!(proc & CPU_USE_IO_BITMAPS))
		return proc & CPU_UNCOND_IO_EXITING;
	for (unsigned int i = 0; i < size; i++) {
		u32 p = port + i;

		if (p > 0xffff)		/* wraps around: always exits */
			return true;
		if (l1_bitmap_bit(v, p < 0x8000 ? vmcs12->io_bitmap_a :
					       vmcs12->io_bitmap_b, p & 0x7fff))
			return true;
	}
	return false;
}

/* SDM 25.1.3: the MSR bitmap's four 1-KiB quarters. */
static bool l1_wants_msr(struct vcpu *v, const struct vmcs12 *vmcs12,
			 bool write)
{
	u32 msr = (u32)v->regs.rcx, base = write ? 0x800 : 0;

	if (!(vmcs12->cpu_based_vm_exec_control & CPU_USE_MSR_BITMAPS))
		return true;
	if (msr >= 0xc0000000 && msr <= 0xc0001fff)
		base += 0x400, msr -= 0xc0000000;
	else if (msr > 0x1fff)
		return true;
	return l1_bitmap_bit(v, vmcs12->msr_bitmap + base, msr);
}

static u64 l2_gpr(struct vcpu *v, unsigned int nr)
{
	return nr == 4 ? vmread(GUEST_RSP) : ((u64 *)&v->regs)[nr];
}

#define CR0_TS		BIT(3)

/* SDM 25.1.3 for MOV to/from CR, CLTS, LMSW. */
static bool l1_wants_cr(struct vcpu *v, const struct vmcs12 *vmcs12, u64 qual)
{
	unsigned int cr = qual & 15, type = (qual >> 4) & 3;
	u32 proc = vmcs12->cpu_based_vm_exec_control;
	u64 val = l2_gpr(v, (qual >> 8) & 15);
	u64 mask0 = vmcs12->cr0_guest_host_mask, sh0 = vmcs12->cr0_read_shadow;

	switch (type) {
	case 0:			/* MOV to CR */
		if (cr == 0)
			return (val ^ sh0) & mask0;
		if (cr == 4)
			return (val ^ vmcs12->cr4_read_shadow) &
			       vmcs12->cr4_guest_host_mask;
		if (cr == 3)
			return proc & CPU_CR3_LOAD_EXITING;
		return cr == 8 && (proc & CPU_CR8_LOAD_EXITING);
	case 1:			/* MOV from CR */
		if (cr == 3)
			return proc & CPU_CR3_STORE_EXITING;
		return cr == 8 && (proc & CPU_CR8_STORE_EXITING);
	case 2:			/* CLTS */
		return (mask0 & CR0_TS) && (sh0 & CR0_TS);
	default:		/* LMSW: the source is in bits 31:16 */
		val = (qual >> 16) & 0xffff;
		return ((val ^ sh0) & mask0 & 0xe) ||
		       ((mask0 & X86_CR0_PE) && !(sh0 & X86_CR0_PE) &&
			(val & X86_CR0_PE));
	}
}

/* Is this exit L1's? */
static bool l1_wants_exit(struct vcpu *v, const struct vmcs12 *vmcs12,
			  u32 reason)
{
	u32 proc = vmcs12->cpu_based_vm_exec_control;

	switch (reason) {
	case EXIT_REASON_EXCEPTION_NMI:
		/* NMIs are the host's; an exception exits only on L1's bitmap. */
		return (vmread(VM_EXIT_INTR_INFO) & INTR_TYPE_MASK) !=
		       INTR_TYPE_NMI;
	case EXIT_REASON_EXTERNAL_INTERRUPT:
	case EXIT_REASON_PREEMPTION_TIMER:
	case EXIT_REASON_EPT_VIOLATION:
	case EXIT_REASON_EPT_MISCONFIG:
		return false;
	case EXIT_REASON_INTERRUPT_WINDOW:
		return proc & CPU_INTR_WINDOW_EXITING;
	case EXIT_REASON_NMI_WINDOW:
		return proc & CPU_NMI_WINDOW_EXITING;
	case EXIT_REASON_HLT:
		return proc & CPU_HLT_EXITING;
	case EXIT_REASON_IO_INSTRUCTION:
		return l1_wants_io(v, vmcs12, vmread(EXIT_QUALIFICATION));
	case EXIT_REASON_MSR_READ:
		return l1_wants_msr(v, vmcs12, false);
	case EXIT_REASON_MSR_WRITE:
		return l1_wants_msr(v, vmcs12, true);
	case EXIT_REASON_CR_ACCESS:
		return l1_wants_cr(v, vmcs12, vmread(EXIT_QUALIFICATION));
	case EXIT_REASON_MWAIT_INSTRUCTION:
		return proc & CPU_MWAIT_EXITING;
	case EXIT_REASON_MONITOR_INSTRUCTION:
		return proc & CPU_MONITOR_EXITING;
	default:
		/*
		 * Everything else exits only because VMCS12 asked (the
		 * instruction exits L0 does not use: INVLPG, RDTSC, MOV DR,
		 * PAUSE, WBINVD...) or always goes to L1 (CPUID, VMCALL,
		 * INVD, GETSEC, XSETBV, the VMX instructions, triple fault).
		 */
		return true;
	}
}

int nested_vmx_l2_exit(struct vcpu *v, u32 reason)
{
	struct nested_vcpu *nv = v->nested;

	if (!l1_wants_exit(v, &nv->vmx.cached_vmcs12, reason))
		return NESTED_L0_HANDLES;
	return nested_vmx_vmexit(v, nv, reason, vmread(EXIT_QUALIFICATION),
				 true);
}

bool vcpu_nested_ept12(struct vcpu *v)
{
	return vcpu_in_guest_mode(v) && nested_uses_ept12(v->nested);
}

/*
 * An EPT violation while L2 runs through EPT02: the shadow EPT MMU maps
 * it (L2 resumes), or its cause is in EPT12 and L1 gets the EPT
 * violation or misconfiguration with the qualification and L2's
 * guest-physical address that its own EPT12 gives.
 */
int nested_ept_violation(struct vcpu *v)
{
	struct nested_vcpu *nv = v->nested;
	struct shadow_ept_exit e = { 0 };
	u64 gpa = vmread(GUEST_PHYSICAL_ADDRESS);
	u64 qual = vmread(EXIT_QUALIFICATION);
	char why[128];
	int r;

	r = kvm_shadow_ept_page_fault(&v->guest->vm, &nv->mmu02, gpa, qual, &e);
	if (r == RET_PF_NESTED_EXIT) {
		r = nested_vmx_vmexit(v, nv, e.exit_reason, e.exit_qual, true);
		nv->vmx.cached_vmcs12.guest_physical_address = e.gpa;
		if (e.exit_reason == EXIT_REASON_EPT_MISCONFIG)
			nv->vmx.cached_vmcs12.guest_linear_address = 0;
		return r;
	}
	if (r == RET_PF_FIXED || r == RET_PF_SPURIOUS || r == RET_PF_RETRY) {
		vcpu_reinject_idt_vectoring(v);
		return VCPU_RESUME;
	}
	/*
	 * EPT12 lets L2 reach a device of L1's (its LAPIC page, say): the
	 * access is emulated on L1's device bus at the L1 address, with
	 * L2's instruction and registers (the decoder reads L2's code and
	 * page tables through EPT12: vcpu_guest_read()).
	 */
	if (r == RET_PF_EMULATE)
		return handle_mmio(v, e.gpa, qual);
	ksnprintf(why, sizeof(why),
		  "L2 EPT violation at gpa %#lx (L1 %#lx): the shadow EPT MMU "
		  "failed (%d)", gpa, e.gpa, r);
	guest_kill(v->guest, why);
	return VCPU_STOP;
}

bool nested_gpa_to_l1(struct vcpu *v, u64 gpa, u64 *l1_gpa)
{
	struct nested_vcpu *nv = v->nested;
	struct kvm_mmu_page *root;
	struct ept12_walker w;
	struct vm *vm = &v->guest->vm;
	bool ok;

	if (!nv || !nv->guest_mode || !nested_uses_ept12(nv)) {
		*l1_gpa = gpa;
		return true;
	}
	/* mmu_lock keeps L1's tables from being reclaimed under the walk. */
	read_lock(&vm->mmu_lock);
	root = nv->mmu02.root;
	ok = root && ept12_walk(vm, root->gfn, false, gpa, 0, &w) == EPT12_OK;
	read_unlock(&vm->mmu_lock);
	if (ok)
		*l1_gpa = ((u64)w.gfn << PAGE_SHIFT) | (gpa & (PAGE_SIZE - 1));
	return ok;
}
