// SPDX-License-Identifier: MIT
/* Guard pages under the per-CPU stacks (see arch/x86/stack_guard.h). */
#include "arch/x86/stack_guard.h"
#include "kernel/log.h"
#include "kernel/percpu.h"
#include "mm/paging.h"

static const char *const cpu_stack_names[NR_CPU_STACKS] = {
	[CPU_STACK_BOOT] = "boot stack",
	[CPU_STACK_NMI] = "NMI IST stack",
	[CPU_STACK_DF] = "#DF IST stack",
	[CPU_STACK_MC] = "#MC IST stack",
};

struct cpu_stack_range {
	u64 guard;	/* 0: not installed */
	u64 top;
};

/*
 * Written once per CPU and stack while CPUs are brought up (by the BSP),
 * read lock-free by the exception path and tests: a torn read can only
 * miss a name, never fault.
 */
static struct cpu_stack_range cpu_stacks[MAX_CPUS][NR_CPU_STACKS];

bool cpu_stack_guard_install(unsigned int cpu, enum cpu_stack which,
			     void *guard, void *top)
{
	u64 g = (u64)(unsigned long)guard;

	if (WARN_ON(cpu >= MAX_CPUS || which >= NR_CPU_STACKS ||
		    !IS_ALIGNED(g, PAGE_SIZE)))
		return false;
	if (paging_unmap_4k(g)) {
		pr_err("stack guard: cpu%u %s: no memory to unmap its guard page %#llx; it runs unguarded\n",
		       cpu, cpu_stack_names[which], (unsigned long long)g);
		return false;
	}
	WRITE_ONCE(cpu_stacks[cpu][which].top, (u64)(unsigned long)top);
	WRITE_ONCE(cpu_stacks[cpu][which].guard, g);
	return true;
}

bool cpu_stack_bounds(unsigned int cpu, enum cpu_stack which, u64 *lo,
		      u64 *hi)
{
	u64 g;

	if (cpu >= MAX_CPUS || which >= NR_CPU_STACKS)
		return false;
	g = READ_ONCE(cpu_stacks[cpu][which].guard);
	if (!g)
		return false;
	*lo = g + PAGE_SIZE;
	*hi = READ_ONCE(cpu_stacks[cpu][which].top);
	return true;
}

bool cpu_stack_guard_name(u64 addr, char *buf, size_t size,
			  unsigned int *cpu, enum cpu_stack *which)
{
	u64 page = addr & ~(u64)(PAGE_SIZE - 1);

	for (unsigned int c = 0; c < MAX_CPUS; c++)
		for (unsigned int s = 0; s < NR_CPU_STACKS; s++) {
			if (READ_ONCE(cpu_stacks[c][s].guard) != page || !page)
				continue;
			ksnprintf(buf, size, "cpu%u %s", c, cpu_stack_names[s]);
			*cpu = c;
			*which = (enum cpu_stack)s;
			return true;
		}
	return false;
}
