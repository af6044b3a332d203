// SPDX-License-Identifier: MIT
/*
 * Boot-foundation tests: exceptions through the real IDT path, every MADT
 * CPU online with a unique id, timer ticks on every CPU.
 */
#include "arch/x86/acpi.h"
#include "arch/x86/cpu.h"
#include "arch/x86/interrupts.h"
#include "arch/x86/lapic.h"
#include "arch/x86/smp.h"
#include "kernel/cmdline.h"
#include "kernel/ktest.h"
#include "kernel/percpu.h"

static u64 fixup_rip;
static u64 caught_vector = ~0ULL;
static u64 caught_cr2;

static bool catch_hook(struct exception_frame *f)
{
	caught_vector = f->vector;
	caught_cr2 = read_cr2();
	/* #BP is a trap: RIP is already past INT3. Others resume at fixup. */
	if (f->vector != X86_VEC_BP)
		f->rip = fixup_rip;
	return true;
}

/* Load from @addr with a recovery point right after the faulting load. */
static void faulting_load(u64 addr)
{
	u64 v;

	__asm__ __volatile__("leaq 1f(%%rip), %%rax\n\t"
			     "movq %%rax, %1\n\t"
			     "movq (%2), %0\n"
			     "1:"
			     : "=&r"(v), "=m"(fixup_rip) : "r"(addr)
			     : "rax", "memory");
}

static void arm(void)
{
	caught_vector = ~0ULL;
	WRITE_ONCE(exception_test_hook, catch_hook);
}

KTEST(x86, exception_ud)
{
	arm();
	__asm__ __volatile__("leaq 1f(%%rip), %%rax\n\t"
			     "movq %%rax, %0\n\t"
			     "ud2\n"
			     "1:" : "=m"(fixup_rip) : : "rax", "memory");
	WRITE_ONCE(exception_test_hook, NULL);
	KTEST_EXPECT_EQ(t, caught_vector, X86_VEC_UD);
}

KTEST(x86, exception_bp)
{
	arm();
	__asm__ __volatile__("int3" ::: "memory");
	WRITE_ONCE(exception_test_hook, NULL);
	KTEST_EXPECT_EQ(t, caught_vector, X86_VEC_BP);
}

KTEST(x86, exception_pf)
{
	/* Canonical, far above any RAM the identity map covers. */
	u64 addr = 0x00007ffffffff000ULL;

	arm();
	faulting_load(addr);
	WRITE_ONCE(exception_test_hook, NULL);
	KTEST_EXPECT_EQ(t, caught_vector, X86_VEC_PF);
	KTEST_EXPECT_EQ(t, caught_cr2, addr);
}

KTEST(x86, exception_pf_null)
{
	arm();
	faulting_load(0);
	WRITE_ONCE(exception_test_hook, NULL);
	KTEST_EXPECT_EQ(t, caught_vector, X86_VEC_PF);
	KTEST_EXPECT_EQ(t, caught_cr2, 0);
}

KTEST(x86, exception_gp)
{
	arm();
	faulting_load(0x8000000000000000ULL);	/* non-canonical */
	WRITE_ONCE(exception_test_hook, NULL);
	KTEST_EXPECT_EQ(t, caught_vector, X86_VEC_GP);
}

KTEST(smp, all_madt_cpus_online)
{
	bool seen_apic[MAX_CPUS] = { 0 };
	unsigned int online = READ_ONCE(nr_cpus_online);
	unsigned int expect = smp_nr_expected();

	if (cmdline_cpus && cmdline_cpus < expect)
		expect = cmdline_cpus;
	KTEST_EXPECT_EQ(t, online, expect);
	if (cmdline_expect_cpus)
		KTEST_EXPECT_EQ(t, online, cmdline_expect_cpus);
	for (unsigned int i = 0; i < online; i++) {
		struct percpu *pc = per_cpu(i);

		if (!KTEST_EXPECT(t, pc && pc->online))
			continue;
		KTEST_EXPECT_EQ(t, pc->cpu_id, i);
		for (unsigned int j = 0; j < acpi_info.nr_lapics; j++)
			if (acpi_info.lapic_ids[j] == pc->apic_id) {
				KTEST_EXPECT(t, !seen_apic[j]);
				seen_apic[j] = true;
			}
	}
}

static void record_cpu(void *arg)
{
	unsigned int *out = arg;

	out[this_cpu_id()] = lapic_id() + 1;
}

KTEST(smp, call_on_cpu)
{
	unsigned int got[MAX_CPUS] = { 0 };
	unsigned int n = READ_ONCE(nr_cpus_online);

	for (unsigned int i = 0; i < n; i++) {
		KTEST_EXPECT_EQ(t, smp_call_on_cpu(i, record_cpu, got, true), 0);
		KTEST_EXPECT_EQ(t, got[i], per_cpu(i)->apic_id + 1);
	}
	KTEST_EXPECT(t, smp_call_on_cpu(n, record_cpu, got, true) != 0);
}

KTEST(timer, ticks_on_every_cpu)
{
	unsigned int n = READ_ONCE(nr_cpus_online);
	u64 before[MAX_CPUS];
	u64 deadline;
	bool all;

	for (unsigned int i = 0; i < n; i++)
		before[i] = READ_ONCE(per_cpu(i)->ticks);
	/* Five ticks' worth, bounded at one second of TSC time. */
	deadline = rdtsc() + tsc_hz();
	do {
		all = true;
		for (unsigned int i = 0; i < n; i++)
			if (READ_ONCE(per_cpu(i)->ticks) < before[i] + 2)
				all = false;
		cpu_pause();
	} while (!all && (s64)(rdtsc() - deadline) < 0);
	for (unsigned int i = 0; i < n; i++)
		if (!KTEST_EXPECT(t, READ_ONCE(per_cpu(i)->ticks) >= before[i] + 2))
			ktest_diag(t, "cpu%u: ticks %llu -> %llu", i,
				   (unsigned long long)before[i],
				   (unsigned long long)per_cpu(i)->ticks);
}
