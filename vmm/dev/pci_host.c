// SPDX-License-Identifier: MIT
/* PCI configuration mechanism #1 with nothing behind it (pci_host.h). */
#include "vmm/dev/pci_host.h"

/*
 * A configuration read of @size bytes at @reg of bus/device/function
 * @bdf: no function exists, so the master aborts and reads all ones.
 */
static u64 pci_host_config_read(u32 bdf, unsigned int reg, unsigned int size)
{
	return ~0ULL;
}

static void pci_host_config_write(u32 bdf, unsigned int reg,
				  unsigned int size, u64 val)
{
	/* No function claims it: dropped. */
}

static int pci_host_write(void *dev, u64 offset, unsigned int size, u64 val)
{
	struct pci_host *h = dev;
	u32 addr;

	if (offset < 4) {
		if (offset == 0 && size == 4)
			__atomic_store_n(&h->config_address,
					 (u32)val & PCI_CONFIG_ADDR_MASK,
					 __ATOMIC_RELAXED);
		return 0;	/* other widths: plain I/O, nothing there */
	}
	addr = __atomic_load_n(&h->config_address, __ATOMIC_RELAXED);
	if (addr & PCI_CONFIG_ENABLE)
		pci_host_config_write(addr >> 8 & 0xffff,
				      (addr & 0xfc) + (offset - 4), size, val);
	return 0;
}

static int pci_host_read(void *dev, u64 offset, unsigned int size, u64 *val)
{
	struct pci_host *h = dev;
	u32 addr = __atomic_load_n(&h->config_address, __ATOMIC_RELAXED);

	if (offset < 4) {
		*val = offset == 0 && size == 4 ? addr : ~0ULL;
		return 0;
	}
	*val = addr & PCI_CONFIG_ENABLE ?
	       pci_host_config_read(addr >> 8 & 0xffff,
				    (addr & 0xfc) + (offset - 4), size) :
	       ~0ULL;
	return 0;
}

const struct io_dev_ops pci_host_ops = {
	.read = pci_host_read, .write = pci_host_write,
};
