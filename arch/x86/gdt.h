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
 * Fill @pc's GDT and TSS, allocate its IST stacks, load GDTR, the
 * segment registers and TR. Returns false when the stacks could not be
 * allocated. Must run on the CPU that owns @pc.
 */
bool gdt_init_cpu(struct percpu *pc);

#endif
