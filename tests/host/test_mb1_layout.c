// SPDX-License-Identifier: MIT
/*
 * vmm/loader/mb1_layout.c read back as a Multiboot v1 kernel would: the
 * information area is built into a copy of guest memory and walked from
 * the info structure's pointers - memory sizes, the memory map stepped
 * by size + 4, the command line, the loader name, the module list and
 * each module's string - then the refusals (a module past mem=, too many
 * modules, a command line too long).
 */
// host-srcs: vmm/loader/mb1_layout.c
#include "vmm/loader/mb1_layout.h"
#include "vmm/loader/acpi_tables.h"
#include "tests/host/platform_host.h"
#include "tests/host/tap.h"

#include <stdlib.h>
#include <string.h>

#define MEM		(4ULL << 20)
#define IMAGE_LO	0x100000ULL
#define IMAGE_HI	0x105123ULL	/* not page-aligned on purpose */

static u8 area[MB1_AREA_SIZE];

/* A pointer from the info structure into the area, or NULL. */
static const void *at(u32 gpa, u32 len)
{
	if (gpa < MB1_GPA_INFO || gpa > MB1_GPA_AREA_END ||
	    len > MB1_GPA_AREA_END - gpa)
		return NULL;
	return area + (gpa - MB1_GPA_INFO);
}

static bool str_at(u32 gpa, const char *want)
{
	const char *s = at(gpa, (u32)strlen(want) + 1);

	return s && !strcmp(s, want);
}

static void check_mmap(const struct mb1_info *mbi, u64 mem)
{
	static const struct { u64 base, len; u32 type; } want[] = {
		{ 0, 0x9fc00, 1 }, { 0x9fc00, 0x400, 2 }, { 0xf0000, 0x10000, 2 },
		{ 0x100000, 0, 1 }, { 0xfec00000, 0x1000, 2 }, { 0xfee00000, 0x1000, 2 },
	};
	unsigned int n = 0;
	bool fields = true, ordered = true;
	u64 prev_end = 0, ram = 0;
	u32 off;

	tap_ok(mbi->flags & MB1_INFO_MMAP, "mmap: flag 6 set");
	/* As a kernel walks it: size excludes the size field itself. */
	for (off = 0; off + 4 <= mbi->mmap_length; n++) {
		const struct mb1_mmap_entry *e = at(mbi->mmap_addr + off, sizeof(*e));

		if (!e || e->size != 20 || n >= ARRAY_SIZE(want)) {
			fields = false;
			break;
		}
		fields &= e->base == want[n].base && e->type == want[n].type &&
			  e->len == (want[n].len ? want[n].len : mem - 0x100000);
		ordered &= e->base >= prev_end && e->len;
		prev_end = e->base + e->len;
		if (e->type == 1)
			ram += e->len;
		off += e->size + 4;
	}
	tap_ok(fields && n == ARRAY_SIZE(want) && off == mbi->mmap_length,
	       "mmap: %u entries of size 20 tile mmap_length %u exactly", n,
	       mbi->mmap_length);
	tap_ok(ordered, "mmap: sorted, no overlap, nothing empty");
	tap_ok(ram == 0x9fc00 + mem - 0x100000, "mmap: RAM is low memory + [1M, mem)");
	tap_ok(mbi->mem_lower == 639 && mbi->mem_upper == (mem - 0x100000) >> 10,
	       "mem_lower 639, mem_upper %u KiB", mbi->mem_upper);
}

int main(void)
{
	static const char cmd[] = "mb1 -- a b";
	static u8 big;
	const struct mb1_module_src mods[] = {
		{ &big, 5000, "first module" },
		{ &big, 0, "" },
		{ &big, 4096, "third -- x" },
	};
	struct mb1_module_src many[MB1_MAX_MODULES + 1];
	struct mb1_layout_in in = {
		.mem_size = MEM, .image_lo = IMAGE_LO, .image_hi = IMAGE_HI,
		.cmdline = cmd, .mods = mods, .nr_mods = ARRAY_SIZE(mods),
	};
	const struct mb1_info *mbi = (const void *)area;
	u64 gpa[MB1_MAX_MODULES + 1];
	char err[224], longcmd[MB1_GPA_MOD_STRINGS - MB1_GPA_CMDLINE + 1];

	tap_plan(26);
	tap_ok(mb1_layout_build(&in, area, gpa, err, sizeof(err)),
	       "three modules: built");
	tap_ok((mbi->flags & (MB1_INFO_MEM | MB1_INFO_CMDLINE | MB1_INFO_MODS |
			      MB1_INFO_LOADER_NAME)) ==
	       (MB1_INFO_MEM | MB1_INFO_CMDLINE | MB1_INFO_MODS | MB1_INFO_LOADER_NAME),
	       "flags: memory, command line, modules, loader name");
	tap_ok(str_at(mbi->cmdline, cmd), "command line");
	tap_ok(str_at(mbi->boot_loader_name, "microhv"), "loader name");
	check_mmap(mbi, MEM);
	tap_ok(mbi->mods_count == 3 && mbi->mods_addr == MB1_GPA_MODS,
	       "mods_count 3 at MB1_GPA_MODS");
	{
		const struct mb1_module *m = at(mbi->mods_addr, 3 * sizeof(*m));
		bool place = true, strings = true;
		u64 prev_end = IMAGE_HI;

		for (unsigned int i = 0; m && i < 3; i++) {
			place &= (m[i].mod_start & 0xfff) == 0 &&
				 m[i].mod_start >= prev_end &&
				 m[i].mod_start == gpa[i] &&
				 m[i].mod_end - m[i].mod_start == mods[i].size &&
				 m[i].mod_end <= MEM;
			strings &= str_at(m[i].string, mods[i].string);
			prev_end = m[i].mod_end;
		}
		tap_ok(m && place, "modules: page-aligned, in order, after the image, sizes kept");
		tap_ok(m && m[0].mod_start == 0x106000, "first module on the first page after the image");
		tap_ok(m && strings, "modules: each string is its own");
		tap_ok(m && m[0].string != m[1].string && m[1].string != m[2].string,
		       "modules: strings do not share storage");
	}

	in.nr_mods = 0;
	tap_ok(mb1_layout_build(&in, area, gpa, err, sizeof(err)) &&
	       !(mbi->flags & MB1_INFO_MODS) && mbi->mods_count == 0,
	       "no modules: flag 3 clear, count 0");

	/* A module ending exactly at mem= fits; one byte more does not. */
	{
		struct mb1_module_src fit = { &big, MEM - 0x106000, "fit" };

		in.mods = &fit;
		in.nr_mods = 1;
		tap_ok(mb1_layout_build(&in, area, gpa, err, sizeof(err)) &&
		       gpa[0] == 0x106000, "a module ending at mem= fits");
		fit.size++;
		tap_ok(!mb1_layout_build(&in, area, gpa, err, sizeof(err)) &&
		       strstr(err, "module 0 ('fit',") && strstr(err, "does not fit"),
		       "one byte more: refused: %s", err);
		fit.size = ~0ULL - 10;
		tap_ok(!mb1_layout_build(&in, area, gpa, err, sizeof(err)) &&
		       strstr(err, "does not fit"), "a size that wraps: refused");
	}
	for (unsigned int i = 0; i <= MB1_MAX_MODULES; i++)
		many[i] = (struct mb1_module_src){ &big, 1, "m" };
	in.mods = many;
	in.nr_mods = MB1_MAX_MODULES;
	tap_ok(mb1_layout_build(&in, area, gpa, err, sizeof(err)) &&
	       gpa[MB1_MAX_MODULES - 1] == 0x106000 + (MB1_MAX_MODULES - 1) * 0x1000,
	       "%u modules: built, one page each", MB1_MAX_MODULES);
	in.nr_mods = MB1_MAX_MODULES + 1;
	tap_ok(!mb1_layout_build(&in, area, gpa, err, sizeof(err)) &&
	       strstr(err, "at most 8"), "%u modules: refused: %s",
	       MB1_MAX_MODULES + 1, err);
	in.nr_mods = 0;
	memset(longcmd, 'x', sizeof(longcmd) - 1);
	longcmd[sizeof(longcmd) - 1] = 0;
	in.cmdline = longcmd;
	tap_ok(!mb1_layout_build(&in, area, gpa, err, sizeof(err)) &&
	       strstr(err, "command line is longer"), "a command line of %u bytes: refused",
	       (unsigned int)sizeof(longcmd) - 1);
	/* One byte less fits: kvm-unit-tests' vmx options are ~500 bytes. */
	longcmd[sizeof(longcmd) - 2] = 0;
	tap_ok(mb1_layout_build(&in, area, gpa, err, sizeof(err)) &&
	       !strcmp((const char *)at(MB1_GPA_CMDLINE, 1), longcmd),
	       "a command line of %u bytes fits, intact", (unsigned int)sizeof(longcmd) - 2);
	in.cmdline = cmd;
	in.mem_size = 0x100000;
	tap_ok(!mb1_layout_build(&in, area, gpa, err, sizeof(err)),
	       "1 MiB of memory: refused");

	/* Strings of the longest allowed length all fit the area. */
	{
		static char s[MB1_MAX_MODULES][HV_MODULE_STRING_MAX];
		bool ok = true;

		for (unsigned int i = 0; i < MB1_MAX_MODULES; i++) {
			memset(s[i], 'a' + i, HV_MODULE_STRING_MAX - 1);
			many[i].string = s[i];
		}
		in.mem_size = MEM;
		in.nr_mods = MB1_MAX_MODULES;
		ok = mb1_layout_build(&in, area, gpa, err, sizeof(err));
		for (unsigned int i = 0; ok && i < MB1_MAX_MODULES; i++) {
			const struct mb1_module *m = at(MB1_GPA_MODS + i * 16, 16);

			ok = m && str_at(m->string, s[i]);
		}
		tap_ok(ok, "8 strings of 255 bytes fit the area");
	}
	{
		struct mb1_mmap_entry e[MB1_MAX_MMAP];

		tap_ok(mb1_build_mmap(e, 3, MEM) == 3, "mmap: stops at the room given");
		tap_ok(mb1_build_mmap(e, MB1_MAX_MMAP, MEM) == 6 &&
		       e[2].base == ACPI_GUEST_GPA &&
		       e[2].base + e[2].len == ACPI_GUEST_AREA_END,
		       "mmap: the ACPI tables' area is reserved");
	}
	return tap_done();
}
