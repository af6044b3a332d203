// SPDX-License-Identifier: MIT
/* QEMU pc-testdev's interrupt lines (see pc_testdev.h). */
#include "vmm/dev/pc_testdev.h"
#include "vmm/dev/dev_host.h"

static int testdev_write(void *dev, u64 off, unsigned int size, u64 val)
{
	struct pc_testdev *t = dev;

	(void)size;
	if (off < PC_TESTDEV_NR_LINES)
		guest_set_irq(t->guest, (unsigned int)off, val & 1);
	return 0;
}

static int testdev_read(void *dev, u64 off, unsigned int size, u64 *val)
{
	(void)dev;
	(void)off;
	(void)size;
	*val = 0;	/* the lines are write-only; QEMU reads 0 */
	return 0;
}

const struct io_dev_ops pc_testdev_ops = {
	.read = testdev_read,
	.write = testdev_write,
};
