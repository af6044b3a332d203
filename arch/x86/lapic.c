// SPDX-License-Identifier: MIT
/*
 * Local APIC driver and tick.
 *
 * x2APIC registers are MSRs 0x800 + (xAPIC offset >> 4), ICR is one 64-bit
 * MSR with the destination in the high half; in xAPIC mode the same
 * offsets are MMIO and the destination goes into ICR-high bits 31:24.
 */
#include "arch/x86/lapic.h"
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
 * PIT channel 2 one-shot, gated through port 0x61: count 10 ms at
 * 1.193182 MHz and see how far the LAPIC timer and the TSC moved.
 * Channel 2 needs no interrupt and does not disturb channel 0.
 */
#define PIT_HZ		1193182ULL
#define CALIB_MS	10

void lapic_timer_calibrate(void)
{
	u16 count = PIT_HZ * CALIB_MS / 1000;
	u64 tsc0, tsc1;
	u32 lapic_elapsed;
	unsigned long spins = 0;
	u8 p61;

	p61 = inb(0x61);
	outb(0x61, (p61 & ~0x02) | 0x01);	/* gate on, speaker off */
	outb(0x43, 0xb0);			/* ch2, lo/hi, mode 0 */
	outb(0x42, count & 0xff);
	outb(0x42, count >> 8);

	lapic_write(APIC_TIMER_DIV, APIC_DIV_16);
	lapic_write(APIC_LVT_TIMER, APIC_LVT_MASKED);
	/* Restart the count: drop the gate and raise it again. */
	p61 = inb(0x61);
	outb(0x61, p61 & ~0x01);
	outb(0x61, p61 | 0x01);
	lapic_write(APIC_TIMER_INIT, 0xffffffff);
	tsc0 = rdtsc();
	while (!(inb(0x61) & 0x20)) {
		if (++spins > 100000000UL) {
			pr_err("lapic: PIT channel 2 never expired; assuming a 100 MHz LAPIC timer\n");
			break;
		}
	}
	tsc1 = rdtsc();
	lapic_elapsed = 0xffffffff - lapic_read(APIC_TIMER_CUR);
	lapic_write(APIC_TIMER_INIT, 0);

	if (spins > 100000000UL || !lapic_elapsed) {
		lapic_timer_hz = 100000000ULL / 16;
	} else {
		lapic_timer_hz = (u64)lapic_elapsed * (1000 / CALIB_MS);
		tsc_freq_hz = (tsc1 - tsc0) * (1000 / CALIB_MS);
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
