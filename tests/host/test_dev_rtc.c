// SPDX-License-Identifier: MIT
/*
 * vmm/dev/rtc_cmos.c on a fake clock: the time registers in BCD and
 * binary, 12 and 24 hour, setting the clock under SET, UIP, register C's
 * flags (set on their own, IRQF and IRQ 8 only when enabled, cleared by
 * reading), the periodic and update deadlines, the NVRAM memory sizes
 * as QEMU fills them, the index port and the read-only registers.
 */
// host-srcs: vmm/dev/rtc_cmos.c vmm/dev/io_bus.c tests/host/dev_host_stub.c
#include "vmm/dev/rtc_cmos.h"
#include "vmm/dev/io_bus.h"
#include "tests/host/dev_host_stub.h"
#include "tests/host/platform_host.h"
#include "tests/host/tap.h"

#define S	1000000000ULL

static struct rtc_cmos rtc;
static struct io_bus bus;

static void out8(u16 port, u8 v)
{
	stub_out8(&bus, port, v);
}

static u8 in8(u16 port)
{
	return stub_in8(&bus, port);
}

static u8 cmos(u8 reg) { out8(0x70, reg); return in8(0x71); }
static void cmos_set(u8 reg, u8 v) { out8(0x70, reg); out8(0x71, v); }

static void setup(u64 mem, unsigned int cpus)
{
	stub_reset();
	stub_now_ns = 0;
	/* 2026-01-01 00:00:00, a Thursday. */
	rtc_cmos_init(&rtc, NULL, stub_clock, RTC_DEFAULT_BASE_S, mem, cpus);
	io_bus_init(&bus, NULL, "test", false);
	io_bus_register(&bus, IO_SPACE_PIO, 0x70, 2, &rtc_cmos_ops, &rtc, "rtc");
}

int main(void)
{
	bool ok = true;
	int y;
	unsigned int m, d;

	host_cpu_register();
	tap_plan(17);

	for (s64 days = -800000; days < 800000 && ok; days += 13) {
		rtc_civil_from_days(days, &y, &m, &d);
		ok = rtc_days_from_civil(y, m, d) == days;
	}
	rtc_civil_from_days(rtc_days_from_civil(2000, 2, 29) + 1, &y, &m, &d);
	ok &= y == 2000 && m == 3 && d == 1;
	rtc_civil_from_days(rtc_days_from_civil(2100, 2, 28) + 1, &y, &m, &d);
	ok &= m == 3 && d == 1 && rtc_days_from_civil(1970, 1, 1) == 0;
	tap_ok(ok, "civil dates: round trip, leap years (2000 yes, 2100 no)");

	setup(2 << 20, 1);
	tap_ok(cmos(0x0a) == 0x26 && cmos(0x0b) == 0x02 && cmos(0x0c) == 0 &&
	       cmos(0x0d) == 0x80, "power-on: A 0x26, B 0x02 (BCD, 24 h), C 0, D VRT");
	stub_now_ns = 13 * 3600 * S + 2 * 60 * S + 3 * S + S / 2;
	tap_ok(cmos(0) == 0x03 && cmos(2) == 0x02 && cmos(4) == 0x13 &&
	       cmos(6) == 5 && cmos(7) == 0x01 && cmos(8) == 0x01 &&
	       cmos(9) == 0x26 && cmos(0x32) == 0x20,
	       "BCD: 2026-01-01 13:02:03, Thursday (5), century 20");
	cmos_set(0x0b, 0x00);	/* 12 hour, BCD */
	ok = cmos(4) == 0x81;
	cmos_set(0x0b, 0x06);	/* binary, 24 hour */
	ok &= cmos(4) == 13 && cmos(9) == 26 && cmos(0x32) == 20 && cmos(0) == 3;
	tap_ok(ok, "12 hour (PM bit) and binary formats");

	cmos_set(0x0b, 0x82);	/* SET, BCD 24 h */
	cmos_set(0, 0x56); cmos_set(2, 0x34); cmos_set(4, 0x12);
	cmos_set(7, 0x15); cmos_set(8, 0x06); cmos_set(9, 0x30); cmos_set(0x32, 0x20);
	stub_now_ns += 5 * S;
	ok = cmos(0) == 0x56;	/* frozen while SET */
	cmos_set(0x0b, 0x02);
	stub_now_ns += 2 * S;
	ok &= cmos(0) == 0x58 && cmos(2) == 0x34 && cmos(4) == 0x12 &&
	      cmos(7) == 0x15 && cmos(8) == 0x06 && cmos(9) == 0x30 &&
	      cmos(6) == 7;	/* 2030-06-15 is a Saturday */
	tap_ok(ok, "setting the clock under SET: frozen, then counts from the set time");

	setup(2 << 20, 1);
	stub_now_ns = S / 2;
	ok = !(cmos(0x0a) & 0x80);
	stub_now_ns = S - 100000;
	ok &= (cmos(0x0a) & 0x80) != 0;
	cmos_set(0x0b, 0x82);
	ok &= !(cmos(0x0a) & 0x80);
	tap_ok(ok, "UIP: set in the 244 us before an update, never while SET");

	setup(2 << 20, 1);
	stub_now_ns = S + 1;
	cmos(0x0c);
	stub_now_ns = 2 * S + 1;
	/* PF runs too (rate 6 at power-on): flags are set, enabled or not. */
	tap_ok((cmos(0x0c) & 0xf0) == 0x50 && !stub.irq_rises[8],
	       "UF and PF are set without UIE/PIE, IRQ 8 stays low");
	tap_ok(cmos(0x0c) == 0, "reading C clears it");
	cmos_set(0x0b, 0x12);	/* UIE */
	tap_ok(rtc_cmos_timer(&rtc, stub_now_ns) == 3 * S, "UIE: the next update is the deadline");
	stub_now_ns = 3 * S;
	rtc_cmos_timer(&rtc, stub_now_ns);
	ok = stub.irq_rises[8] == 1 && stub.irq_level[8];
	ok &= rtc_cmos_timer(&rtc, stub_now_ns + S) == 0;
	tap_ok(ok, "UIE: IRQ 8 asserted at the update; no deadline while IRQF is up");
	ok = (cmos(0x0c) & 0xb0) == 0x90 && !stub.irq_level[8] && cmos(0x0c) == 0;
	tap_ok(ok, "reading C gives IRQF|UF, clears them and drops IRQ 8");

	setup(2 << 20, 1);
	cmos_set(0x0b, 0x42);	/* PIE, rate 6: 1024 Hz */
	/* 1024 Hz ticks aligned to the seconds: the first at 976562.5 ns. */
	ok = rtc_cmos_timer(&rtc, 0) == 976563;
	stub_now_ns = 976562;
	rtc_cmos_timer(&rtc, stub_now_ns);
	ok &= !stub.irq_rises[8];
	stub_now_ns = 976563;
	rtc_cmos_timer(&rtc, stub_now_ns);
	ok &= stub.irq_rises[8] == 1 && (cmos(0x0c) & 0xc0) == 0xc0;
	tap_ok(ok, "PIE at rate 6: PF and IRQ 8 every 976.5625 us");
	cmos_set(0x0a, 0x2f);	/* rate 15: 2 Hz */
	ok = rtc_cmos_timer(&rtc, stub_now_ns) == S / 2 && (cmos(0x0a) & 0x0f) == 15;
	cmos_set(0x0a, 0x00);	/* divider off: no periodic interrupt */
	ok &= rtc_cmos_timer(&rtc, stub_now_ns) == 0;
	tap_ok(ok, "the rate select and the divider set the period");

	setup(2 << 20, 1);
	cmos_set(1, 0xc0); cmos_set(3, 0xc0); cmos_set(5, 0xc0);
	cmos_set(0x0b, 0x22);	/* AIE, alarm every second */
	stub_now_ns = S;
	rtc_cmos_timer(&rtc, stub_now_ns);
	ok = (cmos(0x0c) & 0xa0) == 0xa0;
	cmos_set(1, 0x30); cmos_set(3, 0x00); cmos_set(5, 0x00);	/* 00:00:30 */
	stub_now_ns = 10 * S;
	ok &= !(cmos(0x0c) & 0x20);
	stub_now_ns = 30 * S;
	ok &= (cmos(0x0c) & 0xa0) == 0xa0;
	tap_ok(ok, "AIE: the alarm matches with don't-care bytes, and at its second");

	setup(2 << 20, 4);
	ok = cmos(0x15) == 0x80 && cmos(0x16) == 0x02 &&	/* 640 KiB */
	     cmos(0x17) == 0x00 && cmos(0x18) == 0x04 &&	/* 1024 KiB */
	     cmos(0x30) == 0x00 && cmos(0x31) == 0x04 &&
	     cmos(0x34) == 0 && cmos(0x35) == 0 && cmos(0x5b) == 0 &&
	     cmos(0x5f) == 3 && cmos(0x14) == 0x06;
	setup(128 << 20, 1);
	ok &= cmos(0x34) == 0x00 && cmos(0x35) == 0x07 &&	/* 112M / 64K */
	      cmos(0x17) == 0xff && cmos(0x18) == 0xff;	/* 127M: clamped */
	setup(5ULL << 30, 1);
	ok &= cmos(0x17) == 0xff && cmos(0x18) == 0xff &&
	      cmos(0x34) == 0x00 && cmos(0x35) == 0xff &&
	      cmos(0x5b) == 0x00 && cmos(0x5c) == 0x40 && cmos(0x5d) == 0;
	tap_ok(ok, "NVRAM memory sizes as QEMU fills them (2M, 128M, 5G)");

	cmos_set(0x40, 0xa5);
	out8(0x70, 0x80 | 0x40);	/* NMI masked, same register */
	ok = in8(0x71) == 0xa5 && rtc.nmi_masked && in8(0x70) == 0xff;
	tap_ok(ok, "NVRAM bytes keep what is written; index bit 7 masks NMI; 0x70 reads 0xff");
	cmos_set(0x0d, 0x00);
	cmos_set(0x0c, 0xff);
	cmos_set(0x0a, 0xa6);
	tap_ok(cmos(0x0d) == 0x80 && cmos(0x0c) == 0 && !(cmos(0x0a) & 0x80) &&
	       (cmos(0x0a) & 0x7f) == 0x26,
	       "C and D are read-only, UIP cannot be written");
	return tap_done();
}
