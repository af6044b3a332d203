/* SPDX-License-Identifier: MIT */
/*
 * Two one-register ports of a PC:
 *  - 0x80, the POST / delay port: on the AT it is a spare DMA page
 *    register, so a read gives back the last byte written (0 at reset);
 *    kernels write it to wait about a microsecond.
 *  - 0x8900, the Bochs/QEMU shutdown port: the string "Shutdown" written
 *    to it byte by byte powers the machine off, which here is the guest
 *    exiting with status 0 (beside isa-debug-exit at 0xf4).
 */
#ifndef VMM_DEV_PC_PORTS_H
#define VMM_DEV_PC_PORTS_H

#include "vmm/dev/io_bus.h"

struct guest;

#define POST_PORT		0x80
#define SHUTDOWN_PORT		0x8900

struct post_port {
	u8 last;		/* the last byte written (atomic) */
};

struct shutdown_port {
	spinlock_t lock;	/* protects matched (irqsave) */
	unsigned int matched;	/* bytes of "Shutdown" seen in a row */
	struct guest *guest;
};

extern const struct io_dev_ops post_port_ops;	  /* dev = a post_port */
void shutdown_port_init(struct shutdown_port *s, struct guest *g);
extern const struct io_dev_ops shutdown_port_ops; /* dev = a shutdown_port */

#endif
