// SPDX-License-Identifier: MIT
/*
 * mmu_huge: huge pages and dirty logging under a guest. Run with
 * "hugepages=2m test_hooks=1 vcpus=2 mem=8M" on its module line. Guest
 * RAM above 2 MiB is the test area:
 *  - memstress: each vCPU writes every page of its half, then verifies;
 *    the host's stats must show the area mapped by 2M leaves;
 *  - split and coalesce (the kvm_page_table_test idea): dirty logging on
 *    splits everything to 4K, writes are logged exactly, dirty logging off
 *    merges the ranges back in place, and the data survives each step;
 *  - live migration in miniature: vCPU 1 never stops writing its half
 *    while vCPU 0 harvests the log (a host-side get-and-clear) and copies
 *    what it reports; after vCPU 1 stops, one more harvest and copy must
 *    leave the copy equal to memory;
 *  - the split and recover passes on request, data intact.
 * "-- backing=4k" says the host backs RAM with 4K pages (hugepages=4k):
 * then nothing may be mapped or merged huge, and the same tests must pass
 * at 4K. (hugepages=1g in the kernel gets 2M blocks: backing=2m.)
 */
#include "tests/guests/mmu_common.h"

#define AREA		0x200000ULL	/* 2 MiB: above the image */
#define PAGE		4096ULL
#define MAX_PAGES	2048		/* up to 10 MiB of guest RAM */
#define DL_ROUNDS	20

enum { PH_STRESS = 1, PH_WRITE_FOREVER, PH_END };

static struct mmu_phases ph;
static volatile u32 stop_writer;
static u64 nr_pages;			/* pages in the area */
static u64 bitmap[(MAX_PAGES + 512) / 64];
static u64 copy[MAX_PAGES];		/* word 0 of each page, as copied */
static u64 writer_seq;
static u64 huge_ranges;		/* 2M ranges expected huge: 0 with 4K backing */

static u64 *page_ptr(u64 page)
{
	return (u64 *)(uintptr_t)(AREA + page * PAGE);
}

static u64 gfn_of(u64 page)
{
	return (AREA >> 12) + page;
}

static u64 pattern(u64 page, u64 version)
{
	return 0x4855474500000000ULL | page << 16 | version;
}

static void note_error(void)
{
	__atomic_fetch_add(&ph.errors, 1, __ATOMIC_RELAXED);
}

/* vCPU @vcpu's half of the area: [first, first + count). */
static void half(unsigned int vcpu, u64 *first, u64 *count)
{
	if (boot_info->nr_vcpus < 2) {
		*count = nr_pages;
		*first = 0;
		return;
	}
	*count = nr_pages / 2;
	*first = vcpu ? nr_pages / 2 : 0;
}

static void stress(unsigned int vcpu)
{
	u64 first, n, p;

	half(vcpu, &first, &n);
	for (p = first; p < first + n; p++)
		page_ptr(p)[0] = pattern(p, 1);
	for (p = first; p < first + n; p++)
		if (READ_ONCE(page_ptr(p)[0]) != pattern(p, 1))
			note_error();
}

static void write_forever(unsigned int vcpu)
{
	u64 first, n, x = 88172645463325252ULL;

	half(vcpu, &first, &n);
	while (!__atomic_load_n(&stop_writer, __ATOMIC_ACQUIRE)) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		WRITE_ONCE(page_ptr(first + x % n)[0], ++writer_seq);
	}
}

static void run_phase(unsigned int vcpu, u32 p)
{
	if (p == PH_STRESS)
		stress(vcpu);
	else if (p == PH_WRITE_FOREVER)
		write_forever(vcpu);
}

void secondary_main(unsigned int vcpu)
{
	mmu_phase_loop(&ph, PH_END, vcpu, run_phase);
}

static void own_stress(void) { stress(0); }

static bool area_bit(u64 page)
{
	u64 g = gfn_of(page);

	return bitmap[g / 64] & (1ULL << (g % 64));
}

static long harvest(void)
{
	return hypercall4(HC_MMU_HUGE, HV_HUGE_HARVEST,
			  (u64)(uintptr_t)bitmap, sizeof(bitmap), 0);
}

static bool verify(u64 version)
{
	bool ok = true;

	for (u64 p = 0; p < nr_pages; p++)
		ok &= READ_ONCE(page_ptr(p)[0]) == pattern(p, version);
	return ok;
}

/*
 * The first touch of each 2M range: one EPT violation that maps a 2M
 * leaf (and zeroes the 2 MiB block behind it). Guest TSC ticks each; in
 * Bochs with sync=none those are instructions, host and guest.
 */
static u64 time_2m_faults(void)
{
	u64 total = 0, n = 0;

	for (u64 p = 0; p + 512 <= nr_pages; p += 512, n++) {
		u64 t0 = rdtsc();

		WRITE_ONCE(page_ptr(p)[1], 1);
		total += rdtsc() - t0;
	}
	return n ? total / n : 0;
}

static void test_memstress(void)
{
	u64 want = huge_ranges, t2m = time_2m_faults();
	bool ok = mmu_phase_run(&ph, PH_STRESS, own_stress) && !ph.errors;
	u64 m2 = mmu_stat(HV_MMU_STAT_pages_2m);

	ktap_result(ok && EXPECT(want ? m2 >= want : m2 == 0),
		    "memstress (%llu pages written by %u vCPUs, "
		    "%llu 2M leaves, %llu 4K leaves; 2M fault-in %llu ticks)",
		    (unsigned long long)nr_pages, boot_info->nr_vcpus,
		    (unsigned long long)m2,
		    (unsigned long long)mmu_stat(HV_MMU_STAT_pages_4k),
		    (unsigned long long)t2m);
}

static void test_split_and_coalesce(void)
{
	u64 m0 = mmu_stat(HV_MMU_STAT_huge_merges), wrong = 0;
	bool ok = EXPECT_EQ(hypercall1(HC_MMU_HUGE, HV_HUGE_DIRTY_ON), 0);

	ok &= EXPECT_EQ(mmu_stat(HV_MMU_STAT_pages_2m), 0) && verify(1);
	harvest();	/* forget what the verify's own stack wrote */
	for (u64 p = 0; p < nr_pages; p += 3)
		page_ptr(p)[0] = pattern(p, 2);
	ok &= EXPECT(harvest() >= (long)((nr_pages + 2) / 3));
	for (u64 p = 0; p < nr_pages; p++)
		wrong += area_bit(p) != (p % 3 == 0);
	ok &= EXPECT_EQ(wrong, 0);
	/* Nothing written since: no area bit; one write: exactly it. */
	harvest();
	page_ptr(7)[0] = pattern(7, 1);
	harvest();
	for (u64 p = 0; p < nr_pages; p++)
		wrong += area_bit(p) != (p == 7);
	ok &= EXPECT_EQ(wrong, 0);
	page_ptr(7)[0] = pattern(7, 2);
	for (u64 p = 0; p < nr_pages; p++)
		if (p % 3)
			page_ptr(p)[0] = pattern(p, 2);
	ok &= EXPECT_EQ(hypercall1(HC_MMU_HUGE, HV_HUGE_DIRTY_OFF), 0);
	ok &= EXPECT(huge_ranges ? mmu_stat(HV_MMU_STAT_huge_merges) - m0 >=
		     huge_ranges : mmu_stat(HV_MMU_STAT_huge_merges) == m0);
	ok &= EXPECT(huge_ranges ? mmu_stat(HV_MMU_STAT_pages_2m) >= huge_ranges
		     : mmu_stat(HV_MMU_STAT_pages_2m) == 0);
	ok &= verify(2);
	ktap_result(ok, "split_and_coalesce (logging splits to 4K, bits exact, "
		    "%llu merges back to 2M, data kept)",
		    (unsigned long long)(mmu_stat(HV_MMU_STAT_huge_merges) - m0));
}

static void own_harvest_rounds(void)
{
	u64 first, n, rounds = 0, diff = 0;
	bool ok = true;

	half(1, &first, &n);
	ok &= EXPECT_EQ(hypercall1(HC_MMU_HUGE, HV_HUGE_DIRTY_ON), 0);
	for (u64 p = first; p < first + n; p++)
		copy[p] = READ_ONCE(page_ptr(p)[0]);
	for (;;) {
		bool last = rounds == DL_ROUNDS;

		if (last)
			__atomic_store_n(&stop_writer, 1, __ATOMIC_RELEASE);
		/* The writer is done once it reported its phase done. */
		if (last && !mmu_wait_u32(&ph.done, 1))
			ok = false;
		ok &= EXPECT(harvest() >= 0);
		for (u64 p = first; p < first + n; p++)
			if (area_bit(p))
				copy[p] = READ_ONCE(page_ptr(p)[0]);
		if (last)
			break;
		rounds++;
	}
	for (u64 p = first; p < first + n; p++)
		diff += copy[p] != READ_ONCE(page_ptr(p)[0]);
	ok &= EXPECT_EQ(diff, 0);
	ok &= EXPECT_EQ(hypercall1(HC_MMU_HUGE, HV_HUGE_DIRTY_OFF), 0);
	ktap_result(ok && writer_seq > 0,
		    "dirty_log_while_writing (%llu harvests while vCPU 1 wrote "
		    "%llu times; the copy equals memory)",
		    (unsigned long long)rounds,
		    (unsigned long long)writer_seq);
}

static void test_dirty_log_while_writing(void)
{
	if (boot_info->nr_vcpus < 2) {
		ktap_skip("dirty_log_while_writing", "needs vcpus=2");
		return;
	}
	stop_writer = 0;
	mmu_phase_run(&ph, PH_WRITE_FOREVER, own_harvest_rounds);
}

static void test_split_recover(void)
{
	u64 first, n;
	long merged;
	bool ok;

	/* vCPU 1's half holds its last writes; put the pattern back. */
	half(1, &first, &n);
	for (u64 p = first; p < first + n; p++)
		page_ptr(p)[0] = pattern(p, 2);
	ok = EXPECT_EQ(hypercall1(HC_MMU_HUGE, HV_HUGE_SPLIT), 0);
	ok &= EXPECT_EQ(mmu_stat(HV_MMU_STAT_pages_2m), 0) && verify(2);
	merged = hypercall1(HC_MMU_HUGE, HV_HUGE_RECOVER);
	ok &= EXPECT(huge_ranges ? merged >= (long)huge_ranges : merged == 0) &&
	      verify(2);
	ok &= EXPECT_EQ(hypercall1(HC_MMU_HUGE, 99), -HV_EINVAL);
	ktap_result(ok, "split_then_recover (%ld ranges merged)", merged);
}

int main(void)
{
	ktap_plan(5);
	nr_pages = (boot_info->mem_size - AREA) / PAGE;
	if (nr_pages > MAX_PAGES)
		nr_pages = MAX_PAGES;
	{
		char buf[8];

		huge_ranges = guest_option("backing", buf, sizeof(buf)) &&
			      buf[0] == '4' ? 0 : nr_pages / 512;
	}
	if (boot_info->mem_size < 6ULL << 20)
		ktap_diag("mmu_huge wants mem>=6M and hugepages=2m");
	test_memstress();
	test_split_and_coalesce();
	test_dirty_log_while_writing();
	test_split_recover();
	ktap_result(EXPECT_EQ(mmu_stat(HV_MMU_STAT_mmu_bugs), 0),
		    "no_mmu_bugs");
	mmu_phase_run(&ph, PH_END, NULL);
	return 0;
}
