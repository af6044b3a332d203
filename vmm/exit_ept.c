// SPDX-License-Identifier: MIT
/*
 * EPT violations go to the MMU (vmm/ept.c hands them to the TDP MMU when
 * it is linked; with eager EPT every guest page is mapped, so a violation
 * is an access outside guest memory and the guest dies).
 */
#include "vmm/exit_handlers.h"
#include "vmm/ept.h"
#include "vmm/vmcs_fields.h"
#include "arch/x86/vmx.h"

int handle_ept_violation(struct vcpu *v)
{
	u64 gpa = vmread(GUEST_PHYSICAL_ADDRESS);
	u64 qual = vmread(EXIT_QUALIFICATION);

	v->exit_qual = qual;
	if (!ept_handle_violation(v, gpa, qual))
		return VCPU_STOP;
	/* Fixed: replay the event whose delivery faulted, if any. */
	vcpu_reinject_idt_vectoring(v);
	return VCPU_RESUME;
}
