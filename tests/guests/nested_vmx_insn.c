// SPDX-License-Identifier: MIT
/*
 * nested_vmx_insn: an L1 (a guest with nested=1) checks the hypervisor's
 * answer to each of its VMX instructions as the SDM gives it: CPUID and
 * the capability MSRs, CR4.VMXE, VMXON/VMXOFF, VMCLEAR, VMPTRLD,
 * VMPTRST, VMREAD, VMWRITE (register and memory forms), INVEPT,
 * INVVPID and the checks of VMLAUNCH/VMRESUME before the VMCS12's, with
 * bad operands of every kind: unaligned, beyond the physical-address
 * width, outside its memory, the VMXON region, a wrong revision,
 * unsupported and read-only fields, unmapped operands (#PF).
 */
#include "tests/guests/lib/guest.h"
#include "tests/guests/lib/vmx_l1.h"

#define PAGE	4096
static u8 vmxon_region[PAGE] __attribute__((aligned(PAGE)));
static u8 vmcs_a[PAGE] __attribute__((aligned(PAGE)));
static u8 vmcs_b[PAGE] __attribute__((aligned(PAGE)));
static u8 vmcs_bad[PAGE] __attribute__((aligned(PAGE)));

static u64 pa(const void *p)
{
	return (u64)(uintptr_t)p;	/* identity-mapped */
}

static void set_rev(void *region, u32 rev)
{
	memset(region, 0, PAGE);
	memcpy(region, &rev, 4);
}

static u32 rev;
static unsigned int phys_bits;


static void test_caps(void)
{
	u64 v = 0, fc = 0;
	bool all = true;
	u32 a, b, c, d;

	ktap_result(EXPECT(vmx_l1_cpuid_vmx()), "cpuid_offers_vmx");
	ktap_result(EXPECT_EQ(rdmsr_safe(MSR_FEATURE_CONTROL, &fc), -1) &&
		    EXPECT_EQ(fc, 5) &&
		    EXPECT_EQ(wrmsr_safe(MSR_FEATURE_CONTROL, 5), X86_GP),
		    "feature_control_locked_vmx_on_read_only");
	ktap_result(EXPECT_EQ(rdmsr_safe(MSR_VMX_BASIC, &v), -1) &&
		    EXPECT(!(v & (1ULL << 31))) && EXPECT((u32)v) &&
		    EXPECT_EQ((v >> 32) & 0x1fff, 4096) &&
		    EXPECT(v & (1ULL << 55)), "vmx_basic_revision_size_true_ctls");
	rev = (u32)v;
	for (u32 msr = 0x480; msr <= 0x490; msr++)
		all &= EXPECT_EQ(rdmsr_safe(msr, &v), -1) &&
		       EXPECT_EQ(wrmsr_safe(msr, v), X86_GP);
	ktap_result(all && EXPECT_EQ(rdmsr_safe(MSR_VMX_VMFUNC, &v), X86_GP),
		    "vmx_capability_msrs_read_only_and_vmfunc_absent");
	rdmsr_safe(MSR_VMX_CR4_FIXED1, &v);
	ktap_result(EXPECT(v & CR4_VMXE) && EXPECT(!(v & (1ULL << 18))),
		    "cr4_fixed1_has_vmxe_not_osxsave");
	cpuid(0x80000008, 0, &a, &b, &c, &d);
	phys_bits = a & 0xff;
}

static void test_before_vmxon(void)
{
	u64 cr4 = vmx_l1_read_cr4();

	set_rev(vmxon_region, rev);
	ktap_result(EXPECT_EQ(vmx_l1_vmxon(pa(vmxon_region)), VMX_L1_EXC(X86_UD)),
		    "vmxon_without_cr4_vmxe_ud");
	ktap_result(EXPECT_EQ(vmx_l1_vmptrld(pa(vmcs_a)), VMX_L1_EXC(X86_UD)) &&
		    EXPECT_EQ(vmx_l1_vmxoff(), VMX_L1_EXC(X86_UD)),
		    "vmx_insns_outside_vmx_operation_ud");
	ktap_result(EXPECT_EQ(vmx_l1_write_cr4(cr4 | CR4_VMXE), -1) &&
		    EXPECT(vmx_l1_read_cr4() & CR4_VMXE), "cr4_vmxe_settable");
}

static void test_vmxon(void)
{
	u64 cr4 = vmx_l1_read_cr4();

	ktap_result(EXPECT_EQ(vmx_l1_vmxon(pa(vmxon_region) + 0x80),
			      VMX_L1_FAIL_INVALID), "vmxon_unaligned_failinvalid");
	ktap_result(EXPECT_EQ(vmx_l1_vmxon(1ULL << phys_bits), VMX_L1_FAIL_INVALID),
		    "vmxon_beyond_phys_width_failinvalid");
	set_rev(vmcs_bad, rev + 1);
	ktap_result(EXPECT_EQ(vmx_l1_vmxon(pa(vmcs_bad)), VMX_L1_FAIL_INVALID),
		    "vmxon_wrong_revision_failinvalid");
	set_rev(vmcs_bad, rev | (1U << 31));
	ktap_result(EXPECT_EQ(vmx_l1_vmxon(pa(vmcs_bad)), VMX_L1_FAIL_INVALID),
		    "vmxon_shadow_bit_failinvalid");
	ktap_result(EXPECT_EQ(vmx_l1_vmxon(0x40000000), VMX_L1_FAIL_INVALID),
		    "vmxon_outside_memory_failinvalid");
	ktap_result(EXPECT_EQ(vmx_l1_vmxon(pa(vmxon_region)), VMX_L1_SUCCEED),
		    "vmxon_succeeds");
	/* VMX root, no current VMCS: VMfail is VMfailInvalid. */
	ktap_result(EXPECT_EQ(vmx_l1_vmxon(pa(vmxon_region)), VMX_L1_FAIL_INVALID),
		    "vmxon_in_vmx_root_without_vmcs_failinvalid");
	ktap_result(EXPECT_EQ(vmx_l1_write_cr4(cr4 & ~CR4_VMXE), X86_GP) &&
		    EXPECT(vmx_l1_read_cr4() & CR4_VMXE) &&
		    EXPECT_EQ(vmx_l1_write_cr0(vmx_l1_read_cr0() & ~CR0_NE), X86_GP),
		    "cr4_vmxe_and_cr0_ne_fixed_in_vmx_operation_gp");
}

static void test_no_current_vmcs(void)
{
	u64 v = 0, ptr = 0;

	ktap_result(EXPECT_EQ(vmx_l1_vmread(VMCS_GUEST_RIP, &v), VMX_L1_FAIL_INVALID) &&
		    EXPECT_EQ(vmx_l1_vmwrite(VMCS_GUEST_RIP, 1), VMX_L1_FAIL_INVALID),
		    "vmread_vmwrite_without_current_vmcs_failinvalid");
	ktap_result(EXPECT_EQ(vmx_l1_vmptrst(&ptr), VMX_L1_SUCCEED) &&
		    EXPECT_EQ(ptr, ~0ULL), "vmptrst_without_current_vmcs_all_ones");
	ktap_result(EXPECT_EQ(vmx_l1_vmlaunch(), VMX_L1_FAIL_INVALID) &&
		    EXPECT_EQ(vmx_l1_vmresume(), VMX_L1_FAIL_INVALID),
		    "vmlaunch_vmresume_without_current_vmcs_failinvalid");
	ktap_result(EXPECT_EQ(vmx_l1_vmptrld(pa(vmxon_region)), VMX_L1_FAIL_INVALID),
		    "vmptrld_vmxon_region_without_current_failinvalid");
}

static void test_vmptrld(void)
{
	u64 ptr = 0;

	set_rev(vmcs_a, rev);
	set_rev(vmcs_b, rev);
	ktap_result(EXPECT_EQ(vmx_l1_vmclear(pa(vmcs_a)), VMX_L1_SUCCEED) &&
		    EXPECT_EQ(vmx_l1_vmptrld(pa(vmcs_a)), VMX_L1_SUCCEED) &&
		    EXPECT_EQ(vmx_l1_vmptrst(&ptr), VMX_L1_SUCCEED) &&
		    EXPECT_EQ(ptr, pa(vmcs_a)), "vmclear_vmptrld_vmptrst");
	ktap_result(vmx_l1_fail_valid(vmx_l1_vmptrld(pa(vmcs_b) + 8), 9),
		    "vmptrld_unaligned_failvalid_9");
	ktap_result(vmx_l1_fail_valid(vmx_l1_vmptrld(1ULL << phys_bits), 9),
		    "vmptrld_beyond_phys_width_failvalid_9");
	ktap_result(vmx_l1_fail_valid(vmx_l1_vmptrld(pa(vmxon_region)), 10),
		    "vmptrld_vmxon_region_failvalid_10");
	set_rev(vmcs_bad, rev ^ 1);
	ktap_result(vmx_l1_fail_valid(vmx_l1_vmptrld(pa(vmcs_bad)), 11),
		    "vmptrld_wrong_revision_failvalid_11");
	ktap_result(vmx_l1_fail_valid(vmx_l1_vmptrld(0x40000000), 11),
		    "vmptrld_outside_memory_failvalid_11");
	ktap_result(vmx_l1_fail_valid(vmx_l1_vmclear(pa(vmcs_b) + 0x100), 2) &&
		    vmx_l1_fail_valid(vmx_l1_vmclear(1ULL << phys_bits), 2),
		    "vmclear_bad_address_failvalid_2");
	ktap_result(vmx_l1_fail_valid(vmx_l1_vmclear(pa(vmxon_region)), 3),
		    "vmclear_vmxon_region_failvalid_3");
	ktap_result(vmx_l1_fail_valid(vmx_l1_vmxon(pa(vmxon_region)), 15),
		    "vmxon_in_vmx_root_failvalid_15");
	ktap_result(EXPECT_EQ(vmx_l1_vmptrst(&ptr), VMX_L1_SUCCEED) &&
		    EXPECT_EQ(ptr, pa(vmcs_a)), "failed_insns_keep_current_vmcs");
	/* 8 MiB is beyond the 4 MiB our page tables map: #PF. */
	ktap_result(EXPECT_EQ(vmx_l1_vmptrld_at((const u64 *)0x800000),
			      VMX_L1_EXC(X86_PF)), "vmptrld_unmapped_operand_pf");
	ktap_result(EXPECT_EQ(vmx_l1_vmptrld_at((const u64 *)0x0000800000000000ULL),
			      VMX_L1_EXC(X86_GP)),
		    "vmptrld_noncanonical_operand_gp");
}

static void test_vmread_vmwrite(void)
{
	u64 v = 0, m = 0x1122334455667788ULL;

	ktap_result(EXPECT_EQ(vmx_l1_vmwrite(VMCS_GUEST_RIP, 0xabcdef), VMX_L1_SUCCEED) &&
		    EXPECT_EQ(vmx_l1_vmread(VMCS_GUEST_RIP, &v), VMX_L1_SUCCEED) &&
		    EXPECT_EQ(v, 0xabcdef), "vmwrite_vmread_register_forms");
	v = 0;
	ktap_result(EXPECT_EQ(vmx_l1_vmwrite_m(VMCS_GUEST_RSP, &m), VMX_L1_SUCCEED) &&
		    EXPECT_EQ(vmx_l1_vmread_m(VMCS_GUEST_RSP, &v), VMX_L1_SUCCEED) &&
		    EXPECT_EQ(v, m), "vmwrite_vmread_memory_forms");
	ktap_result(EXPECT_EQ(vmx_l1_vmwrite(VMCS_GUEST_ES_SEL, 0x12345678), VMX_L1_SUCCEED) &&
		    EXPECT_EQ(vmx_l1_vmread(VMCS_GUEST_ES_SEL, &v), VMX_L1_SUCCEED) &&
		    EXPECT_EQ(v, 0x5678), "vmwrite_16bit_field_truncates");
	ktap_result(EXPECT_EQ(vmx_l1_vmwrite(VMCS_EPT_POINTER, 0x5000001e), VMX_L1_SUCCEED) &&
		    EXPECT_EQ(vmx_l1_vmwrite(VMCS_EPT_POINTER | 1, 0x7), VMX_L1_SUCCEED) &&
		    EXPECT_EQ(vmx_l1_vmread(VMCS_EPT_POINTER, &v), VMX_L1_SUCCEED) &&
		    EXPECT_EQ(v, 0x000000075000001eULL), "vmwrite_high_half_of_64bit_field");
	ktap_result(vmx_l1_fail_valid(vmx_l1_vmread(0x2012, &v), 12) &&
		    vmx_l1_fail_valid(vmx_l1_vmwrite(0x1ULL << 32 | VMCS_GUEST_RIP, 1), 12),
		    "unsupported_field_failvalid_12");
	ktap_result(vmx_l1_fail_valid(vmx_l1_vmwrite(VMCS_EXIT_REASON, 1), 13) &&
		    vmx_l1_fail_valid(vmx_l1_vmwrite(VMCS_EXIT_QUAL, 1), 13),
		    "vmwrite_read_only_field_failvalid_13");
	/* A failed VMREAD leaves its destination alone. */
	v = 0x99;
	vmx_l1_vmread_m(0x2012, &v);
	ktap_result(EXPECT_EQ(v, 0x99), "failed_vmread_stores_nothing");
	ktap_result(EXPECT_EQ(vmx_l1_vmread_m(VMCS_GUEST_RIP, (u64 *)0x800000),
			      VMX_L1_EXC(X86_PF)), "vmread_to_unmapped_memory_pf");
}

/* VMCLEAR writes the VMCS12 back; VMPTRLD finds it again. */
static void test_vmclear_roundtrip(void)
{
	u64 v = 0;

	vmx_l1_vmwrite(VMCS_GUEST_RIP, 0x1234);
	ktap_result(EXPECT_EQ(vmx_l1_vmclear(pa(vmcs_b)), VMX_L1_SUCCEED) &&
		    EXPECT_EQ(vmx_l1_vmptrld(pa(vmcs_b)), VMX_L1_SUCCEED) &&
		    EXPECT_EQ(vmx_l1_vmread(VMCS_GUEST_RIP, &v), VMX_L1_SUCCEED) &&
		    EXPECT_EQ(v, 0) &&
		    EXPECT_EQ(vmx_l1_vmwrite(VMCS_GUEST_RIP, 0xbbbb), VMX_L1_SUCCEED) &&
		    EXPECT_EQ(vmx_l1_vmptrld(pa(vmcs_a)), VMX_L1_SUCCEED) &&
		    EXPECT_EQ(vmx_l1_vmread(VMCS_GUEST_RIP, &v), VMX_L1_SUCCEED) &&
		    EXPECT_EQ(v, 0x1234), "two_vmcs12s_keep_their_own_fields");
	ktap_result(EXPECT_EQ(vmx_l1_vmclear(pa(vmcs_a)), VMX_L1_SUCCEED) &&
		    EXPECT_EQ(vmx_l1_vmread(VMCS_GUEST_RIP, &v), VMX_L1_FAIL_INVALID) &&
		    EXPECT_EQ(vmx_l1_vmptrld(pa(vmcs_a)), VMX_L1_SUCCEED) &&
		    EXPECT_EQ(vmx_l1_vmread(VMCS_GUEST_RIP, &v), VMX_L1_SUCCEED) &&
		    EXPECT_EQ(v, 0x1234), "vmclear_writes_back_vmptrld_reads_again");
	ktap_result(vmx_l1_fail_valid(vmx_l1_vmresume(), 5),
		    "vmresume_of_clear_vmcs_failvalid_5");
}

static void test_invept_invvpid(void)
{
	u64 caps = 0;

	rdmsr_safe(MSR_VMX_EPT_VPID_CAP, &caps);
	ktap_result(vmx_l1_fail_valid(vmx_l1_invept(3, 0), 28) &&
		    vmx_l1_fail_valid(vmx_l1_invept(1, 0x5000 | 6 | (2 << 3)), 28),
		    "invept_bad_type_or_eptp_failvalid_28");
	ktap_result(EXPECT(caps & (1ULL << 26)) &&
		    EXPECT_EQ(vmx_l1_invept(2, 0), VMX_L1_SUCCEED) &&
		    EXPECT_EQ(vmx_l1_invept(1, 0x5000 | 6 | (3 << 3)), VMX_L1_SUCCEED),
		    "invept_all_and_single_context");
	ktap_result(vmx_l1_fail_valid(vmx_l1_invvpid(1, 0, 0), 28) &&
		    vmx_l1_fail_valid(vmx_l1_invvpid(0, 1, 0x0000800000000000ULL), 28) &&
		    vmx_l1_fail_valid(vmx_l1_invvpid(7, 1, 0), 28),
		    "invvpid_bad_operands_failvalid_28");
	ktap_result(EXPECT_EQ(vmx_l1_invvpid(2, 0, 0), VMX_L1_SUCCEED) &&
		    EXPECT_EQ(vmx_l1_invvpid(1, 5, 0), VMX_L1_SUCCEED),
		    "invvpid_all_and_single_context");
}

static void test_vmxoff(void)
{
	u64 v = 0;

	ktap_result(EXPECT_EQ(vmx_l1_vmxoff(), VMX_L1_SUCCEED) &&
		    EXPECT_EQ(vmx_l1_vmread(VMCS_GUEST_RIP, &v), VMX_L1_EXC(X86_UD)) &&
		    EXPECT_EQ(vmx_l1_vmxoff(), VMX_L1_EXC(X86_UD)),
		    "vmxoff_leaves_vmx_operation");
	ktap_result(EXPECT_EQ(vmx_l1_write_cr4(vmx_l1_read_cr4() & ~CR4_VMXE), -1),
		    "cr4_vmxe_clearable_after_vmxoff");
	/* Again from the start: VMXON, the VMCS12 is still in memory. */
	vmx_l1_write_cr4(vmx_l1_read_cr4() | CR4_VMXE);
	ktap_result(EXPECT_EQ(vmx_l1_vmxon(pa(vmxon_region)), VMX_L1_SUCCEED) &&
		    EXPECT_EQ(vmx_l1_vmptrld(pa(vmcs_a)), VMX_L1_SUCCEED) &&
		    EXPECT_EQ(vmx_l1_vmread(VMCS_GUEST_RIP, &v), VMX_L1_SUCCEED) &&
		    EXPECT_EQ(v, 0x1234) && EXPECT_EQ(vmx_l1_vmxoff(), VMX_L1_SUCCEED),
		    "vmxoff_wrote_the_vmcs12_back");
}

int main(void)
{
	ktap_plan(50);
	test_caps();
	if (!vmx_l1_cpuid_vmx()) {
		ktap_diag("no VMX offered (nested=1 missing, or the host lacks it)");
		return 1;
	}
	test_before_vmxon();
	test_vmxon();
	test_no_current_vmcs();
	test_vmptrld();
	test_vmread_vmwrite();
	test_vmclear_roundtrip();
	test_invept_invvpid();
	test_vmxoff();
	return ktap_nr_failed() ? 1 : 0;
}
