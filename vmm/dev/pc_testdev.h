/* SPDX-License-Identifier: MIT */
/*
 * The interrupt lines of QEMU's pc-testdev, which kvm-unit-tests drive
 * (lib/x86/apic.c's set_irq_line): a byte written to port 0x2000 + N
 * sets line N (0-23) to its bit 0, through guest_set_irq() as a device
 * would - the PIC's input for N < 16 and the IOAPIC pin. Only on guests
 * given testdev=1 on their module line: a test device, not a PC's.
 */
#ifndef VMM_DEV_PC_TESTDEV_H
#define VMM_DEV_PC_TESTDEV_H

#include "vmm/dev/io_bus.h"

#define PC_TESTDEV_IRQ_PORT	0x2000
#define PC_TESTDEV_NR_LINES	24

struct guest;

struct pc_testdev {
	struct guest *guest;
};

extern const struct io_dev_ops pc_testdev_ops;	/* dev = a pc_testdev */

#endif
