; Interrupt entry stubs: one per vector, all funnelled into isr_common,
; which saves the general registers as struct exception_frame
; (arch/x86/interrupts.h) and calls x86_interrupt(frame).
;
; The kernel never runs user code, so GS is always the kernel's and no
; SWAPGS is needed.

bits 64
section .text

extern x86_interrupt

; Vectors for which the CPU pushes an error code.
%define HAS_ERR(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

%assign v 0
%rep 256
align 16
isr_stub_ %+ v:
%if !HAS_ERR(v)
	push 0
%endif
	push v
	jmp isr_common
%assign v v + 1
%endrep

isr_common:
	push rax
	push rbx
	push rcx
	push rdx
	push rsi
	push rdi
	push rbp
	push r8
	push r9
	push r10
	push r11
	push r12
	push r13
	push r14
	push r15
	cld
	mov rdi, rsp
	; 22 quadwords are on the stack and the CPU aligned RSP to 16 before
	; its push, so RSP is 16-byte aligned here as the ABI wants.
	call x86_interrupt
	pop r15
	pop r14
	pop r13
	pop r12
	pop r11
	pop r10
	pop r9
	pop r8
	pop rbp
	pop rdi
	pop rsi
	pop rdx
	pop rcx
	pop rbx
	pop rax
	add rsp, 16			; vector and error code
	iretq

section .rodata
align 8
global isr_stub_table
isr_stub_table:
%assign v 0
%rep 256
	dq isr_stub_ %+ v
%assign v v + 1
%endrep
