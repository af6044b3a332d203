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
#include "arch/x86/stack_guard.h"
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

/*
 * The IST vectors: the handler must run on this CPU's stack for the
 * vector (the frame isr_common built lies within its bounds) and return
 * cleanly (execution goes on after the INT, the stack as before).
 *
 * A hardware #MC cannot be raised in QEMU TCG (nor in Bochs) on demand,
 * so "int $18" stands in: a software INT through an IST gate switches to
 * the IST stack exactly as the exception would, and vector 18 pushes no
 * error code, so isr_common's frame has the same layout.
 */
struct ist_probe {
	u64 vector;		/* which vector the hook waits for */
	unsigned int hits;
	unsigned int on_ist;	/* hits whose frame was on the IST stack */
	u64 frame;		/* address of the last frame seen */
};

static struct ist_probe ist_probe;

static bool ist_hook(struct exception_frame *f)
{
	u64 lo, hi, at = (u64)(unsigned long)f;

	if (f->vector != ist_probe.vector)
		return false;
	if (cpu_stack_bounds(this_cpu_id(), (enum cpu_stack)
			     (f->vector == X86_VEC_MC ? CPU_STACK_MC :
			      CPU_STACK_NMI), &lo, &hi) &&
	    at >= lo && at + sizeof(*f) <= hi)
		ist_probe.on_ist++;
	ist_probe.frame = at;
	WRITE_ONCE(ist_probe.hits, ist_probe.hits + 1);
	return true;
}

static void ist_arm(u64 vector)
{
	ist_probe = (struct ist_probe){ .vector = vector };
	WRITE_ONCE(exception_test_hook, ist_hook);
}

KTEST(x86, mc_runs_on_its_ist_stack)
{
	u64 lo, hi, rsp0, rsp1;

	KTEST_EXPECT(t, cpu_stack_bounds(this_cpu_id(), CPU_STACK_MC, &lo, &hi));
	ist_arm(X86_VEC_MC);
	__asm__ __volatile__("movq %%rsp, %0\n\t"
			     "int $18\n\t"
			     "movq %%rsp, %1"
			     : "=&r"(rsp0), "=r"(rsp1) : : "memory");
	WRITE_ONCE(exception_test_hook, NULL);
	KTEST_EXPECT_EQ(t, ist_probe.hits, 1);
	KTEST_EXPECT_EQ(t, ist_probe.on_ist, 1);
	KTEST_EXPECT_EQ(t, rsp0, rsp1);
	/* Not this thread's stack: the switch did happen. */
	KTEST_EXPECT(t, rsp0 < lo || rsp0 >= hi);
	ktest_diag(t, "#MC frame at %#llx, IST stack [%#llx, %#llx), caller's RSP %#llx",
		   (unsigned long long)ist_probe.frame, (unsigned long long)lo,
		   (unsigned long long)hi, (unsigned long long)rsp0);
}

/*
 * A real NMI, sent to ourselves through the ICR (physical destination:
 * the "self" shorthand is for fixed interrupts only). Twice: the second
 * one only arrives if IRET at the end of the first unblocked NMIs.
 */
KTEST(x86, nmi_runs_on_its_ist_stack)
{
	u64 lo, hi, deadline;

	KTEST_EXPECT(t, cpu_stack_bounds(this_cpu_id(), CPU_STACK_NMI, &lo, &hi));
	ist_arm(X86_VEC_NMI);
	for (unsigned int i = 1; i <= 2; i++) {
		lapic_send_ipi(lapic_id(), APIC_ICR_NMI);
		deadline = rdtsc() + tsc_hz() / 10;
		while (READ_ONCE(ist_probe.hits) < i &&
		       (s64)(rdtsc() - deadline) < 0)
			cpu_pause();
	}
	WRITE_ONCE(exception_test_hook, NULL);
	KTEST_EXPECT_EQ(t, ist_probe.hits, 2);
	KTEST_EXPECT_EQ(t, ist_probe.on_ist, 2);
	ktest_diag(t, "NMI frame at %#llx, IST stack [%#llx, %#llx)",
		   (unsigned long long)ist_probe.frame, (unsigned long long)lo,
		   (unsigned long long)hi);
}
