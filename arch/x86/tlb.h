/* SPDX-License-Identifier: MIT */
/*
 * Cross-CPU TLB shootdown for the kernel's own page tables (mm/paging.c).
 *
 * Every CPU runs on the same kernel tables, so when a mapping is removed
 * or changed after the APs are up, a stale translation may sit in any
 * CPU's TLB. After changing the entry (and flushing locally), the changer
 * calls tlb_shootdown(), which runs the flush on every other online CPU
 * through smp_call_on_cpu() and returns once all of them have done it.
 */
#ifndef ARCH_X86_TLB_H
#define ARCH_X86_TLB_H

#include "kernel/compiler.h"

/*
 * Invalidate @va on every other online CPU (@whole: their whole TLB, for
 * a change of page size by a split). Waits for all. Callable with
 * interrupts off (the wait serves calls aimed at this CPU) but not with
 * a lock another CPU may spin on with interrupts off. A CPU not yet
 * online has loaded CR3 after the change, or will.
 */
void tlb_shootdown(u64 va, bool whole);

/* Flush requests this CPU served for others (tests). */
unsigned long tlb_shootdowns_served(unsigned int cpu);

#endif
