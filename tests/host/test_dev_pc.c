// SPDX-License-Identifier: MIT
/*
 * The small PC devices through the device bus: fw_cfg (signature, ID,
 * RAM size, CPUs, the file directory and etc/e820, reads past the end,
 * unknown keys, what does not select), PCI configuration mechanism #1
 * (the address latch, dword-only, no device on any function, writes
 * dropped), the POST port, the shutdown port's string, and the bus
 * splitting a wide access to byte registers.
 */
// host-srcs: vmm/dev/fw_cfg.c vmm/dev/pci_host.c vmm/dev/pc_ports.c vmm/dev/io_bus.c tests/host/dev_host_stub.c
#include "vmm/dev/fw_cfg.h"
#include "vmm/dev/pci_host.h"
#include "vmm/dev/pc_ports.h"
#include "vmm/dev/io_bus.h"
#include "tests/host/dev_host_stub.h"
#include "tests/host/platform_host.h"
#include "tests/host/tap.h"

#include <string.h>

static struct fw_cfg fw;
static struct pci_host pci;
static struct post_port post;
static struct shutdown_port sd;
static struct io_bus bus;

static int io(u16 port, unsigned int size, bool write, u64 *val)
{
	return io_bus_access(&bus, IO_SPACE_PIO, port, size, write, val);
}

static u64 in(u16 port, unsigned int size)
{
	u64 v = 0;

	io(port, size, false, &v);
	return size == 8 ? v : v & ((1ULL << (8 * size)) - 1);
}

static int out(u16 port, unsigned int size, u64 v)
{
	return io(port, size, true, &v);
}

static void fw_select(u16 key)
{
	out(0x510, 2, key);
}

static void fw_read(void *buf, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		((u8 *)buf)[i] = in(0x511, 1);
}

static u64 le(const u8 *p, unsigned int n)
{
	u64 v = 0;

	for (unsigned int i = n; i--;)
		v = v << 8 | p[i];
	return v;
}

static u64 be(const u8 *p, unsigned int n)
{
	u64 v = 0;

	for (unsigned int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

int main(void)
{
	u8 b[128];
	bool ok;
	int r;

	host_cpu_register();
	tap_plan(15);
	stub_reset();
	fw_cfg_init(&fw, 2 << 20, 3, 8);
	shutdown_port_init(&sd, NULL);
	io_bus_init(&bus, NULL, "test", false);
	io_bus_register(&bus, IO_SPACE_PIO, 0x510, 2, &fw_cfg_ops, &fw, "fw_cfg");
	io_bus_register(&bus, IO_SPACE_PIO, 0xcf8, 8, &pci_host_ops, &pci, "pci");
	io_bus_register(&bus, IO_SPACE_PIO, 0x80, 1, &post_port_ops, &post, "post");
	io_bus_register(&bus, IO_SPACE_PIO, 0x8900, 1, &shutdown_port_ops, &sd, "sd");

	fw_select(FW_CFG_SIGNATURE);
	fw_read(b, 6);
	tap_ok(!memcmp(b, "QEMU\0\0", 6), "fw_cfg: signature QEMU, zeros past its end");
	fw_select(FW_CFG_ID);
	fw_read(b, 4);
	tap_ok(le(b, 4) == 1, "fw_cfg: ID says traditional interface, no DMA");
	fw_select(FW_CFG_RAM_SIZE);
	fw_read(b, 8);
	ok = le(b, 8) == 2 << 20;
	fw_select(FW_CFG_NB_CPUS);
	fw_read(b, 2);
	ok &= le(b, 2) == 3;
	fw_select(FW_CFG_MAX_CPUS);
	fw_read(b, 2);
	ok &= le(b, 2) == 8;
	tap_ok(ok, "fw_cfg: RAM size (64-bit LE), CPUs and max CPUs (16-bit LE)");
	fw_select(FW_CFG_FILE_DIR);
	fw_read(b, 4 + 64 + 4);
	ok = be(b, 4) == 1 && be(b + 4, 4) == 20 && be(b + 8, 2) == 0x20 &&
	     !strcmp((char *)b + 12, "etc/e820") && be(b + 68, 4) == 0;
	tap_ok(ok, "fw_cfg: file directory, big-endian: 1 file, etc/e820, 20 bytes at 0x20");
	fw_select(0x20);
	fw_read(b, 20);
	tap_ok(le(b, 8) == 0 && le(b + 8, 8) == 2 << 20 && le(b + 16, 4) == 1,
	       "fw_cfg: etc/e820 is one RAM range covering the guest's memory");
	fw_select(0x1234);
	fw_read(b, 4);
	ok = le(b, 4) == 0;
	fw_select(FW_CFG_SIGNATURE);
	in(0x511, 1);
	out(0x510, 1, FW_CFG_ID);	/* a byte write: data, ignored */
	out(0x511, 1, 0x55);
	ok &= in(0x511, 1) == 'E' && in(0x510, 1) == 'M';	/* 0x510 reads data too */
	fw_select(FW_CFG_SIGNATURE);
	ok &= in(0x511, 1) == 'Q' && in(0x511, 2) == 0xffff;
	tap_ok(ok, "fw_cfg: unknown keys read 0; byte writes neither select nor write; selecting rewinds");

	out(0xcf8, 4, 0x80000000);
	ok = in(0xcf8, 4) == 0x80000000;
	out(0xcf8, 4, 0xffffffff);
	ok &= in(0xcf8, 4) == 0x80fffffc;
	out(0xcf8, 1, 0x00);	/* not a dword: plain I/O */
	out(0xcf8, 2, 0x0000);
	ok &= in(0xcf8, 4) == 0x80fffffc && in(0xcf8, 1) == 0xff;
	tap_ok(ok, "PCI: only a dword write loads CONFIG_ADDRESS, which reads back (reserved bits 0)");
	ok = true;
	for (unsigned int devfn = 0; devfn < 256; devfn++) {
		out(0xcf8, 4, 0x80000000 | devfn << 8);
		ok &= in(0xcfc, 4) == 0xffffffff && in(0xcfc, 2) == 0xffff &&
		      in(0xcfe, 2) == 0xffff && in(0xcfd, 1) == 0xff;
	}
	out(0xcf8, 4, 0x80ff0000);	/* bus 255 */
	ok &= in(0xcfc, 4) == 0xffffffff;
	tap_ok(ok, "PCI: every function of bus 0 (and bus 255) reads vendor 0xFFFF, no device");
	out(0xcf8, 4, 0x80000004);
	out(0xcfc, 4, 0x7);	/* command register of 00:00.0 */
	ok = in(0xcfc, 4) == 0xffffffff;
	out(0xcf8, 4, 0x00000000);	/* enable clear: no config cycle */
	ok &= in(0xcfc, 4) == 0xffffffff;
	tap_ok(ok, "PCI: configuration writes are dropped; no cycle without the enable bit");

	out(0x80, 1, 0x5a);
	tap_ok(in(0x80, 1) == 0x5a, "POST port: a read gives the last byte written");
	tap_ok(in(0x80, 4) == 0xffffff5a,
	       "a dword read of a one-byte register: its byte, then all ones past it");

	ok = true;
	for (const char *p = "ShutXdownShutdow"; *p; p++)
		ok &= out(0x8900, 1, *p) == 0;
	tap_ok(ok && !stub.exits, "shutdown port: a broken or unfinished \"Shutdown\" does nothing");
	r = out(0x8900, 1, 'n');
	tap_ok(r == IO_BUS_STOP && stub.exits == 1 && stub.exit_status == 0,
	       "shutdown port: \"Shutdown\" ends the guest with status 0");
	for (const char *p = "SShutdown"; *p; p++)
		r = out(0x8900, 1, *p);
	tap_ok(r == IO_BUS_STOP && stub.exits == 2, "shutdown port: a repeated S restarts the match");
	tap_ok(in(0x8900, 1) == 0xff, "shutdown port: reads find nothing");
	return tap_done();
}
