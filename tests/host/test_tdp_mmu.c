// SPDX-License-Identifier: MIT
/*
 * Hosted tests of the TDP MMU: SPTE/iterator units, concurrent faults,
 * zaps and invalidations racing faults, host reclaim (no stale mapping or
 * TLB entry survives), seed 000 (putting the last reference of a huge
 * root while reclaim runs) and seed 002 (the yield-safe walk stops at an
 * invalidated root), bad input, and leak-free VM destruction.
 */
// host-srcs: vmm/mmu/*.c tests/host/tdp_host_support.c
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include "tests/host/tap.h"
#include "tests/host/platform_host.h"
#include "tests/host/tdp_host_support.h"
#include "kernel/log.h"
#include "kernel/platform.h"

/*
 * Seed 000's root size: brief in `make test`, >= 1M SPTEs under TSan and
 * 4M under ASan with HOST_STRESS (`make stress`).
 */
#ifdef __SANITIZE_THREAD__
#define SEED000_GFNS_TEST	(128ULL << 10)
#define SEED000_GFNS_STRESS	(1ULL << 20)
#else
#define SEED000_GFNS_TEST	(256ULL << 10)
#define SEED000_GFNS_STRESS	(4ULL << 20)
#endif
static u64 seed000_gfns;
#define SEED000_GFNS	seed000_gfns

static bool stress;

static u64 stat(struct sim_vm *s, enum tdp_mmu_stat i)
{
	return atomic64_read(&s->vm.stats.v[i]);
}
#define STAT(s, n) stat(s, TDP_MMU_STAT_##n)

static u64 pattern(gfn_t gfn, u64 version)
{
	return gfn * 0x9e3779b97f4a7c15ULL ^ version;
}

/* 1: SPTE format and iterator. */
static void test_spte_iter(void)
{
	struct sim_vm *s = sim_vm_create(1, 0);
	struct sim_vcpu *v = &s->vcpus[0];
	u64 spte = make_spte(0x12345, PG_LEVEL_4K, ACC_READ | ACC_WRITE);
	gfn_t gfns[] = { 3, 511, 512, 1ULL << 18, (1ULL << 27) - 1 };
	struct tdp_iter iter;
	u64 val = 1, n = 0, seen = 0;
	unsigned int i;
	bool ok = true;

	tap_ok(is_shadow_present_pte(spte) && is_last_spte(spte, 1) &&
	       spte_to_pfn(spte) == 0x12345 && is_writable_pte(spte) &&
	       !is_large_pte(spte) &&
	       !is_shadow_present_pte(FROZEN_SPTE) &&
	       !(FROZEN_SPTE & VMX_EPT_RWX_MASK) &&
	       is_large_pte(make_spte(1, 2, ACC_ALL)) &&
	       !is_last_spte(make_nonleaf_spte(7), 2) &&
	       spte_to_child_pt(make_nonleaf_spte(7), 2) ==
	       plat_phys_to_virt(7 << PAGE_SHIFT),
	       "spte: format helpers agree with the EPT layout");

	/* Small slots around the GFNs: a 2^27-page slot costs seconds. */
	vm_add_memslot(&s->vm, 0, 1024, 0, 0);
	vm_add_memslot(&s->vm, 1ULL << 18, 1, 0, 0);
	vm_add_memslot(&s->vm, (1ULL << 27) - 1, 1, 0, 0);
	for (i = 0; i < ARRAY_SIZE(gfns); i++)
		ok &= !sim_guest_access(v, gfns[i] << PAGE_SHIFT, true, &val);
	read_lock(&s->vm.mmu_lock);
	rcu_read_lock();
	for_each_tdp_pte(iter, v->root, 0, tdp_mmu_max_gfn(&s->vm)) {
		if (!is_shadow_present_pte(iter.old_spte) || iter.level != 1)
			continue;
		ok &= iter.gfn == gfns[n];
		n++;
	}
	/* A range walk sees only its own GFNs, in order. */
	for_each_tdp_pte(iter, v->root, 500, 600)
		if (is_shadow_present_pte(iter.old_spte) && iter.level == 1)
			seen++;
	/* A yield restarts at next_last_level_gfn and records it. */
	tdp_iter_start(&iter, v->root->spt, 4, 1, 512);
	while (iter.level > 1)
		tdp_iter_next(&iter);
	iter.yielded = true;
	tdp_iter_next(&iter);
	ok &= iter.level == 4 && iter.yielded_gfn == 512 && !iter.yielded;
	while (iter.level > 1)
		tdp_iter_next(&iter);
	ok &= iter.gfn == 512 && is_shadow_present_pte(iter.old_spte);
	/* Beyond the root's reach: empty walk. */
	tdp_iter_start(&iter, v->root->spt, 4, 1, 1ULL << 36);
	ok &= !iter.valid;
	rcu_read_unlock();
	read_unlock(&s->vm.mmu_lock);
	tap_ok(ok && n == ARRAY_SIZE(gfns) && seen == 2,
	       "tdp_iter: walks present leaves in order, ranges, restart after yield (%llu leaves)",
	       (unsigned long long)n);
	sim_vm_destroy(s);
}

/* 2: concurrent faults on the same and on different pages. */
struct fault_arg {
	struct sim_vm *s;
	unsigned int nr;
	int errors;
};

static void fault_worker(void *p, unsigned int i)
{
	struct fault_arg *a = p;
	struct sim_vcpu *v = &a->s->vcpus[i];
	u64 g, val;

	for (g = 0; g < a->nr; g++) {
		/* Shared pages 0..nr: everybody reads; private: own write. */
		if (sim_guest_access(v, g << PAGE_SHIFT, false, &val))
			__atomic_add_fetch(&a->errors, 1, __ATOMIC_RELAXED);
		val = pattern(g, i);
		if (sim_guest_access(v, ((1 + i) * 4096ULL + g) << PAGE_SHIFT,
				     true, &val))
			__atomic_add_fetch(&a->errors, 1, __ATOMIC_RELAXED);
	}
	for (g = 0; g < a->nr; g++) {
		if (sim_guest_access(v, ((1 + i) * 4096ULL + g) << PAGE_SHIFT,
				     false, &val) || val != pattern(g, i))
			__atomic_add_fetch(&a->errors, 1, __ATOMIC_RELAXED);
	}
}

static void test_concurrent_faults(void)
{
	unsigned int nv = 4;
	struct sim_vm *s = sim_vm_create(nv, 0);
	struct fault_arg a = { .s = s, .nr = stress ? 4096 : 1024 };
	unsigned long w0 = warn_count;
	bool shared_root;
	u64 leafs;

	vm_add_memslot(&s->vm, 0, 8 * 4096, 0, 0);
	host_run_cpus(nv, fault_worker, &a);
	read_lock(&s->vm.mmu_lock);
	leafs = tdp_mmu_count_leafs(&s->vm, s->vcpus[0].root);
	read_unlock(&s->vm.mmu_lock);
	shared_root = s->vcpus[0].root == s->vcpus[nv - 1].root;
	/* Drop the roots now: putting the last reference must not WARN. */
	for (unsigned int i = 0; i < nv; i++)
		sim_vcpu_unload(&s->vcpus[i]);
	tap_ok(a.errors == 0 && leafs == a.nr * (1 + nv) && warn_count == w0 &&
	       STAT(s, roots_freed) == 1 &&
	       shared_root &&
	       STAT(s, faults) >= leafs && STAT(s, roots_allocated) == 1,
	       "faults: %u vCPUs, shared+private pages, %llu leaves, faults %llu spurious %llu retries %llu",
	       nv, (unsigned long long)leafs,
	       (unsigned long long)STAT(s, faults),
	       (unsigned long long)STAT(s, spurious_faults),
	       (unsigned long long)STAT(s, fault_retries));
	sim_vm_destroy(s);
}

/*
 * 3/4: zaps and invalidate-all racing faults; contents never go wrong.
 * The vCPUs keep faulting until the zapper has finished RACE_MIN_ROUNDS
 * rounds, so the race happens however slowly a sanitizer runs the zapper.
 */
#define RACE_MIN_ROUNDS	4

struct race_arg {
	struct sim_vm *s;
	unsigned int nr_gfns, iters, nr_vcpus;
	int errors, done, rounds;
	bool invalidate;
};

static void race_worker(void *p, unsigned int i)
{
	struct race_arg *a = p;
	unsigned int k;

	if (i < a->nr_vcpus) {
		struct sim_vcpu *v = &a->s->vcpus[i];

		for (k = 0; k < a->iters ||
			    __atomic_load_n(&a->rounds, __ATOMIC_ACQUIRE) <
			    RACE_MIN_ROUNDS; k++) {
			gfn_t g = host_rand() % a->nr_gfns;
			u64 val;

			if (sim_guest_access(v, g << PAGE_SHIFT, false, &val) ||
			    val != pattern(g, 0))
				__atomic_add_fetch(&a->errors, 1,
						   __ATOMIC_RELAXED);
		}
		__atomic_add_fetch(&a->done, 1, __ATOMIC_RELEASE);
		return;
	}
	while (__atomic_load_n(&a->done, __ATOMIC_ACQUIRE) < (int)a->nr_vcpus) {
		if (a->invalidate) {
			u64 alloc = STAT(a->s, roots_allocated);

			kvm_mmu_zap_all_fast(&a->s->vm);
			/*
			 * Count the round only once a vCPU has loaded a
			 * fresh root: invalidating again before that would
			 * find no valid root, and the rounds would not race
			 * anything (roots_invalidated would stay low).
			 */
			while (STAT(a->s, roots_allocated) == alloc &&
			       __atomic_load_n(&a->done, __ATOMIC_ACQUIRE) <
			       (int)a->nr_vcpus) {
				rcu_note_quiescent_state();
				sched_yield();
			}
		} else {
			gfn_t st = host_rand() % a->nr_gfns;

			if (kvm_tdp_mmu_zap_gfn_range(&a->s->vm, st,
				st + 1 + host_rand() % 600))
				__atomic_add_fetch(&a->errors, 1,
						   __ATOMIC_RELAXED);
		}
		__atomic_add_fetch(&a->rounds, 1, __ATOMIC_RELEASE);
		rcu_note_quiescent_state();
	}
}

static void run_race(bool invalidate)
{
	struct race_arg a = { .nr_gfns = 4096, .iters = stress ? 200000 : 20000,
			      .nr_vcpus = 3, .invalidate = invalidate };
	struct sim_vm *s = sim_vm_create(3, 0);
	struct sim_vcpu *v0 = &s->vcpus[0];
	unsigned long w0 = warn_count;
	u64 g, val;

	a.s = s;
	vm_add_memslot(&s->vm, 0, a.nr_gfns, MEMSLOT_PREPOPULATE, 0);
	for (g = 0; g < a.nr_gfns; g++) {
		val = pattern(g, 0);
		sim_guest_access(v0, g << PAGE_SHIFT, true, &val);
	}
	host_run_cpus(4, race_worker, &a);
	/* One more access each: vCPUs drop roots invalidated meanwhile. */
	for (unsigned int i = 0; i < a.nr_vcpus; i++)
		if (sim_guest_access(&s->vcpus[i], 0, false, &val) ||
		    val != pattern(0, 0))
			a.errors++;
	tap_ok(a.errors == 0 && warn_count == w0 && STAT(s, zapped_sptes) > 0 &&
	       a.rounds >= RACE_MIN_ROUNDS &&
	       (!invalidate ||
		(STAT(s, roots_invalidated) >= RACE_MIN_ROUNDS &&
		 STAT(s, roots_freed) > 0)),
	       "%s racing faults (%d rounds): no wrong data, zapped %llu, yields %llu, roots alloc %llu inval %llu freed %llu",
	       invalidate ? "invalidate-all-roots" : "range zaps", a.rounds,
	       (unsigned long long)STAT(s, zapped_sptes),
	       (unsigned long long)STAT(s, yields),
	       (unsigned long long)STAT(s, roots_allocated),
	       (unsigned long long)STAT(s, roots_invalidated),
	       (unsigned long long)STAT(s, roots_freed));
	sim_vm_destroy(s);
}

/* 5: reclaim; the guest sees the new contents; nothing stale anywhere. */
static bool reclaim_once(struct sim_vm *s, struct sim_vcpu *v, gfn_t g,
			 u64 version)
{
	struct memslot *slot = gfn_to_memslot(&s->vm, g);
	u64 old = __atomic_load_n(&slot->pfns[g - slot->base_gfn],
				  __ATOMIC_ACQUIRE);
	u64 *page = plat_alloc_page(), val;

	page[0] = pattern(g, version);
	if (tdp_mmu_reclaim_gfn(&s->vm, g, page))
		return false;
	if (old && tdp_mmu_count_pfn_mappings(&s->vm, g, g + 1, old))
		return false;
	return !v || (!sim_guest_access(v, g << PAGE_SHIFT, false, &val) &&
		      val == pattern(g, version));
}

static void test_reclaim(bool break_flush)
{
	struct sim_vm *s = sim_vm_create(1, 0);
	struct sim_vcpu *v = &s->vcpus[0];
	bool ok = true;
	u64 g, val;

	vm_add_memslot(&s->vm, 16, 64, 0, 0);
	for (g = 16; g < 80; g++) {
		val = pattern(g, 0);
		ok &= !sim_guest_access(v, g << PAGE_SHIFT, true, &val);
		ok &= !sim_guest_access(v, g << PAGE_SHIFT, false, &val);
	}
	s->break_flush = break_flush;
	for (g = 16; g < 80; g++)
		ok &= reclaim_once(s, v, g, 1);
	s->break_flush = false;
	if (break_flush)
		tap_ok(!ok, "reclaim: a missing TLB flush is caught (stale read)");
	else
		tap_ok(ok && STAT(s, reclaims) == 64,
		       "reclaim: guest wrote, host replaced 64 pages, guest reads new contents, no SPTE maps an old page");
	sim_vm_destroy(s);
}

/*
 * 6: seed 000. The last reference to a root with >= 1M 4K SPTEs (GFNs
 * aliasing 64 host pages) is put, zapping with yields, while host reclaim
 * runs and another vCPU faults on a fresh root.
 *
 * The overlap is forced, not hoped for: at its first SEED000_FORCED
 * yields the zapping thread waits until the reclaim thread and the
 * faulting vCPU have each made progress, so both certainly run inside the
 * zap window however the scheduler (or TSan) orders the threads.
 */
#define SEED000_FORCED	8

struct seed000_arg {
	struct sim_vm *s;
	int put_done, errors, started;
	u64 reclaims, other_faults;	/* atomics: read by the zapper */
	u64 reclaims_in_zap, faults_in_zap, forced_yields;
};

static __thread bool tls_seed000_zapper;

static void seed000_yield_hook(struct sim_vm *s)
{
	struct seed000_arg *a = s->yield_hook_arg;
	u64 r0, f0;

	/* Reclaim may yield too: only the thread putting the root waits. */
	if (!tls_seed000_zapper || a->forced_yields >= SEED000_FORCED)
		return;
	a->forced_yields++;
	r0 = __atomic_load_n(&a->reclaims, __ATOMIC_ACQUIRE);
	f0 = __atomic_load_n(&a->other_faults, __ATOMIC_ACQUIRE);
	while (__atomic_load_n(&a->reclaims, __ATOMIC_ACQUIRE) < r0 + 2 ||
	       __atomic_load_n(&a->other_faults, __ATOMIC_ACQUIRE) < f0 + 2)
		rcu_note_quiescent_state();	/* others may wait for a GP */
	a->reclaims_in_zap += 2;
	a->faults_in_zap += 2;
}

static void seed000_worker(void *p, unsigned int i)
{
	struct seed000_arg *a = p;
	struct sim_vm *s = a->s;
	u64 version = 1;

	/* Start together, so the put really races the other work. */
	__atomic_add_fetch(&a->started, 1, __ATOMIC_ACQ_REL);
	while (__atomic_load_n(&a->started, __ATOMIC_ACQUIRE) < 3)
		rcu_note_quiescent_state();

	if (i == 0) {
		/* The vCPU drops its root: last reference, huge zap. */
		tls_seed000_zapper = true;
		sim_vcpu_unload(&s->vcpus[0]);
		tls_seed000_zapper = false;
		__atomic_store_n(&a->put_done, 1, __ATOMIC_RELEASE);
		return;
	}
	if (i == 1) {
		/* The host reclaims pages the dying root still maps. */
		while (!__atomic_load_n(&a->put_done, __ATOMIC_ACQUIRE)) {
			gfn_t g = SEED000_GFNS + host_rand() % 64;

			if (!reclaim_once(s, NULL, g, version++))
				__atomic_add_fetch(&a->errors, 1,
						   __ATOMIC_RELAXED);
			__atomic_add_fetch(&a->reclaims, 1, __ATOMIC_RELEASE);
			rcu_note_quiescent_state();
		}
		return;
	}
	/* Other work: a second vCPU faults on its own (new) root. */
	while (!__atomic_load_n(&a->put_done, __ATOMIC_ACQUIRE)) {
		u64 val = 7;

		if (sim_guest_access(&s->vcpus[1],
				     (host_rand() % SEED000_GFNS) << PAGE_SHIFT,
				     true, &val))
			__atomic_add_fetch(&a->errors, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&a->other_faults, 1, __ATOMIC_RELEASE);
		rcu_note_quiescent_state();
	}
}

static void test_seed000(void)
{
	struct sim_vm *s = sim_vm_create(2, 0);
	struct seed000_arg a = { .s = s };
	u64 pages0 = host_nr_pages_live(), leafs, pt_before;
	unsigned long w0 = warn_count;

	vm_add_memslot(&s->vm, 0, SEED000_GFNS, MEMSLOT_ALIAS, 64);
	vm_add_memslot(&s->vm, SEED000_GFNS, 64, MEMSLOT_PREPOPULATE, 0);
	kvm_mmu_load(&s->vm, &s->vcpus[0].root);
	if (kvm_tdp_mmu_prefault(&s->vm, s->vcpus[0].root, 0,
				 SEED000_GFNS + 64))
		a.errors++;
	read_lock(&s->vm.mmu_lock);
	leafs = tdp_mmu_count_leafs(&s->vm, s->vcpus[0].root);
	read_unlock(&s->vm.mmu_lock);
	pt_before = STAT(s, pt_pages_alive);

	/*
	 * The second vCPU gets a root of its own (another address space):
	 * sharing vCPU 0's would keep the big root alive past the race.
	 */
	read_lock(&s->vm.mmu_lock);
	s->vcpus[1].root = tdp_mmu_get_vcpu_root(&s->vm, 1);
	read_unlock(&s->vm.mmu_lock);
	s->yield_hook = seed000_yield_hook;
	s->yield_hook_arg = &a;
	host_run_cpus(3, seed000_worker, &a);
	s->yield_hook = NULL;
	sim_vcpu_unload(&s->vcpus[1]);
	rcu_barrier();
	tap_ok(a.errors == 0 && leafs == SEED000_GFNS + 64 &&
	       STAT(s, yields) > 0 && STAT(s, pt_pages_alive) == 0 &&
	       a.forced_yields == SEED000_FORCED &&
	       a.reclaims_in_zap > 0 && a.faults_in_zap > 0 &&
	       STAT(s, roots_freed) == STAT(s, roots_allocated) &&
	       warn_count == w0,
	       "seed 000: put last ref of a %llu-SPTE root (%llu table pages) while %llu reclaims and %llu accesses ran (>= %llu/%llu inside the zap window): %llu yields, every table page back, no stale mapping",
	       (unsigned long long)leafs, (unsigned long long)pt_before,
	       (unsigned long long)a.reclaims,
	       (unsigned long long)a.other_faults,
	       (unsigned long long)a.reclaims_in_zap,
	       (unsigned long long)a.faults_in_zap,
	       (unsigned long long)STAT(s, yields));
	tdp_mmu_stats_print(&s->vm, "seed000");
	sim_vm_destroy(s);
	tap_ok(host_nr_pages_live() == pages0,
	       "destroying the VM frees every page it used (%llu live before, %llu after)",
	       (unsigned long long)pages0,
	       (unsigned long long)host_nr_pages_live());
}

/*
 * 7: seed 002. A yield-safe walk over valid roots, whose body yields while
 * all roots are invalidated and a new root appears, stops right there.
 */
static void test_seed002(void)
{
	struct sim_vm *s = sim_vm_create(4, 0);
	struct kvm_mmu_page *root, *fresh = NULL;
	unsigned int visited = 0, i;
	bool saw_fresh = false;

	vm_add_memslot(&s->vm, 0, 64, 0, 0);
	/* Three distinct roots: invalidate between loads. */
	for (i = 0; i < 3; i++) {
		kvm_mmu_load(&s->vm, &s->vcpus[i].root);
		write_lock(&s->vm.mmu_lock);
		tdp_mmu_invalidate_all_roots(&s->vm);
		write_unlock(&s->vm.mmu_lock);
		tdp_mmu_zap_invalidated_roots(&s->vm);
	}
	/* Make them all valid again by giving each vCPU a fresh root... */
	for (i = 0; i < 3; i++)
		sim_vcpu_unload(&s->vcpus[i]);
	/* ...three distinct valid roots with different as_id. */
	read_lock(&s->vm.mmu_lock);
	for (i = 0; i < 3; i++)
		s->vcpus[i].root = tdp_mmu_get_vcpu_root(&s->vm, i);
	for_each_valid_tdp_mmu_root_yield_safe(&s->vm, root, true) {
		visited++;
		if (root == fresh)
			saw_fresh = true;
		if (visited == 1) {
			/* The body yields; meanwhile everything changes. */
			read_unlock(&s->vm.mmu_lock);
			write_lock(&s->vm.mmu_lock);
			tdp_mmu_invalidate_all_roots(&s->vm);
			write_unlock(&s->vm.mmu_lock);
			read_lock(&s->vm.mmu_lock);
			fresh = tdp_mmu_get_vcpu_root(&s->vm, 0);
		}
	}
	read_unlock(&s->vm.mmu_lock);
	tap_ok(visited == 1 && !saw_fresh && fresh,
	       "seed 002: walk over valid roots stops once the held root was invalidated (visited %u of 3)",
	       visited);
	read_lock(&s->vm.mmu_lock);
	tdp_mmu_put_root(&s->vm, fresh, true);
	read_unlock(&s->vm.mmu_lock);
	tdp_mmu_zap_invalidated_roots(&s->vm);
	sim_vm_destroy(s);
}

/* 8: bad input is a clean error and the VM stays healthy. */
static void test_bad_input(void)
{
	struct sim_vm *s = sim_vm_create(1, 39);
	struct sim_vcpu *v = &s->vcpus[0];
	u64 val = 0, pages0 = host_nr_pages_live();
	unsigned long w0 = warn_count;
	bool ok = true;

	ok &= !vm_add_memslot(&s->vm, 0, 256, 0, 0);
	ok &= vm_add_memslot(&s->vm, 100, 10, 0, 0) == -EINVAL;
	ok &= vm_add_memslot(&s->vm, ~0ULL - 5, 10, 0, 0) == -EINVAL;
	ok &= vm_add_memslot(&s->vm, 1000, 0, 0, 0) == -EINVAL;
	ok &= sim_guest_access(v, 256ULL << PAGE_SHIFT, false, &val) ==
	      -EFAULT;
	ok &= sim_guest_access(v, 1ULL << 39, false, &val) == -ERANGE;
	ok &= sim_guest_access(v, ~0ULL & ~7ULL, true, &val) == -ERANGE;
	ok &= kvm_tdp_mmu_zap_gfn_range(&s->vm, 10, 5) == -EINVAL;
	ok &= kvm_tdp_mmu_zap_gfn_range(&s->vm, 0, ~0ULL) == -EINVAL;
	ok &= kvm_tdp_mmu_zap_gfn_range(&s->vm, 0, 100) == 0;
	ok &= kvm_tdp_mmu_zap_gfn_range(&s->vm, 50, 150) == 0;
	ok &= tdp_mmu_reclaim_gfn(&s->vm, 5000, NULL) == -EFAULT;
	val = 42;
	ok &= !sim_guest_access(v, 0x1000, true, &val);
	val = 0;
	ok &= !sim_guest_access(v, 0x1000, false, &val) && val == 42;
	tap_ok(ok && warn_count == w0 && STAT(s, bad_gpa_faults) == 3,
	       "bad input: outside memslots, above phys width, absurd/overlapping zaps: clean errors, VM still works");
	sim_vm_destroy(s);
	tap_ok(host_nr_pages_live() == pages0, "bad input: nothing leaked");
}

int main(void)
{
	stress = getenv("HOST_STRESS") != NULL;
	seed000_gfns = stress ? SEED000_GFNS_STRESS : SEED000_GFNS_TEST;
	tap_plan(12);
	test_spte_iter();
	test_concurrent_faults();
	run_race(false);
	run_race(true);
	test_reclaim(false);
	test_reclaim(true);
	test_seed000();
	test_seed002();
	test_bad_input();
	return tap_done();
}
