/* SPDX-License-Identifier: MIT */
/*
 * Guard pages under the per-CPU stacks (the boot stack each CPU starts
 * on, and its NMI, #DF and #MC IST stacks; thread stacks have theirs in
 * kernel/thread.c). A guard page is one page just below the stack,
 * unmapped in the kernel's tables, so running off the stack's end
 * faults instead of silently writing over whatever lies below.
 *
 * A fault on a guard page usually cannot be reported on the stack that
 * overflowed: the #PF's own frame would go there too, so the CPU raises
 * #DF, which runs on its IST stack; arch/x86/traps.c then asks
 * cpu_stack_guard_name() whose guard page CR2 (or RSP) lies in.
 *
 * Per-CPU stacks live as long as their CPU (CPUs never go offline), so
 * their guard pages are never mapped back.
 */
#ifndef ARCH_X86_STACK_GUARD_H
#define ARCH_X86_STACK_GUARD_H

#include "arch/x86/interrupts.h"

/* Which per-CPU stack; the IST ones use their IST slot number. */
enum cpu_stack {
	CPU_STACK_BOOT = 0,
	CPU_STACK_NMI = IST_NMI,
	CPU_STACK_DF = IST_DF,
	CPU_STACK_MC = IST_MC,
	NR_CPU_STACKS
};

/*
 * @cpu's stack @which spans [guard + PAGE_SIZE, top); unmap @guard (with
 * the TLB shootdown, so no CPU keeps a translation of it) and remember
 * it for cpu_stack_guard_name(). Returns false, having said why, when
 * the page could not be unmapped (no memory for a page table).
 */
bool cpu_stack_guard_install(unsigned int cpu, enum cpu_stack which,
			     void *guard, void *top);

/* The bounds of @cpu's stack @which; false if none was installed. */
bool cpu_stack_bounds(unsigned int cpu, enum cpu_stack which, u64 *lo,
		      u64 *hi);

/*
 * Is @addr in the guard page of a per-CPU stack? Then write its name
 * ("cpu1 NMI IST stack") to @buf, its CPU to *@cpu, which stack it is to
 * *@which, and return true. Lock-free: callable from a #DF handler on
 * any CPU.
 */
bool cpu_stack_guard_name(u64 addr, char *buf, size_t size,
			  unsigned int *cpu, enum cpu_stack *which);

#endif
