/* SPDX-License-Identifier: MIT */
/*
 * VMX instruction wrappers and architectural VMX constants.
 *
 * Every VMX instruction reports failure through RFLAGS: CF=1 is VMfailInvalid
 * (no current VMCS, or a bad operand), ZF=1 is VMfailValid (the reason is in
 * the VM-instruction error field of the current VMCS). The wrappers return
 * VMX_OK / VMX_FAIL_INVALID / VMX_FAIL_VALID so callers can tell the two
 * apart and decode the error by name (vmm/vmx/vmx_names.c).
 *
 * VMLAUNCH/VMRESUME are not wrapped here: entering a guest has to save and
 * restore every general-purpose register, so it lives in one assembly
 * routine (vmm/vmx/vmx_entry.c).
 */
#ifndef ARCH_X86_VMX_H
#define ARCH_X86_VMX_H

#include "kernel/compiler.h"

/* Capability MSRs (SDM Vol. 3, Appendix A). */
#define MSR_IA32_VMX_BASIC		0x480
#define MSR_IA32_VMX_PINBASED_CTLS	0x481
#define MSR_IA32_VMX_PROCBASED_CTLS	0x482
#define MSR_IA32_VMX_EXIT_CTLS		0x483
#define MSR_IA32_VMX_ENTRY_CTLS		0x484
#define MSR_IA32_VMX_MISC		0x485
#define MSR_IA32_VMX_CR0_FIXED0		0x486
#define MSR_IA32_VMX_CR0_FIXED1		0x487
#define MSR_IA32_VMX_CR4_FIXED0		0x488
#define MSR_IA32_VMX_CR4_FIXED1		0x489
#define MSR_IA32_VMX_VMCS_ENUM		0x48a
#define MSR_IA32_VMX_PROCBASED_CTLS2	0x48b
#define MSR_IA32_VMX_EPT_VPID_CAP	0x48c
#define MSR_IA32_VMX_TRUE_PINBASED_CTLS	0x48d
#define MSR_IA32_VMX_TRUE_PROCBASED_CTLS 0x48e
#define MSR_IA32_VMX_TRUE_EXIT_CTLS	0x48f
#define MSR_IA32_VMX_TRUE_ENTRY_CTLS	0x490
#define MSR_IA32_VMX_VMFUNC		0x491

#define MSR_IA32_SYSENTER_CS		0x174
#define MSR_IA32_SYSENTER_ESP		0x175
#define MSR_IA32_SYSENTER_EIP		0x176
#define MSR_IA32_PAT			0x277
#define MSR_IA32_DEBUGCTL		0x1d9

/* IA32_FEATURE_CONTROL */
#define FEAT_CTL_LOCKED			BIT(0)
#define FEAT_CTL_VMX_INSIDE_SMX		BIT(1)
#define FEAT_CTL_VMX_OUTSIDE_SMX	BIT(2)

/* CPUID.1:ECX */
#define CPUID_1_ECX_VMX			BIT(5)
#define CPUID_1_ECX_HYPERVISOR		BIT(31)

/* IA32_VMX_BASIC */
#define VMX_BASIC_REVISION_MASK		0x7fffffffULL
#define VMX_BASIC_VMCS_SIZE(b)		(((b) >> 32) & 0x1fff)
#define VMX_BASIC_MEMTYPE_WB		(6ULL << 50)
#define VMX_BASIC_INOUT			BIT(54)
#define VMX_BASIC_TRUE_CTLS		BIT(55)

/* Pin-based VM-execution controls */
#define PIN_EXT_INTR_EXITING		BIT(0)
#define PIN_NMI_EXITING			BIT(3)
#define PIN_VIRTUAL_NMIS		BIT(5)
#define PIN_PREEMPTION_TIMER		BIT(6)

/* Primary processor-based VM-execution controls */
#define CPU_INTR_WINDOW_EXITING		BIT(2)
#define CPU_USE_TSC_OFFSETTING		BIT(3)
#define CPU_HLT_EXITING			BIT(7)
#define CPU_INVLPG_EXITING		BIT(9)
#define CPU_MWAIT_EXITING		BIT(10)
#define CPU_RDPMC_EXITING		BIT(11)
#define CPU_RDTSC_EXITING		BIT(12)
#define CPU_CR3_LOAD_EXITING		BIT(15)
#define CPU_CR3_STORE_EXITING		BIT(16)
#define CPU_CR8_LOAD_EXITING		BIT(19)
#define CPU_CR8_STORE_EXITING		BIT(20)
#define CPU_NMI_WINDOW_EXITING		BIT(22)
#define CPU_MOV_DR_EXITING		BIT(23)
#define CPU_UNCOND_IO_EXITING		BIT(24)
#define CPU_USE_IO_BITMAPS		BIT(25)
#define CPU_MONITOR_TRAP_FLAG		BIT(27)
#define CPU_USE_MSR_BITMAPS		BIT(28)
#define CPU_MONITOR_EXITING		BIT(29)
#define CPU_PAUSE_EXITING		BIT(30)
#define CPU_SECONDARY_CONTROLS		BIT(31)

/* Secondary processor-based VM-execution controls */
#define CPU2_VIRT_APIC_ACCESSES		BIT(0)
#define CPU2_ENABLE_EPT			BIT(1)
#define CPU2_DESC_TABLE_EXITING		BIT(2)
#define CPU2_ENABLE_RDTSCP		BIT(3)
#define CPU2_ENABLE_VPID		BIT(5)
#define CPU2_WBINVD_EXITING		BIT(6)
#define CPU2_UNRESTRICTED_GUEST		BIT(7)
#define CPU2_ENABLE_INVPCID		BIT(12)
#define CPU2_ENABLE_VMFUNC		BIT(13)
#define CPU2_ENABLE_PML			BIT(17)
#define CPU2_ENABLE_XSAVES		BIT(20)

/* VM-exit controls */
#define EXIT_SAVE_DEBUG_CONTROLS	BIT(2)
#define EXIT_HOST_ADDR_SPACE_SIZE	BIT(9)
#define EXIT_ACK_INTR_ON_EXIT		BIT(15)
#define EXIT_SAVE_PAT			BIT(18)
#define EXIT_LOAD_PAT			BIT(19)
#define EXIT_SAVE_EFER			BIT(20)
#define EXIT_LOAD_EFER			BIT(21)
#define EXIT_SAVE_PREEMPTION_TIMER	BIT(22)

/* VM-entry controls */
#define ENTRY_LOAD_DEBUG_CONTROLS	BIT(2)
#define ENTRY_IA32E_MODE_GUEST		BIT(9)
#define ENTRY_LOAD_PAT			BIT(14)
#define ENTRY_LOAD_EFER			BIT(15)

/* IA32_VMX_EPT_VPID_CAP */
#define EPT_CAP_EXEC_ONLY		BIT(0)
#define EPT_CAP_PWL4			BIT(6)
#define EPT_CAP_MEMTYPE_UC		BIT(8)
#define EPT_CAP_MEMTYPE_WB		BIT(14)
#define EPT_CAP_2M_PAGE			BIT(16)
#define EPT_CAP_1G_PAGE			BIT(17)
#define EPT_CAP_INVEPT			BIT(20)
#define EPT_CAP_AD_BITS			BIT(21)
#define EPT_CAP_INVEPT_SINGLE		BIT(25)
#define EPT_CAP_INVEPT_ALL		BIT(26)
#define VPID_CAP_INVVPID		BIT(32)
#define VPID_CAP_INVVPID_ADDR		BIT(40)
#define VPID_CAP_INVVPID_SINGLE		BIT(41)
#define VPID_CAP_INVVPID_ALL		BIT(42)

/* IA32_VMX_MISC */
#define VMX_MISC_PREEMPT_RATE(m)	((m) & 0x1f)
#define VMX_MISC_UG_HLT_STATE		BIT(6)

/* EPT pointer */
#define EPTP_MEMTYPE_WB			6ULL
#define EPTP_PWL4			(3ULL << 3)
#define EPTP_AD_ENABLE			BIT(6)

/* Interruption information (VM-entry and VM-exit) */
#define INTR_INFO_VECTOR_MASK		0xffU
#define INTR_TYPE_EXT_INTR		(0U << 8)
#define INTR_TYPE_NMI			(2U << 8)
#define INTR_TYPE_HW_EXCEPTION		(3U << 8)
#define INTR_TYPE_SW_INTR		(4U << 8)
#define INTR_TYPE_SW_EXCEPTION		(6U << 8)
#define INTR_TYPE_MASK			(7U << 8)
#define INTR_INFO_DELIVER_CODE		BIT(11)
#define INTR_INFO_VALID			BIT(31)

/* Guest interruptibility state */
#define GUEST_INTR_STI_BLOCKING		BIT(0)
#define GUEST_INTR_MOVSS_BLOCKING	BIT(1)
#define GUEST_INTR_NMI_BLOCKING		BIT(3)

/* Guest activity state */
#define GUEST_ACTIVITY_ACTIVE		0
#define GUEST_ACTIVITY_HLT		1

/* Exit reason: bit 31 = VM-entry failure; low 16 bits = basic reason. */
#define VMX_EXIT_REASON_BASIC(r)	((r) & 0xffff)
#define VMX_EXIT_REASON_ENTRY_FAIL	BIT(31)

/* INVEPT / INVVPID types */
#define INVEPT_SINGLE_CONTEXT		1
#define INVEPT_ALL_CONTEXT		2
#define INVVPID_ADDR			0
#define INVVPID_SINGLE_CONTEXT		1
#define INVVPID_ALL_CONTEXT		2

enum vmx_result {
	VMX_OK = 0,
	VMX_FAIL_INVALID = 1,	/* CF: no current VMCS / bad pointer */
	VMX_FAIL_VALID = 2,	/* ZF: see VM_INSTRUCTION_ERROR */
};

/*
 * Turn the CF/ZF pair left by a VMX instruction into a vmx_result.
 * "seta" is the only flag test that is true for CF=0 and ZF=0 at once, so
 * success is read first and the failure kind only on the slow path.
 */
#define __vmx_flags_result(cf, zf) \
	((cf) ? VMX_FAIL_INVALID : (zf) ? VMX_FAIL_VALID : VMX_OK)

static inline enum vmx_result vmxon(phys_addr_t region)
{
	bool cf, zf;

	__asm__ __volatile__("vmxon %2"
			     : "=@ccc"(cf), "=@ccz"(zf)
			     : "m"(region) : "memory");
	return __vmx_flags_result(cf, zf);
}

static inline void vmxoff(void)
{
	__asm__ __volatile__("vmxoff" ::: "cc", "memory");
}

static inline enum vmx_result vmclear(phys_addr_t vmcs)
{
	bool cf, zf;

	__asm__ __volatile__("vmclear %2"
			     : "=@ccc"(cf), "=@ccz"(zf)
			     : "m"(vmcs) : "memory");
	return __vmx_flags_result(cf, zf);
}

static inline enum vmx_result vmptrld(phys_addr_t vmcs)
{
	bool cf, zf;

	__asm__ __volatile__("vmptrld %2"
			     : "=@ccc"(cf), "=@ccz"(zf)
			     : "m"(vmcs) : "memory");
	return __vmx_flags_result(cf, zf);
}

static inline phys_addr_t vmptrst(void)
{
	phys_addr_t pa;

	__asm__ __volatile__("vmptrst %0" : "=m"(pa) : : "memory");
	return pa;
}

/*
 * VMREAD/VMWRITE of a field that exists in the current VMCS cannot fail,
 * and the hot exit path reads several fields, so these two skip the flag
 * check. vmread_checked()/vmwrite_checked() are for setup code.
 */
static inline u64 vmread(u64 field)
{
	u64 v;

	__asm__ __volatile__("vmread %1, %0" : "=r"(v) : "r"(field) : "cc");
	return v;
}

static inline void vmwrite(u64 field, u64 v)
{
	__asm__ __volatile__("vmwrite %1, %0" : : "r"(field), "rm"(v)
			     : "cc", "memory");
}

static inline enum vmx_result vmread_checked(u64 field, u64 *v)
{
	bool cf, zf;

	__asm__ __volatile__("vmread %3, %2"
			     : "=@ccc"(cf), "=@ccz"(zf), "=r"(*v)
			     : "r"(field));
	return __vmx_flags_result(cf, zf);
}

static inline enum vmx_result vmwrite_checked(u64 field, u64 v)
{
	bool cf, zf;

	__asm__ __volatile__("vmwrite %3, %2"
			     : "=@ccc"(cf), "=@ccz"(zf)
			     : "r"(field), "rm"(v) : "memory");
	return __vmx_flags_result(cf, zf);
}

static inline enum vmx_result invept(u64 type, u64 eptp)
{
	struct { u64 eptp, rsvd; } desc = { eptp, 0 };
	bool cf, zf;

	__asm__ __volatile__("invept %2, %3"
			     : "=@ccc"(cf), "=@ccz"(zf)
			     : "m"(desc), "r"(type) : "memory");
	return __vmx_flags_result(cf, zf);
}

static inline enum vmx_result invvpid(u64 type, u16 vpid, u64 gva)
{
	struct { u64 vpid, gva; } desc = { vpid, gva };
	bool cf, zf;

	__asm__ __volatile__("invvpid %2, %3"
			     : "=@ccc"(cf), "=@ccz"(zf)
			     : "m"(desc), "r"(type) : "memory");
	return __vmx_flags_result(cf, zf);
}

/* Descriptor-table registers, needed for the VMCS host-state area. */
struct __packed x86_dtr {
	u16 limit;
	u64 base;
};

static inline void store_gdt(struct x86_dtr *d)
{
	__asm__ __volatile__("sgdt %0" : "=m"(*d));
}

static inline void store_idt(struct x86_dtr *d)
{
	__asm__ __volatile__("sidt %0" : "=m"(*d));
}

static inline u16 store_tr(void)
{
	u16 sel;

	__asm__ __volatile__("str %0" : "=r"(sel));
	return sel;
}

#define DEFINE_SEG_READER(seg)						\
static inline u16 read_##seg(void)					\
{									\
	u16 sel;							\
	__asm__ __volatile__("mov %%" #seg ", %0" : "=r"(sel));		\
	return sel;							\
}
DEFINE_SEG_READER(cs)
DEFINE_SEG_READER(ss)
DEFINE_SEG_READER(ds)
DEFINE_SEG_READER(es)
DEFINE_SEG_READER(fs)
DEFINE_SEG_READER(gs)
#undef DEFINE_SEG_READER

#endif
