// SPDX-License-Identifier: MIT
/*
 * roundtrip: cost of a VMCALL and of a CPUID exit, as TSC ticks per round
 * trip (under Bochs' clock sync=none the TSC counts instructions, so this
 * is the host's software path length). Prints lines the closing notes
 * quote: "# vmcall round trip: N ticks". Option iters=N (default 2000).
 */
#include "tests/guests/lib/guest.h"

static unsigned long long parse_uint(const char *s, unsigned long long dflt)
{
	unsigned long long v = 0;

	if (!s || !*s)
		return dflt;
	for (; *s >= '0' && *s <= '9'; s++)
		v = v * 10 + (*s - '0');
	return v ? v : dflt;
}

int main(void)
{
	char buf[16];
	u64 n = parse_uint(guest_option("iters", buf, sizeof(buf)), 2000);
	u64 t0, t1, loop, vmcall, cpuid_ticks;
	u32 a, b, c, d, a0, b0;
	bool same = true, valid = true;

	ktap_plan(2);
	/* The loop alone, so that it can be taken off. */
	t0 = rdtsc_ordered();
	for (u64 i = 0; i < n; i++)
		asm volatile("" ::: "memory");
	loop = rdtsc_ordered() - t0;

	t0 = rdtsc_ordered();
	for (u64 i = 0; i < n; i++)
		valid &= hc_vcpu_info() >= 0;
	t1 = rdtsc_ordered();
	vmcall = t1 - t0 > loop ? (t1 - t0 - loop) / n : 0;

	cpuid(0, 0, &a0, &b0, &c, &d);
	t0 = rdtsc_ordered();
	for (u64 i = 0; i < n; i++) {
		cpuid(0, 0, &a, &b, &c, &d);
		same &= a == a0 && b == b0;
	}
	t1 = rdtsc_ordered();
	cpuid_ticks = t1 - t0 > loop ? (t1 - t0 - loop) / n : 0;

	printf("# vmcall round trip: %llu ticks (%llu iterations)\n",
	       (unsigned long long)vmcall, (unsigned long long)n);
	printf("# cpuid round trip: %llu ticks (%llu iterations)\n",
	       (unsigned long long)cpuid_ticks, (unsigned long long)n);
	ktap_result(valid && EXPECT(vmcall > 0), "vmcall_roundtrip");
	ktap_result(same && EXPECT(cpuid_ticks > 0), "cpuid_roundtrip");
	return 0;
}
