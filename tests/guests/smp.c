// SPDX-License-Identifier: MIT
/*
 * smp: every vCPU checks in and reports, then all of them increment one
 * shared counter with atomics; vCPU 0 checks the total. Run with more
 * vCPUs than host CPUs so that vCPUs are scheduled in turn.
 */
#include "tests/guests/lib/guest.h"

#define ADDS_PER_VCPU	2000
#define WAIT_TICKS	3000000000ULL

static u32 checked_in, counted;
static u64 counter;

static void work(unsigned int vcpu)
{
	long cpu = hc_vcpu_info();

	__atomic_fetch_add(&checked_in, 1, __ATOMIC_RELAXED);
	ktap_result(EXPECT(cpu >= 0) && EXPECT_EQ(this_vcpu(), vcpu),
		    "vcpu%u_checks_in (host cpu %ld)", vcpu, cpu);
	for (int i = 0; i < ADDS_PER_VCPU; i++)
		__atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&counted, 1, __ATOMIC_RELEASE);
}

void secondary_main(unsigned int vcpu)
{
	work(vcpu);
}

static bool wait_for(u32 *what, u32 want)
{
	u64 t0 = rdtsc();

	while (__atomic_load_n(what, __ATOMIC_ACQUIRE) < want)
		if (rdtsc() - t0 > WAIT_TICKS)
			return false;
	return true;
}

int main(void)
{
	u32 n = boot_info->nr_vcpus;

	ktap_plan(n + 2);
	printf("smp: %u vCPUs\n", n);
	work(0);
	ktap_result(wait_for(&checked_in, n), "all_%u_vcpus_check_in", n);
	if (!wait_for(&counted, n))
		ktap_diag("only %u of %u vCPUs finished counting", counted, n);
	ktap_result(EXPECT_EQ(__atomic_load_n(&counter, __ATOMIC_ACQUIRE),
			      (u64)n * ADDS_PER_VCPU), "shared_atomic_counter");
	return 0;
}
