// SPDX-License-Identifier: MIT
/*
 * mmu_seed000: KVM's "yield when zapping a defunct root" scenario. The
 * host gives this guest an aliased memslot (alias=N on its module line:
 * N GFNs over a few host pages); vCPU 0 has the host prefault all of it,
 * so the root holds N+ 4K SPTEs, then invalidates every root. The vCPUs
 * move to a fresh root at once and drop their references to the old one;
 * the host's worker zaps it, yielding, while vCPU 1 keeps running. The
 * test checks that it completes and that every page-table page comes
 * back (pt_pages_alive as before), and reports the longest host run
 * between two scheduling points of that zap (TSC ticks; under Bochs'
 * sync=none, instructions).
 *
 * Guest options (after "--"):
 *   alias=N        size of the aliased slot (as the host's alias=)
 *   sizes=a,b,c    SPTE counts to run the scenario for (default: N)
 *   fault_pages=M  also measure ticks per 4K fault-in over M fresh pages
 */
#include "tests/guests/mmu_common.h"

#define FAULT_GPA	0x200000ULL
#define PAGE		4096ULL

static volatile u32 stop_spin;
static volatile u64 spins;

/* vCPU 1+: keep running (and exiting now and then) during the zaps. */
void secondary_main(unsigned int vcpu)
{
	while (!READ_ONCE(stop_spin)) {
		__atomic_fetch_add(&spins, 1, __ATOMIC_RELAXED);
		if (!(spins & 1023))
			hc_vcpu_info();
	}
}

static void touch_working_set(void)
{
	for (u64 gpa = 0x100000; gpa < boot_info->mem_size; gpa += 0x200000)
		(void)*(volatile u64 *)(uintptr_t)gpa;
}

/* pt_pages_alive once no table page is waiting for a grace period. */
static u64 pt_pages_settled(void)
{
	u64 a, b = mmu_stat(HV_MMU_STAT_pt_pages_alive), t0;

	do {
		a = b;
		t0 = rdtsc();
		while (rdtsc() - t0 < 20000000)
			cpu_relax();
		b = mmu_stat(HV_MMU_STAT_pt_pages_alive);
	} while (a != b);
	return b;
}

static bool run_size(u64 n)
{
	u64 p0, p_full, p1, gap, points = 0, t0, t_pf, t_zap;
	u64 spins0;
	long r;
	bool ok = true;

	/*
	 * A fresh root holding only the working set (every 2 MiB of guest
	 * memory touched), once the old roots' tables went back: the
	 * baseline.
	 */
	ok &= EXPECT_EQ(hc_mmu_invalidate_roots(), 0);
	ok &= EXPECT(mmu_wait_roots_settled());
	touch_working_set();
	p0 = pt_pages_settled();

	t0 = rdtsc();
	r = hypercall4(HC_MMU_PREFAULT, HV_GFN_ALIAS_BASE, n, 0, 0);
	t_pf = rdtsc() - t0;
	ok &= EXPECT_EQ(r, 0);
	p_full = mmu_stat(HV_MMU_STAT_pt_pages_alive);
	ok &= EXPECT(p_full - p0 >= n / 512);

	hypercall1(HC_MMU_SCHED_GAP, 0);	/* reset the probe */
	spins0 = READ_ONCE(spins);
	t0 = rdtsc();
	ok &= EXPECT_EQ(hc_mmu_invalidate_roots(), 0);
	ok &= EXPECT(mmu_wait_roots_settled());
	t_zap = rdtsc() - t0;
	gap = hypercall4(HC_MMU_SCHED_GAP, (u64)(uintptr_t)&points, 0, 0, 0);
	/* Table pages go back after a grace period: wait for the last. */
	t0 = rdtsc();
	while ((p1 = mmu_stat(HV_MMU_STAT_pt_pages_alive)) > p0 &&
	       rdtsc() - t0 < MMU_WAIT_TICKS)
		;
	touch_working_set();
	p1 = pt_pages_settled();
	ok &= EXPECT_EQ(p1, p0);
	if (boot_info->nr_vcpus > 1)
		ok &= EXPECT(READ_ONCE(spins) > spins0);
	printf("seed000: %llu SPTEs: %llu pt pages, prefault %llu ticks, "
	       "zap+free %llu ticks, %llu sched points, longest run between "
	       "two: %llu ticks\n", (unsigned long long)n,
	       (unsigned long long)(p_full - p0), (unsigned long long)t_pf,
	       (unsigned long long)t_zap, (unsigned long long)points,
	       (unsigned long long)gap);
	ktap_result(ok, "defunct_root_of_%llu_sptes_zapped_yielding "
		    "(pt pages %llu -> %llu -> %llu)", (unsigned long long)n,
		    (unsigned long long)p0, (unsigned long long)p_full,
		    (unsigned long long)p1);
	return ok;
}

/* Ticks per EPT-violation fault-in of a fresh 4K page, minus a re-touch. */
static void measure_faults(u64 pages)
{
	u64 limit = (boot_info->mem_size - FAULT_GPA) / PAGE / 2, t0, t1, t2;

	if (pages > limit)
		pages = limit;
	t0 = rdtsc_ordered();
	for (u64 i = 0; i < pages; i++)
		*(volatile u64 *)(uintptr_t)(FAULT_GPA + i * PAGE) = i;
	t1 = rdtsc_ordered();
	for (u64 i = 0; i < pages; i++)
		*(volatile u64 *)(uintptr_t)(FAULT_GPA + i * PAGE) = i + 1;
	t2 = rdtsc_ordered();
	printf("fault-in: %llu pages: %llu ticks per fault (first touch %llu, "
	       "re-touch %llu per page)\n", (unsigned long long)pages,
	       (unsigned long long)((t1 - t0) - (t2 - t1)) / pages,
	       (unsigned long long)(t1 - t0) / pages,
	       (unsigned long long)(t2 - t1) / pages);
	ktap_result(t1 - t0 > t2 - t1, "fault_in_costs_more_than_retouch");
}

int main(void)
{
	char buf[96];
	u64 alias = mmu_parse_u64(guest_option("alias", buf, sizeof(buf)), 0);
	u64 fault_pages = mmu_parse_u64(guest_option("fault_pages", buf,
						      sizeof(buf)), 0);
	u64 sizes[8];
	unsigned int nr = 0;
	const char *s = guest_option("sizes", buf, sizeof(buf));

	while (s && *s && nr < ARRAY_SIZE(sizes)) {
		sizes[nr++] = mmu_parse_u64(s, 0);
		while (*s && *s != ',')
			s++;
		if (*s == ',')
			s++;
	}
	if (!nr && alias)
		sizes[nr++] = alias;
	ktap_plan(nr + (fault_pages ? 1 : 0) + 1);
	if (fault_pages)
		measure_faults(fault_pages);
	for (unsigned int i = 0; i < nr; i++)
		if (sizes[i] > alias || !sizes[i])
			ktap_result(false, "size %llu: not within alias=%llu",
				    (unsigned long long)sizes[i],
				    (unsigned long long)alias);
		else
			run_size(sizes[i]);
	/* Outside the aliased slot: a clean error, the guest goes on. */
	ktap_result(EXPECT_EQ(hypercall4(HC_MMU_PREFAULT,
					 HV_GFN_ALIAS_BASE + alias, 1, 0, 0),
			      -HV_EFAULT), "prefault_past_alias_slot_efault");
	WRITE_ONCE(stop_spin, 1);
	return 0;
}
