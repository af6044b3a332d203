/* SPDX-License-Identifier: MIT */
/*
 * What the device models' tests put behind vmm/dev/dev_host.h: every
 * call is recorded here (tests/host/dev_host_stub.c) for the test to
 * check, and a fake clock the models read instead of the host's.
 */
#ifndef TESTS_HOST_DEV_HOST_STUB_H
#define TESTS_HOST_DEV_HOST_STUB_H

#include "kernel/compiler.h"
#include "vmm/dev/io_bus.h"

struct stub_record {
	bool irq_level[16];		/* each line as last driven */
	unsigned int irq_rises[16];	/* false -> true transitions */
	unsigned int pic_raised;	/* guest_pic_intr_raised() calls */
	unsigned int timer_changed;	/* guest_timer_changed() calls */
	unsigned int exits, kills;
	u64 exit_status;
};

extern struct stub_record stub;
extern u64 stub_now_ns;
u64 stub_clock(void);
void stub_reset(void);

/* One byte to or from a port of the test's bus, as a guest's OUT/IN. */
static inline void stub_out8(struct io_bus *bus, u16 port, u8 v)
{
	u64 val = v;

	io_bus_access(bus, IO_SPACE_PIO, port, 1, true, &val);
}

static inline u8 stub_in8(struct io_bus *bus, u16 port)
{
	u64 val = 0;

	io_bus_access(bus, IO_SPACE_PIO, port, 1, false, &val);
	return (u8)val;
}

#endif
