/* SPDX-License-Identifier: MIT */
/*
 * A VM's device bus: the port-I/O and MMIO regions its device models
 * register, and the dispatch of guest accesses to them (I/O exits today;
 * EPT violations outside memory once MMIO accesses are decoded).
 *
 * An access that no region claims behaves as on a PC with nothing there:
 * a read gives all ones, a write is dropped. It is counted per VM and per
 * space, and logged once per address (the first IO_BUS_LOG_MAX addresses);
 * with bus->strict set (strict_io=1 on the module line) it kills the guest
 * instead, for test guests that want to be told.
 *
 * Regions are registered before the guest starts and never change while
 * it runs, so dispatch reads them without a lock; device models lock their
 * own state.
 */
#ifndef VMM_DEV_IO_BUS_H
#define VMM_DEV_IO_BUS_H

#include "kernel/compiler.h"
#include "kernel/spinlock.h"

struct guest;

enum io_space {
	IO_SPACE_PIO,		/* IN/OUT ports 0..0xffff */
	IO_SPACE_MMIO,		/* guest-physical addresses outside memory */
	IO_NR_SPACES
};

/*
 * What a device does with one access of @size bytes (1, 2, 4 or 8) at
 * @offset from its region's base. A read fills *@val. 0, or IO_BUS_STOP
 * when the access ended the guest (the exit port).
 */
#define IO_BUS_STOP	1
struct io_dev_ops {
	int (*read)(void *dev, u64 offset, unsigned int size, u64 *val);
	int (*write)(void *dev, u64 offset, unsigned int size, u64 val);
	/*
	 * 8-bit registers (ISA devices: PIC, PIT, CMOS...): the bus splits a
	 * wider access into byte accesses at consecutive offsets, as the ISA
	 * bus (and QEMU's access-size limits) do; bytes past the region read
	 * all ones and are not written.
	 */
	bool byte_regs;
};

struct io_region {
	enum io_space space;
	u64 base, len;
	const struct io_dev_ops *ops;
	void *dev;
	const char *name;
};

/* The PC's devices take ~16; the LAPIC and IOAPIC come on top. */
#define IO_BUS_MAX_REGIONS	32
#define IO_BUS_LOG_MAX		16

struct io_bus {
	/* Written by io_bus_register() before the guest starts only. */
	struct io_region regions[IO_BUS_MAX_REGIONS];
	unsigned int nr_regions;
	bool strict;
	struct guest *vm;	/* whose bus: killed on a strict miss */
	const char *vm_name;	/* for the log lines */

	/* Accesses to nothing, per space (atomic adds). */
	u64 unclaimed[IO_NR_SPACES];
	spinlock_t log_lock;	/* protects logged[], nr_logged (irqsave) */
	u64 logged[IO_BUS_LOG_MAX];
	u8 logged_space[IO_BUS_LOG_MAX];
	unsigned int nr_logged;
	bool log_full_said;
};

void io_bus_init(struct io_bus *bus, struct guest *vm, const char *vm_name,
		 bool strict);
/*
 * Claim [base, base + len) of @space for a device. 0; -EINVAL for an
 * empty or wrapping range, -EEXIST when it overlaps a region, -ENOSPC
 * when the table is full.
 */
int io_bus_register(struct io_bus *bus, enum io_space space, u64 base,
		    u64 len, const struct io_dev_ops *ops, void *dev,
		    const char *name);
/*
 * One guest access. A read's *@val is the device's answer, or all ones
 * from nothing. 0, or IO_BUS_STOP when the guest is to stop (the device
 * ended it, or with bus->strict an access to nothing killed it).
 */
int io_bus_access(struct io_bus *bus, enum io_space space, u64 addr,
		  unsigned int size, bool write, u64 *val);
/* Accesses no device claimed. */
static inline u64 io_bus_unclaimed(const struct io_bus *bus,
				   enum io_space space)
{
	return __atomic_load_n(&bus->unclaimed[space], __ATOMIC_RELAXED);
}

#endif
