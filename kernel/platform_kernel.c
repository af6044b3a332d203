// SPDX-License-Identifier: MIT
/*
 * kernel/platform.h for the real kernel: CPU ids from the per-CPU area,
 * time from the calibrated TSC, pages from the buddy allocator, console
 * on COM1. need_resched()/schedule() are weak defaults that the scheduler
 * (kernel/sched.c) replaces.
 */
#include "kernel/platform.h"
#include "arch/x86/cpu.h"
#include "arch/x86/lapic.h"
#include "arch/x86/uart.h"
#include "kernel/exit.h"
#include "kernel/log.h"
#include "kernel/percpu.h"
#include "mm/kmalloc.h"
#include "mm/page_alloc.h"

unsigned int plat_cpu_id(void)
{
	return this_cpu_id();
}

unsigned int plat_nr_cpus(void)
{
	unsigned int n = READ_ONCE(nr_cpus_online);

	return n ? n : 1;
}

void cpu_relax(void)
{
	cpu_pause();
}

unsigned long plat_irq_save(void)
{
	return local_irq_save();
}

void plat_irq_restore(unsigned long flags)
{
	local_irq_restore(flags);
}

bool plat_irqs_disabled(void)
{
	return irqs_disabled();
}

__attribute__((weak)) bool need_resched(void)
{
	return false;
}

__attribute__((weak)) void schedule(void)
{
}

u64 plat_now_ns(void)
{
	return tsc_to_ns(rdtsc());
}

void *plat_alloc_page(void)
{
	return page_alloc_zeroed(0);
}

void plat_free_page(void *va)
{
	page_free(va, 0);
}

phys_addr_t plat_virt_to_phys(const void *va)
{
	return (phys_addr_t)(unsigned long)va;
}

void *plat_phys_to_virt(phys_addr_t pa)
{
	return (void *)(unsigned long)pa;
}

void *plat_zalloc(size_t size)
{
	return kzalloc(size);
}

void plat_free(void *p)
{
	kfree(p);
}

void plat_console_write(const char *s, size_t len)
{
	uart_write(s, len);
}

/* A halt is the end of the run, and never a successful one. */
__noreturn void plat_halt(void)
{
	kernel_exit(false);
}
