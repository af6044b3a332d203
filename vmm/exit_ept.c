// SPDX-License-Identifier: MIT
/*
 * EPT violations: the whole path from the exit to the MMU and back. The
 * access the guest tried becomes a struct kvm_page_fault handed to the
 * vCPU's MMU context. An access outside every memslot is MMIO, emulated on
 * the device bus (vmm/exit_mmio.c); one the MMU refuses (above the
 * physical address width, a write to read-only memory, no host memory)
 * kills that guest with a message naming the GPA. Other guests go on.
 */
#include "vmm/guest_report.h"
#include "vmm/exit_codes.h"
#include "vmm/exit_handlers.h"
#include "vmm/exit_mmio.h"
#include "vmm/vcpu_apf.h"
#include "vmm/tdp_kernel.h"
#include "vmm/vcpu_nested.h"
#include "vmm/vmx/vmcs_fields.h"
#include "vmm/mmu/tdp_mmu.h"
#include "vmm/mmu/shadow_ept.h"
#include "arch/x86/vmx.h"
#include "kernel/log.h"

/* Exit qualification bits 0-2: the access was a read, write, fetch. */
#define EPT_QUAL_ACCESS		0x7ULL

static int ept_violation_kill(struct vcpu *v, u64 gpa, u64 qual, int r)
{
	char why[128];
	const char *what;

	switch (r) {
	case -ENOMEM:
		what = "and the host is out of memory";
		break;
	case -ERANGE:
		what = "above the guest physical address width";
		break;
	case -EFAULT:
		what = "not allowed (a write to read-only memory)";
		break;
	default:
		what = "failed";
		break;
	}
	ksnprintf(why, sizeof(why),
		  "EPT violation at gpa %#llx (qual %#llx, %s%s%s) %s",
		  (unsigned long long)gpa, (unsigned long long)qual,
		  qual & 1 ? "R" : "", qual & 2 ? "W" : "", qual & 4 ? "X" : "",
		  what);
	guest_kill(v->guest, why);
	return VCPU_STOP;
}

int handle_ept_violation(struct vcpu *v)
{
	u64 gpa = vmread(GUEST_PHYSICAL_ADDRESS);
	u64 qual = vmread(EXIT_QUALIFICATION);
	struct kvm_page_fault fault;
	u64 access = qual & EPT_QUAL_ACCESS;
	int r;

	if (vcpu_nested_ept12(v))	/* L2 through EPT02: vmm/nested/ */
		return nested_ept_violation(v);
	v->exit_qual = qual;
	/* ACC_READ/WRITE/EXEC are the qualification's bits 0-2. */
	kvm_page_fault_init(&fault, gpa, access ? access : ACC_READ);
	if (unlikely(v->fault_profile))
		fault.stamps = v->fault_stamps;
	r = v->mmu.page_fault(&v->guest->vm, &v->mmu, &fault);
	if (unlikely(r == RET_PF_EMULATE))
		return handle_mmio(v, gpa, qual);	/* a device, or nothing */
	/* In swap: "not present" to the guest, or sleep until it is in. */
	if (unlikely(r == RET_PF_NOT_RESIDENT))
		return vcpu_apf_fault(v, gpa, fault.access);
	if (unlikely(r < 0))
		return ept_violation_kill(v, gpa, qual, r);
	/*
	 * L1 wrote one of its EPT tables that L0 shadows and that cannot go
	 * unsync: drop the shadow pages (L2 rebuilds them from what L1
	 * writes) and let the write retry, instead of emulating it.
	 */
	if (unlikely(r == RET_PF_WRITE_PROTECTED))
		kvm_mmu_unprotect_gfn(&v->guest->vm, gpa >> PAGE_SHIFT);
	/*
	 * Fixed, spurious or to be retried: re-enter (a stale root is
	 * replaced before the entry). Replay the event whose delivery
	 * faulted, if any.
	 */
	if (unlikely(fault.stamps) && r == RET_PF_FIXED)
		v->fault_profiled = true;
	vcpu_reinject_idt_vectoring(v);
	return VCPU_RESUME;
}
