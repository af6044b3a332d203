/* SPDX-License-Identifier: MIT */
/* Copies to and from guest memory (vmm/guest_mem.c). */
#ifndef VMM_GUEST_MEM_H
#define VMM_GUEST_MEM_H

#include "vmm/guest.h"

/* Copy to/from guest memory [0, mem_size); false outside it. */
bool guest_write(struct guest *g, u64 gpa, const void *src, size_t len);
bool guest_read(struct guest *g, u64 gpa, void *dst, size_t len);
/*
 * Guest-linear to guest-physical by the guest's own page tables (no
 * paging, 32-bit, PAE, 4-level), as the vCPU's VMCS (current on this
 * CPU) has them. False if it is not mapped. Permissions are not checked.
 */
struct vcpu;
bool guest_gva_to_gpa(struct vcpu *v, u64 gva, u64 *gpa);
/*
 * guest_read()/guest_write() of a GPA of the vCPU's current guest: L1's
 * own, or L2's through EPT12 (vcpu_nested.h). [gpa, gpa + len) must not
 * cross a page.
 */
bool vcpu_guest_read(struct vcpu *v, u64 gpa, void *dst, size_t len);
bool vcpu_guest_write(struct vcpu *v, u64 gpa, const void *src, size_t len);

#endif
