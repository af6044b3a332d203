// SPDX-License-Identifier: MIT
/*
 * hostile: a guest that does what a guest must not - unknown hypercall
 * numbers, pointers outside its memory, forbidden MSR writes, random I/O
 * ports, VMX instructions - and checks the hypervisor's answer to each,
 * then ends in a triple fault. Boot it with expect=triple_fault: its
 * death is the expected outcome, and the other guests must finish.
 */
#include "tests/guests/lib/guest.h"

static u64 lcg = 0x2545f4914f6cdd1dULL;

static u32 rnd(void)
{
	lcg = lcg * 6364136223846793005ULL + 1442695040888963407ULL;
	return lcg >> 33;
}

static void test_unknown_hypercalls(void)
{
	static const u64 nrs[] = { 0, 6, 15, 31, 99, 0xffff, 1ULL << 40, ~0ULL };
	bool ok = true;

	for (unsigned int i = 0; i < ARRAY_SIZE(nrs); i++) {
		long r = hypercall4(nrs[i], rnd(), rnd(), rnd(), rnd());

		if (r != -HV_ENOSYS) {
			ktap_diag("hypercall %#llx returned %ld, not -ENOSYS",
				  (unsigned long long)nrs[i], r);
			ok = false;
		}
	}
	ktap_result(ok, "unknown_hypercalls_enosys");
}

static void test_wild_pointers(void)
{
	static const char msg[] = "never printed\n";
	u64 end = boot_info->mem_size;
	struct { u64 gpa, len; } bad[] = {
		{ end, 16 }, { end - 8, 16 }, { ~0ULL - 4, 16 },
		{ 0x8000000000000000ULL, 1 }, { (u64)(uintptr_t)msg, 1ULL << 40 },
		{ (u64)(uintptr_t)msg, ~0ULL },
	};
	bool ok = true;

	for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
		long r = hypercall4(HC_CONSOLE_WRITE, bad[i].gpa, bad[i].len, 0, 0);

		if (r >= 0) {
			ktap_diag("console write of [%#llx, +%#llx) returned %ld",
				  (unsigned long long)bad[i].gpa,
				  (unsigned long long)bad[i].len, r);
			ok = false;
		}
	}
	ok &= EXPECT(hc_mmu_stats((void *)(uintptr_t)end, 4096) < 0);
	ktap_result(ok, "wild_pointers_refused");
}

/*
 * Without test_hooks=1 on its module line a guest may not make the host
 * zap, invalidate, reclaim or replace its memory: each test-only hypercall
 * is -HV_EPERM, and the page it named keeps its data.
 */
static void test_test_hooks_refused(void)
{
	static volatile u64 canary = 0x600df00d;
	u64 gfn = (u64)(uintptr_t)&canary >> 12, gap = 0;
	struct { const char *what; long r; } calls[] = {
		{ "zap", hc_mmu_zap_gfn_range(gfn, 1) },
		{ "invalidate", hc_mmu_invalidate_roots() },
		{ "reclaim", hc_mmu_reclaim_gfn(gfn) },
		{ "replace", hc_mmu_replace_gfn(gfn) },
		{ "stats", hc_mmu_stats((void *)&gap, sizeof(gap)) },
		{ "prefault", hypercall4(HC_MMU_PREFAULT, gfn, 1, 0, 0) },
		{ "sched_gap", hypercall4(HC_MMU_SCHED_GAP, (u64)(uintptr_t)&gap, 0, 0, 0) },
	};
	bool ok = true;

	for (unsigned int i = 0; i < ARRAY_SIZE(calls); i++) {
		if (calls[i].r != -HV_EPERM) {
			ktap_diag("test hook %s returned %ld, not -EPERM",
				  calls[i].what, calls[i].r);
			ok = false;
		}
	}
	ok &= EXPECT_EQ(canary, 0x600df00d);
	ktap_result(ok, "test_hooks_refused_without_test_hooks");
}

static void test_forbidden_msrs(void)
{
	static const u32 msrs[] = {
		0x3a,		/* IA32_FEATURE_CONTROL */
		0x480,		/* IA32_VMX_BASIC (read-only, no nested VMX) */
		0x48b,		/* IA32_VMX_PROCBASED_CTLS2 */
		0x9b,		/* IA32_SMM_MONITOR_CTL */
		0xdeadbeef,	/* nothing */
	};
	bool ok = true;

	for (unsigned int i = 0; i < ARRAY_SIZE(msrs); i++) {
		int e = wrmsr_safe(msrs[i], 0x1234567800000001ULL);

		if (e != X86_GP) {
			ktap_diag("wrmsr %#x: vector %d, wanted #GP", msrs[i], e);
			ok = false;
		}
	}
	ktap_result(ok, "forbidden_msr_writes_gp");
}

/* Ports with a device behind them (the UART, the exit port, the PC's). */
static const struct { u16 base, len; } ours[] = {
	{ HV_PORT_UART, 8 }, { HV_PORT_EXIT, 4 }, { 0x20, 2 }, { 0x40, 4 },
	{ 0x61, 1 }, { 0x70, 2 }, { 0x80, 1 }, { 0xa0, 2 }, { 0x4d0, 2 },
	{ 0x510, 2 }, { 0xcf8, 8 }, { 0x8900, 1 },
};

static bool port_is_ours(u16 p)
{
	/* Leave them alone: they have meanings, and answer. */
	for (unsigned int i = 0; i < ARRAY_SIZE(ours); i++)
		if (p >= ours[i].base && p < ours[i].base + ours[i].len)
			return true;
	return false;
}

static void test_random_ports(void)
{
	unsigned int n = 0;
	bool ones = true;

	for (int i = 0; i < 300; i++) {
		u16 p = rnd();

		if (port_is_ours(p) || port_is_ours(p + 3))
			continue;
		if (rnd() & 1) {
			outb(p, rnd());
			outl(p, rnd());
		} else {
			/* Nothing is there: the bus reads all ones, as a PC. */
			ones &= inb(p) == 0xff;
			ones &= inl(p) == 0xffffffffu;
		}
		n++;
	}
	/* Reaching here is the test: the host kept us and itself alive. */
	ktap_result(EXPECT(n > 200) && EXPECT(ones),
		    "random_io_ports_survived_reading_all_ones (%u ports)", n);
}

static void test_vmx_instructions(void)
{
	bool ok = EXPECT_EQ(vmxon_safe(0x200000), X86_UD);

	ok &= EXPECT_EQ(vmptrld_safe(0x201000), X86_UD);
	ok &= EXPECT_EQ(vmread_safe(0x681e), X86_UD);
	ok &= EXPECT_EQ(invept_safe(), X86_UD);
	ktap_result(ok, "vmx_instructions_ud");
}

/*
 * Abuse of the virtual local APIC from a 1-vCPU guest: random values in
 * every x2APIC MSR (each either taken or #GP, never the host's business),
 * IPIs of every delivery mode and shorthand (SMI, the reserved modes,
 * ExtINT, NMI and lowest priority to all, to nobody, to self), a periodic
 * timer of one tick at divide-by-1, and EOIs with nothing in service. The
 * guest must keep running, and its APIC must still take a self IPI after.
 */
static volatile u32 selfipi_seen;

static void on_any_irq(unsigned int vec)
{
	if (vec == 0xe7)
		selfipi_seen++;
	/* EOI whatever came, by x2APIC MSR. */
	asm volatile("wrmsr" :: "c"(0x80b), "a"(0), "d"(0));
}

static void test_apic_abuse(void)
{
	u64 v;
	bool gp_or_ok = true;

	for (unsigned int i = 32; i < 256; i++)
		irq_set_handler(i, on_any_irq);
	irq_set_handler(2, on_any_irq);
	/* Into x2APIC mode, then throw values at every register. */
	wrmsr_safe(0x1b, 0xfee00d00ULL);
	wrmsr_safe(0x80f, 0x1ff);		/* SVR: enabled */
	for (unsigned int round = 0; round < 4; round++)
		for (u32 msr = 0x800; msr <= 0x8ff; msr++) {
			u64 val = (u64)rnd() << 32 | rnd();
			int e;

			if (msr == 0x81b || msr == 0x80f)
				continue;	/* keep the APIC enabled and in x2APIC */
			if (msr == 0x830)	/* ICR: no INIT/SIPI to ourselves */
				val &= ~(0x700ULL);
			e = rdmsr_safe(msr, &v);
			gp_or_ok &= e == -1 || e == X86_GP;
			e = wrmsr_safe(msr, (msr == 0x838 || msr == 0x832) ? (val & 0xffff) : val);
			gp_or_ok &= e == -1 || e == X86_GP;
		}
	/* Every delivery mode but INIT/SIPI, every shorthand. */
	for (u32 dm = 0; dm < 8; dm++) {
		if (dm == 5 || dm == 6)
			continue;
		for (u32 sh = 0; sh < 4; sh++)
			wrmsr_safe(0x830, (0xffffffffULL << 32) | (sh << 18) |
				   (dm << 8) | 0xe0);
	}
	/* Take what the storm above left pending. */
	sti();
	for (volatile unsigned int i = 0; i < 2000; i++)
		;
	cli();
	/*
	 * A periodic timer of one tick at divide-by-1 with IF=0: it must not
	 * stop the guest from running (it did, every entry exiting at once
	 * on the preemption timer, before the 200 us minimum period).
	 */
	wrmsr_safe(0x83e, 0xb);
	wrmsr_safe(0x832, 0xe1 | (1U << 17));
	wrmsr_safe(0x838, 1);
	for (volatile unsigned int i = 0; i < 20000; i++)
		;
	wrmsr_safe(0x838, 0);
	for (unsigned int i = 0; i < 100; i++)
		wrmsr_safe(0x80b, 0);		/* EOIs with nothing in service */
	wrmsr_safe(0x808, 0);			/* TPR 0 */
	wrmsr_safe(0x80f, 0x1ff);
	wrmsr_safe(0x83f, 0xe7);		/* and a self IPI still works */
	sti();
	for (volatile unsigned int i = 0; i < 20000 && !selfipi_seen; i++)
		;
	cli();
	ktap_result(EXPECT(gp_or_ok) && EXPECT(selfipi_seen >= 1),
		    "apic_abuse_survived");
}

static __attribute__((noreturn)) void triple_fault(void)
{
	struct { u16 limit; u64 base; } __attribute__((packed)) no_idt = { 0, 0 };

	printf("# expecting triple fault: empty IDT, then ud2\n");
	asm volatile("lidt %0; ud2" :: "m"(no_idt));
	for (;;)
		;
}

int main(void)
{
	ktap_plan(7);
	test_unknown_hypercalls();
	test_wild_pointers();
	test_test_hooks_refused();
	test_forbidden_msrs();
	test_random_ports();
	test_vmx_instructions();
	test_apic_abuse();
	triple_fault();
}
