// SPDX-License-Identifier: MIT
/* The L1-side VMX helpers (vmx_l1.h). */
#include "tests/guests/lib/vmx_l1.h"

#define RFLAGS_CF	(1ULL << 0)
#define RFLAGS_ZF	(1ULL << 6)

/* The outcome from the vector taken (or -1) and the flags after. */
static int outcome(u64 rflags)
{
	int vec = exception_take();

	if (vec >= 0)
		return VMX_L1_EXC(vec);
	if (rflags & RFLAGS_CF)
		return VMX_L1_FAIL_INVALID;
	if (rflags & RFLAGS_ZF)
		return VMX_L1_FAIL_VALID;
	return VMX_L1_SUCCEED;
}

/*
 * Each sets CF and ZF to 0 first (a faulting instruction leaves the
 * flags as they were) and reads them right after the instruction.
 */
#define VMX_PTR_INSN(name, insn)					\
int vmx_l1_##name(u64 pa)						\
{									\
	u64 rflags;							\
									\
	exception_take();						\
	asm volatile("test %%esp, %%esp\n"				\
		     ASM_SAFE(insn " %1")				\
		     "pushfq; pop %0"					\
		     : "=r"(rflags) : "m"(pa) : "cc", "memory");	\
	return outcome(rflags);						\
}
VMX_PTR_INSN(vmxon, "vmxon")
VMX_PTR_INSN(vmclear, "vmclear")
VMX_PTR_INSN(vmptrld, "vmptrld")

int vmx_l1_vmptrld_at(const u64 *operand)
{
	u64 rflags;

	exception_take();
	asm volatile("test %%esp, %%esp\n"
		     ASM_SAFE("vmptrld (%1)")
		     "pushfq; pop %0"
		     : "=r"(rflags) : "r"(operand) : "cc", "memory");
	return outcome(rflags);
}

int vmx_l1_vmptrst(u64 *pa)
{
	u64 rflags;

	exception_take();
	asm volatile("test %%esp, %%esp\n"
		     ASM_SAFE("vmptrst %1")
		     "pushfq; pop %0"
		     : "=r"(rflags), "=m"(*pa) :: "cc", "memory");
	return outcome(rflags);
}

#define VMX_NOARG_INSN(name, insn)					\
int vmx_l1_##name(void)							\
{									\
	u64 rflags;							\
									\
	exception_take();						\
	asm volatile("test %%esp, %%esp\n"				\
		     ASM_SAFE(insn)					\
		     "pushfq; pop %0"					\
		     : "=r"(rflags) :: "cc", "memory");			\
	return outcome(rflags);						\
}
VMX_NOARG_INSN(vmxoff, "vmxoff")
VMX_NOARG_INSN(vmlaunch, "vmlaunch")
VMX_NOARG_INSN(vmresume, "vmresume")

int vmx_l1_vmread(u64 field, u64 *val)
{
	u64 rflags, v = 0;

	exception_take();
	asm volatile("test %%esp, %%esp\n"
		     ASM_SAFE("vmread %2, %1")
		     "pushfq; pop %0"
		     : "=r"(rflags), "+r"(v) : "r"(field) : "cc", "memory");
	*val = v;
	return outcome(rflags);
}

int vmx_l1_vmread_m(u64 field, u64 *val)
{
	u64 rflags;

	exception_take();
	asm volatile("test %%esp, %%esp\n"
		     ASM_SAFE("vmread %2, %1")
		     "pushfq; pop %0"
		     : "=r"(rflags), "=m"(*val) : "r"(field) : "cc", "memory");
	return outcome(rflags);
}

int vmx_l1_vmwrite(u64 field, u64 val)
{
	u64 rflags;

	exception_take();
	asm volatile("test %%esp, %%esp\n"
		     ASM_SAFE("vmwrite %1, %2")
		     "pushfq; pop %0"
		     : "=r"(rflags) : "r"(val), "r"(field) : "cc", "memory");
	return outcome(rflags);
}

int vmx_l1_vmwrite_m(u64 field, const u64 *val)
{
	u64 rflags;

	exception_take();
	asm volatile("test %%esp, %%esp\n"
		     ASM_SAFE("vmwrite %1, %2")
		     "pushfq; pop %0"
		     : "=r"(rflags) : "m"(*val), "r"(field) : "cc", "memory");
	return outcome(rflags);
}

int vmx_l1_invept(u64 type, u64 eptp)
{
	u64 desc[2] = { eptp, 0 }, rflags;

	exception_take();
	asm volatile("test %%esp, %%esp\n"
		     ASM_SAFE("invept %1, %2")
		     "pushfq; pop %0"
		     : "=r"(rflags) : "m"(desc), "r"(type) : "cc", "memory");
	return outcome(rflags);
}

int vmx_l1_invvpid(u64 type, u16 vpid, u64 gva)
{
	u64 desc[2] = { vpid, gva }, rflags;

	exception_take();
	asm volatile("test %%esp, %%esp\n"
		     ASM_SAFE("invvpid %1, %2")
		     "pushfq; pop %0"
		     : "=r"(rflags) : "m"(desc), "r"(type) : "cc", "memory");
	return outcome(rflags);
}

u32 vmx_l1_insn_error(void)
{
	u64 v = 0;

	return vmx_l1_vmread(VMCS_VM_INSN_ERROR, &v) == VMX_L1_SUCCEED ? (u32)v : 0;
}

bool vmx_l1_cpuid_vmx(void)
{
	u32 a, b, c, d;

	cpuid(1, 0, &a, &b, &c, &d);
	return c & (1u << 5);
}

u32 vmx_l1_revision(void)
{
	u64 v = 0;

	return rdmsr_safe(MSR_VMX_BASIC, &v) == -1 ? (u32)v & 0x7fffffff : 0;
}

int vmx_l1_write_cr4(u64 val)
{
	exception_take();
	asm volatile(ASM_SAFE("mov %0, %%cr4") :: "r"(val) : "memory");
	return exception_take();
}

int vmx_l1_write_cr0(u64 val)
{
	exception_take();
	asm volatile(ASM_SAFE("mov %0, %%cr0") :: "r"(val) : "memory");
	return exception_take();
}

u64 vmx_l1_read_cr4(void)
{
	u64 v;

	asm volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}

u64 vmx_l1_read_cr0(void)
{
	u64 v;

	asm volatile("mov %%cr0, %0" : "=r"(v));
	return v;
}
