/* SPDX-License-Identifier: MIT */
/*
 * The I/O APIC (an 82093AA, version 0x11, 24 pins) at 0xFEC00000, as the
 * guest's MADT describes it: IOREGSEL at +0x00, IOWIN at +0x10; ID,
 * version, arbitration id and the redirection table. Edge pins deliver on
 * a rising edge; level pins deliver while asserted and set Remote IRR
 * until the LAPIC's EOI of their vector comes back (ioapic_eoi()), and
 * then deliver again if the line is still up - what makes a level
 * interrupt that the guest did not quiet come back, and one it never EOIs
 * come only once. Masked pins keep their line state and deliver a level
 * interrupt when unmasked. Messages go to the LAPICs through
 * guest_apic_deliver() (dev_host.h).
 */
#ifndef VMM_DEV_IOAPIC_H
#define VMM_DEV_IOAPIC_H

#include "kernel/compiler.h"
#include "kernel/spinlock.h"
#include "vmm/dev/io_bus.h"

#define IOAPIC_DEFAULT_BASE	0xfec00000ULL
#define IOAPIC_NR_PINS		24
#define IOAPIC_VERSION		0x11

/* Redirection entry bits. */
#define IOAPIC_RTE_VECTOR	0xffULL
#define IOAPIC_RTE_DM_SHIFT	8
#define IOAPIC_RTE_LOGICAL	BIT(11)
#define IOAPIC_RTE_DELIVS	BIT(12)	/* read-only */
#define IOAPIC_RTE_POLARITY	BIT(13)
#define IOAPIC_RTE_REMOTE_IRR	BIT(14)	/* read-only */
#define IOAPIC_RTE_LEVEL	BIT(15)
#define IOAPIC_RTE_MASKED	BIT(16)
#define IOAPIC_RTE_DEST_SHIFT	56

struct guest;

struct ioapic {
	/*
	 * Protects everything below; irqsave (device models raise lines
	 * from timers). Lock order: ioapic.lock before any lapic.lock.
	 */
	spinlock_t lock;
	u32 ioregsel;
	u32 id;
	u64 rte[IOAPIC_NR_PINS];
	u32 line;		/* bit per pin: the input is asserted */
	u64 nr_delivered;
	struct guest *guest;
};

extern const struct io_dev_ops ioapic_ops;
void ioapic_init(struct ioapic *io, struct guest *g, u32 id);
/* Drive pin @pin (a GSI) to @level (active high; polarity is the wiring's). */
void ioapic_set_irq(struct ioapic *io, unsigned int pin, bool level);
/* A LAPIC's EOI of level-triggered @vector (KVM's EOI broadcast). */
void ioapic_eoi(struct ioapic *io, u8 vector);

#endif
