/* SPDX-License-Identifier: MIT */
/*
 * Fair spinlock: a ticket lock.
 *
 * Each locker takes a ticket (atomic increment of `tail`) and spins until
 * `head` reaches it; unlock advances `head`. Waiters are therefore served
 * strictly in arrival order, so no CPU can be starved. head and tail are
 * separate 32-bit words: only the holder writes head, everyone else only
 * increments tail, so no RMW on one can corrupt the other.
 *
 * A spinlock must never be held across schedule()/cond_resched(); the
 * debug build (CONFIG_DEBUG) reports that, recursion, double unlock and
 * unlock by a non-owner by name (see kernel/lockdep.h) and refuses the bad
 * operation instead of corrupting the lock.
 */
#ifndef KERNEL_SPINLOCK_H
#define KERNEL_SPINLOCK_H

#include "kernel/compiler.h"
#include "kernel/config.h"

/* The bare ticket pair, also embedded in rwlock_t as its wait queue. */
struct arch_spinlock {
	u32 head;	/* ticket now being served; written by the holder */
	u32 tail;	/* next ticket to hand out; fetch_add by lockers */
};

typedef struct spinlock {
	struct arch_spinlock raw;
	const char *name;
	int owner_cpu;		/* CONFIG_DEBUG: holder's CPU, -1 when free */
} spinlock_t;

#define SPINLOCK_INIT(n) { .raw = { 0, 0 }, .name = #n, .owner_cpu = -1 }
#define DEFINE_SPINLOCK(n) spinlock_t n = SPINLOCK_INIT(n)

void spin_lock_init(spinlock_t *l, const char *name);
void spin_lock(spinlock_t *l);
bool spin_trylock(spinlock_t *l);
void spin_unlock(spinlock_t *l);
unsigned long spin_lock_irqsave(spinlock_t *l);
void spin_unlock_irqrestore(spinlock_t *l, unsigned long flags);

void arch_spin_lock(struct arch_spinlock *l);
bool arch_spin_trylock(struct arch_spinlock *l);
void arch_spin_unlock(struct arch_spinlock *l);

static inline bool arch_spin_is_locked(const struct arch_spinlock *l)
{
	return __atomic_load_n(&l->head, __ATOMIC_RELAXED) !=
	       __atomic_load_n(&l->tail, __ATOMIC_RELAXED);
}

/* Someone besides the holder is queued: the holder should consider yielding. */
static inline bool arch_spin_is_contended(const struct arch_spinlock *l)
{
	u32 head = __atomic_load_n(&l->head, __ATOMIC_RELAXED);
	u32 tail = __atomic_load_n(&l->tail, __ATOMIC_RELAXED);

	return tail - head > 1;
}

static inline bool spin_is_locked(const spinlock_t *l)
{
	return arch_spin_is_locked(&l->raw);
}

static inline bool spin_is_contended(const spinlock_t *l)
{
	return arch_spin_is_contended(&l->raw);
}

#endif
