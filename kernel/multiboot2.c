// SPDX-License-Identifier: MIT
/*
 * Multiboot2 information parser. Everything is read in place through the
 * identity map; strings keep pointing into the information structure,
 * which main.c reserves from the page allocator.
 *
 * Garbled input (a tag running past the end, a zero-sized tag, a memory
 * map with a bad entry size) is reported by name and the parse continues
 * or stops at that point; it never loops or reads past the structure.
 */
#include "kernel/multiboot2.h"
#include "kernel/log.h"
#include "kernel/string.h"

enum {
	MB2_TAG_END = 0,
	MB2_TAG_CMDLINE = 1,
	MB2_TAG_BOOTLOADER = 2,
	MB2_TAG_MODULE = 3,
	MB2_TAG_MEMINFO = 4,
	MB2_TAG_BOOTDEV = 5,
	MB2_TAG_MMAP = 6,
	MB2_TAG_FRAMEBUFFER = 8,
	MB2_TAG_ELF_SECTIONS = 9,
	MB2_TAG_ACPI_OLD = 14,
	MB2_TAG_ACPI_NEW = 15,
	MB2_TAG_EFI_MMAP = 17,
};

struct mb2_tag {
	u32 type;
	u32 size;
};

struct mb2_mmap_entry {
	u64 addr;
	u64 len;
	u32 type;
	u32 reserved;
} __packed;

struct efi_mem_desc {
	u32 type;
	u32 pad;
	u64 phys;
	u64 virt;
	u64 nr_pages;
	u64 attr;
} __packed;

#define MB2_MEM_AVAILABLE	1
#define MB2_MEM_ACPI_RECLAIMABLE 3
#define MB2_MEM_ACPI_NVS	4

struct boot_info boot_info;

static const char *const mmap_type_names[] = {
	[1] = "usable", [2] = "reserved", [3] = "ACPI reclaimable",
	[4] = "ACPI NVS", [5] = "bad RAM",
};

void mb2_add_range(struct phys_range *r, unsigned int *nr, unsigned int max,
		   phys_addr_t start, phys_addr_t end)
{
	if (end <= start)
		return;
	if (*nr >= max) {
		pr_warn("boot: more than %u memory ranges; [%#llx, %#llx) ignored\n",
			max, (unsigned long long)start,
			(unsigned long long)end);
		return;
	}
	r[*nr].start = start;
	r[*nr].end = end;
	(*nr)++;
}

static void problem(struct boot_info *bi, const char *what)
{
	bi->nr_problems++;
	pr_err("multiboot2: %s\n", what);
}

/*
 * @usable: free RAM; @ram: RAM the kernel may read (usable or ACPI
 * tables/NVS), which the identity map must cover (ram_end).
 */
static void add_map_entry(struct boot_info *bi, u64 addr, u64 len, bool usable,
			  bool ram)
{
	if (!len || addr + len < addr) {
		problem(bi, "memory map entry with zero or wrapping length ignored");
		return;
	}
	if (usable) {
		mb2_add_range(bi->usable, &bi->nr_usable, BOOT_MAX_RANGES,
			      addr, addr + len);
		bi->usable_bytes += len;
	} else {
		mb2_add_range(bi->reserved, &bi->nr_reserved, BOOT_MAX_RANGES,
			      addr, addr + len);
	}
	if (addr + len > bi->max_phys)
		bi->max_phys = addr + len;
	if ((usable || ram) && addr + len > bi->ram_end)
		bi->ram_end = addr + len;
}

static void parse_mmap(struct boot_info *bi, const struct mb2_tag *tag)
{
	const u8 *p = (const u8 *)tag + 16;
	const u8 *end = (const u8 *)tag + tag->size;
	u32 entry_size = ((const u32 *)tag)[2];

	if (bi->have_mmap)
		return;
	if (entry_size < sizeof(struct mb2_mmap_entry) || entry_size > 4096 ||
	    tag->size < 16) {
		problem(bi, "BIOS memory map tag has a bad entry size; ignored");
		return;
	}
	bi->have_mmap = true;
	for (; p + entry_size <= end; p += entry_size) {
		const struct mb2_mmap_entry *e = (const void *)p;
		const char *name = e->type < ARRAY_SIZE(mmap_type_names) &&
				   mmap_type_names[e->type] ?
				   mmap_type_names[e->type] : "unknown";

		pr_info("mmap: [%#014llx-%#014llx) %s\n",
			(unsigned long long)e->addr,
			(unsigned long long)(e->addr + e->len), name);
		add_map_entry(bi, e->addr, e->len,
			      e->type == MB2_MEM_AVAILABLE,
			      e->type == MB2_MEM_ACPI_RECLAIMABLE ||
			      e->type == MB2_MEM_ACPI_NVS);
	}
}

/* UEFI memory types usable once boot services are gone. */
static bool efi_type_usable(u32 type)
{
	return type == 1 || type == 2 || type == 3 || type == 4 || type == 7;
}

static void parse_efi_mmap(struct boot_info *bi, const struct mb2_tag *tag)
{
	const u8 *p = (const u8 *)tag + 16;
	const u8 *end = (const u8 *)tag + tag->size;
	u32 desc_size = ((const u32 *)tag)[2];

	if (bi->have_mmap)
		return;
	if (desc_size < sizeof(struct efi_mem_desc) || desc_size > 4096) {
		problem(bi, "EFI memory map tag has a bad descriptor size; ignored");
		return;
	}
	bi->have_mmap = true;
	for (; p + desc_size <= end; p += desc_size) {
		const struct efi_mem_desc *d = (const void *)p;

		add_map_entry(bi, d->phys, d->nr_pages << PAGE_SHIFT,
			      efi_type_usable(d->type),
			      d->type == 9 || d->type == 10);	/* ACPI */
	}
	pr_info("mmap: from the EFI memory map\n");
}

static void parse_module(struct boot_info *bi, const struct mb2_tag *tag)
{
	const u32 *w = (const u32 *)tag;
	struct boot_module *m;

	if (tag->size < 17) {
		problem(bi, "module tag too short; ignored");
		return;
	}
	if (bi->nr_modules >= BOOT_MAX_MODULES) {
		problem(bi, "too many modules; the rest are ignored");
		return;
	}
	m = &bi->modules[bi->nr_modules];
	m->start = w[2];
	m->end = w[3];
	m->cmdline = (const char *)(w + 4);
	if (m->end < m->start) {
		problem(bi, "module with end before start; ignored");
		return;
	}
	for (unsigned int i = 0; i < bi->nr_modules; i++) {
		const struct boot_module *o = &bi->modules[i];

		if (m->start < o->end && o->start < m->end) {
			bi->nr_problems++;
			pr_err("multiboot2: module %u [%#llx-%#llx) overlaps module %u [%#llx-%#llx); both stay reserved\n",
			       bi->nr_modules, (unsigned long long)m->start,
			       (unsigned long long)m->end, i,
			       (unsigned long long)o->start,
			       (unsigned long long)o->end);
		}
	}
	pr_info("module %u: [%#llx-%#llx) %llu bytes '%s'\n", bi->nr_modules,
		(unsigned long long)m->start, (unsigned long long)m->end,
		(unsigned long long)(m->end - m->start), m->cmdline);
	bi->nr_modules++;
}

static void parse_framebuffer(struct boot_info *bi, const struct mb2_tag *tag)
{
	const u8 *p = (const u8 *)tag;

	if (tag->size < 31)
		return;
	bi->have_framebuffer = true;
	memcpy(&bi->fb_addr, p + 8, 8);
	memcpy(&bi->fb_pitch, p + 16, 4);
	memcpy(&bi->fb_width, p + 20, 4);
	memcpy(&bi->fb_height, p + 24, 4);
	bi->fb_bpp = p[28];
	bi->fb_type = p[29];
	pr_info("framebuffer: %#llx %ux%u, %u bpp, pitch %u, type %u\n",
		(unsigned long long)bi->fb_addr, bi->fb_width, bi->fb_height,
		bi->fb_bpp, bi->fb_pitch, bi->fb_type);
}

bool mb2_parse(phys_addr_t mbi_phys, struct boot_info *bi)
{
	const u8 *mbi = (const u8 *)(unsigned long)mbi_phys;
	u32 total;
	const u8 *p, *end;

	memset(bi, 0, sizeof(*bi));
	bi->cmdline = "";
	bi->bootloader = "?";
	if (!mbi_phys || (mbi_phys & 7)) {
		problem(bi, "boot information pointer is NULL or misaligned");
		return false;
	}
	total = *(const u32 *)mbi;
	if (total < 16 || total > (16u << 20)) {
		problem(bi, "boot information has an implausible total size");
		return false;
	}
	bi->mbi_start = mbi_phys;
	bi->mbi_end = mbi_phys + total;
	end = mbi + total;

	for (p = mbi + 8; p + sizeof(struct mb2_tag) <= end;
	     p += ALIGN_UP(((const struct mb2_tag *)p)->size, 8)) {
		const struct mb2_tag *tag = (const void *)p;

		if (tag->type == MB2_TAG_END)
			break;
		if (tag->size < 8 || p + tag->size > end) {
			problem(bi, "tag runs past the end of the boot information; parse stopped");
			break;
		}
		switch (tag->type) {
		case MB2_TAG_CMDLINE:
			bi->cmdline = (const char *)(p + 8);
			break;
		case MB2_TAG_BOOTLOADER:
			bi->bootloader = (const char *)(p + 8);
			break;
		case MB2_TAG_MODULE:
			parse_module(bi, tag);
			break;
		case MB2_TAG_MEMINFO:
			bi->have_meminfo = true;
			bi->mem_lower_kb = ((const u32 *)p)[2];
			bi->mem_upper_kb = ((const u32 *)p)[3];
			break;
		case MB2_TAG_MMAP:
			parse_mmap(bi, tag);
			break;
		case MB2_TAG_EFI_MMAP:
			parse_efi_mmap(bi, tag);
			break;
		case MB2_TAG_FRAMEBUFFER:
			parse_framebuffer(bi, tag);
			break;
		case MB2_TAG_ELF_SECTIONS:
			if (tag->size < 20)
				break;
			bi->have_elf_sections = true;
			bi->elf_num = ((const u32 *)p)[2];
			bi->elf_entsize = ((const u32 *)p)[3];
			bi->elf_shndx = ((const u32 *)p)[4];
			bi->elf_shdrs = p + 20;
			if (20 + (u64)bi->elf_num * bi->elf_entsize > tag->size) {
				problem(bi, "ELF sections tag is truncated; symbols unavailable");
				bi->have_elf_sections = false;
			}
			break;
		case MB2_TAG_ACPI_OLD:
			if (!bi->rsdp)
				bi->rsdp = p + 8;
			break;
		case MB2_TAG_ACPI_NEW:
			bi->rsdp = p + 8;
			bi->rsdp_v2 = true;
			break;
		default:
			break;
		}
	}

	if (!bi->have_mmap && bi->have_meminfo) {
		pr_err("multiboot2: no memory map; using basic meminfo (%u KiB low, %u KiB high)\n",
		       bi->mem_lower_kb, bi->mem_upper_kb);
		bi->nr_problems++;
		add_map_entry(bi, 0, (u64)bi->mem_lower_kb << 10, true, true);
		add_map_entry(bi, 1ULL << 20, (u64)bi->mem_upper_kb << 10,
			      true, true);
	} else if (!bi->have_mmap) {
		problem(bi, "no memory map and no basic meminfo: cannot know what RAM exists");
	}
	return true;
}
