/* SPDX-License-Identifier: MIT */
/*
 * Port 0x61, the PC's system control port B (as QEMU's pcspk and KVM's
 * speaker port): bit 0 counter 2's gate, bit 1 speaker data, bits 2-3
 * parity/IOCHK check disables (kept), bit 4 the refresh toggle (flips
 * every 15.085 us of host time; some kernels poll it to delay), bit 5
 * counter 2's OUT. Bits 4-7 are read-only. This is what Linux's PIT
 * calibration of the TSC (pit_calibrate_tsc, quick_pit_calibrate) reads.
 */
#ifndef VMM_DEV_PORT61_H
#define VMM_DEV_PORT61_H

#include "vmm/dev/io_bus.h"
#include "vmm/dev/pit8254.h"

#define PORT61_PORT		0x61
#define PORT61_GATE2		0x01
#define PORT61_SPEAKER		0x02
#define PORT61_REFRESH		0x10
#define PORT61_OUT2		0x20
#define PORT61_REFRESH_NS	15085

struct port61 {
	struct pit8254 *pit;
	u8 bits;		/* bits 0-3 as last written (atomic) */
};

void port61_init(struct port61 *p, struct pit8254 *pit);
extern const struct io_dev_ops port61_ops;	/* dev = the port61 */

#endif
