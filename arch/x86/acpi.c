// SPDX-License-Identifier: MIT
/*
 * ACPI table discovery. Tables are read through the identity map; the
 * firmware places them below 4 GiB on every machine we boot, which the
 * boot page tables already cover.
 */
#include "arch/x86/acpi.h"
#include "arch/x86/cpu.h"
#include "kernel/log.h"
#include "kernel/string.h"

struct acpi_info acpi_info;

struct rsdp {
	char signature[8];
	u8 checksum;
	char oem_id[6];
	u8 revision;
	u32 rsdt_addr;
	u32 length;			/* v2 from here */
	u64 xsdt_addr;
	u8 ext_checksum;
	u8 reserved[3];
} __packed;

struct sdt_header {
	char signature[4];
	u32 length;
	u8 revision;
	u8 checksum;
	char oem_id[6];
	char oem_table_id[8];
	u32 oem_revision;
	u32 creator_id;
	u32 creator_revision;
} __packed;

static bool checksum_ok(const void *p, size_t len)
{
	const u8 *b = p;
	u8 sum = 0;

	while (len--)
		sum += *b++;
	return sum == 0;
}

static const struct rsdp *scan_rsdp(u64 start, u64 end)
{
	for (u64 a = start; a + 20 <= end; a += 16) {
		const struct rsdp *r = (const void *)(unsigned long)a;

		if (!memcmp(r->signature, "RSD PTR ", 8) && checksum_ok(r, 20))
			return r;
	}
	return NULL;
}

static void note_table(u64 start, u64 len)
{
	if (acpi_info.nr_tables < ACPI_MAX_TABLES) {
		acpi_info.tables[acpi_info.nr_tables].start = start;
		acpi_info.tables[acpi_info.nr_tables].len = len;
		acpi_info.nr_tables++;
	}
}

static const struct sdt_header *map_table(u64 addr, const char *what)
{
	const struct sdt_header *h = (const void *)(unsigned long)addr;

	if (!addr || addr >= (4ULL << 30)) {
		pr_err("acpi: %s at %#llx is outside the mapped 4 GiB; ignored\n",
		       what, (unsigned long long)addr);
		return NULL;
	}
	if (h->length < sizeof(*h) || h->length > (1u << 20) ||
	    !checksum_ok(h, h->length)) {
		pr_err("acpi: %s at %#llx has a bad length or checksum; ignored\n",
		       what, (unsigned long long)addr);
		return NULL;
	}
	note_table(addr, h->length);
	return h;
}

#define MADT_LAPIC	0
#define MADT_IOAPIC	1
#define MADT_X2APIC	9

static void parse_madt(const struct sdt_header *h)
{
	const u8 *p = (const u8 *)h + sizeof(*h) + 8;	/* LAPIC addr, flags */
	const u8 *end = (const u8 *)h + h->length;

	acpi_info.have_madt = true;
	while (p + 2 <= end && p[1] >= 2 && p + p[1] <= end) {
		u32 id = ~0u, flags = 0;

		switch (p[0]) {
		case MADT_LAPIC:
			id = p[3];
			memcpy(&flags, p + 4, 4);
			break;
		case MADT_X2APIC:
			memcpy(&id, p + 4, 4);
			memcpy(&flags, p + 8, 4);
			break;
		case MADT_IOAPIC:
			if (!acpi_info.nr_ioapics++) {
				acpi_info.ioapic_id = p[2];
				memcpy(&acpi_info.ioapic_addr, p + 4, 4);
			}
			break;
		}
		if (id != ~0u) {
			/* Bit 0: enabled; bit 1: online capable (hot-add). */
			if (!(flags & 1))
				acpi_info.nr_lapics_disabled++;
			else if (acpi_info.nr_lapics < MAX_CPUS)
				acpi_info.lapic_ids[acpi_info.nr_lapics++] = id;
			else
				pr_warn("acpi: more than %u CPUs; APIC id %u ignored\n",
					MAX_CPUS, id);
		}
		p += p[1];
	}
}

/*
 * \_S5 in the DSDT is "Name(_S5_, Package() {SLP_TYPa, ...})":
 * 08 '_S5_' 12 PkgLength NumElements then a byte constant (0A nn) or
 * Zero/One opcodes. Enough for every firmware we meet here.
 */
static void parse_s5(const struct sdt_header *dsdt)
{
	const u8 *p = (const u8 *)dsdt + sizeof(*dsdt);
	const u8 *end = (const u8 *)dsdt + dsdt->length;

	for (; p + 8 < end; p++) {
		if (memcmp(p, "_S5_", 4) || p[4] != 0x12)
			continue;
		if (p[-1] != 0x08 && !(p[-2] == 0x08 && p[-1] == '\\'))
			continue;
		p += 5;
		p += ((*p & 0xc0) >> 6) + 1;	/* PkgLength */
		p++;				/* NumElements */
		if (*p == 0x0a)
			p++;
		acpi_info.slp_typa = *p & 7;
		acpi_info.have_s5 = true;
		return;
	}
}

static void parse_fadt(const struct sdt_header *h)
{
	const u8 *f = (const u8 *)h;
	u32 dsdt32;
	const struct sdt_header *dsdt;

	acpi_info.have_fadt = true;
	memcpy(&acpi_info.pm1a_cnt, f + 64, 4);
	memcpy(&dsdt32, f + 40, 4);
	dsdt = map_table(dsdt32, "DSDT");
	if (dsdt)
		parse_s5(dsdt);
}

void acpi_init(const void *rsdp_copy)
{
	const struct rsdp *rsdp = rsdp_copy;
	const struct sdt_header *root;
	bool xsdt;
	unsigned int n;

	if (!rsdp) {
		u64 ebda = (u64)(*(volatile u16 *)0x40e) << 4;

		if (ebda >= 0x80000 && ebda < 0xa0000)
			rsdp = scan_rsdp(ebda, ebda + 1024);
		if (!rsdp)
			rsdp = scan_rsdp(0xe0000, 0x100000);
	}
	if (!rsdp || !checksum_ok(rsdp, 20)) {
		pr_err("acpi: no valid RSDP found: assuming 1 CPU, no ACPI power-off\n");
		return;
	}
	acpi_info.have_rsdp = true;
	memcpy(acpi_info.oem_id, rsdp->oem_id, 6);

	xsdt = rsdp->revision >= 2 && rsdp->xsdt_addr &&
	       checksum_ok(rsdp, rsdp->length);
	root = map_table(xsdt ? rsdp->xsdt_addr : rsdp->rsdt_addr,
			 xsdt ? "XSDT" : "RSDT");
	if (!root) {
		pr_err("acpi: no usable RSDT/XSDT: assuming 1 CPU\n");
		return;
	}
	n = (root->length - sizeof(*root)) / (xsdt ? 8 : 4);
	for (unsigned int i = 0; i < n; i++) {
		const u8 *ent = (const u8 *)root + sizeof(*root) +
				i * (xsdt ? 8 : 4);
		u64 addr = 0;
		const struct sdt_header *h;

		memcpy(&addr, ent, xsdt ? 8 : 4);
		h = (const void *)(unsigned long)addr;
		if (!addr || addr >= (4ULL << 30))
			continue;
		if (!memcmp(h->signature, "APIC", 4)) {
			h = map_table(addr, "MADT");
			if (h)
				parse_madt(h);
		} else if (!memcmp(h->signature, "FACP", 4)) {
			h = map_table(addr, "FADT");
			if (h)
				parse_fadt(h);
		}
	}
	if (!acpi_info.have_madt)
		pr_err("acpi: no MADT: falling back to 1 CPU\n");
	pr_info("acpi: OEM '%s', %u CPU(s) enabled (%u disabled), IOAPIC %#x, PM1a_CNT %#x, S5 %s\n",
		acpi_info.oem_id, acpi_info.nr_lapics,
		acpi_info.nr_lapics_disabled, acpi_info.ioapic_addr,
		acpi_info.pm1a_cnt,
		acpi_info.have_s5 ? "found" : "not found");
}

void acpi_poweroff(void)
{
	u16 typ = acpi_info.have_s5 ? acpi_info.slp_typa : 0;

	if (!acpi_info.pm1a_cnt || acpi_info.pm1a_cnt > 0xffff)
		return;
	/* SLP_TYP in bits 12:10, SLP_EN bit 13. */
	outw(acpi_info.pm1a_cnt, (typ << 10) | (1 << 13));
}
