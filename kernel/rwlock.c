// SPDX-License-Identifier: MIT
/*
 * Writer-fair rwlock (see kernel/rwlock.h) and its debug checks.
 */
#include "kernel/rwlock.h"
#include "kernel/lockdep.h"
#include "kernel/platform.h"

void rwlock_init(rwlock_t *l, const char *name)
{
	l->cnts = 0;
	l->wait_lock = (struct arch_spinlock){ 0, 0 };
	l->name = name;
	l->writer_cpu = -1;
}

static u32 cnts_load(rwlock_t *l)
{
	return __atomic_load_n(&l->cnts, __ATOMIC_ACQUIRE);
}

static void read_lock_slowpath(rwlock_t *l)
{
	/* Back out, queue in FIFO order behind any waiting writer. */
	__atomic_fetch_sub(&l->cnts, RWLOCK_RBIAS, __ATOMIC_RELAXED);
	arch_spin_lock(&l->wait_lock);
	/*
	 * While we hold wait_lock no writer can be WAITING (it sets and
	 * clears that bit under wait_lock), so only a writer already inside
	 * can keep us out: announce ourselves and wait for it to leave.
	 */
	__atomic_fetch_add(&l->cnts, RWLOCK_RBIAS, __ATOMIC_RELAXED);
	while (cnts_load(l) & RWLOCK_WLOCKED)
		cpu_relax();
	arch_spin_unlock(&l->wait_lock);
}

static bool arch_read_trylock(rwlock_t *l)
{
	u32 c = __atomic_load_n(&l->cnts, __ATOMIC_RELAXED);

	if (c & RWLOCK_WMASK)
		return false;
	c = __atomic_fetch_add(&l->cnts, RWLOCK_RBIAS, __ATOMIC_ACQUIRE);
	if (!(c & RWLOCK_WMASK))
		return true;
	__atomic_fetch_sub(&l->cnts, RWLOCK_RBIAS, __ATOMIC_RELAXED);
	return false;
}

static void write_lock_slowpath(rwlock_t *l)
{
	u32 c;

	arch_spin_lock(&l->wait_lock);
	c = 0;
	if (__atomic_compare_exchange_n(&l->cnts, &c, RWLOCK_WLOCKED, false,
					__ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		goto out;
	/* From here new readers queue behind us; wait for the old ones. */
	__atomic_fetch_or(&l->cnts, RWLOCK_WAITING, __ATOMIC_RELAXED);
	for (;;) {
		c = RWLOCK_WAITING;
		if (__atomic_compare_exchange_n(&l->cnts, &c, RWLOCK_WLOCKED,
						false, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			break;
		cpu_relax();
	}
out:
	arch_spin_unlock(&l->wait_lock);
}

/* Recursion in any mode would self-deadlock: report and refuse. */
static bool rw_debug_lock_check(rwlock_t *l, const char *what)
{
	int me = plat_cpu_id();

	if (READ_ONCE(l->writer_cpu) == me || lockdep_is_held(l, -1)) {
		lockdep_report(what, l->name, me, READ_ONCE(l->writer_cpu));
		return false;
	}
	return true;
}

/*
 * read_lock's check and record in one pass: recursion in any mode would
 * self-deadlock (a writer queued in between), so it is refused.
 */
static bool rw_debug_read_acquire(rwlock_t *l, const char *what)
{
	int writer = READ_ONCE(l->writer_cpu);

	if ((writer < 0 || writer != (int)plat_cpu_id()) &&
	    lockdep_acquire_new(l, l->name, LOCK_MODE_READ))
		return true;
	lockdep_report(what, l->name, plat_cpu_id(), writer);
	return false;
}

void read_lock(rwlock_t *l)
{
	u32 c;

	if (CONFIG_DEBUG && !rw_debug_read_acquire(l, "rwlock recursive read_lock"))
		return;
	c = __atomic_fetch_add(&l->cnts, RWLOCK_RBIAS, __ATOMIC_ACQUIRE);
	if (unlikely(c & RWLOCK_WMASK))
		read_lock_slowpath(l);
}

bool read_trylock(rwlock_t *l)
{
	if (CONFIG_DEBUG && !rw_debug_lock_check(l, "rwlock recursive read_trylock"))
		return false;
	if (!arch_read_trylock(l))
		return false;
	if (CONFIG_DEBUG)
		lockdep_acquire(l, l->name, LOCK_MODE_READ);
	return true;
}

void read_unlock(rwlock_t *l)
{
	if (CONFIG_DEBUG && !lockdep_release_mode(l, LOCK_MODE_READ)) {
		int me = plat_cpu_id();

		lockdep_report(rwlock_nr_readers(l) ?
			       "read_unlock by non-owner" :
			       "rwlock read double unlock",
			       l->name, me, READ_ONCE(l->writer_cpu));
		return;
	}
	__atomic_fetch_sub(&l->cnts, RWLOCK_RBIAS, __ATOMIC_RELEASE);
}

static void write_debug_acquired(rwlock_t *l)
{
	WRITE_ONCE(l->writer_cpu, (int)plat_cpu_id());
	lockdep_acquire(l, l->name, LOCK_MODE_WRITE);
}

void write_lock(rwlock_t *l)
{
	u32 c = 0;

	if (CONFIG_DEBUG && !rw_debug_lock_check(l, "rwlock recursive write_lock"))
		return;
	if (!__atomic_compare_exchange_n(&l->cnts, &c, RWLOCK_WLOCKED, false,
					 __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		write_lock_slowpath(l);
	if (CONFIG_DEBUG)
		write_debug_acquired(l);
}

bool write_trylock(rwlock_t *l)
{
	u32 c = 0;

	if (CONFIG_DEBUG && !rw_debug_lock_check(l, "rwlock recursive write_trylock"))
		return false;
	if (!__atomic_compare_exchange_n(&l->cnts, &c, RWLOCK_WLOCKED, false,
					 __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return false;
	if (CONFIG_DEBUG)
		write_debug_acquired(l);
	return true;
}

void write_unlock(rwlock_t *l)
{
	if (CONFIG_DEBUG) {
		int me = plat_cpu_id();
		int owner = READ_ONCE(l->writer_cpu);

		if (owner != me) {
			lockdep_report(owner == -1 ? "rwlock write double unlock" :
				       "write_unlock by non-owner",
				       l->name, me, owner);
			return;
		}
		WRITE_ONCE(l->writer_cpu, -1);
		lockdep_release(l);
	}
	/* Readers may be adding RBIAS concurrently: clear the byte atomically. */
	__atomic_fetch_sub(&l->cnts, RWLOCK_WLOCKED, __ATOMIC_RELEASE);
}
