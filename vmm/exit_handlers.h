/* SPDX-License-Identifier: MIT */
/*
 * The exit-dispatch table: basic exit reason -> handler, as one X-macro.
 * vmm/exit.c builds the table from it; each handler lives in the file of
 * its family (exit_misc.c, exit_io.c, exit_msr.c, exit_cpuid.c,
 * hypercall.c, exit_ept.c; the VMX instructions in vmm/nested/nested_exit.c,
 * #UD unless the guest is offered VMX). A reason not listed kills the guest with a
 * message naming the reason and the qualification; the host goes on.
 *
 * Every handler returns VCPU_STOP, VCPU_RESUME, VCPU_YIELD or VCPU_HALT
 * (vmm/exit_codes.h).
 */
#ifndef VMM_EXIT_HANDLERS_H
#define VMM_EXIT_HANDLERS_H

#include "vmm/vcpu.h"
#include "vmm/exit_codes.h"
#include "vmm/vmx/vmx_names.h"

#define VMX_EXIT_HANDLERS(X)						\
	X(EXCEPTION_NMI,	handle_exception_nmi)			\
	X(EXTERNAL_INTERRUPT,	handle_external_interrupt)		\
	X(TRIPLE_FAULT,		handle_triple_fault)			\
	X(INTERRUPT_WINDOW,	handle_interrupt_window)		\
	X(NMI_WINDOW,		handle_nmi_window)			\
	X(CPUID,		handle_cpuid)				\
	X(GETSEC,		handle_ud)				\
	X(HLT,			handle_hlt)				\
	X(INVD,			handle_skip)				\
	X(VMCALL,		handle_vmcall)				\
	X(VMCLEAR,		handle_vmclear)				\
	X(VMLAUNCH,		handle_vmlaunch)				\
	X(VMPTRLD,		handle_vmptrld)				\
	X(VMPTRST,		handle_vmptrst)				\
	X(VMREAD,		handle_vmread)				\
	X(VMRESUME,		handle_vmresume)				\
	X(VMWRITE,		handle_vmwrite)				\
	X(VMXOFF,		handle_vmxoff)				\
	X(VMXON,		handle_vmxon)				\
	X(CR_ACCESS,		handle_cr_access)			\
	X(IO_INSTRUCTION,	handle_io)				\
	X(MSR_READ,		handle_rdmsr)				\
	X(MSR_WRITE,		handle_wrmsr)				\
	X(MWAIT_INSTRUCTION,	handle_ud)				\
	X(MONITOR_INSTRUCTION,	handle_ud)				\
	X(EPT_VIOLATION,	handle_ept_violation)			\
	X(EPT_MISCONFIG,	handle_ept_misconfig)			\
	X(INVEPT,		handle_invept)				\
	X(PREEMPTION_TIMER,	handle_preemption_timer)		\
	X(INVVPID,		handle_invvpid)				\
	X(XSETBV,		handle_ud)				\
	X(VMFUNC,		handle_ud)

#define DECLARE_EXIT_HANDLER(reason, fn) int fn(struct vcpu *vcpu);
VMX_EXIT_HANDLERS(DECLARE_EXIT_HANDLER)
#undef DECLARE_EXIT_HANDLER

/* Re-inject an event whose delivery the exit interrupted, if any. */
void vcpu_reinject_idt_vectoring(struct vcpu *vcpu);

/* Exit handling (vmm/exit.c), returns VCPU_STOP/RESUME/YIELD. */
int vmx_handle_exit(struct vcpu *vcpu);
void vcpu_inject_exception(struct vcpu *vcpu, unsigned int vector,
			   bool has_error, u32 error_code);
/* Advance RIP past the instruction that exited. */
void vcpu_skip_insn(struct vcpu *vcpu);
/* Kill the guest with a message naming the exit and the qualification. */
int vcpu_exit_fatal(struct vcpu *vcpu, const char *what);

#endif
