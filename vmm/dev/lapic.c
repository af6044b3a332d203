// SPDX-License-Identifier: MIT
/*
 * The local APIC model (see lapic.h). Register semantics follow SDM
 * volume 3, chapter 10 (11 in newer editions); where the SDM leaves a
 * choice, KVM's lapic.c is the reference and the comment says so.
 */
#include "vmm/dev/lapic.h"

/* Version 0x14 (integrated APIC), six LVT entries (max LVT index 5). */
#define APIC_VERSION		(0x14U | (5U << 16))
#define LVT_NR			6
#define LVT_DM			(7U << 8)
#define LVT_POLARITY		BIT(13)

static const u32 lvt_regs[LVT_NR] = {
	APIC_LVTT, APIC_LVTTHMR, APIC_LVTPC, APIC_LVT0, APIC_LVT1, APIC_LVTERR,
};

/* Writable bits of each LVT register (SDM figure 10-8). */
static u32 lvt_writable(u32 off)
{
	switch (off) {
	case APIC_LVTT:
		return 0xff | APIC_LVT_MASKED | APIC_LVT_TIMER_MODE;
	case APIC_LVT0:
	case APIC_LVT1:
		return 0xff | LVT_DM | LVT_POLARITY | APIC_LVT_LEVEL |
		       APIC_LVT_MASKED;
	case APIC_LVTERR:
		return 0xff | APIC_LVT_MASKED;
	default:		/* thermal, performance counters */
		return 0xff | LVT_DM | APIC_LVT_MASKED;
	}
}

static u32 rd(const struct kvm_lapic *a, u32 off)
{
	return a->regs[off >> 4];
}

static void wr(struct kvm_lapic *a, u32 off, u32 val)
{
	a->regs[off >> 4] = val;
}

/* Highest vector set in the 256-bit register at @base, or -1. */
static int find_highest(const struct kvm_lapic *a, u32 base)
{
	for (int i = 7; i >= 0; i--) {
		u32 w = rd(a, base + 0x10 * i);

		if (w)
			return i * 32 + 31 - __builtin_clz(w);
	}
	return -1;
}

static bool test_vec(const struct kvm_lapic *a, u32 base, u8 vec)
{
	return rd(a, base + 0x10 * (vec >> 5)) & BIT(vec & 31);
}

static void set_vec(struct kvm_lapic *a, u32 base, u8 vec, bool on)
{
	u32 off = base + 0x10 * (vec >> 5);

	if (on)
		wr(a, off, rd(a, off) | BIT(vec & 31));
	else
		wr(a, off, rd(a, off) & ~BIT(vec & 31));
}

static bool sw_enabled(const struct kvm_lapic *a)
{
	return rd(a, APIC_SPIV) & APIC_SPIV_ENABLE;
}

enum lapic_mode lapic_mode(const struct kvm_lapic *a)
{
	if (!(a->apic_base & APIC_BASE_ENABLE))
		return LAPIC_MODE_DISABLED;
	return a->apic_base & APIC_BASE_EXTD ? LAPIC_MODE_X2APIC
					      : LAPIC_MODE_XAPIC;
}

/* PPR: the higher of TPR and the class of the highest in-service vector. */
static u32 compute_ppr(const struct kvm_lapic *a)
{
	u32 tpr = rd(a, APIC_TASKPRI) & 0xff;
	int isrv = find_highest(a, APIC_ISR);
	u32 isr_class = isrv < 0 ? 0 : (u32)isrv & 0xf0;

	return (tpr & 0xf0) >= isr_class ? tpr : isr_class;
}

static void update_ppr(struct kvm_lapic *a)
{
	wr(a, APIC_PROCPRI, compute_ppr(a));
}

static u32 x2apic_ldr(u32 id)
{
	return ((id >> 4) << 16) | BIT(id & 0xf);
}

/* Registers to their reset values; the base MSR and the id stay. */
static void reset_regs(struct kvm_lapic *a)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(a->regs); i++)
		a->regs[i] = 0;
	wr(a, APIC_LVR, APIC_VERSION);
	for (unsigned int i = 0; i < LVT_NR; i++)
		wr(a, lvt_regs[i], APIC_LVT_MASKED);
	/*
	 * The BSP's LINT0 in virtual-wire mode (ExtINT, unmasked), as the
	 * BIOS leaves it and KVM resets it, so that a guest that never
	 * touches its APIC gets the PIC's interrupts.
	 */
	if (a->apic_base & APIC_BASE_BSP)
		wr(a, APIC_LVT0, APIC_DM_EXTINT << 8);
	wr(a, APIC_SPIV, 0xff);
	wr(a, APIC_DFR, 0xffffffff);
	if (lapic_mode(a) == LAPIC_MODE_X2APIC) {
		wr(a, APIC_ID, a->vcpu_id);
		wr(a, APIC_LDR, x2apic_ldr(a->vcpu_id));
	} else {
		wr(a, APIC_ID, a->vcpu_id << 24);
	}
	a->esr_pending = 0;
	a->timer_start = a->timer_target = a->tsc_deadline = 0;
}

void lapic_init(struct kvm_lapic *a, u32 vcpu_id, bool bsp,
		bool x2apic_allowed, const struct lapic_host_ops *ops,
		void *host)
{
	*a = (struct kvm_lapic){
		.vcpu_id = vcpu_id,
		.x2apic_allowed = x2apic_allowed,
		.apic_base = APIC_DEFAULT_PHYS_BASE | APIC_BASE_ENABLE |
			     (bsp ? APIC_BASE_BSP : 0),
		.ops = ops,
		.host = host,
	};
	spin_lock_init(&a->lock, "lapic");
	reset_regs(a);
}

void lapic_init_reset(struct kvm_lapic *a)
{
	unsigned long flags = spin_lock_irqsave(&a->lock);
	u32 id = rd(a, APIC_ID);

	reset_regs(a);
	/* INIT keeps the APIC id (SDM 10.4.7.3), whatever it was set to. */
	wr(a, APIC_ID, id);
	spin_unlock_irqrestore(&a->lock, flags);
}

bool lapic_set_base(struct kvm_lapic *a, u64 val, unsigned int maxphyaddr)
{
	u64 addr_mask = ((1ULL << maxphyaddr) - 1) & ~0xfffULL;
	u64 allowed = APIC_BASE_BSP | APIC_BASE_ENABLE | addr_mask |
		      (a->x2apic_allowed ? APIC_BASE_EXTD : 0);
	unsigned long flags;
	enum lapic_mode old, new;
	bool ok = true;

	if (val & ~allowed)
		return false;
	flags = spin_lock_irqsave(&a->lock);
	old = lapic_mode(a);
	new = !(val & APIC_BASE_ENABLE) ? LAPIC_MODE_DISABLED :
	      (val & APIC_BASE_EXTD) ? LAPIC_MODE_X2APIC : LAPIC_MODE_XAPIC;
	/*
	 * SDM 10.12.5 figure 10-27: EXTD without EN is invalid, and x2APIC
	 * is left only through disabled, entered only from xAPIC.
	 */
	if (((val & APIC_BASE_EXTD) && !(val & APIC_BASE_ENABLE)) ||
	    (old == LAPIC_MODE_X2APIC && new == LAPIC_MODE_XAPIC) ||
	    (old == LAPIC_MODE_DISABLED && new == LAPIC_MODE_X2APIC)) {
		ok = false;
		goto out;
	}
	a->apic_base = val;
	if (new == old)
		goto out;
	if (new == LAPIC_MODE_DISABLED) {
		/*
		 * Globally disabled, the APIC loses its state; re-enabled it
		 * starts from reset (interrupts in IRR/ISR are gone).
		 */
		reset_regs(a);
	} else if (new == LAPIC_MODE_X2APIC) {
		/* The id becomes the full 32-bit x2APIC id, LDR derived. */
		wr(a, APIC_ID, a->vcpu_id);
		wr(a, APIC_LDR, x2apic_ldr(a->vcpu_id));
	} else {
		wr(a, APIC_ID, a->vcpu_id << 24);
	}
out:
	spin_unlock_irqrestore(&a->lock, flags);
	return ok;
}

static u32 timer_divide(const struct kvm_lapic *a)
{
	u32 v = rd(a, APIC_TDCR);
	u32 shift = ((v & 3) | ((v & 8) >> 1)) + 1;

	return 1U << (shift & 7);	/* 0b111 divides by 1 */
}

static u32 timer_mode(const struct kvm_lapic *a)
{
	return rd(a, APIC_LVTT) & APIC_LVT_TIMER_MODE;
}

static u32 timer_current_count(struct kvm_lapic *a, u64 now)
{
	u32 tmict = rd(a, APIC_TMICT);
	u64 elapsed;

	if (timer_mode(a) == APIC_LVT_TIMER_TSCDEADLINE || !tmict ||
	    !a->timer_target)
		return 0;
	elapsed = (now - a->timer_start) / timer_divide(a);
	if (timer_mode(a) == APIC_LVT_TIMER_PERIODIC)
		return tmict - (u32)(elapsed % tmict);
	return elapsed >= tmict ? 0 : tmict - (u32)elapsed;
}

/* A periodic timer's period in TSC ticks, no shorter than min_period. */
static u64 timer_period(const struct kvm_lapic *a)
{
	u64 p = (u64)rd(a, APIC_TMICT) * timer_divide(a);

	if (timer_mode(a) == APIC_LVT_TIMER_PERIODIC && p < a->min_period)
		p = a->min_period;
	return p;
}

static void timer_start_count(struct kvm_lapic *a, u64 now)
{
	u32 tmict = rd(a, APIC_TMICT);

	a->timer_start = now;
	a->timer_target = tmict ? now + timer_period(a) : 0;
	/* A target of 0 means "none": a timer due at TSC 0 fires at 1. */
	if (tmict && !a->timer_target)
		a->timer_target = 1;
}

static u64 now_tsc(struct kvm_lapic *a)
{
	return a->ops->tsc_now(a);
}

/* Set IRR (lock held). True when the vCPU should look. */
static bool accept_fixed(struct kvm_lapic *a, u8 vector, bool level)
{
	if (vector < 16) {
		a->esr_pending |= APIC_ESR_RECV_ILLEGAL;
		return false;
	}
	/* KVM drops fixed interrupts to a software-disabled APIC. */
	if (lapic_mode(a) == LAPIC_MODE_DISABLED || !sw_enabled(a))
		return false;
	set_vec(a, APIC_IRR, vector, true);
	set_vec(a, APIC_TMR, vector, level);
	a->nr_accepted++;
	return true;
}

bool lapic_accept_irq(struct kvm_lapic *a, unsigned int dm, u8 vector,
		      bool level)
{
	unsigned long flags = spin_lock_irqsave(&a->lock);
	bool taken = true;

	switch (dm) {
	case APIC_DM_FIXED:
	case APIC_DM_LOWEST:
		taken = accept_fixed(a, vector, level);
		break;
	case APIC_DM_NMI:
		a->nmi_pending++;
		break;
	case APIC_DM_INIT:
		a->pending_events |= LAPIC_EV_INIT;
		break;
	case APIC_DM_STARTUP:
		a->sipi_vector = vector;
		a->pending_events |= LAPIC_EV_SIPI;
		break;
	default:
		/*
		 * SMI (no SMM here), the reserved modes, and ExtINT, whose
		 * vector only the PIC supplies, through LINT0 (vcpu_irq.c),
		 * never as a message.
		 */
		taken = false;
		break;
	}
	spin_unlock_irqrestore(&a->lock, flags);
	if (taken)
		a->ops->kick(a);
	return taken;
}

u64 lapic_timer_next(struct kvm_lapic *a)
{
	return READ_ONCE(a->timer_target);
}

bool lapic_timer_check(struct kvm_lapic *a, u64 now)
{
	unsigned long flags;
	bool fired = false, kick = false;
	u64 period;

	if (!READ_ONCE(a->timer_target) || now < READ_ONCE(a->timer_target))
		return false;
	flags = spin_lock_irqsave(&a->lock);
	if (!a->timer_target || now < a->timer_target)
		goto out;
	fired = true;
	a->nr_timer_fired++;
	if (!(rd(a, APIC_LVTT) & APIC_LVT_MASKED))
		kick = accept_fixed(a, rd(a, APIC_LVTT) & 0xff, false);
	switch (timer_mode(a)) {
	case APIC_LVT_TIMER_PERIODIC:
		period = timer_period(a);
		/*
		 * Periods missed while the vCPU could not run collapse
		 * into this one interrupt, as IRR would collapse them.
		 */
		a->timer_start = a->timer_target;
		if (now >= a->timer_start + period)
			a->timer_start += (now - a->timer_start) / period * period;
		a->timer_target = a->timer_start + period;
		break;
	case APIC_LVT_TIMER_TSCDEADLINE:
		a->tsc_deadline = 0;
		a->timer_target = 0;
		break;
	default:
		a->timer_target = 0;
		break;
	}
out:
	spin_unlock_irqrestore(&a->lock, flags);
	if (kick)
		a->ops->kick(a);
	return fired;
}

u64 lapic_get_tsc_deadline(struct kvm_lapic *a)
{
	return timer_mode(a) == APIC_LVT_TIMER_TSCDEADLINE ?
	       READ_ONCE(a->tsc_deadline) : 0;
}

void lapic_set_tsc_deadline(struct kvm_lapic *a, u64 tsc)
{
	unsigned long flags = spin_lock_irqsave(&a->lock);

	/* Writes outside TSC-deadline mode are ignored (SDM 10.5.4.1). */
	if (timer_mode(a) == APIC_LVT_TIMER_TSCDEADLINE) {
		a->tsc_deadline = tsc;
		a->timer_target = tsc;
	}
	spin_unlock_irqrestore(&a->lock, flags);
	a->ops->kick(a);	/* the vCPU re-reads its next expiry */
}

/* The highest IRR vector whose class is above PPR, or -1 (lock held). */
static int deliverable_vector(struct kvm_lapic *a)
{
	int v;

	if (lapic_mode(a) == LAPIC_MODE_DISABLED)
		return -1;
	v = find_highest(a, APIC_IRR);
	if (v >= 0 && ((u32)v & 0xf0) <= (rd(a, APIC_PROCPRI) & 0xf0))
		v = -1;
	return v;
}

int lapic_pending_vector(struct kvm_lapic *a)
{
	unsigned long flags = spin_lock_irqsave(&a->lock);
	int v = deliverable_vector(a);

	spin_unlock_irqrestore(&a->lock, flags);
	return v;
}

int lapic_ack_interrupt(struct kvm_lapic *a)
{
	unsigned long flags = spin_lock_irqsave(&a->lock);
	int v = deliverable_vector(a);

	if (v >= 0) {
		set_vec(a, APIC_IRR, (u8)v, false);
		set_vec(a, APIC_ISR, (u8)v, true);
		update_ppr(a);
	}
	spin_unlock_irqrestore(&a->lock, flags);
	return v;
}

bool lapic_has_irr(struct kvm_lapic *a)
{
	return lapic_pending_vector(a) >= 0;
}

u32 lapic_ppr(struct kvm_lapic *a)
{
	return READ_ONCE(a->regs[APIC_PROCPRI >> 4]);
}

u32 lapic_peek(struct kvm_lapic *a, u32 off)
{
	return READ_ONCE(a->regs[(off & 0x3f0) >> 4]);
}

/* EOI (lock held): the highest in-service vector is done. */
static int do_eoi(struct kvm_lapic *a, bool *level)
{
	int v = find_highest(a, APIC_ISR);

	*level = false;
	if (v < 0)
		return -1;
	set_vec(a, APIC_ISR, (u8)v, false);
	*level = test_vec(a, APIC_TMR, (u8)v);
	update_ppr(a);
	a->nr_eoi++;
	return v;
}

u64 lapic_get_cr8(struct kvm_lapic *a)
{
	return (READ_ONCE(a->regs[APIC_TASKPRI >> 4]) >> 4) & 0xf;
}

void lapic_set_cr8(struct kvm_lapic *a, u64 cr8)
{
	unsigned long flags = spin_lock_irqsave(&a->lock);

	wr(a, APIC_TASKPRI, (u32)(cr8 & 0xf) << 4);
	update_ppr(a);
	spin_unlock_irqrestore(&a->lock, flags);
	a->ops->kick(a);	/* a lower TPR may unblock an interrupt */
}

static u32 reg_read_locked(struct kvm_lapic *a, u32 off, u64 now)
{
	switch (off) {
	case APIC_TMCCT:
		return timer_current_count(a, now);
	case APIC_ICR:
		return rd(a, APIC_ICR) & ~APIC_ICR_BUSY;
	case APIC_ARBPRI:
	case APIC_RRR:
		return 0;
	default:
		return rd(a, off);
	}
}

/* Offsets a read may name in xAPIC mode (x2APIC: see x2apic_readable). */
static bool xapic_readable(u32 off)
{
	if (off >= APIC_ISR && off < APIC_ISR + 0x180)	/* ISR, TMR, IRR */
		return true;
	switch (off) {
	case APIC_ID: case APIC_LVR: case APIC_TASKPRI: case APIC_ARBPRI:
	case APIC_PROCPRI: case APIC_RRR: case APIC_LDR: case APIC_DFR:
	case APIC_SPIV: case APIC_ESR: case APIC_ICR: case APIC_ICR2:
	case APIC_LVTT: case APIC_LVTTHMR: case APIC_LVTPC: case APIC_LVT0:
	case APIC_LVT1: case APIC_LVTERR: case APIC_TMICT: case APIC_TMCCT:
	case APIC_TDCR:
		return true;
	}
	return false;
}

static bool x2apic_readable(u32 off)
{
	switch (off) {
	case APIC_ARBPRI: case APIC_RRR: case APIC_DFR: case APIC_ICR2:
	case APIC_EOI: case APIC_SELF_IPI:
		return false;
	}
	return xapic_readable(off);
}

/* What a register write asks for after the lock is dropped. */
struct lapic_after {
	bool kick;
	int eoi_level_vector;	/* -1: none */
	bool send;
	u32 icr_low, dest;
};

/*
 * A write of @val to @off (the register's 32 bits; for the x2APIC ICR
 * @hi is the destination). False: the register cannot be written this
 * way (x2APIC turns that into #GP; xAPIC drops it and flags ESR).
 */
static bool reg_write_locked(struct kvm_lapic *a, u32 off, u32 val, u32 hi,
			     bool x2, u64 now, struct lapic_after *after)
{
	bool level;
	int v;

	switch (off) {
	case APIC_ID:
		if (x2)
			return false;
		wr(a, APIC_ID, val & 0xff000000);
		return true;
	case APIC_TASKPRI:
		wr(a, APIC_TASKPRI, val & 0xff);
		update_ppr(a);
		after->kick = true;
		return true;
	case APIC_EOI:
		if (x2 && val)
			return false;
		v = do_eoi(a, &level);
		if (v >= 0 && level)
			after->eoi_level_vector = v;
		after->kick = true;	/* a lower vector may now be taken */
		return true;
	case APIC_LDR:
		if (x2)
			return false;
		wr(a, APIC_LDR, val & 0xff000000);
		return true;
	case APIC_DFR:
		if (x2)
			return false;
		wr(a, APIC_DFR, val | 0x0fffffff);
		return true;
	case APIC_SPIV:
		wr(a, APIC_SPIV, val & 0x3ff);
		if (!(val & APIC_SPIV_ENABLE))
			/* Software-disabled: every LVT entry masked. */
			for (unsigned int i = 0; i < LVT_NR; i++)
				wr(a, lvt_regs[i],
				   rd(a, lvt_regs[i]) | APIC_LVT_MASKED);
		after->kick = true;
		return true;
	case APIC_ESR:
		if (x2 && val)
			return false;
		/* A write latches the errors seen since the last one. */
		wr(a, APIC_ESR, a->esr_pending);
		a->esr_pending = 0;
		return true;
	case APIC_ICR:
		wr(a, APIC_ICR, val & ~APIC_ICR_BUSY);
		if (x2)
			wr(a, APIC_ICR2, hi);
		after->send = true;
		after->icr_low = val;
		after->dest = x2 ? hi : rd(a, APIC_ICR2) >> 24;
		return true;
	case APIC_ICR2:
		if (x2)
			return false;
		wr(a, APIC_ICR2, val & 0xff000000);
		return true;
	case APIC_LVTT:
	case APIC_LVTTHMR:
	case APIC_LVTPC:
	case APIC_LVT0:
	case APIC_LVT1:
	case APIC_LVTERR: {
		u32 old = rd(a, off), nv = (old & APIC_LVT_REMOTE_IRR) |
					   (val & lvt_writable(off));

		if (!sw_enabled(a))
			nv |= APIC_LVT_MASKED;
		if (off == APIC_LVTT &&
		    (nv & APIC_LVT_TIMER_MODE) == APIC_LVT_TIMER_MODE)
			nv &= ~APIC_LVT_TIMER_MODE;	/* reserved mode 3 */
		wr(a, off, nv);
		/*
		 * Into or out of TSC-deadline mode disarms the timer (KVM's
		 * apic_update_lvtt); one-shot <-> periodic keeps counting.
		 */
		if (off == APIC_LVTT &&
		    ((old & APIC_LVT_TIMER_MODE) == APIC_LVT_TIMER_TSCDEADLINE) !=
		    ((nv & APIC_LVT_TIMER_MODE) == APIC_LVT_TIMER_TSCDEADLINE)) {
			wr(a, APIC_TMICT, 0);
			a->timer_target = 0;
			a->tsc_deadline = 0;
		}
		after->kick = true;
		return true;
	}
	case APIC_TMICT:
		if (timer_mode(a) == APIC_LVT_TIMER_TSCDEADLINE)
			return true;	/* ignored in TSC-deadline mode */
		wr(a, APIC_TMICT, val);
		timer_start_count(a, now);
		after->kick = true;	/* the vCPU re-reads its next expiry */
		return true;
	case APIC_TDCR:
		wr(a, APIC_TDCR, val & 0xb);
		return true;
	case APIC_SELF_IPI:
		/* x2APIC only; bits 31:8 are reserved (#GP). */
		if (!x2 || (val & ~0xffU))
			return false;
		after->kick = accept_fixed(a, val & 0xff, false);
		return true;
	default:
		/* Read-only (LVR, PPR, ISR/TMR/IRR, TMCCT) or nothing there. */
		return false;
	}
}

static void finish(struct kvm_lapic *a, const struct lapic_after *after)
{
	if (after->eoi_level_vector >= 0)
		a->ops->eoi_level(a, (u8)after->eoi_level_vector);
	if (after->send)
		a->ops->send_ipi(a, after->icr_low, after->dest);
	if (after->kick)
		a->ops->kick(a);
}

static bool is_reserved_xapic(u32 off)
{
	return !xapic_readable(off) && off != APIC_EOI;
}

void lapic_mmio_read(struct kvm_lapic *a, u64 off, unsigned int size,
		     u64 *val)
{
	u32 reg = (u32)off & 0xff0, byte = (u32)off & 0xf;
	u64 now = now_tsc(a);
	unsigned long flags;
	u32 r = 0;

	flags = spin_lock_irqsave(&a->lock);
	if (xapic_readable(reg))
		r = reg_read_locked(a, reg, now);
	else if (is_reserved_xapic(reg))
		a->esr_pending |= APIC_ESR_ILLEGAL_REG;
	spin_unlock_irqrestore(&a->lock, flags);
	/* The register is the first dword of its 16 bytes; the rest reads 0. */
	*val = byte < 4 ? (u64)r >> (byte * 8) : 0;
	if (size < 8)
		*val &= (1ULL << (size * 8)) - 1;
}

void lapic_mmio_write(struct kvm_lapic *a, u64 off, unsigned int size,
		      u64 val)
{
	struct lapic_after after = { .eoi_level_vector = -1 };
	u32 reg = (u32)off & 0xff0;
	u64 now = now_tsc(a);
	unsigned long flags;

	/* Only aligned 32-bit stores reach a register (KVM drops the rest). */
	if (size != 4 || (off & 0xf))
		return;
	flags = spin_lock_irqsave(&a->lock);
	if (!reg_write_locked(a, reg, (u32)val, 0, false, now, &after) &&
	    is_reserved_xapic(reg))
		a->esr_pending |= APIC_ESR_ILLEGAL_REG;
	spin_unlock_irqrestore(&a->lock, flags);
	finish(a, &after);
}

bool lapic_x2apic_read(struct kvm_lapic *a, u32 msr, u64 *val)
{
	u32 off = (msr - APIC_X2APIC_MSR_BASE) << 4;
	u64 now = now_tsc(a);
	unsigned long flags;

	if (lapic_mode(a) != LAPIC_MODE_X2APIC || msr < APIC_X2APIC_MSR_BASE ||
	    msr > APIC_X2APIC_MSR_LAST || !x2apic_readable(off))
		return false;
	flags = spin_lock_irqsave(&a->lock);
	*val = reg_read_locked(a, off, now);
	if (off == APIC_ICR)
		*val |= (u64)rd(a, APIC_ICR2) << 32;
	spin_unlock_irqrestore(&a->lock, flags);
	return true;
}

bool lapic_x2apic_write(struct kvm_lapic *a, u32 msr, u64 val)
{
	struct lapic_after after = { .eoi_level_vector = -1 };
	u32 off = (msr - APIC_X2APIC_MSR_BASE) << 4;
	u64 now = now_tsc(a);
	unsigned long flags;
	bool ok;

	if (lapic_mode(a) != LAPIC_MODE_X2APIC || msr < APIC_X2APIC_MSR_BASE ||
	    msr > APIC_X2APIC_MSR_LAST)
		return false;
	/* Only the ICR is 64 bits wide; elsewhere high bits are reserved. */
	if (off != APIC_ICR && val >> 32)
		return false;
	flags = spin_lock_irqsave(&a->lock);
	ok = reg_write_locked(a, off, (u32)val, (u32)(val >> 32), true, now,
			      &after);
	spin_unlock_irqrestore(&a->lock, flags);
	if (ok)
		finish(a, &after);
	return ok;
}

bool lapic_match_dest(struct kvm_lapic *a, const struct kvm_lapic *src,
		      unsigned int shorthand, u32 dest, bool logical)
{
	bool x2 = lapic_mode(a) == LAPIC_MODE_X2APIC;
	u32 ldr, dfr;

	switch (shorthand) {
	case APIC_SH_SELF:
		return a == src;
	case APIC_SH_ALL:
		return true;
	case APIC_SH_ALL_BUT_SELF:
		return a != src;
	}
	if (lapic_mode(a) == LAPIC_MODE_DISABLED)
		return false;
	if (!logical) {
		if (x2)
			return dest == 0xffffffff || dest == a->vcpu_id;
		return (dest & 0xff) == 0xff ||
		       (dest & 0xff) == (READ_ONCE(a->regs[APIC_ID >> 4]) >> 24);
	}
	ldr = READ_ONCE(a->regs[APIC_LDR >> 4]);
	if (x2) {
		/* Cluster in [31:16], a bitmap of 16 APICs in [15:0]. */
		if (dest == 0xffffffff)
			return true;
		return (dest >> 16) == (ldr >> 16) && (dest & ldr & 0xffff);
	}
	dest &= 0xff;
	ldr >>= 24;
	if (dest == 0xff)
		return true;
	dfr = READ_ONCE(a->regs[APIC_DFR >> 4]) >> 28;
	if (dfr == 0xf)			/* flat: an 8-bit mask */
		return dest & ldr;
	/* Cluster: the high nibble names the cluster (15 = all). */
	return ((dest >> 4) == 0xf || (dest >> 4) == (ldr >> 4)) &&
	       (dest & ldr & 0xf);
}
