// SPDX-License-Identifier: MIT
/*
 * The kernel's identity map (see mm/paging.h).
 *
 * Levels are numbered as in the SDM walk: 4 = PML4, 3 = PDPT (1 GiB
 * leaves), 2 = PD (2 MiB leaves), 1 = PT (4 KiB leaves). Every table is a
 * page from the buddy allocator and is reached through the identity map
 * itself, so tables built while the boot stub's map is live must lie below
 * 4 GiB (page_alloc_below()).
 */
#include "mm/paging.h"
#include "mm/page_alloc.h"
#include "kernel/lockdep.h"
#include "kernel/spinlock.h"
#include "arch/x86/acpi.h"
#include "arch/x86/cpu.h"
#include "arch/x86/tlb.h"
#include "kernel/log.h"

#define BOOT_MAPPED_LIMIT	(4ULL << 30)
#define LEVEL_SHIFT(l)		(PAGE_SHIFT + 9 * ((l) - 1))
#define LEVEL_SIZE(l)		(1ULL << LEVEL_SHIFT(l))
#define PTE_INDEX(va, l)	(((va) >> LEVEL_SHIFT(l)) & 511)
/* Flags of non-leaf entries: the leaves decide the permissions. */
#define TABLE_FLAGS		(PTE_P | PTE_RW)

/*
 * Protects changes to the tables after paging_init() (map/unmap/split/
 * collapse). Walkers that only read (paging_translate) do not take it:
 * entries are written whole with WRITE_ONCE, and a walk runs with
 * interrupts off, so the TLB shootdown that precedes freeing a collapsed
 * table (paging_restore_4k) is also a grace period for them: every other
 * CPU has served the flush IPI, hence finished any walk it was in.
 */
static DEFINE_SPINLOCK(pt_lock);
static u64 *kernel_pml4;
static u64 mapped_end;
/* Page-table pages taken by paging_init() (for the boot report). */
static unsigned long nr_boot_table_pages;

/* Identity-mapped regions, 2 MiB-aligned, sorted and merged. */
#define MAX_MAP_RANGES	(ACPI_MAX_TABLES + 4)
struct map_range {
	u64 start, end;
};

static inline u64 *table_va(u64 entry)
{
	return (u64 *)(uintptr_t)(entry & PTE_ADDR_MASK);
}

static u64 *alloc_table(void)
{
	u64 *t = page_alloc_below(0, BOOT_MAPPED_LIMIT);

	if (t) {
		__builtin_memset(t, 0, PAGE_SIZE);
		if (!kernel_pml4)
			nr_boot_table_pages++;
	}
	return t;
}

static bool cpu_has_1g_pages(void)
{
	u32 a, b, c, d;

	cpuid(0x80000000, &a, &b, &c, &d);
	if (a < 0x80000001)
		return false;
	cpuid(0x80000001, &a, &b, &c, &d);
	return d & BIT(26);
}

/* Memory type bits for the identity mapping of [addr, addr + size). */
static u64 cache_flags(u64 addr, u64 size)
{
	if (addr < MMIO_UC_END && addr + size > MMIO_UC_START)
		return PTE_PCD | PTE_PWT;
	return 0;
}

/* Does [addr, addr + size) need finer pages than size? */
static bool needs_split(u64 addr, u64 size)
{
	u64 end = addr + size;

	if (addr < LEVEL_SIZE(2))	/* the 4 KiB-mapped first 2 MiB */
		return true;
	/* Partly uncached: only whole 2 MiB pages are uncached. */
	return addr < MMIO_UC_END && end > MMIO_UC_START &&
	       (addr < MMIO_UC_START || end > MMIO_UC_END);
}

static int split_leaf(u64 *e, int level);

/*
 * The entry at @level for @va, allocating missing tables above it. With
 * @split non-NULL a large leaf on the way is split into a table (and
 * *split set); without, the walk assumes none is there (a fresh map).
 */
static u64 *walk_alloc(u64 *pml4, u64 va, int level, bool *split)
{
	u64 *table = pml4;
	int l;

	for (l = 4; l > level; l--) {
		u64 *e = &table[PTE_INDEX(va, l)];

		if (!(*e & PTE_P)) {
			u64 *t = alloc_table();

			if (!t)
				return NULL;
			WRITE_ONCE(*e, (u64)(uintptr_t)t | TABLE_FLAGS);
		} else if (split && l <= 3 && (*e & PTE_PS)) {
			if (split_leaf(e, l))
				return NULL;
			*split = true;
		}
		table = table_va(*e);
	}
	return &table[PTE_INDEX(va, level)];
}

static u64 *get_or_alloc_entry(u64 *pml4, u64 va, int level)
{
	return walk_alloc(pml4, va, level, NULL);
}

/* Identity-map [addr, end), both 2 MiB aligned, not mapped before. */
static void build_identity_map(u64 *pml4, u64 addr, u64 end, bool gb_pages)
{
	while (addr < end) {
		u64 *e;

		if (gb_pages && IS_ALIGNED(addr, LEVEL_SIZE(3)) &&
		    addr + LEVEL_SIZE(3) <= end &&
		    !needs_split(addr, LEVEL_SIZE(3))) {
			e = get_or_alloc_entry(pml4, addr, 3);
			if (!e)
				goto oom;
			*e = addr | PTE_P | PTE_RW | PTE_PS |
			     cache_flags(addr, LEVEL_SIZE(3));
			addr += LEVEL_SIZE(3);
		} else if (!needs_split(addr, LEVEL_SIZE(2))) {
			e = get_or_alloc_entry(pml4, addr, 2);
			if (!e)
				goto oom;
			*e = addr | PTE_P | PTE_RW | PTE_PS |
			     cache_flags(addr, LEVEL_SIZE(2));
			addr += LEVEL_SIZE(2);
		} else {
			e = get_or_alloc_entry(pml4, addr, 1);
			if (!e)
				goto oom;
			/* Page 0 stays not-present: NULL must fault. */
			*e = addr ? addr | PTE_P | PTE_RW |
				    cache_flags(addr, PAGE_SIZE) : 0;
			addr += PAGE_SIZE;
		}
	}
	return;
oom:
	panic("paging_init: out of memory for page tables at %#llx",
	      (unsigned long long)addr);
}

/* Add [start, end) rounded out to 2 MiB, keeping @r sorted and merged. */
static void add_map_range(struct map_range *r, unsigned int *nr, u64 start,
			  u64 end)
{
	unsigned int i, j;

	start = ALIGN_DOWN(start, LEVEL_SIZE(2));
	end = ALIGN_UP(end, LEVEL_SIZE(2));
	if (end <= start)
		return;
	if (WARN_ON(*nr >= MAX_MAP_RANGES))
		return;
	for (i = 0; i < *nr && r[i].start < start; i++)
		;
	for (j = *nr; j > i; j--)
		r[j] = r[j - 1];
	r[i] = (struct map_range){ start, end };
	(*nr)++;
	/* Merge neighbours that touch or overlap. */
	for (i = 0, j = 1; j < *nr; j++) {
		if (r[j].start <= r[i].end)
			r[i].end = MAX(r[i].end, r[j].end);
		else
			r[++i] = r[j];
	}
	*nr = i + 1;
}

/*
 * What the identity map covers: RAM up to @ram_end (the end of the highest
 * usable or ACPI memory-map entry), and beyond it only what the kernel
 * touches: the local APIC, the IOAPIC and the ACPI tables it parsed. Not
 * the whole physical address width: QEMU's memory map has a reserved
 * entry just below 1 TiB, and mapping up to it would cost 4 MiB of page
 * tables (with 2 MiB pages) and their set-up time for nothing.
 */
static unsigned int collect_map_ranges(struct map_range *r, u64 ram_end)
{
	unsigned int nr = 0;
	u64 lapic = rdmsr(MSR_IA32_APIC_BASE) & ~0xfffULL & PTE_ADDR_MASK;

	add_map_range(r, &nr, 0, ram_end);
	add_map_range(r, &nr, lapic, lapic + PAGE_SIZE);
	if (acpi_info.nr_ioapics)
		add_map_range(r, &nr, acpi_info.ioapic_addr,
			      (u64)acpi_info.ioapic_addr + PAGE_SIZE);
	for (unsigned int i = 0; i < acpi_info.nr_tables; i++)
		add_map_range(r, &nr, acpi_info.tables[i].start,
			      acpi_info.tables[i].start +
			      acpi_info.tables[i].len);
	return nr;
}

void paging_init(phys_addr_t ram_end)
{
	struct map_range ranges[MAX_MAP_RANGES];
	unsigned int nr = collect_map_ranges(ranges, ram_end);
	bool gb = cpu_has_1g_pages();
	u64 t0 = rdtsc();
	u64 *pml4 = alloc_table();

	if (!pml4)
		panic("paging_init: no page for the PML4");
	for (unsigned int i = 0; i < nr; i++) {
		build_identity_map(pml4, ranges[i].start, ranges[i].end, gb);
		pr_info("paging: identity map [%#llx-%#llx)%s\n",
			(unsigned long long)ranges[i].start,
			(unsigned long long)ranges[i].end,
			cache_flags(ranges[i].start,
				    ranges[i].end - ranges[i].start) ?
			" (MMIO window uncached)" : "");
	}
	kernel_pml4 = pml4;
	mapped_end = ranges[0].end;
	write_cr3((u64)(uintptr_t)pml4);
	pr_info("paging: RAM to %#llx with %s pages, page 0 unmapped, %lu page-table pages (%lu KiB) built in %llu kcycles, cr3=%p\n",
		(unsigned long long)mapped_end, gb ? "1 GiB" : "2 MiB",
		nr_boot_table_pages, nr_boot_table_pages * PAGE_SIZE / 1024,
		(unsigned long long)(rdtsc() - t0) / 1000, (void *)pml4);
}

phys_addr_t paging_root(void)
{
	return (phys_addr_t)(uintptr_t)kernel_pml4;
}

u64 paging_ram_end(void)
{
	return mapped_end;
}

static bool __paging_translate(u64 va, phys_addr_t *pa, u64 *leaf_flags)
{
	u64 *table = table_va(read_cr3());
	int l;

	for (l = 4; l >= 1; l--) {
		u64 e = READ_ONCE(table[PTE_INDEX(va, l)]);

		if (!(e & PTE_P))
			return false;
		if (l == 1 || (l <= 3 && (e & PTE_PS))) {
			u64 off = va & (LEVEL_SIZE(l) - 1);
			u64 base = e & PTE_ADDR_MASK & ~(LEVEL_SIZE(l) - 1);

			if (pa)
				*pa = base + off;
			if (leaf_flags)
				*leaf_flags = e & ~PTE_ADDR_MASK;
			return true;
		}
		table = table_va(e);
	}
	return false;
}

bool paging_translate(u64 va, phys_addr_t *pa, u64 *leaf_flags)
{
	/* Interrupts off: see pt_lock on why tables may then be freed. */
	unsigned long flags = local_irq_save();
	bool ret = __paging_translate(va, pa, leaf_flags);

	local_irq_restore(flags);
	return ret;
}

bool paging_is_mapped(u64 va)
{
	return paging_translate(va, NULL, NULL);
}

/*
 * Replace the large leaf *e (level 3 or 2) by a table of leaves one level
 * down with the same translation and attributes.
 */
static int split_leaf(u64 *e, int level)
{
	u64 *t = alloc_table();
	u64 base = *e & PTE_ADDR_MASK & ~(LEVEL_SIZE(level) - 1);
	u64 attrs = *e & ~PTE_ADDR_MASK & ~PTE_PS;
	unsigned i;

	if (!t)
		return -1;
	for (i = 0; i < 512; i++)
		t[i] = (base + i * LEVEL_SIZE(level - 1)) | attrs |
		       (level - 1 > 1 ? PTE_PS : 0);
	WRITE_ONCE(*e, (u64)(uintptr_t)t | TABLE_FLAGS);
	return 0;
}

/* The level-1 entry for va, splitting large leaves on the way (*split). */
static u64 *pte_for_4k(u64 va, bool *split)
{
	return walk_alloc(kernel_pml4, va, 1, split);
}

/*
 * Can the table at level @level - 1 that *e points to be replaced by one
 * large leaf at @level? Yes when its 512 entries are present leaves that
 * map one contiguous, aligned range with the same attributes (A and D
 * aside: the CPU sets those). Returns that leaf, or 0.
 */
static u64 collapsed_leaf(u64 e, int level)
{
	const u64 *t = table_va(e);
	u64 ad = PTE_A | PTE_D;
	u64 child_ps = level - 1 > 1 ? PTE_PS : 0;
	u64 base = t[0] & PTE_ADDR_MASK;
	u64 attrs = t[0] & ~PTE_ADDR_MASK & ~ad;

	if (!(attrs & PTE_P) || (attrs & PTE_PS) != child_ps ||
	    !IS_ALIGNED(base, LEVEL_SIZE(level)))
		return 0;
	for (unsigned int i = 1; i < 512; i++)
		if ((READ_ONCE(t[i]) & ~ad) !=
		    ((base + i * LEVEL_SIZE(level - 1)) | attrs))
			return 0;
	return base | (attrs & ~PTE_PS) | PTE_PS;
}

/*
 * Undo the splits that a 4 KiB change at @va caused once the range is
 * uniform again: the 2 MiB range's page table, then (with 1 GiB pages)
 * the 1 GiB range's directory. A table paging_init() built is never
 * uniform (it would have used the large page itself), so only split
 * tables go, and the page allocator's count comes back exactly.
 * Collapsed tables are put in @freed; the caller frees them after the
 * TLB shootdown. Called with pt_lock held.
 */
static unsigned int collapse_around(u64 va, u64 **freed)
{
	u64 *pdpte = &table_va(kernel_pml4[PTE_INDEX(va, 4)])[PTE_INDEX(va, 3)];
	u64 *pde, leaf;
	unsigned int n = 0;

	lockdep_assert_held(&pt_lock);
	if (!(*pdpte & PTE_P) || (*pdpte & PTE_PS))
		return 0;
	pde = &table_va(*pdpte)[PTE_INDEX(va, 2)];
	if ((*pde & PTE_P) && !(*pde & PTE_PS) && (leaf = collapsed_leaf(*pde, 2))) {
		freed[n++] = table_va(*pde);
		WRITE_ONCE(*pde, leaf);
	}
	if (cpu_has_1g_pages() && (leaf = collapsed_leaf(*pdpte, 3))) {
		freed[n++] = table_va(*pdpte);
		WRITE_ONCE(*pdpte, leaf);
	}
	return n;
}

/*
 * Every change ends with the collapse check, whoever made it: so no split
 * table is ever left uniform, and a collapse can only free the tables
 * that this range's own earlier unmaps took (a stack's guard page and its
 * restore balance within one test, which the runner's leak check sees).
 */
static int set_4k(u64 va, u64 new_pte)
{
	unsigned long flags;
	bool split = false;
	u64 *pte, *freed[2];
	unsigned int nr_freed = 0;

	if (WARN_ON(!kernel_pml4) || WARN_ON(!IS_ALIGNED(va, PAGE_SIZE)))
		return -1;
	flags = spin_lock_irqsave(&pt_lock);
	pte = pte_for_4k(va, &split);
	if (pte) {
		WRITE_ONCE(*pte, new_pte);
		nr_freed = collapse_around(va, freed);
	}
	spin_unlock_irqrestore(&pt_lock, flags);
	if (!pte)
		return -1;
	/*
	 * A split or a collapse changed the page size, and collapsed tables
	 * may sit in any CPU's paging-structure caches: drop every cached
	 * translation, here and (after the lock, which a CPU may wait for
	 * with interrupts off) on every other CPU, before the tables can be
	 * reused. Else the one page.
	 */
	if (split || nr_freed)
		flush_tlb_local();
	else
		invlpg((const void *)(uintptr_t)va);
	tlb_shootdown(va, split || nr_freed);
	while (nr_freed)
		page_free(freed[--nr_freed], 0);
	return 0;
}

int paging_map_4k(u64 va, phys_addr_t pa, u64 flags)
{
	return set_4k(va, (pa & PTE_ADDR_MASK) | (flags & ~PTE_ADDR_MASK) |
			  PTE_P);
}

int paging_unmap_4k(u64 va)
{
	return set_4k(va, 0);
}

int paging_restore_4k(u64 va)
{
	if (WARN_ON(va >= mapped_end || va < PAGE_SIZE))
		return -1;
	return set_4k(va, va | PTE_P | PTE_RW | cache_flags(va, PAGE_SIZE));
}
