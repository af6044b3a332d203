// SPDX-License-Identifier: MIT
/*
 * Injecting external interrupts into a guest.
 *
 * vcpu->irr is a 256-bit "interrupt request register" as a LAPIC's:
 * vcpu_queue_interrupt() sets a vector's bit from any CPU and kicks the
 * vCPU. Before each VM entry the run loop, seeing a bit set, delivers the
 * highest vector if the guest can take it now (RFLAGS.IF=1, no STI/MOV-SS
 * shadow, no other event being injected); otherwise it turns on
 * interrupt-window exiting, whose exit (handle_interrupt_window) comes as
 * soon as the guest can, and the next entry delivers it. KVM does the
 * same with its pending-interrupt request.
 *
 * A vCPU halted by HLT (IF=1) sleeps until an IRR bit is set: the kick in
 * vcpu_queue_interrupt() wakes it (vcpu_wake_up()) after the bit is set,
 * and the halted thread reads the IRR after joining its wait queue, so a
 * request from another CPU or an interrupt handler is never missed.
 */
#include "vmm/vcpu_kick.h"
#include "vmm/vcpu_irq.h"
#include "vmm/exit_codes.h"
#include "vmm/exit_handlers.h"
#include "vmm/vmx/vmcs_fields.h"
#include "arch/x86/cpu.h"
#include "arch/x86/vmx.h"
#include "vmm/dev/pic8259.h"

void vcpu_queue_interrupt(struct vcpu *v, u8 vector)
{
	__atomic_or_fetch(&v->irr[vector / 64], 1ULL << (vector % 64),
			  __ATOMIC_RELEASE);
	__atomic_store_n(&v->irq_pending, true, __ATOMIC_RELEASE);
	vcpu_kick(v);
}

/* Highest requested vector, or -1. */
static int irr_highest(struct vcpu *v)
{
	for (int i = 3; i >= 0; i--) {
		u64 w = __atomic_load_n(&v->irr[i], __ATOMIC_ACQUIRE);

		if (w)
			return i * 64 + 63 - __builtin_clzll(w);
	}
	return -1;
}

/*
 * The 8259's INT, wired to vCPU 0 only (virtual wire: LINT0 as ExtINT).
 * It is taken when no IRR vector waits; pic8259_ack() is the INTA cycle,
 * run at injection as KVM does, so a request that vanished meanwhile
 * gives the PIC's spurious vector, as on hardware.
 */
static bool vcpu_pic_pending(struct vcpu *v)
{
	return v->index == 0 && pic8259_has_intr(&v->guest->pic);
}

bool vcpu_interrupt_requested(struct vcpu *v)
{
	return irr_highest(v) >= 0 || vcpu_pic_pending(v);
}

static void set_window_exiting(bool on)
{
	u32 ctl = (u32)vmread(CPU_BASED_VM_EXEC_CONTROL);
	u32 want = on ? ctl | CPU_INTR_WINDOW_EXITING
		      : ctl & ~CPU_INTR_WINDOW_EXITING;

	if (want != ctl)
		vmwrite(CPU_BASED_VM_EXEC_CONTROL, want);
}

/* Called by the run loop before entry, with the VMCS current. */
void vcpu_deliver_interrupt(struct vcpu *v)
{
	int vector;

	__atomic_store_n(&v->irq_pending, false, __ATOMIC_RELAXED);
	/* Re-read the IRR after clearing the flag: no request is lost. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	vector = irr_highest(v);
	if (vector < 0 && !vcpu_pic_pending(v)) {
		set_window_exiting(false);
		return;
	}
	if ((vmread(VM_ENTRY_INTR_INFO_FIELD) & INTR_INFO_VALID) ||
	    !(vmread(GUEST_RFLAGS) & X86_RFLAGS_IF) ||
	    (vmread(GUEST_INTERRUPTIBILITY_INFO) &
	     (GUEST_INTR_STI_BLOCKING | GUEST_INTR_MOVSS_BLOCKING))) {
		/* Not now: exit as soon as the guest can take it. */
		set_window_exiting(true);
		__atomic_store_n(&v->irq_pending, true, __ATOMIC_RELAXED);
		return;
	}
	if (vector < 0)
		vector = pic8259_ack(&v->guest->pic);
	else
		__atomic_and_fetch(&v->irr[vector / 64],
				   ~(1ULL << (vector % 64)), __ATOMIC_ACQ_REL);
	vmwrite(VM_ENTRY_INTR_INFO_FIELD,
		(u32)vector | INTR_TYPE_EXT_INTR | INTR_INFO_VALID);
	v->nr_injected_irqs++;
	/* More requests wait for the next window. */
	if (vcpu_interrupt_requested(v)) {
		set_window_exiting(true);
		__atomic_store_n(&v->irq_pending, true, __ATOMIC_RELAXED);
	} else {
		set_window_exiting(false);
	}
}

/* The guest can take an interrupt now: the next entry delivers it. */
int handle_interrupt_window(struct vcpu *v)
{
	set_window_exiting(false);
	__atomic_store_n(&v->irq_pending, true, __ATOMIC_RELAXED);
	return VCPU_RESUME;
}
