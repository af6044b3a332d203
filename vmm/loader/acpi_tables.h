/* SPDX-License-Identifier: MIT */
/*
 * The ACPI tables a guest finds in its BIOS area, as on a PC: an ACPI 2.0
 * RSDP on a 16-byte boundary (kernels scan 0xE0000-0xFFFFF for
 * "RSD PTR "), pointing to an XSDT and an RSDT that both list a FADT and
 * a MADT; the FADT points to an empty DSDT.
 *
 *  - MADT: one enabled local APIC per vCPU (processor UID = APIC ID =
 *    vCPU index 0..n-1), one IOAPIC at 0xFEC00000 with ID n and GSI base
 *    0, QEMU's interrupt source overrides (IRQ0 -> GSI2; IRQ 5, 9, 10, 11
 *    level, active high), and a local APIC NMI on LINT1 of every CPU.
 *  - FADT (revision 6): hardware-reduced ACPI, so no PM timer, PM1 blocks
 *    or FACS; SCI_INT 9 as on QEMU; legacy devices (PIC, PIT, RTC) present.
 *
 * Pure: acpi_tables_build() lays the tables out in a host buffer that
 * will be copied to guest-physical ACPI_GUEST_GPA, so pointers between
 * tables are guest-physical. Every checksum is computed. The loader
 * copies it for both guest formats; the memory map of a Multiboot guest
 * reserves the whole BIOS area [ACPI_GUEST_GPA, 1 MiB).
 */
#ifndef VMM_LOADER_ACPI_TABLES_H
#define VMM_LOADER_ACPI_TABLES_H

#include "kernel/compiler.h"

#define ACPI_GUEST_GPA		0xf0000u	/* RSDP first, tables after */
#define ACPI_GUEST_AREA_END	0x100000u
#define ACPI_TABLES_MAX_SIZE	1024u		/* 8 vCPUs use about 600 */
#define ACPI_GUEST_IOAPIC_GPA	0xfec00000u
#define ACPI_GUEST_LAPIC_GPA	0xfee00000u
#define ACPI_GUEST_SCI_IRQ	9
#define ACPI_OEM_ID		"MICRHV"	/* 6 characters */

struct acpi_rsdp20 {
	char signature[8];	/* "RSD PTR " */
	u8 checksum;		/* of the first 20 bytes */
	char oem_id[6];
	u8 revision;		/* 2: ACPI 2.0+, XSDT present */
	u32 rsdt_addr;
	u32 length;		/* 36 */
	u64 xsdt_addr;
	u8 ext_checksum;	/* of all 36 bytes */
	u8 reserved[3];
} __attribute__((packed));

struct acpi_sdt_header {
	char signature[4];
	u32 length;
	u8 revision;
	u8 checksum;		/* all @length bytes sum to 0 */
	char oem_id[6];
	char oem_table_id[8];
	u32 oem_revision;
	char creator_id[4];
	u32 creator_revision;
} __attribute__((packed));

/* Generic address structure (FADT registers): all zero = absent. */
struct acpi_gas {
	u8 space_id, bit_width, bit_offset, access_size;
	u64 address;
} __attribute__((packed));

struct acpi_fadt {
	struct acpi_sdt_header h;
	u32 firmware_ctrl, dsdt;
	u8 reserved0, preferred_pm_profile;
	u16 sci_int;
	u32 smi_cmd;
	u8 acpi_enable, acpi_disable, s4bios_req, pstate_cnt;
	u32 pm1a_evt_blk, pm1b_evt_blk, pm1a_cnt_blk, pm1b_cnt_blk;
	u32 pm2_cnt_blk, pm_tmr_blk, gpe0_blk, gpe1_blk;
	u8 pm1_evt_len, pm1_cnt_len, pm2_cnt_len, pm_tmr_len;
	u8 gpe0_blk_len, gpe1_blk_len, gpe1_base, cst_cnt;
	u16 p_lvl2_lat, p_lvl3_lat, flush_size, flush_stride;
	u8 duty_offset, duty_width, day_alrm, mon_alrm, century;
	u16 iapc_boot_arch;
	u8 reserved1;
	u32 flags;
	struct acpi_gas reset_reg;
	u8 reset_value;
	u16 arm_boot_arch;
	u8 minor_version;
	u64 x_firmware_ctrl, x_dsdt;
	struct acpi_gas x_pm1a_evt_blk, x_pm1b_evt_blk, x_pm1a_cnt_blk;
	struct acpi_gas x_pm1b_cnt_blk, x_pm2_cnt_blk, x_pm_tmr_blk;
	struct acpi_gas x_gpe0_blk, x_gpe1_blk, sleep_control, sleep_status;
	u64 hypervisor_vendor;
} __attribute__((packed));

#define ACPI_FADT_HW_REDUCED		BIT(20)
#define ACPI_FADT_WBINVD		BIT(0)
#define ACPI_FADT_BOOT_LEGACY_DEVICES	BIT(0)

struct acpi_madt {
	struct acpi_sdt_header h;
	u32 lapic_addr;
	u32 flags;		/* PCAT_COMPAT: dual 8259s present */
} __attribute__((packed));

#define ACPI_MADT_PCAT_COMPAT	BIT(0)

enum acpi_madt_type {
	ACPI_MADT_LAPIC = 0,
	ACPI_MADT_IOAPIC = 1,
	ACPI_MADT_ISO = 2,		/* interrupt source override */
	ACPI_MADT_LAPIC_NMI = 4,
};

struct acpi_madt_lapic {
	u8 type, length, processor_uid, apic_id;
	u32 flags;		/* bit 0: enabled */
} __attribute__((packed));

struct acpi_madt_ioapic {
	u8 type, length, ioapic_id, reserved;
	u32 address, gsi_base;
} __attribute__((packed));

struct acpi_madt_iso {
	u8 type, length, bus, source;
	u32 gsi;
	u16 flags;		/* 0: conforms to the bus; 0xd: level, high */
} __attribute__((packed));

struct acpi_madt_lapic_nmi {
	u8 type, length, processor_uid;	/* 0xff: every processor */
	u16 flags;
	u8 lint;
} __attribute__((packed));

#define ACPI_ISO_LEVEL_HIGH	0x000d

/*
 * Lay out the tables for @nr_cpus vCPUs (1..32) in @buf, which will sit at
 * guest-physical ACPI_GUEST_GPA. Returns the number of bytes used, or 0
 * when @size is too small or @nr_cpus is out of range.
 */
size_t acpi_tables_build(u8 *buf, size_t size, unsigned int nr_cpus);

/* The byte sum of @len bytes (0 for a table with a right checksum). */
u8 acpi_checksum(const void *p, size_t len);

#endif
