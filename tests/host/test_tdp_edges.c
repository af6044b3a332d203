// SPDX-License-Identifier: MIT
/*
 * Hosted tests of the TDP MMU at its edges, one case at a time:
 *  - the highest GFN of the address width (39 and 48 bits) and the GFNs
 *    on every table edge (4K table, 1G and 512G regions): fault, access,
 *    a one-GFN zap that removes exactly that leaf, a range zap up to the
 *    top, the iterator and the bulk map at the top, and what lies beyond;
 *  - frozen SPTEs (an entry another thread owns): a fault backs off and
 *    retries instead of installing over it, a range zap and the bulk map
 *    leave it alone, the cmpxchg helper refuses it, at leaf and table
 *    level;
 *  - a present leaf changed to another frame without a zap is a BUG
 *    report, while a change of access bits alone is not.
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
#include "vmm/mmu/tdp_mmu_internal.h"

static u64 stat(struct vm *vm, enum tdp_mmu_stat i)
{
	return atomic64_read(&vm->stats.v[i]);
}
#define STAT(vm, n) stat(vm, TDP_MMU_STAT_##n)

/* The SPTE at @level on @gfn's path, or NULL if the path ends above it. */
static u64 *sptep_at(struct kvm_mmu_page *root, gfn_t gfn, int level)
{
	struct tdp_iter iter;
	u64 *sptep = NULL;

	rcu_read_lock();
	for_each_tdp_pte(iter, root, gfn, gfn + 1) {
		if (iter.level == level) {
			sptep = iter.sptep;
			break;
		}
	}
	rcu_read_unlock();
	return sptep;
}

static bool mapped(struct vm *vm, struct kvm_mmu_page *root, gfn_t gfn)
{
	u64 *sptep;
	bool ret;

	read_lock(&vm->mmu_lock);
	sptep = sptep_at(root, gfn, PG_LEVEL_4K);
	ret = sptep && is_shadow_present_pte(spte_read(sptep));
	read_unlock(&vm->mmu_lock);
	return ret;
}

static u64 leafs(struct vm *vm, struct kvm_mmu_page *root)
{
	u64 n;

	read_lock(&vm->mmu_lock);
	n = tdp_mmu_count_leafs(vm, root);
	read_unlock(&vm->mmu_lock);
	return n;
}

/* ---- the highest GFN and the table edges ---- */

static void test_top_and_edges(unsigned int phys_bits)
{
	struct sim_vm *s = sim_vm_create(1, phys_bits);
	struct vm *vm = &s->vm;
	struct sim_vcpu *v = &s->vcpus[0];
	gfn_t max = 1ULL << (phys_bits - PAGE_SHIFT);
	gfn_t g1 = 1ULL << 18, g512 = 1ULL << 27;
	/* Each edge GFN with its neighbours, in slots of their own. */
	gfn_t cand[] = { 0, 511, 512, g1 - 1, g1, g512 - 1, g512,
			 max - 513, max - 512, max - 1 }, edges[10];
	u64 pages0 = host_nr_pages_live(), val, n;
	bool ok_access = true, ok_zap1 = true, ok_iter;
	struct tdp_iter iter;
	unsigned int i, nr = 0, seen = 0;
	gfn_t last = 0;

	/* Ascending; at 39 bits the 512G edge is the top itself. */
	for (i = 0; i < ARRAY_SIZE(cand); i++)
		if (cand[i] < max && (!nr || cand[i] > edges[nr - 1]))
			edges[nr++] = cand[i];

	vm_add_memslot(vm, 0, 1024, 0, 0);
	vm_add_memslot(vm, g1 - 8, 16, 0, 0);
	if (g512 < max - 1024)
		vm_add_memslot(vm, g512 - 8, 16, 0, 0);
	vm_add_memslot(vm, max - 1024, 1024, 0, 0);

	for (i = 0; i < nr; i++) {
		gfn_t g = edges[i];

		val = g ^ 0x5a5a;
		if (sim_guest_access(v, g << PAGE_SHIFT, true, &val) ||
		    sim_guest_access(v, ((g + 1) << PAGE_SHIFT) - 8, true,
				     &val))
			ok_access = false;
		val = 0;
		if (sim_guest_access(v, g << PAGE_SHIFT, false, &val) ||
		    val != (g ^ 0x5a5a) || !mapped(vm, v->root, g))
			ok_access = false;
	}
	tap_ok(ok_access,
	       "%u-bit: every table-edge GFN up to the highest (0x%llx) faults in and reads back",
	       phys_bits, (unsigned long long)(max - 1));

	/* Map both neighbours too, then zap each edge GFN alone. */
	for (i = 0; i < nr; i++) {
		gfn_t g = edges[i];

		if (g > 0)
			kvm_tdp_mmu_prefault(vm, v->root, g - 1, 1);
		if (g + 1 < max)
			kvm_tdp_mmu_prefault(vm, v->root, g + 1, 1);
	}
	for (i = 0; i < nr; i++) {
		gfn_t g = edges[i];

		n = leafs(vm, v->root);
		if (kvm_tdp_mmu_zap_gfn_range(vm, g, g + 1) ||
		    mapped(vm, v->root, g) || leafs(vm, v->root) != n - 1 ||
		    (g > 0 && !mapped(vm, v->root, g - 1) &&
		     (i == 0 || edges[i - 1] != g - 1)) ||
		    (g + 1 < max && !mapped(vm, v->root, g + 1) &&
		     (i + 1 == nr || edges[i + 1] != g + 1)))
			ok_zap1 = false;
	}
	tap_ok(ok_zap1,
	       "%u-bit: a one-GFN zap of each edge GFN removes that leaf and nothing else",
	       phys_bits);

	/* The top: iterator, bulk map, range zap up to max, beyond max. */
	ok_iter = kvm_tdp_mmu_map_range(vm, v->root, max - 600, 600) == 600 &&
		  kvm_tdp_mmu_map_range(vm, v->root, max - 600, 601) ==
		  -EINVAL;
	read_lock(&vm->mmu_lock);
	rcu_read_lock();
	for_each_tdp_pte(iter, v->root, max - 2, max) {
		if (iter.level == PG_LEVEL_4K &&
		    is_shadow_present_pte(iter.old_spte)) {
			seen++;
			last = iter.gfn;
		}
	}
	rcu_read_unlock();
	read_unlock(&vm->mmu_lock);
	ok_iter = ok_iter && seen == 2 && last == max - 1;
	tap_ok(ok_iter,
	       "%u-bit: bulk map and iterator reach the highest GFN and stop there",
	       phys_bits);

	n = leafs(vm, v->root);
	tap_ok(kvm_tdp_mmu_zap_gfn_range(vm, max - 1024, max) == 0 &&
	       !mapped(vm, v->root, max - 1) && !mapped(vm, v->root, max - 1024) &&
	       leafs(vm, v->root) == n - 600 &&
	       kvm_tdp_mmu_zap_gfn_range(vm, max - 1, max + 1) == -EINVAL &&
	       kvm_tdp_mmu_zap_gfn_range(vm, max - 1, max - 1) == -EINVAL,
	       "%u-bit: a range zap ending at the top removes the highest GFN; ranges past it are refused",
	       phys_bits);

	val = 1;
	tap_ok(sim_guest_access(v, max << PAGE_SHIFT, false, &val) ==
	       -ERANGE &&
	       kvm_mmu_do_page_fault(vm, v->root, max << PAGE_SHIFT, ACC_READ) ==
	       -ERANGE &&
	       vm_add_memslot(vm, max - 1, 2, 0, 0) == -EINVAL,
	       "%u-bit: the GPA one past the top is refused, not walked",
	       phys_bits);
	sim_vm_destroy(s);
	tap_ok(host_nr_pages_live() == pages0, "%u-bit edges: no page leaked",
	       phys_bits);
}

/* ---- frozen SPTEs ---- */

static void test_frozen(void)
{
	struct vm *vm = calloc(1, sizeof(*vm));
	struct kvm_mmu_page *root;
	u64 pages0 = host_nr_pages_live(), *leaf, *table, saved, saved_t;
	u64 retries0, leafs0;
	struct tdp_iter iter;
	bool ok;
	int r;

	tdp_mmu_vm_init(vm, NULL, 0);
	vm_add_memslot(vm, 0, 1024, 0, 0);
	read_lock(&vm->mmu_lock);
	root = tdp_mmu_get_vcpu_root(vm, 0);
	read_unlock(&vm->mmu_lock);
	kvm_tdp_mmu_prefault(vm, root, 0, 1024);

	/* Another thread owns the leaf of GFN 5 for a moment. */
	read_lock(&vm->mmu_lock);
	leaf = sptep_at(root, 5, PG_LEVEL_4K);
	read_unlock(&vm->mmu_lock);
	saved = __atomic_exchange_n(leaf, FROZEN_SPTE, __ATOMIC_ACQ_REL);
	kvm_tdp_mmu_zap_gfn_range(vm, 5, 6);	/* a zap passes it by */
	retries0 = STAT(vm, fault_retries);
	r = kvm_mmu_do_page_fault(vm, root, 5ULL << PAGE_SHIFT, ACC_WRITE);
	tap_ok(r == RET_PF_RETRY && spte_read(leaf) == FROZEN_SPTE &&
	       STAT(vm, fault_retries) == retries0 + 1,
	       "frozen leaf: a fault backs off and retries, the entry stays frozen");

	ok = kvm_tdp_mmu_zap_gfn_range(vm, 1, 300) == 0 &&
	     spte_read(leaf) == FROZEN_SPTE && !mapped(vm, root, 1) &&
	     !mapped(vm, root, 299) && mapped(vm, root, 300) &&
	     mapped(vm, root, 0);
	tap_ok(ok, "frozen leaf: a range zap over it skips it and zaps the rest");

	ok = kvm_tdp_mmu_map_range(vm, root, 1, 10) == 4;	/* 1..4 */
	tap_ok(ok && spte_read(leaf) == FROZEN_SPTE,
	       "frozen leaf: the bulk map stops at it");

	read_lock(&vm->mmu_lock);
	rcu_read_lock();
	for_each_tdp_pte(iter, root, 5, 6)
		if (iter.level == PG_LEVEL_4K)
			break;
	r = tdp_mmu_set_spte_atomic(vm, &iter, saved, NULL);
	rcu_read_unlock();
	read_unlock(&vm->mmu_lock);
	tap_ok(r == -EBUSY && spte_read(leaf) == FROZEN_SPTE,
	       "frozen leaf: tdp_mmu_set_spte_atomic() refuses it");

	/* The owner writes its final value: everything works again. */
	__atomic_store_n(leaf, 0, __ATOMIC_RELEASE);
	r = kvm_mmu_do_page_fault(vm, root, 5ULL << PAGE_SHIFT, ACC_WRITE);
	tap_ok(r == RET_PF_FIXED && mapped(vm, root, 5),
	       "frozen leaf: once the owner is done the fault installs");

	/* Now a table entry: the 2M entry over GFNs 512..1023. */
	read_lock(&vm->mmu_lock);
	table = sptep_at(root, 600, PG_LEVEL_2M);
	read_unlock(&vm->mmu_lock);
	leafs0 = leafs(vm, root);
	saved_t = __atomic_exchange_n(table, FROZEN_SPTE, __ATOMIC_ACQ_REL);
	r = kvm_mmu_do_page_fault(vm, root, 600ULL << PAGE_SHIFT, ACC_WRITE);
	ok = r == RET_PF_RETRY && spte_read(table) == FROZEN_SPTE &&
	     kvm_tdp_mmu_map_range(vm, root, 600, 10) == 0 &&
	     spte_read(table) == FROZEN_SPTE;
	tap_ok(ok, "frozen table entry: faults and the bulk map neither walk through nor link over it");
	__atomic_store_n(table, saved_t, __ATOMIC_RELEASE);
	tap_ok(leafs(vm, root) == leafs0 && mapped(vm, root, 600) &&
	       STAT(vm, mmu_bugs) == 0,
	       "frozen table entry: restored, its subtree is intact");
	(void)saved;

	read_lock(&vm->mmu_lock);
	tdp_mmu_put_root(vm, root, true);
	read_unlock(&vm->mmu_lock);
	tdp_mmu_vm_destroy(vm);
	free(vm);
	tap_ok(host_nr_pages_live() == pages0, "frozen: no page leaked");
}

/* ---- a leaf that changes frame without a zap ---- */

static void test_leaf_pfn_change(void)
{
	struct vm *vm = calloc(1, sizeof(*vm));
	struct kvm_mmu_page *root;
	u64 pages0 = host_nr_pages_live(), zapped = 0, old, bugs0;
	struct tdp_iter iter;
	kvm_pfn_t other;
	int r1, r2;

	tdp_mmu_vm_init(vm, NULL, 0);
	vm_add_memslot(vm, 0, 16, 0, 0);
	read_lock(&vm->mmu_lock);
	root = tdp_mmu_get_vcpu_root(vm, 0);
	read_unlock(&vm->mmu_lock);
	kvm_tdp_mmu_prefault(vm, root, 3, 2);
	other = memslot_gfn_to_pfn(gfn_to_memslot(vm, 4), 4);

	/* Access bits only: read-only, then a write fault upgrades it. */
	read_lock(&vm->mmu_lock);
	rcu_read_lock();
	for_each_tdp_pte(iter, root, 3, 4)
		if (iter.level == PG_LEVEL_4K)
			break;
	old = iter.old_spte;
	bugs0 = STAT(vm, mmu_bugs);
	r1 = tdp_mmu_set_spte_atomic(vm, &iter,
			make_spte(spte_to_pfn(old), PG_LEVEL_4K, ACC_READ),
			&zapped);
	rcu_read_unlock();
	read_unlock(&vm->mmu_lock);
	r2 = kvm_mmu_do_page_fault(vm, root, 3ULL << PAGE_SHIFT, ACC_WRITE);
	tap_ok(r1 == 0 && r2 == RET_PF_FIXED && zapped == 0 &&
	       STAT(vm, mmu_bugs) == bugs0,
	       "a leaf changing only its access bits is no zap and no bug");

	read_lock(&vm->mmu_lock);
	rcu_read_lock();
	for_each_tdp_pte(iter, root, 3, 4)
		if (iter.level == PG_LEVEL_4K)
			break;
	r1 = tdp_mmu_set_spte_atomic(vm, &iter,
			make_spte(other, PG_LEVEL_4K, ACC_ALL), &zapped);
	rcu_read_unlock();
	read_unlock(&vm->mmu_lock);
	tap_ok(r1 == 0 && zapped == 1 && STAT(vm, mmu_bugs) == bugs0 + 1 &&
	       strstr(host_last_console(), "BUG: TDP MMU: leaf SPTE of gfn 0x3") &&
	       strstr(host_last_console(), "without a zap"),
	       "a leaf changed to another frame without a zap is reported as a BUG, naming the GFN");
	host_expect_reports(1);

	read_lock(&vm->mmu_lock);
	tdp_mmu_put_root(vm, root, true);
	read_unlock(&vm->mmu_lock);
	tdp_mmu_vm_destroy(vm);
	free(vm);
	tap_ok(host_nr_pages_live() == pages0, "leaf frame change: no page leaked");
}

/*
 * What a fault may not do, whatever the SPTEs say: serve a write to a
 * read-only memslot, or install into a root that was invalidated (its
 * zap may be under way, and the root would keep a translation the zap
 * already passed).
 */
static void test_fault_refusals(void)
{
	struct vm *vm = calloc(1, sizeof(*vm));
	struct kvm_mmu_page *root;
	u64 pages0 = host_nr_pages_live();
	int rw, rr, rinv;
	bool ro_leaf, inv_mapped;
	u64 *sptep;

	tdp_mmu_vm_init(vm, NULL, 0);
	vm_add_memslot(vm, 0, 16, 0, 0);
	vm_add_memslot(vm, 32, 16, MEMSLOT_READONLY, 0);
	read_lock(&vm->mmu_lock);
	root = tdp_mmu_get_vcpu_root(vm, 0);
	read_unlock(&vm->mmu_lock);

	rw = kvm_mmu_do_page_fault(vm, root, 33ULL << PAGE_SHIFT, ACC_WRITE);
	rr = kvm_mmu_do_page_fault(vm, root, 34ULL << PAGE_SHIFT, ACC_READ);
	read_lock(&vm->mmu_lock);
	sptep = sptep_at(root, 34, PG_LEVEL_4K);
	ro_leaf = sptep && is_shadow_present_pte(*sptep) &&
		  !is_writable_pte(*sptep);
	read_unlock(&vm->mmu_lock);
	ro_leaf = ro_leaf && !mapped(vm, root, 33);
	tap_ok(rw == -EFAULT && rr == RET_PF_FIXED && ro_leaf,
	       "read-only memslot: a write fault is refused (%d), a read maps the page read-only", rw);

	write_lock(&vm->mmu_lock);
	tdp_mmu_invalidate_all_roots(vm);
	write_unlock(&vm->mmu_lock);
	rinv = kvm_mmu_do_page_fault(vm, root, 5ULL << PAGE_SHIFT, ACC_WRITE);
	inv_mapped = mapped(vm, root, 5);
	tdp_mmu_zap_invalidated_roots(vm);
	tap_ok(rinv == RET_PF_RETRY && !inv_mapped,
	       "a fault on an invalidated root retries and installs nothing (%d)", rinv);

	read_lock(&vm->mmu_lock);
	tdp_mmu_put_root(vm, root, true);
	read_unlock(&vm->mmu_lock);
	tdp_mmu_vm_destroy(vm);
	free(vm);
	tap_ok(host_nr_pages_live() == pages0, "fault refusals: no page leaked");
}

/*
 * A zap of more than 1G unlinks only the 2M-level tables whose whole 1G
 * lies inside the range: one that reaches past the end keeps the leaves
 * beyond it.
 */
static void test_zap_1g_partial(void)
{
	struct vm *vm = calloc(1, sizeof(*vm));
	struct kvm_mmu_page *root;
	u64 pages0 = host_nr_pages_live();
	gfn_t g1 = KVM_PAGES_PER_HPAGE(PG_LEVEL_1G);
	bool inside_gone, beyond_kept, next_kept;

	tdp_mmu_vm_init(vm, NULL, 0);
	vm_add_memslot(vm, 0, 3 * g1, MEMSLOT_ALIAS, 4);
	read_lock(&vm->mmu_lock);
	root = tdp_mmu_get_vcpu_root(vm, 0);
	read_unlock(&vm->mmu_lock);
	kvm_tdp_mmu_prefault(vm, root, 5, 1);
	kvm_tdp_mmu_prefault(vm, root, g1 + 5, 1);
	kvm_tdp_mmu_prefault(vm, root, g1 + 1000, 1);
	kvm_tdp_mmu_prefault(vm, root, 2 * g1 + 5, 1);
	/* [0, 1G + 512): the first 1G whole, the second only in part. */
	kvm_tdp_mmu_zap_gfn_range(vm, 0, g1 + 512);
	inside_gone = !mapped(vm, root, 5) && !mapped(vm, root, g1 + 5);
	beyond_kept = mapped(vm, root, g1 + 1000);
	next_kept = mapped(vm, root, 2 * g1 + 5);
	tap_ok(inside_gone && beyond_kept && next_kept,
	       "a zap of 1G + 512 GFNs keeps the leaves past its end in the 1G it covers in part");

	read_lock(&vm->mmu_lock);
	tdp_mmu_put_root(vm, root, true);
	read_unlock(&vm->mmu_lock);
	tdp_mmu_vm_destroy(vm);
	free(vm);
	tap_ok(host_nr_pages_live() == pages0, "partial 1G zap: no page leaked");
}

int main(void)
{
	tap_plan(2 * 6 + 8 + 3 + 3 + 2);
	test_top_and_edges(39);
	test_top_and_edges(48);
	test_frozen();
	test_leaf_pfn_change();
	test_fault_refusals();
	test_zap_1g_partial();
	return tap_done();
}
