// SPDX-License-Identifier: MIT
/*
 * Guest image format detection and the parts of loading that every
 * format shares (see vmm/loader/loader.h). The format-specific halves are
 * vmm/loader/loader_elf64.c and vmm/loader/loader_mb1.c.
 */
#include "vmm/guest_mem.h"
#include "vmm/loader/acpi_tables.h"
#include "vmm/loader/loader.h"
#include "vmm/loader/loader_elf.h"
#include "vmm/vcpu.h"
#include "kernel/log.h"
#include "kernel/string.h"

static const char *const format_names[] = {
	[GUEST_FMT_NONE] = "unknown",
	[GUEST_FMT_ELF64] = "ELF64",
	[GUEST_FMT_MB1_ELF32] = "Multiboot ELF32",
	[GUEST_FMT_MB1_AOUT] = "Multiboot a.out-kludge",
};

const char *guest_format_name(enum guest_format f)
{
	return f < ARRAY_SIZE(format_names) ? format_names[f] : "?";
}

static u32 get32(const u8 *p)
{
	u32 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/*
 * The Multiboot header lies 4-byte aligned in the first 8 KiB. Returns its
 * offset, or -1; *@bad_sum is set when a magic was found whose checksum
 * does not add up (reported if nothing else matches).
 */
static long mb1_find_header(const u8 *data, size_t size, bool *bad_sum)
{
	size_t end = MIN(size, (size_t)MB1_SEARCH_BYTES);

	*bad_sum = false;
	for (size_t off = 0; off + 12 <= end; off += 4) {
		if (get32(data + off) != MB1_HEADER_MAGIC)
			continue;
		if ((u32)(get32(data + off) + get32(data + off + 4) +
			  get32(data + off + 8)) == 0)
			return off;
		*bad_sum = true;
	}
	return -1;
}

bool loader_probe(const void *data_, size_t size, struct loader_image *img,
		  char *err, size_t errlen)
{
	const u8 *data = data_;
	bool bad_sum, is_elf;
	long mb;

	memset(img, 0, sizeof(*img));
	img->data = data;
	img->size = size;
	if (size < 64) {
		ksnprintf(err, errlen,
			  "image of %zu bytes is too small to be ELF64 or Multiboot",
			  size);
		return false;
	}
	is_elf = get32(data) == ELF_MAGIC;
	mb = mb1_find_header(data, size, &bad_sum);

	if (is_elf && data[4] == ELFCLASS64) {
		u32 flags = mb >= 0 ? get32(data + mb + 4) : 0;

		/* A 64-bit ELF kernel that asks for a.out-kludge loading. */
		if (flags & MB1_F_AOUT_KLUDGE)
			return loader_probe_mb1(data, size, mb, img, err,
						errlen);
		return loader_probe_elf64(data, size, img, err, errlen);
	}
	if (mb >= 0)
		return loader_probe_mb1(data, size, mb, img, err, errlen);
	if (is_elf && data[4] == ELFCLASS32)
		ksnprintf(err, errlen,
			  "ELF32 image without a Multiboot header: only Multiboot v1 kernels may be 32-bit");
	else if (bad_sum)
		ksnprintf(err, errlen,
			  "Multiboot header magic found but its checksum is wrong");
	else
		ksnprintf(err, errlen,
			  "neither ELF64 nor Multiboot: no ELF magic and no Multiboot header in the first 8 KiB (image starts %02x %02x %02x %02x)",
			  data[0], data[1], data[2], data[3]);
	return false;
}

u64 loader_min_mem(const struct loader_image *img, unsigned int nr_vcpus)
{
	u64 need = ALIGN_UP(img->load_hi, PAGE_SIZE);

	if (img->format == GUEST_FMT_ELF64)
		need += (u64)nr_vcpus * HV_STACK_SIZE;
	return MAX(need, GUEST_MIN_MEM);
}

/* Flat descriptors: null, code (64-bit or 32-bit), data. */
static bool loader_write_gdt(struct guest *g, bool long_mode)
{
	const u64 gdt[3] = {
		0,
		long_mode ? 0x00af9b000000ffffULL : 0x00cf9b000000ffffULL,
		0x00cf93000000ffffULL,
	};

	return guest_write(g, HV_GPA_GDT, gdt, sizeof(gdt));
}

/* The same tables for every guest format: the MADT lists its vCPUs. */
static bool loader_write_acpi(struct guest *g, char *err, size_t errlen)
{
	u8 buf[ACPI_TABLES_MAX_SIZE];
	size_t len = acpi_tables_build(buf, sizeof(buf), g->nr_vcpus);

	if (!len) {
		ksnprintf(err, errlen, "cannot build ACPI tables for %u vCPUs",
			  g->nr_vcpus);
		return false;
	}
	if (!guest_write(g, ACPI_GUEST_GPA, buf, len)) {
		ksnprintf(err, errlen, "guest memory too small for the ACPI tables");
		return false;
	}
	return true;
}

bool loader_load(struct guest *g, const struct loader_image *img,
		 const struct guest_config *cfg, struct vcpu_boot_state *bs,
		 char *err, size_t errlen)
{
	bool long_mode = img->format == GUEST_FMT_ELF64;
	u64 need = loader_min_mem(img, g->nr_vcpus);

	if (g->mem_size < need) {
		ksnprintf(err, errlen,
			  "mem=%lluK is too small: the image needs %lluK",
			  (unsigned long long)(g->mem_size >> 10),
			  (unsigned long long)(need >> 10));
		return false;
	}
	if (img->nr_mods && long_mode) {
		ksnprintf(err, errlen,
			  "%u module(s) given with module_for=, but this is an ELF64 test guest: only Multiboot v1 kernels take modules",
			  img->nr_mods);
		return false;
	}
	/* Guest memory comes zeroed, so only file bytes are copied. */
	for (unsigned int i = 0; i < img->nr_segs; i++) {
		const struct loader_segment *s = &img->seg[i];

		if (!guest_write(g, s->gpa, img->data + s->offset, s->filesz)) {
			ksnprintf(err, errlen,
				  "segment %u at %#llx does not fit in guest memory",
				  i, (unsigned long long)s->gpa);
			return false;
		}
	}
	if (!loader_write_gdt(g, long_mode)) {
		ksnprintf(err, errlen, "guest memory too small for the GDT");
		return false;
	}
	if (!loader_write_acpi(g, err, errlen))
		return false;
	memset(bs, 0, sizeof(*bs) * g->nr_vcpus);
	for (unsigned int i = 0; i < g->nr_vcpus; i++) {
		bs[i].mode = long_mode ? GUEST_ENTRY_LONG64 : GUEST_ENTRY_PROT32;
		bs[i].gdt_base = HV_GPA_GDT;
		bs[i].gdt_limit = 3 * 8 - 1;
		bs[i].cs_sel = LOADER_SEL_CODE;
		bs[i].ds_sel = LOADER_SEL_DATA;
		bs[i].rip = img->entry;
	}
	if (long_mode)
		return loader_setup_elf64(g, img, cfg, bs, err, errlen);
	return loader_setup_mb1(g, img, cfg, bs, err, errlen);
}

/*
 * Shared segment check: inside [HV_GPA_LOAD_MIN, GUEST_MAX_MEM), within
 * the file, and recorded in @img (the caller then widens load_lo/hi).
 */
bool loader_add_segment(struct loader_image *img, u64 gpa, u64 offset,
			u64 filesz, u64 memsz, char *err, size_t errlen)
{
	unsigned int i = img->nr_segs;
	bool low_ok;

	if (filesz > memsz) {
		ksnprintf(err, errlen,
			  "segment %u: file size %#llx exceeds memory size %#llx",
			  i, (unsigned long long)filesz,
			  (unsigned long long)memsz);
		return false;
	}
	if (offset > img->size || filesz > img->size - offset) {
		ksnprintf(err, errlen,
			  "segment %u: bytes [%#llx, +%#llx) lie beyond the end of the %zu-byte image (truncated?)",
			  i, (unsigned long long)offset,
			  (unsigned long long)filesz, img->size);
		return false;
	}
	/*
	 * [1M, 1G); a Multiboot kernel may also load low, as GRUB lets it,
	 * between the loader's own area and the initial stack
	 * (vmm/loader/mb1_layout.h).
	 */
	low_ok = img->format != GUEST_FMT_ELF64 && gpa >= MB1_LOW_LOAD_MIN &&
		 memsz <= MB1_LOW_LOAD_END && gpa + memsz <= MB1_LOW_LOAD_END;
	if ((gpa < HV_GPA_LOAD_MIN && !low_ok) || memsz > GUEST_MAX_MEM ||
	    gpa + memsz > GUEST_MAX_MEM) {
		ksnprintf(err, errlen,
			  "segment %u: load address [%#llx, +%#llx) is outside [1M, 1G)%s",
			  i, (unsigned long long)gpa,
			  (unsigned long long)memsz,
			  img->format == GUEST_FMT_ELF64 ? "" :
			  " and [0x8000, 0x70000)");
		return false;
	}
	if (i == LOADER_MAX_SEGMENTS) {
		ksnprintf(err, errlen, "more than %u loadable segments",
			  LOADER_MAX_SEGMENTS);
		return false;
	}
	if (!memsz)
		return true;
	img->seg[i] = (struct loader_segment){ gpa, offset, filesz, memsz };
	img->nr_segs++;
	if (!img->load_hi || gpa < img->load_lo)
		img->load_lo = gpa;
	img->load_hi = MAX(img->load_hi, gpa + memsz);
	return true;
}

bool loader_entry_ok(const struct loader_image *img, char *err, size_t errlen)
{
	for (unsigned int i = 0; i < img->nr_segs; i++)
		if (img->entry >= img->seg[i].gpa &&
		    img->entry < img->seg[i].gpa + img->seg[i].memsz)
			return true;
	ksnprintf(err, errlen, "entry point %#llx is not inside a loaded segment",
		  (unsigned long long)img->entry);
	return false;
}
