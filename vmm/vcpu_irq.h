/* SPDX-License-Identifier: MIT */
/* Interrupts for the guest (vmm/vcpu_irq.c). */
#ifndef VMM_VCPU_IRQ_H
#define VMM_VCPU_IRQ_H

#include "vmm/vcpu.h"

/*
 * Raise external interrupt @vector in the guest (any CPU, any context):
 * delivered through the guest's IDT as soon as it has interrupts enabled.
 */
void vcpu_queue_interrupt(struct vcpu *vcpu, u8 vector);
/* The run loop's half: deliver or arm interrupt-window exiting. */
void vcpu_deliver_interrupt(struct vcpu *vcpu);
/* Interrupt-window exiting on, for a caller's own event (VMCS current). */
void vcpu_request_interrupt_window(struct vcpu *vcpu);
/* Some vector is requested (set in the IRR) and not yet delivered. */
bool vcpu_interrupt_requested(struct vcpu *vcpu);

#endif
