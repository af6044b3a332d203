// SPDX-License-Identifier: MIT
/*
 * Bad-input tests of the ACPI parser: synthetic RSDP/RSDT/XSDT/MADT
 * images fed to acpi_parse(), which fills only the struct acpi_info it is
 * given. A missing RSDP, a root table without a MADT and a MADT with a bad
 * checksum must each be reported and leave "1 CPU" behind; a good MADT
 * must give its enabled CPUs and IOAPIC.
 */
#include "arch/x86/acpi.h"
#include "kernel/ktest.h"
#include "kernel/string.h"
#include "mm/kmalloc.h"

struct acpi_image {
	u8 rsdp[36] __aligned(16);
	u8 root[64] __aligned(8);
	u8 madt[44 + 16 * 72] __aligned(8);	/* up to 72 x2APIC entries */
	u8 other[64] __aligned(8);
};

static void fix_checksum(u8 *p, size_t len, size_t at)
{
	u8 sum = 0;

	p[at] = 0;
	for (size_t i = 0; i < len; i++)
		sum += p[i];
	p[at] = (u8)-sum;
}

static void sdt_header(u8 *h, const char *sig, u32 len)
{
	memcpy(h, sig, 4);
	memcpy(h + 4, &len, 4);
	h[8] = 1;
	memcpy(h + 10, "KTEST ", 6);
}

/*
 * RSDP (v1 or v2) -> RSDT or XSDT listing @madt and @other (when their
 * signature is set). Checksums are made valid; tests break them after.
 */
static void build(struct acpi_image *im, bool v2, unsigned int madt_lapics)
{
	u32 len;
	u64 tables[2] = { (u64)(unsigned long)im->madt,
			  (u64)(unsigned long)im->other };

	memcpy(im->rsdp, "RSD PTR ", 8);
	memcpy(im->rsdp + 9, "KTEST ", 6);
	im->rsdp[15] = v2 ? 2 : 0;
	if (madt_lapics) {
		/* Header, LAPIC address + flags, then 8-byte LAPIC entries. */
		len = 44 + 8 * madt_lapics + 12;
		sdt_header(im->madt, "APIC", len);
		for (unsigned int i = 0; i < madt_lapics; i++) {
			u8 *e = im->madt + 44 + 8 * i;

			e[0] = 0;		/* processor local APIC */
			e[1] = 8;
			e[2] = i;		/* ACPI processor id */
			e[3] = i;		/* APIC id */
			e[4] = i == 1 ? 0 : 1;	/* cpu 1 disabled */
		}
		u8 *io = im->madt + 44 + 8 * madt_lapics;
		u32 io_addr = 0xfec00000;

		io[0] = 1;			/* IOAPIC */
		io[1] = 12;
		io[2] = 7;
		memcpy(io + 4, &io_addr, 4);
		fix_checksum(im->madt, len, 9);
	}
	if (v2) {
		len = 36 + 8 * 2;
		sdt_header(im->root, "XSDT", len);
		memcpy(im->root + 36, tables, 16);
	} else {
		len = 36 + 4 * 2;
		sdt_header(im->root, "RSDT", len);
		for (int i = 0; i < 2; i++) {
			u32 a = (u32)tables[i];

			memcpy(im->root + 36 + 4 * i, &a, 4);
		}
	}
	fix_checksum(im->root, len, 9);
	/* Something that is not a MADT, so the root table is not empty. */
	sdt_header(im->other, "SSDT", 40);
	fix_checksum(im->other, 40, 9);

	if (v2) {
		u64 xsdt = (u64)(unsigned long)im->root;
		u32 rsdp_len = 36;

		memcpy(im->rsdp + 20, &rsdp_len, 4);
		memcpy(im->rsdp + 24, &xsdt, 8);
	} else {
		u32 rsdt = (u32)(unsigned long)im->root;

		memcpy(im->rsdp + 16, &rsdt, 4);
	}
	/* The v1 checksum covers 20 bytes; the v2 one all 36, after it. */
	fix_checksum(im->rsdp, 20, 8);
	if (v2)
		fix_checksum(im->rsdp, 36, 32);
}

#define ACPI_TEST_SETUP(t, im, ai)					\
	struct acpi_image *im = kmalloc(sizeof(*im));			\
	struct acpi_info *ai = kmalloc(sizeof(*ai));			\
	if (!KTEST_EXPECT(t, im && ai)) {				\
		kfree(im);						\
		kfree(ai);						\
		return;							\
	}								\
	memset(im, 0, sizeof(*im))

KTEST(acpi, madt_cpus_and_ioapic)
{
	ACPI_TEST_SETUP(t, im, ai);
	for (int v2 = 0; v2 <= 1; v2++) {
		build(im, v2, 3);
		KTEST_EXPECT(t, acpi_parse(im->rsdp, ai));
		KTEST_EXPECT(t, ai->have_madt);
		KTEST_EXPECT_EQ(t, ai->nr_lapics, 2);
		KTEST_EXPECT_EQ(t, ai->nr_lapics_disabled, 1);
		KTEST_EXPECT_EQ(t, ai->lapic_ids[1], 2);
		KTEST_EXPECT_EQ(t, ai->ioapic_addr, 0xfec00000);
		KTEST_EXPECT_EQ(t, ai->ioapic_id, 7);
		KTEST_EXPECT(t, !memcmp(ai->oem_id, "KTEST ", 6));
	}
	/* The live tables were not touched. */
	KTEST_EXPECT(t, memcmp(acpi_info.oem_id, "KTEST ", 6));
	kfree(im);
	kfree(ai);
}

KTEST(acpi, no_rsdp)
{
	ACPI_TEST_SETUP(t, im, ai);
	KTEST_EXPECT(t, !acpi_parse(NULL, ai));
	KTEST_EXPECT(t, !ai->have_rsdp && !ai->have_madt);
	KTEST_EXPECT_EQ(t, ai->nr_lapics, 0);
	build(im, false, 2);
	im->rsdp[8] ^= 0x55;			/* bad RSDP checksum */
	KTEST_EXPECT(t, !acpi_parse(im->rsdp, ai));
	KTEST_EXPECT(t, !ai->have_rsdp);
	kfree(im);
	kfree(ai);
}

KTEST(acpi, no_madt)
{
	ACPI_TEST_SETUP(t, im, ai);
	build(im, false, 0);		/* the RSDT's first entry is no table */
	KTEST_EXPECT(t, acpi_parse(im->rsdp, ai));
	KTEST_EXPECT(t, ai->have_rsdp);
	KTEST_EXPECT(t, !ai->have_madt);
	KTEST_EXPECT_EQ(t, ai->nr_lapics, 0);
	kfree(im);
	kfree(ai);
}

KTEST(acpi, garbled_tables)
{
	ACPI_TEST_SETUP(t, im, ai);
	build(im, true, 2);
	im->madt[40] ^= 1;			/* MADT checksum now wrong */
	KTEST_EXPECT(t, acpi_parse(im->rsdp, ai));
	KTEST_EXPECT(t, !ai->have_madt);
	KTEST_EXPECT_EQ(t, ai->nr_lapics, 0);

	build(im, true, 2);
	im->root[9] ^= 1;			/* XSDT checksum wrong */
	KTEST_EXPECT(t, !acpi_parse(im->rsdp, ai));
	KTEST_EXPECT(t, !ai->have_madt);

	build(im, true, 2);
	im->madt[44 + 1] = 200;			/* entry longer than the MADT */
	fix_checksum(im->madt, 44 + 16 + 12, 9);
	KTEST_EXPECT(t, acpi_parse(im->rsdp, ai));
	KTEST_EXPECT(t, ai->have_madt);
	KTEST_EXPECT_EQ(t, ai->nr_lapics, 0);	/* parse stopped there */
	kfree(im);
	kfree(ai);
}

/*
 * A MADT as a big UEFI machine has it: x2APIC entries (type 9) with IDs
 * above 255, some disabled, and more enabled CPUs than MAX_CPUS: the IDs
 * are taken as 32-bit, disabled ones counted apart, and those beyond
 * MAX_CPUS named and left out.
 */
KTEST(acpi, madt_x2apic_ids_above_255_and_too_many_cpus)
{
	enum { N = 72 };
	u32 len = 44 + 16 * N;

	ACPI_TEST_SETUP(t, im, ai);
	build(im, true, 3);
	sdt_header(im->madt, "APIC", len);
	for (unsigned int i = 0; i < N; i++) {
		u8 *e = im->madt + 44 + 16 * i;
		u32 id = 256 + 2 * i, flags = (i % 10 == 4) ? 0 : 1;

		memset(e, 0, 16);
		e[0] = 9;		/* processor local x2APIC */
		e[1] = 16;
		memcpy(e + 4, &id, 4);
		memcpy(e + 8, &flags, 4);
		memcpy(e + 12, &i, 4);	/* ACPI processor UID */
	}
	fix_checksum(im->madt, len, 9);
	KTEST_EXPECT(t, acpi_parse(im->rsdp, ai));
	KTEST_EXPECT(t, ai->have_madt);
	/*
	 * 72 entries, 7 disabled (i = 4, 14, ... 64): 65 enabled, of which
	 * the first 64 are kept and the last (id 398) is named and dropped.
	 */
	KTEST_EXPECT_EQ(t, ai->nr_lapics_disabled, 7);
	KTEST_EXPECT_EQ(t, ai->nr_lapics, MAX_CPUS);
	KTEST_EXPECT_EQ(t, ai->lapic_ids[0], 256);
	KTEST_EXPECT_EQ(t, ai->lapic_ids[4], 256 + 2 * 5);	/* 4 skipped */
	KTEST_EXPECT_EQ(t, ai->lapic_ids[MAX_CPUS - 1], 396);
	kfree(im);
	kfree(ai);
}
