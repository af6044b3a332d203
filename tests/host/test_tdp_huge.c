// SPDX-License-Identifier: MIT
/*
 * Hosted tests of huge pages in the TDP MMU: the levels faults choose
 * (slot edges, host blocks, the CPU limit, disallowed GFNs), eager and
 * lazy splitting, the seed 001 merge in place (a frozen child, a child
 * with a foreign frame, a dropped flush, races with faults, zaps,
 * reclaim and other merges), and dirty logging against writers that
 * never stop.
 */
// host-srcs: vmm/mmu/*.c tests/host/tdp_host_support.c
#include <stdlib.h>
#include <string.h>
#include "tests/host/tap.h"
#include "tests/host/platform_host.h"
#include "tests/host/tdp_host_support.h"
#include "kernel/log.h"
#include "kernel/platform.h"
#include "kernel/lockdep.h"
#include "kernel/rcu.h"

#define P2M	KVM_PAGES_PER_HPAGE(PG_LEVEL_2M)
#define P1G	KVM_PAGES_PER_HPAGE(PG_LEVEL_1G)

static bool stress;

static u64 stat(struct sim_vm *s, enum tdp_mmu_stat i)
{
	return atomic64_read(&s->vm.stats.v[i]);
}
#define STAT(s, n) stat(s, TDP_MMU_STAT_##n)

/* Present leaves per level in every root, by walking (mmu_lock held). */
static void walk_leafs(struct sim_vm *s, u64 out[4])
{
	struct kvm_mmu_page *root;
	struct tdp_iter iter;

	memset(out, 0, 4 * sizeof(u64));
	rcu_read_lock();
	for_each_tdp_mmu_root(&s->vm, root)
		for_each_tdp_pte(iter, root, 0, tdp_mmu_max_gfn(&s->vm))
			if (is_shadow_present_pte(iter.old_spte) &&
			    is_last_spte(iter.old_spte, iter.level))
				out[iter.level]++;
	rcu_read_unlock();
}

/* pages_4k/2m/1g agree with a walk, and no TLB holds a stale entry. */
static bool consistent(struct sim_vm *s, u64 want4k, u64 want2m, u64 want1g)
{
	u64 n[4], stale;
	bool ok;

	write_lock(&s->vm.mmu_lock);
	walk_leafs(s, n);
	stale = sim_tlb_stale_entries(s);
	write_unlock(&s->vm.mmu_lock);
	ok = n[1] == STAT(s, pages_4k) && n[2] == STAT(s, pages_2m) &&
	     n[3] == STAT(s, pages_1g) && !stale &&
	     !sim_stale_table_reads(s) && !STAT(s, mmu_bugs);
	if (want4k != ~0ULL)
		ok &= n[1] == want4k;
	if (want2m != ~0ULL)
		ok &= n[2] == want2m;
	if (want1g != ~0ULL)
		ok &= n[3] == want1g;
	if (!ok)
		tap_diag("leafs 4k/2m/1g walked %llu/%llu/%llu, stats %llu/%llu/%llu, want %lld/%lld/%lld, stale %llu",
			 (unsigned long long)n[1], (unsigned long long)n[2],
			 (unsigned long long)n[3],
			 (unsigned long long)STAT(s, pages_4k),
			 (unsigned long long)STAT(s, pages_2m),
			 (unsigned long long)STAT(s, pages_1g),
			 (long long)want4k, (long long)want2m,
			 (long long)want1g, (unsigned long long)stale);
	return ok;
}
#define ANY	(~0ULL)

static u64 pattern(gfn_t gfn, u64 version)
{
	return gfn * 0x9e3779b97f4a7c15ULL ^ (version << 1) ^ 1;
}

static int wr(struct sim_vcpu *v, gfn_t gfn, u64 val)
{
	return sim_guest_access(v, gfn << PAGE_SHIFT, true, &val);
}

static u64 rd(struct sim_vcpu *v, gfn_t gfn)
{
	u64 val = ~0ULL;

	if (sim_guest_access(v, gfn << PAGE_SHIFT, false, &val))
		return ~0ULL - 1;
	return val;
}

/* The leaf mapping @gfn in the vCPU's root and its level (mmu_lock held). */
static u64 leaf_of(struct sim_vcpu *v, gfn_t gfn, int *level)
{
	struct tdp_iter iter;
	u64 spte = 0;

	*level = 0;
	rcu_read_lock();
	for_each_tdp_pte(iter, v->root, gfn, gfn + 1)
		if (is_shadow_present_pte(iter.old_spte) &&
		    is_last_spte(iter.old_spte, iter.level)) {
			spte = iter.old_spte;
			*level = iter.level;
		}
	rcu_read_unlock();
	return spte;
}

static int level_of(struct sim_vcpu *v, gfn_t gfn)
{
	int level;

	read_lock(&v->vm->mmu_lock);
	leaf_of(v, gfn, &level);
	read_unlock(&v->vm->mmu_lock);
	return level;
}

/* 1-4: which level a fault maps, by backing, edges and the CPU. */
static void test_levels(void)
{
	struct sim_vm *s = sim_vm_create(1, 0);
	struct sim_vcpu *v = &s->vcpus[0];
	u64 pages0 = host_nr_pages_live();
	bool ok = true;
	int l1, l2, l3, l4, l5, l6;

	/* 4K slot, 2M slot with ragged edges, 1G slot. */
	vm_add_memslot(&s->vm, 0, 4 * P2M, 0, 0);
	vm_add_memslot(&s->vm, 8 * P2M + 3, 4 * P2M, MEMSLOT_HUGE_2M, 0);
	vm_add_memslot(&s->vm, 2 * P1G, P1G, MEMSLOT_HUGE_1G, 0);
	wr(v, 5, 1);
	wr(v, 8 * P2M + 10, 2);		/* head range sticks out: 4K */
	wr(v, 9 * P2M + 7, 3);		/* whole range inside: 2M */
	wr(v, 12 * P2M + 1, 4);		/* tail range sticks out: 4K */
	wr(v, 2 * P1G + 12345, 5);
	l1 = level_of(v, 5);
	l2 = level_of(v, 8 * P2M + 10);
	l3 = level_of(v, 9 * P2M + 7);
	l4 = level_of(v, 12 * P2M + 1);
	l5 = level_of(v, 2 * P1G + 12345);
	ok = l1 == 1 && l2 == 1 && l3 == 2 && l4 == 1 && l5 == 3;
	tap_ok(ok && consistent(s, 3, 1, 1),
	       "fault levels: 4K slot 4K, 2M-backed slot 2M inside and 4K where its ranges stick out, 1G-backed slot 1G (got %d %d %d %d %d)",
	       l1, l2, l3, l4, l5);

	/* Data through huge mappings lands at block base + offset. */
	ok = rd(v, 9 * P2M + 7) == 3 && rd(v, 2 * P1G + 12345) == 5 &&
	     rd(v, 9 * P2M + 8) == 0;
	{
		struct memslot *slot = gfn_to_memslot(&s->vm, 9 * P2M);
		int hl;
		kvm_pfn_t pfn = __memslot_gfn_to_pfn(slot, 9 * P2M + 7, false,
						     &hl);

		ok &= hl == PG_LEVEL_2M && pfn &&
		      *(u64 *)plat_phys_to_virt(pfn << PAGE_SHIFT) == 3;
	}
	tap_ok(ok, "huge mappings: data lands in the host block at base + offset, neighbours read 0");
	sim_vm_destroy(s);

	/* The CPU takes 2M leaves at most: a 1G block is mapped 2M. */
	s = sim_vm_create(1, 0);
	v = &s->vcpus[0];
	s->vm.max_huge_level = PG_LEVEL_2M;
	vm_add_memslot(&s->vm, P1G, P1G, MEMSLOT_HUGE_1G, 0);
	wr(v, P1G + 3 * P2M + 1, 9);
	l6 = level_of(v, P1G + 3 * P2M + 1);
	tap_ok(l6 == 2 && rd(v, P1G + 3 * P2M + 1) == 9 && consistent(s, 0, 1, 0),
	       "a CPU without 1G EPT pages gets 2M leaves over a 1G block (level %d)",
	       l6);
	sim_vm_destroy(s);
	rcu_barrier();
	tap_ok(host_nr_pages_live() == pages0,
	       "levels: every page back, 1G and 2M blocks included (%llu live, %llu before)",
	       (unsigned long long)host_nr_pages_live(),
	       (unsigned long long)pages0);
}

/* 5-8: eager split 1G to 4K, lazy split on reclaim, disallow/allow. */
static void test_split(void)
{
	struct sim_vm *s = sim_vm_create(2, 0);
	struct sim_vcpu *v = &s->vcpus[0];
	gfn_t base = P1G, g;
	bool ok = true;
	int i, lvl;

	vm_add_memslot(&s->vm, base, P1G, MEMSLOT_HUGE_1G, 0);
	for (i = 0; i < 64; i++)
		wr(v, base + (u64)i * 4099, pattern(i, 0));
	ok = consistent(s, 0, 0, 1) && STAT(s, huge_splits) == 0;
	ok &= kvm_tdp_mmu_split_huge_pages(&s->vm, base, base + P1G,
					   PG_LEVEL_4K) == 0;
	ok &= consistent(s, P1G, 0, 0) && STAT(s, huge_splits) == 1 + 512;
	for (i = 0; i < 64; i++)
		ok &= rd(&s->vcpus[1], base + (u64)i * 4099) == pattern(i, 0);
	/* Each child is exactly the SPTE a 4K fault would have made. */
	read_lock(&s->vm.mmu_lock);
	for (i = 0; i < 4096; i++) {
		gfn_t cg = base + (u64)i * 61;
		int hl;
		kvm_pfn_t pfn = __memslot_gfn_to_pfn(&s->vm.memslots[0], cg,
						     false, &hl);
		u64 spte = leaf_of(v, cg, &lvl);

		ok &= lvl == PG_LEVEL_4K &&
		      spte == make_spte(pfn, PG_LEVEL_4K, ACC_ALL);
	}
	read_unlock(&s->vm.mmu_lock);
	ok &= STAT(s, faults) == 1;	/* all mapped: vCPU 1 never faults */
	tap_ok(ok, "eager split: one 1G leaf becomes 262144 4K leaves (513 splits) mapping the same frames, data kept");

	/* Reclaim one 4K page inside a 2M mapping: only it goes. */
	sim_vm_destroy(s);
	s = sim_vm_create(1, 0);
	v = &s->vcpus[0];
	vm_add_memslot(&s->vm, 0, 4 * P2M, MEMSLOT_HUGE_2M, 0);
	for (g = P2M; g < 2 * P2M; g += 37)
		wr(v, g, pattern(g, 1));
	ok = consistent(s, 0, 1, 0);
	ok &= tdp_mmu_reclaim_gfn(&s->vm, P2M + 37, NULL) == 0;
	ok &= consistent(s, P2M - 1, 0, 0) && STAT(s, huge_splits) == 1;
	for (g = P2M; g < 2 * P2M; g += 37)
		ok &= rd(v, g) == (g == P2M + 37 ? 0 : pattern(g, 1));
	/* The block is broken: faults and recovery keep it 4K now. */
	ok &= kvm_tdp_mmu_recover_huge_pages(&s->vm, &s->vm.memslots[0]) == 0;
	ok &= level_of(v, P2M + 1) == 1 && consistent(s, P2M, 0, 0);
	tap_ok(ok, "reclaim inside a 2M mapping splits it: 511 neighbours stay mapped with their data, the page reads 0, the range stays 4K");

	/* Disallow one GFN: split; allow again: the next fault merges. */
	wr(v, 3 * P2M + 5, 7);
	ok = level_of(v, 3 * P2M + 5) == 2;
	ok &= kvm_tdp_mmu_disallow_huge(&s->vm, 3 * P2M + 9, true) == 0;
	ok &= level_of(v, 3 * P2M + 5) == 1;
	wr(v, 3 * P2M + 100, 8);
	ok &= level_of(v, 3 * P2M + 100) == 1;
	ok &= kvm_tdp_mmu_disallow_huge(&s->vm, 3 * P2M + 9, false) == 0;
	/* A GFN of the range unmapped: its next fault merges the range. */
	kvm_tdp_mmu_zap_gfn_range(&s->vm, 3 * P2M + 200, 3 * P2M + 201);
	rd(v, 3 * P2M + 200);
	lvl = level_of(v, 3 * P2M + 5);
	ok &= lvl == 2 && STAT(s, huge_merges) == 1 &&
	      rd(v, 3 * P2M + 5) == 7 && rd(v, 3 * P2M + 100) == 8;
	tap_ok(ok && consistent(s, ANY, 1, 0),
	       "disallowing a GFN splits its 2M mapping and faults map 4K; allowed again, a fault merges in place (level %d) with the data kept",
	       lvl);
	sim_vm_destroy(s);

	/* Eager split to 2M: a 1G leaf becomes 512 2M leaves, no deeper. */
	s = sim_vm_create(1, 0);
	v = &s->vcpus[0];
	vm_add_memslot(&s->vm, P1G, P1G, MEMSLOT_HUGE_1G, 0);
	wr(v, P1G + 5 * P2M + 3, 11);
	ok = kvm_tdp_mmu_split_huge_pages(&s->vm, P1G, 2 * P1G,
					  PG_LEVEL_2M) == 0;
	ok &= consistent(s, 0, 512, 0) && STAT(s, huge_splits) == 1 &&
	      rd(v, P1G + 5 * P2M + 3) == 11 &&
	      level_of(v, P1G + 5 * P2M + 3) == 2;
	/* and the recovery pass merges the 512 back into one 1G leaf */
	ok &= kvm_tdp_mmu_recover_huge_pages(&s->vm, &s->vm.memslots[0]) == 1;
	tap_ok(ok && consistent(s, 0, 0, 1) && rd(v, P1G + 5 * P2M + 3) == 11,
	       "eager split to 2M stops at 512 2M leaves; recovery merges them back into one 1G leaf");
	sim_vm_destroy(s);
}

/* The child table of the 2M range at @gfn (mmu_lock held), or NULL. */
static u64 *child_table(struct sim_vcpu *v, gfn_t gfn)
{
	struct tdp_iter iter;
	u64 *pt = NULL;

	rcu_read_lock();
	for_each_tdp_pte_min_level(iter, v->root, PG_LEVEL_2M, gfn, gfn + 1)
		if (iter.level == PG_LEVEL_2M)
			pt = spte_to_child_pt(iter.old_spte, iter.level);
	rcu_read_unlock();
	return pt;
}

/* A 2M range mapped 4K in a few places, ready to merge. */
static struct sim_vm *merge_setup(void)
{
	struct sim_vm *s = sim_vm_create(2, 0);
	struct sim_vcpu *v = &s->vcpus[0];
	gfn_t g;

	vm_add_memslot(&s->vm, 0, 2 * P2M, MEMSLOT_HUGE_2M, 0);
	kvm_tdp_mmu_disallow_huge(&s->vm, P2M, true);
	for (g = P2M; g < 2 * P2M; g += 64)
		wr(v, g, pattern(g, 2));
	kvm_tdp_mmu_disallow_huge(&s->vm, P2M, false);
	return s;
}

/* 9-12: the seed's failure cases: frozen child, foreign frame, flush. */
static void test_merge_cases(void)
{
	struct sim_vm *s = merge_setup();
	struct sim_vcpu *v = &s->vcpus[0];
	u64 *pt, saved, foreign_pfn;
	bool ok;
	void *foreign;

	/* A frozen child: give up, populate the rest, progress anyway. */
	write_lock(&s->vm.mmu_lock);
	pt = child_table(v, P2M);
	saved = pt[300];
	pt[300] = FROZEN_SPTE;
	write_unlock(&s->vm.mmu_lock);
	ok = rd(v, P2M + 5) == 0 && level_of(v, P2M + 5) == 1 &&
	     STAT(s, merge_retries) >= 1 && STAT(s, huge_merges) == 0;
	write_lock(&s->vm.mmu_lock);
	ok &= child_table(v, P2M) == pt && pt[5] && pt[511];
	pt[300] = saved;
	write_unlock(&s->vm.mmu_lock);
	ok &= consistent(s, P2M - 1, 0, 0);
	tap_ok(ok, "merge meets a frozen child: gives up, the table stays with every other child populated, the faulting GFN is mapped 4K");

	/* The child unfrozen: a recovery pass merges. */
	ok = kvm_tdp_mmu_recover_huge_pages(&s->vm, &s->vm.memslots[0]) == 1;
	ok &= level_of(v, P2M + 64) == 2 && rd(v, P2M + 64) == pattern(P2M + 64, 2);
	tap_ok(ok && consistent(s, 0, 1, 0), "then a recovery pass merges the range: one 2M leaf, data kept");
	sim_vm_destroy(s);

	/* A child mapping a frame other than base + i: never merged. */
	s = merge_setup();
	v = &s->vcpus[0];
	foreign = plat_alloc_page();
	foreign_pfn = plat_virt_to_phys(foreign) >> PAGE_SHIFT;
	write_lock(&s->vm.mmu_lock);
	pt = child_table(v, P2M);
	saved = pt[7];
	pt[7] = make_spte(foreign_pfn, PG_LEVEL_4K, ACC_ALL);
	write_unlock(&s->vm.mmu_lock);
	ok = kvm_tdp_mmu_recover_huge_pages(&s->vm, &s->vm.memslots[0]) == 0;
	ok &= STAT(s, merge_retries) == 1 && level_of(v, P2M + 8) == 1;
	write_lock(&s->vm.mmu_lock);
	ok &= child_table(v, P2M) == pt && spte_to_pfn(pt[7]) == foreign_pfn;
	pt[7] = saved;
	write_unlock(&s->vm.mmu_lock);
	tap_ok(ok, "merge meets a child mapping a foreign frame: gives up and leaves it (KVM's relocate TODO), the rest populated");
	sim_vm_destroy(s);
	plat_free_page(foreign);

	/* The merge's flush dropped: a vCPU keeps the old leaf table. */
	s = merge_setup();
	v = &s->vcpus[0];
	rd(v, P2M + 64);	/* caches the leaf table (PSC) */
	s->break_flush = true;
	host_expect_reports(0);
	kvm_tdp_mmu_recover_huge_pages(&s->vm, &s->vm.memslots[0]);
	write_lock(&s->vm.mmu_lock);
	ok = sim_tlb_stale_entries(s) > 0;
	write_unlock(&s->vm.mmu_lock);
	s->break_flush = false;
	tap_ok(ok && STAT(s, huge_merges) == 1,
	       "without the merge's flush the simulated TLB holds a stale 4K translation through the freed table (the check the mutant trips)");
	write_lock(&s->vm.mmu_lock);
	kvm_flush_remote_tlbs(&s->vm);
	write_unlock(&s->vm.mmu_lock);
	sim_vm_destroy(s);
}

/* ---- races ---- */

struct race {
	struct sim_vm *s;
	volatile bool stop;
	gfn_t base;
	u64 rounds, iters[2];
	u64 progress;		/* accesses done by the vCPUs, atomic */
	int err;
	bool ok;
	void (*control)(struct race *r);
};

/* vCPU i writes its own GFNs of the range and reads them back. */
static void race_vcpu(struct race *r, unsigned int i)
{
	struct sim_vcpu *v = &r->s->vcpus[i];
	u64 n = 0, val;

	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		gfn_t g = r->base + ((n * 7 + i) % 128) * 4 + i;

		val = pattern(g, i);
		if (wr(v, g, val) || rd(v, g) != val) {
			__atomic_add_fetch(&r->err, 1, __ATOMIC_RELAXED);
			break;
		}
		n++;
		__atomic_add_fetch(&r->progress, 1, __ATOMIC_RELAXED);
	}
	r->iters[i] = n;
	sim_vcpu_unload(v);
}

static void race_cpu(void *arg, unsigned int i)
{
	struct race *r = arg;

	if (i < 2) {
		race_vcpu(r, i);
		return;
	}
	r->control(r);
	__atomic_store_n(&r->stop, true, __ATOMIC_RELEASE);
}

static void merge_race_control(struct race *r)
{
	struct sim_vm *s = r->s;
	u64 i;

	for (i = 0; i < r->rounds; i++) {
		gfn_t g = P2M + (i * 13) % P2M;
		u64 seen = __atomic_load_n(&r->progress, __ATOMIC_RELAXED);
		unsigned int spins = 0;

		/* Each round overlaps vCPU accesses, however threads start. */
		while (__atomic_load_n(&r->progress, __ATOMIC_RELAXED) ==
		       seen && !r->err && ++spins < 10000000)
			cpu_relax();

		switch (i % 4) {
		case 0:	/* split by disallowing, allow again */
			kvm_tdp_mmu_disallow_huge(&s->vm, g, true);
			kvm_tdp_mmu_disallow_huge(&s->vm, g, false);
			break;
		case 1:	/* merge racing the vCPUs' faults (and their merges) */
			kvm_tdp_mmu_recover_huge_pages(&s->vm,
						       &s->vm.memslots[0]);
			break;
		case 2:	/* a range zap inside the 2M range */
			kvm_tdp_mmu_zap_gfn_range(&s->vm, g, g + 17);
			break;
		case 3:	/* eager split of the whole slot */
			kvm_tdp_mmu_split_huge_pages(&s->vm, 0, 4 * P2M,
						     PG_LEVEL_4K);
			break;
		}
	}
}

/* 13: merges racing faults, zaps, disallow/allow, other merges. */
static void test_merge_races(void)
{
	struct sim_vm *s = sim_vm_create(3, 0);
	struct race r = { .s = s, .base = P2M, .rounds = stress ? 20000 : 600,
			  .control = merge_race_control };
	u64 merges;
	bool ok;

	vm_add_memslot(&s->vm, 0, 4 * P2M, MEMSLOT_HUGE_2M, 0);
	host_run_cpus(3, race_cpu, &r);
	merges = STAT(s, huge_merges);
	ok = !r.err && r.iters[0] && r.iters[1] && consistent(s, ANY, ANY, ANY);
	tap_ok(ok && merges > 0,
	       "merges race faults, range zaps, splits and other merges on one 2M range: data always read back, stats agree with a walk, no stale TLB (%llu merges, %llu retries, %llu splits)",
	       (unsigned long long)merges,
	       (unsigned long long)STAT(s, merge_retries),
	       (unsigned long long)STAT(s, huge_splits));
	sim_vm_destroy(s);
}

static void reclaim_race_control(struct race *r)
{
	struct sim_vm *s = r->s;
	struct sim_vcpu *v = &s->vcpus[2];
	bool ok = true;
	u64 i;

	/* Each round: a fresh 2M range, touched, then reclaim vs merges. */
	for (i = 0; i < r->rounds; i++) {
		gfn_t g = (1 + i % 60) * P2M;
		void *page = plat_alloc_page();
		u64 want = pattern(g, 99 + i);

		wr(v, g + 3, 5);
		kvm_tdp_mmu_disallow_huge(&s->vm, g, true);
		kvm_tdp_mmu_disallow_huge(&s->vm, g, false);
		((u64 *)page)[0] = want;
		tdp_mmu_reclaim_gfn(&s->vm, g + 40, page);
		kvm_tdp_mmu_recover_huge_pages(&s->vm, &s->vm.memslots[0]);
		ok &= rd(v, g + 40) == want && level_of(v, g + 40) == 1;
	}
	sim_vcpu_unload(v);
	r->ok = ok;
}

/* 14: a merge racing the reclaim of a page inside its range. */
static void test_merge_vs_reclaim(void)
{
	struct sim_vm *s = sim_vm_create(3, 0);
	struct race r = { .s = s, .base = 0, .rounds = stress ? 5000 : 300,
			  .control = reclaim_race_control };
	bool ok;

	vm_add_memslot(&s->vm, 0, 64 * P2M, MEMSLOT_HUGE_2M, 0);
	host_run_cpus(3, race_cpu, &r);
	ok = r.ok && !r.err && consistent(s, ANY, ANY, ANY);
	tap_ok(ok, "reclaim of one page inside a 2M range racing merges and faults: the replacement is what the guest reads, the range is never merged over it");
	sim_vm_destroy(s);
}

/*
 * 15: a walker inside the old table while a merge retires it. It entered
 * under RCU before the freeze; after the merge it must read FROZEN_SPTE
 * entries (it backs off), never a freed page.
 */
struct inside {
	struct sim_vm *s;
	int step;		/* 0 -> 1: walker inside; 1 -> 2: merged */
	u64 seen[3];
	long merged;
};

static void inside_cpu(void *arg, unsigned int i)
{
	struct inside *in = arg;
	struct vm *vm = &in->s->vm;

	if (i == 0) {
		u64 *pt;

		read_lock(&vm->mmu_lock);
		pt = child_table(&in->s->vcpus[0], P2M);
		rcu_read_lock();
		read_unlock(&vm->mmu_lock);
		in->seen[0] = spte_read(&pt[64]);
		__atomic_store_n(&in->step, 1, __ATOMIC_RELEASE);
		while (__atomic_load_n(&in->step, __ATOMIC_ACQUIRE) != 2)
			cpu_relax();
		in->seen[1] = spte_read(&pt[64]);
		in->seen[2] = spte_read(&pt[511]);
		rcu_read_unlock();
		return;
	}
	while (__atomic_load_n(&in->step, __ATOMIC_ACQUIRE) != 1)
		cpu_relax();
	in->merged = kvm_tdp_mmu_recover_huge_pages(vm, &vm->memslots[0]);
	__atomic_store_n(&in->step, 2, __ATOMIC_RELEASE);
}

static void test_merge_walker_inside(void)
{
	struct sim_vm *s = merge_setup();
	struct inside in = { .s = s };

	host_run_cpus(2, inside_cpu, &in);
	tap_ok(in.merged == 1 && is_shadow_present_pte(in.seen[0]) &&
	       in.seen[1] == FROZEN_SPTE && in.seen[2] == FROZEN_SPTE &&
	       consistent(s, 0, 1, 0),
	       "a walker inside the old table during a merge then reads FROZEN entries, not freed memory (RCU keeps the table)");
	sim_vm_destroy(s);
}

/* 16: two merges of the same range at once, over and over. */
struct twin {
	struct sim_vm *s;
	u64 rounds;
	int round, done;
	long merged[2];
};

static void twin_cpu(void *arg, unsigned int i)
{
	struct twin *t = arg;
	struct vm *vm = &t->s->vm;
	int r;

	if (i == 0) {
		for (r = 1; r <= (int)t->rounds; r++) {
			kvm_tdp_mmu_disallow_huge(vm, P2M, true);
			kvm_tdp_mmu_disallow_huge(vm, P2M, false);
			t->done = 0;
			__atomic_store_n(&t->round, r, __ATOMIC_RELEASE);
			while (__atomic_load_n(&t->done, __ATOMIC_ACQUIRE) < 2)
				cpu_relax();
		}
		__atomic_store_n(&t->round, -1, __ATOMIC_RELEASE);
		return;
	}
	for (r = 1;; r++) {
		while (__atomic_load_n(&t->round, __ATOMIC_ACQUIRE) != r &&
		       __atomic_load_n(&t->round, __ATOMIC_ACQUIRE) != -1)
			cpu_relax();
		if (__atomic_load_n(&t->round, __ATOMIC_ACQUIRE) == -1)
			return;
		t->merged[i - 1] += kvm_tdp_mmu_recover_huge_pages(vm,
							&vm->memslots[0]);
		__atomic_add_fetch(&t->done, 1, __ATOMIC_ACQ_REL);
	}
}

static void test_merge_twins(void)
{
	struct sim_vm *s = merge_setup();
	struct twin t = { .s = s, .rounds = stress ? 20000 : 500 };
	u64 total;

	host_run_cpus(3, twin_cpu, &t);
	total = t.merged[0] + t.merged[1];
	tap_ok(total == t.rounds && STAT(s, huge_merges) == t.rounds &&
	       consistent(s, 0, 1, 0),
	       "two recovery passes merging the same range at once: exactly one merge per round (%llu + %llu of %llu)",
	       (unsigned long long)t.merged[0],
	       (unsigned long long)t.merged[1], (unsigned long long)t.rounds);
	sim_vm_destroy(s);
}

/* ---- dirty logging ---- */

#define DL_PAGES	(2 * P2M)

struct dl_run {
	struct sim_vm *s;
	volatile bool stop;
	bool manual, ok;
	u64 seq[2], rounds, limit;
	int err, done;
};

static u64 *guest_page(struct sim_vm *s, gfn_t g);

/* Writer i: ever-increasing values into pseudo-random pages, its own word. */
static void dl_writer(struct dl_run *d, unsigned int i)
{
	struct sim_vcpu *v = &d->s->vcpus[i];
	u64 x = 88172645463325252ULL + i, gpas[16], vals[16];
	unsigned int k;

	while (!__atomic_load_n(&d->stop, __ATOMIC_ACQUIRE)) {
		for (k = 0; k < 16; k++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			gpas[k] = ((x % DL_PAGES) << PAGE_SHIFT) + i * 8;
			vals[k] = ++d->seq[i];
		}
		if (sim_guest_run(v, gpas, 16, true, vals)) {
			__atomic_add_fetch(&d->err, 1, __ATOMIC_RELAXED);
			break;
		}
	}
	sim_vcpu_unload(v);
	__atomic_add_fetch(&d->done, 1, __ATOMIC_RELEASE);
}

static void dl_harvester(struct dl_run *d);

static void dl_cpu(void *arg, unsigned int i)
{
	struct dl_run *d = arg;

	if (i < 2)
		dl_writer(d, i);
	else
		dl_harvester(d);
}

static u64 *guest_page(struct sim_vm *s, gfn_t g)
{
	return plat_phys_to_virt(memslot_gfn_to_pfn(&s->vm.memslots[0], g)
				 << PAGE_SHIFT);
}

/* A page copy racing the guest's writes, as a migration thread's is. */
static void copy_page16(u64 dst[2], struct sim_vm *s, gfn_t g)
{
	u64 *src = guest_page(s, g);

	dst[0] = __atomic_load_n(&src[0], __ATOMIC_RELAXED);
	dst[1] = __atomic_load_n(&src[1], __ATOMIC_RELAXED);
}

/*
 * The live-migration check: copy every page once logging is on, then
 * copy what each harvest reports while two writers never stop; after the
 * writers stop, a last harvest and copy must leave the copy equal to the
 * guest's memory. A write lost by the log leaves a stale word.
 */
static void dl_harvester(struct dl_run *d)
{
	struct sim_vm *s = d->s;
	u64 words = (DL_PAGES + 63) / 64, *bm = calloc(words, 8);
	u64 (*copy)[2] = calloc(DL_PAGES, sizeof(*copy));
	u64 g, mismatches = 0;
	bool ok = true;

	ok &= kvm_vm_set_dirty_logging(&s->vm, 0, true) == 0;
	for (g = 0; g < DL_PAGES; g++)
		copy_page16(copy[g], s, g);
	for (;;) {
		bool last = d->rounds == d->limit;

		if (last) {
			/* Stop the writers and wait until they are out. */
			__atomic_store_n(&d->stop, true, __ATOMIC_RELEASE);
			while (__atomic_load_n(&d->done, __ATOMIC_ACQUIRE) < 2)
				cpu_relax();
		}
		if (d->manual) {
			ok &= kvm_vm_get_dirty_log(&s->vm, 0, bm) == 0;
			ok &= kvm_vm_clear_dirty_log(&s->vm, 0, 0, DL_PAGES,
						     bm) == 0;
		} else {
			ok &= kvm_vm_harvest_dirty_log(&s->vm, 0, bm) >= 0;
		}
		for (g = 0; g < DL_PAGES; g++)
			if (bm[g / 64] & (1ULL << (g % 64)))
				copy_page16(copy[g], s, g);
		if (last)
			break;
		d->rounds++;
	}
	for (g = 0; g < DL_PAGES; g++)
	{
		u64 now[2];

		copy_page16(now, s, g);
		mismatches += now[0] != copy[g][0] || now[1] != copy[g][1];
	}
	if (mismatches)
		tap_diag("%llu pages differ from the copy",
			 (unsigned long long)mismatches);
	ok &= !mismatches;
	ok &= kvm_vm_set_dirty_logging(&s->vm, 0, false) == 0;
	d->ok = ok;
	free(bm);
	free(copy);
}

static bool migrate(struct sim_vm *s, bool manual, u64 *rounds_out,
		    u64 *harvested)
{
	struct dl_run d = { .s = s, .manual = manual,
			    .limit = stress ? 2000 : 40 };

	host_run_cpus(3, dl_cpu, &d);
	*rounds_out = d.rounds;
	*harvested = STAT(s, dirty_pages_harvested);
	return d.ok && !d.err && d.seq[0] && d.seq[1];
}

/* 15-18 */
static void test_dirty_log(void)
{
	struct sim_vm *s = sim_vm_create(2, 0);
	struct sim_vcpu *v = &s->vcpus[0];
	u64 bm[DL_PAGES / 64], rounds, harvested;
	bool ok;
	int lvl;

	/* Exact bits, read faults read-only, clear re-protects exactly. */
	vm_add_memslot(&s->vm, 0, DL_PAGES, MEMSLOT_HUGE_2M, 0);
	wr(v, 3, 1);
	rd(v, P2M + 1);
	ok = consistent(s, 0, 2, 0);
	ok &= kvm_vm_set_dirty_logging(&s->vm, 0, true) == 0;
	ok &= consistent(s, 2 * P2M, 0, 0);	/* eager split */
	wr(v, 10, 1);
	wr(v, 700, 1);
	rd(v, 11);
	memset(bm, 0, sizeof(bm));
	ok &= kvm_vm_get_dirty_log(&s->vm, 0, bm) == 0;
	ok &= bm[0] == (1ULL << 10) && bm[700 / 64] == (1ULL << (700 % 64));
	{
		u64 clear[DL_PAGES / 64] = { 1ULL << 10 }, spte;

		ok &= kvm_vm_clear_dirty_log(&s->vm, 0, 0, 64, clear) == 0;
		read_lock(&s->vm.mmu_lock);
		spte = leaf_of(v, 10, &lvl);
		ok &= !is_writable_pte(spte);
		spte = leaf_of(v, 700, &lvl);
		ok &= is_writable_pte(spte);
		spte = leaf_of(v, 11, &lvl);
		ok &= !is_writable_pte(spte);
		read_unlock(&s->vm.mmu_lock);
		memset(bm, 0, sizeof(bm));
		kvm_vm_get_dirty_log(&s->vm, 0, bm);
		ok &= bm[0] == 0 && bm[700 / 64];
		wr(v, 10, 2);
		kvm_vm_get_dirty_log(&s->vm, 0, bm);
		ok &= bm[0] == (1ULL << 10);
		/* A read fault on an unmapped page maps it read-only. */
		kvm_tdp_mmu_zap_gfn_range(&s->vm, 12, 13);
		rd(v, 12);
		read_lock(&s->vm.mmu_lock);
		spte = leaf_of(v, 12, &lvl);
		read_unlock(&s->vm.mmu_lock);
		ok &= is_shadow_present_pte(spte) && !is_writable_pte(spte);
		kvm_vm_get_dirty_log(&s->vm, 0, bm);
		ok &= bm[0] == (1ULL << 10);
	}
	tap_ok(ok, "dirty log: enabling splits 2M to 4K and write-protects; writes set exactly their bits, reads do not; clear re-protects exactly the cleared pages");

	ok = kvm_vm_set_dirty_logging(&s->vm, 0, false) == 0;
	lvl = level_of(v, 5);
	ok &= lvl == 2 && rd(v, 3) == 1 && rd(v, 10) == 2 &&
	      consistent(s, 0, 2, 0) && STAT(s, huge_merges) == 2;
	tap_ok(ok, "dirty log off: huge pages are recovered by merging in place (2 merges, data kept)");
	sim_vm_destroy(s);

	s = sim_vm_create(2, 0);
	vm_add_memslot(&s->vm, 0, DL_PAGES, MEMSLOT_HUGE_2M, 0);
	ok = migrate(s, false, &rounds, &harvested);
	tap_ok(ok && consistent(s, ANY, ANY, ANY),
	       "dirty log against 2 writers that never stop (get-and-clear): after the last harvest the copy equals guest memory (%llu rounds, %llu pages harvested)",
	       (unsigned long long)rounds, (unsigned long long)harvested);
	sim_vm_destroy(s);

	s = sim_vm_create(2, 0);
	vm_add_memslot(&s->vm, 0, DL_PAGES, 0, 0);
	ok = migrate(s, true, &rounds, &harvested);
	tap_ok(ok && consistent(s, ANY, ANY, ANY),
	       "dirty log with manual protect (get, then clear): no write lost either (%llu rounds, %llu pages harvested)",
	       (unsigned long long)rounds, (unsigned long long)harvested);
	sim_vm_destroy(s);
}

/*
 * 23: two vCPUs touch a fresh 2M range at the same moment, range after
 * range: one block wins, the loser's goes back, both see each other's
 * data, and no page is left over.
 */
struct first_touch {
	struct sim_vm *s;
	int round, arrived[2];
	u64 rounds;
	int err;
};

static void first_touch_cpu(void *arg, unsigned int i)
{
	struct first_touch *t = arg;
	struct sim_vcpu *v = &t->s->vcpus[i];
	u64 r;

	for (r = 0; r < t->rounds; r++) {
		gfn_t g = (r % 60) * P2M + (r / 60) * 4 + i;

		/* A two-thread barrier per round, so the touches overlap. */
		__atomic_add_fetch(&t->arrived[i], 1, __ATOMIC_ACQ_REL);
		while (__atomic_load_n(&t->arrived[!i], __ATOMIC_ACQUIRE) <
		       (int)r + 1)
			cpu_relax();
		if (wr(v, g, pattern(g, 7)))
			__atomic_add_fetch(&t->err, 1, __ATOMIC_RELAXED);
	}
	/* Both done writing before either reads the other's GFNs. */
	__atomic_add_fetch(&t->arrived[i], 1, __ATOMIC_ACQ_REL);
	while (__atomic_load_n(&t->arrived[!i], __ATOMIC_ACQUIRE) <
	       (int)t->rounds + 1)
		cpu_relax();
	for (r = 0; r < t->rounds; r++) {
		gfn_t g = (r % 60) * P2M + (r / 60) * 4 + !i;

		if (rd(v, g) != pattern(g, 7))
			__atomic_add_fetch(&t->err, 1, __ATOMIC_RELAXED);
	}
	sim_vcpu_unload(v);
}

static void test_first_touch_race(void)
{
	u64 pages0 = host_nr_pages_live();
	struct first_touch t = { .rounds = stress ? 600 : 240 };
	struct sim_vm *s = sim_vm_create(2, 0);
	u64 owned;
	bool ok;

	t.s = s;
	vm_add_memslot(&s->vm, 0, 64 * P2M, MEMSLOT_HUGE_2M, 0);
	host_run_cpus(2, first_touch_cpu, &t);
	owned = vm_memslot_pages(&s->vm);
	ok = !t.err && owned == 60 * P2M && consistent(s, ANY, ANY, ANY);
	if (t.err)
		tap_diag("%d accesses failed or read wrong data", t.err);
	sim_vm_destroy(s);
	rcu_barrier();
	tap_ok(ok && host_nr_pages_live() == pages0,
	       "two vCPUs first-touching each fresh 2M range at once agree on one block (%llu pages owned), see each other's data, leave no page over",
	       (unsigned long long)owned);
}

/*
 * 22: a fault that decided its level and access before logging started
 * (or before a GFN was disallowed) must find mmu_invalidate_seq changed
 * when it takes mmu_lock, so it retries instead of installing a writable
 * huge leaf after the eager split.
 */
static void test_seq_rechecks(void)
{
	struct sim_vm *s = sim_vm_create(1, 0);
	struct kvm_page_fault f1, f2;
	bool ok;

	vm_add_memslot(&s->vm, 0, 2 * P2M, MEMSLOT_HUGE_2M, 0);
	kvm_page_fault_init(&f1, 5 << PAGE_SHIFT, ACC_WRITE);
	ok = kvm_mmu_faultin_pfn(&s->vm, &f1) == 0 &&
	     f1.goal_level == PG_LEVEL_2M && !f1.dirty_log;
	ok &= kvm_vm_set_dirty_logging(&s->vm, 0, true) == 0;
	ok &= READ_ONCE(s->vm.mmu_invalidate_seq) != f1.mmu_seq;
	kvm_vm_set_dirty_logging(&s->vm, 0, false);
	kvm_page_fault_init(&f2, (P2M + 5) << PAGE_SHIFT, ACC_WRITE);
	ok &= kvm_mmu_faultin_pfn(&s->vm, &f2) == 0 &&
	      f2.goal_level == PG_LEVEL_2M;
	ok &= kvm_tdp_mmu_disallow_huge(&s->vm, P2M + 9, true) == 0;
	ok &= READ_ONCE(s->vm.mmu_invalidate_seq) != f2.mmu_seq;
	tap_ok(ok, "a fault that chose 2M before dirty logging started or a GFN was disallowed sees mmu_invalidate_seq moved and retries");
	sim_vm_destroy(s);
}

int main(void)
{
	u64 pages0;

	stress = getenv("HOST_STRESS") != NULL;
	tap_plan(23);
	pages0 = host_nr_pages_live();
	test_levels();
	test_split();
	test_merge_cases();
	test_merge_races();
	test_merge_vs_reclaim();
	test_merge_walker_inside();
	test_merge_twins();
	test_dirty_log();
	test_seq_rechecks();
	test_first_touch_race();
	rcu_barrier();
	tap_ok(host_nr_pages_live() == pages0,
	       "huge page tests: every page back (%llu live, %llu before)",
	       (unsigned long long)host_nr_pages_live(),
	       (unsigned long long)pages0);
	return tap_done();
}
