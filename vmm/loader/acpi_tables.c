// SPDX-License-Identifier: MIT
/*
 * The guest's ACPI tables (see vmm/loader/acpi_tables.h). Order in the
 * area: RSDP, RSDT, XSDT, FADT, DSDT, MADT, each on a 16-byte boundary;
 * a table's checksum is set after everything in it is written.
 */
#include "vmm/loader/acpi_tables.h"
#include "kernel/string.h"

#define ACPI_ALIGN	16
#define MAX_CPUS_MADT	32

u8 acpi_checksum(const void *p, size_t len)
{
	const u8 *b = p;
	u8 sum = 0;

	while (len--)
		sum += *b++;
	return sum;
}

/* Bump allocator over the area; every table on a 16-byte boundary. */
struct area {
	u8 *buf;
	size_t size, used;
};

static void *area_take(struct area *a, size_t len, u32 *gpa)
{
	size_t off = ALIGN_UP(a->used, ACPI_ALIGN);

	if (off > a->size || len > a->size - off)
		return NULL;
	a->used = off + len;
	*gpa = ACPI_GUEST_GPA + (u32)off;
	return a->buf + off;
}

static void sdt_header(struct acpi_sdt_header *h, const char sig[4],
		       u32 length, u8 revision)
{
	memcpy(h->signature, sig, 4);
	h->length = length;
	h->revision = revision;
	memcpy(h->oem_id, ACPI_OEM_ID, 6);
	memcpy(h->oem_table_id, "MICROHV ", 8);
	memcpy(h->oem_table_id, sig, 4);
	h->oem_revision = 1;
	memcpy(h->creator_id, "MHV ", 4);
	h->creator_revision = 1;
}

/* Last, once the whole table is in place. */
static void sdt_seal(struct acpi_sdt_header *h)
{
	h->checksum = 0;
	h->checksum = (u8)-acpi_checksum(h, h->length);
}

static size_t madt_size(unsigned int nr_cpus)
{
	return sizeof(struct acpi_madt) +
	       nr_cpus * sizeof(struct acpi_madt_lapic) +
	       sizeof(struct acpi_madt_ioapic) +
	       5 * sizeof(struct acpi_madt_iso) +
	       sizeof(struct acpi_madt_lapic_nmi);
}

static void build_madt(u8 *p, unsigned int nr_cpus)
{
	/* QEMU's overrides: the PIT's IRQ0 on GSI2, PCI-ish IRQs level. */
	static const struct { u8 irq; u32 gsi; u16 flags; } iso[] = {
		{ 0, 2, 0 },
		{ 5, 5, ACPI_ISO_LEVEL_HIGH },
		{ ACPI_GUEST_SCI_IRQ, ACPI_GUEST_SCI_IRQ, ACPI_ISO_LEVEL_HIGH },
		{ 10, 10, ACPI_ISO_LEVEL_HIGH },
		{ 11, 11, ACPI_ISO_LEVEL_HIGH },
	};
	struct acpi_madt *madt = (struct acpi_madt *)p;
	size_t off = sizeof(*madt);

	sdt_header(&madt->h, "APIC", (u32)madt_size(nr_cpus), 3);
	madt->lapic_addr = ACPI_GUEST_LAPIC_GPA;
	madt->flags = ACPI_MADT_PCAT_COMPAT;
	for (unsigned int i = 0; i < nr_cpus; i++) {
		struct acpi_madt_lapic e = {
			.type = ACPI_MADT_LAPIC, .length = sizeof(e),
			.processor_uid = (u8)i, .apic_id = (u8)i, .flags = 1,
		};

		memcpy(p + off, &e, sizeof(e));
		off += sizeof(e);
	}
	{
		/* The IOAPIC's ID follows the CPUs' (no clash on the APIC bus). */
		struct acpi_madt_ioapic e = {
			.type = ACPI_MADT_IOAPIC, .length = sizeof(e),
			.ioapic_id = (u8)nr_cpus,
			.address = ACPI_GUEST_IOAPIC_GPA, .gsi_base = 0,
		};

		memcpy(p + off, &e, sizeof(e));
		off += sizeof(e);
	}
	for (unsigned int i = 0; i < ARRAY_SIZE(iso); i++) {
		struct acpi_madt_iso e = {
			.type = ACPI_MADT_ISO, .length = sizeof(e), .bus = 0,
			.source = iso[i].irq, .gsi = iso[i].gsi,
			.flags = iso[i].flags,
		};

		memcpy(p + off, &e, sizeof(e));
		off += sizeof(e);
	}
	{
		struct acpi_madt_lapic_nmi e = {
			.type = ACPI_MADT_LAPIC_NMI, .length = sizeof(e),
			.processor_uid = 0xff, .flags = 0, .lint = 1,
		};

		memcpy(p + off, &e, sizeof(e));
		off += sizeof(e);
	}
	sdt_seal(&madt->h);
}

size_t acpi_tables_build(u8 *buf, size_t size, unsigned int nr_cpus)
{
	struct area a = { buf, size, 0 };
	struct acpi_rsdp20 *rsdp;
	struct acpi_sdt_header *rsdt, *xsdt, *dsdt;
	struct acpi_fadt *fadt;
	u8 *madt;
	u32 rsdp_gpa = 0, rsdt_gpa = 0, xsdt_gpa = 0, fadt_gpa = 0, dsdt_gpa = 0;
	u32 madt_gpa = 0;
	size_t madt_len = madt_size(nr_cpus);
	/* Two tables listed: FADT, MADT. */
	const size_t rsdt_len = sizeof(*rsdt) + 2 * 4;
	const size_t xsdt_len = sizeof(*xsdt) + 2 * 8;

	BUILD_BUG_ON(sizeof(struct acpi_rsdp20) != 36);
	BUILD_BUG_ON(sizeof(struct acpi_sdt_header) != 36);
	BUILD_BUG_ON(sizeof(struct acpi_fadt) != 276);
	BUILD_BUG_ON(sizeof(struct acpi_madt_iso) != 10);
	BUILD_BUG_ON(sizeof(struct acpi_madt_lapic_nmi) != 6);
	if (!nr_cpus || nr_cpus > MAX_CPUS_MADT)
		return 0;
	if (size)
		memset(buf, 0, size);
	rsdp = area_take(&a, sizeof(*rsdp), &rsdp_gpa);
	rsdt = area_take(&a, rsdt_len, &rsdt_gpa);
	xsdt = area_take(&a, xsdt_len, &xsdt_gpa);
	fadt = area_take(&a, sizeof(*fadt), &fadt_gpa);
	dsdt = area_take(&a, sizeof(*dsdt), &dsdt_gpa);
	madt = area_take(&a, madt_len, &madt_gpa);
	if (!rsdp || !rsdt || !xsdt || !fadt || !dsdt || !madt)
		return 0;

	/* An empty DSDT: a definition block with no objects. */
	sdt_header(dsdt, "DSDT", sizeof(*dsdt), 2);
	sdt_seal(dsdt);

	sdt_header(&fadt->h, "FACP", sizeof(*fadt), 6);
	fadt->minor_version = 0;
	fadt->dsdt = dsdt_gpa;
	fadt->x_dsdt = dsdt_gpa;
	fadt->sci_int = ACPI_GUEST_SCI_IRQ;
	fadt->flags = ACPI_FADT_HW_REDUCED | ACPI_FADT_WBINVD;
	fadt->iapc_boot_arch = ACPI_FADT_BOOT_LEGACY_DEVICES;
	memcpy(&fadt->hypervisor_vendor, "MicroHV", 8);
	sdt_seal(&fadt->h);

	build_madt(madt, nr_cpus);

	sdt_header(rsdt, "RSDT", (u32)rsdt_len, 1);
	memcpy((u8 *)rsdt + sizeof(*rsdt), &fadt_gpa, 4);
	memcpy((u8 *)rsdt + sizeof(*rsdt) + 4, &madt_gpa, 4);
	sdt_seal(rsdt);

	sdt_header(xsdt, "XSDT", (u32)xsdt_len, 1);
	{
		u64 fadt64 = fadt_gpa, madt64 = madt_gpa;

		memcpy((u8 *)xsdt + sizeof(*xsdt), &fadt64, 8);
		memcpy((u8 *)xsdt + sizeof(*xsdt) + 8, &madt64, 8);
	}
	sdt_seal(xsdt);

	memcpy(rsdp->signature, "RSD PTR ", 8);
	memcpy(rsdp->oem_id, ACPI_OEM_ID, 6);
	rsdp->revision = 2;
	rsdp->rsdt_addr = rsdt_gpa;
	rsdp->length = sizeof(*rsdp);
	rsdp->xsdt_addr = xsdt_gpa;
	rsdp->checksum = (u8)-acpi_checksum(rsdp, 20);
	rsdp->ext_checksum = (u8)-acpi_checksum(rsdp, sizeof(*rsdp));
	return a.used;
}
