// SPDX-License-Identifier: MIT
/*
 * CPUID: the host's answers, filtered so the guest sees only what it
 * really gets (no VMX unless nested=1 offers it, no MONITOR/MWAIT, no XSAVE, no PMU; the emulated
 * local APIC with x2APIC and the TSC-deadline timer, its APIC bit
 * following IA32_APIC_BASE.EN as on hardware), with the hypervisor bit set, and our hypervisor leaves
 * at 0x40000000 (signature "MicroHVMicro", see hv_abi.h) and KVM's at
 * 0x40000100 (the async-PF features).
 */
#include "vmm/exit_codes.h"
#include "vmm/exit_handlers.h"
#include "vmm/vcpu.h"
#include "vmm/vcpu_nested.h"
#include "vmm/vmx/vmcs_fields.h"
#include "arch/x86/cpu.h"
#include "arch/x86/lapic.h"
#include "arch/x86/vmx.h"
#include "include/uapi/hv_abi.h"


/* CPUID.1:ECX / EDX bits hidden from guests. */
#define C1_ECX_MONITOR		BIT(3)
#define C1_ECX_SMX		BIT(6)
#define C1_ECX_X2APIC		BIT(21)
#define C1_ECX_TSC_DEADLINE	BIT(24)
#define C1_ECX_XSAVE		BIT(26)
#define C1_ECX_OSXSAVE		BIT(27)
#define C1_EDX_APIC		BIT(9)
/*
 * Host features with MSRs or machinery we do not emulate: debug store,
 * thermal and power control, xTPR, the PMU's capabilities MSR, machine
 * checks (MCG_*, the MC banks).
 */
#define C1_ECX_HIDDEN_MISC	(BIT(2) | BIT(4) | BIT(7) | BIT(8) |	\
				 BIT(14) | BIT(15))
#define C1_EDX_HIDDEN_MISC	(BIT(7) | BIT(14) | BIT(21) | BIT(22) |	\
				 BIT(29) | BIT(31))
/* Leaf 6: only "APIC timer always running" (ARAT) is true of ours. */
#define C6_EAX_ARAT		BIT(2)
/* CPUID.7.0:EBX/ECX bits that need XSAVE state or nested features. */
#define C7_EBX_AVX2		BIT(5)
#define C7_EBX_AVX512F		BIT(16)
#define C7_ECX_WAITPKG		BIT(5)

/* X(leaf, register, bits cleared, bits set): applied in order. */
#define CPUID_FILTERS(X)						\
	X(1, ecx, CPUID_1_ECX_VMX | C1_ECX_SMX | C1_ECX_MONITOR |	\
		  C1_ECX_XSAVE | C1_ECX_OSXSAVE | C1_ECX_HIDDEN_MISC,	\
		  CPUID_1_ECX_HYPERVISOR | C1_ECX_X2APIC |		\
		  C1_ECX_TSC_DEADLINE)					\
	X(1, edx, C1_EDX_APIC | C1_EDX_HIDDEN_MISC, 0)			\
	X(6, eax, ~0U, C6_EAX_ARAT) X(6, ebx, ~0U, 0)			\
	X(6, ecx, ~0U, 0) X(6, edx, ~0U, 0)				\
	X(5, eax, ~0U, 0) X(5, ebx, ~0U, 0)				\
	X(5, ecx, ~0U, 0) X(5, edx, ~0U, 0)				\
	X(7, ebx, C7_EBX_AVX2 | C7_EBX_AVX512F, 0)			\
	X(7, ecx, C7_ECX_WAITPKG, 0)					\
	X(0xa, eax, ~0U, 0) X(0xa, ebx, ~0U, 0)				\
	X(0xa, ecx, ~0U, 0) X(0xa, edx, ~0U, 0)				\
	X(0xd, eax, ~0U, 0) X(0xd, ebx, ~0U, 0)				\
	X(0xd, ecx, ~0U, 0) X(0xd, edx, ~0U, 0)

struct cpuid_regs {
	u32 eax, ebx, ecx, edx;
};

static void cpuid_filter(struct cpuid_regs *r, u32 leaf)
{
#define CPUID_FILTER(l, reg, clear, set)				\
	if (leaf == (l))						\
		r->reg = (r->reg & ~(u32)(clear)) | (u32)(set);
	CPUID_FILTERS(CPUID_FILTER)
#undef CPUID_FILTER
}

/*
 * Our leaves at 0x40000000, and the same features again at 0x40000100
 * under KVM's signature, where a Linux guest finds them. Feature EAX:
 * KVM's bit numbers; async PF (as an interrupt) unless apf=0.
 */
static void cpuid_hv_leaf(struct vcpu *v, struct cpuid_regs *r, u32 leaf)
{
	u32 base = leaf & ~0xffU;
	const char *sig = base == HV_CPUID_KVM_LEAF ? HV_CPUID_KVM_SIGNATURE :
			  HV_CPUID_SIGNATURE;

	*r = (struct cpuid_regs){ 0 };
	if (base != HV_CPUID_LEAF && base != HV_CPUID_KVM_LEAF)
		return;
	if (leaf == base + 1) {
		if (v->guest->apf)
			r->eax = HV_FEATURE_ASYNC_PF | HV_FEATURE_ASYNC_PF_INT;
		return;
	}
	if (leaf == HV_CPUID_TIMING) {
		r->eax = (u32)(tsc_hz() / 1000);
		r->ebx = r->eax;
		return;
	}
	if (leaf != base)
		return;
	r->eax = base == HV_CPUID_LEAF ? HV_CPUID_TIMING : base + 1;
	__builtin_memcpy(&r->ebx, sig, 4);
	__builtin_memcpy(&r->ecx, sig + 4, 4);
	__builtin_memcpy(&r->edx, sig + 8, 4);
}

/*
 * Leaf 0xB, the x2APIC topology: one thread per core, all vCPUs cores of
 * one package, EDX the vCPU's x2APIC id (its index).
 */
static void cpuid_topology(struct vcpu *v, u32 subleaf, struct cpuid_regs *r)
{
	unsigned int n = v->guest->nr_vcpus, shift = 0;

	while ((1U << shift) < n)
		shift++;
	*r = (struct cpuid_regs){ .ecx = subleaf & 0xff, .edx = v->index };
	if (subleaf == 0) {		/* SMT: one thread */
		r->ebx = 1;
		r->ecx |= 1 << 8;
	} else if (subleaf == 1) {	/* core: every vCPU */
		r->eax = shift;
		r->ebx = n;
		r->ecx |= 2 << 8;
	}
}

int handle_cpuid(struct vcpu *v)
{
	u32 leaf = (u32)v->regs.rax, subleaf = (u32)v->regs.rcx;
	struct cpuid_regs r;

	if ((leaf & 0xffff0000U) == HV_CPUID_LEAF) {
		cpuid_hv_leaf(v, &r, leaf);
	} else {
		cpuid_count(leaf, subleaf, &r.eax, &r.ebx, &r.ecx, &r.edx);
		cpuid_filter(&r, leaf);
		if (leaf == 1) {
			/* Initial APIC id = vCPU index; logical CPU count. */
			r.ebx = (r.ebx & 0x0000ffffU) | (v->index << 24) |
				((v->guest->nr_vcpus & 0xff) << 16);
			if (lapic_mode(&v->lapic) != LAPIC_MODE_DISABLED)
				r.edx |= C1_EDX_APIC;
			/* nested=1, where the host has what nested needs. */
			if (vcpu_nested_vmx_offered(v))
				r.ecx |= CPUID_1_ECX_VMX;
		} else if (leaf == 0xb) {
			cpuid_topology(v, subleaf, &r);
		}
	}
	v->regs.rax = r.eax;
	v->regs.rbx = r.ebx;
	v->regs.rcx = r.ecx;
	v->regs.rdx = r.edx;
	/* CPUID is two bytes: no VMREAD of the instruction length. */
	vmwrite(GUEST_RIP, vmread(GUEST_RIP) + 2);
	return VCPU_RESUME;
}
