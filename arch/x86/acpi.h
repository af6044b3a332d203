/* SPDX-License-Identifier: MIT */
/*
 * The little of ACPI the kernel needs: the MADT (which CPUs exist, where
 * the IOAPIC is) and the FADT + \_S5 (how to power off).
 */
#ifndef ARCH_X86_ACPI_H
#define ARCH_X86_ACPI_H

#include "kernel/compiler.h"

#define ACPI_MAX_TABLES	32

struct acpi_info {
	bool have_rsdp, have_madt, have_fadt;
	char oem_id[7];			/* RSDP OEM id, NUL-terminated */
	u32 lapic_ids[MAX_CPUS];	/* enabled CPUs, MADT order */
	unsigned int nr_lapics;
	unsigned int nr_lapics_disabled;
	u32 ioapic_addr;
	u32 ioapic_id;
	unsigned int nr_ioapics;
	u32 pm1a_cnt;			/* PM1a control port, 0 if none */
	u32 pm_tmr_port;		/* ACPI PM timer port, 0 if none */
	bool pm_tmr_32bit;		/* TMR_VAL_EXT: 32 bits, else 24 */
	u16 slp_typa;			/* SLP_TYPa for S5 */
	bool have_s5;
	/* Tables touched, so main.c can keep them out of the allocator. */
	struct { u64 start, len; } tables[ACPI_MAX_TABLES];
	unsigned int nr_tables;
};

extern struct acpi_info acpi_info;

/*
 * Parse from @rsdp (the copy in the Multiboot2 tag) or, when NULL, from a
 * scan of the EBDA and 0xE0000-0xFFFFF. Missing or bad tables are reported
 * and leave the defaults (one CPU, no power-off).
 */
void acpi_init(const void *rsdp);
/*
 * The parser itself: fill @ai (cleared first) from the RSDP at @rsdp,
 * reporting what is missing or broken by name. No side effect on the live
 * acpi_info, so tests can feed it synthetic tables. Returns false without
 * a usable RSDP and RSDT/XSDT.
 */
bool acpi_parse(const void *rsdp, struct acpi_info *ai);
/* Soft power-off through PM1a_CNT; returns if that did not work. */
void acpi_poweroff(void);

#endif
