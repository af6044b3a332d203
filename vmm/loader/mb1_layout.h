/* SPDX-License-Identifier: MIT */
/*
 * Where a Multiboot v1 kernel finds what its loader promises (Multiboot
 * 0.6.96, section 3.3), and where its modules go. Pure: the information
 * structure, command line, loader name, memory map, module list and
 * module strings are laid out as the bytes of one low-memory area
 * [MB1_GPA_INFO, MB1_GPA_AREA_END) that the loader copies to the guest,
 * and each module gets a guest-physical place; nothing touches a guest.
 *
 * Guest-physical layout of a Multiboot guest:
 *   0x5000             GDT (loader.c)
 *   0x6000-0x6fff      this area: info, name, mmap, modules, cmdline,
 *                      module strings
 *   0x8000-0x70000     a kernel that loads low (GRUB allows it;
 *                      kvm-unit-tests' realmode.flat sits at 0x8000)
 *   0x70000-0x80000    the initial stack
 *   0x9fc00-0xa0000    reserved (EBDA) in the memory map
 *   0xf0000-0x100000   reserved: BIOS area, ACPI tables (acpi_tables.h)
 *   image              [load_lo, load_hi), at 1 MiB or above
 *   modules            page-aligned, in GRUB order, from the first page
 *                      after the image up to mem= (never over the image,
 *                      the area above or the ACPI tables, which are all
 *                      below the image)
 *   0xfec00000, 0xfee00000  IOAPIC, LAPIC: reserved in the memory map
 */
#ifndef VMM_LOADER_MB1_LAYOUT_H
#define VMM_LOADER_MB1_LAYOUT_H

#include "kernel/compiler.h"
#include "include/uapi/hv_abi.h"

#define MB1_GPA_INFO		0x6000	/* 88 bytes */
#define MB1_GPA_LOADER_NAME	0x6080
#define MB1_GPA_MMAP		0x60c0	/* MB1_MAX_MMAP x 24 bytes */
#define MB1_GPA_MODS		0x6180	/* MB1_MAX_MODULES x 16 bytes */
/* The guest options, up to HV_CMDLINE_MAX (kvm-unit-tests' vmx: ~500). */
#define MB1_GPA_CMDLINE		0x6200
#define MB1_GPA_MOD_STRINGS	0x6680	/* MB1_MAX_MODULES x 256 bytes */
#define MB1_GPA_AREA_END	0x7000
/* Where a Multiboot kernel may load below 1 MiB (the loader's own above). */
#define MB1_LOW_LOAD_MIN	0x8000
#define MB1_LOW_LOAD_END	0x70000
#define MB1_AREA_SIZE		(MB1_GPA_AREA_END - MB1_GPA_INFO)
#define MB1_STACK_TOP		0x80000
#define MB1_LOADER_NAME		"microhv"

/* Modules per guest: their strings must fit the area (8 x HV_MODULE_STRING_MAX). */
#define MB1_MAX_MODULES		8
#define MB1_MAX_MMAP		8

/* struct multiboot_info as the Multiboot 0.6.96 specification lays it out. */
struct mb1_info {
	u32 flags;
	u32 mem_lower, mem_upper;
	u32 boot_device;
	u32 cmdline;
	u32 mods_count, mods_addr;
	u32 syms[4];
	u32 mmap_length, mmap_addr;
	u32 drives_length, drives_addr;
	u32 config_table;
	u32 boot_loader_name;
	u32 apm_table;
	u32 vbe_control_info, vbe_mode_info;
	u16 vbe_mode, vbe_interface_seg, vbe_interface_off, vbe_interface_len;
} __attribute__((packed));

#define MB1_INFO_MEM		BIT(0)
#define MB1_INFO_CMDLINE	BIT(2)
#define MB1_INFO_MODS		BIT(3)
#define MB1_INFO_MMAP		BIT(6)
#define MB1_INFO_LOADER_NAME	BIT(9)

/*
 * A memory map entry. @size counts the bytes after itself (20), so a
 * kernel steps to the next entry by size + 4.
 */
struct mb1_mmap_entry {
	u32 size;
	u64 base, len;
	u32 type;
} __attribute__((packed));

#define MB1_MMAP_ENTRY_SIZE	(sizeof(struct mb1_mmap_entry) - 4)
#define MB1_MEM_RAM		1
#define MB1_MEM_RESERVED	2

/* One entry of the module list at mods_addr. */
struct mb1_module {
	u32 mod_start, mod_end;	/* [start, end) */
	u32 string;		/* NUL-terminated */
	u32 reserved;
} __attribute__((packed));

/* A module to give the kernel: its bytes and its string. */
struct mb1_module_src {
	const void *data;
	u64 size;
	const char *string;	/* the text after "--", maybe empty */
};

struct mb1_layout_in {
	u64 mem_size;			/* guest RAM [0, mem_size) */
	u64 image_lo, image_hi;		/* what the image occupies */
	const char *cmdline;		/* the whole Multiboot command line */
	const struct mb1_module_src *mods;
	unsigned int nr_mods;
};

/*
 * Fill @area (MB1_AREA_SIZE bytes, the guest's [MB1_GPA_INFO,
 * MB1_GPA_AREA_END)) and @mod_gpa[0 .. nr_mods - 1] (where each module's
 * bytes go). False with one line in @err when a module does not fit
 * below mem_size, there are too many, or a string or the command line is
 * too long.
 */
bool mb1_layout_build(const struct mb1_layout_in *in, u8 *area,
		      u64 *mod_gpa, char *err, size_t errlen);

/* The memory map for @mem_size bytes of RAM; returns the entry count. */
unsigned int mb1_build_mmap(struct mb1_mmap_entry *e, unsigned int max,
			    u64 mem_size);

#endif
