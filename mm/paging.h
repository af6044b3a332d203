/* SPDX-License-Identifier: MIT */
/*
 * The host's own page tables: an identity map of RAM and the 32-bit MMIO
 * window, built once by paging_init() and shared by every CPU.
 *
 * Layout after paging_init(ram_end), in 2 MiB-aligned regions:
 *   [0, 2 MiB)              4 KiB pages; page 0 NOT present, so a NULL
 *                           dereference faults
 *   [2 MiB, ram_end)        RAM: 1 GiB pages where aligned and the CPU has
 *                           them (CPUID 80000001H:EDX[26]), else 2 MiB
 *   the LAPIC, IOAPIC and ACPI tables, wherever they lie; inside
 *   0xFEC00000-0xFEFFFFFF   uncached (PCD|PWT)
 *   nothing else: other MMIO and reserved ranges are NOT mapped
 * Page-table pages come from page_alloc().
 */
#ifndef MM_PAGING_H
#define MM_PAGING_H

#include "kernel/compiler.h"

#define PTE_P		BIT(0)
#define PTE_RW		BIT(1)
#define PTE_US		BIT(2)
#define PTE_PWT		BIT(3)
#define PTE_PCD		BIT(4)
#define PTE_A		BIT(5)
#define PTE_D		BIT(6)
#define PTE_PS		BIT(7)
#define PTE_G		BIT(8)
#define PTE_NX		BIT(63)
#define PTE_ADDR_MASK	0x000ffffffffff000ULL

#define MMIO_UC_START	0xfec00000ULL
#define MMIO_UC_END	0xff000000ULL

/* @ram_end: end of the highest usable or ACPI memory-map entry. */
void paging_init(phys_addr_t ram_end);

/* CR3 value of the kernel's tables (APs load it); 0 before paging_init. */
phys_addr_t paging_root(void);
/* End of the identity map of RAM (2 MiB aligned; MMIO may lie above). */
u64 paging_ram_end(void);

/* Software walk of the live tables (CR3): is va present? */
bool paging_is_mapped(u64 va);
/* Like paging_is_mapped(), also giving the physical address and leaf flags. */
bool paging_translate(u64 va, phys_addr_t *pa, u64 *leaf_flags);

/*
 * Map / unmap one 4 KiB page at va, splitting a 1 GiB or 2 MiB mapping that
 * covers it (the other pages keep their translation). flags are PTE_* bits
 * besides PTE_P. Returns 0, or -1 when a page-table page cannot be had.
 * Flushes the TLB of this CPU and, once the APs are up, of every other
 * online CPU (arch/x86/tlb.h) before returning, so no CPU keeps using the
 * old translation. A change that makes the 2 MiB (1 GiB) range around va
 * uniform again puts the large page back and frees the split's tables. Not callable from NMI context or under a lock that
 * other CPUs spin on with interrupts off. Tests use unmap to make an
 * address that is guaranteed to fault.
 */
int paging_map_4k(u64 va, phys_addr_t pa, u64 flags);
int paging_unmap_4k(u64 va);

/*
 * Give @va (in RAM) back its identity mapping with the attributes
 * paging_init() gives RAM, e.g. a stack's guard page when the stack is
 * freed; with the collapse above, unmap + restore leaves the page
 * allocator's count unchanged. Same rules as paging_map_4k().
 */
int paging_restore_4k(u64 va);

#endif
