/* SPDX-License-Identifier: MIT */
/*
 * A vCPU's local APIC (KVM's struct kvm_lapic), the model without the
 * plumbing: the register page, IRR/ISR/TMR with their priorities (TPR,
 * PPR), EOI, the spurious-vector register, the LVT, the timer in one-shot,
 * periodic and TSC-deadline modes, the ICR, the APIC base MSR with the
 * xAPIC/x2APIC transitions of SDM 10.12.5, and which APICs an IPI's
 * destination names. Portable: the tests in tests/host run it as it is.
 *
 * What the model cannot do itself it asks of the VM layer through struct
 * lapic_host_ops (vmm/vcpu_lapic.c): kick its vCPU, send an IPI the ICR
 * described to the APICs it names, tell the IOAPIC of a level-triggered
 * EOI, and call lapic_timer_check() by the time lapic_timer_next() says.
 *
 * Time is the guest's TSC, and the timer counts at that rate divided by
 * TDCR: one APIC bus clock per TSC tick, so a guest that times the APIC
 * timer with RDTSC sees exactly TMICT x divide ticks per period.
 */
#ifndef VMM_DEV_LAPIC_H
#define VMM_DEV_LAPIC_H

#include "kernel/compiler.h"
#include "kernel/spinlock.h"

#define APIC_DEFAULT_PHYS_BASE	0xfee00000ULL
#define LAPIC_MSR_APIC_BASE	0x1b
#define LAPIC_MSR_TSC_DEADLINE	0x6e0
#define APIC_X2APIC_MSR_BASE	0x800	/* MSR = base + (offset >> 4) */
#define APIC_X2APIC_MSR_LAST	0x8ff

#define APIC_BASE_BSP		BIT(8)
#define APIC_BASE_EXTD		BIT(10)	/* x2APIC mode */
#define APIC_BASE_ENABLE	BIT(11)	/* global enable */

/* Register offsets in the xAPIC page (x2APIC MSR = 0x800 + off / 16). */
#define APIC_ID			0x020
#define APIC_LVR		0x030
#define APIC_TASKPRI		0x080
#define APIC_ARBPRI		0x090
#define APIC_PROCPRI		0x0a0
#define APIC_EOI		0x0b0
#define APIC_RRR		0x0c0
#define APIC_LDR		0x0d0
#define APIC_DFR		0x0e0
#define APIC_SPIV		0x0f0
#define APIC_ISR		0x100	/* 8 registers, 32 vectors each */
#define APIC_TMR		0x180
#define APIC_IRR		0x200
#define APIC_ESR		0x280
#define APIC_LVTCMCI		0x2f0
#define APIC_ICR		0x300
#define APIC_ICR2		0x310
#define APIC_LVTT		0x320
#define APIC_LVTTHMR		0x330
#define APIC_LVTPC		0x340
#define APIC_LVT0		0x350
#define APIC_LVT1		0x360
#define APIC_LVTERR		0x370
#define APIC_TMICT		0x380
#define APIC_TMCCT		0x390
#define APIC_TDCR		0x3e0
#define APIC_SELF_IPI		0x3f0	/* x2APIC only, write-only */

#define APIC_SPIV_ENABLE	BIT(8)	/* software enable */
#define APIC_LVT_MASKED		BIT(16)
#define APIC_LVT_LEVEL		BIT(15)
#define APIC_LVT_REMOTE_IRR	BIT(14)
#define APIC_LVT_TIMER_MODE	(3U << 17)
#define APIC_LVT_TIMER_ONESHOT	(0U << 17)
#define APIC_LVT_TIMER_PERIODIC	(1U << 17)
#define APIC_LVT_TIMER_TSCDEADLINE (2U << 17)

/* ICR fields (low dword; the destination is ICR2[31:24] or ICR[63:32]). */
#define APIC_ICR_VECTOR		0xffU
#define APIC_ICR_DM_SHIFT	8
#define APIC_DM_FIXED		0
#define APIC_DM_LOWEST		1
#define APIC_DM_SMI		2
#define APIC_DM_NMI		4
#define APIC_DM_INIT		5
#define APIC_DM_STARTUP		6
#define APIC_DM_EXTINT		7
#define APIC_ICR_LOGICAL	BIT(11)
#define APIC_ICR_BUSY		BIT(12)
#define APIC_ICR_ASSERT		BIT(14)
#define APIC_ICR_LEVEL		BIT(15)
#define APIC_ICR_SHORTHAND_SHIFT 18
#define APIC_SH_NONE		0
#define APIC_SH_SELF		1
#define APIC_SH_ALL		2
#define APIC_SH_ALL_BUT_SELF	3

/* ESR bits. */
#define APIC_ESR_SEND_ILLEGAL	BIT(5)
#define APIC_ESR_RECV_ILLEGAL	BIT(6)
#define APIC_ESR_ILLEGAL_REG	BIT(7)

/* Events the VM layer serves (pending_events). */
#define LAPIC_EV_INIT		BIT(0)
#define LAPIC_EV_SIPI		BIT(1)

enum lapic_mode {
	LAPIC_MODE_DISABLED,	/* IA32_APIC_BASE.EN = 0 */
	LAPIC_MODE_XAPIC,	/* EN = 1, EXTD = 0: the MMIO page */
	LAPIC_MODE_X2APIC,	/* EN = 1, EXTD = 1: MSRs 0x800-0x8ff */
};

struct kvm_lapic;

struct lapic_host_ops {
	/* Something for the vCPU to look at arrived: make it look. */
	void (*kick)(struct kvm_lapic *apic);
	/* The ICR was written: deliver it (called without apic->lock). */
	void (*send_ipi)(struct kvm_lapic *apic, u32 icr_low, u32 dest);
	/* EOI of a level-triggered vector (called without apic->lock). */
	void (*eoi_level)(struct kvm_lapic *apic, u8 vector);
	/* The guest's TSC now: the timer's clock. */
	u64 (*tsc_now)(struct kvm_lapic *apic);
};

struct kvm_lapic {
	/*
	 * Protects everything below except what says otherwise. Taken
	 * with interrupts off (irqsave): other vCPUs' threads send IPIs,
	 * device models raise lines, from any context but NMI.
	 */
	spinlock_t lock;
	u32 regs[64];		/* the page, one u32 per 16-byte register */
	u64 apic_base;		/* IA32_APIC_BASE */
	u32 vcpu_id;		/* the APIC id, x2APIC and xAPIC reset */
	bool x2apic_allowed;	/* CPUID offers x2APIC */
	u32 esr_pending;	/* errors since the last ESR write */
	/* Timer (TSC ticks). Zero target: nothing armed. */
	u64 timer_start;	/* TSC at the TMICT write or the last reload */
	u64 timer_target;	/* TSC of the next expiry */
	u64 tsc_deadline;	/* IA32_TSC_DEADLINE, 0 when disarmed */
	/*
	 * Shortest period of a periodic timer (TSC ticks; set once by the
	 * host, 0 = none). A guest asking for less gets this, as KVM's
	 * min_timer_period_us: a one-tick periodic timer would otherwise make
	 * every VM entry exit again before the guest ran an instruction.
	 */
	u64 min_period;
	/* Events for the vCPU (LAPIC_EV_*); the vCPU clears them. */
	unsigned long pending_events;
	u8 sipi_vector;
	unsigned int nmi_pending;
	/* Statistics. */
	u64 nr_timer_fired, nr_accepted, nr_eoi;
	const struct lapic_host_ops *ops;
	void *host;		/* the VM layer's (its struct vcpu) */
};

/*
 * Reset (power-on / INIT without the APIC base: SDM 10.4.7.1 and 10.12.5).
 * @bsp: the bootstrap processor's flag in IA32_APIC_BASE.
 */
void lapic_init(struct kvm_lapic *apic, u32 vcpu_id, bool bsp,
		bool x2apic_allowed, const struct lapic_host_ops *ops,
		void *host);
/* INIT IPI: everything but the APIC base and the id back to reset. */
void lapic_init_reset(struct kvm_lapic *apic);

enum lapic_mode lapic_mode(const struct kvm_lapic *apic);
/* The guest-physical page of the xAPIC registers (meaningful in XAPIC). */
static inline u64 lapic_mmio_base(const struct kvm_lapic *apic)
{
	return apic->apic_base & ~0xfffULL & ((1ULL << 52) - 1);
}
/* WRMSR IA32_APIC_BASE: false when it must #GP (@maxphyaddr bits). */
bool lapic_set_base(struct kvm_lapic *apic, u64 val, unsigned int maxphyaddr);

/*
 * xAPIC MMIO, @off within the page. Reads of 1, 2 or 4 bytes give the
 * bytes of the 32-bit register at @off & ~3; writes other than an aligned
 * 32-bit store to a register's first dword are dropped (SDM 10.4.1).
 */
void lapic_mmio_read(struct kvm_lapic *apic, u64 off, unsigned int size,
		     u64 *val);
void lapic_mmio_write(struct kvm_lapic *apic, u64 off, unsigned int size,
		      u64 val);
/* x2APIC RDMSR/WRMSR of 0x800-0x8ff: false when it must #GP. */
bool lapic_x2apic_read(struct kvm_lapic *apic, u32 msr, u64 *val);
bool lapic_x2apic_write(struct kvm_lapic *apic, u32 msr, u64 val);
/* MOV from/to CR8: TPR[7:4] (64-bit mode). */
u64 lapic_get_cr8(struct kvm_lapic *apic);
void lapic_set_cr8(struct kvm_lapic *apic, u64 cr8);
/* IA32_TSC_DEADLINE. */
u64 lapic_get_tsc_deadline(struct kvm_lapic *apic);
void lapic_set_tsc_deadline(struct kvm_lapic *apic, u64 tsc);

/*
 * An interrupt message for this APIC (an IPI, the IOAPIC, LINT). Fixed
 * and lowest-priority set IRR (and TMR for @level); NMI, INIT and SIPI
 * become pending events; SMI, ExtINT and the reserved modes are not taken. A fixed interrupt to a software-disabled
 * APIC is dropped, as KVM does; a vector below 16 sets the receive-illegal
 * error instead. Kicks the vCPU. True when the message was taken.
 */
bool lapic_accept_irq(struct kvm_lapic *apic, unsigned int delivery_mode,
		      u8 vector, bool level);

/*
 * Interrupt delivery to the CPU: the highest IRR vector whose priority
 * class is above PPR, or -1. lapic_ack_interrupt() is the INTA: that
 * vector moves from IRR to ISR and PPR follows (KVM's kvm_get_apic_interrupt).
 */
int lapic_pending_vector(struct kvm_lapic *apic);
int lapic_ack_interrupt(struct kvm_lapic *apic);
/* Any fixed interrupt requested (for a halted vCPU: IF gates the rest). */
bool lapic_has_irr(struct kvm_lapic *apic);

/*
 * The timer: the TSC of the next expiry, or 0. lapic_timer_check() fires
 * it when @now has passed that (sets the LVTT vector's IRR unless masked,
 * reloads a periodic timer); true when it fired.
 */
u64 lapic_timer_next(struct kvm_lapic *apic);
bool lapic_timer_check(struct kvm_lapic *apic, u64 now);

/*
 * Does an IPI from @src (may be NULL: the IOAPIC) with destination @dest,
 * logical or physical, and @shorthand name this APIC? (SDM 10.6.2)
 */
bool lapic_match_dest(struct kvm_lapic *apic, const struct kvm_lapic *src,
		      unsigned int shorthand, u32 dest, bool logical);
/* Arbitration for lowest priority: this APIC's PPR. */
u32 lapic_ppr(struct kvm_lapic *apic);

/* Test and diagnostics: a register as the page holds it (no side effect). */
u32 lapic_peek(struct kvm_lapic *apic, u32 off);

#endif
