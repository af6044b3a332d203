// SPDX-License-Identifier: MIT
/*
 * Exits that need no device model: exceptions and NMIs, external
 * interrupts, the preemption timer, triple fault, HLT, control-register
 * writes, and instructions a guest may not use here (MONITOR/MWAIT,
 * XSETBV, GETSEC: #UD, as on a CPU without the feature, which is what our
 * CPUID says; the VMX instructions are vmm/nested/'s).
 */
#include "vmm/guest_report.h"
#include "vmm/exit_codes.h"
#include "vmm/vcpu_irq.h"
#include "vmm/vcpu_lapic.h"
#include "vmm/vcpu_nested.h"
#include "vmm/vmcs_setup.h"
#include "vmm/exit_handlers.h"
#include "vmm/vmx/vmx_caps.h"
#include "vmm/vmx/vmcs_fields.h"
#include "arch/x86/cpu.h"
#include "arch/x86/interrupts.h"
#include "arch/x86/vmx.h"
#include "kernel/log.h"
#include "kernel/platform.h"
#include "kernel/rcu.h"


int handle_exception_nmi(struct vcpu *v)
{
	u32 info = (u32)vmread(VM_EXIT_INTR_INFO);

	if ((info & INTR_TYPE_MASK) == INTR_TYPE_NMI) {
		/*
		 * The host's NMI arrived in guest mode (NMI exiting) and is
		 * blocked until we deliver it: run the host handler, which
		 * parks this CPU when the kernel stops every CPU.
		 */
		__asm__ __volatile__("int $2" ::: "memory");
		return VCPU_RESUME;
	}
	/* The exception bitmap is 0: nothing else should exit here. */
	return vcpu_exit_fatal(v, "unexpected guest exception");
}

/*
 * The interrupt itself was taken through the host IDT when the run loop
 * enabled interrupts; what is left is to let the scheduler in if it asked.
 */
int handle_external_interrupt(struct vcpu *v)
{
	rcu_note_quiescent_state();
	return need_resched() || READ_ONCE(v->requests) ? VCPU_YIELD
							: VCPU_RESUME;
}

/*
 * The end of a slice: the host CPU goes back to the scheduler. Or, when
 * the timer had been shortened to the guest's APIC timer, that timer's
 * expiry: fire it and go on with the slice.
 */
int handle_preemption_timer(struct vcpu *v)
{
	if (vcpu_lapic_timer_exit(v))
		return VCPU_RESUME;
	rcu_note_quiescent_state();
	return VCPU_YIELD;
}

/*
 * The guest shut down (an exception it could not deliver). The guest
 * dies; its other vCPUs stop at their next exit; other guests go on.
 * The boot judge exempts "guest NAME: killed:" lines from its crash
 * patterns; vmm_boot.c matches "triple fault" in report.death.
 */
int handle_triple_fault(struct vcpu *v)
{
	char why[96];

	ksnprintf(why, sizeof(why), "triple fault (TRIPLE_FAULT exit) on "
		  "vcpu%u at rip %#lx", v->index, vmread(GUEST_RIP));
	guest_kill_on_exit(v->guest, EXIT_REASON_TRIPLE_FAULT, why);
	return VCPU_STOP;
}

/*
 * HLT: the guest waits for an interrupt. The instruction is skipped now,
 * so whatever wakes the vCPU enters the guest after the HLT and the
 * delivered interrupt's handler returns there (the activity state stays
 * "active": a halted vCPU is simply not entered).
 *
 * IF=1: an interrupt already requested is delivered by the next entry
 * (irq_pending set so the run loop looks, even if the requester on
 * another CPU has set the IRR bit but not yet the flag); otherwise the
 * vCPU halts and its thread sleeps (vcpu_halt() in vmm/vcpu_run.c) until an
 * interrupt is requested or the guest dies.
 *
 * IF=0: only an NMI, INIT or SMI could wake it, and we inject none of
 * these, so the vCPU is finished (the usual "cli; hlt" at the end of an
 * AP's work); interrupts queued for it later are ignored.
 */
int handle_hlt(struct vcpu *v)
{
	vcpu_skip_insn(v);
	v->halt_exits++;
	if (!(vmread(GUEST_RFLAGS) & X86_RFLAGS_IF))
		return VCPU_STOP;
	if (vcpu_interrupt_requested(v)) {
		__atomic_store_n(&v->irq_pending, true, __ATOMIC_RELAXED);
		return VCPU_RESUME;
	}
	return VCPU_HALT;
}

int handle_skip(struct vcpu *v)
{
	vcpu_skip_insn(v);
	return VCPU_RESUME;
}

int handle_ud(struct vcpu *v)
{
	vcpu_inject_exception(v, X86_VEC_UD, false, 0);
	return VCPU_RESUME;
}

static u64 *gpr(struct vcpu *v, unsigned int nr)
{
	return &((u64 *)&v->regs)[nr];
}

static u64 read_gpr(struct vcpu *v, unsigned int nr)
{
	return nr == 4 ? vmread(GUEST_RSP) : *gpr(v, nr);
}

static void write_gpr(struct vcpu *v, unsigned int nr, u64 val)
{
	if (nr == 4)
		vmwrite(GUEST_RSP, val);
	else
		*gpr(v, nr) = val;
}

/*
 * MOV to CR0 exits when the guest changes a host-owned bit (NE, CD, NW,
 * PG). Turning paging on with EFER.LME set enters IA-32e mode: EFER.LMA
 * and the IA-32e-mode entry control follow, as the CPU would do.
 */
static int guest_write_cr0(struct vcpu *v, u64 val)
{
	u64 old = vmread(CR0_READ_SHADOW);
	u64 efer = vmread(GUEST_IA32_EFER);
	u32 entry = (u32)vmread(VM_ENTRY_CONTROLS);

	/*
	 * #GP (SDM MOV to CR0): reserved bits, PG without PE, NW without
	 * CD, and clearing PG with CR4.PCIDE set or from 64-bit code.
	 */
	/* In VMX operation PE, PG and NE are fixed to 1 (CR0_FIXED0). */
	if ((vcpu_in_vmx_operation(v) &&
	     (~val & (X86_CR0_PE | X86_CR0_PG | X86_CR0_NE))) ||
	    val >> 32 || ((val & X86_CR0_PG) && !(val & X86_CR0_PE)) ||
	    ((val & X86_CR0_NW) && !(val & X86_CR0_CD)) ||
	    (!(val & X86_CR0_PG) && (old & X86_CR0_PG) &&
	     ((vmread(CR4_READ_SHADOW) & X86_CR4_PCIDE) ||
	      ((efer & EFER_LMA) && (vmread(GUEST_CS_AR_BYTES) & BIT(13)))))) {
		vcpu_inject_exception(v, X86_VEC_GP, true, 0);
		return VCPU_RESUME;
	}
	if ((val & X86_CR0_PG) && !(old & X86_CR0_PG) && (efer & EFER_LME)) {
		if (!(vmread(GUEST_CR4) & X86_CR4_PAE)) {
			vcpu_inject_exception(v, X86_VEC_GP, true, 0);
			return VCPU_RESUME;
		}
		efer |= EFER_LMA;
		entry |= ENTRY_IA32E_MODE_GUEST;
	} else if (!(val & X86_CR0_PG) && (old & X86_CR0_PG)) {
		efer &= ~EFER_LMA;
		entry &= ~ENTRY_IA32E_MODE_GUEST;
	}
	vmwrite(GUEST_IA32_EFER, efer);
	vmwrite(VM_ENTRY_CONTROLS, entry);
	vmwrite(CR0_READ_SHADOW, val);
	/* Caching stays on whatever the guest asks: the host owns CD/NW. */
	vmwrite(GUEST_CR0, vmx_fix_cr0(val & ~(X86_CR0_CD | X86_CR0_NW),
				       true));
	vcpu_skip_insn(v);
	return VCPU_RESUME;
}

/*
 * MOV to CR4 exits when it changes a bit the host checks
 * (vcpu_cr4_host_owned()): #GP for a bit the guest may not set (VMXE
 * unless VMX is offered, OSXSAVE, reserved ones), for clearing VMXE in
 * VMX operation, for clearing PAE in long mode, and for setting
 * PCIDE outside long mode or with CR3[11:0] nonzero (SDM 2.5, 4.10.1).
 */
static int guest_write_cr4(struct vcpu *v, u64 val)
{
	u64 old = vmread(CR4_READ_SHADOW);
	bool lma = vmread(GUEST_IA32_EFER) & EFER_LMA;
	u64 allowed = vcpu_cr4_guest_allowed();

	/* VMXE: only where VMX is offered; fixed to 1 in VMX operation. */
	if (vcpu_nested_vmx_offered(v))
		allowed |= X86_CR4_VMXE;
	if ((val & ~allowed) ||
	    (vcpu_in_vmx_operation(v) && !(val & X86_CR4_VMXE)) ||
	    (lma && !(val & X86_CR4_PAE)) ||
	    ((val & X86_CR4_PCIDE) && !(old & X86_CR4_PCIDE) &&
	     (!lma || (vmread(GUEST_CR3) & 0xfff)))) {
		vcpu_inject_exception(v, X86_VEC_GP, true, 0);
		return VCPU_RESUME;
	}
	vmwrite(CR4_READ_SHADOW, val);
	vmwrite(GUEST_CR4, vmx_fix_cr4(val | X86_CR4_VMXE));
	vcpu_skip_insn(v);
	return VCPU_RESUME;
}

int handle_cr_access(struct vcpu *v)
{
	u64 qual = vmread(EXIT_QUALIFICATION);
	unsigned int cr = qual & 15, type = (qual >> 4) & 3;
	u64 val = read_gpr(v, (qual >> 8) & 15);

	if (type == 0 && cr == 0)
		return guest_write_cr0(v, val);
	if (type == 0 && cr == 4)
		return guest_write_cr4(v, val);
	/*
	 * CR8 is the TPR (64-bit mode): CR8-load/store exiting keep it off
	 * the physical APIC, whose TPR the host needs.
	 */
	if (type == 0 && cr == 8) {
		if (val >> 4) {
			vcpu_inject_exception(v, X86_VEC_GP, true, 0);
			return VCPU_RESUME;
		}
		lapic_set_cr8(&v->lapic, val);
		vcpu_skip_insn(v);
		return VCPU_RESUME;
	}
	if (type == 1 && cr == 8) {
		write_gpr(v, (qual >> 8) & 15, lapic_get_cr8(&v->lapic));
		vcpu_skip_insn(v);
		return VCPU_RESUME;
	}
	return vcpu_exit_fatal(v, "control-register access not emulated");
}

int handle_ept_misconfig(struct vcpu *v)
{
	return vcpu_exit_fatal(v, "EPT misconfiguration (host bug)");
}
