// SPDX-License-Identifier: MIT
/*
 * Local APIC driver and tick.
 *
 * x2APIC registers are MSRs 0x800 + (xAPIC offset >> 4), ICR is one 64-bit
 * MSR with the destination in the high half; in xAPIC mode the same
 * offsets are MMIO and the destination goes into ICR-high bits 31:24.
 */
#include "arch/x86/lapic.h"
#include "kernel/string.h"
#include "kernel/cmdline.h"
#include "arch/x86/acpi.h"
#include "arch/x86/cpu.h"
#include "arch/x86/interrupts.h"
#include "kernel/log.h"
#include "kernel/percpu.h"
#include "kernel/watchdog.h"

#define APIC_ID		0x020
#define APIC_EOI	0x0b0
#define APIC_SVR	0x0f0
#define APIC_ICR_LOW	0x300
#define APIC_ICR_HIGH	0x310
#define APIC_LVT_TIMER	0x320
#define APIC_TIMER_INIT	0x380
#define APIC_TIMER_CUR	0x390
#define APIC_TIMER_DIV	0x3e0

#define APIC_BASE_EXTD	BIT(10)
#define APIC_BASE_EN	BIT(11)
#define APIC_SVR_ENABLE	BIT(8)
#define APIC_LVT_MASKED	BIT(16)
#define APIC_LVT_PERIODIC BIT(17)
#define APIC_ICR_BUSY	BIT(12)
#define APIC_DIV_16	0x3

/* Decided once on the BSP; every AP follows the same mode. */
static bool use_x2apic;
static volatile u32 *xapic_mmio;
/* LAPIC timer counts (divide by 16) per second; from calibration. */
static u64 lapic_timer_hz;
static u64 tsc_freq_hz = 1000000000ULL;	/* a guess until calibrated */
/* ns = (tsc * tsc_ns_mult) >> 32; 1 ns per tick until calibrated. */
static u64 tsc_ns_mult = 1ULL << 32;
unsigned int timer_hz = 100;

static u32 lapic_read(u32 off)
{
	if (use_x2apic)
		return (u32)rdmsr(0x800 + (off >> 4));
	return xapic_mmio[off / 4];
}

static void lapic_write(u32 off, u32 v)
{
	if (use_x2apic)
		wrmsr(0x800 + (off >> 4), v);
	else
		xapic_mmio[off / 4] = v;
}

bool lapic_x2apic_mode(void)
{
	return use_x2apic;
}

void lapic_init_cpu(void)
{
	u64 base = rdmsr(MSR_IA32_APIC_BASE);
	u32 a, b, c, d;

	if (this_cpu_id() == 0) {
		cpuid(1, &a, &b, &c, &d);
		use_x2apic = c & BIT(21);
		xapic_mmio = (volatile u32 *)(unsigned long)(base & ~0xfffULL);
	}
	base |= APIC_BASE_EN;
	wrmsr(MSR_IA32_APIC_BASE, base);
	if (use_x2apic)
		wrmsr(MSR_IA32_APIC_BASE, base | APIC_BASE_EXTD);
	lapic_write(APIC_SVR, APIC_SVR_ENABLE | VEC_SPURIOUS);
	lapic_write(APIC_LVT_TIMER, APIC_LVT_MASKED);
	this_cpu()->apic_id = lapic_id();
}

u32 lapic_id(void)
{
	u32 id = lapic_read(APIC_ID);

	return use_x2apic ? id : id >> 24;
}

void lapic_eoi(void)
{
	lapic_write(APIC_EOI, 0);
}

void lapic_send_ipi(u32 dest, u32 icr)
{
	if (use_x2apic) {
		wrmsr(0x830, ((u64)dest << 32) | icr);
		return;
	}
	unsigned long flags = local_irq_save();

	while (lapic_read(APIC_ICR_LOW) & APIC_ICR_BUSY)
		cpu_pause();
	lapic_write(APIC_ICR_HIGH, dest << 24);
	lapic_write(APIC_ICR_LOW, icr);
	while (lapic_read(APIC_ICR_LOW) & APIC_ICR_BUSY)
		cpu_pause();
	local_irq_restore(flags);
}

/* The hard-lockup detector's NMI to a buddy CPU (kernel/watchdog.h). */
void arch_send_nmi(unsigned int cpu)
{
	struct percpu *pc = per_cpu(cpu);

	if (pc && READ_ONCE(pc->online))
		lapic_send_ipi(pc->apic_id, APIC_ICR_NMI);
}

/*
 * Calibration: count the LAPIC timer and the TSC across a 10 ms window
 * timed by a clock of known rate. The PIT's channel 2 one-shot, gated
 * through port 0x61 (no interrupt, channel 0 untouched), is the default;
 * the ACPI PM timer (3.579545 MHz, from the FADT) serves where the PIT
 * never expires - UEFI machines may have no 8254 - or when the command
 * line says calibrate=pmtimer.
 */
#define PIT_HZ		1193182ULL
#define PMTMR_HZ	3579545ULL
#define CALIB_MS	10
#define CALIB_SPINS	100000000UL

static bool pit_window_start(void)
{
	u16 count = PIT_HZ * CALIB_MS / 1000;
	u8 p61 = inb(0x61);

	outb(0x61, (p61 & ~0x02) | 0x01);	/* gate on, speaker off */
	outb(0x43, 0xb0);			/* ch2, lo/hi, mode 0 */
	outb(0x42, count & 0xff);
	outb(0x42, count >> 8);
	/* Restart the count: drop the gate and raise it again. */
	p61 = inb(0x61);
	outb(0x61, p61 & ~0x01);
	outb(0x61, p61 | 0x01);
	return true;
}

static bool pit_window_wait(void)
{
	for (unsigned long spins = 0; !(inb(0x61) & 0x20); spins++)
		if (spins > CALIB_SPINS)
			return false;
	return true;
}

static u32 pmtmr_read(void)
{
	u32 v = inl((u16)acpi_info.pm_tmr_port);

	return acpi_info.pm_tmr_32bit ? v : v & 0xffffff;
}

static u32 pmtmr_start;

static bool pmtmr_window_start(void)
{
	if (!acpi_info.pm_tmr_port)
		return false;
	pmtmr_start = pmtmr_read();
	return true;
}

static bool pmtmr_window_wait(void)
{
	u32 mask = acpi_info.pm_tmr_32bit ? 0xffffffffu : 0xffffff;
	u32 want = PMTMR_HZ * CALIB_MS / 1000;

	for (unsigned long spins = 0;
	     ((pmtmr_read() - pmtmr_start) & mask) < want; spins++)
		if (spins > CALIB_SPINS)
			return false;
	return true;
}

/*
 * One 10 ms window of @src: TSC ticks across it, and with @lapic the
 * LAPIC timer's count too (it is reprogrammed: boot time only). False if
 * the source is absent or never finished.
 */
static bool calib_window(enum lapic_calib_src src, u64 *tsc, u32 *lapic)
{
	bool pit = src == LAPIC_CALIB_PIT;
	u64 tsc0;

	if (!(pit ? pit_window_start() : pmtmr_window_start()))
		return false;
	if (lapic) {
		lapic_write(APIC_TIMER_DIV, APIC_DIV_16);
		lapic_write(APIC_LVT_TIMER, APIC_LVT_MASKED);
		lapic_write(APIC_TIMER_INIT, 0xffffffff);
	}
	tsc0 = rdtsc();
	if (!(pit ? pit_window_wait() : pmtmr_window_wait()))
		return false;
	*tsc = rdtsc() - tsc0;
	if (lapic) {
		*lapic = 0xffffffff - lapic_read(APIC_TIMER_CUR);
		lapic_write(APIC_TIMER_INIT, 0);
	}
	return true;
}

u64 lapic_measure_tsc_hz(enum lapic_calib_src src)
{
	u64 tsc;

	return calib_window(src, &tsc, NULL) ? tsc * (1000 / CALIB_MS) : 0;
}

static const char *const calib_names[] = {
	[LAPIC_CALIB_PIT] = "PIT", [LAPIC_CALIB_PMTIMER] = "ACPI PM timer",
};

void lapic_timer_calibrate(void)
{
	enum lapic_calib_src src = strcmp(cmdline_calibrate, "pmtimer") ?
				   LAPIC_CALIB_PIT : LAPIC_CALIB_PMTIMER;
	u32 lapic_elapsed = 0;
	u64 tsc = 0;
	bool ok = calib_window(src, &tsc, &lapic_elapsed) && lapic_elapsed;

	if (!ok) {
		enum lapic_calib_src other = src == LAPIC_CALIB_PIT ?
			LAPIC_CALIB_PMTIMER : LAPIC_CALIB_PIT;

		pr_warn("lapic: no calibration from the %s; trying the %s\n",
			calib_names[src], calib_names[other]);
		src = other;
		ok = calib_window(src, &tsc, &lapic_elapsed) && lapic_elapsed;
	}
	if (!ok) {
		pr_err("lapic: neither the PIT nor an ACPI PM timer answered; assuming a 100 MHz LAPIC timer\n");
		lapic_timer_hz = 100000000ULL / 16;
	} else {
		lapic_timer_hz = (u64)lapic_elapsed * (1000 / CALIB_MS);
		tsc_freq_hz = tsc * (1000 / CALIB_MS);
		pr_info("lapic: calibrated against the %s\n", calib_names[src]);
	}
	if (tsc_freq_hz < 1000000)
		tsc_freq_hz = 1000000;
	WRITE_ONCE(tsc_ns_mult, (1000000000ULL << 32) / tsc_freq_hz);
	pr_info("lapic: %s mode, timer %llu kHz (div 16), TSC %llu MHz, tick %u Hz\n",
		use_x2apic ? "x2APIC" : "xAPIC",
		(unsigned long long)lapic_timer_hz / 1000,
		(unsigned long long)tsc_freq_hz / 1000000, timer_hz);
}

/*
 * Default scheduler hook: the per-CPU tick count is kept by the caller.
 * The interrupted frame is passed on for the soft-lockup backtrace.
 */
__attribute__((weak)) void timer_tick(struct exception_frame *frame)
{
}

static void lapic_timer_interrupt(struct exception_frame *frame)
{
	this_cpu()->ticks++;
	timer_tick(frame);
}

void lapic_timer_start(unsigned int hz)
{
	u64 initial = lapic_timer_hz / (hz ? hz : 100);

	if (!initial)
		initial = 1;
	if (initial > 0xffffffffULL)
		initial = 0xffffffffULL;
	irq_register(VEC_TIMER, lapic_timer_interrupt);
	lapic_write(APIC_TIMER_DIV, APIC_DIV_16);
	lapic_write(APIC_LVT_TIMER, APIC_LVT_PERIODIC | VEC_TIMER);
	lapic_write(APIC_TIMER_INIT, (u32)initial);
}

u64 tsc_hz(void)
{
	return tsc_freq_hz;
}

u64 tsc_to_ns(u64 tsc)
{
	return (u64)(((unsigned __int128)tsc * READ_ONCE(tsc_ns_mult)) >> 32);
}

void udelay(u64 us)
{
	u64 end = rdtsc() + tsc_freq_hz / 1000000 * us;

	while ((s64)(rdtsc() - end) < 0)
		cpu_pause();
}
