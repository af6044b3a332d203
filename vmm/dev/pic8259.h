/* SPDX-License-Identifier: MIT */
/*
 * The PC's pair of 8259A programmable interrupt controllers: master at
 * 0x20/0x21, slave at 0xA0/0xA1 cascaded on the master's IRQ 2, and the
 * edge/level control registers (ELCR) at 0x4D0/0x4D1. The model follows
 * the 8259A datasheet (ICW1-4, OCW1-3, priority rotation, special mask,
 * auto-EOI, poll) with QEMU's i8259 as the reference for the corners.
 *
 * Its INT output goes to vCPU 0 (the virtual wire: LINT0 in ExtINT mode):
 * the VM layer asks pic8259_has_intr() and runs the INTA cycle with
 * pic8259_ack() when it injects. When the output rises the model calls
 * guest_pic_intr_raised() (dev/dev_host.h) after dropping its lock.
 *
 * Power-on state is what a BIOS leaves: initialised, vector base 0x08 on
 * the master and 0x70 on the slave, every line masked but the cascade, so
 * a guest that never touches the PIC never sees a vector from it.
 */
#ifndef VMM_DEV_PIC8259_H
#define VMM_DEV_PIC8259_H

#include "kernel/compiler.h"
#include "kernel/spinlock.h"
#include "vmm/dev/io_bus.h"

struct guest;
struct pic8259;

#define PIC8259_NR_IRQS		16
#define PIC8259_MASTER_PORT	0x20
#define PIC8259_SLAVE_PORT	0xa0
#define PIC8259_ELCR_PORT	0x4d0

/* One 8259A. */
struct pic8259_chip {
	struct pic8259 *pair;
	bool is_master;
	u8 irr, isr, imr;
	u8 last_irr;		/* line levels seen, for edge detection */
	u8 elcr, elcr_mask;	/* level-triggered lines; the writable bits */
	u8 priority_add;	/* the line with the highest priority */
	u8 irq_base;		/* ICW2: vector of line 0 */
	u8 init_state;		/* 0: ready; 1-3: ICW2-4 expected next */
	bool init4, single_mode, ltim;	/* ICW1 IC4, SNGL, LTIM */
	bool auto_eoi, rotate_on_auto_eoi, special_fully_nested;
	bool read_isr;		/* OCW3 RR/RIS: a command-port read gives ISR */
	bool poll;		/* OCW3 P: the next read is a poll */
	bool special_mask;	/* OCW3 SMM */
};

struct pic8259 {
	spinlock_t lock;	/* protects chip[] (irqsave) */
	struct pic8259_chip chip[2];	/* [0] master, [1] slave */
	bool output;		/* the master's INT; written under lock (atomic) */
	struct guest *guest;	/* told when INT rises */
	u64 nr_spurious;	/* INTA cycles with no request left */
};

void pic8259_init(struct pic8259 *pic, struct guest *g);
/* Drive input @irq (0..15; 2 is the cascade) to @level. */
void pic8259_set_irq(struct pic8259 *pic, unsigned int irq, bool level);
/* The INT output: an unmasked request beats what is in service. */
bool pic8259_has_intr(struct pic8259 *pic);
/*
 * The INTA cycle: the vector of the highest request, moving it from IRR
 * to ISR (unless auto-EOI); with no request left, the spurious vector
 * (line 7 of the master, or of the slave when the cascade won).
 */
int pic8259_ack(struct pic8259 *pic);

/* Register on the bus with dev = &pic->chip[0], &pic->chip[1], pic. */
extern const struct io_dev_ops pic8259_chip_ops;
extern const struct io_dev_ops pic8259_elcr_ops;

#endif
