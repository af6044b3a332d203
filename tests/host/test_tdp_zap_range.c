// SPDX-License-Identifier: MIT
/*
 * Hosted tests of the range zap's exact reach (tdp_mmu_zap_leafs, shared
 * via kvm_tdp_mmu_zap_gfn_range and exclusive via tdp_mmu_unmap_gfn_range):
 * it removes every 4K leaf in [start, end) and nothing else (the shared
 * zap also unlinks exactly the leaf tables whose 2M span lies in the
 * range), counts each removed leaf once in zapped_sptes, and flushes TLBs
 * when it removed something (once, plus once per yield at most) and never
 * otherwise. The zap handles a leaf table's in-range entries in one run, so the ranges start and end inside tables, on table boundaries
 * and one off them; random ranges run with frequent need_resched() so the
 * walk also yields and restarts between tables.
 */
// host-srcs: vmm/mmu/*.c
#include <stdlib.h>
#include <string.h>
#include "tests/host/tap.h"
#include "tests/host/platform_host.h"
#include "kernel/log.h"
#include "kernel/platform.h"
#include "kernel/rcu.h"
#include "vmm/mmu/tdp_iter.h"
#include "vmm/mmu/tdp_mmu.h"

/* 4 full leaf tables and part of a fifth. */
#define NR_GFNS		(4 * SPTE_ENT_PER_PAGE + 300)
#define ALIAS_PAGES	16
#define NR_TABLES	((NR_GFNS + SPTE_ENT_PER_PAGE - 1) / SPTE_ENT_PER_PAGE)
#define NR_RANDOM	300

struct zap_env {
	struct vm *vm;
	struct kvm_mmu_page *root;
	bool present[NR_GFNS];	/* the model: which GFNs should be mapped */
	/* ... and which 4K leaf tables are linked (shared zaps free them) */
	bool linked[NR_TABLES];
	const char *failure;
};

static u64 stat(struct vm *vm, enum tdp_mmu_stat i)
{
	return atomic64_read(&vm->stats.v[i]);
}

static void env_init(struct zap_env *e)
{
	memset(e, 0, sizeof(*e));
	e->vm = calloc(1, sizeof(*e->vm));
	if (!e->vm || tdp_mmu_vm_init(e->vm, NULL, 0) ||
	    vm_add_memslot(e->vm, 0, NR_GFNS, MEMSLOT_ALIAS, ALIAS_PAGES)) {
		fprintf(stderr, "test_tdp_zap_range: cannot set up a VM\n");
		exit(1);
	}
	read_lock(&e->vm->mmu_lock);
	e->root = tdp_mmu_get_vcpu_root(e->vm, 0);
	read_unlock(&e->vm->mmu_lock);
}

static void env_destroy(struct zap_env *e)
{
	read_lock(&e->vm->mmu_lock);
	tdp_mmu_put_root(e->vm, e->root, true);
	read_unlock(&e->vm->mmu_lock);
	tdp_mmu_vm_destroy(e->vm);
	free(e->vm);
}

static void populate_all(struct zap_env *e)
{
	if (kvm_tdp_mmu_prefault(e->vm, e->root, 0, NR_GFNS)) {
		fprintf(stderr, "test_tdp_zap_range: prefault failed\n");
		exit(1);
	}
	for (int g = 0; g < NR_GFNS; g++)
		e->present[g] = true;
	for (int t = 0; t < NR_TABLES; t++)
		e->linked[t] = true;
}

/* Does the root map exactly the GFNs the model says? */
static bool matches_model(struct zap_env *e)
{
	static bool seen[NR_GFNS];
	struct tdp_iter iter;
	bool ok = true;

	memset(seen, 0, sizeof(seen));
	read_lock(&e->vm->mmu_lock);
	rcu_read_lock();
	for_each_tdp_pte(iter, e->root, 0, NR_GFNS)
		if (is_shadow_present_pte(iter.old_spte) &&
		    is_last_spte(iter.old_spte, iter.level)) {
			if (iter.level != PG_LEVEL_4K)
				ok = false;	/* the test maps 4K only */
			else
				seen[iter.gfn] = true;
		}
	/* Each leaf table is linked exactly when the model says so. */
	for_each_tdp_pte_min_level(iter, e->root, PG_LEVEL_2M, 0, NR_GFNS)
		if (iter.level == PG_LEVEL_2M)
			ok &= is_shadow_present_pte(iter.old_spte) ==
			      e->linked[iter.gfn / SPTE_ENT_PER_PAGE];
	rcu_read_unlock();
	read_unlock(&e->vm->mmu_lock);
	for (int g = 0; g < NR_GFNS; g++)
		ok &= seen[g] == e->present[g];
	return ok;
}

/*
 * Zap [start, end) shared or exclusive, then check the SPTEs against the
 * model, zapped_sptes and the flush. Records the first failure.
 */
static void zap_and_check(struct zap_env *e, gfn_t start, gfn_t end,
			  bool shared)
{
	u64 zapped0 = stat(e->vm, TDP_MMU_STAT_zapped_sptes);
	u64 flushes0 = stat(e->vm, TDP_MMU_STAT_tlb_flushes);
	u64 yields0 = stat(e->vm, TDP_MMU_STAT_yields);
	u64 expect = 0, unlinked = 0, flushes, yields;
	bool flush = false;

	for (gfn_t g = start; g < end && g < NR_GFNS; g++) {
		expect += e->present[g];
		e->present[g] = false;
	}
	/* A shared zap also unlinks each leaf table its range covers whole. */
	for (int t = 0; shared && t < NR_TABLES; t++) {
		gfn_t t0 = (gfn_t)t * SPTE_ENT_PER_PAGE;

		if (e->linked[t] && start <= t0 &&
		    t0 + SPTE_ENT_PER_PAGE <= MIN(end, tdp_mmu_max_gfn(e->vm))) {
			e->linked[t] = false;
			unlinked++;
		}
	}
	if (shared) {
		if (kvm_tdp_mmu_zap_gfn_range(e->vm, start, end))
			e->failure = e->failure ?: "zap_gfn_range failed";
	} else {
		write_lock(&e->vm->mmu_lock);
		flush = tdp_mmu_unmap_gfn_range(e->vm, start, end);
		write_unlock(&e->vm->mmu_lock);
	}
	flushes = stat(e->vm, TDP_MMU_STAT_tlb_flushes) - flushes0;
	yields = stat(e->vm, TDP_MMU_STAT_yields) - yields0;
	if (!matches_model(e))
		e->failure = e->failure ?: "SPTEs differ from the model";
	if (stat(e->vm, TDP_MMU_STAT_zapped_sptes) - zapped0 != expect)
		e->failure = e->failure ?: "zapped_sptes miscounted";
	/*
	 * Zapped leaves or an unlinked table need a flush (the CPU may cache
	 * the table); a yield with one pending flushes before it drops the
	 * lock. Nothing zapped, nothing unlinked: no flush.
	 */
	if (shared && (expect || unlinked ? flushes < 1 || flushes > 1 + yields :
			       flushes != 0))
		e->failure = e->failure ?: "TLB flush missing or spurious";
	if (!shared && flush != (expect != 0))
		e->failure = e->failure ?: "flush request missing or spurious";
	if (e->failure)
		tap_diag("zap [%llu, %llu) %s: %s", (unsigned long long)start,
			 (unsigned long long)end,
			 shared ? "shared" : "exclusive", e->failure);
}

/* Starts and ends inside tables, on their edges and one off them. */
static const gfn_t edge_ranges[][2] = {
	{ 0, 1 }, { 1, 2 }, { 511, 512 }, { 512, 513 }, { 510, 514 },
	{ 0, 512 }, { 512, 1024 }, { 511, 1025 }, { 700, 1900 },
	{ 1023, 1025 }, { 2047, 2049 }, { 2048, NR_GFNS },
	{ 2100, NR_GFNS + 5000 }, { 0, NR_GFNS },
};

static void test_edges(bool shared)
{
	struct zap_env e;
	unsigned int i;

	env_init(&e);
	for (i = 0; i < ARRAY_SIZE(edge_ranges) && !e.failure; i++) {
		populate_all(&e);
		zap_and_check(&e, edge_ranges[i][0], edge_ranges[i][1],
			      shared);
	}
	/* Zapping what is already gone removes nothing and flushes nothing. */
	if (!e.failure)
		zap_and_check(&e, 0, NR_GFNS, shared);
	tap_ok(!e.failure && matches_model(&e),
	       "%s range zap: %u ranges at and around table edges remove exactly their leaves, counted once, flush iff something went",
	       shared ? "shared" : "exclusive", i);
	env_destroy(&e);
}

/* Random ranges over a partly zapped root, yielding often. */
static void test_random(bool shared)
{
	u64 yields0;
	struct zap_env e;
	int i;

	env_init(&e);
	populate_all(&e);
	yields0 = stat(e.vm, TDP_MMU_STAT_yields);
	host_set_resched_rate(3);
	for (i = 0; i < NR_RANDOM && !e.failure; i++) {
		gfn_t start = host_rand() % NR_GFNS;
		gfn_t end = start + 1 + host_rand() % (3 * SPTE_ENT_PER_PAGE);

		if (i % 8 == 0)
			populate_all(&e);
		zap_and_check(&e, start, end, shared);
	}
	/* Exclusive zaps here do not yield (reclaim's walk cannot). */
	tap_ok(!e.failure && (!shared || stat(e.vm, TDP_MMU_STAT_yields) >
				yields0),
	       "%s range zap: %d random ranges (%llu yields) remove exactly their leaves",
	       shared ? "shared" : "exclusive", i,
	       (unsigned long long)(stat(e.vm, TDP_MMU_STAT_yields) -
				    yields0));
	env_destroy(&e);
}

int main(void)
{
	u64 pages0 = host_nr_pages_live();

	tap_plan(5);
	test_edges(true);
	test_edges(false);
	test_random(true);
	test_random(false);
	rcu_barrier();
	tap_ok(host_nr_pages_live() == pages0,
	       "range zap tests: every page back (%llu live before, %llu after)",
	       (unsigned long long)pages0,
	       (unsigned long long)host_nr_pages_live());
	return tap_done();
}
