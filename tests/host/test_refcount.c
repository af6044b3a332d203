// SPDX-License-Identifier: MIT
/*
 * refcount_t: Linux semantics, and concurrent get/put never frees early or
 * twice.
 */
#include "kernel/lockdep.h"
#include "kernel/refcount.h"
#include "tests/host/platform_host.h"
#include "tests/host/tap.h"

#include <stdlib.h>

static refcount_t shared;
static int last_puts;

static void get_put(void *arg, unsigned int i)
{
	unsigned long n = *(unsigned long *)arg, k;

	(void)i;
	for (k = 0; k < n; k++) {
		if (!refcount_inc_not_zero(&shared))
			__atomic_add_fetch(&last_puts, 100, __ATOMIC_RELAXED);
		refcount_inc(&shared);
		refcount_dec(&shared);
		if (refcount_dec_and_test(&shared))
			__atomic_add_fetch(&last_puts, 1, __ATOMIC_RELAXED);
	}
}

static void final_put(void *arg, unsigned int i)
{
	(void)arg;
	(void)i;
	if (refcount_dec_and_test(&shared))
		__atomic_add_fetch(&last_puts, 1, __ATOMIC_RELAXED);
}

int main(void)
{
	unsigned long n = getenv("HOST_STRESS") ? 2000000 : 50000;
	unsigned long before;
	refcount_t r = REFCOUNT_INIT(1);

	host_set_resched_rate(0);
	tap_plan(10);

	refcount_inc(&r);
	tap_ok(refcount_read(&r) == 2, "inc");
	tap_ok(!refcount_dec_and_test(&r), "dec_and_test not last");
	tap_ok(refcount_inc_not_zero(&r) && refcount_read(&r) == 2,
	       "inc_not_zero on live object");
	refcount_dec(&r);
	tap_ok(refcount_dec_and_test(&r), "dec_and_test on last");
	tap_ok(!refcount_inc_not_zero(&r) && refcount_read(&r) == 0,
	       "inc_not_zero refuses a dead object");

	before = lockdep_nr_reports();
	refcount_set(&r, REFCOUNT_MAX);
	refcount_inc(&r);
	tap_ok((int)refcount_read(&r) == REFCOUNT_SATURATED &&
	       lockdep_nr_reports() == before + 1, "overflow saturates");
	host_expect_reports(1);
	tap_ok(!refcount_dec_and_test(&r) &&
	       (int)refcount_read(&r) == REFCOUNT_SATURATED,
	       "saturated count never reaches zero");
	/* As in Linux, the put of a saturated count is reported too. */
	host_expect_reports(1);

	refcount_set(&shared, 1);
	host_run_cpus(4, get_put, &n);
	tap_ok(refcount_read(&shared) == 1 && last_puts == 0,
	       "concurrent get/put: count back to 1, never hit 0");
	refcount_set(&shared, 8);
	host_run_cpus(8, final_put, NULL);
	tap_ok(last_puts == 1, "exactly one CPU sees the last put");
	tap_ok(refcount_read(&shared) == 0, "count is 0 after last put");
	return tap_done();
}
