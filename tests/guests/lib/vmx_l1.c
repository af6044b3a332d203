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

int vmx_l1_launch_catch(bool resume)
{
	u64 rflags;
	u32 exited;

	exception_take();
	asm volatile("mov $0x6c14, %%rax\n\t"		/* HOST_RSP */
		     "vmwrite %%rsp, %%rax\n\t"
		     "lea 3f(%%rip), %%rdx\n\t"
		     "mov $0x6c16, %%rax\n\t"		/* HOST_RIP */
		     "vmwrite %%rdx, %%rax\n\t"
		     "test %%esp, %%esp\n\t"
		     "cmpb $0, %2\n\t"
		     "jne 5f\n\t"
		     ASM_SAFE("vmlaunch")
		     "jmp 6f\n"
		     "5:\n\t"
		     "vmresume\n"
		     "6:\n\t"
		     "pushfq; pop %0\n\t"
		     "movl $0, %1\n\t"
		     "jmp 4f\n"
		     "3:\n\t"
		     "movl $1, %1\n\t"
		     "xor %0, %0\n"
		     "4:\n"
		     /* An L2 that ran may change these (vmx_l1_run_l2()). */
		     : "=&b"(rflags), "=&r"(exited) : "m"(resume)
		     : "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10",
		       "r11", "cc", "memory");
	if (exited) {
		exception_take();
		return VMX_L1_EXITED;
	}
	return outcome(rflags);
}

int vmx_l1_vmlaunch_movss(void)
{
	u64 rflags;

	exception_take();
	asm volatile("test %%esp, %%esp\n\t"
		     "mov %%ss, %%ax\n\t"
		     "mov %%ax, %%ss\n\t"
		     ASM_SAFE("vmlaunch")
		     "pushfq; pop %0"
		     : "=r"(rflags) :: "rax", "cc", "memory");
	return outcome(rflags);
}

static u64 cap(u32 msr)
{
	u64 v = 0;

	rdmsr_safe(msr, &v);
	return v;
}

/* A control word: the must-be-1 bits, plus @want where allowed. */
static u64 ctl(u32 msr, u32 want)
{
	u64 c = cap(msr);

	return (u32)c | (want & (u32)(c >> 32));
}

static u16 sel(int which)
{
	u16 s = 0;

	switch (which) {
	case 0: asm volatile("mov %%es, %0" : "=r"(s)); break;
	case 1: asm volatile("mov %%cs, %0" : "=r"(s)); break;
	case 2: asm volatile("mov %%ss, %0" : "=r"(s)); break;
	case 3: asm volatile("mov %%ds, %0" : "=r"(s)); break;
	case 4: asm volatile("mov %%fs, %0" : "=r"(s)); break;
	default: asm volatile("mov %%gs, %0" : "=r"(s)); break;
	}
	return s;
}

void vmx_l1_vmcs12_setup(u64 eptp, u64 rip, u64 rsp)
{
	struct { u16 limit; u64 base; } __attribute__((packed)) gdtr, idtr;
	u64 efer = 0, cr3;

	asm volatile("sgdt %0; sidt %1" : "=m"(gdtr), "=m"(idtr));
	asm volatile("mov %%cr3, %0" : "=r"(cr3));
	rdmsr_safe(0xc0000080, &efer);
	/* Controls: pin 0x481/0x48d, proc 0x48e, proc2 0x48b, exit 0x48f, entry 0x490. */
	vmx_l1_vmwrite(0x4000, ctl(0x48d, 0x29));	/* ext-int, NMI, vNMI */
	vmx_l1_vmwrite(0x4002, ctl(0x48e, (1u << 7) | (1u << 31)));
	vmx_l1_vmwrite(VMCS_PROC2, ctl(0x48b, (1u << 1) | (1u << 5) | (1u << 7)));
	vmx_l1_vmwrite(0x400c, ctl(0x48f, (1u << 9) | (1u << 20) | (1u << 21)));
	vmx_l1_vmwrite(0x4012, ctl(0x490, (1u << 9) | (1u << 15)));
	vmx_l1_vmwrite(VMCS_VPID, 1);
	vmx_l1_vmwrite(VMCS_EPT_POINTER, eptp);
	vmx_l1_vmwrite(0x4004, 0);			/* exception bitmap */
	vmx_l1_vmwrite(0x400a, 0);			/* CR3-target count */
	vmx_l1_vmwrite(VMCS_ENTRY_MSR_LOAD_COUNT, 0);
	vmx_l1_vmwrite(VMCS_ENTRY_INTR_INFO, 0);

	/* Host: this CPU, now (HOST_RSP/RIP: vmx_l1_launch_catch()). */
	vmx_l1_vmwrite(0x6c00, vmx_l1_read_cr0());
	vmx_l1_vmwrite(0x6c02, cr3);
	vmx_l1_vmwrite(0x6c04, vmx_l1_read_cr4());
	for (int i = 0; i < 6; i++)
		vmx_l1_vmwrite(0x0c00 + 2 * i, sel(i) & ~7);
	/* Our loader leaves TR at 0; a host TR must not be: any TSS slot. */
	vmx_l1_vmwrite(0x0c0c, 0x18);
	vmx_l1_vmwrite(0x6c06, 0);			/* FS base */
	vmx_l1_vmwrite(0x6c08, 0);			/* GS base */
	vmx_l1_vmwrite(0x6c0a, 0);			/* TR base */
	vmx_l1_vmwrite(0x6c0c, gdtr.base);
	vmx_l1_vmwrite(0x6c0e, idtr.base);
	vmx_l1_vmwrite(0x2c02, efer);

	/* Guest: a 64-bit copy of us. */
	vmx_l1_vmwrite(0x6800, vmx_l1_read_cr0());
	vmx_l1_vmwrite(0x6802, cr3);
	vmx_l1_vmwrite(0x6804, vmx_l1_read_cr4());
	vmx_l1_vmwrite(0x2806, efer);
	vmx_l1_vmwrite(0x681a, 0x400);			/* DR7 */
	for (int i = 0; i < 6; i++) {
		bool cs = i == 1;

		vmx_l1_vmwrite(0x0800 + 2 * i, sel(i) & ~7);
		vmx_l1_vmwrite(0x6806 + 2 * i, 0);	/* base */
		vmx_l1_vmwrite(0x4800 + 2 * i, 0xffffffff);
		vmx_l1_vmwrite(0x4814 + 2 * i, cs ? 0xa09b : 0xc093);
	}
	vmx_l1_vmwrite(0x080c, 0);			/* LDTR: unusable */
	vmx_l1_vmwrite(0x4820, 0x10000);
	vmx_l1_vmwrite(0x080e, 0x18);			/* TR */
	vmx_l1_vmwrite(0x6814, 0);
	vmx_l1_vmwrite(0x480e, 0x67);
	vmx_l1_vmwrite(0x4822, 0x8b);
	vmx_l1_vmwrite(0x6816, gdtr.base);
	vmx_l1_vmwrite(0x4810, gdtr.limit);
	vmx_l1_vmwrite(0x6818, idtr.base);
	vmx_l1_vmwrite(0x4812, idtr.limit);
	vmx_l1_vmwrite(VMCS_GUEST_RIP, rip);
	vmx_l1_vmwrite(VMCS_GUEST_RSP, rsp);
	vmx_l1_vmwrite(VMCS_GUEST_RFLAGS, 2);
	vmx_l1_vmwrite(0x4824, 0);			/* interruptibility */
	vmx_l1_vmwrite(0x4826, 0);			/* activity: active */
	vmx_l1_vmwrite(0x6822, 0);			/* pending debug */
	vmx_l1_vmwrite(VMCS_LINK_POINTER, ~0ULL);
}

int vmx_l1_run_l2(bool resume)
{
	/* The same entry; an exception on VMLAUNCH is caught, not fatal. */
	return vmx_l1_launch_catch(resume);
}

void vmx_l1_exit_info(struct vmx_l1_exit *e)
{
	vmx_l1_vmread(VMCS_EXIT_REASON, &e->reason);
	vmx_l1_vmread(VMCS_EXIT_QUAL, &e->qual);
	vmx_l1_vmread(0x2400, &e->gpa);		/* GUEST_PHYSICAL_ADDRESS */
	vmx_l1_vmread(0x640a, &e->gla);		/* GUEST_LINEAR_ADDRESS */
	vmx_l1_vmread(VMCS_GUEST_RIP, &e->rip);
	vmx_l1_vmread(0x440c, &e->len);		/* VM_EXIT_INSTRUCTION_LEN */
}

void vmx_l1_skip_l2_insn(void)
{
	u64 rip = 0, len = 0;

	vmx_l1_vmread(VMCS_GUEST_RIP, &rip);
	vmx_l1_vmread(0x440c, &len);
	vmx_l1_vmwrite(VMCS_GUEST_RIP, rip + len);
}

bool vmx_l1_fail_valid(int r, u32 err)
{
	u32 got;

	if (r != VMX_L1_FAIL_VALID) {
		ktap_diag("outcome %#x, wanted VMfailValid(%u)", r, err);
		return false;
	}
	got = vmx_l1_insn_error();
	if (got != err)
		ktap_diag("VM-instruction error %u, wanted %u", got, err);
	return got == err;
}
