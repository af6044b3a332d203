/* SPDX-License-Identifier: MIT */
/*
 * The 8254 programmable interval timer at 0x40-0x43 (Intel 8254
 * datasheet, 231164): three counters clocked at 1.193182 MHz, modes 0-5,
 * binary or BCD, LSB/MSB/LSB-then-MSB access, the counter-latch and
 * read-back commands. Counter 0's OUT is IRQ 0 (rising edges), counter
 * 2's gate and OUT are bits 0 and 5 of port 0x61 (dev/port61.c).
 *
 * Nothing ticks: a counter's value and OUT are computed from the host
 * time elapsed since its count was loaded (or its gate triggered). IRQ 0
 * is raised by pit8254_timer(), which the guest's timer thread calls at
 * (or after) the deadline it returns; edges it missed are coalesced into
 * one (counted in nr_lost_ticks), as a real PIC would latch only one.
 */
#ifndef VMM_DEV_PIT8254_H
#define VMM_DEV_PIT8254_H

#include "kernel/compiler.h"
#include "kernel/spinlock.h"
#include "vmm/dev/io_bus.h"

struct guest;

#define PIT8254_PORT		0x40
#define PIT8254_HZ		1193182ULL
#define PIT8254_NR_CHANNELS	3

struct pit8254_channel {
	u32 count;		/* loaded initial count, 1..0x10000 (binary) */
	u8 mode;		/* 0-5 */
	u8 rw_mode;		/* 1 LSB, 2 MSB, 3 LSB then MSB */
	bool bcd;
	bool gate;
	/*
	 * Counting: a count was loaded (and, in modes 1 and 5, the gate
	 * triggered) at load_ns. In modes 0 and 4 a low gate suspends
	 * counting: frozen_ticks holds the clocks counted until then.
	 */
	bool armed;
	bool frozen;
	u64 load_ns;
	u64 frozen_ticks;
	bool null_count;	/* control word written, no count yet */
	/* Register access state. */
	u8 read_state, write_state, write_lsb;
	u8 latched_state;	/* bytes of latched_count left to read */
	u16 latched_count;
	bool status_latched;
	u8 status;
	/* Counter 0: the next OUT rising edge, in clocks since load_ns. */
	u64 next_edge;
	bool edge_pending;	/* next_edge is valid */
};

struct pit8254 {
	spinlock_t lock;	/* protects ch[] (irqsave) */
	struct pit8254_channel ch[PIT8254_NR_CHANNELS];
	u64 (*clock_ns)(void);	/* host time (plat_now_ns; tests fake it) */
	struct guest *guest;	/* IRQ 0 and the timer thread */
	u64 nr_irqs, nr_lost_ticks;
};

void pit8254_init(struct pit8254 *pit, struct guest *g,
		  u64 (*clock_ns)(void));
extern const struct io_dev_ops pit8254_ops;	/* dev = the pit, 4 ports */

/* Counter 2's gate (port 0x61 bit 0) and OUT (bit 5). */
void pit8254_set_gate(struct pit8254 *pit, unsigned int channel, bool gate);
bool pit8254_get_out(struct pit8254 *pit, unsigned int channel);
/*
 * Raise IRQ 0 for counter 0's OUT edges up to @now_ns; the next host
 * time it needs to be called, or 0 for none.
 */
u64 pit8254_timer(struct pit8254 *pit, u64 now_ns);

/* Clocks of the 1.193182 MHz input in @ns, and back (rounded up). */
u64 pit8254_ns_to_ticks(u64 ns);
u64 pit8254_ticks_to_ns(u64 ticks);

#endif
