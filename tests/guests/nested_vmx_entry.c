// SPDX-License-Identifier: MIT
/*
 * nested_vmx_entry: an L1 (nested=1) breaks one rule of an otherwise
 * valid VMCS12 at a time and checks what VMLAUNCH answers: VMfailValid(7)
 * for a control, VMfailValid(8) for host state, a VM-entry failure (exit
 * reason 33 with bit 31, qualification 0, or 4 for the VMCS link
 * pointer) for guest state, exit reason 34 (qualification: the entry's
 * index) for the MSR-load list; VMfailValid(26) in a MOV-SS shadow.
 * After a VM-entry failure L1 goes on in the host state of its VMCS12
 * and the VMCS12 is still not launched.
 */
#include "tests/guests/lib/guest.h"
#include "tests/guests/lib/vmx_l1.h"

#define PAGE	4096
static u8 vmxon_region[PAGE] __attribute__((aligned(PAGE)));
static u8 vmcs[PAGE] __attribute__((aligned(PAGE)));
static u8 not_a_vmcs[PAGE] __attribute__((aligned(PAGE)));
static u64 msr_list[4] __attribute__((aligned(16)));
static u8 l2_stack[PAGE] __attribute__((aligned(16)));

#define EPTP_GOOD	(0x10000 | 6 | (3 << 3))

static u64 pa(const void *p)
{
	return (u64)(uintptr_t)p;
}

static void l2_code(void)
{
	/* Never runs: every VMCS12 here breaks a rule. */
	for (;;)
		asm volatile("hlt");
}

static void fresh_vmcs12(void)
{
	vmx_l1_vmclear(pa(vmcs));
	vmx_l1_vmptrld(pa(vmcs));
	vmx_l1_vmcs12_setup(EPTP_GOOD, (u64)(uintptr_t)l2_code,
			    (u64)(uintptr_t)(l2_stack + sizeof(l2_stack)));
}


/* A VM-entry failure: back at the launch with @reason | bit 31, @qual. */
static bool entry_failed(int r, u32 reason, u64 qual)
{
	u64 got = 0, q = ~0ULL;

	if (r != VMX_L1_EXITED) {
		ktap_diag("outcome %#x, wanted a VM exit", r);
		return false;
	}
	vmx_l1_vmread(VMCS_EXIT_REASON, &got);
	vmx_l1_vmread(VMCS_EXIT_QUAL, &q);
	if (got != (reason | 0x80000000ULL) || q != qual)
		ktap_diag("exit reason %#llx qual %#llx, wanted %#x %#llx",
			  (unsigned long long)got, (unsigned long long)q,
			  reason | 0x80000000U, (unsigned long long)qual);
	return got == (reason | 0x80000000ULL) && q == qual;
}

int main(void)
{
	u64 rev = 0, cr4, rsp0, rsp1;

	ktap_plan(11);
	if (!vmx_l1_cpuid_vmx()) {
		ktap_diag("no VMX offered (nested=1 missing, or the host lacks it)");
		return 1;
	}
	rdmsr_safe(MSR_VMX_BASIC, &rev);
	memcpy(vmxon_region, &rev, 4);
	memcpy(vmcs, &rev, 4);
	cr4 = vmx_l1_read_cr4();
	vmx_l1_write_cr4(cr4 | CR4_VMXE);
	ktap_result(EXPECT_EQ(vmx_l1_vmxon(pa(vmxon_region)), VMX_L1_SUCCEED),
		    "vmxon");

	fresh_vmcs12();
	vmx_l1_vmwrite(VMCS_EPT_POINTER, 0x10000 | 6 | (2 << 3));
	ktap_result(vmx_l1_fail_valid(vmx_l1_launch_catch(false), 7),
		    "vmlaunch_bad_eptp_failvalid_7");
	fresh_vmcs12();
	vmx_l1_vmwrite(VMCS_PROC2, (1u << 1) | (1u << 5) | (1u << 7) | (1u << 17));
	ktap_result(vmx_l1_fail_valid(vmx_l1_launch_catch(false), 7),
		    "vmlaunch_unoffered_control_pml_failvalid_7");
	fresh_vmcs12();
	vmx_l1_vmwrite(VMCS_HOST_CS_SEL, 0);
	ktap_result(vmx_l1_fail_valid(vmx_l1_launch_catch(false), 8),
		    "vmlaunch_host_cs_zero_failvalid_8");

	fresh_vmcs12();
	vmx_l1_vmwrite(VMCS_GUEST_RFLAGS, 0);	/* bit 1 must be 1 */
	asm volatile("mov %%rsp, %0" : "=r"(rsp0));
	ktap_result(entry_failed(vmx_l1_launch_catch(false), 33, 0),
		    "vmlaunch_bad_guest_rflags_entry_failure_33");
	asm volatile("mov %%rsp, %0" : "=r"(rsp1));
	ktap_result(EXPECT_EQ(rsp0, rsp1) &&
		    EXPECT(vmx_l1_read_cr4() & CR4_VMXE) &&
		    EXPECT(vmx_l1_read_cr0() & 1),
		    "after_entry_failure_l1_runs_in_its_host_state");
	ktap_result(vmx_l1_fail_valid(vmx_l1_launch_catch(true), 5),
		    "failed_entry_leaves_vmcs12_not_launched");

	fresh_vmcs12();
	memcpy(not_a_vmcs, "nope", 4);
	vmx_l1_vmwrite(VMCS_LINK_POINTER, pa(not_a_vmcs));
	ktap_result(entry_failed(vmx_l1_launch_catch(false), 33, 4),
		    "vmlaunch_bad_vmcs_link_pointer_entry_failure_33_qual_4");

	fresh_vmcs12();
	msr_list[0] = 0xc0000080;	/* EFER: fine as an entry */
	msr_list[1] = 0x500;
	msr_list[2] = 0xc0000100;	/* FS_BASE: never in the list */
	msr_list[3] = 0;
	vmx_l1_vmwrite(VMCS_ENTRY_MSR_LOAD_ADDR, pa(msr_list));
	vmx_l1_vmwrite(VMCS_ENTRY_MSR_LOAD_COUNT, 2);
	ktap_result(entry_failed(vmx_l1_launch_catch(false), 34, 2),
		    "vmlaunch_bad_msr_load_entry_failure_34_qual_2");

	fresh_vmcs12();
	ktap_result(vmx_l1_fail_valid(vmx_l1_vmlaunch_movss(), 26),
		    "vmlaunch_in_mov_ss_shadow_failvalid_26");
	ktap_result(EXPECT_EQ(vmx_l1_vmxoff(), VMX_L1_SUCCEED), "vmxoff");
	return ktap_nr_failed() ? 1 : 0;
}
