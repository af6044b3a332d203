// SPDX-License-Identifier: MIT
/* Cross-CPU TLB shootdown (see arch/x86/tlb.h). */
#include "arch/x86/tlb.h"
#include "arch/x86/cpu.h"
#include "arch/x86/smp.h"
#include "kernel/percpu.h"

struct tlb_flush_req {
	u64 va;
	bool whole;
};

/* Per CPU, written only by that CPU in its call IPI; read by tests. */
static unsigned long nr_served[MAX_CPUS];

static void tlb_flush_ipi(void *arg)
{
	const struct tlb_flush_req *req = arg;
	unsigned int me = this_cpu_id();

	if (req->whole)
		flush_tlb_local();
	else
		invlpg((const void *)(unsigned long)req->va);
	WRITE_ONCE(nr_served[me], nr_served[me] + 1);
}

void tlb_shootdown(u64 va, bool whole)
{
	struct tlb_flush_req req = { .va = va, .whole = whole };
	unsigned int me = this_cpu_id();

	/* Before SMP bring-up, or while every CPU is being stopped. */
	if (READ_ONCE(nr_cpus_online) < 2 || smp_stopping())
		return;
	/*
	 * One CPU at a time, waiting for each: this is for rare changes to
	 * the kernel's own map, and req lives on this stack.
	 */
	for (unsigned int cpu = 0; cpu < MAX_CPUS; cpu++) {
		struct percpu *pc = per_cpu(cpu);

		if (cpu == me || !pc || !smp_load_acquire(&pc->online))
			continue;
		smp_call_on_cpu(cpu, tlb_flush_ipi, &req, true);
	}
}

unsigned long tlb_shootdowns_served(unsigned int cpu)
{
	return cpu < MAX_CPUS ? READ_ONCE(nr_served[cpu]) : 0;
}
