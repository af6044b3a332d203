// SPDX-License-Identifier: MIT
/*
 * Hosted tests of the TDP MMU's memory-pressure worker logic
 * (tdp_mmu_reclaim_some), alias-slot reclaim refusal and the stats
 * snapshot of the stats hypercall.
 */
// host-srcs: vmm/mmu/*.c tests/host/tdp_host_support.c
#include <stdlib.h>
#include <string.h>
#include "tests/host/tap.h"
#include "tests/host/platform_host.h"
#include "tests/host/tdp_host_support.h"
#include "kernel/log.h"
#include "kernel/platform.h"

#define NR_SLOT_PAGES	128

static bool stress;

#define STAT SIM_STAT

static u64 pattern(gfn_t gfn, u64 version)
{
	return gfn * 0x9e3779b97f4a7c15ULL ^ (version << 1) ^ 1;
}

static u64 populated(struct sim_vm *s, gfn_t g)
{
	struct memslot *slot = gfn_to_memslot(&s->vm, g);

	return __atomic_load_n(&slot->pfns[g - slot->base_gfn],
			       __ATOMIC_ACQUIRE);
}

/* 1-3: round robin over memslots, discard semantics, alias slots. */
static void test_round_robin(void)
{
	struct sim_vm *s = sim_vm_create(1, 0);
	struct sim_vcpu *v = &s->vcpus[0];
	struct tdp_reclaim_cursor cur = { 0 };
	u64 pages0 = host_nr_pages_live(), val, old[6];
	void *spare;
	gfn_t touched[] = { 1, 3, 7, 1000, 1001, 1005 };
	bool order_ok = true, zero_ok = true;
	unsigned int i;
	long n;

	vm_add_memslot(&s->vm, 0, 8, 0, 0);
	vm_add_memslot(&s->vm, 100, 64, MEMSLOT_ALIAS, 4);
	vm_add_memslot(&s->vm, 1000, 8, 0, 0);
	for (i = 0; i < ARRAY_SIZE(touched); i++) {
		val = pattern(touched[i], 0);
		sim_guest_access(v, touched[i] << PAGE_SHIFT, true, &val);
	}
	val = 5;
	sim_guest_access(v, 120ULL << PAGE_SHIFT, true, &val);

	for (i = 0; i < ARRAY_SIZE(touched); i++)
		old[i] = populated(s, touched[i]);
	/* Two at a time, in slot order, skipping holes and the alias slot. */
	for (i = 0; i < ARRAY_SIZE(touched); i += 2) {
		n = tdp_mmu_reclaim_some(&s->vm, 2, TDP_RECLAIM_DISCARD, &cur);
		order_ok &= n == 2 && !populated(s, touched[i]) &&
			    !populated(s, touched[i + 1]) &&
			    (i + 2 >= ARRAY_SIZE(touched) ||
			     populated(s, touched[i + 2]));
	}
	/* Nothing left: one lap, then stop. */
	n = tdp_mmu_reclaim_some(&s->vm, 100, TDP_RECLAIM_DISCARD, &cur);
	tap_ok(order_ok && n == 0 && vm_memslot_pages(&s->vm) == 4 &&
	       STAT(s, reclaims) == 6,
	       "reclaim_some: round robin over memslots in order, skips unpopulated GFNs and alias slots, stops after one lap");

	/* Discard: the next touch gets a fresh zero page, never old data. */
	for (i = 0; i < ARRAY_SIZE(touched); i++) {
		val = 1;
		zero_ok &= !sim_guest_access(v, touched[i] << PAGE_SHIFT,
					     false, &val) && val == 0;
	}
	for (i = 0; i < ARRAY_SIZE(touched); i++)
		zero_ok &= !tdp_mmu_count_pfn_mappings(&s->vm, 0, 2000, old[i]);
	tap_ok(zero_ok && vm_memslot_pages(&s->vm) == 4 + ARRAY_SIZE(touched),
	       "reclaim_some(DISCARD): guest reads zero after the page went, its next touch repopulates");

	/* On error the caller still owns its replacement page. */
	spare = plat_alloc_page();
	tap_ok(tdp_mmu_reclaim_gfn(&s->vm, 120, NULL) == -EINVAL &&
	       tdp_mmu_reclaim_gfn(&s->vm, 100, spare) == -EINVAL &&
	       tdp_mmu_reclaim_some(&s->vm, 1, 7, &cur) == -EINVAL &&
	       !sim_guest_access(v, 120ULL << PAGE_SHIFT, false, &val) &&
	       val == 5,
	       "reclaim of an aliased slot (and a bad mode) is -EINVAL; the alias page keeps its data");
	plat_free_page(spare);
	sim_vm_destroy(s);
	tap_ok(host_nr_pages_live() == pages0,
	       "reclaim_some: nothing leaked (%llu pages live before, %llu after)",
	       (unsigned long long)pages0,
	       (unsigned long long)host_nr_pages_live());
}

/*
 * 5/6: the pressure worker runs while guest vCPUs keep writing and
 * verifying their own data pattern. MIGRATE: every read returns exactly
 * the last value written. DISCARD: a read returns the last value or zero
 * (the page went), never anything else (a stale page or freed poison).
 * Overlap is forced: the vCPUs keep going until the worker has reclaimed
 * PRESSURE_MIN pages, the worker until every vCPU has done its rounds.
 */
#define PRESSURE_VCPUS	2
#define PRESSURE_MIN	256

struct pressure_arg {
	struct sim_vm *s;
	enum tdp_reclaim_mode mode;
	unsigned int rounds;
	int errors, vcpus_done;
	long reclaimed;
	u64 zero_reads;
};

static void pressure_worker(void *p, unsigned int i)
{
	struct pressure_arg *a = p;
	struct tdp_reclaim_cursor cur = { 0 };

	if (i == PRESSURE_VCPUS) {
		while (__atomic_load_n(&a->vcpus_done, __ATOMIC_ACQUIRE) <
		       PRESSURE_VCPUS) {
			long n = tdp_mmu_reclaim_some(&a->s->vm, 8, a->mode,
						      &cur);

			if (n < 0)
				__atomic_add_fetch(&a->errors, 1,
						   __ATOMIC_RELAXED);
			else
				__atomic_add_fetch(&a->reclaimed, n,
						   __ATOMIC_RELEASE);
			rcu_note_quiescent_state();
		}
		return;
	}
	{
		struct sim_vcpu *v = &a->s->vcpus[i];
		u64 version[2 * NR_SLOT_PAGES / PRESSURE_VCPUS] = { 0 };
		unsigned int k;

		for (k = 0; k < a->rounds ||
			    __atomic_load_n(&a->reclaimed, __ATOMIC_ACQUIRE) <
			    PRESSURE_MIN; k++) {
			/* vCPU i owns GFNs i, i + N, ... in both slots. */
			unsigned int slot_i = host_rand() % ARRAY_SIZE(version);
			gfn_t g = (slot_i * PRESSURE_VCPUS + i) %
				  (2 * NR_SLOT_PAGES);
			u64 val = ~0ULL, want = pattern(g, version[slot_i]);

			g += g >= NR_SLOT_PAGES ? 1000 - NR_SLOT_PAGES : 0;
			if (sim_guest_access(v, g << PAGE_SHIFT, false, &val))
				val = ~0ULL;
			if (val == 0 && version[slot_i] &&
			    a->mode == TDP_RECLAIM_DISCARD)
				__atomic_add_fetch(&a->zero_reads, 1,
						   __ATOMIC_RELAXED);
			else if (val != want && !(val == 0 && !version[slot_i]))
				__atomic_add_fetch(&a->errors, 1,
						   __ATOMIC_RELAXED);
			val = pattern(g >= 1000 ? g - 1000 + NR_SLOT_PAGES : g,
				      ++version[slot_i]);
			if (sim_guest_access(v, g << PAGE_SHIFT, true, &val))
				__atomic_add_fetch(&a->errors, 1,
						   __ATOMIC_RELAXED);
		}
		__atomic_add_fetch(&a->vcpus_done, 1, __ATOMIC_RELEASE);
	}
}

static void test_pressure(enum tdp_reclaim_mode mode)
{
	struct sim_vm *s = sim_vm_create(PRESSURE_VCPUS, 0);
	struct pressure_arg a = { .s = s, .mode = mode,
				  .rounds = stress ? 200000 : 5000 };
	u64 pages0 = host_nr_pages_live();
	unsigned long w0 = warn_count;

	vm_add_memslot(&s->vm, 0, NR_SLOT_PAGES, 0, 0);
	vm_add_memslot(&s->vm, 1000, NR_SLOT_PAGES, 0, 0);
	host_run_cpus(PRESSURE_VCPUS + 1, pressure_worker, &a);
	tap_ok(a.errors == 0 && a.reclaimed >= PRESSURE_MIN &&
	       warn_count == w0 &&
	       (mode == TDP_RECLAIM_MIGRATE ? a.zero_reads == 0 : true),
	       "pressure worker (%s) vs %u vCPUs verifying their data: %ld pages reclaimed, %llu reads found a discarded page, no wrong data",
	       mode == TDP_RECLAIM_MIGRATE ? "migrate" : "discard",
	       PRESSURE_VCPUS, a.reclaimed,
	       (unsigned long long)a.zero_reads);
	sim_vm_destroy(s);
	if (host_nr_pages_live() != pages0)
		tap_diag("pages live %llu -> %llu",
			 (unsigned long long)pages0,
			 (unsigned long long)host_nr_pages_live());
}

/* 7: the stats hypercall's snapshot: versioned, sized, truncating. */
static void test_stats_snapshot(void)
{
	struct sim_vm *s = sim_vm_create(1, 0);
	u64 buf[4 + NR_TDP_MMU_STATS + 4];
	struct tdp_mmu_stats_snapshot *snap = (void *)buf;
	u64 val = 3;
	bool ok = true;
	int n;

	vm_add_memslot(&s->vm, 0, 16, 0, 0);
	sim_guest_access(&s->vcpus[0], 0x3000, true, &val);
	tdp_mmu_reclaim_gfn(&s->vm, 3, NULL);

	memset(buf, 0xff, sizeof(buf));
	n = tdp_mmu_stats_snapshot(&s->vm, snap, sizeof(buf));
	ok &= n == NR_TDP_MMU_STATS && snap->nr_counters == (u32)n &&
	      snap->version == TDP_MMU_STATS_VERSION &&
	      snap->nr_available == NR_TDP_MMU_STATS &&
	      snap->size == sizeof(*snap) + n * sizeof(u64) &&
	      snap->counters[TDP_MMU_STAT_faults] == STAT(s, faults) &&
	      snap->counters[TDP_MMU_STAT_reclaims] == 1 &&
	      buf[sizeof(*snap) / 8 + n] == ~0ULL;	/* nothing past */
	/* An older guest's smaller buffer gets the counters it knows. */
	memset(buf, 0xff, sizeof(buf));
	n = tdp_mmu_stats_snapshot(&s->vm, snap, sizeof(*snap) + 3 * 8 + 4);
	ok &= n == 3 && snap->size == sizeof(*snap) + 24 &&
	      buf[sizeof(*snap) / 8 + 3] == ~0ULL;
	ok &= tdp_mmu_stats_snapshot(&s->vm, snap, sizeof(*snap) - 1) ==
	      -EINVAL;
	ok &= tdp_mmu_stats_snapshot(&s->vm, NULL, 4096) == -EINVAL;
	ok &= tdp_mmu_stats_snapshot(&s->vm, snap, sizeof(*snap)) == 0;
	tap_ok(ok, "stats snapshot: versioned header, every counter, truncates to the caller's size, rejects a too-small buffer");
	sim_vm_destroy(s);
}

int main(void)
{
	u64 pages0;

	stress = getenv("HOST_STRESS") != NULL;
	tap_plan(8);
	test_round_robin();
	pages0 = host_nr_pages_live();
	test_pressure(TDP_RECLAIM_MIGRATE);
	test_pressure(TDP_RECLAIM_DISCARD);
	tap_ok(host_nr_pages_live() == pages0,
	       "pressure runs freed every page (%llu live before, %llu after)",
	       (unsigned long long)pages0,
	       (unsigned long long)host_nr_pages_live());
	test_stats_snapshot();
	return tap_done();
}
