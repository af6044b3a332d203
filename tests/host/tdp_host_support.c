// SPDX-License-Identifier: MIT
#include <stdlib.h>
#include <string.h>
#include "tests/host/tdp_host_support.h"
#include "vmm/mmu/shadow_ept.h"
#include "kernel/platform.h"
#include "kernel/lockdep.h"
#include "kernel/log.h"
#include "kernel/rcu.h"
#include "tests/host/platform_host.h"


/* The vCPU's own INVEPT (a root switch): caller holds tlb_lock. */
static void sim_local_flush_locked(struct sim_vcpu *v)
{
	memset(v->tlb_valid, 0, sizeof(v->tlb_valid));
	memset(v->psc_valid, 0, sizeof(v->psc_valid));
	memset(v->l2_tlb_valid, 0, sizeof(v->l2_tlb_valid));
	memset(v->l2_psc_valid, 0, sizeof(v->l2_psc_valid));
}

static void sim_local_flush(struct sim_vcpu *v)
{
	pthread_mutex_lock(&v->tlb_lock);
	sim_local_flush_locked(v);
	pthread_mutex_unlock(&v->tlb_lock);
}

/*
 * The IPI of a remote flush: it waits for the access in flight (tlb_lock)
 * like the IPI waits for the VM exit, empties the caches, and makes the
 * vCPU leave guest mode before its next access, so it rechecks its root.
 */
static void sim_flush_vcpu(struct sim_vcpu *v)
{
	pthread_mutex_lock(&v->tlb_lock);
	sim_local_flush_locked(v);
	v->exit_request = true;
	pthread_mutex_unlock(&v->tlb_lock);
}

/* INVEPT on every CPU: waits for in-flight accesses, like the IPI would. */
static void sim_flush_remote_tlbs(struct vm *vm)
{
	struct sim_vm *s = container_of(vm, struct sim_vm, vm);
	unsigned int i;

	/*
	 * The MMU flushes what it zapped before it drops mmu_lock: once the
	 * lock is free, another thread (host reclaim) may rely on the old
	 * translations being gone. A flush issued later is a BUG report
	 * here, whether or not a race happened to exploit it.
	 */
	lockdep_assert_held(&vm->mmu_lock);
	if (s->break_flush)
		return;
	for (i = 0; i < s->nr_vcpus; i++)
		sim_flush_vcpu(&s->vcpus[i]);
}

static void sim_sched_point(struct vm *vm)
{
	struct sim_vm *s = container_of(vm, struct sim_vm, vm);

	if (s->yield_hook)
		s->yield_hook(s);
}

const struct vm_mmu_ops sim_mmu_ops = {
	.flush_remote_tlbs = sim_flush_remote_tlbs,
	.sched_point = sim_sched_point,
};

struct sim_vm *sim_vm_create(unsigned int nr_vcpus, unsigned int phys_bits)
{
	struct sim_vm *s = calloc(1, sizeof(*s));
	unsigned int i;

	if (tdp_mmu_vm_init(&s->vm, &sim_mmu_ops, phys_bits)) {
		free(s);
		return NULL;
	}
	s->nr_vcpus = nr_vcpus;
	for (i = 0; i < nr_vcpus; i++) {
		s->vcpus[i].vm = &s->vm;
		pthread_mutex_init(&s->vcpus[i].tlb_lock, NULL);
	}
	return s;
}

void sim_vcpu_unload(struct sim_vcpu *v)
{
	kvm_mmu_unload(v->vm, &v->root);
	sim_local_flush(v);
}

void sim_vm_destroy(struct sim_vm *s)
{
	unsigned int i;
	u64 stale = sim_stale_table_reads(s);

	/* Counted as a BUG report: fails the program unless announced. */
	if (stale)
		pr_err("BUG: sim: %llu EPT walks read a freed page-table page\n",
		       (unsigned long long)stale);

	for (i = 0; i < s->nr_vcpus; i++)
		sim_vcpu_unload(&s->vcpus[i]);
	tdp_mmu_vm_destroy(&s->vm);
	free(s);
}

/*
 * The CPU reading a paging-structure entry. No lock and no RCU: the
 * page must still be a table because the MMU flushed (and so kicked this
 * vCPU) before freeing it. Freed pages hold the host's poison.
 */
static u64 hw_read(struct sim_vcpu *v, u64 *sptep)
{
	u64 spte = spte_read(sptep);

	if (spte == SIM_POISON64) {
		v->stale_table_reads++;
		return 0;
	}
	return spte;
}

/* What the CPU's page walker does, through its paging-structure cache. */
static u64 hw_walk(struct sim_vcpu *v, gfn_t gfn)
{
	struct kvm_mmu_page *root = v->root;
	gfn_t region = gfn >> SPTE_LEVEL_BITS;
	unsigned int p = region % SIM_PSC_ENTRIES;
	u64 *pt = root->spt;
	int level;

	if (v->psc_valid[p] && v->psc_root[p] == root &&
	    v->psc_region[p] == region) {
		u64 spte = hw_read(v, &v->psc_table[p][SPTE_INDEX(gfn, 1)]);

		__atomic_add_fetch(&v->psc_hits, 1, __ATOMIC_RELAXED);
		return is_shadow_present_pte(spte) ? spte : 0;
	}
	for (level = sp_role(root).level; level >= PG_LEVEL_4K; level--) {
		u64 spte = hw_read(v, &pt[SPTE_INDEX(gfn, level)]);

		if (!is_shadow_present_pte(spte))
			return 0;
		if (is_last_spte(spte, level))	/* as a 4K leaf for @gfn */
			return make_spte(spte_gfn_to_pfn(spte, level, gfn),
					 PG_LEVEL_4K, spte_access(spte));
		pt = spte_to_child_pt(spte, level);
		if (level - 1 == PG_LEVEL_4K) {
			v->psc_valid[p] = true;
			v->psc_root[p] = root;
			v->psc_region[p] = region;
			v->psc_table[p] = pt;
		}
	}
	return 0;
}

/* One access in guest mode (tlb_lock held): false on an EPT violation. */
static bool hw_access(struct sim_vcpu *v, gpa_t gpa, bool write, u64 *val)
{
	u64 need = write ? ACC_WRITE : ACC_READ;
	gfn_t gfn = gpa >> PAGE_SHIFT;
	unsigned int e = gfn % SIM_TLB_ENTRIES;
	u64 pfn = 0, *p;

	if (v->tlb_valid[e] && v->tlb_gfn[e] == gfn &&
	    (v->tlb_access[e] & need) == need) {
		pfn = v->tlb_pfn[e];
		v->tlb_hits++;
	} else if (gfn < tdp_mmu_max_gfn(v->vm)) {
		u64 spte = hw_walk(v, gfn);

		if (spte && (spte_access(spte) & need) == need) {
			pfn = spte_to_pfn(spte);
			v->tlb_valid[e] = true;
			v->tlb_gfn[e] = gfn;
			v->tlb_pfn[e] = pfn;
			v->tlb_access[e] = spte_access(spte);
		}
	}
	if (!pfn) {
		/* An EPT violation drops what was cached for the GPA. */
		v->tlb_valid[e] = false;
		v->psc_valid[(gfn >> SPTE_LEVEL_BITS) % SIM_PSC_ENTRIES] = false;
		return false;
	}
	p = (u64 *)plat_phys_to_virt(pfn << PAGE_SHIFT) +
	    (gpa & (PAGE_SIZE - 1)) / 8;
	if (write)
		__atomic_store_n(p, *val, __ATOMIC_RELAXED);
	else
		*val = __atomic_load_n(p, __ATOMIC_RELAXED);
	return true;
}

int sim_guest_run(struct sim_vcpu *v, const gpa_t *gpas, unsigned int n,
		  bool write, u64 *vals)
{
	unsigned int i = 0;

	while (i < n) {
		struct kvm_mmu_page *old = v->root;
		bool violation = false;
		int ret;

		/* VM entry: a guest CPU is an RCU quiescent state. */
		rcu_note_quiescent_state();
		ret = kvm_mmu_load(v->vm, &v->root);
		if (ret)
			return ret;
		if (v->root != old)
			sim_local_flush(v);	/* new EPTP: local flush */

		/*
		 * Guest mode: an extended quiescent state, left for an EPT
		 * violation or a kick. A kick that came after the root was
		 * loaded above is still pending here and exits at once, as
		 * an IPI arriving with interrupts off before VM entry does.
		 */
		host_cpu_idle_enter();
		for (; i < n; i++) {
			pthread_mutex_lock(&v->tlb_lock);
			if (v->exit_request) {
				v->exit_request = false;
				v->kicked_exits++;
				pthread_mutex_unlock(&v->tlb_lock);
				break;
			}
			violation = !hw_access(v, gpas[i], write, &vals[i]);
			pthread_mutex_unlock(&v->tlb_lock);
			if (violation)
				break;
		}
		host_cpu_idle_exit();

		if (violation) {
			ret = kvm_mmu_do_page_fault(v->vm, v->root, gpas[i],
						    write ? ACC_WRITE : ACC_READ);
			if (ret < 0)
				return ret;
			/* Not memory, and the simulated machine has no devices. */
			if (ret == RET_PF_EMULATE)
				return -EFAULT;
			/* In swap: the caller pages it in (or waits) and retries. */
			if (ret == RET_PF_NOT_RESIDENT)
				return -EAGAIN;
			/* A shadowed L1 EPT table: as the exit handler does. */
			if (ret == RET_PF_WRITE_PROTECTED)
				kvm_mmu_unprotect_gfn(v->vm,
						      gpas[i] >> PAGE_SHIFT);
		}
	}
	return 0;
}

int sim_guest_access(struct sim_vcpu *v, gpa_t gpa, bool write, u64 *val)
{
	return sim_guest_run(v, &gpa, 1, write, val);
}

/*
 * The checker's own walk (mmu_lock held for write): no cache, no poison.
 * The entry at @to_level for @gfn, or NULL; a huge leaf above it ends
 * the walk early, in *@leaf_level (if asked for).
 */
static u64 *__sw_walk(struct kvm_mmu_page *root, gfn_t gfn, int to_level,
		      int *leaf_level)
{
	u64 *pt = root->spt;
	int level;

	for (level = sp_role(root).level; level > to_level; level--) {
		u64 *sptep = &pt[SPTE_INDEX(gfn, level)];
		u64 spte = spte_read(sptep);

		if (is_shadow_present_pte(spte) && is_last_spte(spte, level) &&
		    leaf_level) {
			*leaf_level = level;
			return sptep;
		}
		if (!is_shadow_present_pte(spte) || is_last_spte(spte, level))
			return NULL;
		pt = spte_to_child_pt(spte, level);
	}
	if (leaf_level)
		*leaf_level = to_level;
	return &pt[SPTE_INDEX(gfn, to_level)];
}

static u64 *sw_walk(struct kvm_mmu_page *root, gfn_t gfn, int to_level)
{
	return __sw_walk(root, gfn, to_level, NULL);
}

u64 sim_tlb_stale_entries(struct sim_vm *s)
{
	u64 stale = 0;
	unsigned int i, e;

	lockdep_assert_held_write(&s->vm.mmu_lock);
	for (i = 0; i < s->nr_vcpus; i++) {
		struct sim_vcpu *v = &s->vcpus[i];

		pthread_mutex_lock(&v->tlb_lock);
		for (e = 0; v->root && e < SIM_TLB_ENTRIES; e++) {
			u64 *sptep, spte;
			int level;

			if (!v->tlb_valid[e])
				continue;
			sptep = __sw_walk(v->root, v->tlb_gfn[e], PG_LEVEL_4K,
					  &level);
			spte = sptep ? spte_read(sptep) : 0;
			if (!is_shadow_present_pte(spte) ||
			    spte_gfn_to_pfn(spte, level, v->tlb_gfn[e]) !=
			    v->tlb_pfn[e] ||
			    (spte_access(spte) & v->tlb_access[e]) !=
			    v->tlb_access[e])
				stale++;
		}
		/* A cached table must still be the one the root links. */
		for (e = 0; v->root && e < SIM_PSC_ENTRIES; e++) {
			gfn_t gfn = v->psc_region[e] << SPTE_LEVEL_BITS;

			if (v->psc_valid[e] && (v->psc_root[e] != v->root ||
			    sw_walk(v->root, gfn, PG_LEVEL_4K) !=
			    &v->psc_table[e][0]))
				stale++;
		}
		pthread_mutex_unlock(&v->tlb_lock);
	}
	return stale;
}

u64 sim_stale_table_reads(struct sim_vm *s)
{
	u64 n = 0;
	unsigned int i;

	for (i = 0; i < s->nr_vcpus; i++)
		n += __atomic_load_n(&s->vcpus[i].stale_table_reads,
				     __ATOMIC_RELAXED);
	return n;
}
