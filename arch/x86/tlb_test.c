// SPDX-License-Identifier: MIT
/*
 * TLB shootdown: after paging_map_4k() points a kernel address at another
 * page, no CPU may still read through the old translation. QEMU TCG keeps
 * a per-CPU software TLB that page-table writes do not update, so without
 * a shootdown the other CPUs read the old page here (checked by hand by
 * disabling tlb_shootdown(): this test then fails on every other CPU).
 */
#include "arch/x86/smp.h"
#include "arch/x86/tlb.h"
#include "kernel/ktest.h"
#include "kernel/percpu.h"
#include "mm/page_alloc.h"
#include "mm/paging.h"

#define MARK_A	0xaaaa0000aaaa0000ULL
#define MARK_B	0xbbbb0000bbbb0000ULL

struct tlb_probe {
	u64 va;
	u64 seen[MAX_CPUS];
};

static void read_probe(void *arg)
{
	struct tlb_probe *p = arg;

	p->seen[this_cpu_id()] = *(volatile u64 *)(unsigned long)p->va;
}

/* Read p->va on every online CPU but this one; returns how many read. */
static unsigned int read_everywhere(struct tlb_probe *p)
{
	unsigned int n = 0;

	for (unsigned int cpu = 0; cpu < MAX_CPUS; cpu++) {
		p->seen[cpu] = 0;
		if (cpu != this_cpu_id() &&
		    !smp_call_on_cpu(cpu, read_probe, p, true))
			n++;
	}
	return n;
}

static unsigned int count_seen(const struct tlb_probe *p, u64 mark)
{
	unsigned int n = 0;

	for (unsigned int cpu = 0; cpu < MAX_CPUS; cpu++)
		if (cpu != this_cpu_id() && per_cpu(cpu) &&
		    READ_ONCE(per_cpu(cpu)->online) && p->seen[cpu] == mark)
			n++;
	return n;
}

KTEST_FLAGS(tlb, remap_seen_by_every_cpu, KTEST_F_SMP)
{
	static struct tlb_probe probe;
	u64 *a = page_alloc(0), *b = page_alloc(0);
	unsigned long served0 = 0, served1 = 0;
	unsigned int others;

	/* The split below may keep up to two page-table pages. */
	t->allow_leak = true;
	if (!KTEST_EXPECT(t, a && b))
		goto out;
	*a = MARK_A;
	*b = MARK_B;
	probe.va = (u64)(unsigned long)a;

	/* 4 KiB-map a to itself (splitting), then let every CPU cache it. */
	KTEST_EXPECT_EQ(t, paging_map_4k(probe.va, probe.va, PTE_RW), 0);
	others = read_everywhere(&probe);
	KTEST_EXPECT(t, others >= 1);
	KTEST_EXPECT_EQ(t, count_seen(&probe, MARK_A), others);

	/* Point a's address at b: every CPU must now read b's mark. */
	for (unsigned int cpu = 0; cpu < MAX_CPUS; cpu++)
		served0 += tlb_shootdowns_served(cpu);
	KTEST_EXPECT_EQ(t, paging_map_4k(probe.va, (u64)(unsigned long)b,
					 PTE_RW), 0);
	for (unsigned int cpu = 0; cpu < MAX_CPUS; cpu++)
		served1 += tlb_shootdowns_served(cpu);
	KTEST_EXPECT_EQ(t, served1 - served0, others);
	KTEST_EXPECT_EQ(t, read_everywhere(&probe), others);
	KTEST_EXPECT_EQ(t, count_seen(&probe, MARK_B), others);

	/* And back. */
	KTEST_EXPECT_EQ(t, paging_map_4k(probe.va, probe.va, PTE_RW), 0);
	KTEST_EXPECT_EQ(t, read_everywhere(&probe), others);
	KTEST_EXPECT_EQ(t, count_seen(&probe, MARK_A), others);
	ktest_diag(t, "%u other CPUs checked after two remaps", others);
out:
	if (a)
		page_free(a, 0);
	if (b)
		page_free(b, 0);
}
