/* SPDX-License-Identifier: MIT */
/*
 * The L1 side of nested VMX, for test guests that act as a hypervisor:
 * the VMX instructions with their architectural outcome as one int, and
 * the capability MSRs.
 *
 * Every wrapper returns VMX_L1_SUCCEED (CF = ZF = 0), VMX_L1_FAIL_INVALID
 * (CF = 1), VMX_L1_FAIL_VALID (ZF = 1: read the VM-instruction error with
 * vmx_l1_insn_error()), or VMX_L1_EXC(vector) when the instruction
 * raised an exception instead (it runs inside ASM_SAFE).
 */
#ifndef GUEST_LIB_VMX_L1_H
#define GUEST_LIB_VMX_L1_H

#include "tests/guests/lib/guest.h"

enum {
	VMX_L1_SUCCEED = 0,
	VMX_L1_FAIL_INVALID = 1,
	VMX_L1_FAIL_VALID = 2,
};
#define VMX_L1_EXC(vec)		(0x100 | (vec))

#define MSR_FEATURE_CONTROL	0x3a
#define MSR_VMX_BASIC		0x480
#define MSR_VMX_CR0_FIXED0	0x486
#define MSR_VMX_CR0_FIXED1	0x487
#define MSR_VMX_CR4_FIXED0	0x488
#define MSR_VMX_CR4_FIXED1	0x489
#define MSR_VMX_VMCS_ENUM	0x48a
#define MSR_VMX_PROCBASED_CTLS2	0x48b
#define MSR_VMX_EPT_VPID_CAP	0x48c
#define MSR_VMX_TRUE_PINBASED	0x48d
#define MSR_VMX_TRUE_ENTRY	0x490
#define MSR_VMX_VMFUNC		0x491
#define CR4_VMXE		(1ULL << 13)
#define CR0_NE			(1ULL << 5)

/* VMCS field encodings the tests use. */
#define VMCS_VPID		0x0000
#define VMCS_GUEST_ES_SEL	0x0800
#define VMCS_EPT_POINTER	0x201a
#define VMCS_VM_INSN_ERROR	0x4400
#define VMCS_EXIT_REASON	0x4402
#define VMCS_EXIT_QUAL		0x6400
#define VMCS_GUEST_RSP		0x681c
#define VMCS_GUEST_RIP		0x681e
#define VMCS_GUEST_RFLAGS	0x6820
#define VMCS_LINK_POINTER	0x2800
#define VMCS_ENTRY_MSR_LOAD_ADDR 0x200a
#define VMCS_ENTRY_MSR_LOAD_COUNT 0x4014
#define VMCS_PROC2		0x401e
#define VMCS_HOST_CS_SEL	0x0c02
#define VMCS_ENTRY_INTR_INFO	0x4016

int vmx_l1_vmxon(u64 pa);
int vmx_l1_vmxoff(void);
int vmx_l1_vmclear(u64 pa);
int vmx_l1_vmptrld(u64 pa);
/* VMPTRLD with the operand at @operand (a wild address: #PF, #GP). */
int vmx_l1_vmptrld_at(const u64 *operand);
int vmx_l1_vmptrst(u64 *pa);
/* Register forms, and the memory forms (_m) of the value operand. */
int vmx_l1_vmread(u64 field, u64 *val);
int vmx_l1_vmread_m(u64 field, u64 *val);
int vmx_l1_vmwrite(u64 field, u64 val);
int vmx_l1_vmwrite_m(u64 field, const u64 *val);
int vmx_l1_vmlaunch(void);
int vmx_l1_vmresume(void);
int vmx_l1_invept(u64 type, u64 eptp);
int vmx_l1_invvpid(u64 type, u16 vpid, u64 gva);
/*
 * VMLAUNCH (or VMRESUME) that also takes a VM exit back: HOST_RSP and
 * HOST_RIP are pointed at this call first, so an exit returns here with
 * VMX_L1_EXITED (RFLAGS 2; RAX, RCX, RDX, RSI, RDI and R8-R11 as L2
 * left them, the others kept).
 */
#define VMX_L1_EXITED		3
int vmx_l1_launch_catch(bool resume);
/*
 * Run L2 (VMLAUNCH, or VMRESUME): vmx_l1_launch_catch() by the name its
 * L2-running callers read best with; L2 must keep RBX, RBP, R12-R15.
 */
int vmx_l1_run_l2(bool resume);
/* The exit L1 got: reason, qualification, guest-physical address. */
struct vmx_l1_exit {
	u64 reason, qual, gpa, gla, rip, len;
};
void vmx_l1_exit_info(struct vmx_l1_exit *e);
/* Step L2 over the instruction that exited (GUEST_RIP += length). */
void vmx_l1_skip_l2_insn(void);

/* VMLAUNCH right after a MOV to SS (blocking by MOV SS). */
int vmx_l1_vmlaunch_movss(void);
/*
 * Fill the current VMCS12 with a VMCS a VM entry accepts: controls from
 * the TRUE_* capability MSRs plus EPT (@eptp), VPID 1, unrestricted guest,
 * HLT exiting, external-interrupt and NMI exiting; host state = this CPU
 * now (64-bit); guest state = a 64-bit copy of ours at @rip/@rsp.
 */
void vmx_l1_vmcs12_setup(u64 eptp, u64 rip, u64 rsp);

/* @r is VMfailValid with VM-instruction error @err (a diagnostic if not). */
bool vmx_l1_fail_valid(int r, u32 err);
/* VMREAD of the VM-instruction error field (0 if that fails). */
u32 vmx_l1_insn_error(void);
/* VMX offered? CPUID.1:ECX.VMX */
bool vmx_l1_cpuid_vmx(void);
/* IA32_VMX_BASIC's revision identifier (0 when the MSR #GPs). */
u32 vmx_l1_revision(void);
/* MOV to CR4 / CR0: -1 or the vector it raised. */
int vmx_l1_write_cr4(u64 val);
int vmx_l1_write_cr0(u64 val);
u64 vmx_l1_read_cr4(void);
u64 vmx_l1_read_cr0(void);

#endif
