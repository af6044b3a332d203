// SPDX-License-Identifier: MIT
/*
 * Hosted race of vCPU faults against range zaps on the same GFNs, with a
 * checker that holds mmu_lock for write between them:
 *  - each vCPU writes and reads back its own GFNs (no write is lost and
 *    no stale value read while the zaps tear their mappings down);
 *  - the zapper zaps random ranges and whole 2M tables with need_resched
 *    set often, so it yields (and must flush before it drops mmu_lock);
 *  - the checker takes mmu_lock for write and compares every vCPU's TLB
 *    and paging-structure cache with the SPTEs: whoever dropped mmu_lock
 *    has flushed what it zapped, so nothing cached may differ (a flush
 *    done late, after the lock was dropped, is seen here as a stale
 *    entry, not only as a count);
 *  - at the end a final zap leaves no leaf, every table page but the
 *    root goes back, and no walk ever read a freed table.
 * The same race with the flush broken must report stale entries, so the
 * checker is known to bite.
 */
// host-srcs: vmm/mmu/*.c tests/host/tdp_host_support.c
#include <stdlib.h>
#include <string.h>
#include "tests/host/tap.h"
#include "tests/host/platform_host.h"
#include "tests/host/tdp_host_support.h"
#include "kernel/log.h"
#include "kernel/platform.h"
#include "kernel/rcu.h"

#define RACE_TABLES	4
#define RACE_GFNS	(RACE_TABLES * SPTE_ENT_PER_PAGE)
#define RACE_VCPUS	2

static bool stress;

static u64 stat(struct sim_vm *s, enum tdp_mmu_stat i)
{
	return atomic64_read(&s->vm.stats.v[i]);
}
#define STAT(s, n) stat(s, TDP_MMU_STAT_##n)

struct race {
	struct sim_vm *s;
	u64 accesses, zaps;		/* per thread budgets */
	u64 version[RACE_GFNS];		/* written by the GFN's owner only */
	int vcpus_done, zapper_done;
	u64 errors, lost, stale, checks, table_zaps;
};

static u64 pattern(gfn_t gfn, u64 version)
{
	return gfn * 0x9e3779b97f4a7c15ULL ^ (version << 1) ^ 1;
}

static void vcpu_loop(struct race *a, unsigned int id)
{
	struct sim_vcpu *v = &a->s->vcpus[id];
	u64 i;

	for (i = 0; i < a->accesses; i++) {
		/* vCPU id owns the GFNs congruent to id. */
		gfn_t g = (host_rand() % (RACE_GFNS / RACE_VCPUS)) * RACE_VCPUS +
			  id;
		gpa_t gpa = g << PAGE_SHIFT;
		u64 val = pattern(g, ++a->version[g]), got = 0;

		if (sim_guest_access(v, gpa, true, &val) ||
		    sim_guest_access(v, gpa, false, &got)) {
			__atomic_add_fetch(&a->errors, 1, __ATOMIC_RELAXED);
			continue;
		}
		if (got != val)
			__atomic_add_fetch(&a->lost, 1, __ATOMIC_RELAXED);
		if (!(i & 63))
			rcu_note_quiescent_state();
	}
	__atomic_add_fetch(&a->vcpus_done, 1, __ATOMIC_RELEASE);
}

static void zapper_loop(struct race *a)
{
	struct vm *vm = &a->s->vm;
	u64 i;

	/* At least @zaps zaps, and on until the vCPUs are done. */
	for (i = 0; i < a->zaps || __atomic_load_n(&a->vcpus_done,
			__ATOMIC_ACQUIRE) < RACE_VCPUS; i++) {
		gfn_t start, end;

		if (host_rand() & 1) {
			start = (host_rand() % RACE_TABLES) * SPTE_ENT_PER_PAGE;
			end = start + SPTE_ENT_PER_PAGE;
			a->table_zaps++;
		} else {
			start = host_rand() % RACE_GFNS;
			end = start + 1 + host_rand() % (RACE_GFNS - start);
		}
		if (kvm_tdp_mmu_zap_gfn_range(vm, start, end))
			__atomic_add_fetch(&a->errors, 1, __ATOMIC_RELAXED);
		rcu_note_quiescent_state();
	}
	a->zaps = i;
	__atomic_store_n(&a->zapper_done, 1, __ATOMIC_RELEASE);
}

static void checker_loop(struct race *a)
{
	struct vm *vm = &a->s->vm;

	while (!__atomic_load_n(&a->zapper_done, __ATOMIC_ACQUIRE) ||
	       __atomic_load_n(&a->vcpus_done, __ATOMIC_ACQUIRE) <
	       RACE_VCPUS) {
		write_lock(&vm->mmu_lock);
		a->stale += sim_tlb_stale_entries(a->s);
		a->checks++;
		write_unlock(&vm->mmu_lock);
		rcu_note_quiescent_state();
	}
}

static void race_cpu(void *p, unsigned int i)
{
	struct race *a = p;

	if (i < RACE_VCPUS)
		vcpu_loop(a, i);
	else if (i == RACE_VCPUS)
		zapper_loop(a);
	else
		checker_loop(a);
}

static void run_race(bool break_flush)
{
	struct race *a = calloc(1, sizeof(*a));
	struct sim_vm *s = sim_vm_create(RACE_VCPUS, 0);
	u64 pages0 = host_nr_pages_live(), yields, reads;
	unsigned int i;
	bool final_ok = true;

	a->s = s;
	a->accesses = stress ? 400000 : 20000;
	a->zaps = stress ? 40000 : 2000;
	s->break_flush = break_flush;
	vm_add_memslot(&s->vm, 0, RACE_GFNS, 0, 0);
	host_set_resched_rate(4);
	host_run_cpus(RACE_VCPUS + 2, race_cpu, a);
	host_set_resched_rate(64);
	yields = STAT(s, yields);
	reads = sim_stale_table_reads(s);

	if (break_flush) {
		tap_ok(a->stale > 0,
		       "race with the flush broken: the checker sees stale TLB entries (%llu in %llu checks)",
		       (unsigned long long)a->stale,
		       (unsigned long long)a->checks);
		if (reads)
			host_expect_reports(1);	/* sim_vm_destroy's report */
		sim_vm_destroy(s);
		free(a);
		return;
	}

	tap_ok(a->errors == 0 && a->lost == 0,
	       "faults racing range zaps: %llu accesses per vCPU, no error, no lost or stale value (%llu lost)",
	       (unsigned long long)a->accesses, (unsigned long long)a->lost);
	tap_ok(a->stale == 0 && a->checks > 0 && yields > 0,
	       "faults racing range zaps: no stale TLB or cached table entry whenever mmu_lock is free (%llu stale in %llu checks, %llu zaps of which %llu whole tables, %llu yields)",
	       (unsigned long long)a->stale, (unsigned long long)a->checks, (unsigned long long)a->zaps,
	       (unsigned long long)a->table_zaps,
	       (unsigned long long)yields);

	/* Every value is still there, then a final zap empties the root. */
	for (i = 0; i < RACE_GFNS; i++) {
		u64 got = 0;

		if (sim_guest_access(&s->vcpus[i % RACE_VCPUS],
				     (gpa_t)i << PAGE_SHIFT, false, &got) ||
		    (a->version[i] && got != pattern(i, a->version[i])))
			final_ok = false;
	}
	kvm_tdp_mmu_zap_gfn_range(&s->vm, 0, tdp_mmu_max_gfn(&s->vm));
	read_lock(&s->vm.mmu_lock);
	final_ok = final_ok && tdp_mmu_count_leafs(&s->vm, s->vcpus[0].root) == 0;
	read_unlock(&s->vm.mmu_lock);
	tap_ok(final_ok && reads == 0,
	       "after the race every GFN reads its last value, a full zap leaves no leaf, and no walk read a freed table (%llu)",
	       (unsigned long long)reads);
	sim_vm_destroy(s);
	free(a);
	tap_ok(host_nr_pages_live() == pages0, "race: no page leaked");
}

/*
 * Whole-1G zaps racing faults in that 1G: the second pass unlinks the
 * 2M-level table under the shared lock while faults link leaf tables into
 * it, so handle_removed_pt() freezes entries that faults are racing for
 * (a fault's cmpxchg loses, or the freeze takes its new table).
 */
#define G1_GFNS	(1ULL << 18)

struct race_1g {
	struct sim_vm *s;
	u64 faults, zaps, errors;
	int stop;
};

static void race_1g_cpu(void *p, unsigned int i)
{
	struct race_1g *a = p;
	struct vm *vm = &a->s->vm;

	if (i == 0) {
		u64 want = stress ? 20000 : 200;

		/*
		 * Zap until both counts are reached: a zapper that finishes
		 * before the vCPU threads start would race nothing.
		 */
		for (a->zaps = 0; a->zaps < want ||
		     __atomic_load_n(&a->faults, __ATOMIC_RELAXED) < 20 * want;
		     a->zaps++) {
			if (kvm_tdp_mmu_zap_gfn_range(vm, 0, G1_GFNS))
				a->errors++;
			rcu_note_quiescent_state();
		}
		__atomic_store_n(&a->stop, 1, __ATOMIC_RELEASE);
		return;
	}
	while (!__atomic_load_n(&a->stop, __ATOMIC_ACQUIRE)) {
		u64 val = 0;

		/* Spread over many 2M regions: many leaf tables to link. */
		if (sim_guest_access(&a->s->vcpus[i - 1],
				     (host_rand() % G1_GFNS) << PAGE_SHIFT,
				     false, &val))
			__atomic_add_fetch(&a->errors, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&a->faults, 1, __ATOMIC_RELAXED);
		rcu_note_quiescent_state();
	}
}

static void test_race_1g(void)
{
	struct sim_vm *s = sim_vm_create(2, 0);
	struct race_1g a = { .s = s };
	u64 pages0 = host_nr_pages_live(), alive;

	vm_add_memslot(&s->vm, 0, G1_GFNS, MEMSLOT_ALIAS, 8);
	host_run_cpus(3, race_1g_cpu, &a);
	kvm_tdp_mmu_zap_gfn_range(&s->vm, 0, G1_GFNS);
	rcu_barrier();
	/* The roots (one shared by both vCPUs) and one 1G-level table each. */
	alive = STAT(s, pt_pages_alive);
	tap_ok(a.errors == 0 && a.faults > 0 &&
	       alive == 2 * STAT(s, roots_allocated) &&
	       STAT(s, mmu_bugs) == 0 && sim_stale_table_reads(s) == 0,
	       "1G zaps racing faults in that 1G: %llu zaps, %llu accesses (%llu retried), every 2M-level and leaf table back (%llu table pages left), nothing written to a frozen entry",
	       (unsigned long long)a.zaps, (unsigned long long)a.faults,
	       (unsigned long long)STAT(s, fault_retries),
	       (unsigned long long)alive);
	sim_vm_destroy(s);
	tap_ok(host_nr_pages_live() == pages0, "1G race: no page leaked");
}

/*
 * Range zaps walk every root, invalid ones included, while the background
 * zap tears the invalid ones down under the same shared lock: the tables
 * it unlinks must stay readable until the range zaps have left them (its
 * frees go through RCU).
 */
#define INV_GFNS	(1ULL << 16)

struct inv_race {
	struct sim_vm *s;
	u64 rounds, zaps;
	int errors, stop;
};

static void inv_race_cpu(void *p, unsigned int i)
{
	struct inv_race *a = p;
	struct vm *vm = &a->s->vm;

	if (i == 0) {
		struct kvm_mmu_page *root = NULL;

		for (a->rounds = 0; a->rounds < (stress ? 1000 : 60);
		     a->rounds++) {
			if (kvm_mmu_load(vm, &root) ||
			    kvm_tdp_mmu_map_range(vm, root, 0, INV_GFNS) < 0)
				a->errors++;
			kvm_mmu_zap_all_fast(vm);
			rcu_note_quiescent_state();
		}
		kvm_mmu_unload(vm, &root);
		__atomic_store_n(&a->stop, 1, __ATOMIC_RELEASE);
		return;
	}
	while (!__atomic_load_n(&a->stop, __ATOMIC_ACQUIRE)) {
		if (kvm_tdp_mmu_zap_gfn_range(vm, host_rand() % 512,
					      INV_GFNS - host_rand() % 512))
			__atomic_add_fetch(&a->errors, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&a->zaps, 1, __ATOMIC_RELAXED);
		rcu_note_quiescent_state();
	}
}

static void test_race_invalidate(void)
{
	struct sim_vm *s = sim_vm_create(1, 0);
	struct inv_race a = { .s = s };
	u64 pages0 = host_nr_pages_live();

	vm_add_memslot(&s->vm, 0, INV_GFNS, MEMSLOT_ALIAS, 8);
	host_run_cpus(3, inv_race_cpu, &a);
	rcu_barrier();
	tap_ok(a.errors == 0 && STAT(s, roots_freed) == a.rounds &&
	       STAT(s, mmu_bugs) == 0,
	       "range zaps walking roots the background zap tears down: %llu invalidations, %llu range zaps, every root freed",
	       (unsigned long long)a.rounds, (unsigned long long)a.zaps);
	sim_vm_destroy(s);
	tap_ok(host_nr_pages_live() == pages0, "invalidate race: no page leaked");
}

int main(void)
{
	stress = getenv("HOST_STRESS") != NULL;
	tap_plan(9);
	run_race(false);
	run_race(true);
	test_race_1g();
	test_race_invalidate();
	return tap_done();
}
