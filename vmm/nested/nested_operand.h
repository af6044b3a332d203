/* SPDX-License-Identifier: MIT */
/*
 * The operands of a VMX instruction that exited, from the VM-exit
 * instruction-information field and the exit qualification (the
 * displacement), SDM vol. 3, 28.2.5 (tables "Format of the VM-Exit
 * Instruction-Information Field as Used for VMCLEAR, VMPTRLD, VMPTRST,
 * VMXON ..." and "... for VMREAD and VMWRITE", "... for INVEPT,
 * INVPCID, INVVPID"). Pure: the caller gives the registers and segment
 * bases (tests/host/test_nested_vmx.c checks every addressing form).
 */
#ifndef VMM_NESTED_NESTED_OPERAND_H
#define VMM_NESTED_NESTED_OPERAND_H

#include "kernel/compiler.h"

/* Instruction-information bits. */
#define VMX_INFO_SCALE(i)		((i) & 3)
#define VMX_INFO_REG1(i)		(((i) >> 3) & 0xf)
#define VMX_INFO_ADDR_SIZE(i)		(((i) >> 7) & 7) /* 0 16, 1 32, 2 64 */
#define VMX_INFO_IS_REG			BIT(10)	/* VMREAD/VMWRITE only */
#define VMX_INFO_SEG(i)			(((i) >> 15) & 7)
#define VMX_INFO_INDEX(i)		(((i) >> 18) & 0xf)
#define VMX_INFO_INDEX_INVALID		BIT(22)
#define VMX_INFO_BASE(i)		(((i) >> 23) & 0xf)
#define VMX_INFO_BASE_INVALID		BIT(27)
#define VMX_INFO_REG2(i)		(((i) >> 28) & 0xf)

enum { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, NR_SEGS };

struct nested_operand_env {
	u64 gpr[16];			/* RAX..R15 in encoding order */
	u64 seg_base[NR_SEGS];
	bool long64;			/* 64-bit mode (LMA and CS.L) */
};

enum nested_operand_fault {
	NESTED_OPERAND_OK,
	NESTED_OPERAND_GP,		/* non-canonical (not through SS) */
	NESTED_OPERAND_SS,		/* non-canonical through SS */
	NESTED_OPERAND_BAD_INFO,	/* an address size no CPU reports */
};

/*
 * The linear address of the memory operand: base + index * scale +
 * displacement (@qual, sign-extended by the CPU), wrapped to the address
 * size, plus the segment base (in 64-bit mode only FS and GS have one),
 * then canonical (64-bit mode) or wrapped to 32 bits. Segment limits
 * and access rights are not checked.
 */
enum nested_operand_fault nested_operand_address(u32 info, u64 qual,
						 const struct nested_operand_env *env,
						 u64 *gva);

/* The operand size of VMREAD/VMWRITE's operands and INVEPT's type: 8 or 4. */
static inline unsigned int nested_operand_size(const struct nested_operand_env *env)
{
	return env->long64 ? 8 : 4;
}

#endif
