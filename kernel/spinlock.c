// SPDX-License-Identifier: MIT
/*
 * Ticket spinlock (see kernel/spinlock.h) and its debug checks.
 */
#include "kernel/spinlock.h"
#include "kernel/lockdep.h"
#include "kernel/platform.h"

void arch_spin_lock(struct arch_spinlock *l)
{
	u32 ticket = __atomic_fetch_add(&l->tail, 1, __ATOMIC_RELAXED);

	/* Acquire pairs with the release in arch_spin_unlock(). */
	while (__atomic_load_n(&l->head, __ATOMIC_ACQUIRE) != ticket)
		cpu_relax();
}

bool arch_spin_trylock(struct arch_spinlock *l)
{
	u32 head = __atomic_load_n(&l->head, __ATOMIC_RELAXED);

	/*
	 * tail == head means free. head only grows, so if tail still equals
	 * the head we read, head has not moved either and ticket `head` is
	 * the one being served: taking it means owning the lock.
	 */
	return __atomic_compare_exchange_n(&l->tail, &head, head + 1, false,
					   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

void arch_spin_unlock(struct arch_spinlock *l)
{
	/* Only the holder writes head: a plain increment is enough. */
	u32 next = __atomic_load_n(&l->head, __ATOMIC_RELAXED) + 1;

	__atomic_store_n(&l->head, next, __ATOMIC_RELEASE);
}

void spin_lock_init(spinlock_t *l, const char *name)
{
	l->raw.head = 0;
	l->raw.tail = 0;
	l->name = name;
	l->owner_cpu = -1;
}

/* Returns false when the lock must not be taken (recursion). */
static bool spin_debug_lock_check(spinlock_t *l)
{
	int me = plat_cpu_id();

	if (READ_ONCE(l->owner_cpu) == me) {
		lockdep_report("spinlock recursion", l->name, me, me);
		return false;
	}
	return true;
}

static void spin_debug_acquired(spinlock_t *l)
{
	WRITE_ONCE(l->owner_cpu, (int)plat_cpu_id());
	lockdep_acquire(l, l->name, LOCK_MODE_SPIN);
}

void spin_lock(spinlock_t *l)
{
	if (CONFIG_DEBUG && !spin_debug_lock_check(l))
		return;
	arch_spin_lock(&l->raw);
	if (CONFIG_DEBUG)
		spin_debug_acquired(l);
}

bool spin_trylock(spinlock_t *l)
{
	if (CONFIG_DEBUG && !spin_debug_lock_check(l))
		return false;
	if (!arch_spin_trylock(&l->raw))
		return false;
	if (CONFIG_DEBUG)
		spin_debug_acquired(l);
	return true;
}

/*
 * A bad unlock is reported and refused: releasing a lock someone else
 * holds would let two CPUs into the critical section, and "releasing" a
 * free lock would hand the next ticket out twice.
 */
static bool spin_debug_unlock_check(spinlock_t *l)
{
	int me = plat_cpu_id();
	int owner = READ_ONCE(l->owner_cpu);

	if (owner == -1) {
		lockdep_report("spinlock double unlock", l->name, me, owner);
		return false;
	}
	if (owner != me) {
		lockdep_report("spinlock unlocked by non-owner", l->name, me,
			       owner);
		return false;
	}
	WRITE_ONCE(l->owner_cpu, -1);
	lockdep_release(l);
	return true;
}

void spin_unlock(spinlock_t *l)
{
	if (CONFIG_DEBUG && !spin_debug_unlock_check(l))
		return;
	arch_spin_unlock(&l->raw);
}

unsigned long spin_lock_irqsave(spinlock_t *l)
{
	unsigned long flags = plat_irq_save();

	spin_lock(l);
	return flags;
}

void spin_unlock_irqrestore(spinlock_t *l, unsigned long flags)
{
	spin_unlock(l);
	plat_irq_restore(flags);
}
