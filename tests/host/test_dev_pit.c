// SPDX-License-Identifier: MIT
/*
 * vmm/dev/pit8254.c and port 0x61 against the 8254 datasheet, on a fake
 * clock: counter values and OUT over time in modes 0-5, the gate, the
 * access modes, latch and read-back, BCD, and IRQ 0's edges and
 * deadlines from pit8254_timer(); port 0x61's gate, OUT and refresh bits
 * as Linux's PIT calibration of the TSC uses them.
 */
// host-srcs: vmm/dev/pit8254.c vmm/dev/port61.c vmm/dev/io_bus.c tests/host/dev_host_stub.c
#include "vmm/dev/pit8254.h"
#include "vmm/dev/port61.h"
#include "vmm/dev/io_bus.h"
#include "tests/host/dev_host_stub.h"
#include "tests/host/platform_host.h"
#include "tests/host/tap.h"

static struct pit8254 pit;
static struct port61 p61;
static struct io_bus bus;
static u64 t0;

static void out8(u16 port, u8 v)
{
	stub_out8(&bus, port, v);
}

static u8 in8(u16 port)
{
	return stub_in8(&bus, port);
}

/* The clock at @d input clocks after t0. */
static void at(u64 d)
{
	stub_now_ns = t0 + pit8254_ticks_to_ns(d);
}

static void setup(void)
{
	stub_reset();
	stub_now_ns = t0 = 5000000000ULL;
	pit8254_init(&pit, NULL, stub_clock);
	port61_init(&p61, &pit);
	io_bus_init(&bus, NULL, "test", false);
	io_bus_register(&bus, IO_SPACE_PIO, 0x40, 4, &pit8254_ops, &pit, "pit");
	io_bus_register(&bus, IO_SPACE_PIO, 0x61, 1, &port61_ops, &p61, "p61");
}

/* Program counter @ch: lo/hi, @mode, count @n (at the clock's now). */
static void program(unsigned int ch, unsigned int mode, u16 n)
{
	out8(0x43, ch << 6 | 0x30 | mode << 1);
	out8(0x40 + ch, n & 0xff);
	out8(0x40 + ch, n >> 8);
}

static u16 read_count(unsigned int ch)
{
	u8 lo = in8(0x40 + ch);

	return lo | in8(0x40 + ch) << 8;
}

static u16 latched_count(unsigned int ch)
{
	out8(0x43, ch << 6);
	return read_count(ch);
}

static bool out_of(unsigned int ch)
{
	out8(0x43, 0xe0 | 2 << ch);	/* read-back: status of @ch */
	return in8(0x40 + ch) & 0x80;
}

int main(void)
{
	bool ok;
	u64 next;

	host_cpu_register();
	tap_plan(24);

	ok = pit8254_ns_to_ticks(1000000000ULL) == PIT8254_HZ;
	for (u64 d = 0; d < 100000 && ok; d += 7)
		ok = pit8254_ns_to_ticks(pit8254_ticks_to_ns(d)) == d;
	tap_ok(ok, "clock conversion: 1 s is 1193182 clocks; ticks -> ns -> ticks is exact");

	setup();
	program(0, 2, 1000);
	tap_ok(read_count(0) == 1000, "mode 2: the count just loaded reads N");
	at(1);
	ok = latched_count(0) == 999;
	at(999);
	ok &= latched_count(0) == 1 && !out_of(0);
	at(1000);
	ok &= latched_count(0) == 1000 && out_of(0);
	at(998);
	ok &= out_of(0);
	tap_ok(ok, "mode 2: counts N..1, OUT low only while the count is 1, reloads at N");
	stub_now_ns = t0;
	next = pit8254_timer(&pit, stub_now_ns);
	tap_ok(next == t0 + pit8254_ticks_to_ns(1000) && !stub.irq_rises[0],
	       "mode 2: the first IRQ 0 is due one period after the load");
	stub_now_ns = next - 1;
	pit8254_timer(&pit, stub_now_ns);
	ok = !stub.irq_rises[0];
	stub_now_ns = next;
	next = pit8254_timer(&pit, stub_now_ns);
	tap_ok(ok && stub.irq_rises[0] == 1 && !stub.irq_level[0] &&
	       next == t0 + pit8254_ticks_to_ns(2000),
	       "mode 2: IRQ 0 pulses at the period, next due one period later");
	at(10500);
	next = pit8254_timer(&pit, stub_now_ns);
	tap_ok(stub.irq_rises[0] == 2 && pit.nr_lost_ticks == 8 &&
	       next == t0 + pit8254_ticks_to_ns(11000),
	       "mode 2: periods missed coalesce into one IRQ, counted as lost");
	out8(0x43, 0x34);	/* a control word stops the counter */
	tap_ok(pit8254_timer(&pit, stub_now_ns) == 0 && stub.timer_changed > 0,
	       "a new control word stops IRQ 0 and tells the timer");

	setup();
	program(0, 3, 1000);
	at(499);
	ok = out_of(0);
	at(500);
	ok &= !out_of(0);
	at(1000);
	ok &= out_of(0) && latched_count(0) == 1000;
	at(1);
	ok &= latched_count(0) == 998;
	tap_ok(ok, "mode 3: OUT high for N/2, low for N/2, counting by twos");
	stub_now_ns = t0 + pit8254_ticks_to_ns(1000);
	pit8254_timer(&pit, stub_now_ns);
	tap_ok(stub.irq_rises[0] == 1, "mode 3: IRQ 0 at each period");

	setup();
	out8(0x43, 0x30);	/* counter 0, mode 0 */
	ok = !out_of(0);
	out8(0x40, 100);
	out8(0x40, 0);
	at(99);
	ok &= !out_of(0) && latched_count(0) == 1;
	at(100);
	ok &= out_of(0) && latched_count(0) == 0;
	at(101);
	ok &= latched_count(0) == 0xffff;
	tap_ok(ok, "mode 0: OUT low until the count reaches 0, then high; the counter wraps");
	stub_now_ns = t0;
	next = pit8254_timer(&pit, t0);
	pit8254_timer(&pit, next);
	tap_ok(stub.irq_rises[0] == 1 && pit8254_timer(&pit, next + 1000000000ULL) == 0 &&
	       stub.irq_rises[0] == 1, "mode 0: one IRQ 0 at terminal count, then none");
	program(0, 0, 100);
	at(50);
	out8(0x40, 10);		/* first byte of a new count: counting stops */
	ok = !out_of(0);
	at(200);
	ok &= !out_of(0);
	out8(0x40, 0);		/* count 10 from here */
	stub_now_ns += pit8254_ticks_to_ns(10);
	ok &= out_of(0);
	tap_ok(ok, "mode 0: writing the first byte stops the count, the second restarts it");

	setup();
	program(0, 4, 100);
	at(99);
	ok = out_of(0);
	at(100);
	ok &= !out_of(0);
	at(101);
	ok &= out_of(0);
	tap_ok(ok, "mode 4: OUT high, low for the one clock at terminal count");
	stub_now_ns = t0;
	next = pit8254_timer(&pit, t0);
	tap_ok(next == t0 + pit8254_ticks_to_ns(101), "mode 4: IRQ 0 on OUT's rise after the strobe");

	setup();
	program(2, 1, 100);	/* gate low: waits for a trigger */
	ok = out_of(2);
	out8(0x61, 0x01);	/* gate rises at t0 */
	ok &= !(in8(0x61) & 0x20);
	at(99);
	ok &= !(in8(0x61) & 0x20);
	at(100);
	ok &= (in8(0x61) & 0x20) != 0;
	tap_ok(ok, "mode 1: OUT high until the gate triggers, low for N clocks after");
	out8(0x61, 0x00);
	at(150);
	out8(0x61, 0x01);	/* retrigger */
	stub_now_ns += pit8254_ticks_to_ns(50);
	tap_ok(!(in8(0x61) & 0x20), "mode 1: a new gate edge retriggers the one-shot");

	setup();
	out8(0x61, 0x00);
	program(2, 0, 1000);	/* Linux's pit_calibrate_tsc, gate low */
	at(5000);
	ok = latched_count(2) == 1000 && !(in8(0x61) & 0x20);
	out8(0x61, 0x01);
	stub_now_ns += pit8254_ticks_to_ns(999);
	ok &= !(in8(0x61) & 0x20);
	stub_now_ns += pit8254_ticks_to_ns(1);
	ok &= (in8(0x61) & 0x20) != 0;
	tap_ok(ok, "mode 0 on counter 2: no counting with the gate low; OUT (port 0x61 bit 5) rises N clocks after it goes high");

	setup();
	program(2, 5, 100);
	ok = out_of(2);
	out8(0x61, 0x01);
	at(100);
	ok &= !out_of(2);
	at(101);
	ok &= out_of(2);
	tap_ok(ok, "mode 5: the strobe counts from the gate trigger");

	setup();
	program(0, 2, 0);	/* 0 is 65536 */
	at(65535);
	ok = !out_of(0);
	next = pit8254_timer(&pit, t0);
	tap_ok(ok && next == t0 + pit8254_ticks_to_ns(65536), "count 0 is 65536");

	setup();
	program(0, 2, 5000);
	at(100);
	out8(0x43, 0x00);	/* latch */
	at(300);
	out8(0x43, 0x00);	/* ignored: already latched */
	ok = read_count(0) == 4900 && read_count(0) == 4700;
	tap_ok(ok, "counter latch holds the value of the first latch until read");
	out8(0x43, 0xc2);	/* read-back count and status of counter 0 */
	ok = in8(0x40) == (0x80 | 0x34) && read_count(0) == 4700;
	out8(0x43, 0x30);	/* control word: null count until loaded */
	out8(0x43, 0xe2);
	ok &= (in8(0x40) & 0x40) != 0;
	tap_ok(ok, "read-back: status first (OUT, RW, mode), then the count; null count after a control word");

	setup();
	out8(0x43, 0x14);	/* counter 0, LSB only, mode 2 */
	out8(0x40, 0x50);
	ok = in8(0x40) == 0x50;
	out8(0x43, 0x24);	/* MSB only */
	out8(0x40, 0x12);
	ok &= in8(0x40) == 0x12 && in8(0x40) == 0x12;
	ok &= pit8254_timer(&pit, t0) == t0 + pit8254_ticks_to_ns(0x1200);
	tap_ok(ok, "LSB-only and MSB-only access");

	setup();
	out8(0x43, 0x31);	/* mode 0, BCD */
	out8(0x40, 0x00);
	out8(0x40, 0x10);	/* 1000 decimal */
	at(1);
	ok = latched_count(0) == 0x0999;
	at(1001);
	ok &= latched_count(0) == 0x9999;
	tap_ok(ok, "BCD: 1000 counts down through 0999 and wraps to 9999");

	setup();
	out8(0x61, 0xff);
	ok = (in8(0x61) & 0x0f) == 0x0f;
	stub_now_ns = 0;
	ok &= !(in8(0x61) & 0x10);
	stub_now_ns = PORT61_REFRESH_NS;
	ok &= (in8(0x61) & 0x10) != 0;
	tap_ok(ok && in8(0x43) == 0, "port 0x61: bits 0-3 read back, bit 4 toggles every 15 us; 0x43 reads 0");
	return tap_done();
}
