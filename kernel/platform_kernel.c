// SPDX-License-Identifier: MIT
/*
 * kernel/platform.h for the real kernel: CPU ids from the per-CPU area,
 * time from the calibrated TSC, pages from the buddy allocator, console
 * on COM1. need_resched()/schedule() are weak defaults that the scheduler
 * (kernel/sched.c) replaces. The core's waiters sleep on one wait queue.
 */
#include "kernel/platform.h"
#include "arch/x86/cpu.h"
#include "arch/x86/interrupts.h"
#include "arch/x86/lapic.h"
#include "arch/x86/screen.h"
#include "arch/x86/uart.h"
#include "kernel/exit.h"
#include "kernel/lockdep.h"
#include "kernel/log.h"
#include "kernel/percpu.h"
#include "kernel/thread.h"
#include "kernel/wait.h"
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

u64 plat_cycles(void)
{
	return rdtsc();
}

/*
 * Sleepers of plat_wait_event() (RCU waiters). Its lock is taken irqsave:
 * wakers run with interrupts off (idle entry) and in interrupt handlers.
 */
static struct wait_queue_head plat_waitq = {
	.lock = SPINLOCK_INIT(plat_waitq.lock),
	.head = LIST_HEAD_INIT(plat_waitq.head),
};

static bool plat_can_sleep(void)
{
	struct thread *t;

	if (irqs_disabled() || this_cpu()->irq_depth || lockdep_depth())
		return false;
	t = current_thread();
	return t && !t->is_idle;
}

bool plat_wait_event(bool (*cond)(void *arg), void *arg, u64 timeout_ns)
{
	if (!plat_can_sleep()) {
		if (need_resched())
			schedule();
		else
			cpu_relax();
		return cond(arg);
	}
	return wait_event_timeout(plat_waitq, cond(arg),
				  timeout_ns ? timeout_ns : 1);
}

void plat_wake_waiters(void)
{
	struct thread *t;

	if (!wake_up_all(&plat_waitq))
		return;
	/*
	 * A sleeper of this CPU woken from the idle loop (its RCU EQS entry
	 * ended the grace period) only has need_resched set, and the idle
	 * loop already looked: interrupt the HLT that follows.
	 */
	t = current_thread();
	if (t && t->is_idle && need_resched())
		plat_kick_cpu(plat_cpu_id());
}

void plat_kick_cpu(unsigned int cpu)
{
	struct percpu *pc = per_cpu(cpu);

	if (pc && smp_load_acquire(&pc->online))
		lapic_send_ipi(pc->apic_id, APIC_ICR_FIXED | VEC_RESCHEDULE);
}

void *plat_alloc_page(void)
{
	return page_alloc_zeroed(0);
}

void plat_free_page(void *va)
{
	page_free(va, 0);
}

void *plat_alloc_pages(unsigned int order)
{
	void *va;

	if (order > MAX_ORDER)
		return NULL;
	va = page_alloc_zeroed(order);
	page_split(va, order);
	return va;
}

void plat_free_pages(void *va, unsigned int order)
{
	u64 i;

	for (i = 0; va && i < (1ULL << order); i++)
		page_free((char *)va + i * PAGE_SIZE, 0);
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
	screen_write(s, len);
}

/* A halt is the end of the run, and never a successful one. */
__noreturn void plat_halt(void)
{
	kernel_exit(false);
}
