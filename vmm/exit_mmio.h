/* SPDX-License-Identifier: MIT */
/* MMIO emulation for EPT violations outside memory (vmm/exit_mmio.c). */
#ifndef VMM_EXIT_MMIO_H
#define VMM_EXIT_MMIO_H

#include "kernel/compiler.h"

struct vcpu;

/*
 * Emulate the access at @gpa that the instruction at the guest's RIP
 * made, on the device bus, and step past it: VCPU_RESUME, or VCPU_STOP
 * once the guest was killed (with a message) or a device ended it.
 */
int handle_mmio(struct vcpu *v, u64 gpa, u64 qual);

#endif
