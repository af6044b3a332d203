// SPDX-License-Identifier: MIT
/*
 * refcount_t slow paths (see kernel/refcount.h).
 */
#include "kernel/refcount.h"
#include "kernel/lockdep.h"
#include "kernel/platform.h"

static const char *const refcount_bad_msg[] = {
	[REFCOUNT_ADD_OVF] = "saturated; leaking memory",
	[REFCOUNT_ADD_UAF] = "addition on 0; use-after-free",
	[REFCOUNT_SUB_UAF] = "underflow; use-after-free",
	[REFCOUNT_DEC_LEAK] = "decrement hit 0; leaking memory",
};

void refcount_report(refcount_t *r, enum refcount_bad why)
{
	__atomic_store_n(&r->refs, REFCOUNT_SATURATED, __ATOMIC_RELAXED);
	lockdep_report_fmt("refcount_t: %s (refcount %p, cpu %u, caller %p)",
			   refcount_bad_msg[why], (void *)r, plat_cpu_id(),
			   __builtin_return_address(0));
}

bool refcount_inc_not_zero(refcount_t *r)
{
	int old = __atomic_load_n(&r->refs, __ATOMIC_RELAXED);

	do {
		if (!old)
			return false;
		if (old < 0)	/* saturated: stays so, but the object lives */
			return true;
	} while (!__atomic_compare_exchange_n(&r->refs, &old,
					      (int)((unsigned int)old + 1), false,
					      __ATOMIC_SEQ_CST,
					      __ATOMIC_RELAXED));
	if (unlikely(old == REFCOUNT_MAX))
		refcount_report(r, REFCOUNT_ADD_OVF);
	return true;
}

bool refcount_sub_and_test(int i, refcount_t *r)
{
	int old = __atomic_fetch_sub(&r->refs, i, __ATOMIC_RELEASE);

	if (old == i) {
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		return true;
	}
	if (unlikely(old < 0 || (int)((unsigned int)old - i) < 0))
		refcount_report(r, REFCOUNT_SUB_UAF);
	return false;
}

bool refcount_dec_and_test(refcount_t *r)
{
	return refcount_sub_and_test(1, r);
}

void refcount_dec(refcount_t *r)
{
	int old = __atomic_fetch_sub(&r->refs, 1, __ATOMIC_RELEASE);

	if (unlikely(old <= 1))
		refcount_report(r, old == 1 ? REFCOUNT_DEC_LEAK :
					      REFCOUNT_SUB_UAF);
}
