// SPDX-License-Identifier: MIT
/*
 * KTAP from a test guest: each line goes to the console (where the host
 * prefixes it with the guest's name) and each plan/result also goes to
 * the host by hypercall, which is what the boot's verdict counts.
 */
#include "tests/guests/lib/guest.h"

static u32 next_result = 1;
static u32 nr_failed;

void ktap_plan(unsigned int n)
{
	printf("KTAP version 1\n");
	printf("1..%u\n", n);
	hc_ktap_plan(n);
}

bool ktap_result(bool ok, const char *fmt, ...)
{
	u32 nr = __atomic_fetch_add(&next_result, 1, __ATOMIC_RELAXED);
	char name[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	printf("%s %u %s\n", ok ? "ok" : "not ok", nr, name);
	if (!ok)
		__atomic_fetch_add(&nr_failed, 1, __ATOMIC_RELAXED);
	hc_ktap_result(ok ? 0 : 1);
	return ok;
}

void ktap_skip(const char *name, const char *reason)
{
	u32 nr = __atomic_fetch_add(&next_result, 1, __ATOMIC_RELAXED);

	printf("ok %u %s # SKIP %s\n", nr, name, reason);
	hc_ktap_result(2);
}

void ktap_diag(const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	printf("# %s\n", msg);
}

unsigned int ktap_nr_failed(void)
{
	return READ_ONCE(nr_failed);
}
