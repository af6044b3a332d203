// SPDX-License-Identifier: MIT
/* The POST port and the shutdown port (see pc_ports.h). */
#include "vmm/dev/pc_ports.h"
#include "vmm/dev/dev_host.h"

static int post_write(void *dev, u64 offset, unsigned int size, u64 val)
{
	struct post_port *p = dev;

	__atomic_store_n(&p->last, (u8)val, __ATOMIC_RELAXED);
	return 0;
}

static int post_read(void *dev, u64 offset, unsigned int size, u64 *val)
{
	struct post_port *p = dev;

	*val = __atomic_load_n(&p->last, __ATOMIC_RELAXED);
	return 0;
}

const struct io_dev_ops post_port_ops = {
	.read = post_read, .write = post_write, .byte_regs = true,
};

static const char shutdown_magic[] = "Shutdown";

void shutdown_port_init(struct shutdown_port *s, struct guest *g)
{
	*s = (struct shutdown_port){ .guest = g };
	spin_lock_init(&s->lock, "shutdown_port");
}

static int shutdown_write(void *dev, u64 offset, unsigned int size, u64 val)
{
	struct shutdown_port *s = dev;
	unsigned long flags = spin_lock_irqsave(&s->lock);
	bool off;
	char c = (char)val;

	/* A wrong byte restarts the match (it may itself start one). */
	if (c == shutdown_magic[s->matched])
		s->matched++;
	else
		s->matched = c == shutdown_magic[0];
	off = s->matched == sizeof(shutdown_magic) - 1;
	if (off)
		s->matched = 0;
	spin_unlock_irqrestore(&s->lock, flags);
	if (!off)
		return 0;
	guest_exit(s->guest, 0);
	return IO_BUS_STOP;
}

/* Reads find nothing there, as on Bochs. */
const struct io_dev_ops shutdown_port_ops = {
	.write = shutdown_write, .byte_regs = true,
};
