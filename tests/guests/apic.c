// SPDX-License-Identifier: MIT
/*
 * apic: the virtual local APIC and I/O APIC as the SDM and the 82093AA
 * datasheet define them, checked from inside a 4-vCPU guest: reset
 * state, read-only registers, priorities (TPR/PPR, IRR/ISR order, a
 * handler that never EOIs), the timer in one-shot, periodic and
 * TSC-deadline modes and waking HLT, IPIs of each kind between the vCPUs
 * (physical, logical flat, all-but-self, NMI, to nobody), INIT and SIPI
 * restarting a vCPU in real mode, x2APIC mode and the APIC base MSR's
 * transitions (and every #GP they must give), and the I/O APIC's edge
 * and level pins with Remote IRR and EOI. Needs test_hooks=1 (HC_IRQ_LINE
 * drives the IOAPIC's lines), testdev=1 (the same through QEMU's
 * pc-testdev ports) and vcpus=4.
 *
 * Timing checks are one-sided: an interrupt must not come before its
 * time, and must come within a generous bound, never "within N ticks".
 */
#include "tests/guests/lib/guest.h"

#define APIC_BASE	0xfee00000UL
#define IOAPIC_BASE	0xfec00000UL
#define MSR_APIC_BASE	0x1b
#define MSR_TSC_DEADLINE 0x6e0
#define MSR_X2APIC(off)	(0x800 + ((off) >> 4))

#define APIC_ID		0x20
#define APIC_LVR	0x30
#define APIC_TPR	0x80
#define APIC_PPR	0xa0
#define APIC_EOI	0xb0
#define APIC_LDR	0xd0
#define APIC_DFR	0xe0
#define APIC_SVR	0xf0
#define APIC_ISR	0x100
#define APIC_IRR	0x200
#define APIC_ESR	0x280
#define APIC_ICR	0x300
#define APIC_ICR2	0x310
#define APIC_LVTT	0x320
#define APIC_LVT0	0x350
#define APIC_TMICT	0x380
#define APIC_TMCCT	0x390
#define APIC_TDCR	0x3e0
#define APIC_SELF_IPI	0x3f0

#define ICR_NMI		(4U << 8)
#define ICR_INIT	(5U << 8)
#define ICR_STARTUP	(6U << 8)
#define ICR_LOGICAL	(1U << 11)
#define ICR_ASSERT	(1U << 14)
#define ICR_SELF	(1U << 18)
#define ICR_ALL_BUT_SELF (3U << 18)
#define LVT_MASKED	(1U << 16)
#define TIMER_PERIODIC	(1U << 17)
#define TIMER_DEADLINE	(2U << 17)

#define V_SELF		0x40
#define V_LOW		0x45
#define V_ORDER_LO	0x60
#define V_ORDER_HI	0x90
#define V_NO_EOI	0x70
#define V_UNDER		0x50
#define V_TIMER		0x41
#define V_IPI		0x52
#define V_X2_SELF	0x58
#define V_X2_IPI	0x59
#define V_EDGE		0x61
#define V_LEVEL		0x62

#define WAIT_TICKS	2000000000ULL	/* generous: Bochs counts instructions */
#define NR_VCPUS	4
#define SIPI_PAGE	0x8000		/* the real-mode trampoline */
#define SIPI_MARK	0x8100

static u64 pd_high[512] __attribute__((aligned(4096)));
static u32 count[NR_VCPUS][256];
static u8 order[8];
static u32 nr_order;
static u64 tsc_at[256];
static volatile u32 phase;		/* what the secondaries do next */
static u32 loops[NR_VCPUS];
static bool x2_mode[NR_VCPUS];	/* per vCPU: each APIC has its mode */
static u32 level_line_drops;
static u32 ldr_set[NR_VCPUS];

static u32 apic_read(u32 off)
{
	if (x2_mode[this_vcpu()]) {
		u64 v = 0;

		rdmsr_safe(MSR_X2APIC(off), &v);
		return (u32)v;
	}
	return *(volatile u32 *)(APIC_BASE + off);
}

static void apic_write(u32 off, u32 val)
{
	if (x2_mode[this_vcpu()])
		wrmsr_safe(MSR_X2APIC(off), val);
	else
		*(volatile u32 *)(APIC_BASE + off) = val;
}

static void eoi(void)
{
	apic_write(APIC_EOI, 0);
}

static void send_ipi(u32 dest, u32 icr)
{
	if (x2_mode[this_vcpu()]) {	/* one 64-bit ICR, dest in [63:32] */
		wrmsr_safe(MSR_X2APIC(APIC_ICR), ((u64)dest << 32) | icr);
		return;
	}
	apic_write(APIC_ICR2, dest << 24);
	apic_write(APIC_ICR, icr);
}

static bool bit_set(u32 base, u8 vec)
{
	return apic_read(base + 0x10 * (vec >> 5)) & (1U << (vec & 31));
}

static void count_irq(unsigned int vec)
{
	unsigned int me = this_vcpu();

	__atomic_fetch_add(&count[me][vec], 1, __ATOMIC_RELAXED);
	if (!tsc_at[vec])
		tsc_at[vec] = rdtsc();
}

static void on_irq(unsigned int vec)
{
	count_irq(vec);
	if (nr_order < ARRAY_SIZE(order))
		order[nr_order++] = (u8)vec;
	eoi();
}

static void on_irq_no_eoi(unsigned int vec)
{
	count_irq(vec);	/* leaves V_NO_EOI in service on purpose */
}

static void on_nmi(unsigned int vec)
{
	count_irq(vec);
}

/* A level line the guest does not quiet comes back after each EOI. */
static void on_level(unsigned int vec)
{
	count_irq(vec);
	if (READ_ONCE(count[this_vcpu()][vec]) >= 2) {
		hc_irq_line(6, 0);
		level_line_drops++;
	}
	eoi();
}

static bool wait_count(unsigned int cpu, unsigned int vec, u32 want)
{
	u64 t0 = rdtsc();

	while (READ_ONCE(count[cpu][vec]) < want)
		if (rdtsc() - t0 > WAIT_TICKS)
			return false;
	return true;
}

/* Spin a while with interrupts on (nothing may come in the meantime). */
static void spin_ticks(u64 n)
{
	u64 t0 = rdtsc();

	sti();
	while (rdtsc() - t0 < n)
		cpu_relax();
}

static void map_apics(void)
{
	u64 *pdpt = (u64 *)(uintptr_t)HV_GPA_PDPT;

	pd_high[(IOAPIC_BASE >> 21) & 511] = IOAPIC_BASE | 0x9b; /* P W PCD PWT PS */
	pd_high[(APIC_BASE >> 21) & 511] = (APIC_BASE & ~0x1fffffUL) | 0x9b;
	pdpt[3] = (u64)(uintptr_t)pd_high | 3;
	asm volatile("mov %%cr3, %%rax; mov %%rax, %%cr3" ::: "rax", "memory");
}

static void apic_enable(void)
{
	apic_write(APIC_SVR, 0x1ff);
}

/* ---- secondaries --------------------------------------------------- */

enum { PH_WAIT, PH_IPI, PH_LOGICAL, PH_SPIN, PH_DONE };

static u32 apics_mapped;

void secondary_main(unsigned int vcpu)
{
	u64 base = 0;

	/* vCPU 0 maps the APIC pages; then a CR3 reload sees them here too. */
	while (!__atomic_load_n(&apics_mapped, __ATOMIC_ACQUIRE))
		cpu_relax();
	asm volatile("mov %%cr3, %%rax; mov %%rax, %%cr3" ::: "rax", "memory");

	rdmsr_safe(MSR_APIC_BASE, &base);
	ktap_result(EXPECT_EQ(base, 0xfee00800ULL) &&
		    EXPECT_EQ(apic_read(APIC_ID), vcpu << 24),
		    "vcpu%u_apic_base_not_bsp", vcpu);
	apic_enable();
	for (;;) {
		u32 ph = READ_ONCE(phase);

		if (ph == PH_DONE)
			break;
		if (ph == PH_LOGICAL) {
			apic_write(APIC_DFR, 0xffffffff);
			apic_write(APIC_LDR, (1U << vcpu) << 24);
			WRITE_ONCE(ldr_set[vcpu], 1);
		}
		__atomic_fetch_add(&loops[vcpu], 1, __ATOMIC_RELAXED);
		if (ph == PH_SPIN)
			spin_ticks(1000);
		else
			safe_halt();	/* IPIs wake us */
	}
}

static bool wait_loops_move(unsigned int cpu)
{
	u32 l0 = READ_ONCE(loops[cpu]);
	u64 t0 = rdtsc();

	while (READ_ONCE(loops[cpu]) == l0)
		if (rdtsc() - t0 > WAIT_TICKS)
			return false;
	return true;
}

/* ---- tests ----------------------------------------------------------- */

static void test_reset_state(void)
{
	u32 a, b, c, d;
	u64 base = 0;

	cpuid(1, 0, &a, &b, &c, &d);
	ktap_result(EXPECT(d & (1U << 9)) && EXPECT(c & (1U << 21)) &&
		    EXPECT(c & (1U << 24)) && EXPECT_EQ(b >> 24, 0),
		    "cpuid_apic_x2apic_tsc_deadline");
	cpuid(0xb, 0, &a, &b, &c, &d);
	ktap_result(EXPECT_EQ(d, 0), "cpuid_0xb_x2apic_id");
	rdmsr_safe(MSR_APIC_BASE, &base);
	ktap_result(EXPECT_EQ(base, 0xfee00900ULL), "apic_base_bsp_enabled");
	ktap_result(EXPECT_EQ(apic_read(APIC_ID), 0) &&
		    EXPECT_EQ(apic_read(APIC_LVR), 0x50014) &&
		    EXPECT_EQ(apic_read(APIC_SVR), 0xff) &&
		    EXPECT_EQ(apic_read(APIC_LVTT), LVT_MASKED) &&
		    EXPECT_EQ(apic_read(APIC_LVT0), 0x700) &&
		    EXPECT_EQ(apic_read(APIC_DFR), 0xffffffff) &&
		    EXPECT_EQ(apic_read(APIC_TPR), 0),
		    "xapic_reset_state");
	apic_write(APIC_LVR, 0);
	apic_write(APIC_PPR, 0xff);
	apic_write(APIC_IRR, 0xffffffff);
	apic_write(APIC_LVTT + 1, 0);		/* unaligned: dropped */
	*(volatile u8 *)(APIC_BASE + APIC_TPR) = 0x30;	/* byte: dropped */
	ktap_result(EXPECT_EQ(apic_read(APIC_LVR), 0x50014) &&
		    EXPECT_EQ(apic_read(APIC_PPR), 0) &&
		    EXPECT_EQ(apic_read(APIC_IRR), 0) &&
		    EXPECT_EQ(apic_read(APIC_TPR), 0) &&
		    EXPECT_EQ(*(volatile u8 *)(APIC_BASE + APIC_LVR), 0x14) &&
		    EXPECT_EQ(*(volatile u16 *)(APIC_BASE + APIC_LVR + 2), 5),
		    "read_only_and_partial_accesses");
}

/*
 * The MMIO emulator's read-modify-write and string forms, on a register
 * that keeps what is written (TPR, 8 bits): OR/AND/XOR with immediates
 * and registers, flags as the CPU sets them, XCHG, STOS and REP STOS
 * (whose other elements land on reserved offsets and are dropped).
 */
static void test_mmio_forms(void)
{
	volatile u32 *tpr = (volatile u32 *)(APIC_BASE + APIC_TPR);
	u64 fl, rdi, rcx;
	u32 old = 0x5a;

	*tpr = 0x30;
	asm volatile("orl $0x0c, (%0)" :: "r"(tpr) : "memory");
	ktap_result(EXPECT_EQ(*tpr, 0x3c), "mmio_or_imm");
	asm volatile("andl %1, (%2); pushfq; popq %0" : "=r"(fl)
		     : "r"(0x0fU), "r"(tpr) : "memory", "cc");
	ktap_result(EXPECT_EQ(*tpr, 0x0c) && EXPECT(!(fl & 0x40)) &&
		    EXPECT(!(fl & 0x801)), "mmio_and_reg_flags");
	asm volatile("xorl $0x0c, (%1); pushfq; popq %0" : "=r"(fl) : "r"(tpr)
		     : "memory", "cc");
	ktap_result(EXPECT_EQ(*tpr, 0) && EXPECT(fl & 0x40) && EXPECT(fl & 0x4),
		    "mmio_xor_imm_sets_zf_pf");
	asm volatile("xchgl %0, (%1)" : "+r"(old) : "r"(tpr) : "memory");
	ktap_result(EXPECT_EQ(old, 0) && EXPECT_EQ(*tpr, 0x5a), "mmio_xchg");
	rdi = (u64)(uintptr_t)tpr;
	rcx = 4;
	asm volatile("cld; rep stosl" : "+D"(rdi), "+c"(rcx) : "a"(0x20U)
		     : "memory");
	ktap_result(EXPECT_EQ(*tpr, 0x20) && EXPECT_EQ(rcx, 0) &&
		    EXPECT_EQ(rdi, (u64)(uintptr_t)tpr + 16), "mmio_rep_stos");
	*tpr = 0;
}

static void test_priorities(void)
{
	apic_enable();
	sti();
	send_ipi(0, V_SELF | ICR_SELF);
	ktap_result(wait_count(0, V_SELF, 1) &&
		    EXPECT(!bit_set(APIC_ISR, V_SELF)) &&
		    EXPECT(!bit_set(APIC_IRR, V_SELF)), "self_ipi_fixed");

	apic_write(APIC_TPR, 0x50);
	send_ipi(0, V_LOW | ICR_SELF);
	spin_ticks(200000);
	ktap_result(EXPECT_EQ(count[0][V_LOW], 0) &&
		    EXPECT(bit_set(APIC_IRR, V_LOW)) &&
		    EXPECT_EQ(apic_read(APIC_PPR), 0x50), "tpr_blocks_its_class");
	apic_write(APIC_TPR, 0);
	ktap_result(wait_count(0, V_LOW, 1), "tpr_lowered_delivers");

	cli();
	nr_order = 0;
	send_ipi(0, V_ORDER_LO | ICR_SELF);
	send_ipi(0, V_ORDER_HI | ICR_SELF);
	sti();
	wait_count(0, V_ORDER_LO, 1);
	ktap_result(EXPECT_EQ(nr_order, 2) && EXPECT_EQ(order[0], V_ORDER_HI) &&
		    EXPECT_EQ(order[1], V_ORDER_LO), "higher_vector_first");

	/* A handler that never EOIs: its class and lower stay blocked. */
	send_ipi(0, V_NO_EOI | ICR_SELF);
	wait_count(0, V_NO_EOI, 1);
	send_ipi(0, V_UNDER | ICR_SELF);
	spin_ticks(200000);
	ktap_result(EXPECT_EQ(count[0][V_UNDER], 0) &&
		    EXPECT(bit_set(APIC_ISR, V_NO_EOI)) &&
		    EXPECT_EQ(apic_read(APIC_PPR), V_NO_EOI & 0xf0),
		    "missing_eoi_blocks_lower");
	eoi();
	ktap_result(wait_count(0, V_UNDER, 1) &&
		    EXPECT(!bit_set(APIC_ISR, V_NO_EOI)), "eoi_unblocks");
	/* An EOI with nothing in service changes nothing. */
	eoi();
	ktap_result(EXPECT_EQ(apic_read(APIC_PPR), 0), "spurious_eoi_harmless");
	/* A vector below 16 is illegal: receive-illegal in ESR, no IRR. */
	send_ipi(0, 0x05 | ICR_SELF);
	apic_write(APIC_ESR, 0);
	ktap_result(EXPECT(apic_read(APIC_ESR) & (1U << 6)) &&
		    EXPECT_EQ(apic_read(APIC_IRR), 0), "illegal_vector_esr");
	apic_write(APIC_ESR, 0);
}

static void test_timer(void)
{
	u64 t0, cur, t_read;

	sti();
	apic_write(APIC_TDCR, 0xb);		/* divide by 1 */
	apic_write(APIC_LVTT, V_TIMER);
	tsc_at[V_TIMER] = 0;
	t0 = rdtsc();
	apic_write(APIC_TMICT, 300000);
	cur = apic_read(APIC_TMCCT);
	t_read = rdtsc();
	/*
	 * The count runs down from 300000; it reads 0 only if the vCPU was
	 * kept from running until the timer expired (a loaded host).
	 */
	ktap_result(wait_count(0, V_TIMER, 1) &&
		    EXPECT(tsc_at[V_TIMER] - t0 >= 300000) &&
		    EXPECT(cur <= 300000 && (cur > 0 || t_read - t0 >= 300000)) &&
		    EXPECT_EQ(apic_read(APIC_TMCCT), 0), "timer_oneshot");
	ktap_diag("one-shot of 300000 ticks arrived after %llu",
		  (unsigned long long)(tsc_at[V_TIMER] - t0));

	apic_write(APIC_TDCR, 0x3);		/* divide by 16 */
	tsc_at[V_TIMER] = 0;
	t0 = rdtsc();
	apic_write(APIC_TMICT, 20000);
	ktap_result(wait_count(0, V_TIMER, 2) &&
		    EXPECT(tsc_at[V_TIMER] - t0 >= 320000), "timer_divide_16");

	apic_write(APIC_TDCR, 0xb);
	apic_write(APIC_LVTT, V_TIMER | TIMER_PERIODIC);
	t0 = rdtsc();
	apic_write(APIC_TMICT, 200000);
	ktap_result(wait_count(0, V_TIMER, 7) &&
		    EXPECT(rdtsc() - t0 >= 5 * 200000ULL), "timer_periodic");
	apic_write(APIC_TMICT, 0);
	cur = count[0][V_TIMER];
	spin_ticks(600000);
	ktap_result(EXPECT_EQ(count[0][V_TIMER], cur), "timer_stopped_by_tmict_0");

	apic_write(APIC_LVTT, V_TIMER | LVT_MASKED);
	apic_write(APIC_TMICT, 50000);
	spin_ticks(300000);
	ktap_result(EXPECT_EQ(count[0][V_TIMER], cur) &&
		    EXPECT_EQ(apic_read(APIC_TMCCT), 0), "timer_masked_counts_silently");

	apic_write(APIC_LVTT, V_TIMER | TIMER_DEADLINE);
	apic_write(APIC_TMICT, 12345);		/* ignored in deadline mode */
	tsc_at[V_TIMER] = 0;
	t0 = rdtsc() + 400000;
	wrmsr_safe(MSR_TSC_DEADLINE, t0);
	{
		u64 dl = 0;

		rdmsr_safe(MSR_TSC_DEADLINE, &dl);
		ktap_result(wait_count(0, V_TIMER, cur + 1) &&
			    EXPECT(tsc_at[V_TIMER] >= t0) &&
			    EXPECT_EQ(dl, t0) &&
			    EXPECT_EQ(apic_read(APIC_TMICT), 0) &&
			    EXPECT(rdmsr_safe(MSR_TSC_DEADLINE, &dl) == -1 && !dl),
			    "timer_tsc_deadline");
	}
	/* HLT sleeps until the timer: the host must wake the vCPU. */
	apic_write(APIC_LVTT, V_TIMER);
	cur = count[0][V_TIMER];
	t0 = rdtsc();
	apic_write(APIC_TMICT, 2000000);
	while (READ_ONCE(count[0][V_TIMER]) == cur &&
	       rdtsc() - t0 < WAIT_TICKS)
		safe_halt();
	ktap_result(EXPECT_EQ(count[0][V_TIMER], cur + 1) &&
		    EXPECT(rdtsc() - t0 >= 2000000), "timer_wakes_hlt");
	apic_write(APIC_LVTT, LVT_MASKED);
}

static void test_ipis(void)
{
	bool ok = true;

	phase = PH_IPI;
	for (unsigned int i = 1; i < NR_VCPUS; i++) {
		send_ipi(i, V_IPI);
		ok &= wait_count(i, V_IPI, 1);
	}
	ktap_result(ok && EXPECT_EQ(count[0][V_IPI], 0), "ipi_fixed_physical_each");

	send_ipi(0, (V_IPI + 1) | ICR_ALL_BUT_SELF);
	ok = true;
	for (unsigned int i = 1; i < NR_VCPUS; i++)
		ok &= wait_count(i, V_IPI + 1, 1);
	spin_ticks(100000);
	ktap_result(ok && EXPECT_EQ(count[0][V_IPI + 1], 0), "ipi_all_but_self");

	phase = PH_LOGICAL;
	for (unsigned int i = 1; i < NR_VCPUS; i++) {
		u64 t0 = rdtsc();

		send_ipi(i, 0x53);	/* wake it to set its LDR */
		while (!READ_ONCE(ldr_set[i]) && rdtsc() - t0 < WAIT_TICKS)
			cpu_relax();
	}
	send_ipi(0x0a, (V_IPI + 2) | ICR_LOGICAL);	/* vCPUs 1 and 3 */
	ok = wait_count(1, V_IPI + 2, 1) && wait_count(3, V_IPI + 2, 1);
	spin_ticks(200000);
	ktap_result(ok && EXPECT_EQ(count[2][V_IPI + 2], 0) &&
		    EXPECT_EQ(count[0][V_IPI + 2], 0), "ipi_logical_flat");

	send_ipi(2, ICR_NMI);
	ktap_result(wait_count(2, 2, 1) && EXPECT_EQ(count[1][2], 0),
		    "ipi_nmi");

	/* To an APIC id nobody has: nothing happens, anywhere. */
	send_ipi(0x20, V_IPI + 3);
	spin_ticks(200000);
	ok = true;
	for (unsigned int i = 0; i < NR_VCPUS; i++)
		ok &= count[i][V_IPI + 3] == 0;
	ktap_result(ok, "ipi_to_absent_apic_dropped");

	/* Round trip 0 -> 1 -> 0, for the benchmark line. */
	{
		u64 t0 = rdtsc();
		unsigned int n = 20;

		for (unsigned int k = 0; k < n; k++) {
			send_ipi(1, V_IPI);
			wait_count(1, V_IPI, 2 + k);
		}
		ktap_diag("bench: IPI to a halted vCPU and its handler seen: %llu ticks each",
			  (unsigned long long)((rdtsc() - t0) / n));
	}
}

/*
 * Real mode at 0x0800:0000: record EDX and CS, count the start, halt
 * with IF=0 (the vCPU then stops for good).
 */
static const u8 sipi_code[] = {
	0x31, 0xc0,			/* xor ax, ax */
	0x8e, 0xd8,			/* mov ds, ax */
	0x66, 0x89, 0x16, 0x04, 0x81,	/* mov [0x8104], edx */
	0x8c, 0x0e, 0x08, 0x81,		/* mov [0x8108], cs */
	0xff, 0x06, 0x00, 0x81,		/* inc word [0x8100] */
	0xfa,				/* cli */
	0xf4,				/* hlt */
	0xeb, 0xfd,			/* jmp hlt */
};

static void test_init_sipi(void)
{
	volatile u16 *mark = (volatile u16 *)SIPI_MARK;
	u32 a, b, c, d;
	u64 t0;

	phase = PH_SPIN;
	memcpy((void *)SIPI_PAGE, sipi_code, sizeof(sipi_code));
	*mark = 0;
	/* A SIPI to a running vCPU is ignored. */
	send_ipi(1, 0x53);
	wait_loops_move(1);
	send_ipi(1, ICR_STARTUP | (SIPI_PAGE >> 12));
	spin_ticks(300000);
	ktap_result(EXPECT_EQ(*mark, 0) && wait_loops_move(1),
		    "sipi_to_running_vcpu_ignored");

	send_ipi(3, 0x53);
	wait_loops_move(3);
	send_ipi(3, ICR_INIT | ICR_ASSERT);
	spin_ticks(300000);
	{
		u32 l0 = READ_ONCE(loops[3]);

		spin_ticks(300000);
		ktap_result(EXPECT_EQ(READ_ONCE(loops[3]), l0) &&
			    EXPECT_EQ(*mark, 0), "init_stops_vcpu");
	}
	send_ipi(3, ICR_STARTUP | (SIPI_PAGE >> 12));
	send_ipi(3, ICR_STARTUP | (SIPI_PAGE >> 12));	/* the second: ignored */
	t0 = rdtsc();
	while (*mark == 0 && rdtsc() - t0 < WAIT_TICKS)
		cpu_relax();
	spin_ticks(300000);
	cpuid(1, 0, &a, &b, &c, &d);
	ktap_result(EXPECT_EQ(*mark, 1) &&
		    EXPECT_EQ(*(volatile u16 *)(SIPI_MARK + 8), 0x0800) &&
		    EXPECT_EQ(*(volatile u32 *)(SIPI_MARK + 4), a),
		    "sipi_starts_real_mode_at_vector");
	secondary_gone();
}

static void test_x2apic(void)
{
	u64 v = 0, base = 0xfee00000ULL;

	ktap_result(EXPECT_EQ(wrmsr_safe(MSR_APIC_BASE, base | (1 << 8) | (1 << 10)), X86_GP) &&
		    EXPECT_EQ(wrmsr_safe(MSR_APIC_BASE, base | (1 << 8) | (1 << 11) | 1), X86_GP) &&
		    EXPECT_EQ(rdmsr_safe(MSR_X2APIC(APIC_ID), &v), X86_GP),
		    "apic_base_bad_values_gp");
	ktap_result(EXPECT_EQ(wrmsr_safe(MSR_APIC_BASE, base | 0xd00), -1),
		    "x2apic_enable");
	x2_mode[0] = true;
	ktap_result(EXPECT_EQ(apic_read(APIC_ID), 0) &&
		    EXPECT_EQ(apic_read(APIC_LDR), 1) &&
		    EXPECT_EQ(apic_read(APIC_LVR), 0x50014) &&
		    EXPECT_EQ(*(volatile u32 *)(APIC_BASE + APIC_LVR), 0xffffffff),
		    "x2apic_registers_and_no_mmio");
	ktap_result(EXPECT_EQ(wrmsr_safe(MSR_X2APIC(APIC_ID), 5), X86_GP) &&
		    EXPECT_EQ(wrmsr_safe(MSR_X2APIC(APIC_EOI), 1), X86_GP) &&
		    EXPECT_EQ(rdmsr_safe(MSR_X2APIC(APIC_EOI), &v), X86_GP) &&
		    EXPECT_EQ(rdmsr_safe(MSR_X2APIC(APIC_ICR2), &v), X86_GP) &&
		    EXPECT_EQ(rdmsr_safe(MSR_X2APIC(APIC_DFR), &v), X86_GP) &&
		    EXPECT_EQ(wrmsr_safe(MSR_X2APIC(APIC_TPR), 1ULL << 32), X86_GP),
		    "x2apic_bad_accesses_gp");
	sti();
	wrmsr_safe(MSR_X2APIC(APIC_SELF_IPI), V_X2_SELF);
	ktap_result(wait_count(0, V_X2_SELF, 1), "x2apic_self_ipi_msr");
	phase = PH_IPI;
	wrmsr_safe(MSR_X2APIC(APIC_ICR), (2ULL << 32) | V_X2_IPI);
	ktap_result(wait_count(2, V_X2_IPI, 1) && EXPECT_EQ(count[1][V_X2_IPI], 0),
		    "x2apic_icr_ipi");
	ktap_result(EXPECT_EQ(wrmsr_safe(MSR_APIC_BASE, base | 0x900), X86_GP),
		    "x2apic_to_xapic_directly_gp");
	ktap_result(EXPECT_EQ(wrmsr_safe(MSR_APIC_BASE, base | 0x100), -1),
		    "apic_disable");
	x2_mode[0] = false;
	{
		u32 a, b, c, d;

		cpuid(1, 0, &a, &b, &c, &d);
		ktap_result(EXPECT(!(d & (1U << 9))) &&
			    EXPECT_EQ(*(volatile u32 *)(APIC_BASE + APIC_LVR), 0xffffffff) &&
			    EXPECT_EQ(wrmsr_safe(MSR_APIC_BASE, base | 0xd00), X86_GP),
			    "disabled_apic_gone");
	}
	ktap_result(EXPECT_EQ(wrmsr_safe(MSR_APIC_BASE, base | 0x900), -1) &&
		    EXPECT_EQ(apic_read(APIC_ID), 0) &&
		    EXPECT_EQ(apic_read(APIC_SVR), 0xff), "xapic_reenabled_from_reset");
	apic_enable();
}

#define IOREGSEL	0x00
#define IOWIN		0x10

static u32 io_read(u32 reg)
{
	*(volatile u32 *)(IOAPIC_BASE + IOREGSEL) = reg;
	return *(volatile u32 *)(IOAPIC_BASE + IOWIN);
}

static void io_write(u32 reg, u32 val)
{
	*(volatile u32 *)(IOAPIC_BASE + IOREGSEL) = reg;
	*(volatile u32 *)(IOAPIC_BASE + IOWIN) = val;
}

static void test_ioapic(void)
{
	u32 c;

	ktap_result(EXPECT_EQ(io_read(1), 0x00170011) &&
		    EXPECT_EQ(io_read(0), NR_VCPUS << 24) &&
		    EXPECT_EQ(io_read(0x10 + 2 * 5), 1U << 16), "ioapic_id_version_reset");
	io_write(1, 0);				/* version: read-only */
	io_write(0x10 + 2 * 5, V_EDGE | (1U << 12) | (1U << 14)); /* RO bits */
	io_write(0x11 + 2 * 5, 0);		/* destination: APIC 0 */
	ktap_result(EXPECT_EQ(io_read(1), 0x00170011) &&
		    EXPECT_EQ(io_read(0x10 + 2 * 5), V_EDGE), "ioapic_read_only_bits");
	sti();
	hc_irq_line(5, 1);
	c = wait_count(0, V_EDGE, 1);
	hc_irq_line(5, 1);			/* still high: no new edge */
	spin_ticks(200000);
	ktap_result(c && EXPECT_EQ(count[0][V_EDGE], 1), "ioapic_edge_once_per_edge");
	hc_irq_line(5, 0);
	hc_irq_line(5, 1);
	ktap_result(wait_count(0, V_EDGE, 2), "ioapic_edge_again");
	hc_irq_line(5, 0);
	/* The same line through QEMU's pc-testdev port (testdev=1). */
	outb(0x2000 + 5, 1);
	ktap_result(wait_count(0, V_EDGE, 3), "pc_testdev_irq_line");
	outb(0x2000 + 5, 0);

	/* Level: masked while the line rises, delivered on unmask. */
	io_write(0x11 + 2 * 6, 0);
	io_write(0x10 + 2 * 6, V_LEVEL | (1U << 15) | (1U << 16));
	hc_irq_line(6, 1);
	spin_ticks(200000);
	ktap_result(EXPECT_EQ(count[0][V_LEVEL], 0), "ioapic_masked_level_waits");
	io_write(0x10 + 2 * 6, V_LEVEL | (1U << 15));
	/* The handler EOIs with the line up: it comes again, then drops it. */
	ktap_result(wait_count(0, V_LEVEL, 2) && EXPECT_EQ(level_line_drops, 1),
		    "ioapic_level_redelivered_after_eoi");
	spin_ticks(200000);
	ktap_result(EXPECT_EQ(count[0][V_LEVEL], 2) &&
		    EXPECT(!(io_read(0x10 + 2 * 6) & (1U << 14))),
		    "ioapic_level_remote_irr_cleared");
	ktap_result(EXPECT_EQ(hc_irq_line(24, 1), -HV_EINVAL) &&
		    EXPECT_EQ(hc_irq_line(3, 2), -HV_EINVAL), "irq_line_bad_args");
	/* Pins the guest never programmed stay masked: nothing comes. */
	hc_irq_line(9, 1);
	spin_ticks(100000);
	hc_irq_line(9, 0);
}

/* ---- benchmark (-- bench=ITERS): tests/guests/bench_apic.sh ---------- */

static volatile u32 pong_seen;

static void on_ping(unsigned int vec)
{
	(void)vec;
	eoi();
	send_ipi(0, V_IPI + 5);		/* pong back to vCPU 0 */
}

static void on_pong(unsigned int vec)
{
	(void)vec;
	pong_seen++;
	eoi();
}

static void bench(unsigned int iters)
{
	u64 t0, lat, lat_min = ~0ULL, lat_max = 0, lat_sum = 0;
	u64 v;
	unsigned int n = 50;

	ktap_plan(1 + NR_VCPUS - 1);	/* the secondaries report too */
	apic_enable();
	t0 = rdtsc_ordered();
	for (unsigned int i = 0; i < iters; i++)
		(void)apic_read(APIC_TPR);
	ktap_diag("bench: xapic_mmio_read %llu ticks",
		  (unsigned long long)((rdtsc_ordered() - t0) / iters));
	t0 = rdtsc_ordered();
	for (unsigned int i = 0; i < iters; i++)
		apic_write(APIC_TPR, 0);
	ktap_diag("bench: xapic_mmio_write %llu ticks",
		  (unsigned long long)((rdtsc_ordered() - t0) / iters));
	t0 = rdtsc_ordered();
	for (unsigned int i = 0; i < iters; i++)
		(void)inl(0);
	ktap_diag("bench: inl_port_nothing %llu ticks",
		  (unsigned long long)((rdtsc_ordered() - t0) / iters));
	t0 = rdtsc_ordered();
	for (unsigned int i = 0; i < iters; i++)
		(void)inb(0x80);
	ktap_diag("bench: inb_post_port %llu ticks",
		  (unsigned long long)((rdtsc_ordered() - t0) / iters));
	wrmsr_safe(MSR_APIC_BASE, 0xfee00d00ULL);
	x2_mode[0] = true;
	t0 = rdtsc_ordered();
	for (unsigned int i = 0; i < iters; i++)
		rdmsr_safe(MSR_X2APIC(APIC_TPR), &v);
	ktap_diag("bench: x2apic_rdmsr %llu ticks",
		  (unsigned long long)((rdtsc_ordered() - t0) / iters));
	t0 = rdtsc_ordered();
	for (unsigned int i = 0; i < iters; i++)
		wrmsr_safe(MSR_X2APIC(APIC_TPR), 0);
	ktap_diag("bench: x2apic_wrmsr %llu ticks",
		  (unsigned long long)((rdtsc_ordered() - t0) / iters));
	/* Timer: from the programmed expiry to the handler's RDTSC. */
	sti();
	apic_write(APIC_TDCR, 0xb);
	apic_write(APIC_LVTT, V_TIMER);
	for (unsigned int k = 0; k < n; k++) {
		u32 c = count[0][V_TIMER];
		u64 due;

		tsc_at[V_TIMER] = 0;
		due = rdtsc() + 200000;
		wrmsr_safe(MSR_X2APIC(APIC_TMICT), 200000);
		while (READ_ONCE(count[0][V_TIMER]) == c)
			cpu_relax();
		lat = tsc_at[V_TIMER] > due ? tsc_at[V_TIMER] - due : 0;
		lat_sum += lat;
		lat_min = lat < lat_min ? lat : lat_min;
		lat_max = lat > lat_max ? lat : lat_max;
	}
	ktap_diag("bench: timer_latency_running avg %llu min %llu max %llu ticks",
		  (unsigned long long)(lat_sum / n), (unsigned long long)lat_min,
		  (unsigned long long)lat_max);
	lat_sum = 0;
	lat_min = ~0ULL;
	lat_max = 0;
	for (unsigned int k = 0; k < n; k++) {
		u32 c = count[0][V_TIMER];
		u64 due;

		tsc_at[V_TIMER] = 0;
		due = rdtsc() + 2000000;
		wrmsr_safe(MSR_X2APIC(APIC_TMICT), 2000000);
		while (READ_ONCE(count[0][V_TIMER]) == c)
			safe_halt();
		lat = tsc_at[V_TIMER] > due ? tsc_at[V_TIMER] - due : 0;
		lat_sum += lat;
		lat_min = lat < lat_min ? lat : lat_min;
		lat_max = lat > lat_max ? lat : lat_max;
	}
	ktap_diag("bench: timer_latency_halted avg %llu min %llu max %llu ticks",
		  (unsigned long long)(lat_sum / n), (unsigned long long)lat_min,
		  (unsigned long long)lat_max);
	/* IPI ping-pong with vCPU 1, which spins (PH_SPIN) or halts. */
	irq_set_handler(V_IPI + 4, on_ping);
	irq_set_handler(V_IPI + 5, on_pong);
	for (int halted = 0; halted < 2; halted++) {
		phase = halted ? PH_IPI : PH_SPIN;
		send_ipi(1, 0x53);
		spin_ticks(100000);
		pong_seen = 0;
		t0 = rdtsc_ordered();
		for (unsigned int k = 0; k < n; k++) {
			u32 p = pong_seen;

			wrmsr_safe(MSR_X2APIC(APIC_ICR), (1ULL << 32) | (V_IPI + 4));
			while (pong_seen == p)
				cpu_relax();
		}
		ktap_diag("bench: ipi_round_trip_%s %llu ticks",
			  halted ? "halted" : "spinning",
			  (unsigned long long)((rdtsc_ordered() - t0) / n));
	}
	ktap_result(true, "bench_done");
}

int main(void)
{
	char buf[16];

	if (guest_option("bench", buf, sizeof(buf))) {
		unsigned int iters = 0;

		for (const char *p = buf; *p >= '0' && *p <= '9'; p++)
			iters = iters * 10 + (unsigned int)(*p - '0');
		map_apics();
		__atomic_store_n(&apics_mapped, 1, __ATOMIC_RELEASE);
		for (unsigned int v = 32; v < 256; v++)
			irq_set_handler(v, on_irq);
		bench(iters ? iters : 1000);
		phase = PH_DONE;
		for (unsigned int i = 1; i < NR_VCPUS; i++)
			send_ipi(i, 0x53);
		return 0;
	}
	if (boot_info->nr_vcpus != NR_VCPUS) {
		ktap_plan(1);
		ktap_result(false, "needs_vcpus_%u (has %u)", NR_VCPUS,
			    boot_info->nr_vcpus);
		phase = PH_DONE;
		__atomic_store_n(&apics_mapped, 1, __ATOMIC_RELEASE);
		return 1;
	}
	map_apics();
	__atomic_store_n(&apics_mapped, 1, __ATOMIC_RELEASE);
	for (unsigned int v = 32; v < 256; v++)
		irq_set_handler(v, on_irq);
	irq_set_handler(V_NO_EOI, on_irq_no_eoi);
	irq_set_handler(V_LEVEL, on_level);
	irq_set_handler(2, on_nmi);
	ktap_plan(52 + NR_VCPUS - 1);
	test_reset_state();
	test_mmio_forms();
	test_priorities();
	test_timer();
	test_ipis();
	test_init_sipi();
	test_x2apic();
	test_ioapic();
	phase = PH_DONE;
	for (unsigned int i = 1; i < NR_VCPUS; i++)
		send_ipi(i, 0x53);
	return 0;
}
