/* SPDX-License-Identifier: MIT */
/*
 * Interrupt and exception entry: the saved register frame, vector
 * assignments, the IDT and handler registration.
 */
#ifndef ARCH_X86_INTERRUPTS_H
#define ARCH_X86_INTERRUPTS_H

#include "kernel/compiler.h"

/* Layout pushed by arch/x86/isr.asm (lowest address first). */
struct exception_frame {
	u64 r15, r14, r13, r12, r11, r10, r9, r8;
	u64 rbp, rdi, rsi, rdx, rcx, rbx, rax;
	u64 vector, error_code;
	/* Pushed by the CPU. */
	u64 rip, cs, rflags, rsp, ss;
};

#define X86_VEC_DE	0
#define X86_VEC_DB	1
#define X86_VEC_NMI	2
#define X86_VEC_BP	3
#define X86_VEC_OF	4
#define X86_VEC_UD	6
#define X86_VEC_DF	8
#define X86_VEC_GP	13
#define X86_VEC_PF	14
#define X86_VEC_MC	18

/* Device and IPI vectors (high = high priority in the LAPIC). */
#define VEC_TIMER		0xf0
#define VEC_CALL_FUNCTION	0xf1
#define VEC_RESCHEDULE		0xf2	/* free for the scheduler's use */
#define VEC_VMX_KICK		0xf3	/* make a CPU leave guest mode (vmm/) */
#define VEC_SPURIOUS		0xff

/* IST slots in each CPU's TSS (1-based as the IDT encodes them). */
#define IST_NMI		1
#define IST_DF		2
#define IST_MC		3
#define NR_IST		3

typedef void (*irq_handler_t)(struct exception_frame *frame);

/* Build the shared IDT (once, on the BSP) and load it (every CPU). */
void idt_init(void);
void idt_load(void);
/* Handler for an external/IPI vector (>= 32); EOI is sent by the caller. */
void irq_register(u8 vector, irq_handler_t handler);

/*
 * Test hook: when set and it returns true for an exception, the handler
 * resumes at frame->rip (which the hook may change) instead of dying. Lets
 * a ktest raise #UD/#PF/#GP/#BP and check they came through the real path.
 */
extern bool (*exception_test_hook)(struct exception_frame *frame);

const char *exception_name(unsigned int vector);
/* Print registers and a symbolized backtrace for @frame. */
void exception_dump(const struct exception_frame *frame);
/* Print the registers of @frame (and CR0/2/3/4), no header, no backtrace. */
void show_regs(const struct exception_frame *frame);

#endif
