/* SPDX-License-Identifier: MIT */
/*
 * EPT for a guest, and the seam to the TDP MMU.
 *
 * Until the TDP MMU maps guest memory on fault, ept_build_eager() maps
 * every guest page up front with 4 KiB entries, and an EPT violation is a
 * guest bug (a wild pointer outside its memory): ept_handle_violation()
 * first offers it to tdp_mmu_handle_ept_violation(), which the TDP MMU
 * defines strongly; the weak default declines.
 */
#ifndef VMM_EPT_H
#define VMM_EPT_H

#include "kernel/compiler.h"

struct guest;
struct vcpu;

int ept_build_eager(struct guest *g);
void ept_free(struct guest *g);

/*
 * The TDP MMU's fault handler. Returns 1 when the fault was fixed (resume
 * the guest), 0 when it declines (not TDP-managed memory), <0 on error.
 */
int tdp_mmu_handle_ept_violation(struct vcpu *vcpu, u64 gpa, u64 qual);

/* 1: resume; 0: the guest dies (access outside its memory). */
int ept_handle_violation(struct vcpu *vcpu, u64 gpa, u64 qual);

#endif
