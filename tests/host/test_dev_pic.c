// SPDX-License-Identifier: MIT
/*
 * vmm/dev/pic8259.c through the device bus, as a guest drives it: the
 * state a BIOS leaves, ICW1-4, OCW1 masks read back, OCW2 specific and
 * non-specific EOI and priority rotation, OCW3 IRR/ISR reads and poll,
 * the cascade on IRQ 2, spurious IRQ 7/15 when a request vanishes before
 * INTA, edge vs level (ELCR), auto-EOI, and INT's rise being reported.
 */
// host-srcs: vmm/dev/pic8259.c vmm/dev/io_bus.c tests/host/dev_host_stub.c
#include "vmm/dev/pic8259.h"
#include "vmm/dev/io_bus.h"
#include "tests/host/dev_host_stub.h"
#include "tests/host/platform_host.h"
#include "tests/host/tap.h"

static struct pic8259 pic;
static struct io_bus bus;

static void out8(u16 port, u8 v)
{
	stub_out8(&bus, port, v);
}

static u8 in8(u16 port)
{
	return stub_in8(&bus, port);
}

static void setup(void)
{
	stub_reset();
	pic8259_init(&pic, NULL);
	io_bus_init(&bus, NULL, "test", false);
	io_bus_register(&bus, IO_SPACE_PIO, 0x20, 2, &pic8259_chip_ops, &pic.chip[0], "m");
	io_bus_register(&bus, IO_SPACE_PIO, 0xa0, 2, &pic8259_chip_ops, &pic.chip[1], "s");
	io_bus_register(&bus, IO_SPACE_PIO, 0x4d0, 2, &pic8259_elcr_ops, &pic, "elcr");
}

/* Linux's init_8259A(): edge, cascade, vectors 0x20 / 0x28. */
static void init_pair(u8 icw4)
{
	out8(0x20, 0x11); out8(0x21, 0x20); out8(0x21, 0x04); out8(0x21, icw4);
	out8(0xa0, 0x11); out8(0xa1, 0x28); out8(0xa1, 0x02); out8(0xa1, icw4);
}

static u8 irr(u16 base) { out8(base, 0x0a); return in8(base); }
static u8 isr(u16 base) { out8(base, 0x0b); return in8(base); }

static void pulse(unsigned int irq)
{
	pic8259_set_irq(&pic, irq, true);
	pic8259_set_irq(&pic, irq, false);
}

int main(void)
{
	int v1, v2;

	host_cpu_register();
	tap_plan(23);

	setup();
	tap_ok(in8(0x21) == 0xfb && in8(0xa1) == 0xff && !pic8259_has_intr(&pic),
	       "power-on: as a BIOS leaves it, all masked but the cascade");
	pulse(0);
	pic8259_set_irq(&pic, 0, true);
	tap_ok(!pic8259_has_intr(&pic) && irr(0x20) == 0x01,
	       "a masked request is latched in IRR and raises no INT");
	out8(0x21, 0xfa);
	tap_ok(pic8259_has_intr(&pic) && stub.pic_raised == 1 &&
	       pic8259_ack(&pic) == 0x08,
	       "unmasking it raises INT (reported once); INTA gives BIOS vector 0x08");
	pic8259_set_irq(&pic, 0, false);

	setup();
	init_pair(0x01);
	tap_ok(in8(0x21) == 0x00 && in8(0xa1) == 0x00 && isr(0x20) == 0,
	       "ICW1 clears IMR and ISR");
	out8(0x21, 0xfe);
	out8(0xa1, 0x5a);
	tap_ok(in8(0x21) == 0xfe && in8(0xa1) == 0x5a, "OCW1: IMR reads back");

	setup();
	init_pair(0x01);
	pulse(3);
	pulse(1);
	v1 = pic8259_ack(&pic);
	tap_ok(v1 == 0x21 && isr(0x20) == 0x02 && irr(0x20) == 0x08,
	       "priority: IRQ 1 before IRQ 3; IRR -> ISR on INTA");
	tap_ok(!pic8259_has_intr(&pic), "a lower request waits while IRQ 1 is in service");
	pulse(0);
	tap_ok(pic8259_has_intr(&pic) && pic8259_ack(&pic) == 0x20 &&
	       isr(0x20) == 0x03, "a higher request nests over IRQ 1");
	out8(0x20, 0x20);	/* non-specific EOI: the highest in service */
	tap_ok(isr(0x20) == 0x02 && !pic8259_has_intr(&pic),
	       "non-specific EOI ends IRQ 0, IRQ 1 still in service");
	out8(0x20, 0x61);	/* specific EOI, line 1 */
	v2 = pic8259_ack(&pic);
	tap_ok(isr(0x20) == 0x08 && v2 == 0x23,
	       "specific EOI of line 1 lets IRQ 3 in");
	out8(0x20, 0x62);	/* specific EOI of a line not in service */
	tap_ok(isr(0x20) == 0x08, "specific EOI of another line leaves IRQ 3 in service");

	setup();
	init_pair(0x01);
	pulse(10);
	v1 = pic8259_ack(&pic);
	tap_ok(v1 == 0x2a && isr(0x20) == 0x04 && isr(0xa0) == 0x04,
	       "cascade: IRQ 10 is vector 0x2a, IR2 and slave IR2 in service");
	pulse(3);
	pulse(1);
	tap_ok(pic8259_has_intr(&pic) && pic8259_ack(&pic) == 0x21,
	       "IRQ 1 outranks the cascade in service, IRQ 3 waits");

	setup();
	init_pair(0x01);
	pulse(5);
	out8(0x21, 0x20);	/* the request goes away before INTA */
	tap_ok(pic8259_ack(&pic) == 0x27 && isr(0x20) == 0 && pic.nr_spurious == 1,
	       "spurious IRQ 7: vector 0x27, nothing in service");
	pulse(12);
	out8(0xa1, 0x10);
	tap_ok(pic8259_ack(&pic) == 0x2f && isr(0xa0) == 0 && isr(0x20) == 0x04,
	       "spurious IRQ 15: vector 0x2f, the master's IR2 in service");

	setup();
	init_pair(0x01);
	out8(0x4d0, 0xff);
	out8(0x4d1, 0xff);
	tap_ok(in8(0x4d0) == 0xf8 && in8(0x4d1) == 0xde,
	       "ELCR: IRQ 0-2, 8 and 13 stay edge-triggered");
	out8(0x4d1, 0x04);	/* IRQ 10 level */
	pic8259_set_irq(&pic, 10, true);
	pic8259_ack(&pic);
	out8(0xa0, 0x20);
	out8(0x20, 0x20);
	tap_ok(pic8259_has_intr(&pic) && pic8259_ack(&pic) == 0x2a,
	       "level: still asserted after EOI, the request comes again");
	pic8259_set_irq(&pic, 10, false);
	out8(0xa0, 0x20);
	out8(0x20, 0x20);
	tap_ok(!pic8259_has_intr(&pic) && irr(0xa0) == 0, "level: deasserted, the request is gone");
	out8(0x4d0, 0x00);	/* IRQ 4 edge again */
	pic8259_set_irq(&pic, 4, true);
	pic8259_ack(&pic);
	out8(0x20, 0x20);
	pic8259_set_irq(&pic, 4, true);
	tap_ok(!pic8259_has_intr(&pic), "edge: a line held high requests once");

	setup();
	init_pair(0x03);	/* auto-EOI */
	pulse(4);
	tap_ok(pic8259_ack(&pic) == 0x24 && isr(0x20) == 0 && irr(0x20) == 0,
	       "auto-EOI: INTA leaves nothing in service");

	setup();
	init_pair(0x01);
	pulse(6);
	out8(0x20, 0x0c);	/* poll */
	v1 = in8(0x20);
	out8(0x20, 0x0c);
	v2 = in8(0x20);
	tap_ok(v1 == 0x86 && isr(0x20) == 0x40 && v2 == 0,
	       "poll: 0x80 | line, acknowledged; then 0 with nothing pending");

	setup();
	init_pair(0x01);
	out8(0x20, 0xc3);	/* set priority: line 3 lowest, 4 highest */
	pulse(0);
	pulse(4);
	tap_ok(pic8259_ack(&pic) == 0x24, "OCW2 set priority: IRQ 4 before IRQ 0");
	out8(0x20, 0xa0);	/* rotate on non-specific EOI: 4 becomes lowest */
	pulse(5);
	tap_ok(pic8259_ack(&pic) == 0x25 && isr(0x20) == 0x20,
	       "rotate on EOI: IRQ 5 now before IRQ 0");
	return tap_done();
}
