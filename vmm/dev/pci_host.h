/* SPDX-License-Identifier: MIT */
/*
 * PCI configuration mechanism #1 (PCI Local Bus 3.0, 3.2.2.3.2): the
 * CONFIG_ADDRESS latch at 0xCF8, loaded only by a dword write (any
 * other access there is ordinary I/O, which finds nothing), and the
 * CONFIG_DATA window at 0xCFC-0xCFF, which with the enable bit set runs
 * a configuration cycle of the access's width at the latched bus,
 * device, function and register.
 *
 * No device answers: every function reads all ones (vendor 0xFFFF, "no
 * device here", what every PCI scan looks for) and writes are dropped.
 * In particular there is no host bridge at 00:00.0. QEMU has one (an
 * i440FX or Q35 MCH), but its ID promises that chipset's registers (PAM,
 * SMRAM, PCIEXBAR) that nothing here implements; kvm-unit-tests' pci
 * scan finds an empty bus and its device tests skip; Linux, finding
 * neither a host bridge nor a VGA device on bus 0 (pci_sanity_check),
 * declines type-1 access and runs without PCI - the truthful answer for
 * a platform with nothing on it. The first device model added makes
 * pci_host_config_read/write look it up.
 */
#ifndef VMM_DEV_PCI_HOST_H
#define VMM_DEV_PCI_HOST_H

#include "vmm/dev/io_bus.h"

#define PCI_HOST_PORT		0xcf8	/* CONFIG_ADDRESS; data at +4 */
#define PCI_CONFIG_ENABLE	0x80000000u
#define PCI_CONFIG_ADDR_MASK	0x80fffffcu	/* 30:24 and 1:0 read 0 */

struct pci_host {
	u32 config_address;	/* the latch (atomic) */
};

extern const struct io_dev_ops pci_host_ops;	/* dev = the host, 8 ports */

#endif
