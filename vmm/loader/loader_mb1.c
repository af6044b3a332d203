// SPDX-License-Identifier: MIT
/*
 * Multiboot (version 0.6.96) kernels: ELF32 images, or any image whose
 * header carries the a.out-kludge address fields (flag bit 16), e.g.
 * kvm-unit-tests' *.flat. The loader builds what the specification
 * promises at entry: EAX = 0x2BADB002, EBX = the information structure
 * (memory sizes, command line, a memory map, the loader's name, the
 * modules; laid out by vmm/loader/mb1_layout.c), 32-bit protected mode
 * with flat segments and paging off.
 */
#include "vmm/guest_mem.h"
#include "vmm/loader/loader.h"
#include "vmm/loader/loader_elf.h"
#include "vmm/vcpu.h"
#include "kernel/log.h"
#include "kernel/string.h"
#include "mm/kmalloc.h"

/* Flags in the low half a loader must understand or refuse the image. */
#define MB1_F_KNOWN		(MB1_F_PAGE_ALIGN | MB1_F_MEMINFO)

struct mb1_header {
	u32 magic, flags, checksum;
	/* Valid with MB1_F_AOUT_KLUDGE. */
	u32 header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr;
};

static u32 get32le(const u8 *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (u32)p[3] << 24;
}

static bool probe_aout(const u8 *data, size_t size, u32 off,
		       const struct mb1_header *h, struct loader_image *img,
		       char *err, size_t errlen)
{
	u64 file_off, filesz, memsz;

	if (off + sizeof(*h) > size || h->header_addr < h->load_addr ||
	    h->header_addr - h->load_addr > off) {
		ksnprintf(err, errlen,
			  "Multiboot a.out fields inconsistent: header_addr %#x, load_addr %#x, header at file offset %#x",
			  h->header_addr, h->load_addr, off);
		return false;
	}
	file_off = off - (h->header_addr - h->load_addr);
	if (!h->load_end_addr)
		filesz = size - file_off;
	else if (h->load_end_addr <= h->load_addr) {
		ksnprintf(err, errlen,
			  "Multiboot load_end_addr %#x is not above load_addr %#x",
			  h->load_end_addr, h->load_addr);
		return false;
	} else
		filesz = h->load_end_addr - h->load_addr;
	memsz = filesz;
	if (h->bss_end_addr) {
		if (h->bss_end_addr < h->load_addr + filesz) {
			ksnprintf(err, errlen,
				  "Multiboot bss_end_addr %#x is below the end of the loaded bytes",
				  h->bss_end_addr);
			return false;
		}
		memsz = h->bss_end_addr - h->load_addr;
	}
	img->format = GUEST_FMT_MB1_AOUT;
	img->entry = h->entry_addr;
	return loader_add_segment(img, h->load_addr, file_off, filesz, memsz,
				  err, errlen);
}

static bool probe_elf32(const u8 *data, size_t size, struct loader_image *img,
			char *err, size_t errlen)
{
	struct elf32_ehdr eh;

	memcpy(&eh, data, sizeof(eh));
	if (eh.ident.data != ELFDATA2LSB || eh.machine != EM_386 ||
	    eh.type != ET_EXEC) {
		ksnprintf(err, errlen,
			  "Multiboot ELF32 image is not an i386 executable (machine %u, type %u)",
			  eh.machine, eh.type);
		return false;
	}
	if (eh.phentsize != sizeof(struct elf32_phdr) || !eh.phnum ||
	    eh.phoff > size ||
	    (u64)eh.phnum * sizeof(struct elf32_phdr) > size - eh.phoff) {
		ksnprintf(err, errlen,
			  "ELF32 program headers lie outside the %zu-byte image",
			  size);
		return false;
	}
	img->format = GUEST_FMT_MB1_ELF32;
	img->entry = eh.entry;
	for (unsigned int i = 0; i < eh.phnum; i++) {
		struct elf32_phdr ph;

		memcpy(&ph, data + eh.phoff + i * sizeof(ph), sizeof(ph));
		if (ph.type == PT_LOAD &&
		    !loader_add_segment(img, ph.paddr, ph.offset, ph.filesz,
					ph.memsz, err, errlen))
			return false;
	}
	if (!img->nr_segs) {
		ksnprintf(err, errlen, "ELF32 image has no loadable segment");
		return false;
	}
	return true;
}

bool loader_probe_mb1(const u8 *data, size_t size, u32 off,
		      struct loader_image *img, char *err, size_t errlen)
{
	struct mb1_header h = { 0 };
	u32 unknown;

	memcpy(&h, data + off, MIN(sizeof(h), size - off));
	img->mb1_flags = h.flags;
	if (h.flags & MB1_F_VIDEO) {
		ksnprintf(err, errlen,
			  "Multiboot kernel requires a video mode (flag bit 2), which this loader does not provide");
		return false;
	}
	unknown = h.flags & 0xffff & ~MB1_F_KNOWN;
	if (unknown) {
		ksnprintf(err, errlen,
			  "Multiboot kernel requires unknown features (flags %#x)",
			  unknown);
		return false;
	}
	if (h.flags & MB1_F_AOUT_KLUDGE) {
		if (!probe_aout(data, size, off, &h, img, err, errlen))
			return false;
	} else if (get32le(data) != ELF_MAGIC || data[4] != ELFCLASS32) {
		ksnprintf(err, errlen,
			  "Multiboot image is not ELF32 and its header lacks the a.out address fields (flag bit 16)");
		return false;
	} else if (!probe_elf32(data, size, img, err, errlen)) {
		return false;
	}
	return loader_entry_ok(img, err, errlen);
}

bool loader_setup_mb1(struct guest *g, const struct loader_image *img,
		      const struct guest_config *cfg,
		      struct vcpu_boot_state *bs, char *err, size_t errlen)
{
	char cmdline[HV_CMDLINE_MAX];
	/* The options fit the area's command line (mb1_layout.h). */
	BUILD_BUG_ON(sizeof(cmdline) > MB1_GPA_MOD_STRINGS - MB1_GPA_CMDLINE);
	u64 mod_gpa[MB1_MAX_MODULES];
	struct mb1_layout_in in = {
		.mem_size = g->mem_size,
		.image_lo = img->load_lo,
		.image_hi = img->load_hi,
		.cmdline = cmdline,
		.mods = img->mods,
		.nr_mods = img->nr_mods,
	};
	u8 *area;
	bool ok;

	/*
	 * As GRUB 2's "multiboot FILE ARGS" does, the command line is ARGS
	 * alone (GRUB Legacy put the file name first; kvm-unit-tests makes
	 * its own argv[0] and would take a name here for its first
	 * argument: vmx.flat read it as a test filter).
	 */
	ksnprintf(cmdline, sizeof(cmdline), "%s", cfg->guest_cmdline);
	area = kmalloc(MB1_AREA_SIZE);
	if (!area) {
		ksnprintf(err, errlen, "out of host memory for the Multiboot information");
		return false;
	}
	ok = mb1_layout_build(&in, area, mod_gpa, err, errlen);
	if (ok && !guest_write(g, MB1_GPA_INFO, area, MB1_AREA_SIZE)) {
		ksnprintf(err, errlen, "guest memory too small for the Multiboot information");
		ok = false;
	}
	kfree(area);
	for (unsigned int i = 0; ok && i < img->nr_mods; i++) {
		if (!guest_write(g, mod_gpa[i], img->mods[i].data,
				 img->mods[i].size)) {
			ksnprintf(err, errlen, "module %u does not fit at %#llx",
				  i, (unsigned long long)mod_gpa[i]);
			ok = false;
		}
	}
	if (!ok)
		return false;
	/* The bootstrap processor only; a Multiboot kernel starts its APs. */
	bs[0].runnable = true;
	bs[0].rsp = MB1_STACK_TOP;
	bs[0].rax = MB1_BOOT_MAGIC;
	bs[0].rbx = MB1_GPA_INFO;
	return true;
}
