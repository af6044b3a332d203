; Kernel thread context switch (kernel/sched.c).
;
; struct thread *__switch_to(struct thread *prev, struct thread *next)
;   Saves the callee-saved registers on prev's stack, stores the stack
;   pointer in prev->rsp (offset 0 of struct thread), loads next->rsp and
;   pops next's registers. Returns, on next's stack, the thread that was
;   switched *from* (prev of this switch), so the code that resumes knows
;   whom to finish off. Interrupts are off across the switch (the caller's
;   job); caller-saved registers are the C caller's to lose.
;
; A new thread's stack (kernel/thread.c) is laid out as if it had called
; __switch_to: six zeroed registers, then thread_entry_asm as the return
; address, then a zero "return address" that ends backtraces.

bits 64
section .text

global __switch_to
global thread_entry_asm
extern thread_entry

__switch_to:
	push rbp
	push rbx
	push r12
	push r13
	push r14
	push r15
	mov [rdi], rsp
	mov rsp, [rsi]
	pop r15
	pop r14
	pop r13
	pop r12
	pop rbx
	pop rbp
	mov rax, rdi
	ret

; First code of a new thread: RSP is 16-byte aligned here (thread.c lays
; the stack out so), RBP is 0 so the frame chain ends, RAX is prev.
thread_entry_asm:
	mov rdi, rax
	call thread_entry
	ud2
