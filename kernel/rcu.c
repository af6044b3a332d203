// SPDX-License-Identifier: MIT
/*
 * Quiescent-state-based RCU (design and proof sketch in kernel/rcu.h):
 * per-CPU QS counters, callbacks run at QSs, waiters that sleep until the
 * CPU whose QS ends their grace period wakes them, and the interrupt
 * entry's way out of an extended quiescent state.
 */
#include "kernel/rcu.h"
#include "kernel/lockdep.h"
#include "kernel/log.h"
#include "kernel/platform.h"

#define RCU_EQS		(~0ULL)	/* qs_ctr of a CPU in an EQS: ">= any T" */

struct rcu_cpu {
	/*
	 * rcu_gp_ctr seen at this CPU's latest QS, RCU_EQS in an EQS.
	 * Written by the owner only, read by every grace-period waiter.
	 */
	u64 qs_ctr;
	int nesting;			/* read-side depth (CONFIG_DEBUG) */
	/*
	 * Owner only, interrupts off: rcu_irq_enter() depth, and the depth
	 * at which an interrupt left an EQS (0: none did), which is where
	 * rcu_irq_exit() enters it again.
	 */
	int irq_nesting;
	int irq_eqs_level;
	bool in_callbacks;		/* invoking callbacks: no re-entry */
	/*
	 * Callback lists, touched only by the owning CPU with IRQs off.
	 * `next` waits for a grace period to be assigned, `wait` for
	 * grace period wait_target to end.
	 */
	struct rcu_head *next_head, **next_tail;
	struct rcu_head *wait_head, **wait_tail;
	u64 wait_target;
	/*
	 * wait_target while `wait` holds callbacks, else 0. Owner writes,
	 * rcu_gp_advance() on any CPU reads it to kick this CPU out of an
	 * EQS once the batch is ready.
	 */
	u64 cbs_gp;
	u64 wait_since_ns;
	u64 wait_report_ns;
	/* Owner increments, rcu_barrier() on any CPU reads. */
	u64 nr_queued;
	u64 nr_invoked;
} __cacheline_aligned;

static struct rcu_cpu rcu_cpus[MAX_CPUS];
static u64 rcu_gp_ctr __cacheline_aligned;	/* latest grace period started */
/*
 * Every grace period <= rcu_gp_completed has ended (a scan proved it).
 * Monotonic (raised by CAS), maintained only while someone waits: a hint
 * for waking sleepers, never needed for correctness of the check itself.
 */
static u64 rcu_gp_completed __cacheline_aligned;
/* synchronize_rcu()/rcu_barrier() callers between their check and return. */
static unsigned int rcu_nr_waiters;
static u64 nr_waiter_sleeps;
static u64 nr_cpu_kicks;
static u64 nr_gps_completed;
static u64 nr_cbs_invoked;
static unsigned long nr_stalls;
u64 rcu_stall_timeout_ms = 21000;
u64 rcu_wait_spin_ns = 10000;

static struct rcu_cpu *this_rcu(void)
{
	return &rcu_cpus[plat_cpu_id()];
}

void __rcu_read_lock_debug(void)
{
	struct rcu_cpu *c = this_rcu();

	if (unlikely(READ_ONCE(c->qs_ctr) == RCU_EQS))
		lockdep_report_fmt("rcu_read_lock() in extended quiescent "
				   "state (cpu %u; an interrupt handler needs "
				   "rcu_irq_enter())", plat_cpu_id());
	c->nesting++;
}

void __rcu_read_unlock_debug(void)
{
	struct rcu_cpu *c = this_rcu();

	if (unlikely(c->nesting <= 0)) {
		lockdep_report_fmt("rcu_read_unlock() without rcu_read_lock() "
				   "(cpu %u)", plat_cpu_id());
		return;
	}
	c->nesting--;
}

int rcu_read_lock_nesting(void)
{
	return CONFIG_DEBUG ? this_rcu()->nesting : 0;
}

unsigned long rcu_nr_stalls(void)
{
	return __atomic_load_n(&nr_stalls, __ATOMIC_RELAXED);
}

u64 rcu_nr_grace_periods(void)
{
	return __atomic_load_n(&nr_gps_completed, __ATOMIC_RELAXED);
}

u64 rcu_nr_callbacks_invoked(void)
{
	return __atomic_load_n(&nr_cbs_invoked, __ATOMIC_RELAXED);
}

u64 rcu_nr_waiter_sleeps(void)
{
	return __atomic_load_n(&nr_waiter_sleeps, __ATOMIC_RELAXED);
}

u64 rcu_nr_cpu_kicks(void)
{
	return __atomic_load_n(&nr_cpu_kicks, __ATOMIC_RELAXED);
}

static u64 qs_ctr_load(unsigned int cpu)
{
	return __atomic_load_n(&rcu_cpus[cpu].qs_ctr, __ATOMIC_ACQUIRE);
}

static void qs_ctr_store(struct rcu_cpu *c, u64 v)
{
	__atomic_store_n(&c->qs_ctr, v, __ATOMIC_RELEASE);
}

/* Has grace period `target` ended, i.e. has every CPU passed a QS since? */
static bool rcu_gp_done(u64 target)
{
	unsigned int cpu, nr = plat_nr_cpus();

	smp_mb();
	for (cpu = 0; cpu < nr; cpu++)
		if (qs_ctr_load(cpu) < target)
			return false;
	/* Order the waiter's frees after every reader it waited for. */
	smp_mb();
	return true;
}

/* As rcu_gp_done(), trying the cheap hint first. */
static bool rcu_gp_ended(u64 target)
{
	if (__atomic_load_n(&rcu_gp_completed, __ATOMIC_ACQUIRE) >= target) {
		smp_mb();
		return true;
	}
	return rcu_gp_done(target);
}

/*
 * Some CPU's qs_ctr moved forward and someone waits: find the newest
 * grace period that has ended (no CPU's counter below it, and started, so
 * at most rcu_gp_ctr read first); if that is news, wake every sleeper and
 * kick the CPUs halted in an EQS whose callbacks it made ready.
 */
static void rcu_gp_advance(void)
{
	unsigned int cpu, nr = plat_nr_cpus();
	u64 done = __atomic_load_n(&rcu_gp_ctr, __ATOMIC_ACQUIRE), old, q;

	for (cpu = 0; cpu < nr; cpu++) {
		q = qs_ctr_load(cpu);
		if (q < done)
			done = q;
	}
	old = __atomic_load_n(&rcu_gp_completed, __ATOMIC_RELAXED);
	do {
		if (done <= old)
			return;
	} while (!__atomic_compare_exchange_n(&rcu_gp_completed, &old, done,
					      false, __ATOMIC_SEQ_CST,
					      __ATOMIC_RELAXED));
	for (cpu = 0; cpu < nr; cpu++) {
		q = READ_ONCE(rcu_cpus[cpu].cbs_gp);
		if (q && q <= done && qs_ctr_load(cpu) == RCU_EQS) {
			__atomic_add_fetch(&nr_cpu_kicks, 1, __ATOMIC_RELAXED);
			plat_kick_cpu(cpu);
		}
	}
	plat_wake_waiters();
}

/*
 * The caller has just stored a larger qs_ctr for this CPU (or RCU_EQS).
 * The smp_mb() orders that store before the read of rcu_nr_waiters; it
 * pairs with the one in rcu_wait() between the increment and the check.
 */
static bool rcu_qs_advanced(void)
{
	smp_mb();
	if (likely(!__atomic_load_n(&rcu_nr_waiters, __ATOMIC_RELAXED)))
		return false;
	rcu_gp_advance();
	return true;
}

/* Start a new grace period; the caller is at a QS (or in an EQS). */
static u64 rcu_gp_start(struct rcu_cpu *c)
{
	u64 target;

	/* Full barrier: the updater's removal precedes the new number. */
	smp_mb();
	target = __atomic_add_fetch(&rcu_gp_ctr, 1, __ATOMIC_SEQ_CST);
	if (READ_ONCE(c->qs_ctr) != RCU_EQS) {
		qs_ctr_store(c, target);
		/* May be the last QS an older grace period waited for. */
		rcu_qs_advanced();
	}
	smp_mb();
	return target;
}

/*
 * Name the CPUs holding up grace period `target`, which started at
 * `start`, once *next_report (initially `start`) is a threshold old;
 * reports repeat every threshold while the stall lasts.
 */
static void rcu_check_stall(u64 target, u64 start, u64 *next_report)
{
	u64 now = plat_now_ns();
	u64 limit = READ_ONCE(rcu_stall_timeout_ms) * 1000000ULL;
	unsigned int cpu, nr = plat_nr_cpus();

	if (now - *next_report < limit)
		return;
	*next_report = now;
	for (cpu = 0; cpu < nr; cpu++) {
		if (qs_ctr_load(cpu) >= target)
			continue;
		__atomic_add_fetch(&nr_stalls, 1, __ATOMIC_RELAXED);
		pr_err("BUG: RCU stall - CPU#%u blocking grace period %llu "
		       "for %llu.%03llus (detected by cpu %u)\n", cpu,
		       (unsigned long long)target,
		       (unsigned long long)((now - start) / 1000000000ULL),
		       (unsigned long long)((now - start) / 1000000ULL % 1000),
		       plat_cpu_id());
	}
}

static void rcu_list_init(struct rcu_cpu *c)
{
	if (!c->next_tail) {
		c->next_tail = &c->next_head;
		c->wait_tail = &c->wait_head;
	}
}

/*
 * At a QS of this CPU: run the batch whose grace period has ended, and
 * give the newly queued callbacks a grace period of their own.
 */
static void rcu_process_callbacks(struct rcu_cpu *c)
{
	struct rcu_head *done = NULL, *h;
	unsigned long flags;
	u64 n = 0;

	if (c->in_callbacks)
		return;
	flags = plat_irq_save();
	rcu_list_init(c);
	if (c->wait_head && rcu_gp_ended(c->wait_target)) {
		done = c->wait_head;
		c->wait_head = NULL;
		c->wait_tail = &c->wait_head;
		WRITE_ONCE(c->cbs_gp, 0);
	}
	if (!c->wait_head && c->next_head) {
		c->wait_head = c->next_head;
		c->wait_tail = c->next_tail;
		c->next_head = NULL;
		c->next_tail = &c->next_head;
		c->wait_target = rcu_gp_start(c);
		WRITE_ONCE(c->cbs_gp, c->wait_target);
		c->wait_since_ns = plat_now_ns();
		c->wait_report_ns = c->wait_since_ns;
	} else if (c->wait_head) {
		rcu_check_stall(c->wait_target, c->wait_since_ns,
				&c->wait_report_ns);
	}
	plat_irq_restore(flags);

	if (!done)
		return;
	c->in_callbacks = true;
	while (done) {
		h = done;
		done = h->next;
		h->func(h);
		n++;
	}
	c->in_callbacks = false;
	__atomic_add_fetch(&nr_cbs_invoked, n, __ATOMIC_RELAXED);
	__atomic_store_n(&c->nr_invoked, c->nr_invoked + n, __ATOMIC_RELEASE);
	/* rcu_barrier() sleepers count nr_invoked: same pairing as a QS. */
	smp_mb();
	if (__atomic_load_n(&rcu_nr_waiters, __ATOMIC_RELAXED))
		plat_wake_waiters();
}

void rcu_note_quiescent_state(void)
{
	struct rcu_cpu *c = this_rcu();
	u64 old, gp;

	if (CONFIG_DEBUG && unlikely(c->nesting)) {
		lockdep_report_fmt("quiescent state inside RCU read-side "
				   "critical section (cpu %u, nesting %d)",
				   plat_cpu_id(), c->nesting);
		return;
	}
	old = READ_ONCE(c->qs_ctr);
	if (old == RCU_EQS)
		return;
	/*
	 * Nothing new to report while no grace period started since our
	 * last QS: skip the barrier and the store (the common case).
	 */
	gp = __atomic_load_n(&rcu_gp_ctr, __ATOMIC_ACQUIRE);
	if (gp != old) {
		/* Every read-side access of ours precedes the published QS. */
		smp_mb();
		qs_ctr_store(c, gp);
		rcu_qs_advanced();
	}
	if (c->next_head || c->wait_head)
		rcu_process_callbacks(c);
}

void rcu_eqs_enter(void)
{
	struct rcu_cpu *c = this_rcu();

	if (CONFIG_DEBUG && unlikely(c->nesting))
		lockdep_report_fmt("rcu_eqs_enter() inside RCU read-side "
				   "critical section (cpu %u, nesting %d)",
				   plat_cpu_id(), c->nesting);
	smp_mb();
	qs_ctr_store(c, RCU_EQS);
	/*
	 * Our callbacks may have become ready just before we stopped
	 * looking (a grace period ending between our last QS and now, seen
	 * by a scan that still found us outside the EQS): kick ourselves so
	 * that the HLT or guest entry ends at once and they run. Not from
	 * rcu_irq_exit(): the interrupt already ended the HLT, and the idle
	 * loop passes a QS next; a kick there would interrupt the return
	 * from every interrupt, forever.
	 */
	if (rcu_qs_advanced() && !c->irq_nesting && c->cbs_gp &&
	    __atomic_load_n(&rcu_gp_completed, __ATOMIC_ACQUIRE) >= c->cbs_gp)
		plat_kick_cpu(plat_cpu_id());
}

void rcu_eqs_exit(void)
{
	struct rcu_cpu *c = this_rcu();

	qs_ctr_store(c, __atomic_load_n(&rcu_gp_ctr, __ATOMIC_ACQUIRE));
	/* Publish "not in EQS" before any reader of ours loads a pointer. */
	smp_mb();
}

bool rcu_in_eqs(void)
{
	return READ_ONCE(this_rcu()->qs_ctr) == RCU_EQS;
}

void rcu_irq_enter(void)
{
	struct rcu_cpu *c = this_rcu();

	c->irq_nesting++;
	if (READ_ONCE(c->qs_ctr) == RCU_EQS && !c->irq_eqs_level) {
		c->irq_eqs_level = c->irq_nesting;
		rcu_eqs_exit();
	}
}

bool rcu_irq_from_eqs(void)
{
	return this_rcu()->irq_eqs_level != 0;
}

void rcu_irq_exit(void)
{
	struct rcu_cpu *c = this_rcu();

	if (CONFIG_DEBUG && unlikely(c->irq_nesting <= 0)) {
		lockdep_report_fmt("rcu_irq_exit() without rcu_irq_enter() "
				   "(cpu %u)", plat_cpu_id());
		return;
	}
	if (c->irq_eqs_level == c->irq_nesting) {
		c->irq_eqs_level = 0;
		/* Reports a read-side section the handler left open. */
		rcu_eqs_enter();
	}
	c->irq_nesting--;
}

/* One step of waiting for other CPUs: be quiescent ourselves, let others run. */
static void rcu_wait_step(void)
{
	rcu_note_quiescent_state();
	if (need_resched())
		schedule();
	else
		cpu_relax();
}

struct rcu_wait {
	bool (*done)(void *arg);
	void *arg;
};

/*
 * What a sleeping waiter wakes up for: its own condition, or callbacks of
 * its own CPU that are ready (a hosted CPU-thread asleep in its EQS is the
 * only one that can run them; the loop in rcu_wait() does).
 */
static bool rcu_wait_cond(void *arg)
{
	struct rcu_wait *w = arg;
	u64 g = READ_ONCE(this_rcu()->cbs_gp);

	if (w->done(w->arg))
		return true;
	return g && __atomic_load_n(&rcu_gp_completed, __ATOMIC_ACQUIRE) >= g;
}

/*
 * Sleep until done(arg). With @stall_target, report the CPUs holding that
 * grace period up every rcu_stall_timeout_ms, waking up for it if need be.
 */
static void rcu_wait(bool (*done)(void *arg), void *arg, u64 stall_target)
{
	struct rcu_wait w = { done, arg };
	u64 start = plat_now_ns(), next_report = start, limit, now, timeout;
	u64 spin_end = start + READ_ONCE(rcu_wait_spin_ns);

	__atomic_add_fetch(&rcu_nr_waiters, 1, __ATOMIC_SEQ_CST);
	/* Pairs with rcu_qs_advanced(): we see its QS, or it sees us. */
	smp_mb();
	/*
	 * Busy peers pass a QS within microseconds: poll that long first,
	 * unless another thread wants this CPU, as a sleep and its wake-up
	 * IPI cost more than that.
	 */
	while (!need_resched() && plat_now_ns() < spin_end) {
		rcu_note_quiescent_state();
		if (done(arg))
			goto out;
		cpu_relax();
	}
	for (;;) {
		/* Our own QS, and our own callbacks that are ready. */
		rcu_note_quiescent_state();
		if (done(arg))
			break;
		if (stall_target)
			rcu_check_stall(stall_target, start, &next_report);
		limit = READ_ONCE(rcu_stall_timeout_ms) * 1000000ULL;
		now = plat_now_ns();
		timeout = next_report + limit > now ? next_report + limit - now
						    : 1;
		__atomic_add_fetch(&nr_waiter_sleeps, 1, __ATOMIC_RELAXED);
		plat_wait_event(rcu_wait_cond, &w, timeout);
	}
out:
	__atomic_sub_fetch(&rcu_nr_waiters, 1, __ATOMIC_RELEASE);
}

static bool rcu_sync_done(void *arg)
{
	return rcu_gp_ended(*(u64 *)arg);
}

void synchronize_rcu(void)
{
	struct rcu_cpu *c = this_rcu();
	u64 target;

	if (CONFIG_DEBUG && unlikely(c->nesting)) {
		lockdep_report_fmt("synchronize_rcu() inside RCU read-side "
				   "critical section (cpu %u, nesting %d)",
				   plat_cpu_id(), c->nesting);
		return;
	}
	target = rcu_gp_start(c);
	if (!rcu_gp_done(target))
		rcu_wait(rcu_sync_done, &target, target);
	__atomic_add_fetch(&nr_gps_completed, 1, __ATOMIC_RELAXED);
}

void call_rcu(struct rcu_head *head, void (*func)(struct rcu_head *head))
{
	struct rcu_cpu *c;
	unsigned long flags;

	head->func = func;
	head->next = NULL;
	flags = plat_irq_save();
	c = this_rcu();
	rcu_list_init(c);
	*c->next_tail = head;
	c->next_tail = &head->next;
	__atomic_store_n(&c->nr_queued, c->nr_queued + 1, __ATOMIC_RELEASE);
	plat_irq_restore(flags);
}

struct rcu_barrier_wait {
	unsigned int nr;
	u64 queued[MAX_CPUS];
};

static bool rcu_barrier_done(void *arg)
{
	struct rcu_barrier_wait *b = arg;
	unsigned int cpu;

	for (cpu = 0; cpu < b->nr; cpu++)
		if (__atomic_load_n(&rcu_cpus[cpu].nr_invoked,
				    __ATOMIC_ACQUIRE) < b->queued[cpu])
			return false;
	return true;
}

void rcu_barrier(void)
{
	struct rcu_barrier_wait b = { .nr = plat_nr_cpus() };
	unsigned int cpu;

	for (cpu = 0; cpu < b.nr; cpu++)
		b.queued[cpu] = __atomic_load_n(&rcu_cpus[cpu].nr_queued,
						__ATOMIC_ACQUIRE);
	/* Our own callbacks first: rcu_wait() only sleeps if others remain. */
	rcu_note_quiescent_state();
	if (!rcu_barrier_done(&b))
		rcu_wait(rcu_barrier_done, &b, 0);
}

void rcu_cpu_drain_callbacks(void)
{
	struct rcu_cpu *c = this_rcu();

	while (c->next_head || c->wait_head)
		rcu_wait_step();
}
