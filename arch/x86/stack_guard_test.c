// SPDX-License-Identifier: MIT
/*
 * Guard pages: every per-CPU stack and every thread stack has an unmapped
 * page right below it, the exception path can name its owner, and a
 * thread's guard page is mapped back (with its split undone) when the
 * thread is joined. The overflow itself ends the run, so it is a crash
 * boot (crash_test=stack, tests/boot/configs.sh) rather than a ktest.
 */
#include "arch/x86/gdt.h"
#include "arch/x86/smp.h"
#include "arch/x86/stack_guard.h"
#include "kernel/ktest.h"
#include "kernel/log.h"
#include "kernel/percpu.h"
#include "kernel/string.h"
#include "kernel/symbols.h"
#include "kernel/thread.h"
#include "mm/page_alloc.h"
#include "mm/paging.h"

KTEST(stack_guard, every_cpu_stack_has_one)
{
	unsigned int n = READ_ONCE(nr_cpus_online);
	char name[48], want[48];

	for (unsigned int cpu = 0; cpu < n; cpu++)
		for (unsigned int s = 0; s < NR_CPU_STACKS; s++) {
			u64 lo = 0, hi = 0;
			unsigned int owner = ~0u;
			enum cpu_stack which = NR_CPU_STACKS;

			if (!KTEST_EXPECT(t, cpu_stack_bounds(cpu, (enum cpu_stack)s,
							      &lo, &hi))) {
				ktest_diag(t, "cpu%u stack %u has no guard", cpu, s);
				continue;
			}
			KTEST_EXPECT(t, !paging_is_mapped(lo - PAGE_SIZE));
			KTEST_EXPECT(t, paging_is_mapped(lo));
			KTEST_EXPECT(t, paging_is_mapped(hi - 8));
			KTEST_EXPECT(t, cpu_stack_guard_name(lo - 1, name,
							     sizeof(name), &owner,
							     &which));
			KTEST_EXPECT_EQ(t, owner, cpu);
			KTEST_EXPECT_EQ(t, which, s);
			if (s == CPU_STACK_NMI) {
				ksnprintf(want, sizeof(want), "cpu%u NMI IST stack", cpu);
				KTEST_EXPECT(t, !strcmp(name, want));
			}
			/* The stack itself is no guard page. */
			KTEST_EXPECT(t, !cpu_stack_guard_name(lo, name,
							      sizeof(name), &owner,
							      &which));
		}
	/* The IST slots in each TSS are the tops of those stacks. */
	for (unsigned int cpu = 0; cpu < n; cpu++) {
		u64 lo, hi;

		if (cpu_stack_bounds(cpu, CPU_STACK_DF, &lo, &hi))
			KTEST_EXPECT_EQ(t, per_cpu(cpu)->tss->ist[IST_DF - 1], hi);
	}
}

static int guard_probe_thread(void *arg)
{
	struct thread *me = current_thread();
	unsigned int cpu = ~0u;
	u64 guard = (u64)(unsigned long)me->stack;
	u64 here = (u64)(unsigned long)__builtin_frame_address(0);
	int bad = 0;

	/* Running on the block above the guard, which is unmapped. */
	bad |= !(here > guard + PAGE_SIZE && here < guard + THREAD_STACK_BLOCK);
	bad |= paging_is_mapped(guard) << 1;
	bad |= !paging_is_mapped(guard + PAGE_SIZE) << 2;
	bad |= (thread_find_by_guard(guard + 8, &cpu) != me) << 3;
	bad |= (cpu != this_cpu_id()) << 4;
	bad |= (*me->canary != THREAD_STACK_CANARY) << 5;
	return bad;
}

/* The runner's leak check adds that the split's tables came back too. */
KTEST(stack_guard, thread_guard_mapped_back_after_join)
{
	struct thread *th = kthread_create(guard_probe_thread, NULL,
					   "guard_probe", -1);
	u64 guard;

	if (!KTEST_EXPECT(t, th != NULL))
		return;
	guard = (u64)(unsigned long)th->stack;
	KTEST_EXPECT(t, !paging_is_mapped(guard));
	kthread_start(th);
	KTEST_EXPECT_EQ(t, kthread_join(th), 0);
	KTEST_EXPECT(t, paging_is_mapped(guard));
}

/*
 * paging_restore_4k() undoes the split of a 2 MiB page: unmap + restore
 * of a page in a 2 MiB block that is all ours must end with that range a
 * large page again and every page-table page given back.
 */
KTEST(stack_guard, restore_collapses_the_split)
{
	u8 *block = page_alloc(9);	/* 2 MiB, naturally aligned */
	u64 va, flags = 0, free0, free1;
	bool was_large;

	if (!block) {
		ktest_skip(t, "no free 2 MiB block");
		return;
	}
	va = (u64)(unsigned long)block + 5 * PAGE_SIZE;
	KTEST_EXPECT(t, paging_translate(va, NULL, &flags));
	was_large = flags & PTE_PS;
	ktest_diag(t, "%#llx was %sin a large page before", (unsigned long long)va,
		   was_large ? "" : "not ");
	free0 = page_alloc_nr_free();
	KTEST_EXPECT_EQ(t, paging_unmap_4k(va), 0);
	KTEST_EXPECT(t, !paging_is_mapped(va));
	KTEST_EXPECT(t, paging_is_mapped(va + PAGE_SIZE));
	KTEST_EXPECT_EQ(t, paging_restore_4k(va), 0);
	KTEST_EXPECT(t, paging_translate(va, NULL, &flags));
	KTEST_EXPECT(t, flags & PTE_PS);
	free1 = page_alloc_nr_free();
	if (was_large)
		KTEST_EXPECT_EQ(t, free1, free0);
	else	/* an earlier split's table went too: one more page free */
		KTEST_EXPECT(t, free1 >= free0);
	page_free(block, 9);
	if (!was_large)
		t->allow_leak = true;
}

/* The AP trampoline's copy has a name in backtraces. */
KTEST(stack_guard, ap_trampoline_symbolized)
{
	char sym[64];

	if (READ_ONCE(nr_cpus_online) < 2) {
		ktest_skip(t, "no AP was started");
		return;
	}
	symbolize(TRAMP_BASE + 0x10, sym, sizeof(sym));
	KTEST_EXPECT(t, !strcmp(sym, "ap_trampoline+0x10"));
	ktest_diag(t, "TRAMP_BASE + 0x10 is %s", sym);
}
