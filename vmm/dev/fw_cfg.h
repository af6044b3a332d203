/* SPDX-License-Identifier: MIT */
/*
 * QEMU's firmware configuration interface (QEMU docs/specs/fw_cfg.rst),
 * the traditional I/O form: a 16-bit write to the selector at 0x510
 * picks an item and rewinds it; each byte read from the data port 0x511
 * gives the item's next byte, and 0 past its end or for an item that
 * does not exist. Data writes are ignored (as QEMU since 2.4). As in
 * QEMU, a byte read of 0x510 reads data too. No DMA interface: the ID
 * item says so (bit 1 clear), so nothing answers at 0x514.
 *
 * Items: the signature "QEMU" (0x0000), ID 1 (0x0001), the RAM size
 * (0x0003, 64-bit LE), the CPU count (0x0005) and maximum (0x000f, 16-bit
 * LE), and the file directory (0x0019: a big-endian count, then 64-byte
 * entries { be32 size, be16 select, u16 reserved, char name[56] }) with
 * one file, "etc/e820", QEMU's memory map for firmware: one entry per
 * range { le64 address, le64 length, le32 type }, here all RAM.
 */
#ifndef VMM_DEV_FW_CFG_H
#define VMM_DEV_FW_CFG_H

#include "kernel/spinlock.h"
#include "vmm/dev/io_bus.h"

#define FW_CFG_PORT		0x510	/* selector; data at 0x511 */
#define FW_CFG_SIGNATURE	0x0000
#define FW_CFG_ID		0x0001
#define FW_CFG_RAM_SIZE		0x0003
#define FW_CFG_NB_CPUS		0x0005
#define FW_CFG_MAX_CPUS		0x000f
#define FW_CFG_FILE_DIR		0x0019
#define FW_CFG_FILE_FIRST	0x0020
#define FW_CFG_ID_TRADITIONAL	0x01
#define FW_CFG_FILE_NAME_LEN	56
#define FW_CFG_NR_FILES		1
#define FW_CFG_NR_ITEMS		(6 + FW_CFG_NR_FILES)
#define FW_CFG_E820_RAM		1

struct fw_cfg_item {
	u16 key;
	u16 len;
	const u8 *data;
};

struct fw_cfg {
	spinlock_t lock;	/* protects cur, offset (irqsave) */
	const struct fw_cfg_item *cur;	/* NULL: no such item */
	u32 offset;		/* next byte of cur */
	/* The items and their bytes, filled at init and then constant. */
	struct fw_cfg_item items[FW_CFG_NR_ITEMS];
	u8 sig[4], id[4], ram_size[8], nb_cpus[2], max_cpus[2];
	u8 file_dir[4 + 64 * FW_CFG_NR_FILES];
	u8 e820[20];
};

void fw_cfg_init(struct fw_cfg *f, u64 mem_size, unsigned int nr_cpus,
		 unsigned int max_cpus);
extern const struct io_dev_ops fw_cfg_ops;	/* dev = the fw_cfg, 2 ports */

#endif
