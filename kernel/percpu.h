/* SPDX-License-Identifier: MIT */
/*
 * Per-CPU data, reached through the GS base.
 *
 * Each CPU's GS base points at its own struct percpu, whose first field
 * points back at itself, so this_cpu() is one %gs-relative load and needs
 * no CPU id first. percpu_ptr[] lists every CPU that was brought up,
 * indexed by the dense CPU id (0 = BSP, then APs in MADT order), which is
 * what plat_cpu_id() returns.
 *
 * Other parts of the kernel add their per-CPU state as fields here.
 */
#ifndef KERNEL_PERCPU_H
#define KERNEL_PERCPU_H

#include "kernel/compiler.h"

struct tss64;

/* "Run this function on CPU n" mailbox (arch/x86/smp.c). */
struct smp_call {
	void (*fn)(void *arg);
	void *arg;
	unsigned long seq;	/* bumped by the caller when it posts */
	unsigned long done;	/* set to seq by the target when fn returned */
};

struct percpu {
	struct percpu *self;		/* must stay first: this_cpu() */
	unsigned int cpu_id;		/* dense index, < MAX_CPUS */
	u32 apic_id;			/* LAPIC / x2APIC id */
	bool online;			/* checked in and running */
	u64 ticks;			/* LAPIC timer interrupts taken */
	u64 irq_count;			/* all interrupts taken (not exceptions) */
	unsigned int irq_depth;		/* >0 while in an interrupt handler */

	/* Descriptor tables and stacks (arch/x86/gdt.c). */
	u64 gdt[8] __aligned(16);
	struct tss64 *tss;
	void *kernel_stack_top;		/* the stack the CPU started on */

	struct smp_call call;		/* smp_call_on_cpu() mailbox */

	/* Owned by the scheduler: its per-CPU run state. */
	void *sched;
};

/*
 * Minimum sizes; each stack's block is twice that, its lowest page an
 * unmapped guard page (arch/x86/stack_guard.h): 28 KiB of boot stack per
 * AP, 12 KiB per IST stack.
 */
#define PERCPU_STACK_ORDER	2	/* >= 16 KiB boot stack per AP */
#define PERCPU_IST_ORDER	1	/* >= 8 KiB per IST stack */

extern struct percpu *percpu_ptr[MAX_CPUS];
extern unsigned int nr_cpus_online;

static inline struct percpu *this_cpu(void)
{
	struct percpu *p;

	__asm__ __volatile__("movq %%gs:0, %0" : "=r"(p));
	return p;
}

static inline unsigned int this_cpu_id(void)
{
	unsigned int id;

	__asm__ __volatile__("movl %%gs:%c1, %0"
			     : "=r"(id)
			     : "i"(__builtin_offsetof(struct percpu, cpu_id)));
	return id;
}

static inline struct percpu *per_cpu(unsigned int cpu)
{
	return cpu < MAX_CPUS ? READ_ONCE(percpu_ptr[cpu]) : NULL;
}

/* Point this CPU's GS base at @pc and publish it in percpu_ptr[]. */
void percpu_install(struct percpu *pc);
/* The BSP's statically allocated area (usable before any allocator). */
extern struct percpu bsp_percpu;

#endif
