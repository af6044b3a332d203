// SPDX-License-Identifier: MIT
/*
 * Tests of the guest module command line and the guest loader. They build
 * small images in memory, load them into a guest (no vCPU runs: these
 * work without VMX, in QEMU too) and read back what a vCPU would find.
 */
#include "vmm/guest_mem.h"
#include "vmm/guest_main.h"
#include "vmm/loader/acpi_tables.h"
#include "vmm/loader/guest_cmdline.h"
#include "vmm/loader/loader.h"
#include "vmm/loader/loader_elf.h"
#include "vmm/vcpu.h"
#include "kernel/ktest.h"
#include "kernel/log.h"
#include "kernel/platform.h"
#include "kernel/string.h"
#include "mm/kmalloc.h"

KTEST(guests, cmdline_parses)
{
	struct guest_config cfg;
	char err[GUEST_ERR_LEN];

	KTEST_EXPECT(t, guest_cmdline_parse(
		"name=hello vcpus=4 mem=16M expect=triple_fault timeout=5 --  a=1 b -- c",
		&cfg, err, sizeof(err)));
	KTEST_EXPECT(t, !strcmp(cfg.name, "hello"));
	KTEST_EXPECT_EQ(t, cfg.nr_vcpus, 4);
	KTEST_EXPECT_EQ(t, cfg.mem_size, 16ULL << 20);
	KTEST_EXPECT_EQ(t, cfg.expect, GUEST_EXPECT_TRIPLE_FAULT);
	KTEST_EXPECT_EQ(t, cfg.timeout_s, 5);
	KTEST_EXPECT(t, !strcmp(cfg.guest_cmdline, "a=1 b -- c"));

	KTEST_EXPECT(t, guest_cmdline_parse("  name=x\tmem=0x300000 ", &cfg,
					    err, sizeof(err)));
	KTEST_EXPECT_EQ(t, cfg.nr_vcpus, 1);
	KTEST_EXPECT_EQ(t, cfg.mem_size, 0x300000);
	KTEST_EXPECT_EQ(t, cfg.expect, GUEST_EXPECT_EXIT);
	KTEST_EXPECT_EQ(t, cfg.timeout_s, GUEST_DEFAULT_TIMEOUT_S);
	KTEST_EXPECT(t, !strcmp(cfg.guest_cmdline, ""));
	KTEST_EXPECT(t, guest_cmdline_parse("mem=1G name=big vcpus=8", &cfg,
					    err, sizeof(err)));
	KTEST_EXPECT_EQ(t, cfg.mem_size, 1ULL << 30);

	KTEST_EXPECT(t, guest_cmdline_is_guest("name=a"));
	KTEST_EXPECT(t, guest_cmdline_is_guest("vcpus=2 name=a"));
	KTEST_EXPECT(t, !guest_cmdline_is_guest("testmod crc32=0x1 size=5"));
	KTEST_EXPECT(t, !guest_cmdline_is_guest("x -- name=a"));
	KTEST_EXPECT(t, !guest_cmdline_is_guest(""));
	KTEST_EXPECT(t, !guest_cmdline_is_guest("module_for=a"));
	KTEST_EXPECT(t, !guest_cmdline_is_guest("name=a module_for=b"));
}

/* module_for=NAME [-- STRING]: the module lines of Multiboot guests. */
KTEST(guests, module_line_parses)
{
	static const struct { const char *line, *msg; } bad[] = {
		{ "module_for=a mem=2M", "'mem=2M' on a module line: only module_for=NAME" },
		{ "name=x module_for=a", "'name=x' on a module line" },
		{ "module_for=a module_for=b", "module_for= given twice" },
		{ "module_for=a!", "module_for=NAME: 'a!' may hold only letters" },
		{ "module_for=", "module_for=NAME: '' must be 1 to 31" },
		{ "module_for=a --", "" },	/* good: empty string */
	};
	struct guest_module_line ml;
	char err[GUEST_ERR_LEN];

	KTEST_EXPECT(t, guest_cmdline_is_module("module_for=kut -- x"));
	KTEST_EXPECT(t, guest_cmdline_is_module("name=a module_for=b"));
	KTEST_EXPECT(t, !guest_cmdline_is_module("name=a -- module_for=b"));
	KTEST_EXPECT(t, !guest_cmdline_is_module("testmod crc32=0x1"));
	KTEST_EXPECT(t, guest_module_parse("  module_for=kut_1 --  NR_CPUS=2 -- y ",
					   &ml, err, sizeof(err)));
	KTEST_EXPECT(t, !strcmp(ml.guest, "kut_1"));
	KTEST_EXPECT(t, !strcmp(ml.string, "NR_CPUS=2 -- y "));
	KTEST_EXPECT(t, guest_module_parse("module_for=k", &ml, err, sizeof(err)));
	KTEST_EXPECT(t, !strcmp(ml.string, ""));
	for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
		bool ok = guest_module_parse(bad[i].line, &ml, err, sizeof(err));
		bool want_ok = !bad[i].msg[0];

		if (!KTEST_EXPECT_EQ(t, ok, want_ok) ||
		    (!ok && !KTEST_EXPECT(t, strstr(err, bad[i].msg) != NULL)))
			ktest_diag(t, "'%s' gave '%s', wanted '%s'", bad[i].line,
				   ok ? "(accepted)" : err, bad[i].msg);
	}
}

/* Each bad line must be refused with a message naming the problem. */
KTEST(guests, cmdline_rejects)
{
	static const struct { const char *line, *msg; } bad[] = {
		{ "name=x vcpus=99", "vcpus=N: '99' is outside 1..8" },
		{ "name=x vcpus=0", "is outside" },
		{ "name=x vcpus=two", "is not a number" },
		{ "name=x mem=huge", "mem=SIZE: 'huge' is not a size" },
		{ "name=x mem=64G", "above the 1G maximum" },
		{ "name=x mem=1M", "below the 2M minimum" },
		{ "name=x mem=4097K", "not a multiple of 4K" },
		{ "name=x mem=99999999999999999999", "is not a size" },
		{ "name=x frobnicate=1", "unknown option 'frobnicate=1'" },
		{ "name=x vcpu=4", "unknown option 'vcpu=4'" },
		{ "name=x vcpus", "needs a value" },
		{ "name=x name=y", "given twice" },
		{ "name=a!b", "only letters" },
		{ "name=", "1 to 31 characters" },
		{ "name=abcdefghijabcdefghijabcdefghij12", "1 to 31" },
		{ "vcpus=2 mem=4M", "no name=NAME" },
		{ "name=x expect=maybe", "'exit' or 'triple_fault'" },
		{ "name=x timeout=0", "1..3600" },
	};
	struct guest_config cfg;
	char err[GUEST_ERR_LEN];

	for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
		bool ok = guest_cmdline_parse(bad[i].line, &cfg, err,
					      sizeof(err));

		if (!KTEST_EXPECT(t, !ok) ||
		    !KTEST_EXPECT(t, strstr(err, bad[i].msg) != NULL))
			ktest_diag(t, "'%s' gave '%s', wanted '%s'",
				   bad[i].line, ok ? "(accepted)" : err,
				   bad[i].msg);
	}
	/* The name is known even when a later word is bad. */
	guest_cmdline_parse("vcpus=99 name=named", &cfg, err, sizeof(err));
	KTEST_EXPECT(t, !strcmp(cfg.name, "named"));
}

/* ------------------------------------------------------------------ */

#define IMG_MAX		0x2000
#define CODE_GPA	0x200000ULL
#define CODE_OFF	0x100

static u8 img_buf[IMG_MAX];

/* A one-segment ELF64: 32 code bytes (0xc3 pattern) plus 0x3000 of bss. */
static size_t make_elf64(u8 *b, u64 gpa, u64 entry)
{
	struct elf64_ehdr eh = {
		.ident = { .magic = ELF_MAGIC, .class = ELFCLASS64,
			   .data = ELFDATA2LSB, .version = 1 },
		.type = ET_EXEC, .machine = EM_X86_64, .version = 1,
		.entry = entry, .phoff = sizeof(eh), .ehsize = sizeof(eh),
		.phentsize = sizeof(struct elf64_phdr), .phnum = 1,
	};
	struct elf64_phdr ph = {
		.type = PT_LOAD, .flags = 5, .offset = CODE_OFF,
		.vaddr = gpa, .paddr = gpa, .filesz = 32, .memsz = 0x3000,
	};

	memset(b, 0, IMG_MAX);
	memcpy(b, &eh, sizeof(eh));
	memcpy(b + sizeof(eh), &ph, sizeof(ph));
	for (int i = 0; i < 32; i++)
		b[CODE_OFF + i] = 0xc0 + i;
	return CODE_OFF + 32;
}

static void put32(u8 *p, u32 v)
{
	memcpy(p, &v, 4);
}

/* A flat Multiboot image: header at file offset 8, a.out fields. */
static size_t make_mb1_flat(u8 *b, u32 flags, bool good_sum)
{
	u32 load = 0x100000;

	memset(b, 0x90, IMG_MAX);
	put32(b + 8, MB1_HEADER_MAGIC);
	put32(b + 12, flags);
	put32(b + 16, (u32)-(MB1_HEADER_MAGIC + flags) + (good_sum ? 0 : 1));
	put32(b + 20, load + 8);		/* header_addr */
	put32(b + 24, load);			/* load_addr */
	put32(b + 28, 0);			/* load_end: whole file */
	put32(b + 32, load + 0x5000);		/* bss_end */
	put32(b + 36, load + 0x40);		/* entry */
	return 0x1000;
}

/* A Multiboot ELF32 kernel: the header inside its only segment. */
static size_t make_mb1_elf32(u8 *b)
{
	struct elf32_ehdr eh = {
		.ident = { .magic = ELF_MAGIC, .class = ELFCLASS32,
			   .data = ELFDATA2LSB, .version = 1 },
		.type = ET_EXEC, .machine = EM_386, .version = 1,
		.entry = 0x100010, .phoff = sizeof(eh), .ehsize = sizeof(eh),
		.phentsize = sizeof(struct elf32_phdr), .phnum = 1,
	};
	struct elf32_phdr ph = {
		.type = PT_LOAD, .offset = 0x1000, .vaddr = 0x100000,
		.paddr = 0x100000, .filesz = 0x100, .memsz = 0x2000,
		.flags = 5,
	};

	memset(b, 0, IMG_MAX);
	memcpy(b, &eh, sizeof(eh));
	memcpy(b + sizeof(eh), &ph, sizeof(ph));
	put32(b + 0x1000, MB1_HEADER_MAGIC);
	put32(b + 0x1004, MB1_F_MEMINFO);
	put32(b + 0x1008, (u32)-(MB1_HEADER_MAGIC + MB1_F_MEMINFO));
	b[0x1010] = 0xf4;	/* hlt at the entry */
	return 0x1100;
}

static u64 read64(struct guest *g, u64 gpa)
{
	u64 v = ~0ULL;

	guest_read(g, gpa, &v, sizeof(v));
	return v;
}

static u32 read32(struct guest *g, u64 gpa)
{
	u32 v = ~0U;

	guest_read(g, gpa, &v, sizeof(v));
	return v;
}

static void check_acpi(struct ktest *t, struct guest *g, unsigned int nr_vcpus);

static struct guest *load_with(struct ktest *t, const char *line, size_t size,
			       struct loader_image *img,
			       struct vcpu_boot_state *bs,
			       const struct mb1_module_src *mods,
			       unsigned int nr_mods, char *err)
{
	struct guest_config cfg;
	struct guest *g;

	if (!KTEST_EXPECT(t, guest_cmdline_parse(line, &cfg, err, GUEST_ERR_LEN)))
		return NULL;
	if (!KTEST_EXPECT(t, loader_probe(img_buf, size, img, err, GUEST_ERR_LEN)))
		return NULL;
	img->mods = mods;
	img->nr_mods = nr_mods;
	g = guest_create(cfg.name, cfg.nr_vcpus, cfg.mem_size,
			 img->format == GUEST_FMT_ELF64);
	if (!KTEST_EXPECT(t, g))
		return NULL;
	if (!loader_load(g, img, &cfg, bs, err, GUEST_ERR_LEN)) {
		guest_destroy(g);
		return NULL;
	}
	return g;
}

static struct guest *load(struct ktest *t, const char *line, size_t size,
			  struct loader_image *img, struct vcpu_boot_state *bs)
{
	struct guest_config cfg;
	char err[GUEST_ERR_LEN];
	struct guest *g;

	if (!KTEST_EXPECT(t, guest_cmdline_parse(line, &cfg, err, sizeof(err))))
		return NULL;
	if (!KTEST_EXPECT(t, loader_probe(img_buf, size, img, err, sizeof(err)))) {
		ktest_diag(t, "probe: %s", err);
		return NULL;
	}
	g = guest_create(cfg.name, cfg.nr_vcpus, cfg.mem_size,
			 img->format == GUEST_FMT_ELF64);
	if (!KTEST_EXPECT(t, g))
		return NULL;
	if (!KTEST_EXPECT(t, loader_load(g, img, &cfg, bs, err, sizeof(err)))) {
		ktest_diag(t, "load: %s", err);
		guest_destroy(g);
		return NULL;
	}
	return g;
}

KTEST(guests, load_elf64)
{
	struct vcpu_boot_state bs[GUEST_MAX_VCPUS];
	struct loader_image img;
	struct hv_boot_info bi;
	struct guest *g;
	u8 code[32];
	size_t size = make_elf64(img_buf, CODE_GPA, CODE_GPA + 4);

	g = load(t, "name=elf vcpus=3 mem=6M -- opt=1", size, &img, bs);
	if (!g)
		return;
	KTEST_EXPECT_EQ(t, img.format, GUEST_FMT_ELF64);
	KTEST_EXPECT_EQ(t, img.load_lo, CODE_GPA);
	KTEST_EXPECT_EQ(t, img.load_hi, CODE_GPA + 0x3000);
	KTEST_EXPECT_EQ(t, loader_min_mem(&img, 3),
			CODE_GPA + 0x3000 + 3 * HV_STACK_SIZE);
	KTEST_EXPECT(t, guest_read(g, CODE_GPA, code, sizeof(code)));
	KTEST_EXPECT_EQ(t, code[0], 0xc0);
	KTEST_EXPECT_EQ(t, code[31], 0xdf);
	KTEST_EXPECT_EQ(t, read64(g, CODE_GPA + 32), 0);	/* bss */

	/* Identity map: 3 x 2 MiB pages for 6 MiB, nothing beyond. */
	KTEST_EXPECT_EQ(t, read64(g, HV_GPA_PML4), HV_GPA_PDPT | 3);
	KTEST_EXPECT_EQ(t, read64(g, HV_GPA_PML4 + 8), 0);
	KTEST_EXPECT_EQ(t, read64(g, HV_GPA_PDPT), HV_GPA_PD | 3);
	KTEST_EXPECT_EQ(t, read64(g, HV_GPA_PD), 0x83);
	KTEST_EXPECT_EQ(t, read64(g, HV_GPA_PD + 16), (4ULL << 20) | 0x83);
	KTEST_EXPECT_EQ(t, read64(g, HV_GPA_PD + 24), 0);
	KTEST_EXPECT_EQ(t, read64(g, HV_GPA_GDT + 8), 0x00af9b000000ffffULL);
	KTEST_EXPECT_EQ(t, read64(g, HV_GPA_GDT + 16), 0x00cf93000000ffffULL);

	KTEST_EXPECT(t, guest_read(g, HV_GPA_BOOT_INFO, &bi, sizeof(bi)));
	KTEST_EXPECT_EQ(t, bi.magic, HV_BOOT_MAGIC);
	KTEST_EXPECT_EQ(t, bi.mem_size, 6ULL << 20);
	KTEST_EXPECT_EQ(t, bi.nr_vcpus, 3);
	KTEST_EXPECT_EQ(t, bi.guest_id, g->id);
	KTEST_EXPECT(t, !strcmp(bi.name, "elf"));
	KTEST_EXPECT(t, !strcmp(bi.cmdline, "opt=1"));
	check_acpi(t, g, 3);

	for (unsigned int i = 0; i < 3; i++) {
		KTEST_EXPECT_EQ(t, bs[i].mode, GUEST_ENTRY_LONG64);
		KTEST_EXPECT(t, bs[i].runnable);
		KTEST_EXPECT_EQ(t, bs[i].rip, CODE_GPA + 4);
		KTEST_EXPECT_EQ(t, bs[i].rsp, (6ULL << 20) - i * HV_STACK_SIZE);
		KTEST_EXPECT_EQ(t, bs[i].cr3, HV_GPA_PML4);
		KTEST_EXPECT_EQ(t, bs[i].rdi, i);
		KTEST_EXPECT_EQ(t, bs[i].rsi, HV_GPA_BOOT_INFO);
		KTEST_EXPECT_EQ(t, bs[i].gdt_base, HV_GPA_GDT);
		KTEST_EXPECT_EQ(t, bs[i].gdt_limit, 23);
		KTEST_EXPECT_EQ(t, bs[i].cs_sel, LOADER_SEL_CODE);
		KTEST_EXPECT_EQ(t, bs[i].ds_sel, LOADER_SEL_DATA);
	}
	guest_destroy(g);
}

static void check_mb1_info(struct ktest *t, struct guest *g,
			   const struct vcpu_boot_state *bs,
			   const char *opts)
{
	struct mb1_mmap_entry e[6];
	char cmd[32] = "";

	KTEST_EXPECT_EQ(t, bs[0].mode, GUEST_ENTRY_PROT32);
	KTEST_EXPECT(t, bs[0].runnable);
	KTEST_EXPECT(t, !bs[1].runnable);
	KTEST_EXPECT_EQ(t, bs[0].rax, MB1_BOOT_MAGIC);
	KTEST_EXPECT_EQ(t, bs[0].rbx, MB1_GPA_INFO);
	KTEST_EXPECT_EQ(t, read64(g, HV_GPA_GDT + 8), 0x00cf9b000000ffffULL);

	KTEST_EXPECT_EQ(t, read32(g, MB1_GPA_INFO), MB1_INFO_MEM |
			MB1_INFO_CMDLINE | MB1_INFO_MMAP | MB1_INFO_LOADER_NAME);
	KTEST_EXPECT_EQ(t, read32(g, MB1_GPA_INFO + 4), 639);
	KTEST_EXPECT_EQ(t, read32(g, MB1_GPA_INFO + 8), (4 << 10) - 1024);
	KTEST_EXPECT_EQ(t, read32(g, MB1_GPA_INFO + 16), MB1_GPA_CMDLINE);
	KTEST_EXPECT_EQ(t, read32(g, MB1_GPA_INFO + 44), sizeof(e));
	KTEST_EXPECT_EQ(t, read32(g, MB1_GPA_INFO + 48), MB1_GPA_MMAP);
	guest_read(g, MB1_GPA_CMDLINE, cmd, sizeof(cmd) - 1);
	/* GRUB 2: the options alone, no file name first. */
	KTEST_EXPECT(t, !strcmp(cmd, opts));
	guest_read(g, MB1_GPA_MMAP, e, sizeof(e));
	KTEST_EXPECT_EQ(t, e[0].size, 20);
	KTEST_EXPECT_EQ(t, e[0].type, 1);
	KTEST_EXPECT_EQ(t, e[3].base, 0x100000);
	KTEST_EXPECT_EQ(t, e[3].len, (4 << 20) - 0x100000);
	KTEST_EXPECT_EQ(t, e[5].base, ACPI_GUEST_LAPIC_GPA);
	KTEST_EXPECT_EQ(t, read32(g, MB1_GPA_INFO + 64), MB1_GPA_LOADER_NAME);
	guest_read(g, MB1_GPA_LOADER_NAME, cmd, sizeof(cmd) - 1);
	KTEST_EXPECT(t, !strcmp(cmd, MB1_LOADER_NAME));
}

/*
 * The ACPI tables as a guest finds them: "RSD PTR " at 0xF0000 with both
 * checksums, and a MADT with one LAPIC per vCPU (tests/host/
 * test_acpi_tables.c checks every field; this checks the loader wrote
 * them into this guest's memory).
 */
static void check_acpi(struct ktest *t, struct guest *g, unsigned int nr_vcpus)
{
	u8 buf[ACPI_TABLES_MAX_SIZE];
	const struct acpi_rsdp20 *rsdp = (const void *)buf;
	const struct acpi_sdt_header *xsdt;
	unsigned int lapics = 0;
	u64 madt_gpa;

	if (!KTEST_EXPECT(t, guest_read(g, ACPI_GUEST_GPA, buf, sizeof(buf))))
		return;
	KTEST_EXPECT(t, !memcmp(rsdp->signature, "RSD PTR ", 8));
	KTEST_EXPECT_EQ(t, acpi_checksum(rsdp, 20), 0);
	KTEST_EXPECT_EQ(t, acpi_checksum(rsdp, 36), 0);
	if (!KTEST_EXPECT(t, rsdp->xsdt_addr > ACPI_GUEST_GPA &&
			  rsdp->xsdt_addr < ACPI_GUEST_GPA + sizeof(buf) - 52))
		return;
	xsdt = (const void *)(buf + (rsdp->xsdt_addr - ACPI_GUEST_GPA));
	KTEST_EXPECT(t, !memcmp(xsdt->signature, "XSDT", 4));
	memcpy(&madt_gpa, (const u8 *)xsdt + 36 + 8, 8);
	if (!KTEST_EXPECT(t, madt_gpa > ACPI_GUEST_GPA &&
			  madt_gpa < ACPI_GUEST_GPA + sizeof(buf) - 44))
		return;
	{
		const struct acpi_madt *madt = (const void *)(buf + (madt_gpa - ACPI_GUEST_GPA));
		const u8 *p = (const u8 *)madt + sizeof(*madt);
		const u8 *end = (const u8 *)madt + madt->h.length;

		KTEST_EXPECT(t, !memcmp(madt->h.signature, "APIC", 4));
		KTEST_EXPECT(t, end <= buf + sizeof(buf));
		KTEST_EXPECT_EQ(t, acpi_checksum(madt, madt->h.length), 0);
		for (; p + 2 <= end && p[1] >= 2; p += p[1])
			lapics += p[0] == ACPI_MADT_LAPIC;
	}
	KTEST_EXPECT_EQ(t, lapics, nr_vcpus);
}

KTEST(guests, load_mb1_flat)
{
	struct vcpu_boot_state bs[GUEST_MAX_VCPUS];
	struct loader_image img;
	struct guest *g;
	size_t size = make_mb1_flat(img_buf, MB1_F_AOUT_KLUDGE | MB1_F_MEMINFO,
				    true);

	g = load(t, "name=flat vcpus=2 mem=4M -- x=1 y", size, &img, bs);
	if (!g)
		return;
	KTEST_EXPECT_EQ(t, img.format, GUEST_FMT_MB1_AOUT);
	KTEST_EXPECT_EQ(t, img.entry, 0x100040);
	KTEST_EXPECT_EQ(t, img.load_hi, 0x105000);
	KTEST_EXPECT_EQ(t, bs[0].rip, 0x100040);
	/* File offset 0 went to load_addr: the header sits at +8. */
	KTEST_EXPECT_EQ(t, read32(g, 0x100008), MB1_HEADER_MAGIC);
	KTEST_EXPECT_EQ(t, read32(g, 0x100ffc), 0x90909090);
	KTEST_EXPECT_EQ(t, read32(g, 0x101000), 0);		/* bss */
	check_mb1_info(t, g, bs, "x=1 y");
	check_acpi(t, g, 2);
	KTEST_EXPECT_EQ(t, read32(g, MB1_GPA_INFO + 20), 0);	/* no modules */
	guest_destroy(g);
}

KTEST(guests, load_mb1_elf32)
{
	struct vcpu_boot_state bs[GUEST_MAX_VCPUS];
	struct loader_image img;
	struct guest *g;
	size_t size = make_mb1_elf32(img_buf);

	g = load(t, "name=elf32 vcpus=2 mem=4M -- x=1 y", size, &img, bs);
	if (!g)
		return;
	KTEST_EXPECT_EQ(t, img.format, GUEST_FMT_MB1_ELF32);
	KTEST_EXPECT_EQ(t, bs[0].rip, 0x100010);
	KTEST_EXPECT_EQ(t, read32(g, 0x100000), MB1_HEADER_MAGIC);
	KTEST_EXPECT_EQ(t, read32(g, 0x100010), 0xf4);
	check_mb1_info(t, g, bs, "x=1 y");
	guest_destroy(g);
}

/* Modules land page-aligned after the image with their strings. */
KTEST(guests, load_mb1_modules)
{
	static u8 mod_a[5000];
	static const char env[] = "NR_CPUS=1\nMEMSIZE=4\n";
	const struct mb1_module_src mods[] = {
		{ mod_a, sizeof(mod_a), "a b c" },
		{ env, sizeof(env) - 1, "" },
	};
	struct vcpu_boot_state bs[GUEST_MAX_VCPUS];
	struct loader_image img;
	struct mb1_module m[2];
	char err[GUEST_ERR_LEN], str[8] = "x";
	u8 back[sizeof(mod_a)];
	struct guest *g;
	size_t size = make_mb1_flat(img_buf, MB1_F_AOUT_KLUDGE | MB1_F_MEMINFO,
				    true);

	for (unsigned int i = 0; i < sizeof(mod_a); i++)
		mod_a[i] = (u8)(i * 7 + 1);
	g = load_with(t, "name=mods mem=4M -- k", size, &img, bs, mods, 2, err);
	if (!KTEST_EXPECT(t, g)) {
		ktest_diag(t, "load: %s", err);
		return;
	}
	KTEST_EXPECT(t, read32(g, MB1_GPA_INFO) & MB1_INFO_MODS);
	KTEST_EXPECT_EQ(t, read32(g, MB1_GPA_INFO + 20), 2);
	KTEST_EXPECT_EQ(t, read32(g, MB1_GPA_INFO + 24), MB1_GPA_MODS);
	guest_read(g, MB1_GPA_MODS, m, sizeof(m));
	/* The image ends at 0x105000 (bss included): the next page on. */
	KTEST_EXPECT_EQ(t, m[0].mod_start, 0x105000);
	KTEST_EXPECT_EQ(t, m[0].mod_end, 0x105000 + sizeof(mod_a));
	KTEST_EXPECT_EQ(t, m[1].mod_start, 0x107000);
	KTEST_EXPECT_EQ(t, m[1].mod_end, 0x107000 + sizeof(env) - 1);
	guest_read(g, m[0].mod_start, back, sizeof(back));
	KTEST_EXPECT(t, !memcmp(back, mod_a, sizeof(mod_a)));
	guest_read(g, m[1].mod_start, back, sizeof(env) - 1);
	KTEST_EXPECT(t, !memcmp(back, env, sizeof(env) - 1));
	guest_read(g, m[0].string, str, sizeof(str) - 1);
	KTEST_EXPECT(t, !strcmp(str, "a b c"));
	guest_read(g, m[1].string, str, sizeof(str) - 1);
	KTEST_EXPECT(t, !strcmp(str, ""));
	guest_destroy(g);
}

/* Modules that cannot be given are refused with what is wrong. */
KTEST(guests, loader_module_rejects)
{
	struct vcpu_boot_state bs[GUEST_MAX_VCPUS];
	struct mb1_module_src mods[MB1_MAX_MODULES + 1];
	struct loader_image img;
	char err[GUEST_ERR_LEN];
	struct guest *g;
	size_t size;
	/* Bigger than 2M minus the 1M + 20K the image takes. */
	u64 big = 0x100000;
	u8 *data = kmalloc(big);

	if (!KTEST_EXPECT(t, data))
		return;
	for (unsigned int i = 0; i < ARRAY_SIZE(mods); i++)
		mods[i] = (struct mb1_module_src){ data, 16, "m" };
	size = make_mb1_flat(img_buf, MB1_F_AOUT_KLUDGE | MB1_F_MEMINFO, true);
	mods[0].size = big;
	g = load_with(t, "name=big mem=2M", size, &img, bs, mods, 1, err);
	KTEST_EXPECT(t, !g);
	if (g)
		guest_destroy(g);
	KTEST_EXPECT(t, strstr(err, "module 0 ('m', 1024 KiB) does not fit") != NULL);
	ktest_diag(t, "%s", err);
	mods[0].size = 16;
	g = load_with(t, "name=many mem=2M", size, &img, bs, mods,
		      MB1_MAX_MODULES + 1, err);
	KTEST_EXPECT(t, !g);
	if (g)
		guest_destroy(g);
	KTEST_EXPECT(t, strstr(err, "9 modules (module_for=) for one guest; at most 8") != NULL);
	size = make_elf64(img_buf, CODE_GPA, CODE_GPA);
	g = load_with(t, "name=elf mem=4M", size, &img, bs, mods, 1, err);
	KTEST_EXPECT(t, !g);
	KTEST_EXPECT(t, strstr(err, "only Multiboot v1 kernels take modules") != NULL);
	if (g)
		guest_destroy(g);
	kfree(data);
}

/* Every broken image is refused by the probe with a message saying why. */
KTEST(guests, loader_rejects)
{
	struct loader_image img;
	char err[GUEST_ERR_LEN];
	size_t size;

#define REJECT(sz, msg) do {						\
	bool ok_ = loader_probe(img_buf, (sz), &img, err, sizeof(err));	\
	if (!KTEST_EXPECT(t, !ok_) ||					\
	    !KTEST_EXPECT(t, strstr(err, msg) != NULL))			\
		ktest_diag(t, "wanted '%s', got '%s'", msg,		\
			   ok_ ? "(accepted)" : err);			\
} while (0)

	for (unsigned int i = 0; i < IMG_MAX; i++)
		img_buf[i] = (u8)(i * 37 + 11);
	REJECT(IMG_MAX, "neither ELF64 nor Multiboot");
	REJECT(10, "too small");

	size = make_elf64(img_buf, CODE_GPA, CODE_GPA);
	REJECT(size - 1, "beyond the end");
	REJECT(100, "program headers");
	make_elf64(img_buf, 0x1000, 0x1000);
	REJECT(size, "outside [1M, 1G)");
	make_elf64(img_buf, CODE_GPA, 0x400000);
	REJECT(size, "entry point 0x400000");
	make_elf64(img_buf, CODE_GPA, CODE_GPA);
	img_buf[18] = EM_386;
	REJECT(size, "not little-endian x86-64");
	make_elf64(img_buf, CODE_GPA, CODE_GPA);
	img_buf[16] = 3;	/* ET_DYN */
	REJECT(size, "not an executable");

	size = make_mb1_elf32(img_buf);
	put32(img_buf + 0x1000, 0);		/* no Multiboot header */
	REJECT(size, "ELF32 image without a Multiboot header");
	size = make_mb1_flat(img_buf, MB1_F_AOUT_KLUDGE, false);
	REJECT(size, "checksum is wrong");
	size = make_mb1_flat(img_buf, MB1_F_AOUT_KLUDGE | MB1_F_VIDEO, true);
	REJECT(size, "video mode");
	size = make_mb1_flat(img_buf, MB1_F_AOUT_KLUDGE | BIT(5), true);
	REJECT(size, "unknown features");
	size = make_mb1_flat(img_buf, 0, true);
	REJECT(size, "lacks the a.out address fields");
	size = make_mb1_flat(img_buf, MB1_F_AOUT_KLUDGE, true);
	put32(img_buf + 20, 0x100000 + 0x100);	/* header_addr too far on */
	REJECT(size, "inconsistent");
#undef REJECT
}

/* An image that does not fit the guest's memory is refused by the load. */
KTEST(guests, loader_mem_too_small)
{
	struct vcpu_boot_state bs[GUEST_MAX_VCPUS];
	struct loader_image img;
	struct guest_config cfg;
	char err[GUEST_ERR_LEN];
	struct guest *g;
	size_t size = make_elf64(img_buf, 0x300000, 0x300000);

	KTEST_EXPECT(t, guest_cmdline_parse("name=small mem=2M", &cfg, err,
					    sizeof(err)));
	KTEST_EXPECT(t, loader_probe(img_buf, size, &img, err, sizeof(err)));
	KTEST_EXPECT(t, loader_min_mem(&img, 1) > 2ULL << 20);
	g = guest_create(cfg.name, 1, cfg.mem_size, true);
	if (!KTEST_EXPECT(t, g))
		return;
	KTEST_EXPECT(t, !loader_load(g, &img, &cfg, bs, err, sizeof(err)));
	KTEST_EXPECT(t, strstr(err, "too small") != NULL);
	guest_destroy(g);
}
