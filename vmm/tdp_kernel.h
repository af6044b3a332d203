/* SPDX-License-Identifier: MIT */
/*
 * The kernel's side of the TDP MMU (vmm/tdp_kernel.c): a guest's struct vm
 * and memslots, the vCPU's root and EPTP, the struct vm_mmu_ops the MMU
 * calls back into (INVEPT on the CPUs running the VM, the zap worker, the
 * scheduling-point probe) and the memory-pressure worker.
 */
#ifndef VMM_TDP_KERNEL_H
#define VMM_TDP_KERNEL_H

#include "vmm/vcpu.h"
#include "vmm/mmu/mmu_page.h"

/* Largest aliased slot a guest may ask for (alias=): 16M GFNs, 64 GiB. */
#define GUEST_MAX_ALIAS_PAGES	(1ULL << 24)
/* Host pages behind an aliased slot (GFN i maps page i % this). */
#define GUEST_ALIAS_HOST_PAGES	4

/* The VM and memslot 0 = [0, g->nr_pages). 0 or -errno. */
int guest_mmu_init(struct guest *g);
/* Back guest RAM (memslot 0) with 2M/1G blocks (MEMSLOT_HUGE_*), before
 * anything is loaded into it; 0 or -EBUSY/-EINVAL. */
int guest_mmu_set_hugepages(struct guest *g, u32 huge_flags);
/* Aliased memslot of @npages at HV_GFN_ALIAS_BASE; before guest_start. */
int guest_mmu_add_alias_slot(struct guest *g, u64 npages);
/*
 * After every vCPU stopped: drop the vCPUs' roots, wait for the zap work
 * and the pressure worker, print the statistics, free every page.
 */
void guest_mmu_destroy(struct guest *g);

/* Memory pressure (pressure=1): start with the guest, stop before free. */
int guest_mmu_pressure_start(struct guest *g, bool swap);
void guest_mmu_pressure_stop(struct guest *g);

/* The vCPU's root went stale (or none yet): load a fresh one. */
static inline bool vcpu_mmu_needs_reload(struct vcpu *v)
{
	return unlikely(!v->mmu.root || root_is_invalid(v->mmu.root));
}
/*
 * Before an entry, VMCS current: kvm_mmu_load(), and on a new root a new
 * EPT_POINTER and INVEPT of it. 0, or -ENOMEM (the guest dies).
 */
int vcpu_mmu_reload(struct vcpu *v);
/*
 * The VMCS arrived on this CPU: translations this CPU cached for the
 * vCPU's EPTP earlier may be stale (flushes only reach CPUs where a vCPU
 * of the VM is loaded), so drop them (KVM: KVM_REQ_TLB_FLUSH on load).
 */
void vcpu_mmu_flush_current(struct vcpu *v);

/*
 * Add the phases of the fault just profiled (v->fault_stamps, taken by
 * the MMU and the exit path) up to the VM entry at @t_entry.
 */
void vcpu_fault_profile_account(struct vcpu *v, u64 t_entry);

/* Read and reset the longest run between MMU scheduling points. */
u64 guest_mmu_take_sched_gap(struct guest *g, u64 *count);

#endif
