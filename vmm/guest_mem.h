/* SPDX-License-Identifier: MIT */
/* Copies to and from guest memory (vmm/guest_mem.c). */
#ifndef VMM_GUEST_MEM_H
#define VMM_GUEST_MEM_H

#include "vmm/guest.h"

/* Copy to/from guest memory [0, mem_size); false outside it. */
bool guest_write(struct guest *g, u64 gpa, const void *src, size_t len);
bool guest_read(struct guest *g, u64 gpa, void *dst, size_t len);

#endif
