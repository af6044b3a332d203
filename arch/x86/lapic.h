/* SPDX-License-Identifier: MIT */
/*
 * Local APIC: x2APIC (MSRs) when CPUID offers it, else xAPIC MMIO at the
 * base the APIC_BASE MSR reports. Also the periodic LAPIC timer, calibrated
 * once against the PIT, and the TSC frequency measured at the same time.
 */
#ifndef ARCH_X86_LAPIC_H
#define ARCH_X86_LAPIC_H

#include "kernel/types.h"

#define APIC_ICR_FIXED		(0u << 8)
#define APIC_ICR_NMI		(4u << 8)
#define APIC_ICR_INIT		(5u << 8)
#define APIC_ICR_STARTUP	(6u << 8)
#define APIC_ICR_LEVEL_ASSERT	(1u << 14)
#define APIC_ICR_TRIGGER_LEVEL	(1u << 15)
#define APIC_ICR_ALL_BUT_SELF	(3u << 18)

/* Enable this CPU's LAPIC (x2APIC mode if available), spurious vector. */
void lapic_init_cpu(void);
bool lapic_x2apic_mode(void);
u32 lapic_id(void);
void lapic_eoi(void);
/* Send an IPI; @dest is ignored with a destination shorthand in @icr. */
void lapic_send_ipi(u32 dest, u32 icr);

/* PIT-based calibration of the LAPIC timer and TSC (BSP, once). */
void lapic_timer_calibrate(void);
/* What times the calibration window (lapic.c explains the choice). */
enum lapic_calib_src { LAPIC_CALIB_PIT, LAPIC_CALIB_PMTIMER };
/* TSC ticks per second measured against @src; 0 if it is absent. */
u64 lapic_measure_tsc_hz(enum lapic_calib_src src);
/* Start the periodic tick on this CPU at @hz. */
void lapic_timer_start(unsigned int hz);
u64 tsc_hz(void);
/* TSC ticks to nanoseconds (multiply-shift; no 128-bit division). */
u64 tsc_to_ns(u64 tsc);
/* Busy-wait, using the calibrated TSC. */
void udelay(u64 us);

extern unsigned int timer_hz;

#endif
