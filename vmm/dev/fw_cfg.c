// SPDX-License-Identifier: MIT
/* QEMU's fw_cfg, I/O ports (see fw_cfg.h). */
#include "vmm/dev/fw_cfg.h"
#include "kernel/string.h"

static void put_le(u8 *p, u64 v, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		p[i] = v >> (8 * i);
}

static void put_be(u8 *p, u64 v, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		p[i] = v >> (8 * (n - 1 - i));
}

void fw_cfg_init(struct fw_cfg *f, u64 mem_size, unsigned int nr_cpus,
		 unsigned int max_cpus)
{
	static const char e820_name[] = "etc/e820";
	unsigned int n = 0;

	*f = (struct fw_cfg){ 0 };
	spin_lock_init(&f->lock, "fw_cfg");
	memcpy(f->sig, "QEMU", 4);
	put_le(f->id, FW_CFG_ID_TRADITIONAL, 4);
	put_le(f->ram_size, mem_size, 8);
	put_le(f->nb_cpus, nr_cpus, 2);
	put_le(f->max_cpus, max_cpus, 2);
	put_le(f->e820, 0, 8);
	put_le(f->e820 + 8, mem_size, 8);
	put_le(f->e820 + 16, FW_CFG_E820_RAM, 4);
	put_be(f->file_dir, FW_CFG_NR_FILES, 4);
	put_be(f->file_dir + 4, sizeof(f->e820), 4);
	put_be(f->file_dir + 8, FW_CFG_FILE_FIRST, 2);
	memcpy(f->file_dir + 12, e820_name, sizeof(e820_name));
#define ITEM(k, arr) f->items[n++] = (struct fw_cfg_item){ k, sizeof(arr), arr }
	ITEM(FW_CFG_SIGNATURE, f->sig);
	ITEM(FW_CFG_ID, f->id);
	ITEM(FW_CFG_RAM_SIZE, f->ram_size);
	ITEM(FW_CFG_NB_CPUS, f->nb_cpus);
	ITEM(FW_CFG_MAX_CPUS, f->max_cpus);
	ITEM(FW_CFG_FILE_DIR, f->file_dir);
	ITEM(FW_CFG_FILE_FIRST, f->e820);
#undef ITEM
	f->cur = &f->items[0];	/* reset selects the signature */
}

static void fw_cfg_select(struct fw_cfg *f, u16 key)
{
	unsigned long flags = spin_lock_irqsave(&f->lock);

	f->cur = NULL;
	for (unsigned int i = 0; i < FW_CFG_NR_ITEMS; i++)
		if (f->items[i].key == key)
			f->cur = &f->items[i];
	f->offset = 0;
	spin_unlock_irqrestore(&f->lock, flags);
}

static u8 fw_cfg_read_byte(struct fw_cfg *f)
{
	unsigned long flags = spin_lock_irqsave(&f->lock);
	u8 b = 0;

	if (f->cur && f->offset < f->cur->len)
		b = f->cur->data[f->offset++];
	spin_unlock_irqrestore(&f->lock, flags);
	return b;
}

static int fw_cfg_write(void *dev, u64 offset, unsigned int size, u64 val)
{
	/* A 16-bit write selects; a byte write is a data write: ignored. */
	if (size == 2 && offset == 0)
		fw_cfg_select(dev, (u16)val);
	return 0;
}

static int fw_cfg_read(void *dev, u64 offset, unsigned int size, u64 *val)
{
	/* Only byte reads are valid (QEMU): others find nothing there. */
	*val = size == 1 ? fw_cfg_read_byte(dev) : ~0ULL;
	return 0;
}

const struct io_dev_ops fw_cfg_ops = { .read = fw_cfg_read, .write = fw_cfg_write };
