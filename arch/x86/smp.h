/* SPDX-License-Identifier: MIT */
/*
 * SMP: starting the APs listed in the ACPI MADT, cross-CPU function calls
 * and stopping every CPU.
 */
#ifndef ARCH_X86_SMP_H
#define ARCH_X86_SMP_H

#include "kernel/compiler.h"

/* Physical page the AP trampoline is copied to (reserved from mm). */
#define TRAMP_BASE	0x8000UL

/* Start every enabled CPU of the MADT (at most @max_cpus in all). */
void smp_boot_aps(unsigned int max_cpus);

/*
 * Run fn(arg) on CPU @cpu (dense id) in interrupt context via an IPI; on
 * the calling CPU it is called directly. With @wait, return once fn has
 * returned. While waiting, the caller serves calls aimed at itself, so two
 * CPUs calling each other do not deadlock. Returns 0, or -1 when @cpu is
 * not online.
 */
int smp_call_on_cpu(unsigned int cpu, void (*fn)(void *arg), void *arg,
		    bool wait);

/*
 * NMI every other CPU into a halt loop (for panics and the final exit).
 * Waits a bounded time; returns how many CPUs are parked (only the first
 * call sends NMIs, later ones just report).
 */
unsigned int smp_stop_other_cpus(void);
bool smp_stopping(void);
__noreturn void smp_park_this_cpu(void);

/* Number of enabled CPUs the MADT lists (1 without a MADT). */
unsigned int smp_nr_expected(void);

#endif
