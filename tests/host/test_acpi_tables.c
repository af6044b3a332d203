// SPDX-License-Identifier: MIT
/*
 * vmm/loader/acpi_tables.c read back as a guest kernel would: the tables
 * are built into a copy of guest memory [0xE0000, 1 MiB), the RSDP is
 * found by scanning 16-byte boundaries for "RSD PTR ", and every pointer,
 * length, checksum and field is checked through the RSDT and the XSDT.
 */
// host-srcs: vmm/loader/acpi_tables.c
#include "vmm/loader/acpi_tables.h"
#include "tests/host/platform_host.h"
#include "tests/host/tap.h"

#include <stdlib.h>
#include <string.h>

#define SCAN_LO		0xe0000u
#define MEM_HI		0x100000u

static u8 *mem;		/* guest memory [SCAN_LO, MEM_HI) */

static const void *gpa(u64 a, u64 len)
{
	if (a < SCAN_LO || a > MEM_HI || len > MEM_HI - a)
		return NULL;
	return mem + (a - SCAN_LO);
}

static u8 sum(const void *p, size_t len)
{
	const u8 *b = p;
	u8 s = 0;

	while (len--)
		s += *b++;
	return s;
}

/* A table at @a: in memory, 16-aligned, signature, checksum. */
static const struct acpi_sdt_header *table(u64 a, const char *sig)
{
	const struct acpi_sdt_header *h = gpa(a, sizeof(*h));

	if (!tap_ok(h && (a & 15) == 0, "%s at %#llx lies in the BIOS area, 16-byte aligned",
		    sig, (unsigned long long)a))
		return NULL;
	if (!tap_ok(gpa(a, h->length) && h->length >= sizeof(*h) &&
		    !memcmp(h->signature, sig, 4),
		    "%s: signature and length %u", sig, h->length))
		return NULL;
	tap_ok(sum(h, h->length) == 0, "%s: checksum", sig);
	tap_ok(!memcmp(h->oem_id, ACPI_OEM_ID, 6), "%s: OEM id", sig);
	return h;
}

static const struct acpi_rsdp20 *scan_rsdp(void)
{
	for (u64 a = SCAN_LO; a < MEM_HI; a += 16)
		if (!memcmp(gpa(a, 8), "RSD PTR ", 8))
			return gpa(a, sizeof(struct acpi_rsdp20));
	return NULL;
}

static void check_madt(const struct acpi_sdt_header *h, unsigned int n)
{
	const struct acpi_madt *madt = (const void *)h;
	const u8 *p = (const u8 *)h + sizeof(*madt), *end = (const u8 *)h + h->length;
	unsigned int lapics = 0, ioapics = 0, nmis = 0;
	bool ids_ok = true, irq0 = false, sci = false, walk_ok = true;

	tap_ok(madt->lapic_addr == 0xfee00000u && (madt->flags & 1),
	       "MADT: LAPIC at 0xfee00000, PCAT_COMPAT");
	while (p < end) {
		if (end - p < 2 || p[1] < 2 || p[1] > end - p) {
			walk_ok = false;
			break;
		}
		switch (p[0]) {
		case ACPI_MADT_LAPIC: {
			const struct acpi_madt_lapic *e = (const void *)p;

			ids_ok &= e->length == 8 && e->apic_id == lapics &&
				  e->processor_uid == lapics && e->flags == 1;
			lapics++;
			break;
		}
		case ACPI_MADT_IOAPIC: {
			const struct acpi_madt_ioapic *e = (const void *)p;

			tap_ok(e->length == 12 && e->address == 0xfec00000u &&
			       e->gsi_base == 0 && e->ioapic_id == n,
			       "MADT %u CPUs: IOAPIC at 0xfec00000, id %u, GSI base 0", n, n);
			ioapics++;
			break;
		}
		case ACPI_MADT_ISO: {
			const struct acpi_madt_iso *e = (const void *)p;

			ids_ok &= e->length == 10 && e->bus == 0;
			irq0 |= e->source == 0 && e->gsi == 2 && e->flags == 0;
			sci |= e->source == 9 && e->gsi == 9 && e->flags == 0xd;
			break;
		}
		case ACPI_MADT_LAPIC_NMI: {
			const struct acpi_madt_lapic_nmi *e = (const void *)p;

			nmis += e->length == 6 && e->processor_uid == 0xff &&
				e->lint == 1 && e->flags == 0;
			break;
		}
		default:
			walk_ok = false;
		}
		p += p[1];
	}
	tap_ok(walk_ok && p == end, "MADT %u CPUs: entries tile the table exactly", n);
	tap_ok(lapics == n && ids_ok, "MADT %u CPUs: %u enabled LAPICs with IDs and UIDs 0..n-1",
	       n, lapics);
	tap_ok(ioapics == 1, "MADT %u CPUs: one IOAPIC", n);
	tap_ok(irq0 && sci, "MADT %u CPUs: overrides IRQ0->GSI2 and SCI 9 level/high", n);
	tap_ok(nmis == 1, "MADT %u CPUs: LAPIC NMI on LINT1 of every CPU", n);
}

static void check_fadt(const struct acpi_sdt_header *h)
{
	const struct acpi_fadt *f = (const void *)h;
	static const struct acpi_gas none;

	tap_ok(h->length == 276 && h->revision == 6, "FADT: revision 6, 276 bytes");
	tap_ok((f->flags & ACPI_FADT_HW_REDUCED) && !f->pm_tmr_blk &&
	       !memcmp(&f->x_pm_tmr_blk, &none, sizeof(none)) &&
	       !f->pm1a_cnt_blk && !f->pm1a_evt_blk && !f->firmware_ctrl &&
	       !f->x_firmware_ctrl && !f->smi_cmd,
	       "FADT: hardware-reduced, no PM timer, PM1 blocks, FACS or SMI port");
	tap_ok(f->sci_int == 9, "FADT: SCI_INT 9");
	tap_ok(f->dsdt && f->x_dsdt == f->dsdt, "FADT: DSDT and X_DSDT agree");
	table(f->dsdt, "DSDT");
}

/* Both root tables list the same FADT and MADT. */
static void check_all(unsigned int n, size_t len)
{
	const struct acpi_rsdp20 *r = scan_rsdp();
	const struct acpi_sdt_header *rsdt, *xsdt;
	u32 rsdt_e[2];
	u64 xsdt_e[2];

	if (!tap_ok(r && (const u8 *)r == gpa(ACPI_GUEST_GPA, 1),
		    "%u CPUs: scan finds the RSDP at 0xf0000", n))
		return;
	tap_ok(sum(r, 20) == 0 && sum(r, 36) == 0 && r->revision == 2 &&
	       r->length == 36, "RSDP: both checksums, revision 2, length 36");
	rsdt = table(r->rsdt_addr, "RSDT");
	xsdt = table(r->xsdt_addr, "XSDT");
	if (!rsdt || !xsdt)
		return;
	if (!tap_ok(rsdt->length == 36 + 8 && xsdt->length == 36 + 16,
		    "RSDT and XSDT list two tables each"))
		return;
	memcpy(rsdt_e, (const u8 *)rsdt + 36, 8);
	memcpy(xsdt_e, (const u8 *)xsdt + 36, 16);
	tap_ok(rsdt_e[0] == xsdt_e[0] && rsdt_e[1] == xsdt_e[1],
	       "RSDT and XSDT point to the same tables");
	{
		const struct acpi_sdt_header *fadt = table(xsdt_e[0], "FACP");
		const struct acpi_sdt_header *madt = table(xsdt_e[1], "APIC");

		if (fadt)
			check_fadt(fadt);
		if (madt)
			check_madt(madt, n);
		if (madt)
			tap_ok(xsdt_e[1] + madt->length == ACPI_GUEST_GPA + len,
			       "%u CPUs: the MADT ends the %zu bytes built", n, len);
	}
}

int main(void)
{
	static const unsigned int cpus[] = { 1, 2, 3, 8, 32 };
	size_t len;
	u8 *small;

	/* 38 checks per CPU count, and the refusal of 0 and 33 CPUs. */
	tap_plan(ARRAY_SIZE(cpus) * 38 + 1);
	mem = calloc(1, MEM_HI - SCAN_LO);
	if (!mem)
		return 1;
	for (unsigned int i = 0; i < ARRAY_SIZE(cpus); i++) {
		memset(mem, 0, MEM_HI - SCAN_LO);
		len = acpi_tables_build(mem + (ACPI_GUEST_GPA - SCAN_LO),
					ACPI_TABLES_MAX_SIZE, cpus[i]);
		if (!tap_ok(len > 0 && len <= ACPI_TABLES_MAX_SIZE,
			    "%u CPUs: %zu bytes built", cpus[i], len))
			continue;
		check_all(cpus[i], len);
		/* Every buffer one byte short is refused, never overrun (ASan). */
		{
			bool refused = true;

			for (size_t sz = 0; sz < len; sz++) {
				small = malloc(sz ? sz : 1);
				refused &= acpi_tables_build(small, sz, cpus[i]) == 0;
				free(small);
			}
			tap_ok(refused, "%u CPUs: every buffer smaller than %zu bytes is refused",
			       cpus[i], len);
		}
	}
	tap_ok(acpi_tables_build(mem, ACPI_TABLES_MAX_SIZE, 0) == 0 &&
	       acpi_tables_build(mem, ACPI_TABLES_MAX_SIZE, 33) == 0,
	       "0 or 33 CPUs: refused");
	free(mem);
	return tap_done();
}
