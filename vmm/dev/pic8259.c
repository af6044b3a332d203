// SPDX-License-Identifier: MIT
/*
 * The 8259A pair (see pic8259.h). Everything below runs with pic->lock
 * held; the output's rise is reported after it is dropped.
 *
 * Priorities are kept as QEMU's i8259 keeps them: priority_add is the
 * line with the highest priority (0 until a rotation), and the priority
 * of line n is (n - priority_add) & 7, smaller meaning more urgent.
 */
#include "vmm/dev/pic8259.h"
#include "vmm/dev/dev_host.h"

#define ICW1_IC4	0x01	/* an ICW4 follows */
#define ICW1_SNGL	0x02	/* no slave: no ICW3 */
#define ICW1_LTIM	0x08	/* every line level-triggered */
#define ICW1_INIT	0x10	/* a write to the command port with it is ICW1 */
#define OCW3_SEL	0x08	/* a command write with it (and no ICW1) is OCW3 */
#define OCW3_RR		0x02	/* RIS (bit 0) selects what reads give */
#define OCW3_P		0x04	/* poll */
#define OCW3_ESMM	0x40	/* SMM (bit 5) is valid */
#define ICW4_AEOI	0x02
#define ICW4_SFNM	0x10
#define PIC_CASCADE_IRQ	2
#define PIC_SPURIOUS	7

/* Priority (0 most urgent) of the most urgent line in @mask, 8 if none. */
static unsigned int chip_priority(const struct pic8259_chip *c, u8 mask)
{
	unsigned int p = 0;

	if (!mask)
		return 8;
	while (!(mask & (1u << ((p + c->priority_add) & 7))))
		p++;
	return p;
}

/* The line this chip would interrupt with now, or -1. */
static int chip_pending(const struct pic8259_chip *c)
{
	unsigned int p = chip_priority(c, c->irr & ~c->imr), in_service;
	u8 isr = c->isr;

	if (p == 8)
		return -1;
	/* Special mask mode: a masked line in service blocks nothing. */
	if (c->special_mask)
		isr &= ~c->imr;
	/* Fully nested: the slave may interrupt its own cascade service. */
	if (c->special_fully_nested && c->is_master)
		isr &= ~(1u << PIC_CASCADE_IRQ);
	in_service = chip_priority(c, isr);
	return p < in_service ? (int)((p + c->priority_add) & 7) : -1;
}

/* Edge- or level-sensitive input: IRR follows the line's history. */
static void chip_set_input(struct pic8259_chip *c, unsigned int line,
			   bool level)
{
	u8 bit = 1u << line;

	if (c->ltim || (c->elcr & bit)) {
		if (level)
			c->irr |= bit;
		else
			c->irr &= ~bit;
	} else if (level && !(c->last_irr & bit)) {
		c->irr |= bit;		/* a rising edge latches */
	}
	if (level)
		c->last_irr |= bit;
	else
		c->last_irr &= ~bit;
}

/* Recompute the cascade and INT; true when INT rose. */
static bool pic_update(struct pic8259 *pic)
{
	struct pic8259_chip *m = &pic->chip[0], *s = &pic->chip[1];
	bool was = pic->output, out;

	chip_set_input(m, PIC_CASCADE_IRQ, chip_pending(s) >= 0);
	out = chip_pending(m) >= 0;
	__atomic_store_n(&pic->output, out, __ATOMIC_RELEASE);
	return out && !was;
}

static void pic_unlock(struct pic8259 *pic, unsigned long flags, bool rose)
{
	spin_unlock_irqrestore(&pic->lock, flags);
	if (rose)
		guest_pic_intr_raised(pic->guest);
}

/* A request taken (INTA or a poll): into service unless auto-EOI. */
static void chip_intack(struct pic8259_chip *c, unsigned int line)
{
	if (c->auto_eoi) {
		if (c->rotate_on_auto_eoi)
			c->priority_add = (line + 1) & 7;
	} else {
		c->isr |= 1u << line;
	}
	/* A level-triggered request stays until its line drops. */
	if (!c->ltim && !(c->elcr & (1u << line)))
		c->irr &= ~(1u << line);
}

/* ICW1: the chip forgets everything but ELCR and starts initialising. */
static void chip_icw1(struct pic8259_chip *c, u8 val)
{
	u8 elcr = c->elcr, mask = c->elcr_mask;
	struct pic8259 *pair = c->pair;
	bool master = c->is_master;

	*c = (struct pic8259_chip){
		.pair = pair, .is_master = master, .elcr = elcr,
		.elcr_mask = mask, .irr = c->irr & elcr,
		.init_state = 1, .init4 = val & ICW1_IC4,
		.single_mode = val & ICW1_SNGL, .ltim = val & ICW1_LTIM,
	};
}

static void chip_eoi(struct pic8259_chip *c, unsigned int line, bool rotate)
{
	c->isr &= ~(1u << line);
	if (rotate)
		c->priority_add = (line + 1) & 7;
}

/* OCW2: R, SL, EOI in bits 7-5, the line in bits 2-0. */
static void chip_ocw2(struct pic8259_chip *c, u8 val)
{
	unsigned int cmd = val >> 5, p;

	switch (cmd) {
	case 0:		/* rotate in auto-EOI mode: clear */
	case 4:		/* ... set */
		c->rotate_on_auto_eoi = cmd >> 2;
		break;
	case 1:		/* non-specific EOI */
	case 5:		/* ... and rotate */
		p = chip_priority(c, c->isr);
		if (p != 8)
			chip_eoi(c, (p + c->priority_add) & 7, cmd == 5);
		break;
	case 3:		/* specific EOI */
	case 7:		/* ... and rotate */
		chip_eoi(c, val & 7, cmd == 7);
		break;
	case 6:		/* set priority: line val&7 becomes the lowest */
		c->priority_add = (val + 1) & 7;
		break;
	default:	/* 2: no operation */
		break;
	}
}

static void chip_write(struct pic8259_chip *c, unsigned int port, u8 val)
{
	if (port == 0) {
		if (val & ICW1_INIT) {
			chip_icw1(c, val);
		} else if (val & OCW3_SEL) {
			if (val & OCW3_P)
				c->poll = true;
			if (val & OCW3_RR)
				c->read_isr = val & 1;
			if (val & OCW3_ESMM)
				c->special_mask = (val >> 5) & 1;
		} else {
			chip_ocw2(c, val);
		}
		return;
	}
	switch (c->init_state) {
	case 0:		/* OCW1 */
		c->imr = val;
		break;
	case 1:		/* ICW2: bits 7-3 of the vectors */
		c->irq_base = val & 0xf8;
		c->init_state = c->single_mode ? (c->init4 ? 3 : 0) : 2;
		break;
	case 2:		/* ICW3: the cascade wiring, fixed on a PC */
		c->init_state = c->init4 ? 3 : 0;
		break;
	default:	/* ICW4 (bit 0, 8086 mode, assumed) */
		c->special_fully_nested = val & ICW4_SFNM;
		c->auto_eoi = val & ICW4_AEOI;
		c->init_state = 0;
		break;
	}
}

static u8 chip_read(struct pic8259_chip *c, unsigned int port)
{
	int line;

	if (c->poll) {		/* OCW3 poll: the next read is an INTA */
		c->poll = false;
		line = chip_pending(c);
		if (line < 0)
			return 0;
		chip_intack(c, line);
		return 0x80 | line;
	}
	if (port == 0)
		return c->read_isr ? c->isr : c->irr;
	return c->imr;
}

static int pic_chip_write(void *dev, u64 offset, unsigned int size, u64 val)
{
	struct pic8259_chip *c = dev;
	struct pic8259 *pic = c->pair;
	unsigned long flags = spin_lock_irqsave(&pic->lock);

	chip_write(c, offset, (u8)val);
	pic_unlock(pic, flags, pic_update(pic));
	return 0;
}

static int pic_chip_read(void *dev, u64 offset, unsigned int size, u64 *val)
{
	struct pic8259_chip *c = dev;
	struct pic8259 *pic = c->pair;
	unsigned long flags = spin_lock_irqsave(&pic->lock);

	*val = chip_read(c, offset);
	pic_unlock(pic, flags, pic_update(pic));
	return 0;
}

const struct io_dev_ops pic8259_chip_ops = {
	.read = pic_chip_read, .write = pic_chip_write, .byte_regs = true,
};

static int pic_elcr_write(void *dev, u64 offset, unsigned int size, u64 val)
{
	struct pic8259 *pic = dev;
	struct pic8259_chip *c = &pic->chip[offset & 1];
	unsigned long flags = spin_lock_irqsave(&pic->lock);

	c->elcr = (u8)val & c->elcr_mask;
	pic_unlock(pic, flags, pic_update(pic));
	return 0;
}

static int pic_elcr_read(void *dev, u64 offset, unsigned int size, u64 *val)
{
	struct pic8259 *pic = dev;
	unsigned long flags = spin_lock_irqsave(&pic->lock);

	*val = pic->chip[offset & 1].elcr;
	spin_unlock_irqrestore(&pic->lock, flags);
	return 0;
}

const struct io_dev_ops pic8259_elcr_ops = {
	.read = pic_elcr_read, .write = pic_elcr_write, .byte_regs = true,
};

void pic8259_init(struct pic8259 *pic, struct guest *g)
{
	*pic = (struct pic8259){ .guest = g };
	spin_lock_init(&pic->lock, "pic8259");
	/* As a BIOS leaves them (pic8259.h); ELCR bits 0-2 and 8, 13 fixed edge. */
	pic->chip[0] = (struct pic8259_chip){
		.pair = pic, .is_master = true, .irq_base = 0x08,
		.imr = (u8)~(1u << PIC_CASCADE_IRQ), .elcr_mask = 0xf8,
	};
	pic->chip[1] = (struct pic8259_chip){
		.pair = pic, .irq_base = 0x70, .imr = 0xff, .elcr_mask = 0xde,
	};
}

void pic8259_set_irq(struct pic8259 *pic, unsigned int irq, bool level)
{
	unsigned long flags;

	if (irq >= PIC8259_NR_IRQS || irq == PIC_CASCADE_IRQ)
		return;		/* line 2 is the slave's, not a device's */
	flags = spin_lock_irqsave(&pic->lock);
	chip_set_input(&pic->chip[irq >> 3], irq & 7, level);
	pic_unlock(pic, flags, pic_update(pic));
}

bool pic8259_has_intr(struct pic8259 *pic)
{
	return __atomic_load_n(&pic->output, __ATOMIC_ACQUIRE);
}

int pic8259_ack(struct pic8259 *pic)
{
	struct pic8259_chip *m = &pic->chip[0], *s = &pic->chip[1];
	unsigned long flags = spin_lock_irqsave(&pic->lock);
	int line = chip_pending(m), line2, vector;

	if (line < 0) {
		/* The request went away before INTA: IR7, nothing in service. */
		vector = m->irq_base + PIC_SPURIOUS;
		pic->nr_spurious++;
	} else if (line == PIC_CASCADE_IRQ) {
		line2 = chip_pending(s);
		if (line2 >= 0) {
			chip_intack(s, line2);
		} else {
			line2 = PIC_SPURIOUS;
			pic->nr_spurious++;
		}
		/* The master's IR2 goes into service either way. */
		chip_intack(m, line);
		vector = s->irq_base + line2;
	} else {
		chip_intack(m, line);
		vector = m->irq_base + line;
	}
	pic_unlock(pic, flags, pic_update(pic));
	return vector;
}
