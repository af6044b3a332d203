// SPDX-License-Identifier: MIT
/* The I/O APIC model (see ioapic.h; 82093AA datasheet, section 3). */
#include "vmm/dev/ioapic.h"
#include "vmm/dev/dev_host.h"

#define IOREGSEL		0x00
#define IOWIN			0x10
#define IOAPIC_REG_ID		0x00
#define IOAPIC_REG_VER		0x01
#define IOAPIC_REG_ARB		0x02
#define IOAPIC_REG_RTE0		0x10
/* The bits of a redirection entry the guest may write. */
#define RTE_WRITABLE		(IOAPIC_RTE_VECTOR | (7ULL << 8) |	\
				 IOAPIC_RTE_LOGICAL | IOAPIC_RTE_POLARITY | \
				 IOAPIC_RTE_LEVEL | IOAPIC_RTE_MASKED |	\
				 (0xffULL << IOAPIC_RTE_DEST_SHIFT))

void ioapic_init(struct ioapic *io, struct guest *g, u32 id)
{
	*io = (struct ioapic){ .guest = g, .id = id & 0xf };
	spin_lock_init(&io->lock, "ioapic");
	for (unsigned int i = 0; i < IOAPIC_NR_PINS; i++)
		io->rte[i] = IOAPIC_RTE_MASKED;
}

/* Send pin @pin's message (lock held; the LAPIC locks nest inside). */
static void deliver(struct ioapic *io, unsigned int pin)
{
	u64 e = io->rte[pin];
	bool level = e & IOAPIC_RTE_LEVEL;

	if (level)
		io->rte[pin] |= IOAPIC_RTE_REMOTE_IRR;
	io->nr_delivered++;
	guest_apic_deliver(io->guest, (u32)(e >> IOAPIC_RTE_DEST_SHIFT),
			   e & IOAPIC_RTE_LOGICAL,
			   (unsigned int)(e >> IOAPIC_RTE_DM_SHIFT) & 7,
			   (u8)(e & IOAPIC_RTE_VECTOR), level);
}

/* A level pin that is up, unmasked and not in service delivers. */
static void service_level(struct ioapic *io, unsigned int pin)
{
	u64 e = io->rte[pin];

	if ((e & IOAPIC_RTE_LEVEL) && !(e & IOAPIC_RTE_MASKED) &&
	    !(e & IOAPIC_RTE_REMOTE_IRR) && (io->line & BIT(pin)))
		deliver(io, pin);
}

void ioapic_set_irq(struct ioapic *io, unsigned int pin, bool level)
{
	unsigned long flags;
	bool was;

	if (pin >= IOAPIC_NR_PINS)
		return;
	flags = spin_lock_irqsave(&io->lock);
	was = io->line & BIT(pin);
	if (level)
		io->line |= BIT(pin);
	else
		io->line &= ~BIT(pin);
	if (io->rte[pin] & IOAPIC_RTE_LEVEL)
		service_level(io, pin);
	else if (level && !was && !(io->rte[pin] & IOAPIC_RTE_MASKED))
		deliver(io, pin);
	spin_unlock_irqrestore(&io->lock, flags);
}

void ioapic_eoi(struct ioapic *io, u8 vector)
{
	unsigned long flags = spin_lock_irqsave(&io->lock);

	for (unsigned int pin = 0; pin < IOAPIC_NR_PINS; pin++) {
		u64 e = io->rte[pin];

		if ((e & IOAPIC_RTE_VECTOR) != vector ||
		    !(e & IOAPIC_RTE_REMOTE_IRR))
			continue;
		io->rte[pin] &= ~IOAPIC_RTE_REMOTE_IRR;
		service_level(io, pin);
	}
	spin_unlock_irqrestore(&io->lock, flags);
}

static u32 reg_read(struct ioapic *io, u32 sel)
{
	unsigned int pin;

	switch (sel) {
	case IOAPIC_REG_ID:
	case IOAPIC_REG_ARB:
		return io->id << 24;
	case IOAPIC_REG_VER:
		return IOAPIC_VERSION | ((IOAPIC_NR_PINS - 1) << 16);
	}
	if (sel < IOAPIC_REG_RTE0 || sel >= IOAPIC_REG_RTE0 + 2 * IOAPIC_NR_PINS)
		return 0;	/* nothing there: the 82093AA reads 0 */
	pin = (sel - IOAPIC_REG_RTE0) / 2;
	return sel & 1 ? (u32)(io->rte[pin] >> 32) : (u32)io->rte[pin];
}

static void reg_write(struct ioapic *io, u32 sel, u32 val)
{
	unsigned int pin;
	u64 e, old;

	if (sel == IOAPIC_REG_ID) {
		io->id = (val >> 24) & 0xf;
		return;
	}
	if (sel < IOAPIC_REG_RTE0 || sel >= IOAPIC_REG_RTE0 + 2 * IOAPIC_NR_PINS)
		return;		/* version, arbitration: read-only */
	pin = (sel - IOAPIC_REG_RTE0) / 2;
	old = io->rte[pin];
	e = sel & 1 ? (old & 0xffffffffULL) | ((u64)val << 32)
		    : (old & ~0xffffffffULL) | val;
	e = (e & RTE_WRITABLE) | (old & IOAPIC_RTE_REMOTE_IRR);
	/* An edge pin has no Remote IRR. */
	if (!(e & IOAPIC_RTE_LEVEL))
		e &= ~IOAPIC_RTE_REMOTE_IRR;
	io->rte[pin] = e;
	/* Unmasking (or making level) a pin whose line is up delivers. */
	service_level(io, pin);
}

static int ioapic_read(void *dev, u64 off, unsigned int size, u64 *val)
{
	struct ioapic *io = dev;
	unsigned long flags = spin_lock_irqsave(&io->lock);

	if (off == IOREGSEL)
		*val = io->ioregsel;
	else if (off == IOWIN)
		*val = reg_read(io, io->ioregsel);
	else
		*val = 0;
	spin_unlock_irqrestore(&io->lock, flags);
	if (size < 8)
		*val &= (1ULL << (size * 8)) - 1;
	return 0;
}

static int ioapic_write(void *dev, u64 off, unsigned int size, u64 val)
{
	struct ioapic *io = dev;
	unsigned long flags;

	/* The datasheet defines 32-bit accesses only. */
	if (size != 4)
		return 0;
	flags = spin_lock_irqsave(&io->lock);
	if (off == IOREGSEL)
		io->ioregsel = (u32)val & 0xff;
	else if (off == IOWIN)
		reg_write(io, io->ioregsel, (u32)val);
	spin_unlock_irqrestore(&io->lock, flags);
	return 0;
}

const struct io_dev_ops ioapic_ops = {
	.read = ioapic_read,
	.write = ioapic_write,
};
