/* SPDX-License-Identifier: MIT */
/* Per-CPU GDT and 64-bit TSS (with IST stacks for NMI, #DF and #MC). */
#ifndef ARCH_X86_GDT_H
#define ARCH_X86_GDT_H

#include "kernel/percpu.h"

#define GDT_KERNEL_CS	0x08
#define GDT_KERNEL_DS	0x10
#define GDT_TSS		0x18

struct tss64 {
	u32 reserved0;
	u64 rsp[3];
	u64 reserved1;
	u64 ist[7];
	u64 reserved2;
	u16 reserved3;
	u16 iomap_base;
} __packed;

/*
 * Fill @pc's GDT and TSS, load GDTR, the segment registers and TR. The
 * BSP's TSS and IST stacks are static; an AP's come from
 * gdt_prepare_cpu(). Returns false when an AP has none. Must run on the
 * CPU that owns @pc.
 */
bool gdt_init_cpu(struct percpu *pc);

/*
 * On the BSP, before starting the AP that owns @pc: allocate its TSS and
 * IST stacks, each with an unmapped guard page below it. Done by the BSP
 * because unmapping needs a TLB shootdown, which the AP, without a LAPIC
 * set up yet, cannot send. False (said on the console) on no memory.
 */
bool gdt_prepare_cpu(struct percpu *pc);

/*
 * Unmap the guard pages under the BSP's static IST stacks and its boot
 * stack: once paging is up, before the APs start.
 */
void gdt_guard_boot_cpu_stacks(void);

#endif
