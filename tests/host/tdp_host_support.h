/* SPDX-License-Identifier: MIT */
/*
 * Hosted stand-in for what hardware does around the TDP MMU: vCPUs whose
 * guest accesses go through a simulated TLB and paging-structure cache,
 * filled by a "hardware" EPT walk and emptied only by the VM's flush hook
 * (or a root switch), so a missing or late flush becomes a stale read.
 *
 * As on real hardware, a vCPU in guest mode is in an RCU extended
 * quiescent state and its EPT walks take no lock and no RCU read side: a
 * grace period does not wait for them. What keeps the tables they read
 * alive is the MMU's protocol (flush, which also kicks the vCPU out of
 * guest mode, before a table it may cache is freed). A walk that reads a
 * freed table (poisoned by the host platform) is counted in
 * stale_table_reads, which every test checks is 0.
 */
#ifndef TESTS_HOST_TDP_HOST_SUPPORT_H
#define TESTS_HOST_TDP_HOST_SUPPORT_H

#include <pthread.h>
#include "vmm/mmu/tdp_mmu.h"
#include "tests/host/platform_host.h"

#define SIM_TLB_ENTRIES	64
#define SIM_PSC_ENTRIES	16	/* cached leaf tables, one per 2M region */
#define SIM_MAX_VCPUS	16
/* A u64 of a freed (poisoned) host page. */
#define SIM_POISON64	(0x0101010101010101ULL * HOST_POISON_BYTE)

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
	/*
	 * Paging-structure cache: the leaf table that translates a 2M
	 * region, tagged with the root (EPTP) it was reached from. A TLB
	 * miss that hits here reads the leaf entry straight from the cached
	 * table, so a table freed before the flush is read after its free.
	 */
	struct kvm_mmu_page *psc_root[SIM_PSC_ENTRIES];
	gfn_t psc_region[SIM_PSC_ENTRIES];
	u64 *psc_table[SIM_PSC_ENTRIES];
	bool psc_valid[SIM_PSC_ENTRIES];
	u64 psc_hits;
	/*
	 * An L2 TLB for shadow-EPT tests (shadow_host_support.c): L2 GFN ->
	 * host frame, filled from EPT02 and emptied with the TLB above, so
	 * a shadow change that is not flushed stays visible to L2.
	 */
	u64 l2_tlb_gfn[SIM_TLB_ENTRIES];
	u64 l2_tlb_pfn[SIM_TLB_ENTRIES];
	bool l2_tlb_valid[SIM_TLB_ENTRIES];
	/* And its paging-structure cache: the EPT02 leaf table per 2M. */
	u64 *l2_psc_table[SIM_PSC_ENTRIES];
	gfn_t l2_psc_region[SIM_PSC_ENTRIES];
	bool l2_psc_valid[SIM_PSC_ENTRIES];
	/* Set by a flush (its IPI): the vCPU leaves guest mode. */
	bool exit_request;
	/* Walks that read a freed page-table page: always a bug. */
	u64 stale_table_reads;
	/* Guest-mode runs ended by a flush's kick. */
	u64 kicked_exits;
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

/* A VM-wide MMU counter: SIM_STAT(s, faults). */
#define SIM_STAT(s, n) ((u64)atomic64_read(&(s)->vm.stats.v[TDP_MMU_STAT_##n]))

struct sim_vm *sim_vm_create(unsigned int nr_vcpus, unsigned int phys_bits);
void sim_vm_destroy(struct sim_vm *s);
/*
 * A guest access of 8 bytes at @gpa: write @val if @write, else return the
 * value read in *val. 0 or the fault handler's negative error; -EAGAIN
 * when the page is in the swap store (RET_PF_NOT_RESIDENT).
 */
int sim_guest_access(struct sim_vcpu *v, gpa_t gpa, bool write, u64 *val);
/*
 * Run in guest mode: @n accesses (@gpas[i], write of vals[i] if @write,
 * else read into vals[i]) entering once and leaving guest mode only for an
 * EPT violation or a kick, as a real vCPU does. 0 or a fault's error.
 */
int sim_guest_run(struct sim_vcpu *v, const gpa_t *gpas, unsigned int n,
		  bool write, u64 *vals);
/*
 * With mmu_lock held for write (so no SPTE changes): TLB entries of any
 * vCPU that no longer match their root's SPTE. Every thread that drops
 * mmu_lock has flushed what it zapped, so this must be 0.
 */
u64 sim_tlb_stale_entries(struct sim_vm *s);
/* stale_table_reads summed over the vCPUs. */
u64 sim_stale_table_reads(struct sim_vm *s);
void sim_vcpu_unload(struct sim_vcpu *v);
extern const struct vm_mmu_ops sim_mmu_ops;

#endif
