// SPDX-License-Identifier: MIT
/*
 * async_pf: the host's async page faults seen from a guest that speaks
 * KVM's ABI (Documentation/virt/kvm/x86/msr.rst) - the CPUID bits, the
 * three MSRs and what they refuse, "page not present" as a #PF whose CR2
 * is a token, "page ready" as an interrupt through the LAPIC with the
 * same token, acknowledged by MSR, and a page that is in swap on the host
 * (HC_MMU_SWAP_OUT) coming back with its contents.
 *
 * The waiting here is the seed 003 halt path only (kvm_async_pf_task_wait_
 * halt: this guest has no tasks to schedule): the #PF handler queues the
 * token, or finds the dummy entry a "page ready" that came first left,
 * and halts until its token is woken. Modes (guest option mode=):
 *   (none)  the ABI, async faults, the IF=0 sync path, disabling;
 *   race    with the host's apf_race=1: every "page ready" comes before
 *           its "not present" - dummies are made and consumed, none left;
 *   off     with apf=0: no CPUID bits, the MSRs #GP, faults on swap are
 *           slept through by the host.
 */
#include "tests/guests/lib/guest.h"

#define MSR_KVM_ASYNC_PF_EN	0x4b564d02
#define MSR_KVM_ASYNC_PF_INT	0x4b564d06
#define MSR_KVM_ASYNC_PF_ACK	0x4b564d07
#define APF_ENABLED		(1ULL << 0)
#define APF_SEND_ALWAYS		(1ULL << 1)
#define APF_DELIVERY_AS_INT	(1ULL << 3)
#define APF_VECTOR		0xec
#define REASON_NOT_PRESENT	1
#define WAKE_ALL		0xffffffffU

/* x2APIC: the xAPIC page is not in the loader's identity map. */
#define MSR_APIC_BASE		0x1b
#define APIC_BASE_X2APIC	(3ULL << 10)	/* EN | EXTD */
#define MSR_X2APIC_EOI		0x80b
#define MSR_X2APIC_SVR		0x80f

#define NR_BUF_PAGES		8

struct kvm_vcpu_pv_apf_data {
	u32 flags;
	u32 token;
	u8 pad[56];
};

static struct kvm_vcpu_pv_apf_data apf_data __attribute__((aligned(64)));
static u64 buf[NR_BUF_PAGES][512] __attribute__((aligned(4096)));

/*
 * The sleepers: one vCPU, and both handlers run with IF=0, so a plain
 * table needs no lock. A "page ready" for a token nobody waits for
 * leaves a dummy, which the later "not present" consumes (seed 003).
 */
#define NR_SLEEPERS	16
static struct sleeper {
	u32 token;
	bool used, dummy, woken;
} sleepers[NR_SLEEPERS];

static unsigned int nr_not_present, nr_ready, nr_wake_all, nr_if_off;
static unsigned int dummies_made, dummies_consumed, nr_halts, nr_lost;
static u32 last_np_token, last_ready_token;

static struct sleeper *find(u32 token)
{
	for (unsigned int i = 0; i < NR_SLEEPERS; i++)
		if (sleepers[i].used && sleepers[i].token == token)
			return &sleepers[i];
	return NULL;
}

static struct sleeper *alloc_sleeper(u32 token)
{
	for (unsigned int i = 0; i < NR_SLEEPERS; i++)
		if (!sleepers[i].used) {
			sleepers[i] = (struct sleeper){ .token = token,
							.used = true };
			return &sleepers[i];
		}
	nr_lost++;
	return NULL;
}

static unsigned int sleepers_left(void)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < NR_SLEEPERS; i++)
		n += sleepers[i].used;
	return n;
}

/* kvm_async_pf_task_wait_halt: queue, or consume the dummy; halt. */
static void wait_halt(u32 token)
{
	struct sleeper *n = find(token);

	if (n && n->dummy) {
		n->used = false;
		dummies_consumed++;
		return;
	}
	n = alloc_sleeper(token);
	if (!n)
		return;
	while (!READ_ONCE(n->woken)) {
		nr_halts++;
		safe_halt();	/* the page-ready interrupt ends it */
		cli();
	}
	n->used = false;
}

static void wake(u32 token)
{
	struct sleeper *n;

	if (token == WAKE_ALL) {
		nr_wake_all++;
		for (unsigned int i = 0; i < NR_SLEEPERS; i++)
			if (sleepers[i].used && !sleepers[i].dummy)
				sleepers[i].woken = true;
		return;
	}
	n = find(token);
	if (n) {
		n->woken = true;
		return;
	}
	/* The wake came before the wait: leave a dummy for it. */
	n = alloc_sleeper(token);
	if (n) {
		n->dummy = true;
		dummies_made++;
	}
}

static bool apf_pf_hook(u64 cr2, u64 rflags)
{
	u32 reason = READ_ONCE(apf_data.flags);

	if (reason != REASON_NOT_PRESENT)
		return false;		/* an ordinary #PF */
	WRITE_ONCE(apf_data.flags, 0);
	if (!(rflags & (1ULL << 9)))
		nr_if_off++;	/* the host broke the rule (Linux panics) */
	nr_not_present++;
	last_np_token = (u32)cr2;
	wait_halt((u32)cr2);
	return true;
}

static void apf_ready_irq(unsigned int vector)
{
	u32 token = READ_ONCE(apf_data.token);

	(void)vector;
	WRITE_ONCE(apf_data.token, 0);
	wrmsr_safe(MSR_KVM_ASYNC_PF_ACK, 1);
	nr_ready++;
	last_ready_token = token;
	wake(token);
	wrmsr_safe(MSR_X2APIC_EOI, 0);
}

static u64 pattern(unsigned int page, unsigned int i)
{
	return 0xa5f0000000000000ULL | (u64)page << 16 | i;
}

static u64 gfn_of(const void *p)
{
	return (u64)(uintptr_t)p >> 12;
}

static u64 stat(unsigned int idx)
{
	static u64 raw[8 + 64];
	struct hv_mmu_stats *s = (void *)raw;

	if (hc_mmu_stats(s, sizeof(raw)) < 0 || idx >= s->nr_counters)
		return ~0ULL;
	return s->counters[idx];
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

static bool enable_apf(void)
{
	return wrmsr_safe(MSR_KVM_ASYNC_PF_INT, APF_VECTOR) < 0 &&
	       wrmsr_safe(MSR_KVM_ASYNC_PF_EN, (u64)(uintptr_t)&apf_data |
			  APF_ENABLED | APF_SEND_ALWAYS |
			  APF_DELIVERY_AS_INT) < 0;
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
		    EXPECT_EQ(nr_not_present, 0) &&
		    EXPECT(stat(HV_MMU_STAT_apf_sync_waits) >= NR_BUF_PAGES),
		    "apf0_swap_faults_slept_through_by_host");
}

static void test_race(void)
{
	unsigned int bad, rounds = 8;

	ktap_plan(2);
	ktap_result(enable_apf(), "race_enable");
	for (unsigned int r = 0; r < rounds; r++) {
		fill_and_swap();
		hc_mmu_swap_out(gfn_of(buf), NR_BUF_PAGES);
		bad = touch_all();
		if (bad)
			break;
	}
	ktap_diag("race: %u not present, %u page ready, %u dummies made, %u consumed, %u halts",
		  nr_not_present, nr_ready, dummies_made, dummies_consumed,
		  nr_halts);
	ktap_result(EXPECT_EQ(bad, 0) && EXPECT(dummies_made > 0) &&
		    EXPECT_EQ(dummies_made, dummies_consumed) &&
		    EXPECT_EQ(sleepers_left(), 0) && EXPECT_EQ(nr_lost, 0) &&
		    EXPECT_EQ(nr_if_off, 0),
		    "wake_before_wait_dummies_made_and_consumed_none_left");
	wrmsr_safe(MSR_KVM_ASYNC_PF_EN, 0);
}

static void test_abi(void)
{
	u64 area = (u64)(uintptr_t)&apf_data, val = 0;
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
	ktap_result(EXPECT(enable_apf()) &&
		    EXPECT_EQ(rdmsr_safe(MSR_KVM_ASYNC_PF_EN, &val), -1) &&
		    EXPECT_EQ(val, area | APF_ENABLED | APF_SEND_ALWAYS |
			      APF_DELIVERY_AS_INT),
		    "enable_reads_back");
	/* Enabling wakes whatever waited from before (token ~0). */
	sti();
	for (unsigned int i = 0; i < 1000 && !nr_wake_all; i++)
		cpu_relax();
	cli();
	ktap_result(EXPECT_EQ(nr_wake_all, 1), "enable_delivers_wake_all");

	fill_and_swap();
	moved = hc_mmu_swap_out(gfn_of(buf), NR_BUF_PAGES);
	bad = touch_all();
	ktap_diag("async: %u not present, %u page ready, %u halts, last tokens %#x/%#x",
		  nr_not_present, nr_ready, nr_halts, last_np_token,
		  last_ready_token);
	ktap_result(EXPECT_EQ(moved, NR_BUF_PAGES) && EXPECT_EQ(bad, 0) &&
		    EXPECT_EQ(nr_not_present, NR_BUF_PAGES) &&
		    EXPECT_EQ(nr_ready, NR_BUF_PAGES + 1) &&
		    EXPECT_EQ(last_np_token, last_ready_token) &&
		    EXPECT(last_np_token != 0) && EXPECT_EQ(nr_if_off, 0) &&
		    EXPECT_EQ(sleepers_left(), 0),
		    "swapped_pages_async_not_present_then_page_ready_same_token_contents_kept");

	/* IF=0: no async PF may come; the host sleeps through it. */
	np0 = nr_not_present;
	fill_and_swap();
	hc_mmu_swap_out(gfn_of(buf), 1);
	val = stat(HV_MMU_STAT_apf_sync_waits);
	bad = READ_ONCE(buf[0][0]) != pattern(0, 0);
	ktap_result(EXPECT_EQ(bad, 0) && EXPECT_EQ(nr_not_present, np0) &&
		    EXPECT(stat(HV_MMU_STAT_apf_sync_waits) > val),
		    "interrupts_off_fault_slept_through_by_host");

	/* A host page of the guest's that the guest never touched again. */
	ktap_result(EXPECT_EQ(stat(HV_MMU_STAT_apf_not_present) + 1,
			      stat(HV_MMU_STAT_apf_page_ready)) &&
		    EXPECT_EQ(stat(HV_MMU_STAT_apf_work_alive), 0),
		    "host_stats_not_present_page_ready_match_no_work_left");

	/* Disabled: faults on swap are synchronous again. */
	ktap_result(EXPECT_EQ(wrmsr_safe(MSR_KVM_ASYNC_PF_EN, 0), -1),
		    "disable");
	np0 = nr_not_present;
	fill_and_swap();
	hc_mmu_swap_out(gfn_of(buf), NR_BUF_PAGES);
	bad = touch_all();
	ktap_result(EXPECT_EQ(bad, 0) && EXPECT_EQ(nr_not_present, np0) &&
		    EXPECT_EQ(stat(HV_MMU_STAT_apf_work_alive), 0),
		    "disabled_faults_synchronous_nothing_left");
}

int main(void)
{
	char mode[16];
	u64 base = 0;

	pf_set_handler(apf_pf_hook);
	irq_set_handler(APF_VECTOR, apf_ready_irq);
	rdmsr_safe(MSR_APIC_BASE, &base);
	wrmsr_safe(MSR_APIC_BASE, base | APIC_BASE_X2APIC);
	wrmsr_safe(MSR_X2APIC_SVR, 0x1ff);
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
