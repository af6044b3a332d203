/* SPDX-License-Identifier: MIT */
/*
 * The MMU test hypercalls (vmm/hypercall_mmu.c), dispatched from
 * vmm/hypercall.c's table. Each returns the value for RAX.
 */
#ifndef VMM_HYPERCALL_MMU_H
#define VMM_HYPERCALL_MMU_H

#include "vmm/vcpu.h"

u64 hc_mmu_zap_gfn_range(struct vcpu *v, bool *stop);
u64 hc_mmu_invalidate_roots(struct vcpu *v, bool *stop);
u64 hc_mmu_reclaim_gfn(struct vcpu *v, bool *stop);
u64 hc_mmu_replace_gfn(struct vcpu *v, bool *stop);
u64 hc_mmu_swap_out(struct vcpu *v, bool *stop);
u64 hc_mmu_stats(struct vcpu *v, bool *stop);
u64 hc_mmu_prefault(struct vcpu *v, bool *stop);
u64 hc_mmu_huge(struct vcpu *v, bool *stop);
u64 hc_mmu_sched_gap(struct vcpu *v, bool *stop);

#endif
