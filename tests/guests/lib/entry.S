/* SPDX-License-Identifier: MIT */
/*
 * Test-guest entry and exception stubs (64-bit, AT&T syntax).
 *
 * Every vCPU arrives at _start in 64-bit mode with RDI = vCPU index,
 * RSI = the boot-information block and RSP = the top of its own stack
 * (the loader's layout, include/uapi/hv_abi.h).
 */
	.section .text.entry, "ax"
	.globl _start
_start:
	andq	$-16, %rsp
	call	guest_start		/* (index, boot_info): never returns */
1:	cli
	hlt
	jmp	1b

/*
 * Exception stubs: make every frame look the same (an error code, then the
 * vector) and call guest_trap(struct trap_frame *), which may change the
 * saved RIP to resume at a fix-up.
 */
	.text
.macro TRAP_STUB vec
	.align 16
trap_stub_\vec:
	.if (\vec == 8) || ((\vec >= 10) && (\vec <= 14)) || (\vec == 17) || (\vec == 21) || (\vec == 29) || (\vec == 30)
	.else
	pushq	$0
	.endif
	pushq	$\vec
	jmp	trap_common
.endm

	.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	TRAP_STUB \v
	.endr

/*
 * Interrupt stubs for vectors 32-255, 16 bytes apart from irq_stubs (the
 * IDT set-up computes each address), the same frame as a trap.
 */
	.align 16
	.globl irq_stubs
irq_stubs:
	.set vec, 32
	.rept 224
	.align 16
	pushq	$0
	pushq	$vec
	jmp	trap_common
	.set vec, vec + 1
	.endr

trap_common:
	pushq	%rax
	pushq	%rbx
	pushq	%rcx
	pushq	%rdx
	pushq	%rsi
	pushq	%rdi
	pushq	%rbp
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	movq	%rsp, %rdi
	call	guest_trap
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%r11
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rbp
	popq	%rdi
	popq	%rsi
	popq	%rdx
	popq	%rcx
	popq	%rbx
	popq	%rax
	addq	$16, %rsp
	iretq

	.section .rodata
	.align 8
	.globl trap_stubs
trap_stubs:
	.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.quad	trap_stub_\v
	.endr

	.section .note.GNU-stack, "", @progbits
