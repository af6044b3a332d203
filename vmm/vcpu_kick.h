/* SPDX-License-Identifier: MIT */
/* Waking and kicking vCPUs (vmm/vcpu_kick.c). */
#ifndef VMM_VCPU_KICK_H
#define VMM_VCPU_KICK_H

#include "vmm/vcpu.h"

/*
 * Wake @vcpu's thread if it sleeps halted (any CPU, any context): it
 * rechecks why it sleeps. Callers make the reason true first.
 */
void vcpu_wake_up(struct vcpu *vcpu);
/*
 * Ask every vCPU of @g to stop at its next exit and IPI the CPUs running
 * one, so a vCPU in guest mode exits now rather than at its next slice.
 */
void guest_kick_all(struct guest *g);
/* IPI the CPU running @vcpu (if another) so it leaves guest mode. */
void vcpu_kick(struct vcpu *vcpu);

#endif
