// SPDX-License-Identifier: MIT
/*
 * The local APIC and I/O APIC models (vmm/dev/lapic.c, ioapic.c) against
 * the SDM and the 82093AA datasheet, with a clock the test turns by hand:
 * register reset values, PPR and the order IRR is served in, EOI and the
 * level-triggered EOI to the IOAPIC, the timer's counts in every mode and
 * divider (periods missed while a vCPU could not run collapse into one),
 * the APIC base MSR's legal and illegal transitions, which APICs each
 * destination form names, and the IOAPIC's edge/level/Remote IRR rules.
 * Then four threads throw IPIs at one APIC while its owner takes and
 * EOIs them: every accepted vector is delivered exactly once.
 */
// host-srcs: vmm/dev/lapic.c vmm/dev/ioapic.c
#include "vmm/dev/lapic.h"
#include "vmm/dev/ioapic.h"
#include "vmm/dev/dev_host.h"
#include "tests/host/platform_host.h"
#include "tests/host/tap.h"

#include <string.h>

static u64 fake_tsc;
static unsigned int kicks, sent, eois_level;
static u32 last_icr, last_dest;
static int last_eoi_vec = -1;

static void t_kick(struct kvm_lapic *a) { (void)a; __atomic_fetch_add(&kicks, 1, __ATOMIC_RELAXED); }
static void t_send(struct kvm_lapic *a, u32 icr, u32 dest)
{
	(void)a;
	sent++;
	last_icr = icr;
	last_dest = dest;
}
static void t_eoi(struct kvm_lapic *a, u8 v) { (void)a; eois_level++; last_eoi_vec = v; }
static u64 t_tsc(struct kvm_lapic *a) { (void)a; return fake_tsc; }

static const struct lapic_host_ops ops = {
	.kick = t_kick, .send_ipi = t_send, .eoi_level = t_eoi, .tsc_now = t_tsc,
};

/* The IOAPIC's messages land here (dev_host.h's hook). */
static struct { u32 dest; bool logical; unsigned int dm; u8 vec; bool level; } msgs[64];
static unsigned int nr_msgs;
void guest_apic_deliver(struct guest *g, u32 dest, bool logical,
			unsigned int dm, u8 vector, bool level)
{
	(void)g;
	if (nr_msgs < 64)
		msgs[nr_msgs] = (typeof(msgs[0])){ dest, logical, dm, vector, level };
	nr_msgs++;
}
void guest_console_write(struct guest *g, const char *s, size_t len) { (void)g; (void)s; (void)len; }
void guest_kill(struct guest *g, const char *why) { (void)g; (void)why; }
void guest_exit(struct guest *g, u64 status) { (void)g; (void)status; }

static u32 rd(struct kvm_lapic *a, u32 off)
{
	u64 v;

	lapic_mmio_read(a, off, 4, &v);
	return (u32)v;
}

static void wr(struct kvm_lapic *a, u32 off, u32 v)
{
	lapic_mmio_write(a, off, 4, v);
}

static void fresh(struct kvm_lapic *a, u32 id, bool bsp)
{
	lapic_init(a, id, bsp, true, &ops, NULL);
	wr(a, APIC_SPIV, 0x1ff);
}

static void test_reset_and_ro(void)
{
	struct kvm_lapic a;

	lapic_init(&a, 3, false, true, &ops, NULL);
	tap_ok(rd(&a, APIC_ID) == 3U << 24 && rd(&a, APIC_LVR) == 0x50014 &&
	       rd(&a, APIC_SPIV) == 0xff && rd(&a, APIC_DFR) == 0xffffffff &&
	       rd(&a, APIC_LVTT) == APIC_LVT_MASKED &&
	       rd(&a, APIC_LVT0) == APIC_LVT_MASKED &&
	       a.apic_base == (APIC_DEFAULT_PHYS_BASE | APIC_BASE_ENABLE),
	       "reset values (AP)");
	lapic_init(&a, 0, true, true, &ops, NULL);
	tap_ok(rd(&a, APIC_LVT0) == APIC_DM_EXTINT << 8 &&
	       (a.apic_base & APIC_BASE_BSP), "BSP: LINT0 virtual wire, BSP flag");
	wr(&a, APIC_LVR, 0);
	wr(&a, APIC_PROCPRI, 0);
	tap_ok(rd(&a, APIC_LVR) == 0x50014, "LVR read-only");
	/* Software-disabled: LVT writes stay masked. */
	wr(&a, APIC_LVTT, 0x40);
	tap_ok(rd(&a, APIC_LVTT) == (0x40 | APIC_LVT_MASKED),
	       "LVT masked while software-disabled");
	wr(&a, APIC_SPIV, 0x1ff);
	wr(&a, APIC_LVTT, 0x40);
	tap_ok(rd(&a, APIC_LVTT) == 0x40, "LVT unmasked once enabled");
	wr(&a, APIC_SPIV, 0x0ff);
	tap_ok(rd(&a, APIC_LVTT) & APIC_LVT_MASKED,
	       "clearing SVR.enable masks every LVT");
}

static void test_priorities(void)
{
	struct kvm_lapic a;
	bool ok;

	fresh(&a, 0, true);
	lapic_accept_irq(&a, APIC_DM_FIXED, 0x61, false);
	lapic_accept_irq(&a, APIC_DM_FIXED, 0x93, false);
	lapic_accept_irq(&a, APIC_DM_FIXED, 0x35, true);
	tap_ok(lapic_ack_interrupt(&a) == 0x93 && lapic_pending_vector(&a) < 0 &&
	       lapic_ppr(&a) == 0x90, "highest first; its class blocks the rest");
	wr(&a, APIC_EOI, 0);
	ok = lapic_ack_interrupt(&a) == 0x61;
	wr(&a, APIC_TASKPRI, 0x70);
	tap_ok(ok && lapic_ppr(&a) == 0x70 && lapic_pending_vector(&a) < 0,
	       "TPR above ISR sets PPR");
	wr(&a, APIC_EOI, 0);	/* 0x61 done */
	tap_ok(lapic_pending_vector(&a) < 0 && lapic_ack_interrupt(&a) < 0,
	       "TPR 0x70 still blocks 0x35, for the INTA too");
	wr(&a, APIC_TASKPRI, 0x20);
	ok = lapic_ack_interrupt(&a) == 0x35;
	eois_level = 0;
	wr(&a, APIC_EOI, 0);
	tap_ok(ok && eois_level == 1 && last_eoi_vec == 0x35,
	       "level-triggered EOI goes to the IOAPIC, edge ones do not");
	/* Same class: the higher vector within it is still served first. */
	lapic_accept_irq(&a, APIC_DM_FIXED, 0x42, false);
	lapic_accept_irq(&a, APIC_DM_FIXED, 0x4a, false);
	tap_ok(lapic_ack_interrupt(&a) == 0x4a && lapic_pending_vector(&a) < 0,
	       "one class at a time (0x42 waits for 0x4a's EOI)");
	wr(&a, APIC_EOI, 0);
	tap_ok(lapic_ack_interrupt(&a) == 0x42, "then 0x42");
	wr(&a, APIC_EOI, 0);
	tap_ok(!lapic_accept_irq(&a, APIC_DM_FIXED, 7, false) &&
	       lapic_pending_vector(&a) < 0, "vector < 16 refused");
	wr(&a, APIC_ESR, 0);
	tap_ok(rd(&a, APIC_ESR) == APIC_ESR_RECV_ILLEGAL, "ESR latched on write");
	wr(&a, APIC_ESR, 0);
	tap_ok(rd(&a, APIC_ESR) == 0, "next ESR write clears it");
	wr(&a, APIC_SPIV, 0xff);
	tap_ok(!lapic_accept_irq(&a, APIC_DM_FIXED, 0x50, false),
	       "software-disabled APIC drops fixed interrupts");
	tap_ok(lapic_accept_irq(&a, APIC_DM_NMI, 0, false) && a.nmi_pending == 1 &&
	       lapic_accept_irq(&a, APIC_DM_INIT, 0, false) &&
	       lapic_accept_irq(&a, APIC_DM_STARTUP, 0x9a, false) &&
	       a.pending_events == (LAPIC_EV_INIT | LAPIC_EV_SIPI) &&
	       a.sipi_vector == 0x9a, "NMI, INIT, SIPI still accepted");
}

static void test_timer(void)
{
	struct kvm_lapic a;
	bool ok;

	fresh(&a, 0, true);
	fake_tsc = 1000;
	wr(&a, APIC_TDCR, 0xb);
	wr(&a, APIC_LVTT, 0x41);
	wr(&a, APIC_TMICT, 500);
	fake_tsc = 1200;
	ok = rd(&a, APIC_TMCCT) == 300 && lapic_timer_next(&a) == 1500;
	tap_ok(ok && !lapic_timer_check(&a, 1499) && lapic_timer_check(&a, 1500) &&
	       lapic_ack_interrupt(&a) == 0x41 && lapic_timer_next(&a) == 0,
	       "one-shot: counts down, fires at TMICT, disarms");
	fake_tsc = 1600;
	tap_ok(rd(&a, APIC_TMCCT) == 0, "one-shot: TMCCT stays 0");
	wr(&a, APIC_EOI, 0);

	static const struct { u32 tdcr, div; } divs[] = {
		{ 0x0, 2 }, { 0x1, 4 }, { 0x2, 8 }, { 0x3, 16 },
		{ 0x8, 32 }, { 0x9, 64 }, { 0xa, 128 }, { 0xb, 1 },
	};
	ok = true;
	for (unsigned int i = 0; i < 8; i++) {
		fake_tsc = 10000;
		wr(&a, APIC_TDCR, divs[i].tdcr);
		wr(&a, APIC_TMICT, 100);
		ok &= lapic_timer_next(&a) == 10000 + 100ULL * divs[i].div;
		fake_tsc = 10000 + 10ULL * divs[i].div;
		ok &= rd(&a, APIC_TMCCT) == 90;
	}
	tap_ok(ok, "all eight dividers");
	wr(&a, APIC_TMICT, 0);
	tap_ok(lapic_timer_next(&a) == 0, "TMICT 0 stops it");

	wr(&a, APIC_TDCR, 0xb);
	wr(&a, APIC_LVTT, 0x42 | APIC_LVT_TIMER_PERIODIC);
	fake_tsc = 0x10000;
	wr(&a, APIC_TMICT, 1000);
	ok = lapic_timer_check(&a, 0x10000 + 1000) &&
	     lapic_timer_next(&a) == 0x10000 + 2000;
	/* 5.5 periods late: one interrupt, the next on the period grid. */
	ok &= lapic_timer_check(&a, 0x10000 + 7500) &&
	      lapic_timer_next(&a) == 0x10000 + 8000;
	fake_tsc = 0x10000 + 7600;
	tap_ok(ok && rd(&a, APIC_TMCCT) == 400 && a.nr_timer_fired == 3,
	       "periodic: reloads on the grid, missed periods collapse");
	wr(&a, APIC_LVTT, 0x42 | APIC_LVT_TIMER_ONESHOT);
	tap_ok(lapic_timer_next(&a) == 0x10000 + 8000,
	       "periodic -> one-shot keeps the count");
	a.min_period = 5000;
	wr(&a, APIC_LVTT, 0x42 | APIC_LVT_TIMER_PERIODIC);
	fake_tsc = 0x20000;
	wr(&a, APIC_TMICT, 1);
	ok = lapic_timer_next(&a) == 0x20000 + 5000 &&
	     lapic_timer_check(&a, 0x20000 + 5000) &&
	     lapic_timer_next(&a) == 0x20000 + 10000;
	wr(&a, APIC_LVTT, 0x42 | APIC_LVT_TIMER_ONESHOT);
	wr(&a, APIC_TMICT, 1);
	tap_ok(ok && lapic_timer_next(&a) == 0x20000 + 1,
	       "a periodic period below min_period is clamped, one-shot is not");
	a.min_period = 0;
	while (lapic_ack_interrupt(&a) >= 0)
		wr(&a, APIC_EOI, 0);

	wr(&a, APIC_LVTT, 0x43 | APIC_LVT_TIMER_TSCDEADLINE);
	tap_ok(lapic_timer_next(&a) == 0 && rd(&a, APIC_TMICT) == 0,
	       "into TSC-deadline mode disarms");
	wr(&a, APIC_TMICT, 77);
	lapic_set_tsc_deadline(&a, 0x50000);
	ok = rd(&a, APIC_TMICT) == 0 && lapic_get_tsc_deadline(&a) == 0x50000 &&
	     rd(&a, APIC_TMCCT) == 0;
	tap_ok(ok && !lapic_timer_check(&a, 0x4ffff) &&
	       lapic_timer_check(&a, 0x50000) && lapic_get_tsc_deadline(&a) == 0,
	       "TSC deadline: TMICT ignored, fires once, reads 0 after");
	lapic_set_tsc_deadline(&a, 0x60000);
	lapic_set_tsc_deadline(&a, 0);
	tap_ok(lapic_timer_next(&a) == 0, "deadline 0 disarms");
	wr(&a, APIC_LVTT, 0x43);
	lapic_set_tsc_deadline(&a, 0x70000);
	tap_ok(lapic_timer_next(&a) == 0 && lapic_get_tsc_deadline(&a) == 0,
	       "deadline writes ignored outside deadline mode");
	/* Masked: counts and reloads, no interrupt. */
	while (lapic_ack_interrupt(&a) >= 0)
		wr(&a, APIC_EOI, 0);
	wr(&a, APIC_LVTT, 0x44 | APIC_LVT_MASKED);
	fake_tsc = 0x80000;
	wr(&a, APIC_TMICT, 10);
	tap_ok(lapic_timer_check(&a, 0x80010) && lapic_pending_vector(&a) < 0,
	       "masked timer fires silently");
}

static void test_base_transitions(void)
{
	struct kvm_lapic a;
	const u64 b = APIC_DEFAULT_PHYS_BASE;

	fresh(&a, 5, false);
	tap_ok(!lapic_set_base(&a, b | APIC_BASE_EXTD, 39), "EXTD without EN: #GP");
	tap_ok(!lapic_set_base(&a, b | APIC_BASE_ENABLE | 1, 39), "reserved bit 0: #GP");
	tap_ok(!lapic_set_base(&a, (1ULL << 40) | APIC_BASE_ENABLE, 39),
	       "base beyond MAXPHYADDR: #GP");
	tap_ok(lapic_set_base(&a, b | APIC_BASE_ENABLE | APIC_BASE_EXTD, 39) &&
	       lapic_mode(&a) == LAPIC_MODE_X2APIC, "xAPIC -> x2APIC");
	{
		u64 v = 0;

		tap_ok(lapic_x2apic_read(&a, 0x802, &v) && v == 5 &&
		       lapic_x2apic_read(&a, 0x80d, &v) && v == 0x20,
		       "x2APIC id and derived LDR");
	}
	tap_ok(!lapic_set_base(&a, b | APIC_BASE_ENABLE, 39),
	       "x2APIC -> xAPIC: #GP");
	tap_ok(lapic_set_base(&a, b, 39) && lapic_mode(&a) == LAPIC_MODE_DISABLED,
	       "x2APIC -> disabled");
	tap_ok(!lapic_set_base(&a, b | APIC_BASE_ENABLE | APIC_BASE_EXTD, 39),
	       "disabled -> x2APIC: #GP");
	tap_ok(lapic_set_base(&a, b | APIC_BASE_ENABLE, 39) &&
	       rd(&a, APIC_ID) == 5U << 24 && rd(&a, APIC_SPIV) == 0xff,
	       "disabled -> xAPIC: reset state, xAPIC id");
	a.x2apic_allowed = false;
	tap_ok(!lapic_set_base(&a, b | APIC_BASE_ENABLE | APIC_BASE_EXTD, 39),
	       "EXTD refused when CPUID has no x2APIC");
	tap_ok(lapic_set_base(&a, 0xfed00000ULL | APIC_BASE_ENABLE, 39) &&
	       lapic_mmio_base(&a) == 0xfed00000ULL, "base relocates");
}

static void test_x2apic_msrs(void)
{
	struct kvm_lapic a;
	u64 v = 0;

	fresh(&a, 2, false);
	tap_ok(!lapic_x2apic_read(&a, 0x802, &v), "x2APIC MSRs #GP in xAPIC mode");
	lapic_set_base(&a, APIC_DEFAULT_PHYS_BASE | APIC_BASE_ENABLE |
		       APIC_BASE_EXTD, 39);
	tap_ok(!lapic_x2apic_write(&a, 0x802, 1) && !lapic_x2apic_write(&a, 0x80d, 1) &&
	       !lapic_x2apic_write(&a, 0x803, 1) && !lapic_x2apic_write(&a, 0x80b, 1) &&
	       !lapic_x2apic_read(&a, 0x80b, &v) && !lapic_x2apic_read(&a, 0x80e, &v) &&
	       !lapic_x2apic_read(&a, 0x831, &v) && !lapic_x2apic_read(&a, 0x83f, &v) &&
	       !lapic_x2apic_write(&a, 0x808, 1ULL << 32) &&
	       !lapic_x2apic_read(&a, 0x8ff, &v),
	       "x2APIC: read-only, write-only, absent and reserved all #GP");
	sent = 0;
	tap_ok(lapic_x2apic_write(&a, 0x830, (7ULL << 32) | 0x4055) && sent == 1 &&
	       last_dest == 7 && last_icr == 0x4055 &&
	       lapic_x2apic_read(&a, 0x830, &v) && v == ((7ULL << 32) | 0x4055),
	       "x2APIC ICR: one 64-bit write sends, reads back");
	tap_ok(lapic_x2apic_write(&a, 0x83f, 0x66) && lapic_pending_vector(&a) == 0x66 &&
	       !lapic_x2apic_write(&a, 0x83f, 0x166),
	       "x2APIC self IPI; reserved bits #GP");
	sent = 0;
	lapic_set_base(&a, APIC_DEFAULT_PHYS_BASE, 39);
	lapic_set_base(&a, APIC_DEFAULT_PHYS_BASE | APIC_BASE_ENABLE, 39);
	wr(&a, APIC_SPIV, 0x1ff);
	wr(&a, APIC_ICR2, 0x03000000);
	tap_ok(sent == 0, "xAPIC ICR2 alone sends nothing");
	wr(&a, APIC_ICR, 0x4031);
	tap_ok(sent == 1 && last_dest == 3 && !(rd(&a, APIC_ICR) & APIC_ICR_BUSY),
	       "xAPIC ICR low sends to ICR2's destination, never busy");
}

static void test_match_dest(void)
{
	struct kvm_lapic a[4];
	bool ok = true;

	for (u32 i = 0; i < 4; i++) {
		fresh(&a[i], i, !i);
		wr(&a[i], APIC_LDR, (1U << i) << 24);
	}
	ok &= lapic_match_dest(&a[2], &a[0], APIC_SH_NONE, 2, false);
	ok &= !lapic_match_dest(&a[1], &a[0], APIC_SH_NONE, 2, false);
	ok &= lapic_match_dest(&a[3], &a[0], APIC_SH_NONE, 0xff, false);
	tap_ok(ok, "xAPIC physical and broadcast");
	ok = lapic_match_dest(&a[1], NULL, APIC_SH_NONE, 0x0a, true) &&
	     lapic_match_dest(&a[3], NULL, APIC_SH_NONE, 0x0a, true) &&
	     !lapic_match_dest(&a[2], NULL, APIC_SH_NONE, 0x0a, true);
	tap_ok(ok, "xAPIC logical flat");
	for (u32 i = 0; i < 4; i++) {
		wr(&a[i], APIC_DFR, 0x0fffffff);	/* cluster */
		wr(&a[i], APIC_LDR, ((i / 2) << 28) | ((1U << (i % 2)) << 24));
	}
	ok = lapic_match_dest(&a[3], NULL, APIC_SH_NONE, 0x12, true) &&
	     !lapic_match_dest(&a[1], NULL, APIC_SH_NONE, 0x12, true) &&
	     lapic_match_dest(&a[1], NULL, APIC_SH_NONE, 0xf2, true) &&
	     !lapic_match_dest(&a[0], NULL, APIC_SH_NONE, 0xf2, true);
	tap_ok(ok, "xAPIC logical cluster");
	ok = lapic_match_dest(&a[0], &a[0], APIC_SH_SELF, 9, false) &&
	     !lapic_match_dest(&a[1], &a[0], APIC_SH_SELF, 9, false) &&
	     lapic_match_dest(&a[0], &a[0], APIC_SH_ALL, 9, false) &&
	     !lapic_match_dest(&a[0], &a[0], APIC_SH_ALL_BUT_SELF, 9, false) &&
	     lapic_match_dest(&a[2], &a[0], APIC_SH_ALL_BUT_SELF, 9, false);
	tap_ok(ok, "shorthands");
	for (u32 i = 0; i < 4; i++)
		lapic_set_base(&a[i], APIC_DEFAULT_PHYS_BASE | APIC_BASE_ENABLE |
			       APIC_BASE_EXTD, 39);
	ok = lapic_match_dest(&a[3], NULL, APIC_SH_NONE, 3, false) &&
	     !lapic_match_dest(&a[3], NULL, APIC_SH_NONE, 0xff, false) &&
	     lapic_match_dest(&a[3], NULL, APIC_SH_NONE, 0xffffffff, false) &&
	     lapic_match_dest(&a[2], NULL, APIC_SH_NONE, 0x00000004, true) &&
	     !lapic_match_dest(&a[2], NULL, APIC_SH_NONE, 0x00010004, true);
	tap_ok(ok, "x2APIC physical (0xff is an id) and cluster");
	lapic_set_base(&a[1], APIC_DEFAULT_PHYS_BASE, 39);
	tap_ok(!lapic_match_dest(&a[1], NULL, APIC_SH_NONE, 1, false),
	       "disabled APIC is named by no destination");
}

static void test_ioapic(void)
{
	struct ioapic io;
	u64 v;

	ioapic_init(&io, NULL, 4);
#define IOW(reg, val) do { ioapic_ops.write(&io, 0, 4, reg); ioapic_ops.write(&io, 0x10, 4, val); } while (0)
#define IOR(reg) (ioapic_ops.write(&io, 0, 4, reg), ioapic_ops.read(&io, 0x10, 4, &v), (u32)v)
	tap_ok(IOR(1) == 0x170011 && IOR(0) == 4U << 24 && IOR(0x10) == 0x10000 &&
	       IOR(0x40) == 0, "version, id, masked pins, nothing past the table");
	nr_msgs = 0;
	ioapic_set_irq(&io, 3, true);
	tap_ok(nr_msgs == 0, "masked edge pin: nothing");
	IOW(0x10 + 6, 0x31);
	IOW(0x11 + 6, 2U << 24);
	tap_ok(nr_msgs == 0, "unmasking an edge pin with its line up: no edge");
	ioapic_set_irq(&io, 3, false);
	ioapic_set_irq(&io, 3, true);
	ioapic_set_irq(&io, 3, true);
	tap_ok(nr_msgs == 1 && msgs[0].vec == 0x31 && msgs[0].dest == 2 &&
	       !msgs[0].level && !(IOR(0x16) & IOAPIC_RTE_REMOTE_IRR),
	       "edge: one message per rising edge, no Remote IRR");
	nr_msgs = 0;
	IOW(0x10 + 8, 0x32 | IOAPIC_RTE_LEVEL | IOAPIC_RTE_LOGICAL | IOAPIC_RTE_REMOTE_IRR);
	tap_ok(!(IOR(0x18) & IOAPIC_RTE_REMOTE_IRR), "Remote IRR is read-only");
	ioapic_set_irq(&io, 4, true);
	ioapic_set_irq(&io, 4, true);
	tap_ok(nr_msgs == 1 && msgs[0].level && msgs[0].logical &&
	       (IOR(0x18) & IOAPIC_RTE_REMOTE_IRR), "level: once until EOI");
	ioapic_eoi(&io, 0x33);
	tap_ok(nr_msgs == 1, "EOI of another vector changes nothing");
	ioapic_eoi(&io, 0x32);
	tap_ok(nr_msgs == 2, "EOI with the line still up: again");
	ioapic_set_irq(&io, 4, false);
	ioapic_eoi(&io, 0x32);
	tap_ok(nr_msgs == 2 && !(IOR(0x18) & IOAPIC_RTE_REMOTE_IRR),
	       "line down then EOI: quiet, Remote IRR clear");
	IOW(0x10 + 8, 0x32 | IOAPIC_RTE_LEVEL | IOAPIC_RTE_MASKED);
	ioapic_set_irq(&io, 4, true);
	tap_ok(nr_msgs == 2, "masked level pin holds");
	IOW(0x10 + 8, 0x32 | IOAPIC_RTE_LEVEL);
	tap_ok(nr_msgs == 3, "unmasked with the line up: delivers");
	ioapic_set_irq(&io, 24, true);
	tap_ok(nr_msgs == 3, "pin 24 does not exist");
	ioapic_ops.write(&io, 0, 2, 1);		/* 16-bit: ignored */
	tap_ok(IOR(1) == 0x170011, "only 32-bit accesses count");
}

/* Four senders, one receiver taking and EOIing: nothing lost or doubled. */
#define RACE_PER_THREAD 20000
static struct kvm_lapic race_apic;
static u32 accepted[256], delivered[256];
static unsigned int senders_done;

static void race_cpu(void *arg, unsigned int cpu)
{
	(void)arg;
	if (cpu) {
		for (unsigned int i = 0; i < RACE_PER_THREAD; i++) {
			u8 vec = (u8)(0x20 + ((i * 7 + cpu * 13) % 0xd0));

			if (lapic_accept_irq(&race_apic, APIC_DM_FIXED, vec, false))
				__atomic_fetch_add(&accepted[vec], 1,
						   __ATOMIC_RELAXED);
		}
		__atomic_fetch_add(&senders_done, 1, __ATOMIC_RELEASE);
		return;
	}
	while (__atomic_load_n(&senders_done, __ATOMIC_ACQUIRE) < 4 ||
	       lapic_pending_vector(&race_apic) >= 0) {
		int v = lapic_ack_interrupt(&race_apic);

		if (v >= 0) {
			delivered[v]++;
			lapic_mmio_write(&race_apic, APIC_EOI, 4, 0);
		}
	}
}

static void test_race(void)
{
	bool ok = true, isr_empty = true;
	u64 acc = 0, del = 0;

	fresh(&race_apic, 0, true);
	host_run_cpus(5, race_cpu, NULL);
	for (int v = 0; v < 256; v++) {
		/* IRR is one bit: accepted-while-pending ones merge. */
		ok &= delivered[v] <= accepted[v];
		ok &= !accepted[v] || delivered[v] >= 1;
		acc += accepted[v];
		del += delivered[v];
	}
	for (u32 off = APIC_ISR; off < APIC_ISR + 0x80; off += 0x10)
		isr_empty &= lapic_peek(&race_apic, off) == 0;
	tap_ok(ok && isr_empty && lapic_pending_vector(&race_apic) < 0 && del,
	       "4 senders, 1 receiver: every vector delivered, none invented "
	       "(%llu accepted, %llu delivered)", (unsigned long long)acc,
	       (unsigned long long)del);
}

int main(void)
{
	tap_plan(66);
	test_reset_and_ro();
	test_priorities();
	test_timer();
	test_base_transitions();
	test_x2apic_msrs();
	test_match_dest();
	test_ioapic();
	test_race();
	return tap_done();
}
