// SPDX-License-Identifier: MIT
/*
 * Bad-input tests of the Multiboot2 parser: synthetic information
 * structures (built here, never the live one) fed to mb2_parse(), which
 * writes only into the struct boot_info it is given. Each case checks
 * that the problem is counted (and so reported on the console by name)
 * and that what can be used still is.
 */
#include "kernel/ktest.h"
#include "kernel/log.h"
#include "kernel/multiboot2.h"
#include "kernel/string.h"
#include "mm/kmalloc.h"

#define MBI_BYTES	1024

/* A synthetic information structure under construction. */
struct mbi_builder {
	u8 buf[MBI_BYTES] __aligned(8);
	u32 len;
};

static struct mbi_builder *mbi_begin(void)
{
	struct mbi_builder *b = kmalloc(sizeof(*b));

	if (b) {
		memset(b, 0, sizeof(*b));
		b->len = 8;		/* total_size, reserved */
	}
	return b;
}

/* Append a tag of @size bytes (header included); returns its payload. */
static u8 *mbi_tag(struct mbi_builder *b, u32 type, u32 size)
{
	u8 *tag = b->buf + b->len;

	if (WARN_ON(b->len + ALIGN_UP(size, 8) + 8 > MBI_BYTES))
		return b->buf + MBI_BYTES - 8;	/* the test fails on values */
	memcpy(tag, &type, 4);
	memcpy(tag + 4, &size, 4);
	b->len += ALIGN_UP(size, 8);
	return tag + 8;
}

static phys_addr_t mbi_end(struct mbi_builder *b)
{
	mbi_tag(b, 0, 8);
	memcpy(b->buf, &b->len, 4);
	return (phys_addr_t)(unsigned long)b->buf;
}

struct mmap_entry {
	u64 addr, len;
	u32 type, reserved;
};

static void mbi_mmap(struct mbi_builder *b, u32 entry_size,
		     const struct mmap_entry *e, unsigned int n)
{
	u8 *p = mbi_tag(b, 6, 16 + n * entry_size);
	u32 version = 0;

	memcpy(p, &entry_size, 4);
	memcpy(p + 4, &version, 4);
	for (unsigned int i = 0; i < n; i++)
		memcpy(p + 8 + i * entry_size, &e[i],
		       MIN(entry_size, (u32)sizeof(*e)));
}

static void mbi_module(struct mbi_builder *b, u32 start, u32 end,
		       const char *cmdline)
{
	u32 len = strlen(cmdline) + 1;
	u8 *p = mbi_tag(b, 3, 16 + len);

	memcpy(p, &start, 4);
	memcpy(p + 4, &end, 4);
	memcpy(p + 8, cmdline, len);
}

static void mbi_string(struct mbi_builder *b, u32 type, const char *s)
{
	u32 len = strlen(s) + 1;

	memcpy(mbi_tag(b, type, 8 + len), s, len);
}

static void mbi_meminfo(struct mbi_builder *b, u32 lower_kb, u32 upper_kb)
{
	u8 *p = mbi_tag(b, 4, 16);

	memcpy(p, &lower_kb, 4);
	memcpy(p + 4, &upper_kb, 4);
}

/* A test's two allocations: the builder and the parse result. */
#define MB2_TEST_SETUP(t, b, bi)					\
	struct mbi_builder *b = mbi_begin();				\
	struct boot_info *bi = kmalloc(sizeof(*bi));			\
	if (!KTEST_EXPECT(t, b && bi)) {				\
		kfree(b);						\
		kfree(bi);						\
		return;							\
	}

static const struct mmap_entry good_map[] = {
	{ 0, 0x9fc00, 1, 0 },
	{ 0x9fc00, 0x400, 2, 0 },
	{ 0x100000, 0x7f00000, 1, 0 },
	{ 0x8000000, 0x10000, 3, 0 },		/* ACPI tables */
	{ 0xfd00000000ULL, 0x300000000ULL, 2, 0 },
};

KTEST(multiboot2, well_formed)
{
	MB2_TEST_SETUP(t, b, bi);
	mbi_string(b, 1, "log_level=info ktest=a.*");
	mbi_string(b, 2, "synthetic loader");
	mbi_mmap(b, 24, good_map, ARRAY_SIZE(good_map));
	mbi_module(b, 0x200000, 0x201000, "guest name=a");
	KTEST_EXPECT(t, mb2_parse(mbi_end(b), bi));
	KTEST_EXPECT_EQ(t, bi->nr_problems, 0);
	KTEST_EXPECT(t, !strcmp(bi->cmdline, "log_level=info ktest=a.*"));
	KTEST_EXPECT(t, !strcmp(bi->bootloader, "synthetic loader"));
	KTEST_EXPECT(t, bi->have_mmap);
	KTEST_EXPECT_EQ(t, bi->nr_usable, 2);
	KTEST_EXPECT_EQ(t, bi->usable_bytes, 0x9fc00 + 0x7f00000);
	KTEST_EXPECT_EQ(t, bi->ram_end, 0x8010000);
	KTEST_EXPECT_EQ(t, bi->max_phys, 0x10000000000ULL);
	KTEST_EXPECT_EQ(t, bi->nr_modules, 1);
	KTEST_EXPECT_EQ(t, bi->modules[0].end - bi->modules[0].start, 0x1000);
	KTEST_EXPECT(t, !strcmp(bi->modules[0].cmdline, "guest name=a"));
	/* The live boot information is not touched. */
	KTEST_EXPECT(t, boot_info.mbi_start != bi->mbi_start);
	kfree(b);
	kfree(bi);
}

KTEST(multiboot2, missing_mmap_uses_meminfo)
{
	MB2_TEST_SETUP(t, b, bi);
	mbi_meminfo(b, 639, 130048);
	KTEST_EXPECT(t, mb2_parse(mbi_end(b), bi));
	KTEST_EXPECT(t, !bi->have_mmap);
	KTEST_EXPECT_EQ(t, bi->nr_problems, 1);
	KTEST_EXPECT_EQ(t, bi->nr_usable, 2);
	KTEST_EXPECT_EQ(t, bi->usable_bytes, (639ULL + 130048) << 10);
	kfree(b);
	kfree(bi);
}

KTEST(multiboot2, no_memory_information_at_all)
{
	MB2_TEST_SETUP(t, b, bi);
	mbi_string(b, 1, "x");
	KTEST_EXPECT(t, mb2_parse(mbi_end(b), bi));
	/* memory_init() panics on this with "no usable RAM". */
	KTEST_EXPECT_EQ(t, bi->nr_usable, 0);
	KTEST_EXPECT_EQ(t, bi->nr_problems, 1);
	kfree(b);
	kfree(bi);
}

KTEST(multiboot2, garbled_mmap_entry_size)
{
	MB2_TEST_SETUP(t, b, bi);
	mbi_mmap(b, 12, good_map, 2);		/* entries smaller than 24 */
	mbi_meminfo(b, 639, 1024);
	KTEST_EXPECT(t, mb2_parse(mbi_end(b), bi));
	KTEST_EXPECT(t, !bi->have_mmap);
	/* The bad map and the fall-back to meminfo are both reported. */
	KTEST_EXPECT_EQ(t, bi->nr_problems, 2);
	KTEST_EXPECT_EQ(t, bi->nr_usable, 2);
	kfree(b);
	kfree(bi);
}

KTEST(multiboot2, garbled_mmap_entries)
{
	static const struct mmap_entry bad[] = {
		{ 0x100000, 0, 1, 0 },				/* empty */
		{ 0xfffffffffffff000ULL, 0x2000, 1, 0 },	/* wraps */
		{ 0x100000, 0x100000, 1, 0 },			/* fine */
	};

	MB2_TEST_SETUP(t, b, bi);
	mbi_mmap(b, 24, bad, ARRAY_SIZE(bad));
	KTEST_EXPECT(t, mb2_parse(mbi_end(b), bi));
	KTEST_EXPECT_EQ(t, bi->nr_problems, 2);
	KTEST_EXPECT_EQ(t, bi->nr_usable, 1);
	KTEST_EXPECT_EQ(t, bi->usable_bytes, 0x100000);
	kfree(b);
	kfree(bi);
}

KTEST(multiboot2, tag_past_the_end)
{
	u8 *p;
	u32 huge = 4096;

	MB2_TEST_SETUP(t, b, bi);
	mbi_string(b, 1, "kept");
	p = mbi_tag(b, 6, 16);
	memcpy(p - 4, &huge, 4);	/* this tag claims 4 KiB */
	KTEST_EXPECT(t, mb2_parse(mbi_end(b), bi));
	KTEST_EXPECT(t, !strcmp(bi->cmdline, "kept"));
	KTEST_EXPECT(t, !bi->have_mmap);
	KTEST_EXPECT(t, bi->nr_problems >= 1);
	kfree(b);
	kfree(bi);
}

KTEST(multiboot2, unusable_structure)
{
	MB2_TEST_SETUP(t, b, bi);
	KTEST_EXPECT(t, !mb2_parse(0, bi));
	KTEST_EXPECT(t, !mb2_parse((phys_addr_t)(unsigned long)b->buf + 4, bi));
	/* total_size below the 16-byte minimum */
	KTEST_EXPECT(t, !mb2_parse((phys_addr_t)(unsigned long)b->buf, bi));
	KTEST_EXPECT_EQ(t, bi->nr_problems, 1);
	kfree(b);
	kfree(bi);
}

KTEST(multiboot2, overlapping_and_inverted_modules)
{
	MB2_TEST_SETUP(t, b, bi);
	mbi_mmap(b, 24, good_map, ARRAY_SIZE(good_map));
	mbi_module(b, 0x200000, 0x300000, "first");
	mbi_module(b, 0x2ff000, 0x400000, "overlaps first");
	mbi_module(b, 0x500000, 0x400000, "ends before it starts");
	mbi_module(b, 0x400000, 0x401000, "touches, no overlap");
	KTEST_EXPECT(t, mb2_parse(mbi_end(b), bi));
	KTEST_EXPECT_EQ(t, bi->nr_problems, 2);
	/* Overlapping ones stay (reserved whole); the inverted one not. */
	KTEST_EXPECT_EQ(t, bi->nr_modules, 3);
	KTEST_EXPECT(t, !strcmp(bi->modules[2].cmdline, "touches, no overlap"));
	kfree(b);
	kfree(bi);
}

KTEST(multiboot2, efi_memory_map)
{
	struct efi_desc {
		u32 type, pad;
		u64 phys, virt, nr_pages, attr;
	} d[3] = {
		{ .type = 7, .phys = 0x100000, .nr_pages = 256 },  /* conventional */
		{ .type = 0, .phys = 0x200000, .nr_pages = 16 },   /* reserved */
		{ .type = 9, .phys = 0x300000, .nr_pages = 4 },    /* ACPI reclaim */
	};
	u32 desc_size = 48, version = 1;	/* larger than the struct */
	u8 *p;

	MB2_TEST_SETUP(t, b, bi);
	p = mbi_tag(b, 17, 16 + 3 * desc_size);
	memcpy(p, &desc_size, 4);
	memcpy(p + 4, &version, 4);
	for (int i = 0; i < 3; i++)
		memcpy(p + 8 + i * desc_size, &d[i], sizeof(d[i]));
	KTEST_EXPECT(t, mb2_parse(mbi_end(b), bi));
	KTEST_EXPECT_EQ(t, bi->nr_problems, 0);
	KTEST_EXPECT_EQ(t, bi->nr_usable, 1);
	KTEST_EXPECT_EQ(t, bi->usable_bytes, 256 * PAGE_SIZE);
	KTEST_EXPECT_EQ(t, bi->ram_end, 0x304000);
	kfree(b);
	kfree(bi);
}
