// SPDX-License-Identifier: MIT
/*
 * A Multiboot v1 test kernel, as an ordinary PC kernel would be: no
 * hypercalls, only the UART at 0x3f8 and the exit port 0xf4. It checks
 * what the specification promises at entry - EAX = 0x2BADB002, the
 * information structure's memory sizes, command line and memory map -
 * prints KTAP over the UART and writes its status (0 = pass) to 0xf4.
 */
#include <stdbool.h>
#include <stdint.h>

#define MB1_BOOT_MAGIC	0x2BADB002u

struct mb1_info {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
	uint32_t mods_count, mods_addr, syms[4], mmap_length, mmap_addr;
	uint32_t drives_length, drives_addr, config_table, boot_loader_name;
};

struct mb1_mmap {
	uint32_t size;
	uint64_t base, len;
	uint32_t type;
} __attribute__((packed));

static unsigned int nr, failed;

static void outb(uint16_t port, uint8_t v)
{
	asm volatile("outb %0, %1" :: "a"(v), "Nd"(port));
}

static uint8_t inb(uint16_t port)
{
	uint8_t v;

	asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static void putc(char c)
{
	for (int i = 0; i < 100000 && !(inb(0x3fd) & 0x20); i++)
		;
	outb(0x3f8, c);
}

static void puts(const char *s)
{
	while (*s)
		putc(*s++);
}

static void putu(uint32_t v)
{
	char b[12];
	int n = 0;

	do {
		b[n++] = '0' + v % 10;
		v /= 10;
	} while (v);
	while (n)
		putc(b[--n]);
}

static void result(bool ok, const char *name)
{
	puts(ok ? "ok " : "not ok ");
	putu(++nr);
	putc(' ');
	puts(name);
	putc('\n');
	failed += !ok;
}

void mb1_main(uint32_t magic, const struct mb1_info *mbi)
{
	uint64_t ram = 0;
	bool mmap_ok = false;

	puts("KTAP version 1\n1..5\n");
	result(magic == MB1_BOOT_MAGIC, "eax_magic");
	if (magic != MB1_BOOT_MAGIC) {
		outb(0xf4, 1);
		return;
	}
	result((mbi->flags & 1) && mbi->mem_lower >= 600 &&
	       mbi->mem_upper >= 1024, "mem_lower_upper");
	result((mbi->flags & 4) && mbi->cmdline &&
	       ((const char *)(uintptr_t)mbi->cmdline)[0] != 0, "cmdline");
	if (mbi->flags & 64) {
		for (uint32_t off = 0; off < mbi->mmap_length;) {
			const struct mb1_mmap *e = (const void *)(uintptr_t)
				(mbi->mmap_addr + off);

			if (e->type == 1)
				ram += e->len;
			off += e->size + 4;
		}
		mmap_ok = ram >= (uint64_t)mbi->mem_upper * 1024;
	}
	result(mmap_ok, "memory_map");
	puts("# mb1: cmdline '");
	if (mbi->flags & 4)
		puts((const char *)(uintptr_t)mbi->cmdline);
	puts("', upper memory ");
	putu(mbi->mem_upper);
	puts(" KiB\n");
	/* A write to every byte of upper memory's last page must stick. */
	{
		volatile uint32_t *p = (volatile uint32_t *)(uintptr_t)
			(0x100000 + mbi->mem_upper * 1024 - 4);

		*p = 0xfeedf00d;
		result(*p == 0xfeedf00d, "top_of_memory_writable");
	}
	outb(0xf4, failed ? 1 : 0);
}
