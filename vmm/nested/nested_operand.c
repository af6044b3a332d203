// SPDX-License-Identifier: MIT
/* Memory operands of VMX instructions (nested_operand.h). Pure. */
#include "vmm/nested/nested_operand.h"

static bool canonical(u64 a)
{
	return (u64)((s64)(a << 16) >> 16) == a;
}

enum nested_operand_fault nested_operand_address(u32 info, u64 qual,
						 const struct nested_operand_env *env,
						 u64 *gva)
{
	unsigned int asize = VMX_INFO_ADDR_SIZE(info);
	unsigned int seg = VMX_INFO_SEG(info);
	u64 addr = qual;	/* the displacement */

	if (asize > 2 || seg >= NR_SEGS || (asize == 2 && !env->long64))
		return NESTED_OPERAND_BAD_INFO;
	if (!(info & VMX_INFO_BASE_INVALID))
		addr += env->gpr[VMX_INFO_BASE(info)];
	if (!(info & VMX_INFO_INDEX_INVALID))
		addr += env->gpr[VMX_INFO_INDEX(info)] << VMX_INFO_SCALE(info);
	if (asize == 0)
		addr &= 0xffff;
	else if (asize == 1)
		addr &= 0xffffffffULL;
	if (env->long64) {
		if (seg == SEG_FS || seg == SEG_GS)
			addr += env->seg_base[seg];
		if (!canonical(addr))
			return seg == SEG_SS ? NESTED_OPERAND_SS
					     : NESTED_OPERAND_GP;
	} else {
		addr = (addr + env->seg_base[seg]) & 0xffffffffULL;
	}
	*gva = addr;
	return NESTED_OPERAND_OK;
}
