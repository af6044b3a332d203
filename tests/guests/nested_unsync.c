// SPDX-License-Identifier: MIT
/*
 * nested_unsync: the seed 004 race from inside a guest. Four L1 vCPUs
 * share one EPT12 (tests/guests/lib/l1_hv.h) and each owns a 64-page
 * window of L2's address space in its own 2 MiB region, so each writes a
 * leaf table of its own, all under one PD. Every round:
 *   1. all four rotate their window's 64 entries (L2 page i -> L1 page
 *      (i + round) % 64 of the window) at the same time. The first write
 *      after a sync faults into the host's TDP MMU, which marks that
 *      table's shadow page unsync with mmu_lock held for read, counting it
 *      in the common parent (the seed's race);
 *   2. each runs INVEPT, then its L2 reads all 4 x 64 pages and counts
 *      those whose marker is not the one L1 mapped there this round.
 * The host's debug build recounts unsync_children after every sync and
 * WARNs on a difference (a WARN fails the run). At the end: no L2 ever
 * saw a wrong page, the host counted one unsync mark per table per round,
 * and no MMU bug.
 * Run with vcpus=4 mem=16M nested=1 test_hooks=1 [-- rounds=N].
 */
#include "tests/guests/lib/l1_hv.h"
#include "tests/guests/mmu_common.h"

#define NR_VCPUS	4
#define WINDOW_PAGES	64
#define WINDOW_BASE	(8ULL << 20)	/* window k: 8M + 2M * k */
#define EXIT_VMCALL	18
#define WAIT_TICKS	40000000000ULL

static u64 vmxon_region[NR_VCPUS][512] __attribute__((aligned(4096)));
static u64 vmcs[NR_VCPUS][512] __attribute__((aligned(4096)));
static u8 l2_stack[NR_VCPUS][8192] __attribute__((aligned(4096)));
static struct l2_vm vm[NR_VCPUS];
static struct ept12 ept;
static unsigned int rounds;

static u32 ready, barrier_count, barrier_gen, timed_out;
static u64 wrong[NR_VCPUS], runs_ok[NR_VCPUS];

static u64 window_page(unsigned int k, unsigned int i)
{
	return WINDOW_BASE + ((u64)k << 21) + ((u64)i << 12);
}

static u64 marker(unsigned int k, unsigned int i)
{
	return 0x5eed0040000000ULL | ((u64)k << 16) | i;
}

/* All four vCPUs meet here (a generation barrier with a time limit). */
static void barrier(void)
{
	u32 gen = __atomic_load_n(&barrier_gen, __ATOMIC_ACQUIRE);
	u64 t0 = rdtsc();

	if (__atomic_add_fetch(&barrier_count, 1, __ATOMIC_ACQ_REL) == NR_VCPUS) {
		__atomic_store_n(&barrier_count, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&barrier_gen, gen + 1, __ATOMIC_RELEASE);
		return;
	}
	while (__atomic_load_n(&barrier_gen, __ATOMIC_ACQUIRE) == gen) {
		if (rdtsc() - t0 > WAIT_TICKS) {
			__atomic_store_n(&timed_out, 1, __ATOMIC_RELAXED);
			return;
		}
		cpu_relax();
	}
}

/* L2: read every window page; RBX = how many hold the wrong marker. */
static void __attribute__((noreturn, noinline)) l2_verify(u64 round)
{
	u64 bad = 0;

	for (unsigned int k = 0; k < NR_VCPUS; k++)
		for (unsigned int i = 0; i < WINDOW_PAGES; i++) {
			u64 v = *(volatile u64 *)(uintptr_t)window_page(k, i);

			bad += v != marker(k, (i + round) % WINDOW_PAGES);
		}
	asm volatile("vmcall" :: "b"(bad) : "memory");
	for (;;)
		;
}

static void run(unsigned int k)
{
	bool ok = l1_vmxon(vmxon_region[k]);

	vm[k].vmcs = vmcs[k];
	ok = ok && l2_vm_init(&vm[k], ept.eptp, l2_stack[k] + sizeof(l2_stack[k]));
	if (!ok)
		ktap_diag("vcpu%u: no VMX operation", k);
	/*
	 * Round 0 is the identity EPT12 as built: L2's first look shadows
	 * every table, so that each later first write faults and marks.
	 */
	for (unsigned int r = 0; r <= rounds; r++) {
		if (!r)
			goto check;
		barrier();
		/* Step 1: all at once, each its own leaf table. */
		for (unsigned int i = 0; i < WINDOW_PAGES; i++)
			WRITE_ONCE(*ept12_pte(&ept, window_page(k, i)),
				   ept12_leaf(window_page(k, (i + r) % WINDOW_PAGES),
					      EPT12_RWX));
		barrier();
check:
		/* Step 2: flush, and L2 checks everyone's mappings. */
		if (ok && vmx_l1_invept(1, ept.eptp) == VMX_L1_SUCCEED &&
		    l2_vm_run(&vm[k], (void (*)(void))l2_verify, r, 0) ==
		    VMX_L1_EXITED && vm[k].exit_reason == EXIT_VMCALL) {
			wrong[k] += vm[k].regs.rbx;
			runs_ok[k]++;
		}
	}
	barrier();
	if (ok)
		vmx_l1_vmxoff();
	__atomic_fetch_add(&ready, 1, __ATOMIC_RELEASE);
}

void secondary_main(unsigned int vcpu)
{
	while (!__atomic_load_n(&ept.eptp, __ATOMIC_ACQUIRE))
		cpu_relax();
	if (vcpu < NR_VCPUS)
		run(vcpu);
}

int main(void)
{
	char buf[16];
	u64 marks0, t0;
	bool ok;

	rounds = (unsigned int)mmu_parse_u64(guest_option("rounds", buf,
							   sizeof(buf)), 50);
	ktap_plan(NR_VCPUS + 2);
	ok = EXPECT_EQ(boot_info->nr_vcpus, NR_VCPUS) &&
	     EXPECT(boot_info->mem_size >= WINDOW_BASE + (NR_VCPUS << 21));
	for (unsigned int k = 0; k < NR_VCPUS; k++)
		for (unsigned int i = 0; i < WINDOW_PAGES; i++)
			*(u64 *)(uintptr_t)window_page(k, i) = marker(k, i);
	{
		struct ept12 e;

		ok = ok && EXPECT(ept12_build_identity(&e, boot_info->mem_size));
		ept.pml4 = e.pml4;
		marks0 = mmu_stat(HV_MMU_STAT_shadow_unsync_marked);
		__atomic_store_n(&ept.eptp, ok ? e.eptp : 0, __ATOMIC_RELEASE);
	}
	if (!ok)
		return 0;
	run(0);
	t0 = rdtsc();
	while (__atomic_load_n(&ready, __ATOMIC_ACQUIRE) < NR_VCPUS &&
	       rdtsc() - t0 < WAIT_TICKS)
		cpu_relax();
	for (unsigned int k = 0; k < NR_VCPUS; k++)
		ktap_result(EXPECT_EQ(runs_ok[k], rounds + 1) && EXPECT_EQ(wrong[k], 0),
			    "vcpu%u_l2_saw_every_mapping (%u rounds, %llu wrong pages)",
			    k, rounds, (unsigned long long)wrong[k]);
	ktap_result(EXPECT(!timed_out) &&
		    EXPECT_EQ(mmu_stat(HV_MMU_STAT_shadow_unsync_marked) - marks0,
			      (u64)NR_VCPUS * rounds),
		    "one_unsync_mark_per_table_per_round (%llu)",
		    (unsigned long long)(mmu_stat(HV_MMU_STAT_shadow_unsync_marked) - marks0));
	ktap_result(EXPECT_EQ(mmu_stat(HV_MMU_STAT_mmu_bugs), 0) &&
		    EXPECT_EQ(mmu_stat(HV_MMU_STAT_shadow_pages_alive), 0),
		    "no_mmu_bug_and_every_shadow_page_back_after_vmxoff");
	return 0;
}
