// SPDX-License-Identifier: MIT
/*
 * Per-CPU GDT + TSS. Each CPU needs its own TSS (TR is loaded per CPU and
 * the descriptor is marked busy by LTR) and its own IST stacks, so that an
 * NMI, #DF or #MC always lands on a known-good stack even when the current
 * one is exhausted.
 *
 * Every IST stack is an IST_BLOCK_SIZE block whose lowest page is an
 * unmapped guard page (arch/x86/stack_guard.h): an NMI or #MC handler
 * that overflows its stack then ends in a #DF naming it instead of
 * corrupting memory below.
 */
#include "arch/x86/gdt.h"
#include "arch/x86/interrupts.h"
#include "arch/x86/cpu.h"
#include "arch/x86/stack_guard.h"
#include "kernel/log.h"
#include "kernel/string.h"
#include "mm/page_alloc.h"

#define IST_BLOCK_ORDER	(PERCPU_IST_ORDER + 1)
#define IST_BLOCK_SIZE	(PAGE_SIZE << IST_BLOCK_ORDER)

/*
 * The BSP's TSS and IST stacks are static: it sets them up before mm.
 * Their guard pages are unmapped once paging is up
 * (gdt_guard_boot_cpu_stacks()).
 */
static struct tss64 bsp_tss __aligned(16);
static u8 bsp_ist_blocks[NR_IST][IST_BLOCK_SIZE] __aligned(PAGE_SIZE);

/* boot/boot.asm: the BSP's boot stack and the guard page below it. */
extern u8 boot_stack_guard[], boot_stack_top[];

struct gdtr {
	u16 limit;
	u64 base;
} __packed;

static u64 tss_desc_low(u64 base, u32 limit)
{
	return (limit & 0xffffULL) | ((base & 0xffffffULL) << 16) |
	       (0x89ULL << 40) |		/* present, 64-bit TSS available */
	       ((u64)((limit >> 16) & 0xf) << 48) |
	       (((base >> 24) & 0xffULL) << 56);
}

bool gdt_init_cpu(struct percpu *pc)
{
	struct tss64 *tss;
	struct gdtr gdtr;
	u64 base;

	if (pc == &bsp_percpu) {
		tss = &bsp_tss;
		for (int i = 0; i < NR_IST; i++)
			tss->ist[i] = (u64)(unsigned long)
				(bsp_ist_blocks[i] + IST_BLOCK_SIZE);
		tss->iomap_base = sizeof(*tss);	/* no I/O bitmap */
		pc->tss = tss;
	} else {
		tss = pc->tss;		/* gdt_prepare_cpu() */
		if (!tss)
			return false;
	}

	base = (u64)(unsigned long)tss;
	memset(pc->gdt, 0, sizeof(pc->gdt));
	pc->gdt[1] = 0x00af9a000000ffffULL;	/* 64-bit code, DPL 0 */
	pc->gdt[2] = 0x00cf92000000ffffULL;	/* data */
	pc->gdt[3] = tss_desc_low(base, sizeof(*tss) - 1);
	pc->gdt[4] = base >> 32;

	gdtr.limit = sizeof(pc->gdt) - 1;
	gdtr.base = (u64)(unsigned long)pc->gdt;
	/*
	 * Reload CS with a far return, the data segments, then TR. FS/GS
	 * selectors stay 0: loading them would clear the GS base MSR that
	 * this_cpu() depends on, so GS is not touched here.
	 */
	__asm__ __volatile__(
		"lgdt %0\n\t"
		"pushq %1\n\t"
		"leaq 1f(%%rip), %%rax\n\t"
		"pushq %%rax\n\t"
		"lretq\n"
		"1:\n\t"
		"movl %2, %%eax\n\t"
		"movl %%eax, %%ds\n\t"
		"movl %%eax, %%es\n\t"
		"movl %%eax, %%ss\n\t"
		"ltr %w3\n\t"
		: : "m"(gdtr), "i"(GDT_KERNEL_CS), "i"(GDT_KERNEL_DS),
		    "r"((u16)GDT_TSS)
		: "rax", "memory");
	return true;
}

void gdt_guard_boot_cpu_stacks(void)
{
	for (int i = 0; i < NR_IST; i++)
		cpu_stack_guard_install(0, (enum cpu_stack)(i + 1),
					bsp_ist_blocks[i],
					bsp_ist_blocks[i] + IST_BLOCK_SIZE);
	cpu_stack_guard_install(0, CPU_STACK_BOOT, boot_stack_guard,
				boot_stack_top);
}

bool gdt_prepare_cpu(struct percpu *pc)
{
	struct tss64 *tss = page_alloc_zeroed(0);
	u8 *blocks[NR_IST] = { 0 };
	int i;

	if (!tss)
		goto oom;
	for (i = 0; i < NR_IST; i++) {
		blocks[i] = page_alloc_zeroed(IST_BLOCK_ORDER);
		if (!blocks[i])
			goto oom;
	}
	for (i = 0; i < NR_IST; i++) {
		/* Unguarded is still usable: install says why, we go on. */
		cpu_stack_guard_install(pc->cpu_id, (enum cpu_stack)(i + 1),
					blocks[i], blocks[i] + IST_BLOCK_SIZE);
		tss->ist[i] = (u64)(unsigned long)(blocks[i] + IST_BLOCK_SIZE);
	}
	tss->iomap_base = sizeof(*tss);	/* no I/O bitmap */
	pc->tss = tss;
	return true;
oom:
	pr_err("gdt: cpu%u: no memory for its TSS and IST stacks\n",
	       pc->cpu_id);
	for (i = 0; i < NR_IST; i++)
		page_free(blocks[i], IST_BLOCK_ORDER);
	page_free(tss, 0);
	return false;
}
