// SPDX-License-Identifier: MIT
/*
 * Quiescent-state-based RCU (design and proof sketch in kernel/rcu.h).
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
	bool in_callbacks;		/* invoking callbacks: no re-entry */
	/*
	 * Callback lists, touched only by the owning CPU with IRQs off.
	 * `next` waits for a grace period to be assigned, `wait` for
	 * grace period wait_target to end.
	 */
	struct rcu_head *next_head, **next_tail;
	struct rcu_head *wait_head, **wait_tail;
	u64 wait_target;
	u64 wait_since_ns;
	u64 wait_report_ns;
	/* Owner increments, rcu_barrier() on any CPU reads. */
	u64 nr_queued;
	u64 nr_invoked;
} __cacheline_aligned;

static struct rcu_cpu rcu_cpus[MAX_CPUS];
static u64 rcu_gp_ctr __cacheline_aligned;	/* latest grace period started */
static u64 nr_gps_completed;
static u64 nr_cbs_invoked;
static unsigned long nr_stalls;
u64 rcu_stall_timeout_ms = 21000;

static struct rcu_cpu *this_rcu(void)
{
	return &rcu_cpus[plat_cpu_id()];
}

void __rcu_read_lock_debug(void)
{
	struct rcu_cpu *c = this_rcu();

	if (unlikely(READ_ONCE(c->qs_ctr) == RCU_EQS))
		lockdep_report_fmt("rcu_read_lock() in extended quiescent "
				   "state (cpu %u)", plat_cpu_id());
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

/* Start a new grace period; the caller is at a QS (or in an EQS). */
static u64 rcu_gp_start(struct rcu_cpu *c)
{
	u64 target;

	/* Full barrier: the updater's removal precedes the new number. */
	smp_mb();
	target = __atomic_add_fetch(&rcu_gp_ctr, 1, __ATOMIC_SEQ_CST);
	if (READ_ONCE(c->qs_ctr) != RCU_EQS)
		qs_ctr_store(c, target);
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
	if (c->wait_head && rcu_gp_done(c->wait_target)) {
		done = c->wait_head;
		c->wait_head = NULL;
		c->wait_tail = &c->wait_head;
	}
	if (!c->wait_head && c->next_head) {
		c->wait_head = c->next_head;
		c->wait_tail = c->next_tail;
		c->next_head = NULL;
		c->next_tail = &c->next_head;
		c->wait_target = rcu_gp_start(c);
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
}

void rcu_note_quiescent_state(void)
{
	struct rcu_cpu *c = this_rcu();

	if (CONFIG_DEBUG && unlikely(c->nesting)) {
		lockdep_report_fmt("quiescent state inside RCU read-side "
				   "critical section (cpu %u, nesting %d)",
				   plat_cpu_id(), c->nesting);
		return;
	}
	if (READ_ONCE(c->qs_ctr) == RCU_EQS)
		return;
	/* Every read-side access of ours precedes the published QS. */
	smp_mb();
	qs_ctr_store(c, __atomic_load_n(&rcu_gp_ctr, __ATOMIC_ACQUIRE));
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

/* One step of waiting for other CPUs: be quiescent ourselves, let others run. */
static void rcu_wait_step(void)
{
	rcu_note_quiescent_state();
	if (need_resched())
		schedule();
	else
		cpu_relax();
}

void synchronize_rcu(void)
{
	struct rcu_cpu *c = this_rcu();
	u64 target, start, next_report;

	if (CONFIG_DEBUG && unlikely(c->nesting)) {
		lockdep_report_fmt("synchronize_rcu() inside RCU read-side "
				   "critical section (cpu %u, nesting %d)",
				   plat_cpu_id(), c->nesting);
		return;
	}
	target = rcu_gp_start(c);
	start = next_report = plat_now_ns();
	while (!rcu_gp_done(target)) {
		rcu_wait_step();
		rcu_check_stall(target, start, &next_report);
	}
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

void rcu_barrier(void)
{
	u64 queued[MAX_CPUS];
	unsigned int cpu, nr = plat_nr_cpus();
	bool pending;

	for (cpu = 0; cpu < nr; cpu++)
		queued[cpu] = __atomic_load_n(&rcu_cpus[cpu].nr_queued,
					      __ATOMIC_ACQUIRE);
	for (;;) {
		pending = false;
		for (cpu = 0; cpu < nr; cpu++)
			if (__atomic_load_n(&rcu_cpus[cpu].nr_invoked,
					    __ATOMIC_ACQUIRE) < queued[cpu])
				pending = true;
		if (!pending)
			break;
		rcu_wait_step();
	}
}

void rcu_cpu_drain_callbacks(void)
{
	struct rcu_cpu *c = this_rcu();

	while (c->next_head || c->wait_head)
		rcu_wait_step();
}
