// SPDX-License-Identifier: MIT
/*
 * async_pf: the host's async page faults seen from a guest that speaks
 * KVM's ABI (Documentation/virt/kvm/x86/msr.rst) - the CPUID bits, the
 * three MSRs and what they refuse, "page not present" as a #PF whose CR2
 * is a token, "page ready" as an interrupt through the LAPIC with the
 * same token, acknowledged by MSR, and a page that is in swap on the host
 * (HC_MMU_SWAP_OUT) coming back with its contents.
 *
 * The guest side is the library's (lib/kvm_apf.h) without tasks: the
 * boot context is the task kernel's idle task, which cannot schedule, so
 * every wait is seed 003's halt path - queue the token, or consume the
 * dummy a "page ready" that came first left, and halt until woken
 * (apf_tasks.c has the schedule path). Modes (guest option mode=):
 *   (none)  the ABI, async faults, the IF=0 sync path, disabling;
 *   race    with the host's apf_race=1: every "page ready" comes before
 *           its "not present" - dummies are made and consumed, none left,
 *           and the host counts none of it as a refusal;
 *   off     with apf=0: no CPUID bits, the MSRs #GP, faults on swap are
 *           slept through by the host.
 */
#include "tests/guests/lib/kvm_apf.h"
#include "tests/guests/mmu_common.h"

#define NR_BUF_PAGES		8
#define APF_VECTOR		KVM_APF_VECTOR
#define APF_ENABLED		KVM_ASYNC_PF_ENABLED
#define APF_SEND_ALWAYS		KVM_ASYNC_PF_SEND_ALWAYS
#define APF_DELIVERY_AS_INT	KVM_ASYNC_PF_DELIVERY_AS_INT

static u64 buf[NR_BUF_PAGES][512] __attribute__((aligned(4096)));

/* Waiters and dummies still in the library's hash. */
static unsigned int sleepers_left(void)
{
	return kvm_apf_sleepers() + kvm_apf_dummies();
}

static u64 pattern(unsigned int page, unsigned int i)
{
	return 0xa5f0000000000000ULL | (u64)page << 16 | i;
}

static u64 gfn_of(const void *p)
{
	return (u64)(uintptr_t)p >> 12;
}

static void fill_and_swap(void)
{
	for (unsigned int p = 0; p < NR_BUF_PAGES; p++)
		for (unsigned int i = 0; i < 512; i++)
			buf[p][i] = pattern(p, i);
}

/* Read every page back with IF=1: async faults where the host can. */
static unsigned int touch_all(void)
{
	unsigned int bad = 0;

	sti();
	for (unsigned int p = 0; p < NR_BUF_PAGES; p++)
		for (unsigned int i = 0; i < 512; i += 64)
			bad += READ_ONCE(buf[p][i]) != pattern(p, i);
	cli();
	return bad;
}

static void test_off(void)
{
	u32 a, b, c, d;
	unsigned int bad;
	long moved;

	ktap_plan(3);
	cpuid(0x40000001, 0, &a, &b, &c, &d);
	ktap_result(EXPECT_EQ(a & ((1u << 4) | (1u << 14)), 0),
		    "apf0_no_cpuid_bits");
	ktap_result(EXPECT_EQ(wrmsr_safe(MSR_KVM_ASYNC_PF_INT, APF_VECTOR),
			      X86_GP) &&
		    EXPECT_EQ(wrmsr_safe(MSR_KVM_ASYNC_PF_EN,
				(u64)(uintptr_t)&apf_data | APF_ENABLED |
				APF_DELIVERY_AS_INT), X86_GP),
		    "apf0_msrs_gp");
	fill_and_swap();
	moved = hc_mmu_swap_out(gfn_of(buf), NR_BUF_PAGES);
	bad = touch_all();
	ktap_result(EXPECT_EQ(moved, NR_BUF_PAGES) && EXPECT_EQ(bad, 0) &&
		    EXPECT_EQ(kvm_apf_stats.not_present, 0) &&
		    EXPECT(mmu_stat(HV_MMU_STAT_apf_sync_waits) >= NR_BUF_PAGES),
		    "apf0_swap_faults_slept_through_by_host");
}

static void test_race(void)
{
	unsigned int bad, rounds = 8;

	ktap_plan(2);
	ktap_result(kvm_apf_enable(true) == -1, "race_enable");
	for (unsigned int r = 0; r < rounds; r++) {
		fill_and_swap();
		hc_mmu_swap_out(gfn_of(buf), NR_BUF_PAGES);
		bad = touch_all();
		if (bad)
			break;
	}
	ktap_diag("race: %llu not present, %llu page ready, %llu dummies made, %llu consumed, %llu halts",
		  (unsigned long long)kvm_apf_stats.not_present,
		  (unsigned long long)kvm_apf_stats.page_ready,
		  (unsigned long long)kvm_apf_stats.dummies_made,
		  (unsigned long long)kvm_apf_stats.dummies_consumed,
		  (unsigned long long)kvm_apf_stats.halts);
	ktap_result(EXPECT_EQ(bad, 0) && EXPECT(kvm_apf_stats.dummies_made > 0) &&
		    EXPECT_EQ(kvm_apf_stats.dummies_made,
			      kvm_apf_stats.dummies_consumed) &&
		    EXPECT_EQ(sleepers_left(), 0) &&
		    EXPECT_EQ(kvm_apf_stats.dummy_pool_empty, 0) &&
		    EXPECT_EQ(mmu_stat(HV_MMU_STAT_apf_refused), 0),
		    "wake_before_wait_dummies_made_and_consumed_none_left");
	kvm_apf_disable();
}

static void test_abi(void)
{
	u64 area = (u64)(uintptr_t)&apf_data, val = 0, refused;
	u32 a, b, c, d;
	unsigned int bad, np0;
	long moved;
	char sig[13] = { 0 };

	ktap_plan(9);
	cpuid(0x40000001, 0, &a, &b, &c, &d);
	cpuid(0x40000100, 0, &a, (u32 *)&sig[0],
	      (u32 *)&sig[4], (u32 *)&sig[8]);
	cpuid(0x40000101, 0, &a, &b, &c, &d);
	ktap_result(EXPECT_EQ(a & ((1u << 4) | (1u << 14)),
			      (1u << 4) | (1u << 14)) &&
		    EXPECT(!memcmp(sig, "KVMKVMKVM\0\0\0", 12)),
		    "cpuid_async_pf_bits_and_kvm_signature");
	/* Garbage: each #GP, nothing enabled. */
	ktap_result(EXPECT_EQ(wrmsr_safe(MSR_KVM_ASYNC_PF_INT, 31), X86_GP) &&
		    EXPECT_EQ(wrmsr_safe(MSR_KVM_ASYNC_PF_INT, 0x1ec), X86_GP) &&
		    EXPECT_EQ(wrmsr_safe(MSR_KVM_ASYNC_PF_EN, area |
				APF_ENABLED | APF_DELIVERY_AS_INT | 0x10),
			      X86_GP) &&
		    EXPECT_EQ(wrmsr_safe(MSR_KVM_ASYNC_PF_EN, area |
				APF_ENABLED), X86_GP) &&
		    EXPECT_EQ(wrmsr_safe(MSR_KVM_ASYNC_PF_EN, (1ULL << 40) |
				APF_ENABLED | APF_DELIVERY_AS_INT), X86_GP) &&
		    EXPECT_EQ(wrmsr_safe(MSR_KVM_ASYNC_PF_EN, 0xfee00000ULL |
				APF_ENABLED | APF_DELIVERY_AS_INT), X86_GP) &&
		    EXPECT_EQ(rdmsr_safe(MSR_KVM_ASYNC_PF_EN, &val), -1) &&
		    EXPECT_EQ(val, 0),
		    "hostile_msr_values_gp_nothing_enabled");
	ktap_result(EXPECT_EQ(kvm_apf_enable(true), -1) &&
		    EXPECT_EQ(rdmsr_safe(MSR_KVM_ASYNC_PF_EN, &val), -1) &&
		    EXPECT_EQ(val, area | APF_ENABLED | APF_SEND_ALWAYS |
			      APF_DELIVERY_AS_INT),
		    "enable_reads_back");
	/* Enabling wakes whatever waited from before (token ~0). */
	sti();
	for (unsigned int i = 0; i < 1000 && !kvm_apf_stats.wake_all; i++)
		cpu_relax();
	cli();
	ktap_result(EXPECT_EQ(kvm_apf_stats.wake_all, 1),
		    "enable_delivers_wake_all");

	fill_and_swap();
	moved = hc_mmu_swap_out(gfn_of(buf), NR_BUF_PAGES);
	bad = touch_all();
	ktap_diag("async: %llu not present, %llu page ready, %llu halts, last tokens %#x/%#x",
		  (unsigned long long)kvm_apf_stats.not_present,
		  (unsigned long long)kvm_apf_stats.page_ready,
		  (unsigned long long)kvm_apf_stats.halts,
		  kvm_apf_stats.last_not_present_token,
		  kvm_apf_stats.last_ready_token);
	ktap_result(EXPECT_EQ(moved, NR_BUF_PAGES) && EXPECT_EQ(bad, 0) &&
		    EXPECT_EQ(kvm_apf_stats.not_present, NR_BUF_PAGES) &&
		    EXPECT_EQ(kvm_apf_stats.page_ready, NR_BUF_PAGES + 1) &&
		    EXPECT_EQ(kvm_apf_stats.last_not_present_token,
			      kvm_apf_stats.last_ready_token) &&
		    EXPECT(kvm_apf_stats.last_not_present_token != 0) &&
		    EXPECT_EQ(sleepers_left(), 0),
		    "swapped_pages_async_not_present_then_page_ready_same_token_contents_kept");

	/* IF=0: no async PF may come; the host sleeps through it. */
	np0 = kvm_apf_stats.not_present;
	fill_and_swap();
	hc_mmu_swap_out(gfn_of(buf), 1);
	val = mmu_stat(HV_MMU_STAT_apf_sync_waits);
	refused = mmu_stat(HV_MMU_STAT_apf_refused);
	bad = READ_ONCE(buf[0][0]) != pattern(0, 0);
	ktap_result(EXPECT_EQ(bad, 0) && EXPECT_EQ(kvm_apf_stats.not_present, np0) &&
		    EXPECT(mmu_stat(HV_MMU_STAT_apf_sync_waits) > val) &&
		    EXPECT_EQ(mmu_stat(HV_MMU_STAT_apf_refused), refused + 1),
		    "interrupts_off_fault_slept_through_by_host");

	/* A host page of the guest's that the guest never touched again. */
	ktap_result(EXPECT_EQ(mmu_stat(HV_MMU_STAT_apf_not_present) + 1,
			      mmu_stat(HV_MMU_STAT_apf_page_ready)) &&
		    EXPECT_EQ(mmu_stat(HV_MMU_STAT_apf_work_alive), 0),
		    "host_stats_not_present_page_ready_match_no_work_left");

	/* Disabled: faults on swap are synchronous again. */
	ktap_result(EXPECT_EQ(kvm_apf_disable(), -1), "disable");
	np0 = kvm_apf_stats.not_present;
	fill_and_swap();
	hc_mmu_swap_out(gfn_of(buf), NR_BUF_PAGES);
	bad = touch_all();
	ktap_result(EXPECT_EQ(bad, 0) && EXPECT_EQ(kvm_apf_stats.not_present, np0) &&
		    EXPECT_EQ(mmu_stat(HV_MMU_STAT_apf_work_alive), 0),
		    "disabled_faults_synchronous_nothing_left");
}

int main(void)
{
	char mode[16];

	if (!guest_option("mode", mode, sizeof(mode)))
		mode[0] = 0;
	if (!strcmp(mode, "race"))
		test_race();
	else if (!strcmp(mode, "off"))
		test_off();
	else
		test_abi();
	return ktap_nr_failed() ? 1 : 0;
}
