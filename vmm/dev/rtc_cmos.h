/* SPDX-License-Identifier: MIT */
/*
 * The MC146818 real-time clock and CMOS memory of a PC: index port 0x70
 * (bit 7 is the NMI mask, bits 0-6 the register), data port 0x71.
 *
 * Registers 0-9 are the time and the alarm, BCD or binary and 12 or 24
 * hour as register B says, counted from a host time base plus whatever
 * the guest set; A holds UIP (the 244 us before each update) and the
 * periodic rate, B the enables and formats (SET stops updates), C the
 * interrupt flags (read-only, cleared by reading), D "RAM and time
 * valid". PF/UF/AF are set whether or not enabled; an enabled one sets
 * IRQF and asserts IRQ 8 until C is read. Events are accounted lazily
 * from the time elapsed, at each access and when the guest's timer
 * thread calls rtc_cmos_timer() at the deadline it returned.
 *
 * Bytes 0x0E-0x7F are the BIOS's NVRAM, filled as QEMU's pc_cmos_init()
 * does for what firmware-less kernels read: base memory (0x15-0x16),
 * extended memory (0x17-0x18, 0x30-0x31), memory above 16M in 64K units
 * (0x34-0x35), above 4G (0x5B-0x5D), the CPU count - 1 (0x5F), the
 * equipment byte (0x14) and the century (0x32).
 */
#ifndef VMM_DEV_RTC_CMOS_H
#define VMM_DEV_RTC_CMOS_H

#include "kernel/compiler.h"
#include "kernel/spinlock.h"
#include "vmm/dev/io_bus.h"

struct guest;

#define RTC_PORT		0x70
#define RTC_IRQ			8
#define RTC_REG_A		0x0a
#define RTC_REG_B		0x0b
#define RTC_REG_C		0x0c
#define RTC_REG_D		0x0d
#define RTC_A_UIP		0x80
#define RTC_B_SET		0x80
#define RTC_B_PIE		0x40
#define RTC_B_AIE		0x20
#define RTC_B_UIE		0x10
#define RTC_B_DM_BINARY		0x04
#define RTC_B_24H		0x02
#define RTC_C_IRQF		0x80
#define RTC_C_PF		0x40
#define RTC_C_AF		0x20
#define RTC_C_UF		0x10
#define RTC_D_VRT		0x80
#define RTC_CENTURY		0x32
/* 2026-01-01 00:00:00 UTC: the time base until the host has a wall clock. */
#define RTC_DEFAULT_BASE_S	1767225600ULL

struct rtc_cmos {
	spinlock_t lock;	/* protects everything below (irqsave) */
	u8 index;		/* the register port 0x71 reaches */
	bool nmi_masked;	/* bit 7 of the last index write */
	u8 ram[128];		/* 0-9 hold the time only while SET or read */
	/* RTC time in ns = base_ns + clock_ns() + offset_ns (mod 2^64). */
	u64 base_ns, offset_ns;
	u64 accounted_ns;	/* RTC time up to which flags are set */
	u64 (*clock_ns)(void);
	struct guest *guest;
	bool irq_level;		/* IRQ 8 as last driven */
};

void rtc_cmos_init(struct rtc_cmos *r, struct guest *g,
		   u64 (*clock_ns)(void), u64 base_s, u64 mem_size,
		   unsigned int nr_cpus);
extern const struct io_dev_ops rtc_cmos_ops;	/* dev = the rtc, 2 ports */
/*
 * Set the flags that came due by @now_ns (raising IRQ 8 for enabled
 * ones); the next host time it needs to be called, or 0 for none.
 */
u64 rtc_cmos_timer(struct rtc_cmos *r, u64 now_ns);

/* Civil date of Unix day @days, and back (proleptic Gregorian). */
void rtc_civil_from_days(s64 days, int *y, unsigned int *m, unsigned int *d);
s64 rtc_days_from_civil(int y, unsigned int m, unsigned int d);

#endif
