// SPDX-License-Identifier: MIT
/*
 * The Multiboot v1 information area and module placement (see
 * vmm/loader/mb1_layout.h). Everything is written into a host buffer at
 * its offset from MB1_GPA_INFO; pointers in it are guest-physical.
 */
#include "vmm/loader/mb1_layout.h"
#include "vmm/loader/acpi_tables.h"
#include "kernel/log.h"
#include "kernel/string.h"

#define SZ_1M		0x100000ULL
#define EBDA_GPA	0x9fc00ULL
#define AREA_OFF(gpa)	((gpa) - MB1_GPA_INFO)

unsigned int mb1_build_mmap(struct mb1_mmap_entry *e, unsigned int max,
			    u64 mem_size)
{
	const struct { u64 base, len; u32 type; } map[] = {
		{ 0, EBDA_GPA, MB1_MEM_RAM },
		{ EBDA_GPA, 0xa0000 - EBDA_GPA, MB1_MEM_RESERVED },
		/* The BIOS area, where the ACPI tables are. */
		{ ACPI_GUEST_GPA, ACPI_GUEST_AREA_END - ACPI_GUEST_GPA,
		  MB1_MEM_RESERVED },
		{ SZ_1M, mem_size - SZ_1M, MB1_MEM_RAM },
		{ ACPI_GUEST_IOAPIC_GPA, 0x1000, MB1_MEM_RESERVED },
		{ ACPI_GUEST_LAPIC_GPA, 0x1000, MB1_MEM_RESERVED },
	};
	unsigned int n = 0;

	for (unsigned int i = 0; i < ARRAY_SIZE(map) && n < max; i++, n++)
		e[n] = (struct mb1_mmap_entry){ MB1_MMAP_ENTRY_SIZE,
						map[i].base, map[i].len,
						map[i].type };
	return n;
}

/* Copy @s with its NUL to area offset @*off; false if past @limit. */
static bool put_string(u8 *area, u32 *off, u32 limit, const char *s)
{
	size_t len = strlen(s) + 1;

	if (len > limit - *off)
		return false;
	memcpy(area + *off, s, len);
	*off += (u32)len;
	return true;
}

bool mb1_layout_build(const struct mb1_layout_in *in, u8 *area,
		      u64 *mod_gpa, char *err, size_t errlen)
{
	struct mb1_mmap_entry mmap[MB1_MAX_MMAP];
	unsigned int nr_mmap = mb1_build_mmap(mmap, MB1_MAX_MMAP, in->mem_size);
	struct mb1_info mbi = {
		.flags = MB1_INFO_MEM | MB1_INFO_CMDLINE | MB1_INFO_MMAP |
			 MB1_INFO_LOADER_NAME,
		.mem_lower = EBDA_GPA >> 10,
		.mem_upper = (u32)((in->mem_size - SZ_1M) >> 10),
		.cmdline = MB1_GPA_CMDLINE,
		.mmap_length = nr_mmap * sizeof(mmap[0]),
		.mmap_addr = MB1_GPA_MMAP,
		.boot_loader_name = MB1_GPA_LOADER_NAME,
	};
	u32 off = AREA_OFF(MB1_GPA_CMDLINE);
	/* Modules start on the first page after the image (and 1 MiB). */
	u64 next = ALIGN_UP(MAX(in->image_hi, SZ_1M), (u64)PAGE_SIZE);

	BUILD_BUG_ON(sizeof(struct mb1_info) != 88);
	BUILD_BUG_ON(sizeof(struct mb1_mmap_entry) != 24);
	BUILD_BUG_ON(MB1_GPA_INFO + sizeof(struct mb1_info) > MB1_GPA_LOADER_NAME);
	BUILD_BUG_ON(MB1_GPA_LOADER_NAME + sizeof(MB1_LOADER_NAME) > MB1_GPA_MMAP);
	BUILD_BUG_ON(MB1_GPA_MMAP + MB1_MAX_MMAP * sizeof(struct mb1_mmap_entry) >
		     MB1_GPA_MODS);
	BUILD_BUG_ON(MB1_GPA_MODS + MB1_MAX_MODULES * sizeof(struct mb1_module) >
		     MB1_GPA_CMDLINE);
	BUILD_BUG_ON(MB1_GPA_MOD_STRINGS + MB1_MAX_MODULES * HV_MODULE_STRING_MAX >
		     MB1_GPA_AREA_END);
	memset(area, 0, MB1_AREA_SIZE);
	if (in->mem_size <= SZ_1M || in->mem_size > 0xfec00000ULL) {
		ksnprintf(err, errlen, "guest memory of %llu bytes is not in (1M, 4G)",
			  (unsigned long long)in->mem_size);
		return false;
	}
	if (!put_string(area, &off, AREA_OFF(MB1_GPA_MOD_STRINGS), in->cmdline)) {
		ksnprintf(err, errlen, "the Multiboot command line is longer than %u bytes",
			  MB1_GPA_MOD_STRINGS - MB1_GPA_CMDLINE - 1);
		return false;
	}
	off = AREA_OFF(MB1_GPA_LOADER_NAME);
	put_string(area, &off, AREA_OFF(MB1_GPA_MMAP), MB1_LOADER_NAME);
	memcpy(area + AREA_OFF(MB1_GPA_MMAP), mmap, mbi.mmap_length);

	if (in->nr_mods > MB1_MAX_MODULES) {
		ksnprintf(err, errlen,
			  "%u modules (module_for=) for one guest; at most %u",
			  in->nr_mods, MB1_MAX_MODULES);
		return false;
	}
	off = AREA_OFF(MB1_GPA_MOD_STRINGS);
	for (unsigned int i = 0; i < in->nr_mods; i++) {
		const struct mb1_module_src *m = &in->mods[i];
		struct mb1_module e = {
			.mod_start = (u32)next,
			.string = MB1_GPA_INFO + off,
		};

		if (m->size > in->mem_size || next > in->mem_size - m->size) {
			ksnprintf(err, errlen,
				  "module %u ('%.40s', %llu KiB) does not fit: modules go after the image, from %#llx, and mem= ends at %#llx",
				  i, m->string,
				  (unsigned long long)(m->size + 1023) >> 10,
				  (unsigned long long)ALIGN_UP(MAX(in->image_hi, SZ_1M),
							       (u64)PAGE_SIZE),
				  (unsigned long long)in->mem_size);
			return false;
		}
		if (!put_string(area, &off, MB1_AREA_SIZE, m->string)) {
			ksnprintf(err, errlen, "module %u: string too long", i);
			return false;
		}
		mod_gpa[i] = next;
		e.mod_end = (u32)(next + m->size);
		memcpy(area + AREA_OFF(MB1_GPA_MODS) + i * sizeof(e), &e,
		       sizeof(e));
		next = ALIGN_UP(next + m->size, (u64)PAGE_SIZE);
	}
	if (in->nr_mods) {
		mbi.flags |= MB1_INFO_MODS;
		mbi.mods_count = in->nr_mods;
		mbi.mods_addr = MB1_GPA_MODS;
	}
	memcpy(area, &mbi, sizeof(mbi));
	return true;
}
