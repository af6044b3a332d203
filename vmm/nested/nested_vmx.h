/* SPDX-License-Identifier: MIT */
/*
 * Nested VMX: L1's VMX operation, as the SDM's "VMX instruction
 * reference" (vol. 3, ch. 31) describes it, on a per-vCPU struct
 * nested_vmx. This half is pure: the instructions' checks in the SDM's
 * order and their effect on the VMX state and on VMCS12s in L1 memory,
 * reached through struct nested_l1_mem. Decoding the operands from the
 * VM exit and applying the result to L1 (RFLAGS, #UD, #GP) is
 * vmm/nested/nested_exit.c's, which also supplies struct nested_insn_env.
 *
 * A result is what the instruction does architecturally:
 *   NESTED_SUCCEED       VMsucceed (CF = ZF = 0, ...)
 *   NESTED_FAIL_INVALID  VMfailInvalid (CF = 1)
 *   NESTED_FAIL_VALID    VMfailValid(error): ZF = 1, and the current
 *                        VMCS12's VM-instruction error field = error
 *                        (already written by the function)
 *   NESTED_UD, NESTED_GP #UD, #GP(0)
 *   NESTED_CONTINUE      (prechecks only) go on with the instruction
 *
 * Locking: a struct nested_vmx belongs to its vCPU; only that vCPU's run
 * loop (its exit handlers) reads or writes it, so it has no lock.
 *
 * Portable: tests/host/test_nested_vmx.c runs it on a simulated L1.
 */
#ifndef VMM_NESTED_NESTED_VMX_H
#define VMM_NESTED_NESTED_VMX_H

#include "kernel/compiler.h"
#include "vmm/nested/vmcs12.h"
#include "vmm/nested/nested_caps.h"

#define NESTED_VMPTR_INVALID	(~0ULL)

/* The VMX instructions L1 may execute, in exit-reason order. */
#define NESTED_VMX_INSNS(X)						\
	X(VMCLEAR) X(VMLAUNCH) X(VMPTRLD) X(VMPTRST) X(VMREAD)		\
	X(VMRESUME) X(VMWRITE) X(VMXOFF) X(VMXON) X(INVEPT) X(INVVPID)

enum nested_insn {
#define NESTED_INSN_ENUM(name) NESTED_INSN_##name,
	NESTED_VMX_INSNS(NESTED_INSN_ENUM)
#undef NESTED_INSN_ENUM
	NESTED_NR_INSNS
};

enum nested_result_kind {
	NESTED_CONTINUE,
	NESTED_SUCCEED,
	NESTED_FAIL_INVALID,
	NESTED_FAIL_VALID,
	NESTED_UD,
	NESTED_GP,
};

struct nested_result {
	enum nested_result_kind kind;
	u32 error;			/* NESTED_FAIL_VALID: its number */
};

/* L1's VMX operation on one vCPU (see the locking rule above). */
struct nested_vmx {
	bool vmxon;			/* in VMX operation */
	u64 vmxon_ptr;			/* its VMXON region (L1 GPA) */
	/* The current VMCS12 (L1 GPA), NESTED_VMPTR_INVALID when none. */
	u64 current_vmptr;
	/*
	 * The current VMCS12, cached: L1's VMREAD/VMWRITE work here, and
	 * it is written back to L1 memory at VMCLEAR, at VMPTRLD of
	 * another VMCS and at VMXOFF. Meaningless without a current VMCS.
	 */
	struct vmcs12 cached_vmcs12;
};

/* L1's memory by guest-physical address; false outside it. */
struct nested_l1_mem {
	bool (*read)(void *ctx, u64 gpa, void *dst, size_t len);
	bool (*write)(void *ctx, u64 gpa, const void *src, size_t len);
	void *ctx;
};

/* What the SDM's checks look at, as L1 sees it. */
struct nested_insn_env {
	unsigned int cpl;
	u64 cr0, cr4;			/* L1's view (through the shadows) */
	bool rflags_vm;			/* virtual-8086 mode */
	bool lma, cs_l;			/* IA32_EFER.LMA, CS.L */
	bool mov_ss_blocking;		/* events blocked by MOV SS */
	u64 feature_control;		/* what L1 reads in the MSR */
	unsigned int phys_bits;		/* L1's MAXPHYADDR */
	const struct nested_vmx_msrs *msrs;
};

void nested_vmx_init(struct nested_vmx *n);

/*
 * The checks every VMX instruction makes before it reads an operand: #UD
 * (not in VMX operation, real or virtual-8086 mode, compatibility mode),
 * #GP(0) (CPL > 0; for VMXON also CR0/CR4 outside the fixed bits or
 * IA32_FEATURE_CONTROL not locked with VMX on), VMfail 15 for VMXON in
 * VMX root operation. NESTED_CONTINUE when the instruction goes on.
 */
struct nested_result nested_vmx_precheck(struct nested_vmx *n,
					 enum nested_insn insn,
					 const struct nested_insn_env *env);

/* After nested_vmx_precheck() said NESTED_CONTINUE: */
struct nested_result nested_vmx_vmxon(struct nested_vmx *n,
				      const struct nested_insn_env *env,
				      u64 ptr, const struct nested_l1_mem *mem);
struct nested_result nested_vmx_vmxoff(struct nested_vmx *n,
				       const struct nested_l1_mem *mem);
struct nested_result nested_vmx_vmclear(struct nested_vmx *n,
					const struct nested_insn_env *env,
					u64 ptr, const struct nested_l1_mem *mem);
struct nested_result nested_vmx_vmptrld(struct nested_vmx *n,
					const struct nested_insn_env *env,
					u64 ptr, const struct nested_l1_mem *mem);
/* VMPTRST: *ptr is what the instruction stores. */
struct nested_result nested_vmx_vmptrst(struct nested_vmx *n, u64 *ptr);
/* @field is the register operand (64 bits in 64-bit mode, else 32). */
struct nested_result nested_vmx_vmread(struct nested_vmx *n, u64 field,
				       u64 *val);
struct nested_result nested_vmx_vmwrite(struct nested_vmx *n, u64 field,
					u64 val);
/*
 * INVEPT/INVVPID: @type is the register operand, @desc the 128-bit
 * descriptor. On NESTED_SUCCEED *flush_all says whether every context
 * is to be flushed (else only the one in @desc).
 */
struct nested_result nested_vmx_invept(struct nested_vmx *n,
				       const struct nested_insn_env *env,
				       u64 type, const u64 desc[2],
				       bool *flush_all);
struct nested_result nested_vmx_invvpid(struct nested_vmx *n,
					const struct nested_insn_env *env,
					u64 type, const u64 desc[2],
					bool *flush_all);

/*
 * VMLAUNCH (@launch) / VMRESUME up to the VMCS12 checks: no current
 * VMCS (VMfailInvalid), MOV-SS blocking (26), launch state (4, 5).
 * NESTED_CONTINUE when the VMCS12's controls and state are to be checked
 * (vmm/nested/nested_checks.c).
 */
struct nested_result nested_vmx_launch_precheck(struct nested_vmx *n,
						const struct nested_insn_env *env,
						bool launch);

/* VMfail(@error): VMfailValid with a current VMCS12, else VMfailInvalid. */
struct nested_result nested_vmfail(struct nested_vmx *n, u32 error);

/* Is @eptp one a VM entry with "enable EPT" would take (SDM 26.2.1.1)? */
bool nested_eptp_valid(const struct nested_vmx_msrs *msrs, u64 eptp,
		       unsigned int phys_bits);

#endif
