// SPDX-License-Identifier: MIT
/*
 * The VM layer's side of each vCPU's local APIC (vmm/dev/lapic.h): where
 * its xAPIC page and x2APIC MSRs are reached from the exits, how an IPI
 * or an IOAPIC message finds the APICs it names, INIT and SIPI (KVM's
 * kvm_apic_accept_events()), and the APIC timer's clock: the VMX
 * preemption timer while the vCPU runs, a timed sleep while it halts.
 *
 * Locks: each LAPIC has its own (lapic.lock); a sender takes the
 * receivers' one at a time, never two at once, and the IOAPIC's lock
 * comes before any LAPIC's.
 */
#include "vmm/vcpu_lapic.h"
#include "vmm/guest_report.h"
#include "vmm/vcpu_kick.h"
#include "vmm/vmcs_setup.h"
#include "vmm/exit_codes.h"
#include "vmm/dev/dev_host.h"
#include "vmm/vmx/vmx_caps.h"
#include "vmm/vmx/vmcs_fields.h"
#include "arch/x86/cpu.h"
#include "arch/x86/lapic.h"
#include "arch/x86/vmx.h"
#include "kernel/log.h"
#include "kernel/thread.h"

static void vcpu_apic_kick(struct kvm_lapic *apic)
{
	struct vcpu *v = apic->host;

	__atomic_store_n(&v->irq_pending, true, __ATOMIC_RELEASE);
	/*
	 * The vCPU's own exit handler (a TPR, EOI or timer write): the flag
	 * is enough, the run loop looks before it re-enters.
	 */
	if (READ_ONCE(v->thread) == current_thread())
		return;
	vcpu_kick(v);
}

/* The APIC timer runs on the guest's TSC (host TSC + offset). */
static u64 vcpu_apic_tsc_now(struct kvm_lapic *apic)
{
	return vcpu_guest_tsc(apic->host);
}

static void route(struct guest *g, struct kvm_lapic *src, unsigned int sh,
		  u32 dest, bool logical, unsigned int dm, u8 vector,
		  bool level)
{
	struct kvm_lapic *best = NULL;

	if (dm == APIC_DM_LOWEST && sh == APIC_SH_NONE) {
		/* Lowest priority: the named APIC with the lowest PPR. */
		for (unsigned int i = 0; i < g->nr_vcpus; i++) {
			struct kvm_lapic *a = &g->vcpus[i]->lapic;

			if (lapic_match_dest(a, src, sh, dest, logical) &&
			    (!best || lapic_ppr(a) < lapic_ppr(best)))
				best = a;
		}
		if (best)
			lapic_accept_irq(best, APIC_DM_FIXED, vector, level);
		return;
	}
	for (unsigned int i = 0; i < g->nr_vcpus; i++) {
		struct kvm_lapic *a = &g->vcpus[i]->lapic;

		if (lapic_match_dest(a, src, sh, dest, logical))
			lapic_accept_irq(a, dm, vector, level);
	}
}

static void vcpu_apic_send_ipi(struct kvm_lapic *apic, u32 icr, u32 dest)
{
	struct vcpu *v = apic->host;
	unsigned int dm = (icr >> APIC_ICR_DM_SHIFT) & 7;
	unsigned int sh = (icr >> APIC_ICR_SHORTHAND_SHIFT) & 3;

	/* INIT level de-assert (the 82489DX's arbitration-id sync): no-op. */
	if (dm == APIC_DM_INIT && (icr & APIC_ICR_LEVEL) &&
	    !(icr & APIC_ICR_ASSERT))
		return;
	v->lapic_ipis_sent++;
	route(v->guest, apic, sh, dest, icr & APIC_ICR_LOGICAL, dm,
	      icr & APIC_ICR_VECTOR,
	      dm == APIC_DM_FIXED && (icr & APIC_ICR_LEVEL));
}

static void vcpu_apic_eoi_level(struct kvm_lapic *apic, u8 vector)
{
	struct vcpu *v = apic->host;

	ioapic_eoi(&v->guest->ioapic, vector);
}

static const struct lapic_host_ops vcpu_lapic_ops = {
	.kick = vcpu_apic_kick,
	.send_ipi = vcpu_apic_send_ipi,
	.eoi_level = vcpu_apic_eoi_level,
	.tsc_now = vcpu_apic_tsc_now,
};

void guest_apic_deliver(struct guest *g, u32 dest, bool logical,
			unsigned int dm, u8 vector, bool level)
{
	route(g, NULL, APIC_SH_NONE, dest, logical, dm, vector, level);
}

void vcpu_lapic_init(struct vcpu *v)
{
	lapic_init(&v->lapic, v->index, v->index == 0, true, &vcpu_lapic_ops,
		   v);
	/* KVM's min_timer_period_us: 200 us. */
	v->lapic.min_period = tsc_hz() / 5000;
	v->mp_state = VCPU_MP_RUNNABLE;
}

bool vcpu_lapic_mmio(struct vcpu *v, u64 gpa, unsigned int size, bool write,
		     u64 *val)
{
	struct kvm_lapic *a = &v->lapic;
	u64 base = lapic_mmio_base(a);

	/* Only in xAPIC mode is the page there; else the bus answers. */
	if (lapic_mode(a) != LAPIC_MODE_XAPIC || gpa < base ||
	    gpa + size > base + 0x1000)
		return false;
	if (write)
		lapic_mmio_write(a, gpa - base, size, *val);
	else
		lapic_mmio_read(a, gpa - base, size, val);
	return true;
}

int vcpu_lapic_rdmsr(struct vcpu *v, u32 msr, u64 *val)
{
	struct kvm_lapic *a = &v->lapic;

	if (msr == LAPIC_MSR_APIC_BASE) {
		*val = READ_ONCE(a->apic_base);
		return 1;
	}
	if (msr == LAPIC_MSR_TSC_DEADLINE) {
		*val = lapic_get_tsc_deadline(a);
		return 1;
	}
	if (msr >= APIC_X2APIC_MSR_BASE && msr <= APIC_X2APIC_MSR_LAST)
		return lapic_x2apic_read(a, msr, val) ? 1 : -1;
	return 0;
}

int vcpu_lapic_wrmsr(struct vcpu *v, u32 msr, u64 val)
{
	struct kvm_lapic *a = &v->lapic;
	static unsigned int phys_bits;

	if (msr == LAPIC_MSR_APIC_BASE) {
		if (!phys_bits)
			phys_bits = cpu_maxphyaddr();
		return lapic_set_base(a, val, phys_bits) ? 1 : -1;
	}
	if (msr == LAPIC_MSR_TSC_DEADLINE) {
		lapic_set_tsc_deadline(a, val);
		return 1;
	}
	if (msr >= APIC_X2APIC_MSR_BASE && msr <= APIC_X2APIC_MSR_LAST)
		return lapic_x2apic_write(a, msr, val) ? 1 : -1;
	return 0;
}

/*
 * Does every vCPU that still runs wait for a SIPI no one can send? Then
 * the guest is over: nothing will ever start them (KVM would leave such
 * a VM to its user; here the guest's run must end).
 */
void guest_check_all_parked(struct guest *g)
{
	unsigned int parked = 0;

	for (unsigned int i = 0; i < g->nr_vcpus; i++) {
		struct vcpu *o = g->vcpus[i];

		if (__atomic_load_n(&o->state, __ATOMIC_ACQUIRE) !=
		    VCPU_STATE_RUNNING)
			continue;
		if (READ_ONCE(o->mp_state) != VCPU_MP_INIT_RECEIVED ||
		    (READ_ONCE(o->lapic.pending_events) & LAPIC_EV_SIPI))
			return;
		parked++;
	}
	if (parked && !READ_ONCE(g->dead)) {
		pr_info("guest %s: the %u vCPU(s) left wait for a SIPI that "
			"nothing can send: stopping them\n", g->name, parked);
		guest_kick_all(g);
	}
}

/*
 * INIT and SIPI, on the vCPU's thread with its VMCS current (KVM's
 * kvm_apic_accept_events()): INIT resets the LAPIC and waits for SIPI;
 * a SIPI to a waiting vCPU starts it in real mode at vector << 12; one to
 * a running vCPU is ignored (SDM 8.4.4.1). VCPU_RESUME, or
 * VCPU_WAIT_SIPI when the vCPU is to sleep until one comes.
 */
int vcpu_lapic_accept_events(struct vcpu *v)
{
	struct kvm_lapic *a = &v->lapic;
	unsigned long ev = __atomic_exchange_n(&a->pending_events, 0,
					       __ATOMIC_ACQ_REL);

	if (ev & LAPIC_EV_INIT) {
		lapic_init_reset(a);
		v->nr_init++;
		WRITE_ONCE(v->mp_state, VCPU_MP_INIT_RECEIVED);
	}
	if ((ev & LAPIC_EV_SIPI) && v->mp_state == VCPU_MP_INIT_RECEIVED) {
		vmcs_setup_sipi(v, READ_ONCE(a->sipi_vector));
		v->nr_sipi++;
		WRITE_ONCE(v->mp_state, VCPU_MP_RUNNABLE);
	}
	if (v->mp_state == VCPU_MP_INIT_RECEIVED) {
		/* A dead guest's waiters stop rather than wait again. */
		if (READ_ONCE(v->guest->dead))
			return VCPU_STOP;
		guest_check_all_parked(v->guest);
		return VCPU_WAIT_SIPI;
	}
	return VCPU_RESUME;
}

u64 vcpu_lapic_timer_sleep_ns(struct vcpu *v)
{
	u64 next = lapic_timer_next(&v->lapic), now = vcpu_guest_tsc(v);

	if (!next)
		return 0;
	/* Rounded up: waking early would only sleep again. */
	return next > now ? tsc_to_ns(next - now) + 1 : 1;
}

/*
 * Times here are the guest's TSC (slice_end_tsc too).
 *
 * Before an entry, interrupts off, VMCS current: fire a due APIC timer
 * (its vector is then delivered by this same entry) and make the
 * preemption timer end the guest's run no later than the next expiry,
 * remembering where the slice itself ends.
 */
void vcpu_lapic_timer_sync(struct vcpu *v)
{
	u64 next = lapic_timer_next(&v->lapic), now, target, ticks;

	if (!next && !v->slice_end_tsc)
		return;
	now = vcpu_guest_tsc(v);
	if (next && now >= next) {
		lapic_timer_check(&v->lapic, now);
		next = lapic_timer_next(&v->lapic);
	}
	if (!v->slice_end_tsc) {
		if (!next)
			return;
		v->slice_end_tsc = now + ((u64)vmread(VMX_PREEMPTION_TIMER_VALUE)
					  << vmx_caps.preempt_shift);
	}
	target = next && next < v->slice_end_tsc ? next : v->slice_end_tsc;
	ticks = target > now ? (target - now) >> vmx_caps.preempt_shift : 0;
	vmwrite(VMX_PREEMPTION_TIMER_VALUE, ticks > 0xffffffffULL ?
		0xffffffffU : (u32)ticks);
}

bool vcpu_lapic_timer_exit(struct vcpu *v)
{
	u64 now;

	if (!v->slice_end_tsc)
		return false;
	now = vcpu_guest_tsc(v);
	if (now >= v->slice_end_tsc) {
		v->slice_end_tsc = 0;
		return false;
	}
	lapic_timer_check(&v->lapic, now);
	return true;
}

bool vcpu_lapic_wants_attention(struct vcpu *v)
{
	struct kvm_lapic *a = &v->lapic;
	u64 next = lapic_timer_next(a);

	return READ_ONCE(a->nmi_pending) || READ_ONCE(a->pending_events) ||
	       lapic_has_irr(a) || (next && vcpu_guest_tsc(v) >= next);
}
