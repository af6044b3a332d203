// SPDX-License-Identifier: MIT
/*
 * Lock torture and semantics: spinlock mutual exclusion and FIFO fairness,
 * rwlock reader/writer exclusion, bounded writer wait under a stream of
 * overlapping readers, trylock / contention queries, cond_resched_rwlock_*.
 */
#include "kernel/lockdep.h"
#include "kernel/rcu.h"
#include "kernel/sched.h"
#include "tests/host/platform_host.h"
#include "tests/host/tap.h"

#include <stdlib.h>

#define NR_CPUS_TORTURE 4

static unsigned long scale(unsigned long brief)
{
	return getenv("HOST_STRESS") ? brief * 50 : brief;
}

/* ---- spinlock mutual exclusion ---- */
static DEFINE_SPINLOCK(counter_lock);
static unsigned long counter;		/* plain: protected by counter_lock */
static int inside;			/* CPUs inside the section */
static int overlap_seen;

static void spin_torture(void *arg, unsigned int i)
{
	unsigned long n = *(unsigned long *)arg, k;

	(void)i;
	for (k = 0; k < n; k++) {
		spin_lock(&counter_lock);
		if (__atomic_add_fetch(&inside, 1, __ATOMIC_RELAXED) != 1)
			__atomic_store_n(&overlap_seen, 1, __ATOMIC_RELAXED);
		counter++;
		__atomic_sub_fetch(&inside, 1, __ATOMIC_RELAXED);
		spin_unlock(&counter_lock);
		if ((k & 255) == 0)
			cond_resched();
	}
}

/* ---- rwlock exclusion ---- */
static DEFINE_RWLOCK(rw);
static unsigned long rw_a, rw_b;	/* invariant a == b, under rw */
static int rw_readers, rw_writers;
static int rw_violations;
static u64 writer_max_wait_ns;
static int readers_stop;

static void rw_torture(void *arg, unsigned int i)
{
	unsigned long n = *(unsigned long *)arg, k;

	for (k = 0; k < n; k++) {
		if (i == 0 || (i == 1 && k % 4 == 0)) {
			u64 t0 = plat_now_ns(), w;

			write_lock(&rw);
			w = plat_now_ns() - t0;
			if (w > writer_max_wait_ns)
				writer_max_wait_ns = w;	/* writers serialised */
			if (__atomic_load_n(&rw_readers, __ATOMIC_RELAXED) ||
			    __atomic_add_fetch(&rw_writers, 1, __ATOMIC_RELAXED) != 1)
				__atomic_add_fetch(&rw_violations, 1, __ATOMIC_RELAXED);
			rw_a++;
			rw_b++;
			__atomic_sub_fetch(&rw_writers, 1, __ATOMIC_RELAXED);
			write_unlock(&rw);
		} else {
			read_lock(&rw);
			__atomic_add_fetch(&rw_readers, 1, __ATOMIC_RELAXED);
			if (rw_a != rw_b ||
			    __atomic_load_n(&rw_writers, __ATOMIC_RELAXED))
				__atomic_add_fetch(&rw_violations, 1, __ATOMIC_RELAXED);
			__atomic_sub_fetch(&rw_readers, 1, __ATOMIC_RELAXED);
			read_unlock(&rw);
		}
		if ((k & 63) == 0)
			cond_resched();
	}
}

/*
 * Writer starvation: readers overlap so the reader count never drops to
 * zero on its own; only writer fairness lets the writer in.
 */
static DEFINE_RWLOCK(fair);
static int fair_readers_in;
static unsigned long fair_writes;

static void fair_torture(void *arg, unsigned int i)
{
	unsigned long n = *(unsigned long *)arg, k;

	(void)arg;
	if (i == 0) {
		for (k = 0; k < n; k++) {
			u64 t0 = plat_now_ns(), w;

			write_lock(&fair);
			w = plat_now_ns() - t0;
			if (w > writer_max_wait_ns)
				writer_max_wait_ns = w;
			fair_writes++;
			write_unlock(&fair);
			cond_resched();
		}
		__atomic_store_n(&readers_stop, 1, __ATOMIC_RELEASE);
		return;
	}
	while (!__atomic_load_n(&readers_stop, __ATOMIC_ACQUIRE)) {
		read_lock(&fair);
		__atomic_add_fetch(&fair_readers_in, 1, __ATOMIC_RELAXED);
		/* Hold until another reader is inside too (bounded). */
		for (k = 0; k < 200 &&
		     __atomic_load_n(&fair_readers_in, __ATOMIC_RELAXED) < 2; k++)
			cpu_relax();
		__atomic_sub_fetch(&fair_readers_in, 1, __ATOMIC_RELAXED);
		read_unlock(&fair);
		rcu_note_quiescent_state();
	}
}

static DEFINE_RWLOCK(cr);
static bool other_trylock_ok;

static void try_write_other_cpu(void *arg, unsigned int i)
{
	(void)arg;
	(void)i;
	other_trylock_ok = write_trylock(&rw);
	if (other_trylock_ok)
		write_unlock(&rw);
}

int main(void)
{
	unsigned long n = scale(20000), fair_n = scale(200);
	u64 bound_ns = 2000000000ULL;	/* generous: sanitizers, 2 cores */

	tap_plan(16);

	host_run_cpus(NR_CPUS_TORTURE, spin_torture, &n);
	tap_ok(counter == n * NR_CPUS_TORTURE, "spinlock: no lost update "
	       "(%lu of %lu)", counter, n * NR_CPUS_TORTURE);
	tap_ok(!overlap_seen, "spinlock: never two CPUs inside");
	tap_ok(!spin_is_locked(&counter_lock), "spinlock: free after torture");

	host_run_cpus(NR_CPUS_TORTURE, rw_torture, &n);
	tap_ok(!rw_violations, "rwlock: readers and writers exclusive "
	       "(%d violations)", rw_violations);
	tap_ok(rw_a == rw_b && rw_a > 0, "rwlock: writer updates complete");
	tap_ok(rwlock_nr_readers(&rw) == 0 && !rwlock_is_write_locked(&rw),
	       "rwlock: free after torture");

	writer_max_wait_ns = 0;
	host_run_cpus(3, fair_torture, &fair_n);
	tap_ok(fair_writes == fair_n, "rwlock: writer completed %lu writes "
	       "against overlapping readers", fair_writes);
	tap_diag("writer max wait %llu us",
		 (unsigned long long)writer_max_wait_ns / 1000);
	tap_ok(writer_max_wait_ns < bound_ns, "rwlock: writer never starved "
	       "beyond %llu ms", (unsigned long long)bound_ns / 1000000);

	/* Single-CPU semantics. */
	spin_lock(&counter_lock);
	tap_ok(!spin_is_contended(&counter_lock) && spin_is_locked(&counter_lock),
	       "spinlock: held, not contended");
	spin_unlock(&counter_lock);
	tap_ok(spin_trylock(&counter_lock), "spin_trylock on a free lock");
	spin_unlock(&counter_lock);
	{
		unsigned long f = spin_lock_irqsave(&counter_lock);

		tap_ok(plat_irqs_disabled() && !f, "spin_lock_irqsave "
		       "disables IRQs");
		spin_unlock_irqrestore(&counter_lock, f);
		tap_ok(!plat_irqs_disabled(), "irqrestore restores");
	}
	read_lock(&rw);
	host_run_cpus(1, try_write_other_cpu, NULL);
	tap_ok(!other_trylock_ok && rwlock_nr_readers(&rw) == 1,
	       "write_trylock fails while read-held elsewhere");
	read_unlock(&rw);
	write_lock(&rw);
	tap_ok(!spin_trylock(&counter_lock) || (spin_unlock(&counter_lock), 1),
	       "independent locks nest");
	write_unlock(&rw);
	tap_ok(read_trylock(&rw), "read_trylock on a free rwlock");
	read_unlock(&rw);

	{
		unsigned long before = lockdep_nr_reports();
		bool dropped;

		read_lock(&cr);
		host_set_need_resched();
		dropped = cond_resched_rwlock_read(&cr);
		lockdep_assert_held_read(&cr);
		read_unlock(&cr);
		tap_ok(dropped && lockdep_nr_reports() == before,
		       "cond_resched_rwlock_read drops and re-takes");
	}
	return tap_done();
}
