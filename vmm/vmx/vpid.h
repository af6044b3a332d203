/* SPDX-License-Identifier: MIT */
/* VPID allocation (vmm/vmx/vpid.c). */
#ifndef VMM_VPID_H
#define VMM_VPID_H

#include "kernel/types.h"

/* A free VPID (1..65535), or 0 when all are in use. */
u16 vpid_alloc(void);
void vpid_free(u16 vpid);

#endif
