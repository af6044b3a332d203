/* SPDX-License-Identifier: MIT */
/*
 * refcount_t with Linux semantics.
 *
 * A reference count that refuses to wrap: on overflow, on an increment
 * from zero (the object may already be freed) and on underflow the count
 * is parked at REFCOUNT_SATURATED, a warning "BUG: refcount_t: ..." is
 * printed and counted (lockdep_nr_reports()), and the object is leaked
 * rather than freed twice. A saturated count stays saturated.
 *
 * Ordering as in Linux: refcount_dec_and_test() is a release, plus an
 * acquire when it returns true, so the freeing CPU sees every access the
 * other holders made; refcount_inc_not_zero() is a full RMW (it is how a
 * lookup under RCU takes a reference to a possibly dying object).
 */
#ifndef KERNEL_REFCOUNT_H
#define KERNEL_REFCOUNT_H

#include "kernel/compiler.h"

typedef struct refcount { int refs; } refcount_t;

#define REFCOUNT_INIT(n)	{ (n) }
#define REFCOUNT_MAX		0x7fffffff
#define REFCOUNT_SATURATED	((int)0xc0000000)	/* INT_MIN / 2 */

enum refcount_bad {
	REFCOUNT_ADD_OVF,
	REFCOUNT_ADD_UAF,	/* increment from zero */
	REFCOUNT_SUB_UAF,	/* decrement to below zero */
	REFCOUNT_DEC_LEAK,	/* refcount_dec() hit zero */
};

void refcount_report(refcount_t *r, enum refcount_bad why);

static inline void refcount_set(refcount_t *r, int n)
{
	__atomic_store_n(&r->refs, n, __ATOMIC_RELAXED);
}

/*
 * A store that publishes everything before it to whoever takes a reference
 * from the new count (refcount_inc_not_zero() is a full barrier on
 * success): a count set to 1 after marking an object dead lets a racing
 * increment see the mark.
 */
static inline void refcount_set_release(refcount_t *r, int n)
{
	__atomic_store_n(&r->refs, n, __ATOMIC_RELEASE);
}

static inline unsigned int refcount_read(const refcount_t *r)
{
	return (unsigned int)__atomic_load_n(&r->refs, __ATOMIC_RELAXED);
}

static inline void refcount_add(int i, refcount_t *r)
{
	int old = __atomic_fetch_add(&r->refs, i, __ATOMIC_RELAXED);

	if (unlikely(!old))
		refcount_report(r, REFCOUNT_ADD_UAF);
	else if (unlikely(old < 0 || (int)((unsigned int)old + i) < 0))
		refcount_report(r, REFCOUNT_ADD_OVF);
}

static inline void refcount_inc(refcount_t *r)
{
	refcount_add(1, r);
}

bool refcount_inc_not_zero(refcount_t *r);
bool refcount_dec_and_test(refcount_t *r);
bool refcount_sub_and_test(int i, refcount_t *r);
/* Drop a reference that is known not to be the last. */
void refcount_dec(refcount_t *r);

#endif
