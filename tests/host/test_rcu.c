// SPDX-License-Identifier: MIT
/*
 * RCU torture and semantics.
 *
 * Torture: readers pick an object under rcu_read_lock() and check, for as
 * long as they hold the lock, that it is still live (not poisoned, not
 * reused by a later generation); writers replace objects and free the old
 * ones with call_rcu() or synchronize_rcu(). Freed objects are poisoned
 * first and then really freed, so ASan also catches a reader touching
 * freed memory.
 */
#include "kernel/list.h"
#include "kernel/rcu.h"
#include "kernel/sched.h"
#include "kernel/spinlock.h"
#include "tests/host/platform_host.h"
#include "tests/host/tap.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#define OBJ_LIVE	0x11fe11fe11fe11feULL
#define OBJ_DEAD	0xdeaddeaddeaddeadULL
#define NR_SLOTS	8

struct obj {
	u64 magic;
	u64 gen;		/* generation the object was published with */
	struct rcu_head rcu;
	struct list_head node;
};

static struct obj *slots[NR_SLOTS];
static u64 slot_gen[NR_SLOTS];		/* latest generation per slot */
static int writers_done;
static int nr_writers;
static int reader_errors;
static u64 reads_done;
static u64 frees_done;

static unsigned long scale(unsigned long brief)
{
	return getenv("HOST_STRESS") ? brief * 50 : brief;
}

static struct obj *obj_new(u64 gen)
{
	struct obj *o = malloc(sizeof(*o));

	o->magic = OBJ_LIVE;
	o->gen = gen;
	return o;
}

static void obj_free_rcu(struct rcu_head *h)
{
	struct obj *o = container_of(h, struct obj, rcu);

	WRITE_ONCE(o->magic, OBJ_DEAD);
	__atomic_add_fetch(&frees_done, 1, __ATOMIC_RELAXED);
	free(o);
}

static void check_obj(const struct obj *o)
{
	if (READ_ONCE(o->magic) != OBJ_LIVE)
		__atomic_add_fetch(&reader_errors, 1, __ATOMIC_RELAXED);
}

static void reader(unsigned int i)
{
	unsigned long k = 0;

	while (!__atomic_load_n(&writers_done, __ATOMIC_ACQUIRE)) {
		unsigned int s = (i + k++) % NR_SLOTS;
		struct obj *o;
		int spin;

		rcu_read_lock();
		o = rcu_dereference(slots[s]);
		check_obj(o);
		/* Stay inside long enough for writers to replace o. */
		for (spin = host_rand() % 64; spin > 0; spin--)
			cpu_relax();
		check_obj(o);
		if (READ_ONCE(o->gen) > __atomic_load_n(&slot_gen[s],
							__ATOMIC_ACQUIRE))
			__atomic_add_fetch(&reader_errors, 1, __ATOMIC_RELAXED);
		rcu_read_unlock();
		__atomic_add_fetch(&reads_done, 1, __ATOMIC_RELAXED);
		cond_resched();
	}
}

static void writer(unsigned int i, unsigned long n)
{
	unsigned long k;

	for (k = 0; k < n; k++) {
		unsigned int s = (i * 3 + k) % NR_SLOTS;
		u64 gen = __atomic_add_fetch(&slot_gen[s], 1, __ATOMIC_RELEASE);
		struct obj *old, *o = obj_new(gen);

		old = __atomic_exchange_n(&slots[s], o, __ATOMIC_ACQ_REL);
		if (k % 8 == 0) {
			synchronize_rcu();
			obj_free_rcu(&old->rcu);
		} else {
			call_rcu(&old->rcu, obj_free_rcu);
		}
		cond_resched();
	}
	if (__atomic_sub_fetch(&nr_writers, 1, __ATOMIC_ACQ_REL) == 0)
		__atomic_store_n(&writers_done, 1, __ATOMIC_RELEASE);
}

static void torture(void *arg, unsigned int i)
{
	if (i < 2)
		writer(i, *(unsigned long *)arg);
	else
		reader(i);
}

/* ---- call_rcu + rcu_barrier across CPUs ---- */
static u64 cb_invoked;
static unsigned int cb_queued_cpus;
static int barrier_done, barrier_ok;

static void count_cb(struct rcu_head *h)
{
	__atomic_add_fetch(&cb_invoked, 1, __ATOMIC_RELAXED);
	free(h);
}

#define CBS_PER_CPU 1000

static void barrier_test(void *arg, unsigned int i)
{
	unsigned int nr = *(unsigned int *)arg, k;

	for (k = 0; k < CBS_PER_CPU; k++)
		call_rcu(malloc(sizeof(struct rcu_head)), count_cb);
	__atomic_add_fetch(&cb_queued_cpus, 1, __ATOMIC_RELEASE);
	if (i == 0) {
		while (__atomic_load_n(&cb_queued_cpus, __ATOMIC_ACQUIRE) < nr)
			cond_resched();
		rcu_barrier();
		barrier_ok = __atomic_load_n(&cb_invoked, __ATOMIC_RELAXED) ==
			     (u64)nr * CBS_PER_CPU;
		__atomic_store_n(&barrier_done, 1, __ATOMIC_RELEASE);
		return;
	}
	while (!__atomic_load_n(&barrier_done, __ATOMIC_ACQUIRE))
		cond_resched();
}

/* ---- synchronize_rcu waits for a pre-existing reader ---- */
static int reader_in, reader_leaving;
static int sync_saw_reader_done;
static u64 hold_ms;

static void sleep_ms(u64 ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static void sync_test(void *arg, unsigned int i)
{
	(void)arg;
	if (i == 0) {
		rcu_read_lock();
		__atomic_store_n(&reader_in, 1, __ATOMIC_RELEASE);
		sleep_ms(hold_ms);	/* no QS while inside */
		__atomic_store_n(&reader_leaving, 1, __ATOMIC_RELEASE);
		rcu_read_unlock();
		cond_resched();
		return;
	}
	while (!__atomic_load_n(&reader_in, __ATOMIC_ACQUIRE))
		cond_resched();
	synchronize_rcu();
	sync_saw_reader_done = __atomic_load_n(&reader_leaving,
					       __ATOMIC_ACQUIRE);
}

/* ---- a CPU in an extended QS does not hold grace periods up ---- */
static int idle_in, idle_release;
static u64 eqs_sync_ns;

static void eqs_test(void *arg, unsigned int i)
{
	(void)arg;
	if (i == 0) {
		host_cpu_idle_enter();
		__atomic_store_n(&idle_in, 1, __ATOMIC_RELEASE);
		while (!__atomic_load_n(&idle_release, __ATOMIC_ACQUIRE))
			sleep_ms(1);
		host_cpu_idle_exit();
		return;
	}
	while (!__atomic_load_n(&idle_in, __ATOMIC_ACQUIRE))
		cond_resched();
	{
		u64 t0 = plat_now_ns();

		synchronize_rcu();
		eqs_sync_ns = plat_now_ns() - t0;
	}
	__atomic_store_n(&idle_release, 1, __ATOMIC_RELEASE);
}

/* ---- RCU list: readers walk while a writer adds and deletes ---- */
static LIST_HEAD(rcu_list);
static DEFINE_SPINLOCK(list_lock);
static int list_writer_done;

static void list_test(void *arg, unsigned int i)
{
	unsigned long n = *(unsigned long *)arg, k;
	struct obj *o;

	if (i == 0) {
		for (k = 0; k < n; k++) {
			spin_lock(&list_lock);
			if (k % 3 == 2) {
				o = list_first_entry(&rcu_list, struct obj,
						     node);
				list_del_rcu(&o->node);
				spin_unlock(&list_lock);
				call_rcu(&o->rcu, obj_free_rcu);
			} else {
				list_add_tail_rcu(&obj_new(k)->node, &rcu_list);
				spin_unlock(&list_lock);
			}
			cond_resched();
		}
		__atomic_store_n(&list_writer_done, 1, __ATOMIC_RELEASE);
		return;
	}
	while (!__atomic_load_n(&list_writer_done, __ATOMIC_ACQUIRE)) {
		rcu_read_lock();
		list_for_each_entry_rcu(o, &rcu_list, node)
			check_obj(o);
		rcu_read_unlock();
		cond_resched();
	}
}

/*
 * ---- a reader on CPU 0 holds grace periods up too ----
 * The threads of host_run_cpus() are CPUs 1.., so the tests above never
 * put a reader on CPU 0 (the main thread). Here the main thread reads
 * while a second CPU waits in synchronize_rcu() and has a callback queued:
 * a grace-period check that skips a CPU is caught wherever it skips.
 */
static int cpu0_reader_leaving, cpu0_sync_saw_leaving, cpu0_cb_saw_leaving;
static int cpu0_cb_ran, cpu0_updater_done;
static struct rcu_head cpu0_head;

static void cpu0_cb(struct rcu_head *h)
{
	(void)h;
	cpu0_cb_saw_leaving = __atomic_load_n(&cpu0_reader_leaving,
					      __ATOMIC_ACQUIRE);
	__atomic_store_n(&cpu0_cb_ran, 1, __ATOMIC_RELEASE);
}

static void *cpu0_updater(void *p)
{
	(void)p;
	host_cpu_register();
	call_rcu(&cpu0_head, cpu0_cb);
	synchronize_rcu();
	cpu0_sync_saw_leaving = __atomic_load_n(&cpu0_reader_leaving,
						__ATOMIC_ACQUIRE);
	while (!__atomic_load_n(&cpu0_cb_ran, __ATOMIC_ACQUIRE))
		rcu_note_quiescent_state();
	host_cpu_unregister();
	__atomic_store_n(&cpu0_updater_done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void test_reader_on_cpu0(void)
{
	pthread_t th;

	rcu_read_lock();
	if (pthread_create(&th, NULL, cpu0_updater, NULL))
		abort();
	sleep_ms(100);		/* no QS of CPU 0 meanwhile */
	__atomic_store_n(&cpu0_reader_leaving, 1, __ATOMIC_RELEASE);
	rcu_read_unlock();
	while (!__atomic_load_n(&cpu0_updater_done, __ATOMIC_ACQUIRE))
		rcu_note_quiescent_state();
	pthread_join(th, NULL);
	tap_ok(plat_cpu_id() == 0 && cpu0_sync_saw_leaving &&
	       cpu0_cb_saw_leaving,
	       "a reader on CPU 0 holds up synchronize_rcu and call_rcu on CPU 1");
}

int main(void)
{
	unsigned long n = scale(2000), list_n = scale(3000);
	unsigned int nr_barrier_cpus = 4, s;
	struct obj *o, *tmp;
	u64 t0;

	tap_plan(14);

	/* Single-CPU basics. */
	t0 = rcu_nr_grace_periods();
	synchronize_rcu();
	tap_ok(rcu_nr_grace_periods() == t0 + 1, "synchronize_rcu on one CPU");
	rcu_read_lock();
	rcu_read_lock();
	tap_ok(rcu_read_lock_nesting() == 2 && rcu_read_lock_held(),
	       "read-side sections nest");
	rcu_read_unlock();
	rcu_read_unlock();
	tap_ok(rcu_read_lock_nesting() == 0, "nesting back to 0");

	/* Torture: 2 writers, 3 readers. */
	for (s = 0; s < NR_SLOTS; s++)
		slots[s] = obj_new(0);
	nr_writers = 2;
	host_run_cpus(5, torture, &n);
	rcu_barrier();
	tap_diag("torture: %llu reads, %llu frees",
		 (unsigned long long)reads_done,
		 (unsigned long long)frees_done);
	tap_ok(reader_errors == 0, "torture: readers never saw a freed or "
	       "reused object (%d errors)", reader_errors);
	tap_ok(frees_done == 2 * n, "torture: every replaced object freed "
	       "(%llu of %lu)", (unsigned long long)frees_done, 2 * n);
	for (s = 0; s < NR_SLOTS; s++)
		free(slots[s]);

	host_run_cpus(nr_barrier_cpus, barrier_test, &nr_barrier_cpus);
	tap_ok(barrier_ok, "rcu_barrier: all callbacks from %u CPUs ran "
	       "before it returned", nr_barrier_cpus);

	hold_ms = 50;
	host_run_cpus(2, sync_test, NULL);
	tap_ok(sync_saw_reader_done, "synchronize_rcu waited for the "
	       "pre-existing reader");

	host_run_cpus(2, eqs_test, NULL);
	tap_ok(eqs_sync_ns < 1000000000ULL, "CPU in EQS does not hold up "
	       "a grace period (%llu us)",
	       (unsigned long long)eqs_sync_ns / 1000);

	{
		unsigned long stalls = rcu_nr_stalls();
		u64 old = rcu_stall_timeout_ms;

		rcu_stall_timeout_ms = 100;
		reader_in = reader_leaving = sync_saw_reader_done = 0;
		hold_ms = 400;
		host_run_cpus(2, sync_test, NULL);
		rcu_stall_timeout_ms = old;
		tap_ok(rcu_nr_stalls() > stalls, "stall warning for a reader "
		       "held past the threshold (%lu)",
		       rcu_nr_stalls() - stalls);
		tap_ok(sync_saw_reader_done, "... and the grace period still "
		       "waited for it");
		/* The stall reports this test asked for (one per period). */
		host_expect_reports(rcu_nr_stalls() - stalls);
	}
	{
		unsigned long stalls = rcu_nr_stalls();

		host_run_cpus(2, sync_test, NULL);
		tap_ok(rcu_nr_stalls() == stalls, "no stall warning below "
		       "the threshold");
	}

	frees_done = 0;
	host_run_cpus(3, list_test, &list_n);
	rcu_barrier();
	tap_ok(reader_errors == 0, "rcu list: readers never saw a freed "
	       "entry");
	list_for_each_entry_safe(o, tmp, &rcu_list, node) {
		list_del(&o->node);
		free(o);
	}
	tap_ok(frees_done == list_n / 3, "rcu list: deleted entries freed "
	       "after grace periods");
	test_reader_on_cpu0();
	return tap_done();
}
