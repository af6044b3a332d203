/* SPDX-License-Identifier: MIT */
/*
 * The guest loader: recognises a guest image, copies it into guest
 * memory and decides how every vCPU starts (struct vcpu_boot_state).
 *
 * Two formats:
 *  - ELF64 test guests (tests/guests/): started in 64-bit mode on page
 *    tables, a GDT, per-vCPU stacks and a boot-information block that the
 *    loader builds at the addresses of include/uapi/hv_abi.h. Every
 *    vCPU enters at the ELF entry with RDI = its index and RSI = the GPA
 *    of struct hv_boot_info.
 *  - Multiboot v1 kernels (ELF32, or any image with the a.out kludge
 *    address fields), started in 32-bit protected mode with paging off,
 *    EAX = 0x2BADB002 and EBX = the Multiboot information structure. Only
 *    vCPU 0 starts; the others wait for a SIPI that never comes (a
 *    Multiboot kernel brings up its APs itself).
 *
 * Use: loader_probe() on the module bytes (no guest needed: it tells how
 * much memory the image needs and whether it is 64-bit), create the
 * guest, then loader_load(). Both check everything they read from the
 * image and fail with one line in @err naming what is wrong.
 */
#ifndef VMM_LOADER_H
#define VMM_LOADER_H

#include "kernel/types.h"
#include "vmm/boot_state.h"
#include "vmm/loader/guest_cmdline.h"
#include "vmm/loader/mb1_layout.h"

struct guest;

enum guest_format {
	GUEST_FMT_NONE,
	GUEST_FMT_ELF64,	/* hv_abi.h test guest */
	GUEST_FMT_MB1_ELF32,	/* Multiboot v1, ELF32 program headers */
	GUEST_FMT_MB1_AOUT,	/* Multiboot v1, a.out kludge addresses */
};

#define LOADER_MAX_SEGMENTS	16

/* One piece to copy: file bytes [offset, offset + filesz) to gpa; the
 * rest of memsz is zero (guest memory starts zeroed). */
struct loader_segment {
	u64 gpa, offset, filesz, memsz;
};

struct loader_image {
	enum guest_format format;
	const u8 *data;
	size_t size;
	u64 entry;
	u64 load_lo, load_hi;		/* GPA range the image occupies */
	struct loader_segment seg[LOADER_MAX_SEGMENTS];
	unsigned int nr_segs;
	u32 mb1_flags;			/* Multiboot header flags */
	/*
	 * The kernel's Multiboot modules (module_for= lines), in GRUB order;
	 * set by the caller after loader_probe(). Only Multiboot kernels
	 * take modules: loader_load() refuses them for an ELF64 guest.
	 */
	const struct mb1_module_src *mods;
	unsigned int nr_mods;
};

const char *guest_format_name(enum guest_format f);

/* Recognise and check @data; fills @img. */
bool loader_probe(const void *data, size_t size, struct loader_image *img,
		  char *err, size_t errlen);

/*
 * Smallest guest memory that holds @img and what the loader adds (the
 * ELF64 per-vCPU stacks, the Multiboot low-memory structures).
 */
u64 loader_min_mem(const struct loader_image *img, unsigned int nr_vcpus);

/*
 * Copy @img into @g's memory, build the format's start-up structures
 * (for both formats the ACPI tables of vmm/loader/acpi_tables.h in the
 * BIOS area) and fill @bs[0 .. g->nr_vcpus - 1].
 */
bool loader_load(struct guest *g, const struct loader_image *img,
		 const struct guest_config *cfg, struct vcpu_boot_state *bs,
		 char *err, size_t errlen);

/* Format-specific halves (vmm/loader/loader_elf64.c, vmm/loader/loader_mb1.c). */
bool loader_probe_elf64(const u8 *data, size_t size, struct loader_image *img,
			char *err, size_t errlen);
bool loader_probe_mb1(const u8 *data, size_t size, u32 hdr_off,
		      struct loader_image *img, char *err, size_t errlen);
bool loader_setup_elf64(struct guest *g, const struct loader_image *img,
			const struct guest_config *cfg,
			struct vcpu_boot_state *bs, char *err, size_t errlen);
bool loader_setup_mb1(struct guest *g, const struct loader_image *img,
		      const struct guest_config *cfg,
		      struct vcpu_boot_state *bs, char *err, size_t errlen);

/* Helpers the format halves share (vmm/loader/loader.c). */
bool loader_add_segment(struct loader_image *img, u64 gpa, u64 offset,
			u64 filesz, u64 memsz, char *err, size_t errlen);
bool loader_entry_ok(const struct loader_image *img, char *err, size_t errlen);

/* Multiboot v1 constants shared by the loader and its tests. */
#define MB1_HEADER_MAGIC	0x1BADB002u
#define MB1_BOOT_MAGIC		0x2BADB002u
#define MB1_SEARCH_BYTES	8192
#define MB1_F_PAGE_ALIGN	BIT(0)
#define MB1_F_MEMINFO		BIT(1)
#define MB1_F_VIDEO		BIT(2)
#define MB1_F_AOUT_KLUDGE	BIT(16)

/* Guest GDT selectors both formats use. */
#define LOADER_SEL_CODE		0x08
#define LOADER_SEL_DATA		0x10

#endif
