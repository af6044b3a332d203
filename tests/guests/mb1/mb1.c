// SPDX-License-Identifier: MIT
/*
 * A Multiboot v1 test kernel, as an ordinary PC kernel would be: no
 * hypercalls, only the UART at 0x3f8 and the exit port 0xf4. It checks
 * what the specification promises at entry - EAX = 0x2BADB002, the
 * information structure's memory sizes, command line, memory map and
 * modules - and what a PC offers: the ACPI RSDP found by scanning the
 * BIOS area, the MADT's CPUs and IOAPIC. It prints KTAP over the UART and
 * writes its status (0 = pass) to 0xf4.
 *
 * Options (its command line): mods=N, the modules it must find (default
 * 0), cpus=N, the enabled LAPICs the MADT must list (default 1). A module
 * whose string is "self" must hold this kernel's own loaded bytes (the
 * flat build passes its own image); any other module with string S must
 * hold exactly "module S\n".
 */
#include <stdbool.h>
#include <stdint.h>

#define MB1_BOOT_MAGIC	0x2BADB002u

struct mb1_info {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
	uint32_t mods_count, mods_addr, syms[4], mmap_length, mmap_addr;
	uint32_t drives_length, drives_addr, config_table, boot_loader_name;
};

struct mb1_module {
	uint32_t start, end, string, reserved;
};

struct mb1_mmap {
	uint32_t size;
	uint64_t base, len;
	uint32_t type;
} __attribute__((packed));

static unsigned int nr, failed;
extern char __load_start[], __load_end[], __bss_end[];

static int memcmp(const void *a, const void *b, uint32_t n)
{
	const uint8_t *x = a, *y = b;

	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

static uint32_t strlen(const char *s)
{
	uint32_t n = 0;

	while (s[n])
		n++;
	return n;
}

static uint8_t sum8(const void *p, uint32_t len)
{
	const uint8_t *b = p;
	uint8_t s = 0;

	while (len--)
		s += *b++;
	return s;
}

/* The value of word "key=N" on the command line, or @def. */
static uint32_t option(const char *cmdline, const char *key, uint32_t def)
{
	uint32_t klen = strlen(key);

	for (const char *p = cmdline; p && *p; p++) {
		uint32_t v = 0;

		if ((p != cmdline && p[-1] != ' ') || memcmp(p, key, klen) ||
		    p[klen] != '=')
			continue;
		for (p += klen + 1; *p >= '0' && *p <= '9'; p++)
			v = v * 10 + (*p - '0');
		return v;
	}
	return def;
}

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

static const char *cmdline_of(const struct mb1_info *mbi)
{
	return (mbi->flags & 4) ? (const char *)(uintptr_t)mbi->cmdline : "";
}

/* Count, placement, strings and bytes of the modules. */
static void check_modules(const struct mb1_info *mbi)
{
	uint32_t want = option(cmdline_of(mbi), "mods", 0);
	uint32_t count = (mbi->flags & 8) ? mbi->mods_count : 0;
	uint32_t top = 0x100000 + mbi->mem_upper * 1024, prev_end;
	const struct mb1_module *m = (const void *)(uintptr_t)mbi->mods_addr;
	bool placed = true, contents = true;

	result(count == want, "module_count");
	if (count != want) {
		puts("# mb1: ");
		putu(count);
		puts(" modules, wanted ");
		putu(want);
		putc('\n');
	}
	/* Page-aligned, in order, after this kernel's bss, below the top. */
	prev_end = (uint32_t)(uintptr_t)__bss_end;
	for (uint32_t i = 0; i < count; i++) {
		const char *str = (const char *)(uintptr_t)m[i].string;
		const uint8_t *data = (const uint8_t *)(uintptr_t)m[i].start;
		uint32_t len = m[i].end - m[i].start;

		placed &= (m[i].start & 0xfff) == 0 && m[i].start >= prev_end &&
			  m[i].end >= m[i].start && m[i].end <= top &&
			  m[i].string != 0;
		prev_end = m[i].end;
		if (!placed)
			break;
		puts("# mb1: module '");
		puts(str);
		puts("', ");
		putu(len);
		puts(" bytes\n");
		if (!memcmp(str, "self", 5)) {
			contents &= len == (uint32_t)(__load_end - __load_start) &&
				    !memcmp(data, __load_start, len);
		} else {
			uint32_t slen = strlen(str);

			contents &= len == slen + 8 && !memcmp(data, "module ", 7) &&
				    !memcmp(data + 7, str, slen) && data[len - 1] == '\n';
		}
	}
	result(placed && contents, "module_placement_and_contents");
}

/* The RSDP as a PC kernel finds it: "RSD PTR " on a 16-byte boundary. */
static const uint8_t *find_rsdp(void)
{
	for (uintptr_t a = 0xe0000; a < 0x100000; a += 16)
		if (!memcmp((const void *)a, "RSD PTR ", 8) &&
		    sum8((const void *)a, 20) == 0)
			return (const uint8_t *)a;
	return 0;
}

static uint32_t get32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static void check_acpi(const struct mb1_info *mbi)
{
	const uint8_t *rsdp = find_rsdp(), *rsdt, *madt = 0;
	uint32_t want = option(cmdline_of(mbi), "cpus", 1), lapics = 0;
	bool ioapic = false, reserved = false;

	result(rsdp && rsdp[15] == 2 && sum8(rsdp, 36) == 0, "acpi_rsdp");
	if (rsdp) {
		rsdt = (const uint8_t *)(uintptr_t)get32(rsdp + 16);
		if (!memcmp(rsdt, "RSDT", 4) && sum8(rsdt, get32(rsdt + 4)) == 0)
			for (uint32_t off = 36; off + 4 <= get32(rsdt + 4); off += 4) {
				const uint8_t *t = (const uint8_t *)(uintptr_t)get32(rsdt + off);

				if (!memcmp(t, "APIC", 4) && sum8(t, get32(t + 4)) == 0)
					madt = t;
			}
	}
	if (madt) {
		for (uint32_t off = 44; off + 2 <= get32(madt + 4) && madt[off + 1] >= 2;
		     off += madt[off + 1]) {
			lapics += madt[off] == 0 && (madt[off + 4] & 1);
			ioapic |= madt[off] == 1 && get32(madt + off + 4) == 0xfec00000;
		}
	}
	puts("# mb1: MADT lists ");
	putu(lapics);
	puts(" enabled CPUs\n");
	result(madt && lapics == want && ioapic, "acpi_madt_cpus_and_ioapic");
	/* The memory map keeps the tables out of RAM. */
	for (uint32_t off = 0; rsdp && (mbi->flags & 64) && off < mbi->mmap_length;) {
		const struct mb1_mmap *e = (const void *)(uintptr_t)(mbi->mmap_addr + off);

		reserved |= e->type == 2 && e->base <= (uintptr_t)rsdp &&
			    e->base + e->len >= (uintptr_t)madt + 1;
		off += e->size + 4;
	}
	result(reserved, "memory_map_reserves_acpi");
}

void mb1_main(uint32_t magic, const struct mb1_info *mbi)
{
	uint64_t ram = 0;
	bool mmap_ok = false;

	puts("KTAP version 1\n1..10\n");
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
	check_modules(mbi);
	check_acpi(mbi);
	outb(0xf4, failed ? 1 : 0);
}
