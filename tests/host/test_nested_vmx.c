// SPDX-License-Identifier: MIT
/*
 * Nested VMX's pure half (vmm/nested/): the capability MSRs L1 reads, the
 * VMCS12 field table, every VMX instruction's checks in the SDM's order
 * with its architectural answer, the memory-operand decoder, and the
 * VMLAUNCH checks of a VMCS12 (each rule broken alone on a VMCS12 that
 * passes them all), on a simulated L1 (an array for its memory).
 */
// host-srcs: vmm/nested/vmcs12.c vmm/nested/nested_caps.c vmm/nested/nested_insn.c vmm/nested/nested_operand.c vmm/nested/nested_checks.c
#include "tests/host/tap.h"
#include "vmm/nested/nested_vmx.h"
#include "vmm/nested/nested_operand.h"
#include "vmm/nested/nested_checks.h"
#include "vmm/vmx/vmx_caps.h"
#include "arch/x86/cpu.h"
#include "arch/x86/vmx.h"
#include <string.h>

/* ---- a simulated L1 ----------------------------------------------------- */
#define L1_MEM_SIZE	(64 * 1024)
static unsigned char l1_ram[L1_MEM_SIZE];

static bool sim_read(void *ctx, u64 gpa, void *dst, size_t len)
{
	if (gpa >= L1_MEM_SIZE || len > L1_MEM_SIZE - gpa)
		return false;
	memcpy(dst, l1_ram + gpa, len);
	return true;
}

static bool sim_write(void *ctx, u64 gpa, const void *src, size_t len)
{
	if (gpa >= L1_MEM_SIZE || len > L1_MEM_SIZE - gpa)
		return false;
	memcpy(l1_ram + gpa, src, len);
	return true;
}

static const struct nested_l1_mem mem = { sim_read, sim_write, NULL };

/* Bochs' corei7_skylake_x, roughly: what L0 sees of its CPU. */
static struct vmx_caps host_caps(void)
{
	struct vmx_caps c = { 0 };

	c.basic = 0x00da040000000004ULL | VMX_BASIC_TRUE_CTLS | VMX_BASIC_INOUT;
	c.misc = 0x000000000300481e5ULL & 0xffffffffULL;
	c.cr0_fixed0 = 0x80000021ULL;
	c.cr0_fixed1 = 0xffffffffULL;
	c.cr4_fixed0 = 0x2000ULL;
	c.cr4_fixed1 = 0x3727ffULL;
	c.pin_msr = 0x0000007f00000016ULL;	/* incl. preemption timer */
	c.proc_msr = 0xfff9fffe04006172ULL;
	c.proc2_msr = 0x003f7fff00000000ULL;	/* incl. PML, VMFUNC */
	c.exit_msr = 0x01ffffff00036dfbULL;
	c.entry_msr = 0x0003ffff000011fbULL;
	c.ept_vpid = 0x00000f0106734141ULL;	/* incl. AD, 2M, 1G */
	c.pin_ctl = PIN_EXT_INTR_EXITING | PIN_NMI_EXITING |
		    PIN_VIRTUAL_NMIS | PIN_PREEMPTION_TIMER | 0x16;
	c.proc2_ctl = CPU2_ENABLE_EPT | CPU2_ENABLE_VPID |
		      CPU2_UNRESTRICTED_GUEST;
	return c;
}

static struct nested_vmx_msrs msrs;
static const u64 cr4_allowed = 0x7ff | BIT(16) | BIT(17) | BIT(20);

static struct nested_insn_env good_env(void)
{
	return (struct nested_insn_env){
		.cpl = 0,
		.cr0 = X86_CR0_PE | X86_CR0_NE | X86_CR0_PG | BIT(4),
		.cr4 = X86_CR4_VMXE | X86_CR4_PAE,
		.lma = true, .cs_l = true,
		.feature_control = FEAT_CTL_LOCKED | FEAT_CTL_VMX_OUTSIDE_SMX,
		.phys_bits = 40,
		.msrs = &msrs,
	};
}

/* A VMCS-sized region at @gpa with revision @rev. */
static void region(u64 gpa, u32 rev)
{
	memset(l1_ram + gpa, 0, 4096);
	memcpy(l1_ram + gpa, &rev, 4);
}

static bool is(struct nested_result r, enum nested_result_kind k, u32 err)
{
	if (r.kind != k || (k == NESTED_FAIL_VALID && r.error != err)) {
		tap_diag("result %d (error %u), wanted %d (error %u)",
			 r.kind, r.error, k, err);
		return false;
	}
	return true;
}

/* ---- capability MSRs ---------------------------------------------------- */
static void test_caps(void)
{
	struct vmx_caps c = host_caps();
	u64 v = 0;
	bool all = true;

	nested_vmx_setup_msrs(&c, cr4_allowed, vmcs12_max_field_index(), &msrs);
	tap_ok((msrs.basic & 0x7fffffff) == VMCS12_REVISION &&
	       !(msrs.basic & BIT(31)) &&
	       ((msrs.basic >> 32) & 0x1fff) == 4096 &&
	       (msrs.basic & VMX_BASIC_TRUE_CTLS) &&
	       ((msrs.basic >> 50) & 0xf) == 6 && !(msrs.basic & BIT(48)),
	       "basic: our revision, 4 KiB, WB, TRUE_* MSRs, 64-bit addresses");
	tap_ok((u32)msrs.pinbased_ctls == NESTED_PIN_DEFAULT1 &&
	       (msrs.pinbased_ctls >> 32 & PIN_EXT_INTR_EXITING) &&
	       (msrs.pinbased_ctls >> 32 & PIN_VIRTUAL_NMIS) &&
	       !(msrs.pinbased_ctls >> 32 & PIN_PREEMPTION_TIMER),
	       "pin-based: default1 fixed, external-interrupt exiting offered, "
	       "the preemption timer (not emulated) not");
	tap_ok((u32)msrs.procbased_ctls == NESTED_PROC_DEFAULT1 &&
	       (u32)msrs.true_procbased_ctls == NESTED_PROC_TRUE_DEFAULT1 &&
	       !((u32)msrs.true_procbased_ctls & CPU_CR3_LOAD_EXITING) &&
	       (msrs.true_procbased_ctls >> 32 & CPU_SECONDARY_CONTROLS) &&
	       !(msrs.true_procbased_ctls >> 32 & CPU_MONITOR_TRAP_FLAG),
	       "proc-based: CR3 exiting clearable only in TRUE, secondary "
	       "offered, monitor trap flag not");
	tap_ok(!(u32)msrs.procbased_ctls2 &&
	       (msrs.procbased_ctls2 >> 32 & CPU2_ENABLE_EPT) &&
	       (msrs.procbased_ctls2 >> 32 & CPU2_UNRESTRICTED_GUEST) &&
	       !(msrs.procbased_ctls2 >> 32 & CPU2_ENABLE_PML) &&
	       !(msrs.procbased_ctls2 >> 32 & CPU2_ENABLE_VMFUNC),
	       "secondary: EPT, VPID, UG offered; PML and VMFUNC not");
	tap_ok((msrs.ept_vpid_cap & EPT_CAP_PWL4) &&
	       (msrs.ept_vpid_cap & EPT_CAP_INVEPT_SINGLE) &&
	       (msrs.ept_vpid_cap & VPID_CAP_INVVPID_ALL) &&
	       !(msrs.ept_vpid_cap & EPT_CAP_AD_BITS) &&
	       !(msrs.ept_vpid_cap & EPT_CAP_2M_PAGE),
	       "EPT/VPID caps: 4-level, INVEPT/INVVPID; no A/D, no huge leaves");
	tap_ok((msrs.cr4_fixed1 & X86_CR4_VMXE) &&
	       !(msrs.cr4_fixed1 & ~(cr4_allowed | X86_CR4_VMXE)) &&
	       msrs.cr0_fixed0 == c.cr0_fixed0 && msrs.cr4_fixed0 == c.cr4_fixed0,
	       "CR fixed bits: the host's, CR4_FIXED1 only what L1 may set");
	tap_ok(msrs.vmcs_enum == (u64)vmcs12_max_field_index() << 1 &&
	       vmcs12_max_field_index() == 0x15,
	       "VMCS_ENUM: the highest index in the field table (%u)",
	       vmcs12_max_field_index());
#define CHECK_MSR(nr, member)						\
	all &= nested_vmx_msr_get(&msrs, nr, &v) && v == msrs.member;
	NESTED_VMX_MSRS(CHECK_MSR)
#undef CHECK_MSR
	tap_ok(all && !nested_vmx_msr_get(&msrs, 0x491, &v) &&
	       !nested_vmx_msr_get(&msrs, 0x3a, &v),
	       "every capability MSR reads its value; VMFUNC (0x491) is none");
	tap_ok(!nested_vmx_host_lacks(&c), "the host offers nested VMX");
	c.proc2_ctl &= ~CPU2_ENABLE_EPT;
	tap_ok(nested_vmx_host_lacks(&c) &&
	       !strcmp(nested_vmx_host_lacks(&c), "EPT"),
	       "a host without EPT does not, and says why");
}

/* ---- the VMCS12 field table -------------------------------------------- */
static void test_fields(void)
{
	struct vmcs12 vmcs12 = { 0 };
	const struct vmcs12_field *f;
	bool high;

	f = vmcs12_field_find(0x681e, &high);
	tap_ok(f && !high && f->width == VMCS_WIDTH_NATURAL && !f->read_only &&
	       f->offset == __builtin_offsetof(struct vmcs12, guest_rip),
	       "GUEST_RIP: natural width, writable, at its member");
	tap_ok(!vmcs12_field_find(0x2012, &high) &&
	       !vmcs12_field_find(0x681e | (1ULL << 32), &high) &&
	       !vmcs12_field_find(0x6c18, &high) &&
	       !vmcs12_field_find(0x681f, &high),
	       "no such field: unoffered, bits 63:32 set, beyond, high of natural");
	f = vmcs12_field_find(0x4400, &high);
	tap_ok(f && f->read_only, "VM_INSTRUCTION_ERROR is read-only");
	f = vmcs12_field_find(0x0800, &high);
	vmcs12_write(&vmcs12, f, false, 0x123456789ULL);
	tap_ok(vmcs12_read(&vmcs12, f, false) == 0x6789,
	       "a 16-bit field keeps 16 bits");
	f = vmcs12_field_find(0x4002, &high);
	vmcs12_write(&vmcs12, f, false, 0xaabbccdd11223344ULL);
	tap_ok(vmcs12_read(&vmcs12, f, false) == 0x11223344,
	       "a 32-bit field keeps 32 bits");
	f = vmcs12_field_find(0x201b, &high);
	tap_ok(f && high, "EPT_POINTER_HIGH is the high half of EPT_POINTER");
	vmcs12_write(&vmcs12, f, false, 0x1111222233334444ULL);
	vmcs12_write(&vmcs12, f, true, 0xdeadbeefcafef00dULL);
	tap_ok(vmcs12.ept_pointer == 0xcafef00d33334444ULL &&
	       vmcs12_read(&vmcs12, f, true) == 0xcafef00d,
	       "a high-half write replaces bits 63:32 only");
}

/* ---- the instructions -------------------------------------------------- */
#define VMXON_PA	0x1000
#define VMCS_A		0x2000
#define VMCS_B		0x3000

static void test_prechecks(void)
{
	struct nested_vmx n;
	struct nested_insn_env e;

	nested_vmx_init(&n);
	e = good_env();
	tap_ok(is(nested_vmx_precheck(&n, NESTED_INSN_VMPTRLD, &e), NESTED_UD, 0) &&
	       is(nested_vmx_precheck(&n, NESTED_INSN_VMREAD, &e), NESTED_UD, 0) &&
	       is(nested_vmx_precheck(&n, NESTED_INSN_VMXOFF, &e), NESTED_UD, 0),
	       "outside VMX operation: #UD");
	e.cr4 &= ~X86_CR4_VMXE;
	tap_ok(is(nested_vmx_precheck(&n, NESTED_INSN_VMXON, &e), NESTED_UD, 0),
	       "VMXON with CR4.VMXE = 0: #UD");
	e = good_env();
	e.cs_l = false;
	tap_ok(is(nested_vmx_precheck(&n, NESTED_INSN_VMXON, &e), NESTED_UD, 0),
	       "VMXON in compatibility mode: #UD");
	e = good_env();
	e.rflags_vm = true;
	tap_ok(is(nested_vmx_precheck(&n, NESTED_INSN_VMXON, &e), NESTED_UD, 0),
	       "VMXON in virtual-8086 mode: #UD");
	e = good_env();
	e.cpl = 3;
	tap_ok(is(nested_vmx_precheck(&n, NESTED_INSN_VMXON, &e), NESTED_GP, 0),
	       "VMXON at CPL 3: #GP");
	e = good_env();
	e.cr0 &= ~X86_CR0_NE;
	tap_ok(is(nested_vmx_precheck(&n, NESTED_INSN_VMXON, &e), NESTED_GP, 0),
	       "VMXON with CR0.NE = 0 (CR0_FIXED0): #GP");
	e = good_env();
	e.cr4 |= BIT(18);
	tap_ok(is(nested_vmx_precheck(&n, NESTED_INSN_VMXON, &e), NESTED_GP, 0),
	       "VMXON with a CR4 bit outside CR4_FIXED1: #GP");
	e = good_env();
	e.feature_control = FEAT_CTL_VMX_OUTSIDE_SMX;
	tap_ok(is(nested_vmx_precheck(&n, NESTED_INSN_VMXON, &e), NESTED_GP, 0),
	       "VMXON with IA32_FEATURE_CONTROL unlocked: #GP");
	e = good_env();
	tap_ok(is(nested_vmx_precheck(&n, NESTED_INSN_VMXON, &e),
		  NESTED_CONTINUE, 0), "VMXON may go on");
}

static void test_vmxon(void)
{
	struct nested_vmx n;
	struct nested_insn_env e = good_env();

	nested_vmx_init(&n);
	region(VMXON_PA, VMCS12_REVISION);
	tap_ok(is(nested_vmx_vmxon(&n, &e, VMXON_PA + 8, &mem),
		  NESTED_FAIL_INVALID, 0) && !n.vmxon,
	       "VMXON of an unaligned region: VMfailInvalid");
	tap_ok(is(nested_vmx_vmxon(&n, &e, 1ULL << 40, &mem),
		  NESTED_FAIL_INVALID, 0) && !n.vmxon,
	       "VMXON beyond the physical-address width: VMfailInvalid");
	region(VMXON_PA, 0x1234);
	tap_ok(is(nested_vmx_vmxon(&n, &e, VMXON_PA, &mem),
		  NESTED_FAIL_INVALID, 0), "VMXON of a wrong revision: VMfailInvalid");
	region(VMXON_PA, VMCS12_REVISION | BIT(31));
	tap_ok(is(nested_vmx_vmxon(&n, &e, VMXON_PA, &mem),
		  NESTED_FAIL_INVALID, 0), "VMXON with revision bit 31: VMfailInvalid");
	tap_ok(is(nested_vmx_vmxon(&n, &e, 0x100000, &mem),
		  NESTED_FAIL_INVALID, 0), "VMXON outside L1 memory: VMfailInvalid");
	region(VMXON_PA, VMCS12_REVISION);
	tap_ok(is(nested_vmx_vmxon(&n, &e, VMXON_PA, &mem), NESTED_SUCCEED, 0) &&
	       n.vmxon && n.current_vmptr == NESTED_VMPTR_INVALID,
	       "VMXON: in VMX operation, no current VMCS");
	tap_ok(is(nested_vmx_precheck(&n, NESTED_INSN_VMXON, &e),
		  NESTED_FAIL_INVALID, 0),
	       "VMXON in VMX root without a current VMCS: VMfailInvalid");
	e.cpl = 3;
	tap_ok(is(nested_vmx_precheck(&n, NESTED_INSN_VMXON, &e), NESTED_GP, 0) &&
	       is(nested_vmx_precheck(&n, NESTED_INSN_VMCLEAR, &e), NESTED_GP, 0),
	       "in VMX operation at CPL 3: #GP");
}

static void l1_vmxon(struct nested_vmx *n)
{
	struct nested_insn_env e = good_env();

	nested_vmx_init(n);
	region(VMXON_PA, VMCS12_REVISION);
	nested_vmx_vmxon(n, &e, VMXON_PA, &mem);
}

static u32 insn_error(struct nested_vmx *n)
{
	u64 v = 0;

	nested_vmx_vmread(n, 0x4400, &v);
	return (u32)v;
}

static void test_vmptrld_vmclear(void)
{
	struct nested_insn_env e = good_env();
	struct nested_vmx n;
	u64 ptr = 0, val = 0;
	struct vmcs12 in_mem;

	l1_vmxon(&n);
	region(VMCS_A, VMCS12_REVISION);
	region(VMCS_B, VMCS12_REVISION);
	tap_ok(is(nested_vmx_vmptrld(&n, &e, VMCS_A + 0x10, &mem),
		  NESTED_FAIL_INVALID, 0),
	       "VMPTRLD unaligned without a current VMCS: VMfailInvalid");
	tap_ok(is(nested_vmx_vmptrld(&n, &e, VMCS_A, &mem), NESTED_SUCCEED, 0) &&
	       is(nested_vmx_vmptrst(&n, &ptr), NESTED_SUCCEED, 0) &&
	       ptr == VMCS_A, "VMPTRLD, then VMPTRST gives it back");
	tap_ok(is(nested_vmx_vmptrld(&n, &e, VMCS_B + 0x10, &mem),
		  NESTED_FAIL_VALID, 9) && insn_error(&n) == 9,
	       "VMPTRLD unaligned: VMfailValid(9)");
	tap_ok(is(nested_vmx_vmptrld(&n, &e, 1ULL << 45, &mem),
		  NESTED_FAIL_VALID, 9), "VMPTRLD beyond the width: VMfailValid(9)");
	tap_ok(is(nested_vmx_vmptrld(&n, &e, VMXON_PA, &mem),
		  NESTED_FAIL_VALID, 10) && insn_error(&n) == 10,
	       "VMPTRLD of the VMXON region: VMfailValid(10)");
	region(VMCS_B, 0x77);
	tap_ok(is(nested_vmx_vmptrld(&n, &e, VMCS_B, &mem),
		  NESTED_FAIL_VALID, 11), "VMPTRLD of a wrong revision: VMfailValid(11)");
	tap_ok(is(nested_vmx_vmptrld(&n, &e, 0x200000, &mem),
		  NESTED_FAIL_VALID, 11), "VMPTRLD outside L1 memory: VMfailValid(11)");
	tap_ok(is(nested_vmx_vmclear(&n, &e, VMCS_B + 4, &mem),
		  NESTED_FAIL_VALID, 2), "VMCLEAR unaligned: VMfailValid(2)");
	tap_ok(is(nested_vmx_vmclear(&n, &e, VMXON_PA, &mem),
		  NESTED_FAIL_VALID, 3), "VMCLEAR of the VMXON region: VMfailValid(3)");
	tap_ok(is(nested_vmx_precheck(&n, NESTED_INSN_VMXON, &e),
		  NESTED_FAIL_VALID, 15), "VMXON in VMX root: VMfailValid(15)");

	/* VMREAD/VMWRITE on the cached VMCS12. */
	tap_ok(is(nested_vmx_vmwrite(&n, 0x681e, 0xfeed), NESTED_SUCCEED, 0) &&
	       is(nested_vmx_vmread(&n, 0x681e, &val), NESTED_SUCCEED, 0) &&
	       val == 0xfeed, "VMWRITE then VMREAD of GUEST_RIP");
	tap_ok(is(nested_vmx_vmwrite(&n, 0x2012, 1), NESTED_FAIL_VALID, 12) &&
	       is(nested_vmx_vmread(&n, 0xffff, &val), NESTED_FAIL_VALID, 12) &&
	       insn_error(&n) == 12, "an unsupported field: VMfailValid(12)");
	tap_ok(is(nested_vmx_vmwrite(&n, 0x4402, 1), NESTED_FAIL_VALID, 13) &&
	       is(nested_vmx_vmwrite(&n, 0x6400, 1), NESTED_FAIL_VALID, 13),
	       "VMWRITE of an exit-information field: VMfailValid(13)");
	memcpy(&in_mem, l1_ram + VMCS_A, sizeof(in_mem));
	tap_ok(in_mem.guest_rip != 0xfeed,
	       "a VMWRITE stays in the cache until the VMCS is cleared");
	tap_ok(is(nested_vmx_vmclear(&n, &e, VMCS_A, &mem), NESTED_SUCCEED, 0) &&
	       n.current_vmptr == NESTED_VMPTR_INVALID &&
	       (memcpy(&in_mem, l1_ram + VMCS_A, sizeof(in_mem)),
		in_mem.guest_rip == 0xfeed &&
		in_mem.launch_state == VMCS12_LAUNCH_CLEAR),
	       "VMCLEAR of the current VMCS writes it back and leaves none current");
	tap_ok(is(nested_vmx_vmread(&n, 0x681e, &val), NESTED_FAIL_INVALID, 0) &&
	       is(nested_vmx_vmwrite(&n, 0x681e, 1), NESTED_FAIL_INVALID, 0) &&
	       is(nested_vmx_vmptrst(&n, &ptr), NESTED_SUCCEED, 0) &&
	       ptr == ~0ULL,
	       "with no current VMCS: VMREAD/VMWRITE VMfailInvalid, VMPTRST all ones");
	tap_ok(is(nested_vmx_vmptrld(&n, &e, VMCS_A, &mem), NESTED_SUCCEED, 0) &&
	       is(nested_vmx_vmread(&n, 0x681e, &val), NESTED_SUCCEED, 0) &&
	       val == 0xfeed, "VMPTRLD brings the VMCS12 back");
	region(VMCS_B, VMCS12_REVISION);
	nested_vmx_vmwrite(&n, 0x681c, 0x5555);
	nested_vmx_vmptrld(&n, &e, VMCS_B, &mem);
	memcpy(&in_mem, l1_ram + VMCS_A, sizeof(in_mem));
	tap_ok(in_mem.guest_rsp == 0x5555 &&
	       is(nested_vmx_vmread(&n, 0x681c, &val), NESTED_SUCCEED, 0) && !val,
	       "VMPTRLD of another VMCS writes the old one back first");
	/* VMCLEAR of a VMCS that is not current: its launch state only. */
	((struct vmcs12 *)(l1_ram + VMCS_A))->launch_state = VMCS12_LAUNCHED;
	tap_ok(is(nested_vmx_vmclear(&n, &e, VMCS_A, &mem), NESTED_SUCCEED, 0) &&
	       ((struct vmcs12 *)(l1_ram + VMCS_A))->launch_state ==
	       VMCS12_LAUNCH_CLEAR && n.current_vmptr == VMCS_B,
	       "VMCLEAR of another VMCS clears its launch state, keeps the current");
	nested_vmx_vmwrite(&n, 0x681e, 0x7777);
	tap_ok(is(nested_vmx_vmxoff(&n, &mem), NESTED_SUCCEED, 0) && !n.vmxon &&
	       ((struct vmcs12 *)(l1_ram + VMCS_B))->guest_rip == 0x7777,
	       "VMXOFF writes the current VMCS12 back and leaves VMX operation");
}

static void test_launch_invept(void)
{
	struct nested_insn_env e = good_env();
	struct nested_vmx n;
	bool all = false;
	u64 desc[2] = { 0, 0 };

	l1_vmxon(&n);
	tap_ok(is(nested_vmx_launch_precheck(&n, &e, true), NESTED_FAIL_INVALID, 0),
	       "VMLAUNCH without a current VMCS: VMfailInvalid");
	region(VMCS_A, VMCS12_REVISION);
	nested_vmx_vmptrld(&n, &e, VMCS_A, &mem);
	tap_ok(is(nested_vmx_launch_precheck(&n, &e, false), NESTED_FAIL_VALID, 5),
	       "VMRESUME of a clear VMCS: VMfailValid(5)");
	e.mov_ss_blocking = true;
	tap_ok(is(nested_vmx_launch_precheck(&n, &e, true), NESTED_FAIL_VALID, 26),
	       "VMLAUNCH in a MOV-SS shadow: VMfailValid(26)");
	e.mov_ss_blocking = false;
	tap_ok(is(nested_vmx_launch_precheck(&n, &e, true), NESTED_CONTINUE, 0),
	       "VMLAUNCH of a clear VMCS goes on to the VMCS12 checks");
	n.cached_vmcs12.launch_state = VMCS12_LAUNCHED;
	tap_ok(is(nested_vmx_launch_precheck(&n, &e, true), NESTED_FAIL_VALID, 4),
	       "VMLAUNCH of a launched VMCS: VMfailValid(4)");

	tap_ok(is(nested_vmx_invept(&n, &e, 3, desc, &all), NESTED_FAIL_VALID, 28) &&
	       is(nested_vmx_invept(&n, &e, 0, desc, &all), NESTED_FAIL_VALID, 28),
	       "INVEPT of an unsupported type: VMfailValid(28)");
	desc[0] = 0x5000 | 6 | (2 << 3);	/* a 3-level walk */
	tap_ok(is(nested_vmx_invept(&n, &e, 1, desc, &all), NESTED_FAIL_VALID, 28),
	       "INVEPT single-context of an invalid EPTP: VMfailValid(28)");
	desc[0] = 0x5000 | 6 | (3 << 3);
	tap_ok(is(nested_vmx_invept(&n, &e, 1, desc, &all), NESTED_SUCCEED, 0) &&
	       !all && is(nested_vmx_invept(&n, &e, 2, desc, &all),
			  NESTED_SUCCEED, 0) && all,
	       "INVEPT single and all-context");
	desc[0] = 0;
	desc[1] = 0;
	tap_ok(is(nested_vmx_invvpid(&n, &e, 1, desc, &all), NESTED_FAIL_VALID, 28),
	       "INVVPID single-context of VPID 0: VMfailValid(28)");
	desc[0] = 1 | (1ULL << 16);
	tap_ok(is(nested_vmx_invvpid(&n, &e, 2, desc, &all), NESTED_FAIL_VALID, 28),
	       "INVVPID with descriptor bits 63:16 set: VMfailValid(28)");
	desc[0] = 1;
	desc[1] = 0x0000800000000000ULL;
	tap_ok(is(nested_vmx_invvpid(&n, &e, 0, desc, &all), NESTED_FAIL_VALID, 28),
	       "INVVPID of a non-canonical address: VMfailValid(28)");
	tap_ok(is(nested_vmx_invvpid(&n, &e, 4, desc, &all), NESTED_FAIL_VALID, 28) &&
	       is(nested_vmx_invvpid(&n, &e, 2, desc, &all), NESTED_SUCCEED, 0) &&
	       all, "INVVPID type 4 fails, all-context succeeds");
}

/* ---- operands ---------------------------------------------------------- */
static u32 info(unsigned int scale, unsigned int asize, unsigned int seg,
		int index, int base)
{
	return scale | asize << 7 | seg << 15 |
	       (index < 0 ? VMX_INFO_INDEX_INVALID : (u32)index << 18) |
	       (base < 0 ? VMX_INFO_BASE_INVALID : (u32)base << 23);
}

static void test_operands(void)
{
	struct nested_operand_env op = { .long64 = true };
	u64 gva = 0;

	op.gpr[3] = 0x10000;		/* rbx */
	op.gpr[6] = 0x10;		/* rsi */
	op.seg_base[SEG_DS] = 0x5000000;
	op.seg_base[SEG_FS] = 0x700000000ULL;
	tap_ok(nested_operand_address(info(3, 2, SEG_DS, 6, 3), 0x8, &op, &gva) ==
	       NESTED_OPERAND_OK && gva == 0x10000 + 0x80 + 8,
	       "64-bit: base + index * 8 + disp, DS base ignored");
	tap_ok(nested_operand_address(info(0, 2, SEG_FS, -1, 3), -8ULL, &op, &gva) ==
	       NESTED_OPERAND_OK && gva == 0x700000000ULL + 0x10000 - 8,
	       "64-bit: FS base added, negative displacement");
	tap_ok(nested_operand_address(info(0, 2, SEG_DS, -1, -1), 0x1234, &op, &gva) ==
	       NESTED_OPERAND_OK && gva == 0x1234, "displacement only");
	op.gpr[3] = 0x0000800000000000ULL;
	tap_ok(nested_operand_address(info(0, 2, SEG_DS, -1, 3), 0, &op, &gva) ==
	       NESTED_OPERAND_GP &&
	       nested_operand_address(info(0, 2, SEG_SS, -1, 3), 0, &op, &gva) ==
	       NESTED_OPERAND_SS, "non-canonical: #GP, through SS #SS");
	op.gpr[3] = 0xfffffff0;
	tap_ok(nested_operand_address(info(0, 1, SEG_DS, -1, 3), 0x20, &op, &gva) ==
	       NESTED_OPERAND_OK && gva == 0x10,
	       "32-bit address size wraps at 4 GiB");
	op.long64 = false;
	op.gpr[3] = 0x100;
	tap_ok(nested_operand_address(info(0, 1, SEG_DS, -1, 3), 0, &op, &gva) ==
	       NESTED_OPERAND_OK && gva == 0x5000100,
	       "outside 64-bit mode the DS base counts");
	tap_ok(nested_operand_address(info(0, 2, SEG_DS, -1, 3), 0, &op, &gva) ==
	       NESTED_OPERAND_BAD_INFO &&
	       nested_operand_address(info(0, 3, SEG_DS, -1, 3), 0, &op, &gva) ==
	       NESTED_OPERAND_BAD_INFO, "impossible address sizes are refused");
}

/* ---- VMLAUNCH's checks of a VMCS12 -------------------------------------- */
#define CR0_GOOD	(X86_CR0_PE | X86_CR0_NE | X86_CR0_PG | BIT(4))
#define CR4_GOOD	(X86_CR4_VMXE | X86_CR4_PAE)
#define EFER_64		(BIT(8) | BIT(10))

/* A 64-bit host running a 64-bit guest with EPT, VPID, UG. */
static void valid_vmcs12(struct vmcs12 *v)
{
	memset(v, 0, sizeof(*v));
	v->revision_id = VMCS12_REVISION;
	v->pin_based_vm_exec_control = NESTED_PIN_DEFAULT1 |
		PIN_EXT_INTR_EXITING | PIN_NMI_EXITING | PIN_VIRTUAL_NMIS;
	v->cpu_based_vm_exec_control = NESTED_PROC_TRUE_DEFAULT1 |
		CPU_HLT_EXITING | CPU_SECONDARY_CONTROLS;
	v->secondary_vm_exec_control = CPU2_ENABLE_EPT | CPU2_ENABLE_VPID |
				       CPU2_UNRESTRICTED_GUEST;
	v->virtual_processor_id = 1;
	v->ept_pointer = 0x10000 | 6 | (3 << 3);
	v->vm_exit_controls = NESTED_EXIT_TRUE_DEFAULT1 |
		EXIT_HOST_ADDR_SPACE_SIZE | EXIT_LOAD_EFER | EXIT_SAVE_EFER;
	v->vm_entry_controls = NESTED_ENTRY_TRUE_DEFAULT1 |
		ENTRY_IA32E_MODE_GUEST | ENTRY_LOAD_EFER;
	v->host_cr0 = CR0_GOOD;
	v->host_cr4 = CR4_GOOD;
	v->host_cr3 = 0x1000;
	v->host_cs_selector = 0x08;
	v->host_ss_selector = v->host_ds_selector = v->host_es_selector = 0x10;
	v->host_tr_selector = 0x18;
	v->host_ia32_efer = EFER_64;
	v->host_rip = 0x100000;
	v->host_rsp = 0x200000;
	v->guest_cr0 = CR0_GOOD;
	v->guest_cr4 = CR4_GOOD;
	v->guest_cr3 = 0x2000;
	v->guest_ia32_efer = EFER_64;
	v->guest_dr7 = 0x400;
	v->guest_rflags = 2;
	v->guest_cs_selector = 0x08;
	v->guest_cs_limit = 0xffffffff;
	v->guest_cs_ar_bytes = 0xa09b;
	v->guest_ss_selector = v->guest_ds_selector = 0x10;
	v->guest_es_selector = v->guest_fs_selector = v->guest_gs_selector = 0x10;
	v->guest_ss_limit = v->guest_ds_limit = v->guest_es_limit = 0xffffffff;
	v->guest_fs_limit = v->guest_gs_limit = 0xffffffff;
	v->guest_ss_ar_bytes = v->guest_ds_ar_bytes = v->guest_es_ar_bytes = 0xc093;
	v->guest_fs_ar_bytes = v->guest_gs_ar_bytes = 0xc093;
	v->guest_tr_selector = 0x18;
	v->guest_tr_limit = 0x67;
	v->guest_tr_ar_bytes = 0x8b;
	v->guest_ldtr_ar_bytes = 0x10000;
	v->guest_gdtr_limit = 0x17;
	v->guest_idtr_limit = 0xfff;
	v->guest_rip = 0x1000;
	v->vmcs_link_pointer = ~0ULL;
}

/* X(name, what to break, class, exit qualification) */
#define VMCS12_BREAKS(X)						\
	X(pin_reserved, v->pin_based_vm_exec_control |= BIT(30), CONTROLS, 0) \
	X(pin_default1_clear, v->pin_based_vm_exec_control &= ~BIT(1), CONTROLS, 0) \
	X(preemption_timer_not_offered,					\
	  v->pin_based_vm_exec_control |= PIN_PREEMPTION_TIMER, CONTROLS, 0) \
	X(proc_mtf_not_offered,						\
	  v->cpu_based_vm_exec_control |= CPU_MONITOR_TRAP_FLAG, CONTROLS, 0) \
	X(proc2_pml_not_offered,					\
	  v->secondary_vm_exec_control |= CPU2_ENABLE_PML, CONTROLS, 0)	\
	X(cr3_targets, v->cr3_target_count = 1, CONTROLS, 0)		\
	X(io_bitmap_unaligned, (v->cpu_based_vm_exec_control |= CPU_USE_IO_BITMAPS, \
	  v->io_bitmap_a = 0x1008, v->io_bitmap_b = 0x2000), CONTROLS, 0) \
	X(msr_bitmap_wide, (v->cpu_based_vm_exec_control |= CPU_USE_MSR_BITMAPS, \
	  v->msr_bitmap = 1ULL << 41), CONTROLS, 0)			\
	X(vnmi_without_nmi_exiting,					\
	  v->pin_based_vm_exec_control &= ~PIN_NMI_EXITING, CONTROLS, 0) \
	X(nmi_window_without_vnmi, (v->pin_based_vm_exec_control &=	\
	  ~(PIN_NMI_EXITING | PIN_VIRTUAL_NMIS),			\
	  v->cpu_based_vm_exec_control |= CPU_NMI_WINDOW_EXITING), CONTROLS, 0) \
	X(vpid_zero, v->virtual_processor_id = 0, CONTROLS, 0)		\
	X(eptp_3_level, v->ept_pointer = 0x10000 | 6 | (2 << 3), CONTROLS, 0) \
	X(eptp_memtype_wt, v->ept_pointer = 0x10000 | 4 | (3 << 3), CONTROLS, 0) \
	X(eptp_ad_not_offered, v->ept_pointer |= BIT(6), CONTROLS, 0)	\
	X(ug_without_ept, v->secondary_vm_exec_control &= ~CPU2_ENABLE_EPT, \
	  CONTROLS, 0)							\
	X(exit_reserved, v->vm_exit_controls |= BIT(31), CONTROLS, 0)	\
	X(exit_msr_store_unaligned, (v->vm_exit_msr_store_count = 1,	\
	  v->vm_exit_msr_store_addr = 0x3008), CONTROLS, 0)		\
	X(entry_reserved, v->vm_entry_controls |= BIT(31), CONTROLS, 0)	\
	X(entry_msr_load_wide, (v->vm_entry_msr_load_count = 2,		\
	  v->vm_entry_msr_load_addr = (1ULL << 40) - 16), CONTROLS, 0)	\
	X(inject_reserved_type, v->vm_entry_intr_info_field =		\
	  INTR_INFO_VALID | (1 << 8), CONTROLS, 0)			\
	X(inject_nmi_vector_3, v->vm_entry_intr_info_field =		\
	  INTR_INFO_VALID | INTR_TYPE_NMI | 3, CONTROLS, 0)		\
	X(inject_gp_without_code, v->vm_entry_intr_info_field =	\
	  INTR_INFO_VALID | INTR_TYPE_HW_EXCEPTION | 13, CONTROLS, 0)	\
	X(inject_ud_with_code, v->vm_entry_intr_info_field =		\
	  INTR_INFO_VALID | INTR_TYPE_HW_EXCEPTION | INTR_INFO_DELIVER_CODE | 6, \
	  CONTROLS, 0)							\
	X(inject_swint_len_0, v->vm_entry_intr_info_field =		\
	  INTR_INFO_VALID | INTR_TYPE_SW_INTR | 0x80, CONTROLS, 0)	\
	X(host_cr0_no_ne, v->host_cr0 &= ~X86_CR0_NE, HOST, 0)		\
	X(host_cr4_no_vmxe, v->host_cr4 &= ~X86_CR4_VMXE, HOST, 0)	\
	X(host_cr3_wide, v->host_cr3 = 1ULL << 40, HOST, 0)		\
	X(host_sysenter_noncanonical,					\
	  v->host_ia32_sysenter_eip = 1ULL << 47, HOST, 0)		\
	X(host_pat_bad, (v->vm_exit_controls |= EXIT_LOAD_PAT,		\
	  v->host_ia32_pat = 0x02), HOST, 0)				\
	X(host_efer_lma_clear, v->host_ia32_efer = BIT(8), HOST, 0)	\
	X(host_selector_rpl, v->host_ds_selector = 0x13, HOST, 0)	\
	X(host_cs_zero, v->host_cs_selector = 0, HOST, 0)		\
	X(host_tr_zero, v->host_tr_selector = 0, HOST, 0)		\
	X(host_gs_base_noncanonical, v->host_gs_base = 1ULL << 50, HOST, 0) \
	X(host_32bit_from_ia32e, (v->vm_exit_controls &=		\
	  ~EXIT_HOST_ADDR_SPACE_SIZE, v->host_ia32_efer = 0), HOST, 0)	\
	X(host_rip_noncanonical, v->host_rip = 1ULL << 48, HOST, 0)	\
	X(guest_cr0_no_ne, v->guest_cr0 &= ~X86_CR0_NE, GUEST, 0)	\
	X(guest_cr0_pg_without_pe, v->guest_cr0 &= ~X86_CR0_PE, GUEST, 0) \
	X(guest_ia32e_without_pae, v->guest_cr4 &= ~X86_CR4_PAE, GUEST, 0) \
	X(guest_efer_lma_mismatch, v->guest_ia32_efer = BIT(8), GUEST, 0) \
	X(guest_pat_bad, (v->vm_entry_controls |= ENTRY_LOAD_PAT,	\
	  v->guest_ia32_pat = 0x0303), GUEST, 0)			\
	X(guest_rflags_reserved, v->guest_rflags |= BIT(15), GUEST, 0)	\
	X(guest_rflags_bit1_clear, v->guest_rflags = 0, GUEST, 0)	\
	X(guest_tr_not_busy, v->guest_tr_ar_bytes = 0x89, GUEST, 0)	\
	X(guest_tr_unusable, v->guest_tr_ar_bytes = 0x10000, GUEST, 0)	\
	X(guest_cs_data_type, v->guest_cs_ar_bytes = 0xa091, GUEST, 0)	\
	X(guest_cs_l_and_d, v->guest_cs_ar_bytes = 0xe09b, GUEST, 0)	\
	X(guest_ss_rpl_differs, (v->guest_ss_selector = 0x13,		\
	  v->secondary_vm_exec_control &= ~CPU2_UNRESTRICTED_GUEST), GUEST, 0) \
	X(guest_ds_not_present, v->guest_ds_ar_bytes = 0xc013, GUEST, 0) \
	X(guest_limit_g_mismatch, v->guest_es_limit = 0xffff0, GUEST, 0) \
	X(guest_gdtr_limit, v->guest_gdtr_limit = 0x10000, GUEST, 0)	\
	X(guest_rip_noncanonical, v->guest_rip = 1ULL << 47, GUEST, 0)	\
	X(guest_activity_hlt, v->guest_activity_state = 1, GUEST, 0)	\
	X(guest_sti_and_movss, (v->guest_rflags |= X86_RFLAGS_IF,	\
	  v->guest_interruptibility_info = 3), GUEST, 0)		\
	X(guest_sti_with_if0, v->guest_interruptibility_info = 1, GUEST, 0) \
	X(guest_extint_with_if0, v->vm_entry_intr_info_field =		\
	  INTR_INFO_VALID | INTR_TYPE_EXT_INTR | 0x30, GUEST, 0)	\
	X(guest_pending_dbg_reserved,					\
	  v->guest_pending_dbg_exceptions = BIT(4), GUEST, 0)		\
	X(guest_link_pointer, v->vmcs_link_pointer = 0x5000, GUEST, 4)	\
	X(entry_msr_fs_base, (v->vm_entry_msr_load_count = 2,		\
	  v->vm_entry_msr_load_addr = 0x6000), MSR, 2)

static void test_checks(void)
{
	struct nested_check_env env = { .msrs = &msrs, .phys_bits = 40,
					.l1_lma = true };
	struct nested_check_result r;
	struct vmcs12 vmcs12, *v = &vmcs12;
	/* The MSR-load list at 0x6000: EFER, then FS_BASE (refused). */
	u32 msr_list[8] = { 0xc0000080, 0, 0x500, 0, 0xc0000100, 0, 0, 0 };

	memcpy(l1_ram + 0x6000, msr_list, sizeof(msr_list));
	region(0x5000, 0x1234);
	valid_vmcs12(v);
	r = nested_vmx_check_vmcs12(v, &env, &mem);
	if (r.class != NESTED_CHECK_OK)
		tap_diag("the valid VMCS12 fails: %s", r.what);
	tap_ok(r.class == NESTED_CHECK_OK, "a valid VMCS12 passes every check");
#define BREAK_ONE(name, brk, cls, q)					\
	valid_vmcs12(v);						\
	brk;								\
	r = nested_vmx_check_vmcs12(v, &env, &mem);			\
	if (r.class != NESTED_CHECK_##cls || r.qual != (q))		\
		tap_diag("%s: class %d qual %u (%s)", #name, r.class,	\
			 r.qual, r.what ? r.what : "passed");		\
	tap_ok(r.class == NESTED_CHECK_##cls && r.qual == (q),		\
	       "vmcs12 check %s: %s", #name, r.what ? r.what : "-");
	VMCS12_BREAKS(BREAK_ONE)
#undef BREAK_ONE
	/* A 32-bit L1 with a 32-bit host state passes the host checks. */
	valid_vmcs12(v);
	v->vm_exit_controls &= ~EXIT_HOST_ADDR_SPACE_SIZE;
	v->vm_entry_controls &= ~ENTRY_IA32E_MODE_GUEST;
	v->host_ia32_efer = 0;
	env.l1_lma = false;
	r = nested_check_host(v, &env);
	tap_ok(r.class == NESTED_CHECK_OK, "a 32-bit host from a 32-bit L1");
}

int main(void)
{
	tap_plan(134);
	test_caps();
	test_fields();
	test_prechecks();
	test_vmxon();
	test_vmptrld_vmclear();
	test_launch_invept();
	test_operands();
	test_checks();
	return tap_done();
}
