// SPDX-License-Identifier: MIT
/*
 * mmu_faults: the TDP MMU under a guest. Guest memory starts unmapped in
 * EPT, so every first touch is an EPT violation the host's TDP MMU fixes
 * with mmu_lock held for read. With 2+ vCPUs:
 *  - faults on the same pages and on different pages at once;
 *  - zaps of a range racing faults on it (data survives: zapping drops
 *    translations, never memory);
 *  - invalidating all roots racing faults (vCPUs move to a fresh root,
 *    a host worker zaps the old ones, every old root is freed);
 *  - reclaim (next touch reads zeroes) and replace (every vCPU reads the
 *    host's new page; the host checks no SPTE maps the old one);
 *  - bad input: absurd ranges and GFNs get clean errors;
 *  - with "-- pressure=1" (and the host's pressure=1), data written once
 *    stays intact while the host migrates pages under it.
 * With "-- wild=1" it only maps the 2 MiB above its memory into its own
 * page tables and touches it: an EPT violation outside every memslot, an
 * MMIO access to nothing, which strict_io=1 on its module line makes
 * fatal, so the host must kill this guest with a message naming the GPA,
 * and the other guests go on (the bad-input boot); "-- wild=2" does the
 * same with a GPA above the host's 39-bit guest physical width (always
 * fatal); "-- wild=3" reads MMIO with an ADD, an instruction the host's
 * MMIO emulator does not know.
 */
#include "tests/guests/mmu_common.h"

#define TEST_GPA	0x200000ULL	/* 2 MiB: above the image */
#define PAGE		4096ULL
#define REGION_A	0		/* page indices in the test area */
#define REGION_B	64
#define REGION_C	128		/* reclaim/replace */
#define REGION_D	160		/* pressure */
#define NR_A		64
#define NR_B		64
#define NR_D		64
#define RACE_ITERS	200
#define ZAP_ROUNDS	40
#define INVALIDATE_ROUNDS 8

enum { PH_SAME = 1, PH_DIFF, PH_ZAP, PH_INVALIDATE, PH_READ_C, PH_REREAD_C,
       PH_END };

static struct mmu_phases ph;
static volatile u32 stop_race;

static u64 *page_ptr(unsigned int page)
{
	return (u64 *)(uintptr_t)(TEST_GPA + page * PAGE);
}

static u64 gfn_of(unsigned int page)
{
	return (TEST_GPA >> 12) + page;
}

static u64 pattern(unsigned int vcpu, unsigned int page, u64 iter)
{
	return 0xa5a5000000000000ULL | (u64)vcpu << 40 | (u64)page << 20 | iter;
}

static void note_error(void)
{
	__atomic_fetch_add(&ph.errors, 1, __ATOMIC_RELAXED);
}

/* Everyone writes its own word of every page of region A, same order. */
static void same_pages(unsigned int vcpu)
{
	for (unsigned int p = REGION_A; p < REGION_A + NR_A; p++)
		WRITE_ONCE(page_ptr(p)[vcpu], pattern(vcpu, p, 0));
}

/* Region B split between vCPUs: page p belongs to vCPU p % n. */
static void different_pages(unsigned int vcpu)
{
	unsigned int n = boot_info->nr_vcpus;

	for (unsigned int p = REGION_B + vcpu; p < REGION_B + NR_B; p += n) {
		page_ptr(p)[0] = pattern(vcpu, p, 1);
		page_ptr(p)[511] = pattern(vcpu, p, 2);
	}
}

/* Write/read our word of region A until vCPU 0 says stop. */
static void race_writer(unsigned int vcpu)
{
	for (u64 i = 0; !READ_ONCE(stop_race) || i < RACE_ITERS; i++) {
		unsigned int p = REGION_A + i % NR_A;
		u64 v = pattern(vcpu, p, i & 0xfffff);

		WRITE_ONCE(page_ptr(p)[vcpu], v);
		if (READ_ONCE(page_ptr(p)[vcpu]) != v) {
			note_error();
			return;
		}
		if (i > 100000)
			break;
	}
}

static u64 replace_seen[GUEST_MAX_VCPUS_LIB];

static void read_c(unsigned int vcpu)
{
	replace_seen[vcpu] = READ_ONCE(page_ptr(REGION_C + 1)[7]);
}

static void run_phase(unsigned int vcpu, u32 p)
{
	switch (p) {
	case PH_SAME: same_pages(vcpu); break;
	case PH_DIFF: different_pages(vcpu); break;
	case PH_ZAP:
	case PH_INVALIDATE: race_writer(vcpu); break;
	case PH_READ_C:
	case PH_REREAD_C: read_c(vcpu); break;
	default: break;
	}
}

void secondary_main(unsigned int vcpu)
{
	mmu_phase_loop(&ph, PH_END, vcpu, run_phase);
}

static void own_same(void) { same_pages(0); }
static void own_diff(void) { different_pages(0); }

static void own_zap(void)
{
	for (int i = 0; i < ZAP_ROUNDS; i++)
		if (hc_mmu_zap_gfn_range(gfn_of(REGION_A), NR_A))
			note_error();
	WRITE_ONCE(stop_race, 1);
}

static void own_invalidate(void)
{
	for (int i = 0; i < INVALIDATE_ROUNDS; i++) {
		if (hc_mmu_invalidate_roots())
			note_error();
		for (unsigned int p = REGION_A; p < REGION_A + NR_A; p++) {
			WRITE_ONCE(page_ptr(p)[0], pattern(0, p, i));
			if (READ_ONCE(page_ptr(p)[0]) != pattern(0, p, i))
				note_error();
		}
	}
	WRITE_ONCE(stop_race, 1);
}

static void test_same_pages(void)
{
	unsigned int n = boot_info->nr_vcpus;
	u64 f0 = mmu_stat(HV_MMU_STAT_faults);
	bool ok = mmu_phase_run(&ph, PH_SAME, own_same);

	for (unsigned int p = REGION_A; ok && p < REGION_A + NR_A; p++)
		for (unsigned int v = 0; v < n; v++)
			ok &= EXPECT_EQ(page_ptr(p)[v], pattern(v, p, 0));
	ok &= EXPECT(mmu_stat(HV_MMU_STAT_faults) - f0 >= NR_A);
	ktap_result(ok, "concurrent_faults_same_pages (%u vCPUs, %u pages)", n,
		    NR_A);
}

static void test_different_pages(void)
{
	unsigned int n = boot_info->nr_vcpus;
	bool ok = mmu_phase_run(&ph, PH_DIFF, own_diff);

	for (unsigned int p = REGION_B; ok && p < REGION_B + NR_B; p++)
		ok &= EXPECT_EQ(page_ptr(p)[0], pattern(p % n, p, 1)) &&
		      EXPECT_EQ(page_ptr(p)[511], pattern(p % n, p, 2));
	ktap_result(ok, "concurrent_faults_different_pages");
}

static void test_zap_race(void)
{
	u64 z0 = mmu_stat(HV_MMU_STAT_zapped_sptes);
	bool ok;

	ph.errors = 0;
	stop_race = 0;
	ok = mmu_phase_run(&ph, PH_ZAP, own_zap);
	ok &= EXPECT_EQ(ph.errors, 0);
	ok &= EXPECT(mmu_stat(HV_MMU_STAT_zapped_sptes) > z0);
	ktap_result(ok, "zaps_racing_faults (%d zaps)", ZAP_ROUNDS);
}

static void test_invalidate_race(void)
{
	u64 r0 = mmu_stat(HV_MMU_STAT_roots_allocated);
	bool ok;

	ph.errors = 0;
	stop_race = 0;
	ok = mmu_phase_run(&ph, PH_INVALIDATE, own_invalidate);
	ok &= EXPECT_EQ(ph.errors, 0);
	ok &= EXPECT(mmu_stat(HV_MMU_STAT_roots_allocated) > r0);
	ok &= EXPECT(mmu_wait_roots_settled());
	ktap_result(ok, "invalidate_roots_racing_faults (%d rounds, %llu roots)",
		    INVALIDATE_ROUNDS, (unsigned long long)
		    (mmu_stat(HV_MMU_STAT_roots_allocated) - r0));
}

static void test_reclaim(void)
{
	u64 *p = page_ptr(REGION_C);
	bool ok = true;

	for (int i = 0; i < 512; i++)
		p[i] = 0x1234567800000000ULL | i;
	ok &= EXPECT_EQ(hc_mmu_reclaim_gfn(gfn_of(REGION_C)), 0);
	for (int i = 0; i < 512; i++)
		ok &= EXPECT_EQ(READ_ONCE(p[i]), 0);
	ktap_result(ok, "reclaim_then_touch_reads_zeroes");
}

/* Every vCPU holds a translation of the page; replace; all see the new. */
static void test_replace(void)
{
	unsigned int n = boot_info->nr_vcpus;
	u64 *p = page_ptr(REGION_C + 1), want = HV_REPLACE_WORD(gfn_of(REGION_C + 1));
	bool ok;

	for (int i = 0; i < 512; i++)
		p[i] = 0x0bad0bad00000000ULL | i;
	ok = mmu_phase_run(&ph, PH_READ_C, NULL);
	for (unsigned int v = 1; v < n; v++)
		ok &= EXPECT_EQ(replace_seen[v], 0x0bad0bad00000007ULL);
	ok &= EXPECT_EQ(hc_mmu_replace_gfn(gfn_of(REGION_C + 1)), 0);
	ok &= mmu_phase_run(&ph, PH_REREAD_C, NULL);
	for (unsigned int v = 1; v < n; v++)
		ok &= EXPECT_EQ(replace_seen[v], want);
	for (int i = 0; i < 512; i++)
		ok &= EXPECT_EQ(READ_ONCE(p[i]), want);
	ktap_result(ok, "replace_seen_by_every_vcpu");
}

static void test_bad_input(void)
{
	static u8 small[8];
	u64 top = 1ULL << 27;	/* GFNs of a 39-bit guest physical width */
	u64 mem_gfns = boot_info->mem_size >> 12;
	struct { const char *what; long got, want; } c[] = {
		{ "zap 0 pages", hc_mmu_zap_gfn_range(0, 0), -HV_EINVAL },
		{ "zap past the width", hc_mmu_zap_gfn_range(top - 1, 2), -HV_EINVAL },
		{ "zap wrapping", hc_mmu_zap_gfn_range(~0ULL, 2), -HV_EINVAL },
		{ "zap everything", hc_mmu_zap_gfn_range(0, ~0ULL), -HV_EINVAL },
		{ "reclaim above the width", hc_mmu_reclaim_gfn(1ULL << 40), -HV_EINVAL },
		{ "reclaim outside memslots", hc_mmu_reclaim_gfn(mem_gfns + 5), -HV_EFAULT },
		{ "replace outside memslots", hc_mmu_replace_gfn(top - 1), -HV_EFAULT },
		{ "prefault outside memslots",
		  hypercall4(HC_MMU_PREFAULT, mem_gfns, 4, 0, 0), -HV_EFAULT },
		{ "prefault absurd count",
		  hypercall4(HC_MMU_PREFAULT, 0, ~0ULL >> 1, 0, 0), -HV_EINVAL },
		{ "stats into 8 bytes", hc_mmu_stats(small, sizeof(small)), -HV_EINVAL },
		{ "stats outside memory",
		  hypercall4(HC_MMU_STATS, 1ULL << 35, 128, 0, 0), -HV_EFAULT },
	};
	bool ok = true;

	for (unsigned int i = 0; i < ARRAY_SIZE(c); i++)
		if (c[i].got != c[i].want) {
			ktap_diag("%s: got %ld, want %ld", c[i].what, c[i].got,
				  c[i].want);
			ok = false;
		}
	ok &= EXPECT(mmu_stat(HV_MMU_STAT_bad_gpa_faults) >= 1);
	ktap_result(ok, "bad_input_clean_errors (%u cases)",
		    (unsigned int)ARRAY_SIZE(c));
}

static void test_stats(void)
{
	static struct { struct hv_mmu_stats h; u64 c[48]; } s;
	long n = hc_mmu_stats(&s, sizeof(s));

	ktap_result(EXPECT(n >= HV_MMU_NR_STATS_V1) &&
		    EXPECT_EQ(s.h.version, 4) && EXPECT_EQ(s.h.nr_counters, n) &&
		    EXPECT(s.h.counters[HV_MMU_STAT_faults] > 0) &&
		    EXPECT(s.h.counters[HV_MMU_STAT_pt_pages_alive] >= 4),
		    "stats_hypercall (%ld counters)", n);
}

/* Data written once survives the host migrating pages under it. */
static void test_pressure(void)
{
	char buf[8];
	u64 r0 = mmu_stat(HV_MMU_STAT_reclaims), t0, rounds = 0;
	bool ok = true;

	if (!guest_option("pressure", buf, sizeof(buf))) {
		ktap_skip("data_intact_under_memory_pressure",
			  "no pressure=1 guest option");
		return;
	}
	for (unsigned int p = REGION_D; p < REGION_D + NR_D; p++)
		for (int i = 0; i < 512; i += 64)
			page_ptr(p)[i] = pattern(0, p, i);
	t0 = rdtsc();
	while (ok && (mmu_stat(HV_MMU_STAT_reclaims) - r0 < 2 * NR_D ||
		      rounds < 4)) {
		for (unsigned int p = REGION_D; p < REGION_D + NR_D; p++)
			for (int i = 0; i < 512; i += 64)
				ok &= EXPECT_EQ(READ_ONCE(page_ptr(p)[i]),
						pattern(0, p, i));
		rounds++;
		if (rdtsc() - t0 > MMU_WAIT_TICKS) {
			ktap_diag("the host reclaimed only %llu pages",
				  (unsigned long long)
				  (mmu_stat(HV_MMU_STAT_reclaims) - r0));
			ok = false;
		}
	}
	ktap_result(ok, "data_intact_under_memory_pressure (%llu pages "
		    "migrated, %llu verify rounds)", (unsigned long long)
		    (mmu_stat(HV_MMU_STAT_reclaims) - r0),
		    (unsigned long long)rounds);
}

/*
 * Map the first 2 MiB above guest memory to @gpa in our own page tables
 * and write there: the host must kill us with a message naming @gpa
 * (above the address width; or, with strict_io=1 on our module line,
 * because no device is at @gpa).
 */
static void touch_outside_memory(u64 gpa)
{
	u64 *pd = (u64 *)(uintptr_t)HV_GPA_PD;
	u64 va = (boot_info->mem_size + 0x1fffff) & ~0x1fffffULL;

	ktap_diag("touching gpa %#llx, outside guest memory: expect to die",
		  (unsigned long long)gpa);
	pd[va >> 21] = gpa | 0x83;	/* present, writable, 2 MiB */
	asm volatile("invlpg (%0)" :: "r"(va) : "memory");
	*(volatile u64 *)(uintptr_t)va = 1;
	ktap_result(false, "survived_a_write_outside_memory");
}

/* wild=1: just above memory; wild=2: above the host's 39-bit width. */
static void wild(unsigned int how)
{
	u32 a, b, c, d;

	cpuid(0x80000008, 0, &a, &b, &c, &d);
	if (how == 2 && (a & 0xff) <= 39) {
		ktap_diag("guest MAXPHYADDR %u: cannot name a GPA above 39 bits",
			  a & 0xff);
		return;
	}
	touch_outside_memory(how == 2 ? 1ULL << 39 :
			     (boot_info->mem_size + 0x1fffff) & ~0x1fffffULL);
}

int main(void)
{
	char buf[8];

	if (guest_option("wild", buf, sizeof(buf))) {
		ktap_plan(1);
		if (buf[0] == '3') {
			/*
			 * MMIO by an instruction the host's emulator does
			 * not know (an ADD from device memory): it must
			 * kill us, naming the instruction's bytes.
			 */
			u32 sum = 1;

			ktap_diag("adding from MMIO at 512 MiB: expect to die");
			map_2m_identity(0x20000000);
			asm volatile("addl (%1), %0" : "+r"(sum) :
				     "r"((uintptr_t)0x20000000) : "memory");
			ktap_result(false, "survived_an_unknown_mmio_instruction");
			return 1;
		}
		wild(buf[0] == '2' ? 2 : 1);
		return 1;
	}
	ktap_plan(9);
	if (boot_info->nr_vcpus < 2 || boot_info->mem_size < 4ULL << 20)
		ktap_diag("mmu_faults wants vcpus>=2 and mem>=4M");
	test_same_pages();
	test_different_pages();
	test_zap_race();
	test_invalidate_race();
	test_reclaim();
	test_replace();
	test_bad_input();
	test_stats();
	test_pressure();
	mmu_phase_run(&ph, PH_END, NULL);
	return 0;
}
