// SPDX-License-Identifier: MIT
/*
 * Guest entry and exit: the one place that swaps every general-purpose
 * register between host and guest.
 *
 *   int vmx_vcpu_enter(struct vcpu_regs *regs, bool launched);
 *
 * Returns 0 after a VM exit (guest registers saved in *regs) and 1 when
 * VMLAUNCH/VMRESUME itself failed (VMfailValid/VMfailInvalid; the caller
 * reads VM_INSTRUCTION_ERROR). A VM-entry failure due to invalid guest
 * state is not a VMfail: it is a VM exit with bit 31 of the exit reason.
 *
 * HOST_RSP is written on every entry so the exit lands on this frame:
 * (%rsp) holds the regs pointer, below it the callee-saved registers.
 * HOST_RIP is vmx_vmexit (vmm/vmx/vmx.c writes it with the host state).
 * Guest CR2 is switched in C around this call (vcpu_run.c, with
 * interrupts off): the host takes no page faults in between.
 */
#include "vmm/vmx/vmx.h"

BUILD_BUG_ON(__builtin_offsetof(struct vcpu_regs, rax) != 0);
BUILD_BUG_ON(__builtin_offsetof(struct vcpu_regs, rdi) != 56);
BUILD_BUG_ON(__builtin_offsetof(struct vcpu_regs, r15) != 120);

__asm__(
"	.text\n"
"	.globl vmx_vcpu_enter\n"
"	.type vmx_vcpu_enter, @function\n"
"vmx_vcpu_enter:\n"
"	push %rbp\n"
"	mov %rsp, %rbp\n"
"	push %rbx\n"
"	push %r12\n"
"	push %r13\n"
"	push %r14\n"
"	push %r15\n"
"	push %rdi\n"
"	mov $0x6c14, %eax\n"		/* HOST_RSP */
"	vmwrite %rsp, %rax\n"
"	test %sil, %sil\n"		/* MOVs below leave the flags alone */
"	mov 0(%rdi), %rax\n"
"	mov 8(%rdi), %rcx\n"
"	mov 16(%rdi), %rdx\n"
"	mov 24(%rdi), %rbx\n"
"	mov 40(%rdi), %rbp\n"
"	mov 48(%rdi), %rsi\n"
"	mov 64(%rdi), %r8\n"
"	mov 72(%rdi), %r9\n"
"	mov 80(%rdi), %r10\n"
"	mov 88(%rdi), %r11\n"
"	mov 96(%rdi), %r12\n"
"	mov 104(%rdi), %r13\n"
"	mov 112(%rdi), %r14\n"
"	mov 120(%rdi), %r15\n"
"	mov 56(%rdi), %rdi\n"
"	jnz 1f\n"
"	vmlaunch\n"
"	jmp 2f\n"
"1:	vmresume\n"
"2:	pop %rdi\n"			/* VMfail: nothing was saved */
"	mov $1, %eax\n"
"	jmp 3f\n"
"	.globl vmx_vmexit\n"
"vmx_vmexit:\n"
"	push %rdi\n"
"	mov 8(%rsp), %rdi\n"
"	mov %rax, 0(%rdi)\n"
"	mov %rcx, 8(%rdi)\n"
"	mov %rdx, 16(%rdi)\n"
"	mov %rbx, 24(%rdi)\n"
"	mov %rbp, 40(%rdi)\n"
"	mov %rsi, 48(%rdi)\n"
"	mov %r8, 64(%rdi)\n"
"	mov %r9, 72(%rdi)\n"
"	mov %r10, 80(%rdi)\n"
"	mov %r11, 88(%rdi)\n"
"	mov %r12, 96(%rdi)\n"
"	mov %r13, 104(%rdi)\n"
"	mov %r14, 112(%rdi)\n"
"	mov %r15, 120(%rdi)\n"
"	popq 56(%rdi)\n"
"	pop %rdi\n"
"	xor %eax, %eax\n"
"3:	pop %r15\n"
"	pop %r14\n"
"	pop %r13\n"
"	pop %r12\n"
"	pop %rbx\n"
"	pop %rbp\n"
"	ret\n"
"	.size vmx_vcpu_enter, . - vmx_vcpu_enter\n"
);
