/* SPDX-License-Identifier: MIT */
/*
 * TEMPORARY minimal lock for mm/ until kernel/spinlock.h lands: a
 * test-and-test-and-set spinlock taken with interrupts off on this CPU (an
 * interrupt handler that allocates must not spin on a lock its own CPU
 * holds). Replace every use with spin_lock_irqsave() once it exists.
 */
#ifndef MM_MM_LOCK_H
#define MM_MM_LOCK_H

#include "kernel/compiler.h"
#include "kernel/platform.h"

struct mm_lock {
	u32 locked;
};

static inline unsigned long mm_lock_irqsave(struct mm_lock *l)
{
	unsigned long flags = plat_irq_save();

	while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
		while (READ_ONCE(l->locked))
			cpu_relax();
	return flags;
}

static inline void mm_unlock_irqrestore(struct mm_lock *l, unsigned long flags)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
	plat_irq_restore(flags);
}

static inline bool mm_lock_held(struct mm_lock *l)
{
	return READ_ONCE(l->locked);
}

#endif
