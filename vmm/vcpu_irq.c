// SPDX-License-Identifier: MIT
/*
 * Injecting events into a guest: NMIs and vectors from its local APIC
 * (vmm/dev/lapic.h, which decides by priority what comes next), and the
 * vectors of the test interrupt controller.
 *
 * The test controller's vcpu->irr is a 256-bit request register that
 * vcpu_queue_interrupt() sets from any CPU (HC_INJECT, ktests), delivered
 * ahead of the LAPIC's as an ExtINT source would be. LAPIC vectors are
 * taken by the INTA, lapic_ack_interrupt(), only when one will surely go
 * in. Before each VM entry the run loop, seeing a bit set, delivers the
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
#include "vmm/vcpu_lapic.h"
#include "vmm/exit_codes.h"
#include "vmm/exit_handlers.h"
#include "vmm/vmx/vmcs_fields.h"
#include "vmm/vmx/vmx_caps.h"
#include "arch/x86/cpu.h"
#include "arch/x86/interrupts.h"
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
 * The 8259's INT, wired to vCPU 0 (virtual wire: LINT0 as ExtINT). It
 * reaches the CPU while that LAPIC is globally disabled or its LVT0 is
 * unmasked ExtINT (KVM's kvm_apic_accept_pic_intr()); pic8259_ack() is
 * the INTA cycle, run at injection as KVM does, so a request that
 * vanished meanwhile gives the PIC's spurious vector, as on hardware.
 */
static bool vcpu_pic_pending(struct vcpu *v)
{
	u32 lvt0;

	if (v->index != 0 || !pic8259_has_intr(&v->guest->pic))
		return false;
	if (lapic_mode(&v->lapic) == LAPIC_MODE_DISABLED)
		return true;
	lvt0 = lapic_peek(&v->lapic, APIC_LVT0);
	return !(lvt0 & APIC_LVT_MASKED) &&
	       ((lvt0 >> 8) & 7) == APIC_DM_EXTINT;
}

/*
 * What wakes a halted vCPU or must be looked at before the next entry:
 * a test-controller vector, the PIC's INT, or anything at its LAPIC (a
 * vector above PPR, an NMI, INIT/SIPI, a due timer).
 */
bool vcpu_interrupt_requested(struct vcpu *v)
{
	return irr_highest(v) >= 0 || vcpu_pic_pending(v) ||
	       vcpu_lapic_wants_attention(v);
}

/* A vector the guest would take now if RFLAGS.IF allowed it. */
static bool ext_intr_requested(struct vcpu *v)
{
	return irr_highest(v) >= 0 || vcpu_pic_pending(v) ||
	       lapic_pending_vector(&v->lapic) >= 0;
}

/* Turn one primary processor-based control on or off (VMCS current). */
static void set_proc_ctl(u32 bit, bool on)
{
	u32 ctl = (u32)vmread(CPU_BASED_VM_EXEC_CONTROL);
	u32 want = on ? ctl | bit : ctl & ~bit;

	if (want != ctl)
		vmwrite(CPU_BASED_VM_EXEC_CONTROL, want);
}

static void set_window_exiting(bool on)
{
	set_proc_ctl(CPU_INTR_WINDOW_EXITING, on);
}

/* Still something to deliver after this entry: look again at the next. */
static void keep_pending(struct vcpu *v, bool window)
{
	set_window_exiting(window);
	__atomic_store_n(&v->irq_pending, true, __ATOMIC_RELAXED);
}

static void inject(struct vcpu *v, u32 info)
{
	vmwrite(VM_ENTRY_INTR_INFO_FIELD, info | INTR_INFO_VALID);
}

static void set_nmi_window_exiting(bool on)
{
	set_proc_ctl(CPU_NMI_WINDOW_EXITING, on);
}

/*
 * A pending NMI that cannot go in now: NMI-window exiting (with virtual
 * NMIs) exits as soon as the guest can take one - after its IRET, or
 * after the STI/MOV-SS shadow. Without it the next exit tries again, at
 * the latest the end of the slice.
 */
static void wait_nmi_window(struct vcpu *v)
{
	if (vmx_caps.pin_ctl & PIN_VIRTUAL_NMIS)
		set_nmi_window_exiting(true);
	__atomic_store_n(&v->irq_pending, true, __ATOMIC_RELAXED);
}

/*
 * An NMI from the LAPIC, unless one is being handled (NMI blocking) or
 * an STI/MOV-SS shadow is on (see wait_nmi_window). True when one was
 * injected.
 */
static bool deliver_nmi(struct vcpu *v, u32 intr_state)
{
	/*
	 * The CPU latches one NMI while another is in service: with the
	 * guest NMI-blocked, at most one stays pending; otherwise two (one
	 * to inject now, one latched behind it), as KVM's process_nmi().
	 */
	unsigned int limit = intr_state & GUEST_INTR_NMI_BLOCKING ? 1 : 2;
	unsigned int n = READ_ONCE(v->lapic.nmi_pending);

	while (n > limit &&
	       !__atomic_compare_exchange_n(&v->lapic.nmi_pending, &n, limit,
					    false, __ATOMIC_ACQ_REL,
					    __ATOMIC_RELAXED))
		;
	if (n > limit)
		n = limit;

	if (!n || (intr_state & (GUEST_INTR_STI_BLOCKING |
				 GUEST_INTR_MOVSS_BLOCKING |
				 GUEST_INTR_NMI_BLOCKING)))
		return false;
	__atomic_fetch_sub(&v->lapic.nmi_pending, 1, __ATOMIC_ACQ_REL);
	inject(v, X86_VEC_NMI | INTR_TYPE_NMI);
	v->nr_nmi_injected++;
	return true;
}

/* Called by the run loop before entry, with the VMCS current. */
void vcpu_deliver_interrupt(struct vcpu *v)
{
	u32 intr_state;
	int vector;

	__atomic_store_n(&v->irq_pending, false, __ATOMIC_RELAXED);
	/* Re-read the sources after clearing the flag: no request is lost. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (vmread(VM_ENTRY_INTR_INFO_FIELD) & INTR_INFO_VALID) {
		/*
		 * An event is already going in: the rest waits for the
		 * window after it (its delivery is progress, so the window
		 * exit cannot livelock the guest).
		 */
		if (ext_intr_requested(v))
			keep_pending(v, true);
		else if (READ_ONCE(v->lapic.nmi_pending))
			wait_nmi_window(v);
		return;
	}
	intr_state = (u32)vmread(GUEST_INTERRUPTIBILITY_INFO);
	if (deliver_nmi(v, intr_state)) {
		set_nmi_window_exiting(false);
		if (ext_intr_requested(v))
			keep_pending(v, true);
		if (READ_ONCE(v->lapic.nmi_pending))
			wait_nmi_window(v);
		return;
	}
	if (READ_ONCE(v->lapic.nmi_pending))
		wait_nmi_window(v);
	vector = irr_highest(v);
	if (vector < 0 && !vcpu_pic_pending(v) &&
	    lapic_pending_vector(&v->lapic) < 0) {
		set_window_exiting(false);
		return;
	}
	if (!(vmread(GUEST_RFLAGS) & X86_RFLAGS_IF) ||
	    (intr_state & (GUEST_INTR_STI_BLOCKING | GUEST_INTR_MOVSS_BLOCKING))) {
		/* Not now: exit as soon as the guest can take it. */
		keep_pending(v, true);
		return;
	}
	if (vector >= 0) {
		/* The test controller's vectors come as the PIC's would. */
		__atomic_and_fetch(&v->irr[vector / 64],
				   ~(1ULL << (vector % 64)), __ATOMIC_ACQ_REL);
	} else if (vcpu_pic_pending(v)) {
		/* ExtINT: the PIC supplies the vector, no LAPIC priority. */
		vector = pic8259_ack(&v->guest->pic);
	} else {
		/* The INTA cycle: IRR to ISR; none if PPR rose meanwhile. */
		vector = lapic_ack_interrupt(&v->lapic);
		if (vector < 0) {
			set_window_exiting(false);
			return;
		}
	}
	inject(v, (u32)vector | INTR_TYPE_EXT_INTR);
	v->nr_injected_irqs++;
	/* More requests wait for the next window. */
	if (ext_intr_requested(v))
		keep_pending(v, true);
	else
		set_window_exiting(false);
	if (READ_ONCE(v->lapic.nmi_pending))
		wait_nmi_window(v);
}

/* The guest can take an NMI now: the next entry delivers it. */
int handle_nmi_window(struct vcpu *v)
{
	set_nmi_window_exiting(false);
	__atomic_store_n(&v->irq_pending, true, __ATOMIC_RELAXED);
	return VCPU_RESUME;
}

/*
 * Exit as soon as the guest can take an interrupt (IF=1, no shadow, no
 * event going in), for an event that is not an interrupt: a "not
 * present" the async-PF race hook owes (vcpu_apf.c).
 */
void vcpu_request_interrupt_window(struct vcpu *v)
{
	(void)v;
	set_window_exiting(true);
}

/* The guest can take an interrupt now: the next entry delivers it. */
int handle_interrupt_window(struct vcpu *v)
{
	set_window_exiting(false);
	__atomic_store_n(&v->irq_pending, true, __ATOMIC_RELAXED);
	return VCPU_RESUME;
}
