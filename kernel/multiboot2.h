/* SPDX-License-Identifier: MIT */
/*
 * Multiboot2 boot information, parsed once into struct boot_info.
 */
#ifndef KERNEL_MULTIBOOT2_H
#define KERNEL_MULTIBOOT2_H

#include "kernel/compiler.h"
#include "mm/page_alloc.h"

#define MB2_BOOTLOADER_MAGIC	0x36d76289

#define BOOT_MAX_RANGES		128
#define BOOT_MAX_MODULES	32

struct boot_module {
	phys_addr_t start, end;		/* [start, end) */
	const char *cmdline;		/* inside the boot information */
};

struct boot_info {
	phys_addr_t mbi_start, mbi_end;
	const char *cmdline;		/* "" when absent */
	const char *bootloader;

	bool have_meminfo;
	u32 mem_lower_kb, mem_upper_kb;

	/* From the BIOS or EFI memory map (the first one found wins). */
	bool have_mmap;
	struct phys_range usable[BOOT_MAX_RANGES];
	unsigned int nr_usable;
	struct phys_range reserved[BOOT_MAX_RANGES];	/* non-usable RAM */
	unsigned int nr_reserved;
	phys_addr_t max_phys;		/* end of the highest map entry */
	phys_addr_t ram_end;		/* end of the highest usable/ACPI one */
	u64 usable_bytes;

	struct boot_module modules[BOOT_MAX_MODULES];
	unsigned int nr_modules;

	const void *rsdp;		/* copy inside the tag, or NULL */
	bool rsdp_v2;

	bool have_elf_sections;
	u32 elf_num, elf_entsize, elf_shndx;
	const void *elf_shdrs;

	bool have_framebuffer;
	u64 fb_addr;
	u32 fb_pitch, fb_width, fb_height;
	u8 fb_bpp, fb_type;

	unsigned int nr_problems;	/* garbled input reported */
};

extern struct boot_info boot_info;

/*
 * Parse the information at @mbi_phys into @bi (logging what it finds).
 * Returns false when the structure is unusable as a whole.
 */
bool mb2_parse(phys_addr_t mbi_phys, struct boot_info *bi);

/* Range helpers shared with the tests. */
void mb2_add_range(struct phys_range *r, unsigned int *nr, unsigned int max,
		   phys_addr_t start, phys_addr_t end);

#endif
