// SPDX-License-Identifier: MIT
/*
 * ELF64 test guests (tests/guests/): program headers to guest memory,
 * then the 64-bit start-up state of include/uapi/hv_abi.h - identity
 * page tables over the first GiB with 2 MiB pages, a flat GDT, a 16 KiB
 * stack per vCPU at the top of memory and the boot-information block.
 */
#include "vmm/guest_mem.h"
#include "vmm/loader/loader.h"
#include "vmm/loader/loader_elf.h"
#include "vmm/vcpu.h"
#include "kernel/log.h"
#include "kernel/string.h"

#define PTE_P		BIT(0)
#define PTE_RW		BIT(1)
#define PTE_PS		BIT(7)
#define SZ_2M		(2ULL << 20)

bool loader_probe_elf64(const u8 *data, size_t size, struct loader_image *img,
			char *err, size_t errlen)
{
	struct elf64_ehdr eh;

	memcpy(&eh, data, sizeof(eh));
	if (eh.ident.data != ELFDATA2LSB || eh.machine != EM_X86_64) {
		ksnprintf(err, errlen,
			  "ELF64 image is not little-endian x86-64 (machine %u)",
			  eh.machine);
		return false;
	}
	if (eh.type != ET_EXEC) {
		ksnprintf(err, errlen,
			  "ELF64 image is type %u, not an executable (ET_EXEC): link it with the guest link script",
			  eh.type);
		return false;
	}
	if (eh.phentsize != sizeof(struct elf64_phdr) || !eh.phnum ||
	    eh.phoff > size ||
	    (u64)eh.phnum * sizeof(struct elf64_phdr) > size - eh.phoff) {
		ksnprintf(err, errlen,
			  "ELF64 program headers (%u at %#llx, %u bytes each) lie outside the %zu-byte image",
			  eh.phnum, (unsigned long long)eh.phoff,
			  eh.phentsize, size);
		return false;
	}
	img->format = GUEST_FMT_ELF64;
	img->entry = eh.entry;
	for (unsigned int i = 0; i < eh.phnum; i++) {
		struct elf64_phdr ph;

		memcpy(&ph, data + eh.phoff + i * sizeof(ph), sizeof(ph));
		if (ph.type != PT_LOAD)
			continue;
		/* Identity-mapped guests: the physical address is the load address. */
		if (!loader_add_segment(img, ph.paddr, ph.offset, ph.filesz,
					ph.memsz, err, errlen))
			return false;
	}
	if (!img->nr_segs) {
		ksnprintf(err, errlen, "ELF64 image has no loadable segment");
		return false;
	}
	return loader_entry_ok(img, err, errlen);
}

/* PML4[0] -> PDPT[0] -> PD: 2 MiB identity pages over guest memory. */
static bool build_page_tables(struct guest *g)
{
	u64 pml4e = HV_GPA_PDPT | PTE_P | PTE_RW;
	u64 pdpte = HV_GPA_PD | PTE_P | PTE_RW;
	u64 nr_2m = MIN(ALIGN_UP(g->mem_size, SZ_2M) / SZ_2M, 512ULL);

	if (!guest_write(g, HV_GPA_PML4, &pml4e, sizeof(pml4e)) ||
	    !guest_write(g, HV_GPA_PDPT, &pdpte, sizeof(pdpte)))
		return false;
	for (u64 i = 0; i < nr_2m; i++) {
		u64 pde = i * SZ_2M | PTE_P | PTE_RW | PTE_PS;

		if (!guest_write(g, HV_GPA_PD + i * 8, &pde, sizeof(pde)))
			return false;
	}
	return true;
}

bool loader_setup_elf64(struct guest *g, const struct loader_image *img,
			const struct guest_config *cfg,
			struct vcpu_boot_state *bs, char *err, size_t errlen)
{
	struct hv_boot_info bi = {
		.magic = HV_BOOT_MAGIC,
		.mem_size = g->mem_size,
		.nr_vcpus = g->nr_vcpus,
		.guest_id = g->id,
	};
	u64 top = MIN(g->mem_size, GUEST_MAX_MEM);

	ksnprintf(bi.name, sizeof(bi.name), "%s", cfg->name);
	ksnprintf(bi.cmdline, sizeof(bi.cmdline), "%s", cfg->guest_cmdline);
	if (!build_page_tables(g) ||
	    !guest_write(g, HV_GPA_BOOT_INFO, &bi, sizeof(bi))) {
		ksnprintf(err, errlen, "guest memory too small for page tables");
		return false;
	}
	for (unsigned int i = 0; i < g->nr_vcpus; i++) {
		bs[i].runnable = true;
		bs[i].cr3 = HV_GPA_PML4;
		/* Stacks grow down from the top, vCPU 0's highest. */
		bs[i].rsp = top - (u64)i * HV_STACK_SIZE;
		bs[i].rdi = i;
		bs[i].rsi = HV_GPA_BOOT_INFO;
	}
	return true;
}
