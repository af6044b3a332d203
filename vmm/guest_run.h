/* SPDX-License-Identifier: MIT */
/* Internal to vmm/: stopping a guest's vCPUs (vmm/guest_run.c). */
#ifndef VMM_GUEST_RUN_H
#define VMM_GUEST_RUN_H

#include "vmm/vcpu.h"

/*
 * Ask every vCPU of @g to stop at its next exit and IPI the CPUs running
 * one, so a vCPU in guest mode exits now rather than at its next slice.
 */
void guest_kick_all(struct guest *g);
/* IPI the CPU running @vcpu (if another) so it leaves guest mode. */
void vcpu_kick(struct vcpu *vcpu);
/* Kick, then wait until no vCPU runs any more (threads joined). */
void guest_stop_all(struct guest *g);

#endif
