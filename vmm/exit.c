// SPDX-License-Identifier: MIT
/*
 * Exit dispatch and the helpers every handler shares: injecting an
 * exception, skipping the exiting instruction, killing the guest with a
 * message that names the exit.
 */
#include "vmm/guest_report.h"
#include "vmm/exit_codes.h"
#include "vmm/exit_handlers.h"
#include "vmm/vcpu_nested.h"
#include "vmm/vmx/vmcs_check.h"
#include "vmm/vmx/vmcs_fields.h"
#include "arch/x86/cpu.h"
#include "arch/x86/interrupts.h"
#include "arch/x86/vmx.h"
#include "kernel/log.h"

typedef int (*exit_handler_t)(struct vcpu *vcpu);

static const exit_handler_t exit_handlers[VMX_NR_EXIT_REASONS] = {
#define EXIT_HANDLER_ENTRY(reason, fn) [EXIT_REASON_##reason] = fn,
	VMX_EXIT_HANDLERS(EXIT_HANDLER_ENTRY)
#undef EXIT_HANDLER_ENTRY
};

BUILD_BUG_ON(VMX_NR_EXIT_REASONS > VCPU_NR_EXIT_COUNTERS);

int vcpu_exit_fatal(struct vcpu *v, const char *what)
{
	char why[128];
	u64 qual = vmread(EXIT_QUALIFICATION);
	u64 rip = vmread(GUEST_RIP);

	pr_err("vmx: %s vcpu%u: %s: exit reason %u (%s), qualification "
	       "%#lx, rip %#lx\n", v->guest->name, v->index, what,
	       v->exit_reason, vmx_exit_reason_name(v->exit_reason), qual,
	       rip);
	ksnprintf(why, sizeof(why), "%s: exit %s, qualification %#lx",
		  what, vmx_exit_reason_name(v->exit_reason), qual);
	guest_kill_on_exit(v->guest, v->exit_reason, why);
	return VCPU_STOP;
}

/*
 * VM entry failed on guest state or MSR loading: hardware says only that
 * it failed (exit reason with bit 31 set); vmcs_check names the rule.
 */
static int vcpu_entry_failed(struct vcpu *v, u32 reason)
{
	char why[128];
	u32 basic = VMX_EXIT_REASON_BASIC(reason);
	int nr;

	pr_err("vmx: %s vcpu%u: VM entry failed: exit reason %u (%s), "
	       "qualification %#lx\n", v->guest->name, v->index, basic,
	       vmx_exit_reason_name(basic), vmread(EXIT_QUALIFICATION));
	nr = vmcs_check_guest_state();
	ksnprintf(why, sizeof(why), "VM entry failed (%s), %d guest-state "
		  "check(s) failed", vmx_exit_reason_name(basic), nr);
	guest_kill_on_exit(v->guest, basic, why);
	return VCPU_STOP;
}

int vmx_handle_exit(struct vcpu *v)
{
	u32 reason = (u32)vmread(VM_EXIT_REASON);
	u32 basic = VMX_EXIT_REASON_BASIC(reason);
	exit_handler_t fn;
	int r;

	v->exits++;
	if (unlikely(reason & VMX_EXIT_REASON_ENTRY_FAIL))
		return vcpu_entry_failed(v, reason);
	v->exit_reason = basic;
	if (unlikely(basic >= VMX_NR_EXIT_REASONS))
		return vcpu_exit_fatal(v, "unknown exit reason");
	v->exits_by_reason[basic]++;
	/* L2's exit: L1's, or L0's through the ordinary handler below. */
	if (unlikely(vcpu_in_guest_mode(v)) &&
	    (r = nested_vmx_l2_exit(v, basic)) != NESTED_L0_HANDLES)
		return r;
	fn = exit_handlers[basic];
	if (unlikely(!fn))
		return vcpu_exit_fatal(v, "unhandled exit");
	return fn(v);
}

void vcpu_inject_exception(struct vcpu *v, unsigned int vector,
			   bool has_error, u32 error_code)
{
	u32 info = (vector & INTR_INFO_VECTOR_MASK) | INTR_TYPE_HW_EXCEPTION |
		   INTR_INFO_VALID;

	if (has_error) {
		info |= INTR_INFO_DELIVER_CODE;
		vmwrite(VM_ENTRY_EXCEPTION_ERROR_CODE, error_code);
	}
	/*
	 * A fault restarts its instruction: RFLAGS.RF in the frame keeps
	 * an instruction breakpoint there from firing again (SDM 17.3.1.1;
	 * KVM does the same). #DB, #BP and #OF are traps.
	 */
	if (vector != X86_VEC_DB && vector != X86_VEC_BP && vector != X86_VEC_OF)
		vmwrite(GUEST_RFLAGS, vmread(GUEST_RFLAGS) | X86_RFLAGS_RF);
	vmwrite(VM_ENTRY_INTR_INFO_FIELD, info);
}

void vcpu_reinject_idt_vectoring(struct vcpu *v)
{
	u32 info = (u32)vmread(IDT_VECTORING_INFO_FIELD);
	u32 type = info & INTR_TYPE_MASK;

	if (!(info & INTR_INFO_VALID))
		return;
	/* The VM-entry format is the IDT-vectoring format (bit 12 aside). */
	if (info & INTR_INFO_DELIVER_CODE)
		vmwrite(VM_ENTRY_EXCEPTION_ERROR_CODE,
			vmread(IDT_VECTORING_ERROR_CODE));
	if (type == INTR_TYPE_SW_INTR || type == INTR_TYPE_SW_EXCEPTION ||
	    type == (5U << 8))
		vmwrite(VM_ENTRY_INSTRUCTION_LEN,
			vmread(VM_EXIT_INSTRUCTION_LEN));
	vmwrite(VM_ENTRY_INTR_INFO_FIELD, info & ~BIT(12));
}

void vcpu_skip_insn(struct vcpu *v)
{
	u64 intr = vmread(GUEST_INTERRUPTIBILITY_INFO);

	vmwrite(GUEST_RIP, vmread(GUEST_RIP) +
			   vmread(VM_EXIT_INSTRUCTION_LEN));
	/* The instruction after STI / MOV SS has now executed. */
	if (intr & (GUEST_INTR_STI_BLOCKING | GUEST_INTR_MOVSS_BLOCKING))
		vmwrite(GUEST_INTERRUPTIBILITY_INFO,
			intr & ~(u64)(GUEST_INTR_STI_BLOCKING |
				      GUEST_INTR_MOVSS_BLOCKING));
}
