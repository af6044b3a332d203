// SPDX-License-Identifier: MIT
/* The device bus (see io_bus.h). */
#include "vmm/dev/io_bus.h"
#include "vmm/dev/dev_host.h"
#include "kernel/errno.h"
#include "kernel/log.h"

static const char *const space_name[IO_NR_SPACES] = {
	[IO_SPACE_PIO] = "I/O port", [IO_SPACE_MMIO] = "MMIO address",
};

void io_bus_init(struct io_bus *bus, struct guest *vm, const char *vm_name,
		 bool strict)
{
	*bus = (struct io_bus){ .strict = strict, .vm = vm, .vm_name = vm_name };
	spin_lock_init(&bus->log_lock, "io_bus.log_lock");
}

int io_bus_register(struct io_bus *bus, enum io_space space, u64 base,
		    u64 len, const struct io_dev_ops *ops, void *dev,
		    const char *name)
{
	if (space >= IO_NR_SPACES || !len || base + len < base || !ops)
		return -EINVAL;
	if (space == IO_SPACE_PIO && base + len > 0x10000)
		return -EINVAL;
	for (unsigned int i = 0; i < bus->nr_regions; i++) {
		const struct io_region *r = &bus->regions[i];

		if (r->space == space && base < r->base + r->len &&
		    r->base < base + len)
			return -EEXIST;
	}
	if (bus->nr_regions == IO_BUS_MAX_REGIONS)
		return -ENOSPC;
	bus->regions[bus->nr_regions++] = (struct io_region){
		.space = space, .base = base, .len = len, .ops = ops,
		.dev = dev, .name = name,
	};
	return 0;
}

/* Say once per address that nothing is there (the first few addresses). */
static void io_bus_log_unclaimed(struct io_bus *bus, enum io_space space,
				 u64 addr, bool write)
{
	unsigned long flags = spin_lock_irqsave(&bus->log_lock);
	bool say = true, full = false;

	for (unsigned int i = 0; i < bus->nr_logged; i++)
		if (bus->logged[i] == addr && bus->logged_space[i] == space)
			say = false;
	if (say && bus->nr_logged == IO_BUS_LOG_MAX) {
		say = false;
		full = !bus->log_full_said;
		bus->log_full_said = true;
	} else if (say) {
		bus->logged[bus->nr_logged] = addr;
		bus->logged_space[bus->nr_logged++] = space;
	}
	spin_unlock_irqrestore(&bus->log_lock, flags);
	if (say)
		pr_info("guest %s: %s %#llx: nothing there (%s; said once)\n",
			bus->vm_name, space_name[space],
			(unsigned long long)addr,
			write ? "write dropped" : "read all ones");
	else if (full)
		pr_info("guest %s: more addresses with nothing there; counted, not logged\n",
			bus->vm_name);
}

/* A wide access to byte registers, one byte at a time (io_dev_ops). */
static int io_bus_bytewise(const struct io_region *r, u64 offset,
			   unsigned int size, bool write, u64 *val)
{
	u64 out = 0;
	int ret = 0;

	for (unsigned int i = 0; i < size && !ret; i++) {
		u64 b = write ? (*val >> (8 * i)) & 0xff : 0xff;

		if (offset + i < r->len) {
			if (write && r->ops->write)
				ret = r->ops->write(r->dev, offset + i, 1, b);
			else if (!write && r->ops->read)
				ret = r->ops->read(r->dev, offset + i, 1, &b);
		}
		out |= (b & 0xff) << (8 * i);
	}
	if (!write)
		*val = out | (size < 8 ? ~0ULL << (8 * size) : 0);
	return ret;
}

int io_bus_access(struct io_bus *bus, enum io_space space, u64 addr,
		  unsigned int size, bool write, u64 *val)
{
	for (unsigned int i = 0; i < bus->nr_regions; i++) {
		const struct io_region *r = &bus->regions[i];

		if (r->space != space || addr < r->base ||
		    addr - r->base >= r->len)
			continue;
		if (r->ops->byte_regs && size > 1)
			return io_bus_bytewise(r, addr - r->base, size, write,
					       val);
		if (write)
			return r->ops->write ?
			       r->ops->write(r->dev, addr - r->base, size,
					     *val) : 0;
		*val = ~0ULL;
		return r->ops->read ?
		       r->ops->read(r->dev, addr - r->base, size, val) :
		       0;
	}
	__atomic_fetch_add(&bus->unclaimed[space], 1, __ATOMIC_RELAXED);
	if (bus->strict) {
		char why[96];

		ksnprintf(why, sizeof(why),
			  "%s %#llx: nothing there (strict_io=1)",
			  space_name[space], (unsigned long long)addr);
		guest_kill(bus->vm, why);
		return IO_BUS_STOP;
	}
	io_bus_log_unclaimed(bus, space, addr, write);
	if (!write)
		*val = ~0ULL;
	return 0;
}
