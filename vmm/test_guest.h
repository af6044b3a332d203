/* SPDX-License-Identifier: MIT */
/*
 * Tiny built-in guests for the in-kernel VMX tests (vmm/test_guest.c):
 * machine code assembled into the kernel image, copied into a fresh guest
 * with identity page tables for the first 2 MiB and a flat 64-bit GDT.
 * They need no loader, so the run loop and the exit handlers can be tested
 * on their own.
 *
 * Guest-physical layout (TG_*): page tables at 0x1000-0x3fff, GDT at
 * 0x5000, the guest's IDT at 0x7000, results at 0x8000, code at 0x10000,
 * stacks below 0x30000 (16 KiB per vCPU), 256 KiB of memory in all.
 */
#ifndef VMM_TEST_GUEST_H
#define VMM_TEST_GUEST_H

#include "vmm/vcpu.h"

#define TG_MEM_SIZE		0x40000
#define TG_RESULTS		0x8000
#define TG_CODE			0x10000

/* Results of tg_basic (offsets from TG_RESULTS). */
#define TGR_HV_EBX		0x00	/* CPUID 0x40000000 EBX, ECX, EDX */
#define TGR_HV_EAX		0x0c
#define TGR_CPUID1_ECX		0x10
#define TGR_VCPU_INFO		0x18	/* HC_VCPU_INFO */
#define TGR_HC_UNKNOWN		0x20	/* hypercall 0x7777 */
#define TGR_HC_WILD		0x28	/* HC_CONSOLE_WRITE, wild pointer */
#define TGR_HC_CONSOLE		0x30	/* HC_CONSOLE_WRITE, good buffer */
#define TGR_EFER		0x38	/* RDMSR EFER */
#define TGR_GP_COUNT		0x40	/* #GPs taken by the guest */
#define TGR_UD_COUNT		0x48	/* #UDs taken by the guest */
#define TGR_FIXUP		0x50	/* where the handlers resume */
#define TGR_BAD_RDMSR		0x58	/* 0xbad: forbidden RDMSR "worked" */
#define TGR_BAD_VMXON		0x60	/* 0xbad: VMXON "worked" */
#define TGR_AFTER_HLT		0x68	/* 1 once past HLT */
#define TGR_VMCALL_TICKS	0x70	/* TSC ticks for N VMCALLs */
#define TGR_CPUID_TICKS		0x78	/* TSC ticks for N CPUIDs */
#define TGR_ITERATIONS		0x80	/* N (initial RBX) */
#define TGR_LSR			0x88	/* UART LSR read */
#define TGR_LSTAR		0x90	/* LSTAR written then read back */
#define TGR_GP_ERR		0x98	/* error code of the last #GP */
#define TGR_SYSCALL		0xa0	/* 1: SYSCALL reached LSTAR */
#define TGR_SWAPPED_GS		0xa8	/* GS base after SWAPGS */
#define TGR_SWAPPED_KGS		0xb0	/* KERNEL_GS_BASE after SWAPGS */
#define TGR_IPI_SELF		0xb8	/* HC_SEND_IPI to itself: 0 */
#define TGR_HLT_IRQS		0xc0	/* vector 0x40 taken */
#define TGR_HLT_IRQ_RIP		0xc8	/* where that interrupt returned */
#define TGR_HLT_NEXT_RIP	0xd0	/* the instruction after the HLT */
#define TGR_IPI_BAD_VCPU	0xd8	/* HC_SEND_IPI to vCPU 1 of 1 */
#define TGR_IPI_BAD_VECTOR	0xe0	/* HC_SEND_IPI of vector 3 */
#define TGR_IPI_HUGE_VCPU	0xe8	/* HC_SEND_IPI to vCPU 1 << 63 */

/* Results of tg_spin. */
#define TGS_COUNT		0x00	/* loop iterations done */
#define TGS_CPU_MASK		0x08	/* host CPUs seen via HC_VCPU_INFO */
#define TGS_STOP		0x10	/* host sets 1 to make it exit */

/* Results of tg_irq. */
#define TGI_VECTOR		0x40
#define TGI_TAKEN_IF0		0x28	/* interrupts taken while IF=0 */
#define TGI_TAKEN_AFTER_STI	0x30	/* interrupts taken by then */

/* Results of tg_hlt (TGS_COUNT: vCPUs about to halt, TGS_STOP: go). */
#define TGH_IRQS		0x20	/* vector TGI_VECTOR taken, all vCPUs */
#define TGH_IRQ_RIP		0x28	/* where the last one returned */
#define TGH_AFTER		0x30	/* vCPUs past their HLT */
#define TGH_HLT_NEXT_RIP	0x38	/* the instruction after that HLT */
#define TGH_IPI_BAD_VCPU	0x48	/* HC_SEND_IPI to vCPU GUEST_MAX_VCPUS */
#define TGH_IPI_BAD_VECTOR	0x50	/* HC_SEND_IPI of vector 0x1f */
#define TGH_IPI			0x58	/* HC_SEND_IPI to vCPU 1: 0 */
/* tg_hlt modes (RBX). */
#define TGH_MODE_IDLE		0	/* every vCPU: STI; HLT with nothing
					   pending, then vCPU 0 exits */
#define TGH_MODE_PENDING	1	/* IF=0 until TGS_STOP, then STI; HLT */
#define TGH_MODE_KILL		2	/* vCPU 1+ halt; vCPU 0 shuts down at
					   TGS_STOP */
#define TGH_MODE_IPI		3	/* vCPU 1+ halt; vCPU 0 at TGS_STOP
					   sends HC_SEND_IPI to vCPU 1, exits */
#define TGH_MODE_LOOP		4	/* vCPU 0: STI; HLT until TGH_AFTER
					   reaches TGS_STOP, then exits */

#define TG_EXIT_STATUS		0x42	/* what each test guest writes to 0xf4 */

enum test_guest_kind {
	TG_BASIC,	/* CPUID, VMCALLs, UART, MSRs, #GP, #UD, self-IPI +
			   HLT, exit */
	TG_TRIPLE_FAULT,/* ud2 with no IDT: the guest shuts down */
	TG_SPIN,	/* VMCALL loop for RBX rounds (0: until TGS_STOP) */
	TG_QUIET,	/* sets TGS_COUNT to 1, then loops without any exit
			   until TGS_STOP */
	TG_TF_SMP,	/* vCPU 1+ spin without exits; vCPU 0 shuts down
			   once TGS_COUNT moves */
	TG_USER,	/* IRETQ to ring 3, VMCALL HC_VCPU_INFO, result at
			   TGS_COUNT, exit */
	TG_IRQ,		/* TGS_COUNT = 1, waits for TGS_STOP with IF=0, 100
			   VMCALLs, STI: vector 0x40 counted at TGI_* */
	TG_HLT,		/* HLT with IF=1: RBX = TGH_MODE_*; results TGH_* */
};

/*
 * A guest running @kind on @nr_vcpus vCPUs, each started with RBX =
 * @rbx and RDI = its index. NULL (after a message) on failure.
 */
struct guest *test_guest_create(const char *name, enum test_guest_kind kind,
				unsigned int nr_vcpus, u64 rbx);
/* Read the u64 at TG_RESULTS + @off. */
u64 test_guest_result(struct guest *g, u64 off);

#endif
