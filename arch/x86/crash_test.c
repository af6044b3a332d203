// SPDX-License-Identifier: MIT
/*
 * Deliberate fatal exceptions, to test the crash path end to end: the
 * exception name, the register dump, a symbolized backtrace, stopping the
 * other CPUs and ending the run instead of hanging.
 *
 * The ktest crash.on_purpose does nothing (SKIP) unless the command line
 * says crash_test=KIND; the boot configs that use it (tests/boot/configs.sh,
 * "qemu-crash-*") also filter the tests down to this one and let the
 * harness check the console report (boot_test.sh --expect-crash).
 *
 * The functions below are noinline and carry distinct names because the
 * harness looks for them, with their callers, in the backtrace.
 */
#include "arch/x86/cpu.h"
#include "arch/x86/smp.h"
#include "kernel/cmdline.h"
#include "kernel/ktest.h"
#include "kernel/log.h"
#include "kernel/percpu.h"
#include "kernel/string.h"
#include "kernel/thread.h"
#include "mm/page_alloc.h"
#include "mm/paging.h"

/* Canonical and far above RAM and MMIO: never in the identity map. */
#define CRASH_UNMAPPED_ADDR	0x00007ffffffff000ULL

/* Order of the stack the overflow test runs on (lowest page = guard). */
#define CRASH_STACK_ORDER	2

static volatile u64 crash_sink;

/* crash_test=pf: a load from an unmapped address on the testing CPU. */
static __attribute__((noinline)) void crash_pf_victim(void)
{
	crash_sink = *(volatile u64 *)(unsigned long)CRASH_UNMAPPED_ADDR;
}

/*
 * crash_test=ipi: the same fault inside an interrupt handler on another
 * CPU, so the backtrace must cross the asm entry (isr_common) and the CPU
 * that ran the test must be stopped by NMI while it waits for the call.
 */
static __attribute__((noinline)) void crash_ipi_victim(void *arg)
{
	crash_sink = *(volatile u64 *)(unsigned long)CRASH_UNMAPPED_ADDR;
}

/*
 * crash_test=df: unbounded recursion into an unmapped guard page. The #PF
 * cannot push its frame on the same (overflowed) stack, so the CPU raises
 * #DF, which is only survivable because #DF has its own IST stack.
 */
static __attribute__((noinline)) void crash_stack_overflow_recurse(u64 depth)
{
	volatile u8 pad[256];

	pad[0] = (u8)depth;
	if (depth < (1ULL << 40))
		crash_stack_overflow_recurse(depth + 1);
	pad[1] = pad[0];
}

static bool crash_stack_overflow(struct ktest *t)
{
	u8 *stack = page_alloc(CRASH_STACK_ORDER);
	u8 *top;

	if (!KTEST_EXPECT(t, stack != NULL))
		return false;
	top = stack + (PAGE_SIZE << CRASH_STACK_ORDER);
	if (!KTEST_EXPECT_EQ(t, paging_unmap_4k((u64)(unsigned long)stack), 0))
		return false;
	ktest_diag(t, "recursing on a %lu KiB stack above a guard page at %p",
		   (PAGE_SIZE << CRASH_STACK_ORDER) / 1024, stack);
	__asm__ __volatile__("movq %0, %%rsp\n\t"
			     "xorl %%edi, %%edi\n\t"
			     "call *%1"
			     : : "r"(top), "r"(crash_stack_overflow_recurse)
			     : "memory");
	__builtin_unreachable();
}

/*
 * crash_test=stack: unbounded recursion in an ordinary kernel thread,
 * whose stack block has its guard page from kthread_create(): the report
 * must name the thread ("BUG: stack overflow in thread crash_stack").
 * The thread runs on cpu1 when there is one, so the report also comes
 * from a CPU other than the test's.
 */
static __attribute__((noinline)) void crash_thread_recurse(u64 depth)
{
	/* Not the df test's twin: GCC would fold identical functions. */
	volatile u8 pad[192];

	pad[0] = (u8)depth;
	pad[2] = 0x5a;
	if (depth < (1ULL << 40))
		crash_thread_recurse(depth + 1);
	pad[1] = pad[0] ^ pad[2];
}

static int crash_stack_thread(void *arg)
{
	crash_thread_recurse(0);
	return 0;
}

static bool crash_thread_stack(struct ktest *t)
{
	int cpu = READ_ONCE(nr_cpus_online) > 1 ? 1 : 0;
	struct thread *th = kthread_run(crash_stack_thread, NULL,
					"crash_stack", cpu);

	if (!KTEST_EXPECT(t, th != NULL))
		return false;
	ktest_diag(t, "thread crash_stack on cpu%d recurses into its guard page at %p",
		   cpu, th->stack);
	kthread_join(th);
	return true;
}

/*
 * crash_test=bootstack: the same recursion right here, in kmain's thread,
 * which runs on the BSP's boot stack (boot/boot.asm) and its guard page.
 */
static bool crash_boot_stack(struct ktest *t)
{
	ktest_diag(t, "kmain recurses into the guard page under the boot stack");
	crash_thread_recurse(0);
	return true;
}

static bool crash_ipi(struct ktest *t)
{
	if (READ_ONCE(nr_cpus_online) < 2) {
		ktest_fail(t, __FILE__, __LINE__,
			   "crash_test=ipi needs a second CPU");
		return false;
	}
	smp_call_on_cpu(1, crash_ipi_victim, NULL, true);
	return true;
}

static bool crash_pf(struct ktest *t)
{
	crash_pf_victim();
	return true;
}

static const struct {
	const char *name;
	bool (*fn)(struct ktest *t);
} crash_kinds[] = {
	{ "pf", crash_pf },
	{ "ipi", crash_ipi },
	{ "df", crash_stack_overflow },
	{ "stack", crash_thread_stack },
	{ "bootstack", crash_boot_stack },
};

KTEST(crash, on_purpose)
{
	const char *kind = cmdline_crash_test;

	if (!kind[0]) {
		ktest_skip(t, "no crash_test= on the command line");
		return;
	}
	for (unsigned int i = 0; i < ARRAY_SIZE(crash_kinds); i++) {
		if (strcmp(kind, crash_kinds[i].name))
			continue;
		ktest_diag(t, "crash_test=%s: a fatal exception follows on purpose",
			   kind);
		if (crash_kinds[i].fn(t))
			ktest_fail(t, __FILE__, __LINE__,
				   "crash_test=%s: still alive after the fault",
				   kind);
		return;
	}
	ktest_fail(t, __FILE__, __LINE__,
		   "unknown crash_test '%s' (known: pf, ipi, df, stack, bootstack)", kind);
}
