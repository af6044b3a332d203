/* SPDX-License-Identifier: MIT */
/*
 * RCU for a non-preemptive kernel (quiescent-state based).
 *
 * Design
 *   A thread gives its CPU up only at schedule()/cond_resched(), never in
 *   the middle of a read-side section (the debug build reports yielding
 *   inside one). So rcu_read_lock() needs no shared-memory write at all:
 *   it is a compiler barrier plus, in the debug build, a per-CPU nesting
 *   counter used to check balance. A CPU is in a *quiescent state* (QS)
 *   whenever it is at a context switch, cond_resched(), in idle, or
 *   running a guest; the last two are *extended* quiescent states (EQS),
 *   entered with rcu_eqs_enter() and left with rcu_eqs_exit(), during which
 *   the CPU runs no RCU readers and does not hold up grace periods.
 *
 *   rcu_gp_ctr is a global grace-period counter. Each CPU publishes
 *   rcu_qs_ctr[cpu]: the value of rcu_gp_ctr it saw at its latest QS, or 0
 *   while in an EQS. A grace period starts by incrementing rcu_gp_ctr to a
 *   new value T (after a full barrier that orders the updater's removal
 *   before it); it has ended once every CPU has qs_ctr == 0 or >= T.
 *
 * Why a grace period cannot end while a reader is inside
 *   Take a reader on CPU c that began before the grace period T started
 *   and is still running. CPU c cannot reach a QS until the reader ends
 *   (no yield inside a read-side section), so the newest value it can have
 *   published is one read from rcu_gp_ctr *before* T existed, i.e. < T;
 *   and it is not 0 because a CPU in an EQS runs no readers and leaving
 *   the EQS publishes a non-zero value before any reader starts. Hence
 *   the check "qs_ctr == 0 or >= T" fails for c until the reader is done.
 *   Ordering: a CPU publishes its QS with smp_mb() before the store (so
 *   its finished readers' loads happen before), the waiter reads with
 *   acquire plus smp_mb() after (so the free happens after). A CPU leaving
 *   an EQS stores and then smp_mb()s before any reader loads, pairing with
 *   the updater's smp_mb() between the increment and its scan: either the
 *   updater sees the new non-zero value and waits, or the reader sees the
 *   removal.
 *
 * call_rcu() queues on the calling CPU's list; at that CPU's next QS the
 * batch gets a grace-period number, and at a later QS after that grace
 * period has ended the callbacks run (in the context of the QS, with no
 * lock held). rcu_barrier() waits until every CPU has invoked every
 * callback queued before the call (per-CPU lists are FIFO).
 *
 * Waiting sleeps
 *   synchronize_rcu() and rcu_barrier() do not spin: they sleep through
 *   the platform seam (plat_wait_event(): a wait queue in the kernel, a
 *   condition variable when hosted), so the waiter leaves the run queue,
 *   other threads get its CPU, and a CPU with nothing else to run halts
 *   in its idle EQS (the hosted build puts the sleeping CPU-thread in an
 *   EQS itself). Wake-ups come from the CPUs that move grace periods on:
 *   while rcu_nr_waiters > 0, every CPU whose qs_ctr moves forward (a new
 *   QS value, entering an EQS, starting a grace period) rescans the
 *   counters; if the newest ended grace period (rcu_gp_completed, a
 *   monotonic hint) moved on, it wakes every sleeper to re-check and
 *   kicks (IPI) the CPUs in an EQS whose callbacks became ready, since a
 *   halted CPU runs callbacks only when something wakes it. A CPU that
 *   invokes callbacks wakes the sleepers too (rcu_barrier()). No wake-up
 *   is lost: the waiter increments rcu_nr_waiters, smp_mb(), then checks;
 *   a CPU stores its qs_ctr, smp_mb(), then reads rcu_nr_waiters; one of
 *   the two sees the other's store. A waiter also re-checks at least
 *   every stall period, which is how the stall warning still fires while
 *   it sleeps. Where sleeping is impossible (before the scheduler, with
 *   interrupts off, in an interrupt handler) plat_wait_event() polls.
 *   Before its first sleep a waiter polls for rcu_wait_spin_ns (busy
 *   peers pass QSs every few microseconds), unless its CPU is wanted.
 *
 * Interrupts in an EQS
 *   An interrupt taken by a CPU in an EQS (idle's HLT) would otherwise run
 *   its handler while the CPU claims to hold no readers. The interrupt
 *   entry brackets every handler with rcu_irq_enter()/rcu_irq_exit(): if
 *   the CPU was in an EQS, enter leaves it (as rcu_eqs_exit(), publishing
 *   the current grace-period number before the handler loads anything)
 *   and exit re-enters it, so rcu_read_lock() and call_rcu() are safe in
 *   handlers. The debug build reports rcu_read_lock() in an EQS, which is
 *   what a handler that did not enter hits.
 *
 * Rule for every CPU (kernel thread or hosted pthread): pass a QS
 * regularly (schedule(), cond_resched(), rcu_note_quiescent_state()) or
 * be in an EQS; otherwise grace periods stall, and after
 * rcu_stall_timeout_ms the stall warning names the CPU:
 *   BUG: RCU stall - CPU#N blocking grace period G for Xs
 */
#ifndef KERNEL_RCU_H
#define KERNEL_RCU_H

#include "kernel/compiler.h"
#include "kernel/config.h"

struct rcu_head {
	struct rcu_head *next;
	void (*func)(struct rcu_head *head);
};

void __rcu_read_lock_debug(void);
void __rcu_read_unlock_debug(void);

static inline void rcu_read_lock(void)
{
	if (CONFIG_DEBUG)
		__rcu_read_lock_debug();
	barrier();
}

static inline void rcu_read_unlock(void)
{
	barrier();
	if (CONFIG_DEBUG)
		__rcu_read_unlock_debug();
}

/* Nesting depth of this CPU's read-side sections (0 without CONFIG_DEBUG). */
int rcu_read_lock_nesting(void);

static inline bool rcu_read_lock_held(void)
{
	return !CONFIG_DEBUG || rcu_read_lock_nesting() > 0;
}

/* Consume is promoted to acquire by GCC; free on x86. */
#define rcu_dereference(p)	__atomic_load_n(&(p), __ATOMIC_CONSUME)
#define rcu_access_pointer(p)	READ_ONCE(p)
#define rcu_assign_pointer(p, v) __atomic_store_n(&(p), (v), __ATOMIC_RELEASE)
#define RCU_INIT_POINTER(p, v)	WRITE_ONCE(p, v)

void rcu_note_quiescent_state(void);
void rcu_eqs_enter(void);
void rcu_eqs_exit(void);
bool rcu_in_eqs(void);
/*
 * Around every interrupt handler (arch/x86/idt.c), with interrupts off:
 * leave an EQS the CPU is in for the handler's duration. Nest.
 */
void rcu_irq_enter(void);
void rcu_irq_exit(void);
/* True inside an interrupt whose rcu_irq_enter() left an EQS. */
bool rcu_irq_from_eqs(void);

void synchronize_rcu(void);
void call_rcu(struct rcu_head *head, void (*func)(struct rcu_head *head));
void rcu_barrier(void);
/*
 * Before a CPU goes offline for good (hosted: a thread unregisters):
 * run every callback it queued, passing QSs until they are done.
 */
void rcu_cpu_drain_callbacks(void);

/* Stall warning threshold (default 21 s, as Linux); tests lower it. */
extern u64 rcu_stall_timeout_ms;
/*
 * A waiter polls this long (default 10 us) before it sleeps, unless
 * another thread wants its CPU; 0: sleep at once.
 */
extern u64 rcu_wait_spin_ns;
unsigned long rcu_nr_stalls(void);

/* Statistics. */
u64 rcu_nr_grace_periods(void);
u64 rcu_nr_callbacks_invoked(void);
/* Times a synchronize_rcu()/rcu_barrier() waiter went to sleep. */
u64 rcu_nr_waiter_sleeps(void);
/* CPUs in an EQS kicked because their callbacks became ready. */
u64 rcu_nr_cpu_kicks(void);

#endif
