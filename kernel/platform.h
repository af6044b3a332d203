/* SPDX-License-Identifier: MIT */
/*
 * The seam between the portable core and whatever runs it.
 *
 * The portable core (locks, refcount, RCU, lists, SPTE, tdp_iter, roots,
 * fault/zap/invalidate, reclaim, the page allocator) calls only what is declared
 * here and in kernel/compiler.h. Two implementations exist:
 *
 *   kernel/platform_kernel.c   the real kernel: per-CPU data, the
 *                              scheduler, the buddy allocator, the direct map
 *   tests/host/platform_host.c a Linux process where each pthread plays a
 *                              CPU; it also *simulates* what hardware hides:
 *                              freed pages are poisoned, and scheduling
 *                              points can inject seeded random yields
 *
 * No #ifdef in core logic: a behaviour that differs between the two worlds
 * lives behind one of these functions.
 */
#ifndef KERNEL_PLATFORM_H
#define KERNEL_PLATFORM_H

#include "kernel/types.h"

/* Index of the CPU (or CPU-playing thread) running the caller, < MAX_CPUS. */
unsigned int plat_cpu_id(void);
/* Number of CPUs that are online and may run core code. */
unsigned int plat_nr_cpus(void);

/* Spin-wait hint (PAUSE). */
void cpu_relax(void);

/* Interrupt masking on this CPU; the hosted build only tracks the state. */
unsigned long plat_irq_save(void);
void plat_irq_restore(unsigned long flags);
bool plat_irqs_disabled(void);

/*
 * Scheduling. need_resched() is true when the timer (or the hosted yield
 * injector) wants the CPU back. schedule() gives the CPU away; it is an RCU
 * quiescent state, and the debug build checks that no spinlock and no RCU
 * read-side section is held across it.
 */
bool need_resched(void);
void schedule(void);

/* Monotonic time. */
u64 plat_now_ns(void);
/* A cheap, monotonic cycle count for profiles (the TSC on x86). */
u64 plat_cycles(void);

/*
 * Sleeping for the core's waiters (synchronize_rcu(), rcu_barrier()).
 *
 * plat_wait_event(cond, arg, timeout_ns) returns once cond(arg) holds,
 * after about @timeout_ns (> 0), or spuriously; it returns cond's last
 * value and the caller re-checks. While the caller sleeps its CPU runs
 * other threads or idles in an RCU extended quiescent state (the hosted
 * build enters one around the wait itself), so the caller must hold no
 * lock and no RCU read-side section. Where sleeping is impossible (no
 * thread yet, interrupts off, in an interrupt handler, the idle thread,
 * a lock held) it takes one polling step instead (schedule() if
 * need_resched(), else cpu_relax()). cond must be cheap and side-effect
 * free; it runs on the caller's CPU.
 *
 * plat_wake_waiters() makes every sleeper re-evaluate its cond; callable
 * from any context, interrupts off and interrupt handlers included.
 *
 * plat_kick_cpu(cpu) interrupts @cpu (itself included) so that it leaves
 * HLT or guest mode and passes a quiescent state, running its ready RCU
 * callbacks (kernel: the reschedule IPI). The hosted build has no halted
 * CPUs and does nothing.
 */
bool plat_wait_event(bool (*cond)(void *arg), void *arg, u64 timeout_ns);
void plat_wake_waiters(void);
void plat_kick_cpu(unsigned int cpu);

/*
 * Page allocation for the core (page-table pages, root objects). Pages are
 * 4 KiB, 4 KiB-aligned and zeroed; NULL when memory is exhausted. Freed
 * pages are poisoned in the hosted build so a use-after-free reads garbage
 * that tests notice.
 */
void *plat_alloc_page(void);
void plat_free_page(void *va);
/*
 * A zeroed, naturally aligned block of 2^@order contiguous pages (guest
 * memory behind a huge SPTE), handed out already split: each of its
 * pages is freed on its own with plat_free_page(). NULL when no such
 * block is free (or @order is more than the platform can give); callers
 * fall back to smaller blocks.
 */
void *plat_alloc_pages(unsigned int order);
/* Frees a whole block from plat_alloc_pages() none of whose pages was freed. */
void plat_free_pages(void *va, unsigned int order);

/*
 * The direct map is the identity on both platforms (the kernel maps RAM
 * 1:1, DESIGN.md; hosted tests use heap addresses as "physical" ones), so
 * these are inline: the MMU converts on every step of every walk.
 */
static inline phys_addr_t plat_virt_to_phys(const void *va)
{
	return (phys_addr_t)(uintptr_t)va;
}

static inline void *plat_phys_to_virt(phys_addr_t pa)
{
	return (void *)(uintptr_t)pa;
}

/* Small-object allocation (kmalloc in the kernel, malloc when hosted). */
void *plat_zalloc(size_t size);
void plat_free(void *p);

/* Console output for the core's log (serial in the kernel, stderr hosted). */
void plat_console_write(const char *s, size_t len);

/* Stop everything: the kernel halts all CPUs, the hosted build abort()s. */
__attribute__((noreturn)) void plat_halt(void);

#endif
