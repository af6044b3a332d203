// SPDX-License-Identifier: MIT
/*
 * Per-CPU areas (see kernel/percpu.h). The BSP's is static so that logging
 * and plat_cpu_id() work from the first line of kmain(); the APs' are
 * allocated by arch/x86/smp.c before each AP is started.
 */
#include "kernel/percpu.h"
#include "arch/x86/cpu.h"

struct percpu bsp_percpu;
struct percpu *percpu_ptr[MAX_CPUS];
/* CPUs that have checked in; written by each CPU as it comes online. */
unsigned int nr_cpus_online;

void percpu_install(struct percpu *pc)
{
	pc->self = pc;
	wrmsr(MSR_GS_BASE, (u64)(unsigned long)pc);
	wrmsr(MSR_KERNEL_GS_BASE, 0);
	WRITE_ONCE(percpu_ptr[pc->cpu_id], pc);
}
