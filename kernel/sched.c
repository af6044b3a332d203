// SPDX-License-Identifier: MIT
/*
 * Per-CPU run queues, schedule(), the tick and the idle loop
 * (see kernel/thread.h for the model).
 *
 * Invariants
 *   - Only the owning CPU picks threads from its run queue and only it
 *     switches; other CPUs only append (wake-ups, kthread_start(), a
 *     migrating thread) and then kick the owner with the reschedule IPI.
 *     So a thread woken while its CPU is still switching it out is not run
 *     before that switch is over: the one CPU that could run it is busy
 *     finishing the switch with interrupts off.
 *   - A thread's `cpu` changes only while it is off every CPU (migration,
 *     in sched_finish_switch() on the old CPU, under the new rq's lock), so
 *     a waker that locked rq[t->cpu] and re-read the same t->cpu holds the
 *     right lock.
 *   - No rq lock is held across __switch_to(): the lock is dropped with
 *     interrupts still off, which is enough because of the first point.
 *   - schedule() is an RCU quiescent state and a watchdog touch point; the
 *     idle loop halts in an RCU extended quiescent state.
 */
#include "kernel/thread.h"
#include "arch/x86/cpu.h"
#include "arch/x86/interrupts.h"
#include "arch/x86/lapic.h"
#include "kernel/lockdep.h"
#include "kernel/log.h"
#include "kernel/percpu.h"
#include "kernel/platform.h"
#include "kernel/rcu.h"
#include "kernel/sched.h"
#include "mm/page_alloc.h"
#include "kernel/spinlock.h"
#include "kernel/string.h"
#include "kernel/wait.h"
#include "kernel/watchdog.h"
#include "kernel/workqueue.h"

/* A running thread gets need_resched after this long on its CPU. */
#define SCHED_SLICE_NS		(10ULL * 1000 * 1000)

struct rq {
	/*
	 * Protects (irqsave; wake-ups come from other CPUs and from the
	 * tick): queue, sleepers, nr_running, and for the threads of this
	 * CPU their on_rq flag and the SLEEPING -> RUNNING transition.
	 */
	spinlock_t lock;
	struct list_head queue;		/* runnable, not running, FIFO */
	struct list_head sleepers;	/* timed sleeps, woken by the tick */
	unsigned int nr_running;	/* queued + current, idle excluded */
	/* Owner CPU only, interrupts off (others read curr for reports). */
	struct thread *curr;
	struct thread *idle;
	u64 slice_start_ns;
	/* Set by the tick, IPIs and wake-ups; cleared by schedule(). */
	bool need_resched;
	/* Last scheduling point (the soft-lockup watchdog reads it). */
	u64 last_resched_ns;
	u64 nr_switches;
	bool ready;			/* curr and idle are set */
	struct thread boot_idle;	/* an AP's boot stack as its idle thread */
} __cacheline_aligned;

static struct rq rqs[MAX_CPUS];
static struct thread kmain_thread;	/* the boot CPU's first context */

struct thread *__switch_to(struct thread *prev, struct thread *next);

static struct rq *this_rq(void)
{
	return &rqs[this_cpu_id()];
}

static bool cpu_is_online(int cpu)
{
	struct percpu *pc;

	if (cpu < 0 || cpu >= MAX_CPUS)
		return false;
	pc = per_cpu(cpu);
	return pc && smp_load_acquire(&pc->online);
}

struct thread *current_thread(void)
{
	return this_rq()->curr;
}

struct thread *sched_cpu_curr(unsigned int cpu)
{
	return cpu < MAX_CPUS ? READ_ONCE(rqs[cpu].curr) : NULL;
}

u64 sched_nr_switches(unsigned int cpu)
{
	return cpu < MAX_CPUS ? READ_ONCE(rqs[cpu].nr_switches) : 0;
}

u64 sched_last_resched_ns(unsigned int cpu)
{
	return cpu < MAX_CPUS ? READ_ONCE(rqs[cpu].last_resched_ns) : 0;
}

void sched_note_resched_point(void)
{
	WRITE_ONCE(this_rq()->last_resched_ns, plat_now_ns());
}

bool need_resched(void)
{
	return READ_ONCE(this_rq()->need_resched);
}

/* Make @cpu look at its run queue soon; wakes it from HLT if remote. */
static void resched_cpu(unsigned int cpu)
{
	struct percpu *pc = per_cpu(cpu);

	WRITE_ONCE(rqs[cpu].need_resched, true);
	if (cpu != this_cpu_id() && pc)
		lapic_send_ipi(pc->apic_id, APIC_ICR_FIXED | VEC_RESCHEDULE);
}

static void reschedule_interrupt(struct exception_frame *frame)
{
	WRITE_ONCE(this_rq()->need_resched, true);
}

/* Lock the run queue @t belongs to, following a concurrent migration. */
static struct rq *thread_rq_lock(struct thread *t, unsigned long *flags)
{
	for (;;) {
		int cpu = READ_ONCE(t->cpu);
		struct rq *rq = &rqs[cpu];

		*flags = spin_lock_irqsave(&rq->lock);
		if (READ_ONCE(t->cpu) == cpu)
			return rq;
		spin_unlock_irqrestore(&rq->lock, *flags);
	}
}

static void enqueue_locked(struct rq *rq, struct thread *t)
{
	lockdep_assert_held(&rq->lock);
	list_add_tail(&t->rq_node, &rq->queue);
	t->on_rq = true;
	WRITE_ONCE(rq->nr_running, rq->nr_running + 1);
}

/* Wake @t (SLEEPING) if it still sleeps; the caller holds t's rq lock. */
static bool try_wake_locked(struct rq *rq, struct thread *t, bool timed_out)
{
	lockdep_assert_held(&rq->lock);
	if (READ_ONCE(t->state) != THREAD_SLEEPING)
		return false;
	if (!list_empty(&t->sleep_node))
		list_del_init(&t->sleep_node);
	t->timed_out = timed_out;
	WRITE_ONCE(t->state, THREAD_RUNNING);
	/* Still current (not yet switched out): it just keeps running. */
	if (!t->on_rq)
		enqueue_locked(rq, t);
	return true;
}

bool wake_up_thread(struct thread *t)
{
	unsigned long flags;
	struct rq *rq = thread_rq_lock(t, &flags);
	int cpu = t->cpu;
	bool woken = try_wake_locked(rq, t, false);

	spin_unlock_irqrestore(&rq->lock, flags);
	if (woken)
		resched_cpu(cpu);
	return woken;
}

void sched_enqueue_new(struct thread *t)
{
	unsigned long flags;
	struct rq *rq = thread_rq_lock(t, &flags);
	int cpu = t->cpu;

	BUG_ON(t->state != THREAD_NEW);
	WRITE_ONCE(t->state, THREAD_RUNNING);
	enqueue_locked(rq, t);
	spin_unlock_irqrestore(&rq->lock, flags);
	resched_cpu(cpu);
}

/* Least-loaded online CPU, for kthread_create(cpu = -1). */
int sched_pick_cpu(void)
{
	unsigned int cpu, best = this_cpu_id(), nr = plat_nr_cpus();

	for (cpu = 0; cpu < nr; cpu++) {
		if (!cpu_is_online(cpu) || !READ_ONCE(rqs[cpu].ready))
			continue;
		if (READ_ONCE(rqs[cpu].nr_running) <
		    READ_ONCE(rqs[best].nr_running))
			best = cpu;
	}
	return best;
}

bool sched_cpu_ready(int cpu)
{
	return cpu_is_online(cpu) && READ_ONCE(rqs[cpu].ready);
}

void sched_fire_notifiers_out(struct thread *prev, struct thread *next)
{
	struct sched_notifier *n;

	list_for_each_entry(n, &prev->notifiers, node)
		if (n->sched_out)
			n->sched_out(n, next);
}

void sched_fire_notifiers_in(struct thread *t, int cpu)
{
	struct sched_notifier *n;

	list_for_each_entry(n, &t->notifiers, node)
		if (n->sched_in)
			n->sched_in(n, cpu);
}

/*
 * On the new thread's stack, interrupts off: finish off @prev, which is
 * now off this CPU. A dead thread is handed to its joiner, a migrating
 * one is queued on its new CPU.
 */
void sched_finish_switch(struct thread *prev)
{
	struct thread *curr = this_rq()->curr;
	int target = prev->migrate_to;

	if (target >= 0 && prev->state == THREAD_RUNNING) {
		struct rq *trq = &rqs[target];

		prev->migrate_to = -1;
		spin_lock(&trq->lock);
		WRITE_ONCE(prev->cpu, target);
		smp_store_release(&prev->on_cpu, false);
		enqueue_locked(trq, prev);
		spin_unlock(&trq->lock);
		resched_cpu(target);
	} else {
		/* For THREAD_DEAD this is the joiner's signal to free it. */
		smp_store_release(&prev->on_cpu, false);
	}
	sched_fire_notifiers_in(curr, this_cpu_id());
}

static void check_stack(struct thread *t)
{
	if (t->canary && *t->canary != THREAD_STACK_CANARY)
		panic("sched: thread '%s' overflowed its %lu-byte stack",
		      t->name, (unsigned long)THREAD_STACK_SIZE);
}

void schedule(void)
{
	struct rq *rq = this_rq();
	struct thread *prev, *next;
	unsigned long flags;
	u64 now;

	if (CONFIG_DEBUG && !sched_debug_check("schedule()"))
		return;
	/* May run RCU callbacks: do it before interrupts go off. */
	rcu_note_quiescent_state();
	if (!READ_ONCE(rq->ready))
		return;

	flags = spin_lock_irqsave(&rq->lock);
	prev = rq->curr;
	now = plat_now_ns();
	WRITE_ONCE(rq->need_resched, false);
	WRITE_ONCE(rq->last_resched_ns, now);
	check_stack(prev);
	if (prev->is_idle) {
		/* Never queued: it is what runs when the queue is empty. */
	} else if (prev->state == THREAD_RUNNING && prev->migrate_to < 0) {
		list_add_tail(&prev->rq_node, &rq->queue);
	} else {
		/* Sleeping, dead, or leaving for another CPU. */
		prev->on_rq = false;
		WRITE_ONCE(rq->nr_running, rq->nr_running - 1);
	}
	next = list_first_entry_or_null(&rq->queue, struct thread, rq_node);
	if (next)
		list_del_init(&next->rq_node);
	else
		next = rq->idle;
	rq->slice_start_ns = now;
	spin_unlock(&rq->lock);

	if (next != prev) {
		sched_fire_notifiers_out(prev, next);
		WRITE_ONCE(rq->curr, next);
		rq->nr_switches++;
		next->nr_switches++;
		next->on_cpu = true;
		prev = __switch_to(prev, next);
		/* Now on next's stack, possibly much later. */
		sched_finish_switch(prev);
	}
	local_irq_restore(flags);
}

void sched_sleep(void)
{
	struct thread *t = current_thread();

	BUG_ON(!t || t->is_idle);
	schedule();
}

bool sched_sleep_timeout(u64 ns)
{
	struct thread *t = current_thread();
	struct rq *rq = this_rq();
	unsigned long flags;
	bool timed_out;

	BUG_ON(!t || t->is_idle);
	flags = spin_lock_irqsave(&rq->lock);
	t->timed_out = false;
	if (READ_ONCE(t->state) == THREAD_SLEEPING) {
		t->wake_at_ns = plat_now_ns() + ns;
		list_add_tail(&t->sleep_node, &rq->sleepers);
	}
	spin_unlock_irqrestore(&rq->lock, flags);
	schedule();
	/* Sleepers never migrate, so this is still our run queue. */
	flags = spin_lock_irqsave(&rq->lock);
	if (!list_empty(&t->sleep_node))
		list_del_init(&t->sleep_node);
	timed_out = t->timed_out;
	spin_unlock_irqrestore(&rq->lock, flags);
	return !timed_out;
}

void msleep(unsigned int ms)
{
	u64 end = plat_now_ns() + (u64)ms * 1000000ULL;
	u64 now;

	while ((now = plat_now_ns()) < end) {
		WRITE_ONCE(current_thread()->state, THREAD_SLEEPING);
		sched_sleep_timeout(end - now);
		WRITE_ONCE(current_thread()->state, THREAD_RUNNING);
	}
}

/* Wake the timed sleepers whose deadline passed (tick, interrupts off). */
static void wake_expired_sleepers(struct rq *rq, u64 now)
{
	struct thread *t, *tmp;
	bool woke = false;

	if (list_empty(&rq->sleepers))
		return;
	spin_lock(&rq->lock);
	list_for_each_entry_safe(t, tmp, &rq->sleepers, sleep_node) {
		if (t->wake_at_ns > now)
			continue;
		list_del_init(&t->sleep_node);
		woke |= try_wake_locked(rq, t, true);
	}
	spin_unlock(&rq->lock);
	if (woke)
		WRITE_ONCE(rq->need_resched, true);
}

/* The LAPIC timer, on every CPU: never switches, only asks and checks. */
void timer_tick(struct exception_frame *frame)
{
	struct rq *rq = this_rq();
	u64 now;

	if (!READ_ONCE(rq->ready))
		return;
	now = plat_now_ns();
	wake_expired_sleepers(rq, now);
	if (!rq->curr->is_idle &&
	    (now - rq->slice_start_ns >= SCHED_SLICE_NS ||
	     !list_empty(&rq->queue)))
		WRITE_ONCE(rq->need_resched, true);
	watchdog_tick(frame, now);
}

static void rq_init(struct rq *rq)
{
	spin_lock_init(&rq->lock, "rq->lock");
	INIT_LIST_HEAD(&rq->queue);
	INIT_LIST_HEAD(&rq->sleepers);
}

/* Turn the context running this code into thread @t (boot stacks). */
static void adopt_boot_context(struct thread *t, const char *name, bool idle)
{
	thread_init_struct(t, name, this_cpu_id());
	t->state = THREAD_RUNNING;
	t->on_rq = !idle;
	t->on_cpu = true;
	t->is_idle = idle;
}

static __noreturn void idle_loop(void)
{
	struct rq *rq = this_rq();

	for (;;) {
		local_irq_disable();
		if (!list_empty(&rq->queue) || READ_ONCE(rq->need_resched)) {
			local_irq_enable();
			schedule();
			continue;
		}
		local_irq_enable();
		/*
		 * Idle time clears free pages ahead of need (mm/page_alloc.c's
		 * zero pool), one page per pass so that work that arrives
		 * meanwhile waits for one page at most.
		 */
		if (page_zero_pool_refill()) {
			rcu_note_quiescent_state();
			continue;
		}
		local_irq_disable();
		if (!list_empty(&rq->queue) || READ_ONCE(rq->need_resched)) {
			local_irq_enable();
			continue;
		}
		/*
		 * Halted, this CPU holds no RCU reader: it must not hold up a
		 * grace period. An interrupt (tick, IPI) ends the HLT; the
		 * STI shadow closes the race with a wake-up IPI.
		 */
		rcu_eqs_enter();
		safe_halt();
		rcu_eqs_exit();
		/* Runs this CPU's RCU callbacks whose grace period ended. */
		rcu_note_quiescent_state();
		sched_note_resched_point();
	}
}

static int idle_thread_fn(void *arg)
{
	idle_loop();
}

/* APs arrive here on their boot stack, which becomes their idle thread. */
__noreturn void cpu_idle_loop(void)
{
	struct rq *rq = this_rq();
	struct thread *idle;

	if (!READ_ONCE(rq->ready)) {
		idle = &rq->boot_idle;
		adopt_boot_context(idle, "idle", true);
		rq->idle = idle;
		rq->curr = idle;
		rq->last_resched_ns = plat_now_ns();
		this_cpu()->sched = rq;
		smp_store_release(&rq->ready, true);
	}
	idle_loop();
}

void sched_init(void)
{
	struct rq *rq = this_rq();
	struct thread *idle;

	for (unsigned int cpu = 0; cpu < MAX_CPUS; cpu++)
		rq_init(&rqs[cpu]);
	irq_register(VEC_RESCHEDULE, reschedule_interrupt);
	watchdog_init();

	adopt_boot_context(&kmain_thread, "kmain", false);
	rq->nr_running = 1;
	rq->curr = &kmain_thread;
	idle = __kthread_create(idle_thread_fn, NULL, "idle", this_cpu_id());
	if (!idle)
		panic("sched: no memory for the boot CPU's idle thread");
	idle->is_idle = true;
	idle->state = THREAD_RUNNING;
	rq->idle = idle;
	rq->last_resched_ns = rq->slice_start_ns = plat_now_ns();
	this_cpu()->sched = rq;
	smp_store_release(&rq->ready, true);
	pr_info("sched: per-CPU run queues, %llu ms slice, %u KiB thread stacks\n",
		(unsigned long long)(SCHED_SLICE_NS / 1000000),
		(unsigned)(THREAD_STACK_SIZE / 1024));
}

void sched_init_late(void)
{
	unsigned int cpu, nr = plat_nr_cpus();

	/* Let every AP adopt its idle thread before workers are placed. */
	for (cpu = 0; cpu < nr; cpu++) {
		u64 deadline = plat_now_ns() + 1000000000ULL;

		while (cpu_is_online(cpu) && !READ_ONCE(rqs[cpu].ready) &&
		       plat_now_ns() < deadline)
			cpu_relax();
		if (cpu_is_online(cpu) && !READ_ONCE(rqs[cpu].ready))
			pr_err("sched: CPU %u never reached its idle loop\n",
			       cpu);
	}
	watchdog_init_late();
	workqueue_init();
}
