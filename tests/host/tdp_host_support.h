/* SPDX-License-Identifier: MIT */
/*
 * Hosted stand-in for what hardware does around the TDP MMU: vCPUs whose
 * guest accesses go through a simulated TLB, filled by a "hardware" EPT
 * walk and emptied only by the VM's flush hook (or a root switch), so a
 * missing flush becomes a stale read.
 */
#ifndef TESTS_HOST_TDP_HOST_SUPPORT_H
#define TESTS_HOST_TDP_HOST_SUPPORT_H

#include <pthread.h>
#include "vmm/mmu/tdp_mmu.h"

#define SIM_TLB_ENTRIES	64
#define SIM_MAX_VCPUS	16

struct sim_vcpu {
	struct vm *vm;
	struct kvm_mmu_page *root;
	/* Held while translating + accessing; the flush hook takes it. */
	pthread_mutex_t tlb_lock;
	u64 tlb_gfn[SIM_TLB_ENTRIES];
	u64 tlb_pfn[SIM_TLB_ENTRIES];
	u64 tlb_access[SIM_TLB_ENTRIES];
	bool tlb_valid[SIM_TLB_ENTRIES];
	u64 tlb_hits;
};

struct sim_vm {
	struct vm vm;
	struct sim_vcpu vcpus[SIM_MAX_VCPUS];
	unsigned int nr_vcpus;
	bool break_flush;	/* tests prove they catch a missing flush */
	/*
	 * Called at every yield of a zap (vm_mmu_ops.sched_point), with
	 * mmu_lock and the RCU read side dropped: lets a test make other
	 * threads run inside the zap window instead of hoping they do.
	 */
	void (*yield_hook)(struct sim_vm *s);
	void *yield_hook_arg;
};

struct sim_vm *sim_vm_create(unsigned int nr_vcpus, unsigned int phys_bits);
void sim_vm_destroy(struct sim_vm *s);
/*
 * A guest access of 8 bytes at @gpa: write @val if @write, else return the
 * value read in *val. 0 or the fault handler's negative error.
 */
int sim_guest_access(struct sim_vcpu *v, gpa_t gpa, bool write, u64 *val);
void sim_vcpu_unload(struct sim_vcpu *v);
extern const struct vm_mmu_ops sim_mmu_ops;

#endif
