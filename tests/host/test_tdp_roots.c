// SPDX-License-Identifier: MIT
/*
 * Hosted tests of TDP MMU root references against a model of which roots
 * each walk must see:
 *  - seed 000's yield window: while the last reference of a root is put
 *    and its zap yields, a vCPU of the same role gets a fresh root (never
 *    the dying one), a valid-only walk never hands the dying root out, an
 *    all-roots walk may take a reference on it and then the root outlives
 *    the zap until that reference is put (no free under a holder, no
 *    second zap);
 *  - a root in the dying state (invalid, count held by the zap) refuses
 *    tdp_mmu_get_root() and keeps its count;
 *  - a race of valid-only and all-roots walks against threads that create
 *    and put roots in a loop: the valid walk always reaches the valid
 *    root it must visit (it never stops early on a dying root it was
 *    handed) and never sees an invalid root; the all-roots walk reaches
 *    the valid and the invalidated-but-referenced roots.
 */
// host-srcs: vmm/mmu/*.c tests/host/tdp_host_support.c
#include <stdlib.h>
#include <string.h>
#include "tests/host/tap.h"
#include "tests/host/platform_host.h"
#include "tests/host/tdp_host_support.h"
#include "kernel/lockdep.h"
#include "kernel/log.h"
#include "kernel/platform.h"
#include "kernel/rcu.h"

static u64 stat(struct sim_vm *s, enum tdp_mmu_stat i)
{
	return atomic64_read(&s->vm.stats.v[i]);
}
#define STAT(s, n) stat(s, TDP_MMU_STAT_##n)

static bool stress;

static bool root_on_list(struct vm *vm, struct kvm_mmu_page *want)
{
	struct kvm_mmu_page *root;
	bool found = false;

	read_lock(&vm->mmu_lock);
	for_each_tdp_mmu_root(vm, root)
		found |= root == want;
	read_unlock(&vm->mmu_lock);
	return found;
}

static struct kvm_mmu_page *get_root_as(struct vm *vm, int as_id)
{
	struct kvm_mmu_page *root;

	read_lock(&vm->mmu_lock);
	root = tdp_mmu_get_vcpu_root(vm, as_id);
	read_unlock(&vm->mmu_lock);
	return root;
}

static void put_root(struct vm *vm, struct kvm_mmu_page *root)
{
	read_lock(&vm->mmu_lock);
	tdp_mmu_put_root(vm, root, true);
	read_unlock(&vm->mmu_lock);
}

/* ---- seed 000: what others may do inside the zap's yield window ---- */

struct window {
	struct kvm_mmu_page *dying;
	/* Taken inside the window, checked after the put returned. */
	struct kvm_mmu_page *vcpu_root;	/* a vCPU of the dying root's role */
	struct kvm_mmu_page *walker_ref;	/* all-roots walk kept it */
	unsigned int calls;
	bool get_refused, count_kept, valid_walk_clean, valid_walk_saw_new;
	bool all_walk_saw_dying, dying_was_invalid;
};

static void window_hook(struct sim_vm *s)
{
	struct window *w = s->yield_hook_arg;
	struct vm *vm = &s->vm;
	struct kvm_mmu_page *root;
	unsigned int count;

	if (w->calls++)
		return;		/* everything below, once, at the first yield */

	read_lock(&vm->mmu_lock);
	w->dying_was_invalid = root_is_invalid(w->dying);
	count = refcount_read(&w->dying->tdp_mmu_root_count);
	w->get_refused = !tdp_mmu_get_root(vm, w->dying);
	w->count_kept = refcount_read(&w->dying->tdp_mmu_root_count) == count;
	read_unlock(&vm->mmu_lock);

	/* A vCPU entering with the same role must get a root of its own. */
	kvm_mmu_load(vm, &w->vcpu_root);

	read_lock(&vm->mmu_lock);
	w->valid_walk_clean = true;
	for_each_valid_tdp_mmu_root_yield_safe(vm, root, true) {
		if (root == w->dying || root_is_invalid(root))
			w->valid_walk_clean = false;
		w->valid_walk_saw_new |= root == w->vcpu_root;
	}
	/* An all-roots walker (host reclaim) keeps a reference on it. */
	for_each_tdp_mmu_root_yield_safe(vm, root, true) {
		if (root != w->dying)
			continue;
		w->all_walk_saw_dying = true;
		if (refcount_inc_not_zero(&root->tdp_mmu_root_count))
			w->walker_ref = root;
	}
	read_unlock(&vm->mmu_lock);
}

static void test_seed000_window(void)
{
	struct sim_vm *s = sim_vm_create(1, 0);
	struct vm *vm = &s->vm;
	struct window w = { 0 };
	u64 pages0 = host_nr_pages_live(), freed0, inval0, zapped0;
	gfn_t g;
	bool ok;

	/* Leaves in 16 different 2M regions and 2 different 1G regions. */
	vm_add_memslot(vm, 0, 1ULL << 19, MEMSLOT_ALIAS, 8);
	w.dying = get_root_as(vm, 0);
	for (g = 0; g < (1ULL << 19); g += (1ULL << 19) / 16)
		kvm_tdp_mmu_prefault(vm, w.dying, g, 4);

	s->yield_hook = window_hook;
	s->yield_hook_arg = &w;
	host_set_resched_rate(1);	/* yield at every chance */
	freed0 = STAT(s, roots_freed);
	inval0 = STAT(s, roots_invalidated);
	put_root(vm, w.dying);		/* the last reference: seed 000 */
	host_set_resched_rate(64);
	s->yield_hook = NULL;

	tap_ok(w.calls > 0 && w.dying_was_invalid,
	       "seed 000: the dying root is invalid inside its zap's yield window (%u yields)",
	       w.calls);
	tap_ok(w.get_refused && w.count_kept,
	       "seed 000: tdp_mmu_get_root() refuses the dying root and leaves its count alone");
	tap_ok(w.vcpu_root && w.vcpu_root != w.dying &&
	       !root_is_invalid(w.vcpu_root),
	       "seed 000: a vCPU of the same role loads a fresh root, never the dying one");
	tap_ok(w.valid_walk_clean && w.valid_walk_saw_new,
	       "seed 000: the valid-only walk skips the dying root and visits the fresh one");
	tap_ok(w.all_walk_saw_dying && w.walker_ref == w.dying,
	       "seed 000: an all-roots walk takes a reference on the dying root");

	/* The zap is over; the walker's reference keeps the root. */
	ok = STAT(s, roots_freed) == freed0 && root_on_list(vm, w.dying) &&
	     refcount_read(&w.dying->tdp_mmu_root_count) == 1;
	zapped0 = STAT(s, zapped_sptes);
	read_lock(&vm->mmu_lock);
	ok = ok && tdp_mmu_count_leafs(vm, w.dying) == 0;
	read_unlock(&vm->mmu_lock);
	tap_ok(ok, "seed 000: a root referenced inside the window outlives the zap, zapped and still listed");
	put_root(vm, w.walker_ref);
	rcu_barrier();
	tap_ok(STAT(s, roots_freed) == freed0 + 1 && !root_on_list(vm, w.dying) &&
	       STAT(s, roots_invalidated) == inval0 + 1 &&
	       STAT(s, zapped_sptes) == zapped0,
	       "seed 000: the holder's put frees it without a second invalidation or zap");

	kvm_mmu_unload(vm, &w.vcpu_root);
	sim_vm_destroy(s);
	tap_ok(host_nr_pages_live() == pages0, "seed 000 window: no page leaked");
}

/* ---- the walks against a model, racing root creation and death ---- */

struct walk_race {
	struct sim_vm *s;
	struct kvm_mmu_page *valid_pin;	/* valid all along: both walks */
	struct kvm_mmu_page *invalid_pin; /* invalid, referenced: all-walk */
	u64 rounds, deaths, walks;
	int stop;
	u64 valid_missed, valid_saw_invalid, all_missed;
	u64 roots_churned;
};

static void walk_race_cpu(void *p, unsigned int i)
{
	struct walk_race *a = p;
	struct vm *vm = &a->s->vm;
	struct kvm_mmu_page *root;

	if (i > 0) {
		/* Create a root of another role and put it: seed 000 each time. */
		while (!__atomic_load_n(&a->stop, __ATOMIC_ACQUIRE)) {
			root = get_root_as(vm, 1 + i);
			if (root) {
				put_root(vm, root);
				__atomic_add_fetch(&a->roots_churned, 1,
						   __ATOMIC_RELAXED);
			}
			rcu_note_quiescent_state();
		}
		return;
	}
	/* Until enough roots died under the walks, and at least @rounds. */
	for (a->walks = 0; a->walks < a->rounds ||
	     __atomic_load_n(&a->roots_churned, __ATOMIC_RELAXED) < a->deaths;
	     a->walks++) {
		bool saw_valid = false, saw_invalid = false;

		read_lock(&vm->mmu_lock);
		for_each_valid_tdp_mmu_root_yield_safe(vm, root, true) {
			if (root_is_invalid(root))
				a->valid_saw_invalid++;
			saw_valid |= root == a->valid_pin;
		}
		a->valid_missed += !saw_valid;
		saw_valid = false;
		for_each_tdp_mmu_root_yield_safe(vm, root, true) {
			saw_valid |= root == a->valid_pin;
			saw_invalid |= root == a->invalid_pin;
		}
		a->all_missed += !saw_valid || !saw_invalid;
		read_unlock(&vm->mmu_lock);
		rcu_note_quiescent_state();
	}
	__atomic_store_n(&a->stop, 1, __ATOMIC_RELEASE);
}

static void test_walk_race(void)
{
	struct sim_vm *s = sim_vm_create(1, 0);
	struct vm *vm = &s->vm;
	struct walk_race a = { .s = s, .rounds = 20000,
				  .deaths = stress ? 200000 : 20000 };
	u64 pages0 = host_nr_pages_live();

	vm_add_memslot(vm, 0, 64, 0, 0);
	/* The oldest root: invalidated, still referenced by a "vCPU". */
	a.invalid_pin = get_root_as(vm, 0);
	write_lock(&vm->mmu_lock);
	tdp_mmu_invalidate_all_roots(vm);
	write_unlock(&vm->mmu_lock);
	/* Then a valid one; churned roots go in front of both. */
	a.valid_pin = get_root_as(vm, 1);

	host_run_cpus(3, walk_race_cpu, &a);
	tap_ok(a.valid_missed == 0 && a.valid_saw_invalid == 0,
	       "valid-only walk vs %llu dying roots: reached the valid root in each of %llu walks (missed %llu) and was handed no invalid root (%llu)",
	       (unsigned long long)a.roots_churned,
	       (unsigned long long)a.walks,
	       (unsigned long long)a.valid_missed,
	       (unsigned long long)a.valid_saw_invalid);
	tap_ok(a.all_missed == 0,
	       "all-roots walk reached the valid and the invalidated roots in every walk (missed %llu)",
	       (unsigned long long)a.all_missed);

	put_root(vm, a.valid_pin);
	put_root(vm, a.invalid_pin);
	tdp_mmu_zap_invalidated_roots(vm);
	rcu_barrier();
	tap_ok(STAT(s, roots_freed) == STAT(s, roots_allocated) &&
	       list_empty(&vm->tdp_mmu_roots),
	       "every root allocated in the race was freed (%llu)",
	       (unsigned long long)STAT(s, roots_freed));
	sim_vm_destroy(s);
	tap_ok(host_nr_pages_live() == pages0, "walk race: no page leaked");
}

/* ---- invalidate-all while a vCPU stays in guest mode on the old root ---- */

#define GM_REGIONS	8
#define GM_PER_REGION	64
#define GM_GPAS		(GM_REGIONS * GM_PER_REGION)
#define GM_RUN		(GM_GPAS * 64)

struct guest_mode {
	struct sim_vm *s;
	gpa_t *gpas;
	u64 *vals;
	int zapped, errors;
	u64 runs_after;
};

static void guest_mode_cpu(void *p, unsigned int i)
{
	struct guest_mode *a = p;
	struct sim_vcpu *v = &a->s->vcpus[0];

	if (i == 0) {
		/*
		 * The vCPU: long runs in guest mode over 8 regions x 64 GFNs,
		 * more than its TLB holds, so most accesses walk through the
		 * paging-structure cache. It stops two runs after the zap.
		 */
		while (a->runs_after < 2) {
			if (__atomic_load_n(&a->zapped, __ATOMIC_ACQUIRE))
				a->runs_after++;
			if (sim_guest_run(v, a->gpas, GM_RUN, false, a->vals))
				__atomic_add_fetch(&a->errors, 1,
						   __ATOMIC_RELAXED);
		}
		return;
	}
	/* Once the vCPU's caches are warm, invalidate and zap everything. */
	while (__atomic_load_n(&v->psc_hits, __ATOMIC_RELAXED) < GM_GPAS)
		rcu_note_quiescent_state();
	kvm_mmu_zap_all_fast(&a->s->vm);	/* no worker: zaps here */
	rcu_barrier();				/* the freed tables are poison */
	__atomic_store_n(&a->zapped, 1, __ATOMIC_RELEASE);
}

static void test_invalidate_guest_mode(void)
{
	struct sim_vm *s = sim_vm_create(1, 0);
	struct guest_mode a = { .s = s };
	u64 pages0 = host_nr_pages_live(), stale;
	unsigned int i, j;

	a.gpas = calloc(GM_RUN, sizeof(*a.gpas));
	a.vals = calloc(GM_RUN, sizeof(*a.vals));
	vm_add_memslot(&s->vm, 0, GM_REGIONS * SPTE_ENT_PER_PAGE, 0, 0);
	for (i = 0; i < GM_RUN; i++) {
		j = i % GM_GPAS;
		a.gpas[i] = ((gfn_t)(j % GM_REGIONS) * SPTE_ENT_PER_PAGE +
			     (j / GM_REGIONS) * 7) << PAGE_SHIFT;
	}
	host_run_cpus(2, guest_mode_cpu, &a);
	stale = sim_stale_table_reads(s);
	tap_ok(a.errors == 0 && stale == 0 && s->vcpus[0].kicked_exits > 0 &&
	       STAT(s, roots_freed) >= 1,
	       "invalidate-all while a vCPU runs in guest mode on the old root: it is kicked out (%llu kicks) before any table is freed (%llu walks read a freed table)",
	       (unsigned long long)s->vcpus[0].kicked_exits,
	       (unsigned long long)stale);
	if (stale)
		host_expect_reports(1);	/* sim_vm_destroy's report of it */
	sim_vm_destroy(s);
	free(a.gpas);
	free(a.vals);
	tap_ok(host_nr_pages_live() == pages0, "invalidate in guest mode: no page leaked");
}

/*
 * vCPUs that find no root at the same moment must end up sharing one: the
 * allocator looks again under tdp_mmu_pages_lock before it adds its root.
 * Each round invalidates every root and lets the vCPUs reload at once.
 */
#define SHARE_CPUS	4

struct share_race {
	struct vm *vm;
	struct kvm_mmu_page *roots[SHARE_CPUS];
	int round, loaded, checked, errors;
};

static void wait_for(int *p, int v)
{
	while (__atomic_load_n(p, __ATOMIC_ACQUIRE) < v)
		cpu_relax();
}

static void share_cpu(void *p, unsigned int i)
{
	struct share_race *a = p;
	int r, rounds = stress ? 20000 : 2000;

	for (r = 1; r <= rounds; r++) {
		/* CPU 0 invalidates; everyone then reloads together. */
		if (i == 0) {
			kvm_mmu_zap_all_fast(a->vm);
			__atomic_store_n(&a->round, r, __ATOMIC_RELEASE);
		}
		wait_for(&a->round, r);
		if (kvm_mmu_load(a->vm, &a->roots[i]))
			__atomic_add_fetch(&a->errors, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&a->loaded, 1, __ATOMIC_ACQ_REL);
		wait_for(&a->loaded, r * SHARE_CPUS);
		if (i == 0) {
			for (unsigned int j = 1; j < SHARE_CPUS; j++)
				if (a->roots[j] != a->roots[0])
					a->errors++;
			__atomic_store_n(&a->checked, r, __ATOMIC_RELEASE);
		}
		/* Nobody moves to the next round before CPU 0 compared. */
		wait_for(&a->checked, r);
		rcu_note_quiescent_state();
	}
	kvm_mmu_unload(a->vm, &a->roots[i]);
}

static void test_root_sharing(void)
{
	struct sim_vm *s = sim_vm_create(1, 0);
	struct share_race a = { .vm = &s->vm };
	u64 pages0 = host_nr_pages_live();

	host_run_cpus(SHARE_CPUS, share_cpu, &a);
	tap_ok(a.errors == 0,
	       "%d vCPUs reloading at once after each invalidation share one new root (%d mismatches, %llu roots allocated)",
	       SHARE_CPUS, a.errors,
	       (unsigned long long)STAT(s, roots_allocated));
	sim_vm_destroy(s);
	tap_ok(host_nr_pages_live() == pages0, "root sharing: no page leaked");
}

int main(void)
{
	stress = getenv("HOST_STRESS") != NULL;
	tap_plan(16);
	test_seed000_window();
	test_walk_race();
	test_invalidate_guest_mode();
	test_root_sharing();
	return tap_done();
}
