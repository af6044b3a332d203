/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the MMU test guests (mmu_faults.c, mmu_seed000.c):
 * reading the host's MMU statistics, phases that step every vCPU through
 * a test together, and waiting for invalidated roots to be freed.
 */
#ifndef GUESTS_MMU_COMMON_H
#define GUESTS_MMU_COMMON_H

#include "tests/guests/lib/guest.h"

#define MMU_WAIT_TICKS	20000000000ULL	/* guest TSC; Bochs: instructions */

static inline u64 mmu_stat(unsigned int idx)
{
	static struct {
		struct hv_mmu_stats h;
		u64 c[64];
	} buf;
	/* One buffer: a task kernel's tick must not switch in between. */
	u64 flags = local_irq_save();
	long n = hc_mmu_stats(&buf, sizeof(buf));
	u64 v = n > (long)idx ? buf.h.counters[idx] : ~0ULL;

	local_irq_restore(flags);
	if (n <= (long)idx) {
		ktap_diag("HC_MMU_STATS returned %ld", n);
		return ~0ULL;
	}
	return v;
}

/* Phases: vCPU 0 opens one; every other vCPU runs it and reports done. */
struct mmu_phases {
	volatile u32 phase;
	volatile u32 done;
	volatile u32 errors;
};

static inline bool mmu_wait_u32(volatile u32 *what, u32 want)
{
	u64 t0 = rdtsc();

	while (__atomic_load_n(what, __ATOMIC_ACQUIRE) < want)
		if (rdtsc() - t0 > MMU_WAIT_TICKS)
			return false;
	return true;
}

/* vCPU 0: start phase @p on the others; returns once all finished. */
static inline bool mmu_phase_run(struct mmu_phases *ph, u32 p,
				 void (*own_part)(void))
{
	u32 others = boot_info->nr_vcpus - 1;

	__atomic_store_n(&ph->done, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&ph->phase, p, __ATOMIC_RELEASE);
	if (own_part)
		own_part();
	return mmu_wait_u32(&ph->done, others);
}

/*
 * The other vCPUs' side (their secondary_main): run each phase vCPU 0
 * opens with @run, report it done, and return after @end (or when no
 * phase comes within MMU_WAIT_TICKS).
 */
static inline void mmu_phase_loop(struct mmu_phases *ph, u32 end,
				  unsigned int vcpu,
				  void (*run)(unsigned int vcpu, u32 phase))
{
	u32 last = 0;

	for (;;) {
		u32 p;

		if (!mmu_wait_u32(&ph->phase, last + 1))
			return;
		p = __atomic_load_n(&ph->phase, __ATOMIC_ACQUIRE);
		last = p;
		run(vcpu, p);
		__atomic_fetch_add(&ph->done, 1, __ATOMIC_RELEASE);
		if (p == end)
			return;
	}
}

/*
 * Every root but the one the vCPUs use now is gone: all invalidated roots
 * were zapped by the host's worker and freed after a grace period.
 */
static inline bool mmu_wait_roots_settled(void)
{
	u64 t0 = rdtsc();

	while (mmu_stat(HV_MMU_STAT_roots_freed) + 1 !=
	       mmu_stat(HV_MMU_STAT_roots_allocated))
		if (rdtsc() - t0 > MMU_WAIT_TICKS)
			return false;
	return true;
}

static inline u64 mmu_parse_u64(const char *s, u64 dflt)
{
	u64 v = 0;

	if (!s || !*s)
		return dflt;
	for (; *s >= '0' && *s <= '9'; s++)
		v = v * 10 + (u64)(*s - '0');
	if (*s == 'K' || *s == 'k')
		v <<= 10;
	else if (*s == 'M' || *s == 'm')
		v <<= 20;
	return v;
}

#endif
