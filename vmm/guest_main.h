/* SPDX-License-Identifier: MIT */
/*
 * Creating and freeing a guest (vmm/guest_main.c); its vCPUs are started
 * and waited for in vmm/guest_run.h, its memory copied in guest_mem.h,
 * its end recorded in guest_report.h.
 */
#ifndef VMM_GUEST_MAIN_H
#define VMM_GUEST_MAIN_H

#include "vmm/guest.h"

/*
 * Create a guest with @nr_vcpus vCPUs (1..GUEST_MAX_VCPUS) and @mem_size
 * bytes of memory. NULL after a message naming what is wrong (too many
 * vCPUs, more memory than is free). Works without VMX (the loader's tests
 * fill guests under QEMU); guest_start() is what needs VMX.
 */
struct guest *guest_create(const char *name, unsigned int nr_vcpus,
			   u64 mem_size, bool long_mode);
/* Kill (if running), wait for every vCPU, free everything. */
void guest_destroy(struct guest *g);


#endif
