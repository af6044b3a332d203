// SPDX-License-Identifier: MIT
/*
 * nested_vmx_l2: an L1 that is a small hypervisor (nested=1). It turns
 * VMX on, builds an EPT12 that maps its own memory 1:1 in 4-KiB pages,
 * and runs L2s - tiny routines of this image, on L1's page tables, that
 * touch one page and VMCALL - checking what a CPU would show it:
 *  - VMCALL, CPUID and HLT in L2 exit to L1 with their reasons;
 *  - L2 sees L1's memory through EPT12;
 *  - L1 remaps an L2 page to another L1 page, INVEPT, and L2 reads the
 *    new data, never the old;
 *  - L1 unmaps it: L2's read exits to L1 (EPT violation 48) with the
 *    access and permission bits and the guest-physical and linear
 *    addresses; L1 takes away write or execute: L2's write or fetch
 *    exits with them; a write-only entry is a misconfiguration (49);
 *  - an EPT12 whose root is outside L1's memory: misconfiguration;
 *  - two L2s (two VMCS12s, two EPT12s) alternate, each seeing its own;
 *  - vCPU 1 runs its own L2s at the same time (with vcpus=2).
 */
#include "tests/guests/lib/guest.h"
#include "tests/guests/lib/vmx_l1.h"

#define PAGE		4096
#define MEM		(4u << 20)
#define NR_PT		(MEM / (512 * PAGE))
#define EPT_RWX		7ULL
#define EPT_R		1ULL
#define EPT_W		2ULL
#define EPT_X		4ULL
#define EPT_WB		(6ULL << 3)
#define EXIT_CPUID	10
#define EXIT_HLT	12
#define EXIT_VMCALL	18
#define EXIT_EPT_VIOL	48
#define EXIT_EPT_MISC	49

/* One EPT12 (4-level, 4-KiB leaves) over the first MEM bytes. */
struct ept12 {
	u64 pml4[512], pdpt[512], pd[512];
	u64 pt[NR_PT][512];
} __attribute__((aligned(PAGE)));

struct l1_cpu {
	u8 vmxon[PAGE] __attribute__((aligned(PAGE)));
	u8 vmcs[2][PAGE] __attribute__((aligned(PAGE)));
	u8 l2_stack[2][PAGE] __attribute__((aligned(PAGE)));
	struct ept12 ept[2];
};
static struct l1_cpu cpus[2];

/* Pages L2 touches: X is the L2-physical page L1 remaps to A, B, C. */
static u8 page_x[PAGE] __attribute__((aligned(PAGE)));
static u8 page_a[PAGE] __attribute__((aligned(PAGE)));
static u8 page_b[PAGE] __attribute__((aligned(PAGE)));
static u8 page_c[PAGE] __attribute__((aligned(PAGE)));

/*
 * L2 code. It uses only RAX, RCX, RDX (vmx_l1_run_l2() lets it; CPUID's
 * RBX is vmx_l1_run_l2()'s too) and reports through a mailbox:
 * l2_arg[cpu] is its input, l2_out[cpu] what it read, cpu being the word
 * L1 leaves at the top of L2's stack. Each routine ends in VMCALL and
 * loops, so L1 may resume it.
 */
volatile u64 l2_arg[2], l2_out[2];
extern const char l2_read[], l2_write[], l2_fetch[], l2_cpuid[], l2_hlt[],
		  l2_exec_page[];
asm(".text\n"
    ".globl l2_read, l2_write, l2_fetch, l2_cpuid, l2_hlt\n"
    "l2_read:\n"
    "	mov (%rsp), %rdx\n"
    "	mov l2_arg(,%rdx,8), %rcx\n"
    "	mov (%rcx), %rax\n"
    "	mov %rax, l2_out(,%rdx,8)\n"
    "	vmcall\n"
    "	jmp l2_read\n"
    "l2_write:\n"
    "	mov (%rsp), %rdx\n"
    "	mov l2_arg(,%rdx,8), %rcx\n"
    "	movq $0x5757, (%rcx)\n"
    "	vmcall\n"
    "	jmp l2_write\n"
    "l2_fetch:\n"
    "	mov (%rsp), %rdx\n"
    "	mov l2_arg(,%rdx,8), %rcx\n"
    "	call *%rcx\n"
    "	vmcall\n"
    "	jmp l2_fetch\n"
    "l2_cpuid:\n"
    "	xor %eax, %eax\n"
    "	xor %ecx, %ecx\n"
    "	cpuid\n"
    "	vmcall\n"
    "	jmp l2_cpuid\n"
    "l2_hlt:\n"
    "	hlt\n"
    "	vmcall\n"
    "	jmp l2_hlt\n"
    /* A page of its own, so that L1 can take execute away from it. */
    ".balign 4096\n"
    ".globl l2_exec_page\n"
    "l2_exec_page:\n"
    "	ret\n"
    ".balign 4096\n");

static u64 pa(const volatile void *p)
{
	return (u64)(uintptr_t)p;
}

static void ept12_build(struct ept12 *e)
{
	memset(e, 0, sizeof(*e));
	e->pml4[0] = pa(e->pdpt) | EPT_RWX;
	e->pdpt[0] = pa(e->pd) | EPT_RWX;
	for (unsigned int i = 0; i < NR_PT; i++) {
		e->pd[i] = pa(e->pt[i]) | EPT_RWX;
		for (unsigned int j = 0; j < 512; j++)
			e->pt[i][j] = ((u64)(i * 512 + j) * PAGE) | EPT_RWX | EPT_WB;
	}
}

static u64 *ept12_pte(struct ept12 *e, u64 gpa)
{
	return &e->pt[gpa >> 21][(gpa >> 12) & 511];
}

static u64 eptp_of(struct ept12 *e)
{
	return pa(e->pml4) | 6 | (3 << 3);
}

/* Run the current VMCS12's L2 at @rip until its next exit. */
static bool run(unsigned int cpu, bool resume, struct vmx_l1_exit *ex)
{
	int r;

	r = vmx_l1_run_l2(resume);
	if (r != VMX_L1_EXITED) {
		ktap_diag("vcpu%u: VM entry to L2 failed: %#x, error %u", cpu,
			  r, vmx_l1_insn_error());
		return false;
	}
	vmx_l1_exit_info(ex);
	return true;
}

static bool vmcs_setup(struct l1_cpu *c, unsigned int n, unsigned int cpu,
		       u64 eptp, const void *rip)
{
	if (vmx_l1_vmclear(pa(c->vmcs[n])) || vmx_l1_vmptrld(pa(c->vmcs[n])))
		return false;
	*(volatile u64 *)(c->l2_stack[n] + PAGE - 64) = cpu;
	vmx_l1_vmcs12_setup(eptp, pa(rip),
			    pa(c->l2_stack[n] + PAGE - 64));
	/* Distinct VPIDs per L2 (INVVPID may name them). */
	vmx_l1_vmwrite(VMCS_VPID, 1 + cpu * 2 + n);
	return true;
}

/* Point the VMCS12's L2 at @rip again, from a clean stack. */
static void restart(struct l1_cpu *c, unsigned int n, const void *rip)
{
	vmx_l1_vmwrite(VMCS_GUEST_RIP, pa(rip));
	vmx_l1_vmwrite(VMCS_GUEST_RSP, pa(c->l2_stack[n] + PAGE - 64));
}

static bool exit_is(const struct vmx_l1_exit *e, u64 reason)
{
	if (e->reason != reason)
		ktap_diag("exit reason %llu (qual %#llx, gpa %#llx, rip %#llx), wanted %llu",
			  (unsigned long long)e->reason, (unsigned long long)e->qual,
			  (unsigned long long)e->gpa, (unsigned long long)e->rip,
			  (unsigned long long)reason);
	return e->reason == reason;
}

static void invept_single(struct ept12 *e)
{
	vmx_l1_invept(1, eptp_of(e));
}

static void test_basic_exits(struct l1_cpu *c)
{
	struct vmx_l1_exit e;
	bool ok;

	ok = vmcs_setup(c, 0, 0, eptp_of(&c->ept[0]), l2_read);
	l2_arg[0] = pa(page_x);
	*(volatile u64 *)page_x = 0x1111;
	ok = ok && run(0, false, &e);
	ktap_result(ok && exit_is(&e, EXIT_VMCALL) && EXPECT_EQ(e.len, 3) &&
		    EXPECT(e.rip > pa(l2_read) && e.rip < pa(l2_read) + 32),
		    "l2_vmcall_exits_to_l1");
	ktap_result(ok && EXPECT_EQ(l2_out[0], 0x1111), "l2_sees_l1_memory_through_ept12");
	restart(c, 0, l2_cpuid);
	ok = ok && run(0, true, &e);
	ktap_result(ok && exit_is(&e, EXIT_CPUID) && EXPECT_EQ(e.len, 2) &&
		    EXPECT_EQ(e.rip, pa(l2_cpuid) + 4),
		    "l2_cpuid_exits_to_l1");
	restart(c, 0, l2_hlt);
	ok = ok && run(0, true, &e);
	ktap_result(ok && exit_is(&e, EXIT_HLT) && EXPECT_EQ(e.rip, pa(l2_hlt)),
		    "l2_hlt_exits_to_l1");
	vmx_l1_skip_l2_insn();
	ok = ok && run(0, true, &e);
	ktap_result(ok && exit_is(&e, EXIT_VMCALL) &&
		    EXPECT_EQ(e.rip, pa(l2_hlt) + 1), "l1_resumes_l2_after_its_exit");
}

/* L2 reads page X (L2-physical) again: what does it see now? */
static bool read_x(struct l1_cpu *c, struct vmx_l1_exit *e)
{
	restart(c, 0, l2_read);
	l2_arg[0] = pa(page_x);
	l2_out[0] = 0;
	return run(0, true, e);
}

static void test_remap_unmap(struct l1_cpu *c)
{
	struct ept12 *ept = &c->ept[0];
	u64 *pte = ept12_pte(ept, pa(page_x));
	struct vmx_l1_exit e;
	bool ok;

	*(volatile u64 *)page_a = 0xaaaa;
	*(volatile u64 *)page_b = 0xbbbb;
	*pte = pa(page_a) | EPT_RWX | EPT_WB;
	invept_single(ept);
	ok = read_x(c, &e);
	ktap_result(ok && exit_is(&e, EXIT_VMCALL) && EXPECT_EQ(l2_out[0], 0xaaaa),
		    "l1_remaps_l2_page_invept_l2_sees_new_page");
	*pte = pa(page_b) | EPT_RWX | EPT_WB;
	invept_single(ept);
	ok = read_x(c, &e);
	ktap_result(ok && exit_is(&e, EXIT_VMCALL) && EXPECT_EQ(l2_out[0], 0xbbbb),
		    "l1_remaps_again_l2_never_sees_the_old");
	*pte = 0;
	invept_single(ept);
	ok = read_x(c, &e);
	/* Read access (bit 0), nothing allowed (3-5), linear valid (7, 8). */
	ktap_result(ok && exit_is(&e, EXIT_EPT_VIOL) &&
		    EXPECT_EQ(e.qual & 0x3f, 0x1) && EXPECT(e.qual & (1 << 7)) &&
		    EXPECT(e.qual & (1 << 8)) && EXPECT_EQ(e.gpa, pa(page_x)) &&
		    EXPECT_EQ(e.gla, pa(page_x)),
		    "l1_unmaps_l2_read_exits_ept_violation_with_qual_and_gpa");
	/* Read-execute, no write: L2's write exits. */
	*pte = pa(page_b) | EPT_R | EPT_X | EPT_WB;
	invept_single(ept);
	restart(c, 0, l2_write);
	l2_arg[0] = pa(page_x);
	ok = run(0, true, &e);
	ktap_result(ok && exit_is(&e, EXIT_EPT_VIOL) &&
		    EXPECT_EQ(e.qual & 0x3f, 0x2 | 0x8 | 0x20) &&
		    EXPECT_EQ(e.gpa, pa(page_x)) &&
		    EXPECT_EQ(*(volatile u64 *)page_b, 0xbbbb),
		    "l1_takes_write_away_l2_write_exits");
	/*
	 * Give it back: L1 fixes the entry and L2 writes again (from the
	 * routine's start: this L1 keeps none of L2's registers across
	 * its own code, and L2 gets L1's at VMRESUME).
	 */
	*pte = pa(page_b) | EPT_RWX | EPT_WB;
	invept_single(ept);
	restart(c, 0, l2_write);
	ok = run(0, true, &e);
	ktap_result(ok && exit_is(&e, EXIT_VMCALL) &&
		    EXPECT_EQ(*(volatile u64 *)page_b, 0x5757),
		    "l1_gives_write_back_l2_write_lands");
	*pte = pa(page_x) | EPT_RWX | EPT_WB;
	/* Execute away from L2's code page: its fetch exits. */
	pte = ept12_pte(ept, pa(l2_exec_page));
	*pte = pa(l2_exec_page) | EPT_R | EPT_W | EPT_WB;
	invept_single(ept);
	restart(c, 0, l2_fetch);
	l2_arg[0] = pa(l2_exec_page);
	ok = run(0, true, &e);
	ktap_result(ok && exit_is(&e, EXIT_EPT_VIOL) &&
		    EXPECT_EQ(e.qual & 0x3f, 0x4 | 0x8 | 0x10) &&
		    EXPECT_EQ(e.gpa, pa(l2_exec_page)),
		    "l1_takes_execute_away_l2_fetch_exits");
	/* Write without read: a misconfiguration. */
	*pte = pa(l2_exec_page) | EPT_W | EPT_WB;
	invept_single(ept);
	ok = run(0, true, &e);
	ktap_result(ok && exit_is(&e, EXIT_EPT_MISC) &&
		    EXPECT_EQ(e.gpa, pa(l2_exec_page)),
		    "l1_write_only_entry_l2_access_misconfig");
	*pte = pa(l2_exec_page) | EPT_RWX | EPT_WB;
	invept_single(ept);
	ok = run(0, true, &e);
	ktap_result(ok && exit_is(&e, EXIT_VMCALL), "l2_runs_on_after_l1_repairs");
}

static void test_two_l2s(struct l1_cpu *c, unsigned int cpu)
{
	struct vmx_l1_exit e;
	bool ok = true;
	int rounds = 0;

	ept12_build(&c->ept[1]);
	*ept12_pte(&c->ept[1], pa(page_x)) = pa(page_c) | EPT_RWX | EPT_WB;
	*(volatile u64 *)page_c = 0xcccc;
	*ept12_pte(&c->ept[0], pa(page_x)) = pa(page_a) | EPT_RWX | EPT_WB;
	invept_single(&c->ept[0]);
	ok &= vmcs_setup(c, 0, cpu, eptp_of(&c->ept[0]), l2_read);
	ok &= vmcs_setup(c, 1, cpu, eptp_of(&c->ept[1]), l2_read);
	for (int i = 0; ok && i < 6; i++) {
		unsigned int n = i & 1;

		ok &= !vmx_l1_vmptrld(pa(c->vmcs[n]));
		l2_arg[cpu] = pa(page_x);
		l2_out[cpu] = 0;
		ok = ok && run(cpu, i >= 2, &e) && exit_is(&e, EXIT_VMCALL) &&
		     EXPECT_EQ(l2_out[cpu], n ? 0xcccc : 0xaaaa);
		if (ok)
			vmx_l1_skip_l2_insn();
		rounds++;
	}
	ktap_result(ok && rounds == 6, "vcpu%u_two_l2s_each_see_their_own_ept12", cpu);
}

static void test_ept12_outside_memory(struct l1_cpu *c)
{
	struct vmx_l1_exit e;
	bool ok = vmcs_setup(c, 1, 0, 0x40000000 | 6 | (3 << 3), l2_read);

	ok = ok && run(0, false, &e);
	ktap_result(ok && exit_is(&e, EXIT_EPT_MISC),
		    "ept12_root_outside_l1_memory_misconfig");
}

static bool vmx_on(struct l1_cpu *c)
{
	u64 rev = 0;

	rdmsr_safe(MSR_VMX_BASIC, &rev);
	memcpy(c->vmxon, &rev, 4);
	memcpy(c->vmcs[0], &rev, 4);
	memcpy(c->vmcs[1], &rev, 4);
	vmx_l1_write_cr4(vmx_l1_read_cr4() | CR4_VMXE);
	ept12_build(&c->ept[0]);
	return vmx_l1_vmxon(pa(c->vmxon)) == VMX_L1_SUCCEED;
}

static volatile bool second_done;

void secondary_main(unsigned int vcpu)
{
	if (vcpu != 1)
		return;
	/* vCPU 0 has built page_a/page_c by the time it says so. */
	while (!READ_ONCE(second_done))
		cpu_relax();
	if (vmx_on(&cpus[1]))
		test_two_l2s(&cpus[1], 1);
	else
		ktap_result(false, "vcpu1_two_l2s_each_see_their_own_ept12");
	vmx_l1_vmxoff();
	WRITE_ONCE(second_done, false);
}

int main(void)
{
	struct l1_cpu *c = &cpus[0];
	bool two = boot_info->nr_vcpus > 1;

	ktap_plan(two ? 18 : 17);
	if (!vmx_l1_cpuid_vmx()) {
		ktap_diag("no VMX offered (nested=1 missing, or the host lacks it)");
		return 1;
	}
	ktap_result(vmx_on(c), "l1_vmxon");
	test_basic_exits(c);
	test_remap_unmap(c);
	test_ept12_outside_memory(c);
	*(volatile u64 *)page_a = 0xaaaa;
	*(volatile u64 *)page_c = 0xcccc;
	if (two)
		WRITE_ONCE(second_done, true);
	test_two_l2s(c, 0);
	while (two && READ_ONCE(second_done))
		cpu_relax();
	ktap_result(EXPECT_EQ(vmx_l1_vmxoff(), VMX_L1_SUCCEED), "l1_vmxoff");
	return ktap_nr_failed() ? 1 : 0;
}
