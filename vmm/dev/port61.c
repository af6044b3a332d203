// SPDX-License-Identifier: MIT
/* System control port B (see port61.h). */
#include "vmm/dev/port61.h"

void port61_init(struct port61 *p, struct pit8254 *pit)
{
	*p = (struct port61){ .pit = pit };
}

static int port61_write(void *dev, u64 offset, unsigned int size, u64 val)
{
	struct port61 *p = dev;

	__atomic_store_n(&p->bits, (u8)val & 0x0f, __ATOMIC_RELAXED);
	pit8254_set_gate(p->pit, 2, val & PORT61_GATE2);
	return 0;
}

static int port61_read(void *dev, u64 offset, unsigned int size, u64 *val)
{
	struct port61 *p = dev;
	u64 now = p->pit->clock_ns();
	u8 v = __atomic_load_n(&p->bits, __ATOMIC_RELAXED);

	if ((now / PORT61_REFRESH_NS) & 1)
		v |= PORT61_REFRESH;
	if (pit8254_get_out(p->pit, 2))
		v |= PORT61_OUT2;
	*val = v;
	return 0;
}

const struct io_dev_ops port61_ops = {
	.read = port61_read, .write = port61_write, .byte_regs = true,
};
