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

static void note_table(struct acpi_info *ai, u64 start, u64 len)
{
	if (ai->nr_tables < ACPI_MAX_TABLES) {
		ai->tables[ai->nr_tables].start = start;
		ai->tables[ai->nr_tables].len = len;
		ai->nr_tables++;
	}
}

static const struct sdt_header *map_table(struct acpi_info *ai, u64 addr,
					  const char *what)
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
	note_table(ai, addr, h->length);
	return h;
}

#define MADT_LAPIC	0
#define MADT_IOAPIC	1
#define MADT_X2APIC	9

static void parse_madt(struct acpi_info *ai, const struct sdt_header *h)
{
	const u8 *p = (const u8 *)h + sizeof(*h) + 8;	/* LAPIC addr, flags */
	const u8 *end = (const u8 *)h + h->length;

	ai->have_madt = true;
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
			if (!ai->nr_ioapics++) {
				ai->ioapic_id = p[2];
				memcpy(&ai->ioapic_addr, p + 4, 4);
			}
			break;
		}
		if (id != ~0u) {
			/* Bit 0: enabled; bit 1: online capable (hot-add). */
			if (!(flags & 1))
				ai->nr_lapics_disabled++;
			else if (ai->nr_lapics < MAX_CPUS)
				ai->lapic_ids[ai->nr_lapics++] = id;
			else
				pr_warn("acpi: more than %u CPUs; APIC id %u ignored\n",
					MAX_CPUS, id);
		}
		p += p[1];
	}
	if (p < end)
		pr_err("acpi: MADT entry at offset %u is broken (length %u, %u bytes left); the rest of the MADT is ignored\n",
		       (unsigned int)(p - (const u8 *)h),
		       p + 1 < end ? p[1] : 0, (unsigned int)(end - p));
}

/*
 * \_S5 in the DSDT is "Name(_S5_, Package() {SLP_TYPa, ...})":
 * 08 '_S5_' 12 PkgLength NumElements then a byte constant (0A nn) or
 * Zero/One opcodes. Enough for every firmware we meet here.
 */
static void parse_s5(struct acpi_info *ai, const struct sdt_header *dsdt)
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
		ai->slp_typa = *p & 7;
		ai->have_s5 = true;
		return;
	}
}

static void parse_fadt(struct acpi_info *ai, const struct sdt_header *h)
{
	const u8 *f = (const u8 *)h;
	u32 dsdt32;
	const struct sdt_header *dsdt;

	ai->have_fadt = true;
	memcpy(&ai->pm1a_cnt, f + 64, 4);
	/* PM_TMR_BLK (76), PM_TMR_LEN (91, 4 when present), flags (112). */
	if (h->length >= 116 && f[91] == 4) {
		u32 flags;

		memcpy(&ai->pm_tmr_port, f + 76, 4);
		memcpy(&flags, f + 112, 4);
		ai->pm_tmr_32bit = flags & BIT(8);
		if (ai->pm_tmr_port > 0xffff)
			ai->pm_tmr_port = 0;
	}
	memcpy(&dsdt32, f + 40, 4);
	dsdt = map_table(ai, dsdt32, "DSDT");
	if (dsdt)
		parse_s5(ai, dsdt);
}

bool acpi_parse(const void *rsdp_ptr, struct acpi_info *ai)
{
	const struct rsdp *rsdp = rsdp_ptr;
	const struct sdt_header *root;
	bool xsdt;
	unsigned int n;

	memset(ai, 0, sizeof(*ai));
	if (!rsdp || memcmp(rsdp->signature, "RSD PTR ", 8) ||
	    !checksum_ok(rsdp, 20)) {
		pr_err("acpi: no valid RSDP found (%s): assuming 1 CPU, no ACPI power-off\n",
		       rsdp ? "bad signature or checksum" :
			      "none from the boot loader or the BIOS areas");
		return false;
	}
	ai->have_rsdp = true;
	memcpy(ai->oem_id, rsdp->oem_id, 6);

	xsdt = rsdp->revision >= 2 && rsdp->xsdt_addr &&
	       rsdp->length >= sizeof(*rsdp) && rsdp->length <= 4096 &&
	       checksum_ok(rsdp, rsdp->length);
	root = map_table(ai, xsdt ? rsdp->xsdt_addr : rsdp->rsdt_addr,
			 xsdt ? "XSDT" : "RSDT");
	if (!root) {
		pr_err("acpi: no usable RSDT/XSDT: assuming 1 CPU\n");
		return false;
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
			h = map_table(ai, addr, "MADT");
			if (h)
				parse_madt(ai, h);
		} else if (!memcmp(h->signature, "FACP", 4)) {
			h = map_table(ai, addr, "FADT");
			if (h)
				parse_fadt(ai, h);
		}
	}
	if (!ai->have_madt)
		pr_err("acpi: no MADT: falling back to 1 CPU\n");
	pr_info("acpi: OEM '%s', %u CPU(s) enabled (%u disabled), IOAPIC %#x, PM1a_CNT %#x, S5 %s\n",
		ai->oem_id, ai->nr_lapics, ai->nr_lapics_disabled,
		ai->ioapic_addr, ai->pm1a_cnt,
		ai->have_s5 ? "found" : "not found");
	return true;
}

void acpi_init(const void *rsdp)
{
	if (!rsdp) {
		u64 ebda = (u64)(*(volatile u16 *)0x40e) << 4;

		if (ebda >= 0x80000 && ebda < 0xa0000)
			rsdp = scan_rsdp(ebda, ebda + 1024);
		if (!rsdp)
			rsdp = scan_rsdp(0xe0000, 0x100000);
	}
	acpi_parse(rsdp, &acpi_info);
}

void acpi_poweroff(void)
{
	u16 typ = acpi_info.have_s5 ? acpi_info.slp_typa : 0;

	if (!acpi_info.pm1a_cnt || acpi_info.pm1a_cnt > 0xffff)
		return;
	/* SLP_TYP in bits 12:10, SLP_EN bit 13. */
	outw(acpi_info.pm1a_cnt, (typ << 10) | (1 << 13));
}
