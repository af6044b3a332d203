; Interrupt entry stubs: one per vector, all funnelled into isr_common,
; which saves the general registers as struct exception_frame
; (arch/x86/interrupts.h) and calls x86_interrupt(frame).
;
; The kernel never runs user code, so GS is always the kernel's and no
; SWAPGS is needed.
;
; Every stub and isr_common are typed, sized ELF functions (NASM "static
; NAME:function (size)") so kernel/symbols.c can name them in a backtrace:
; a fault inside an interrupt handler shows "isr_common+0x.." between the
; handler and the interrupted code.

bits 64
section .text

extern x86_interrupt

; Vectors for which the CPU pushes an error code.
%define HAS_ERR(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

%assign v 0
%rep 256
align 16
static isr_stub_ %+ v %+ :function (isr_stub_ %+ v %+ .end - isr_stub_ %+ v)
isr_stub_ %+ v:
%if !HAS_ERR(v)
	push 0
%endif
	push v
	jmp isr_common
.end:
%assign v v + 1
%endrep

static isr_common:function (isr_common_end - isr_common)
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
	; The return address of that call: kernel/symbols.c recognises it in
	; a backtrace and continues in the interrupted context, whose
	; struct exception_frame lies just above it on the stack.
global isr_return_from_handler
isr_return_from_handler:
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
isr_common_end:

section .rodata
align 8
global isr_stub_table
isr_stub_table:
%assign v 0
%rep 256
	dq isr_stub_ %+ v
%assign v v + 1
%endrep
