// SPDX-License-Identifier: MIT
#include <stdlib.h>
#include <string.h>
#include "tests/host/tdp_host_support.h"
#include "kernel/platform.h"
#include "kernel/rcu.h"

static void sim_flush_vcpu(struct sim_vcpu *v)
{
	pthread_mutex_lock(&v->tlb_lock);
	memset(v->tlb_valid, 0, sizeof(v->tlb_valid));
	pthread_mutex_unlock(&v->tlb_lock);
}

/* INVEPT on every CPU: waits for in-flight accesses, like the IPI would. */
static void sim_flush_remote_tlbs(struct vm *vm)
{
	struct sim_vm *s = container_of(vm, struct sim_vm, vm);
	unsigned int i;

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
	sim_flush_vcpu(v);
}

void sim_vm_destroy(struct sim_vm *s)
{
	unsigned int i;

	for (i = 0; i < s->nr_vcpus; i++)
		sim_vcpu_unload(&s->vcpus[i]);
	tdp_mmu_vm_destroy(&s->vm);
	free(s);
}

/* What the CPU's page walker does: no lock, tables kept alive by RCU. */
static u64 hw_walk(struct kvm_mmu_page *root, gfn_t gfn)
{
	u64 *pt = root->spt;
	int level;

	for (level = sp_role(root).level; level >= PG_LEVEL_4K; level--) {
		u64 spte = spte_read(&pt[SPTE_INDEX(gfn, level)]);

		if (!is_shadow_present_pte(spte))
			return 0;
		if (is_last_spte(spte, level))
			return spte;
		pt = spte_to_child_pt(spte, level);
	}
	return 0;
}

int sim_guest_access(struct sim_vcpu *v, gpa_t gpa, bool write, u64 *val)
{
	u64 need = write ? ACC_WRITE : ACC_READ;
	gfn_t gfn = gpa >> PAGE_SHIFT;
	unsigned int e = gfn % SIM_TLB_ENTRIES;

	for (;;) {
		struct kvm_mmu_page *old = v->root;
		u64 pfn = 0;
		int ret;

		/* VM entry: a guest CPU is an RCU quiescent state. */
		rcu_note_quiescent_state();
		ret = kvm_mmu_load(v->vm, &v->root);
		if (ret)
			return ret;
		if (v->root != old)
			sim_flush_vcpu(v);	/* new EPTP: local flush */

		pthread_mutex_lock(&v->tlb_lock);
		if (v->tlb_valid[e] && v->tlb_gfn[e] == gfn &&
		    (v->tlb_access[e] & need) == need) {
			pfn = v->tlb_pfn[e];
			v->tlb_hits++;
		} else if (gfn < tdp_mmu_max_gfn(v->vm)) {
			u64 spte;

			rcu_read_lock();
			spte = hw_walk(v->root, gfn);
			rcu_read_unlock();
			if (spte && (spte_access(spte) & need) == need) {
				pfn = spte_to_pfn(spte);
				v->tlb_valid[e] = true;
				v->tlb_gfn[e] = gfn;
				v->tlb_pfn[e] = pfn;
				v->tlb_access[e] = spte_access(spte);
			}
		}
		if (pfn) {
			u64 *p = (u64 *)plat_phys_to_virt(pfn << PAGE_SHIFT) +
				 (gpa & (PAGE_SIZE - 1)) / 8;

			if (write)
				__atomic_store_n(p, *val, __ATOMIC_RELAXED);
			else
				*val = __atomic_load_n(p, __ATOMIC_RELAXED);
			pthread_mutex_unlock(&v->tlb_lock);
			return 0;
		}
		pthread_mutex_unlock(&v->tlb_lock);

		/* EPT violation: exit to the hypervisor. */
		ret = kvm_tdp_page_fault(v->vm, v->root, gpa, need);
		if (ret < 0)
			return ret;
	}
}
