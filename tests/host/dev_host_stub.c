// SPDX-License-Identifier: MIT
/* dev_host.h for the device models' tests (dev_host_stub.h). */
#include "tests/host/dev_host_stub.h"
#include "vmm/dev/dev_host.h"

struct stub_record stub;
u64 stub_now_ns;

u64 stub_clock(void)
{
	return stub_now_ns;
}

void stub_reset(void)
{
	stub = (struct stub_record){ 0 };
}

void guest_console_write(struct guest *g, const char *s, size_t len)
{
}

void guest_kill(struct guest *g, const char *why)
{
	stub.kills++;
}

void guest_exit(struct guest *g, u64 status)
{
	stub.exits++;
	stub.exit_status = status;
}

void guest_set_irq(struct guest *g, unsigned int gsi, bool level)
{
	if (gsi >= 16)
		return;
	if (level && !stub.irq_level[gsi])
		stub.irq_rises[gsi]++;
	stub.irq_level[gsi] = level;
}

void guest_pic_intr_raised(struct guest *g)
{
	stub.pic_raised++;
}

void guest_timer_changed(struct guest *g)
{
	stub.timer_changed++;
}
