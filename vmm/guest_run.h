/* SPDX-License-Identifier: MIT */
/* Starting, waiting for and stopping a guest's vCPUs (vmm/guest_run.c). */
#ifndef VMM_GUEST_RUN_H
#define VMM_GUEST_RUN_H

#include "vmm/vcpu.h"

/* Kick, then wait until no vCPU runs any more (threads joined). */
void guest_stop_all(struct guest *g);

/*
 * How vCPU @vcpu starts. A vCPU without boot state, or with
 * bs->runnable false, never runs. Before guest_start() only.
 */
void guest_set_boot_state(struct guest *g, unsigned int vcpu,
			  const struct vcpu_boot_state *bs);
/*
 * Start every runnable vCPU as a kernel thread, spread over the online
 * CPUs. 0 or -errno.
 */
int guest_start(struct guest *g);
/*
 * Wait until every vCPU stopped: 0; -ETIMEDOUT when some still ran
 * after @timeout_ns (0 = no limit); the caller then kills the guest.
 */
int guest_wait(struct guest *g, u64 timeout_ns);

#endif
