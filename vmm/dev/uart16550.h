/* SPDX-License-Identifier: MIT */
/*
 * A 16550 UART model at HV_PORT_UART: what a guest's serial driver needs
 * to print (divisor latch, line/modem control, a transmitter that is
 * always empty, no receive data, no interrupts). Transmitted bytes go to
 * the guest's console line, which HC_CONSOLE_WRITE shares.
 */
#ifndef VMM_DEV_UART16550_H
#define VMM_DEV_UART16550_H

#include "kernel/spinlock.h"
#include "vmm/dev/io_bus.h"

struct guest;

struct uart16550 {
	spinlock_t lock;	/* protects the registers below (irqsave) */
	u8 ier, lcr, mcr, scr, dll, dlm;
	struct guest *guest;	/* whose console the bytes go to */
};

extern const struct io_dev_ops uart16550_ops;
void uart16550_init(struct uart16550 *u, struct guest *g);

/* The exit port (QEMU's isa-debug-exit): writing V ends the guest with V. */
extern const struct io_dev_ops exit_port_ops;

#endif
