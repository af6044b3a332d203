/* SPDX-License-Identifier: MIT */
/*
 * What nested VMX offers L1: the IA32_VMX_* capability MSRs L1 reads,
 * computed once from the host's own capabilities (struct vmx_caps)
 * masked to what vmm/nested/ emulates, and whether the host can offer
 * nested VMX at all.
 *
 * The MSRs are one X-macro list (NESTED_VMX_MSRS) of (MSR, member): it
 * generates struct nested_vmx_msrs and the read-only lookup
 * nested_vmx_msr_get(). An L1 that reads a capability MSR sees exactly
 * what L0 will accept in its VMCS12; an allowed-1 bit we do not emulate
 * is clear, an allowed-0 bit the SDM calls "default1" is set.
 *
 * Portable: no hardware access (tests/host/test_nested_vmx.c).
 */
#ifndef VMM_NESTED_NESTED_CAPS_H
#define VMM_NESTED_NESTED_CAPS_H

#include "kernel/compiler.h"

struct vmx_caps;

#define NESTED_VMX_MSRS(X)						\
	X(0x480, basic)							\
	X(0x481, pinbased_ctls)						\
	X(0x482, procbased_ctls)					\
	X(0x483, exit_ctls)						\
	X(0x484, entry_ctls)						\
	X(0x485, misc)							\
	X(0x486, cr0_fixed0)						\
	X(0x487, cr0_fixed1)						\
	X(0x488, cr4_fixed0)						\
	X(0x489, cr4_fixed1)						\
	X(0x48a, vmcs_enum)						\
	X(0x48b, procbased_ctls2)					\
	X(0x48c, ept_vpid_cap)						\
	X(0x48d, true_pinbased_ctls)					\
	X(0x48e, true_procbased_ctls)					\
	X(0x48f, true_exit_ctls)					\
	X(0x490, true_entry_ctls)

struct nested_vmx_msrs {
#define NESTED_VMX_MSR_MEMBER(msr, member) u64 member;
	NESTED_VMX_MSRS(NESTED_VMX_MSR_MEMBER)
#undef NESTED_VMX_MSR_MEMBER
};

/*
 * The default1 controls (SDM A.2): set in the legacy MSRs' allowed-0
 * halves; the TRUE_* MSRs let the ones noted be cleared.
 */
#define NESTED_PIN_DEFAULT1	0x00000016U
#define NESTED_PROC_DEFAULT1	0x0401e172U
#define NESTED_EXIT_DEFAULT1	0x00036dffU
#define NESTED_ENTRY_DEFAULT1	0x000011ffU
/* TRUE_*: CR3-load/store exiting, save/load debug controls may be 0. */
#define NESTED_PROC_TRUE_DEFAULT1	(NESTED_PROC_DEFAULT1 & ~0x18000U)
#define NESTED_EXIT_TRUE_DEFAULT1	(NESTED_EXIT_DEFAULT1 & ~0x4U)
#define NESTED_ENTRY_TRUE_DEFAULT1	(NESTED_ENTRY_DEFAULT1 & ~0x4U)

/*
 * Fill @m from the host's capabilities @host; @cr4_allowed is the CR4
 * bits L1 may set outside VMX (vcpu_cr4_guest_allowed()), to which
 * CR4_FIXED1 adds VMXE. @max_field_index is IA32_VMX_VMCS_ENUM's.
 */
void nested_vmx_setup_msrs(const struct vmx_caps *host, u64 cr4_allowed,
			   unsigned int max_field_index,
			   struct nested_vmx_msrs *m);

/* RDMSR of a VMX capability MSR: false when @msr is not one. */
bool nested_vmx_msr_get(const struct nested_vmx_msrs *m, u32 msr, u64 *val);

/*
 * Can the host offer nested VMX? NULL when it can, else the first thing
 * missing, by name (vmx_caps decides what L0 itself requires; nested
 * needs a few more).
 */
const char *nested_vmx_host_lacks(const struct vmx_caps *host);

/* A control word's allowed settings: fixed-1 bits in low, may-be-1 high. */
static inline bool nested_ctl_ok(u64 msr, u32 val)
{
	u32 must = (u32)msr, may = (u32)(msr >> 32);

	return (val & must) == must && !(val & ~may);
}

#endif
