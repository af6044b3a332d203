// SPDX-License-Identifier: MIT
/*
 * nested_ept: an L1 that is a small hypervisor (tests/guests/lib/l1_hv.h)
 * checks the host side of shadow EPT that nested_vmx_l2 (the exits L1
 * sees) does not:
 *  - L1 remaps an L2 page back and forth with INVEPT: L2 reads the new
 *    page each time, L1's own view unchanged;
 *  - L1 rewrites a non-leaf EPT12 entry (a write-tracked table: the host
 *    unprotects it) and a leaf entry (unsync) in a tight loop: L2 still
 *    sees the right page afterwards;
 *  - the host's shadow-EPT statistics moved (faults, unsync marks,
 *    syncs, unprotects) with no MMU bug, and VMXOFF gives every shadow
 *    page back;
 *  - with -- bench=N it measures instead (tests/guests/bench_nested.sh).
 * Run with nested=1 test_hooks=1 (the statistics hypercall).
 */
#include "tests/guests/lib/l1_hv.h"
#include "tests/guests/mmu_common.h"

#define EXIT_VMCALL		18

static u64 vmxon_region[512] __attribute__((aligned(4096)));
static u64 vmcs_a[512] __attribute__((aligned(4096)));
static u8 l2_stack[8192] __attribute__((aligned(4096)));
/* Data pages: L2 looks at page[0]; L1 maps it to page[0..3]. */
static u64 page[4][512] __attribute__((aligned(4096)));

static struct ept12 ept_a;
static struct l2_vm vm_a = { .vmcs = vmcs_a };

static u64 gpa(const void *p)
{
	return (u64)(uintptr_t)p;
}

/* L2 reads @addr; true if it exited by VMCALL with the value in *val. */
static bool l2_read(struct l2_vm *vm, const void *addr, u64 *val)
{
	if (l2_vm_run(vm, l2_stub_read64, gpa(addr), 0) != VMX_L1_EXITED)
		return false;
	*val = vm->regs.rbx;
	return vm->exit_reason == EXIT_VMCALL;
}

static void remap(struct ept12 *e, const void *l2_page, const void *l1_page,
		  u64 perm)
{
	*ept12_pte(e, gpa(l2_page)) = ept12_leaf(gpa(l1_page), perm);
}

static bool invept_single(struct ept12 *e)
{
	return vmx_l1_invept(1, e->eptp) == VMX_L1_SUCCEED;
}

static void test_remap(void)
{
	u64 v = 0;
	bool ok;

	ok = EXPECT(l2_read(&vm_a, page[0], &v)) && EXPECT_EQ(v, 0xa0);
	ktap_result(ok, "l2_sees_l1_memory (exit %llu)",
		    (unsigned long long)vm_a.exit_reason);

	remap(&ept_a, page[0], page[1], EPT12_RWX);
	ok = EXPECT(invept_single(&ept_a)) &&
	     EXPECT(l2_read(&vm_a, page[0], &v)) && EXPECT_EQ(v, 0xa1);
	remap(&ept_a, page[0], page[2], EPT12_RWX);
	ok &= EXPECT(invept_single(&ept_a)) &&
	      EXPECT(l2_read(&vm_a, page[0], &v)) && EXPECT_EQ(v, 0xa2);
	/* And L1's own view of its memory never changed. */
	ok &= EXPECT_EQ(page[0][0], 0xa0);
	ktap_result(ok, "remap_then_invept: L2 sees the new page, never the old");
}

/*
 * Tight rewrites: the PD entry (a tracked table: each write unprotects
 * it) and a leaf entry (unsync), 200 times each, then L2 checks.
 */
static void test_tight_rewrite(void)
{
	u64 *pde = ept12_pde(&ept_a, gpa(page[0]));
	u64 *pte = ept12_pte(&ept_a, gpa(page[0]));
	u64 pde_val = *pde, v = 0, unprot0 = mmu_stat(HV_MMU_STAT_shadow_unprotects);
	bool ok;

	for (int i = 0; i < 200; i++) {
		WRITE_ONCE(*pde, 0);
		WRITE_ONCE(*pde, pde_val);
		WRITE_ONCE(*pte, ept12_leaf(gpa(page[i & 3]), EPT12_RWX));
	}
	WRITE_ONCE(*pte, ept12_leaf(gpa(page[1]), EPT12_RWX));
	ok = EXPECT(invept_single(&ept_a)) &&
	     EXPECT(l2_read(&vm_a, page[0], &v)) && EXPECT_EQ(v, 0xa1) &&
	     EXPECT(mmu_stat(HV_MMU_STAT_shadow_unprotects) > unprot0);
	ktap_result(ok, "l1_rewrites_its_tables_in_a_loop: L2 still right (%llu unprotects)",
		    (unsigned long long)(mmu_stat(HV_MMU_STAT_shadow_unprotects) - unprot0));
	remap(&ept_a, page[0], page[0], EPT12_RWX);
	invept_single(&ept_a);
}

/* ---- benchmark (-- bench=ITERS): tests/guests/bench_nested.sh -------- */

/* L2: VMCALL in a loop; each VMRESUME continues after the last one. */
void l2_stub_vmcall_loop(void);
__asm__(".text\n.globl l2_stub_vmcall_loop\n"
	"l2_stub_vmcall_loop:\n1: vmcall\n jmp 1b\n");

/*
 * L2: touch one u64 in each of @n pages from @base twice; RBX = ticks of
 * the first pass (every page a shadow-EPT fault), RCX = of the second.
 */
static void __attribute__((noreturn, noinline)) l2_touch_pages(u64 base, u64 n)
{
	u64 t0, t1, t2;

	t0 = rdtsc_ordered();
	for (u64 i = 0; i < n; i++)
		(void)*(volatile u64 *)(uintptr_t)(base + i * 4096);
	t1 = rdtsc_ordered();
	for (u64 i = 0; i < n; i++)
		(void)*(volatile u64 *)(uintptr_t)(base + i * 4096);
	t2 = rdtsc_ordered();
	asm volatile("vmcall" :: "b"(t1 - t0), "c"(t2 - t1) : "memory");
	for (;;)
		;
}

static void bench(unsigned int iters)
{
	u64 mem = boot_info->mem_size, base = mem / 2, n = (mem - base) / 4096;
	u64 *pte = ept12_pte(&ept_a, gpa(page[1]));
	u64 t0, sum = 0, v = 0;
	unsigned int i;

	/* L1 VMWRITE alone: every one exits to the host (no VMCS shadowing). */
	t0 = rdtsc_ordered();
	for (i = 0; i < iters; i++)
		vmx_l1_vmwrite(VMCS_GUEST_RFLAGS, 2);
	ktap_diag("bench: l1_vmwrite %llu ticks",
		  (unsigned long long)((rdtsc_ordered() - t0) / iters));

	/* L2 VMCALL -> L1 -> VMRESUME (l2_enter writes HOST_RSP/RIP too). */
	l2_vm_run(&vm_a, l2_stub_vmcall_loop, 0, 0);
	t0 = rdtsc_ordered();
	for (i = 0; i < iters; i++)
		l2_enter(&vm_a.regs, 1);
	ktap_diag("bench: l2_vmcall_round_trip %llu ticks (2 VMWRITEs included)",
		  (unsigned long long)((rdtsc_ordered() - t0) / iters));

	/* L2's first touch of L1 pages: one shadow-EPT fault each. */
	for (i = 0; i < n; i++)
		*(volatile u64 *)(uintptr_t)(base + i * 4096ULL) = i;
	l2_vm_run(&vm_a, (void (*)(void))l2_touch_pages, base, n);
	ktap_diag("bench: l2_ept_fault %llu ticks (%llu pages; touch of a mapped page %llu)",
		  (unsigned long long)((vm_a.regs.rbx - vm_a.regs.rcx) / n),
		  (unsigned long long)n,
		  (unsigned long long)(vm_a.regs.rcx / n));

	/* L1's first write to a synced leaf table: fault + unsync mark. */
	l2_read(&vm_a, page[1], &v);		/* its table is shadowed */
	for (i = 0; i < iters; i++) {
		invept_single(&ept_a);		/* synced: read-only again */
		t0 = rdtsc_ordered();
		WRITE_ONCE(*pte, ept12_leaf(gpa(page[1 + (i & 1)]), EPT12_RWX));
		sum += rdtsc_ordered() - t0;
	}
	t0 = rdtsc_ordered();
	for (i = 0; i < iters; i++)
		WRITE_ONCE(*pte, ept12_leaf(gpa(page[1 + (i & 1)]), EPT12_RWX));
	ktap_diag("bench: l1_write_synced_ept12 %llu ticks (to an unsync table: %llu)",
		  (unsigned long long)(sum / iters),
		  (unsigned long long)((rdtsc_ordered() - t0) / iters));
	ktap_result(true, "bench_done");
}

int main(void)
{
	u64 mem = boot_info->mem_size;
	unsigned int iters = 0;
	char buf[16];
	bool ok;

	if (guest_option("bench", buf, sizeof(buf)))
		iters = (unsigned int)mmu_parse_u64(buf, 1000);
	ktap_plan(iters ? 2 : 6);
	for (int i = 0; i < 4; i++)
		page[i][0] = 0xa0 + i;
	ok = EXPECT(vmx_l1_cpuid_vmx()) && EXPECT(l1_vmxon(vmxon_region)) &&
	     EXPECT(ept12_build_identity(&ept_a, mem)) &&
	     EXPECT(l2_vm_init(&vm_a, ept_a.eptp, l2_stack + sizeof(l2_stack)));
	ktap_result(ok, "l1_vmxon_and_vmcs12 (EPTP12 %#llx)",
		    (unsigned long long)ept_a.eptp);
	if (!ok)
		return 0;
	if (iters) {
		bench(iters);
		return 0;
	}
	test_remap();
	test_tight_rewrite();
	ok = EXPECT(mmu_stat(HV_MMU_STAT_shadow_faults) > 0) &&
	     EXPECT(mmu_stat(HV_MMU_STAT_shadow_unsync_marked) > 0) &&
	     EXPECT(mmu_stat(HV_MMU_STAT_shadow_synced) > 0) &&
	     EXPECT_EQ(mmu_stat(HV_MMU_STAT_mmu_bugs), 0);
	ktap_result(ok, "host_shadow_stats (%llu faults, %llu reflected, %llu unsync, %llu synced)",
		    (unsigned long long)mmu_stat(HV_MMU_STAT_shadow_faults),
		    (unsigned long long)mmu_stat(HV_MMU_STAT_shadow_faults_reflected),
		    (unsigned long long)mmu_stat(HV_MMU_STAT_shadow_unsync_marked),
		    (unsigned long long)mmu_stat(HV_MMU_STAT_shadow_synced));
	ok = EXPECT_EQ(vmx_l1_vmxoff(), VMX_L1_SUCCEED) &&
	     EXPECT_EQ(mmu_stat(HV_MMU_STAT_shadow_pages_alive), 0);
	ktap_result(ok, "vmxoff_gives_every_shadow_page_back");
	return 0;
}
