/* SPDX-License-Identifier: MIT */
/*
 * EPT violations and the seam to the TDP MMU (vmm/tdp_kernel.c).
 */
#ifndef VMM_EPT_H
#define VMM_EPT_H

#include "kernel/compiler.h"

struct vcpu;

/*
 * The TDP MMU's fault handler. 1: fixed or to be retried (re-enter);
 * 0: the GPA is outside every memslot; -2: above the guest's physical
 * address width; -1: the guest was killed for another reason (host
 * memory).
 */
int tdp_mmu_handle_ept_violation(struct vcpu *vcpu, u64 gpa, u64 qual);

/* 1: resume; 0: the guest dies (access outside its memory). */
int ept_handle_violation(struct vcpu *vcpu, u64 gpa, u64 qual);

#endif
