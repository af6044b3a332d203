// SPDX-License-Identifier: MIT
/*
 * Eager EPT: a private 4-level table mapping every guest page RWX, WB.
 * Table pages are found again through the entries themselves when freed.
 */
#include "vmm/ept.h"
#include "vmm/vcpu.h"
#include "vmm/vmx_caps.h"
#include "arch/x86/vmx.h"
#include "kernel/log.h"
#include "kernel/platform.h"

#define EPT_RWX		0x7ULL
#define EPT_MT_WB	(6ULL << 3)
#define EPT_ADDR_MASK	0x000ffffffffff000ULL

static u64 *ept_next(u64 *table, unsigned int idx)
{
	if (!(table[idx] & EPT_RWX)) {
		void *page = plat_alloc_page();

		if (!page)
			return NULL;
		table[idx] = plat_virt_to_phys(page) | EPT_RWX;
	}
	return plat_phys_to_virt(table[idx] & EPT_ADDR_MASK);
}

int ept_build_eager(struct guest *g)
{
	u64 *root = plat_alloc_page();

	if (!root)
		return -1;
	g->ept_root = root;
	for (u64 gfn = 0; gfn < g->nr_pages; gfn++) {
		u64 *pdpt = ept_next(root, (gfn >> 27) & 511);
		u64 *pd = pdpt ? ept_next(pdpt, (gfn >> 18) & 511) : NULL;
		u64 *pt = pd ? ept_next(pd, (gfn >> 9) & 511) : NULL;

		if (!pt)
			return -1;
		pt[gfn & 511] = plat_virt_to_phys(g->pages[gfn]) | EPT_RWX |
				EPT_MT_WB;
	}
	g->eptp = plat_virt_to_phys(root) | EPTP_MEMTYPE_WB | EPTP_PWL4;
	return 0;
}

static void ept_free_level(u64 *table, int level)
{
	if (level > 1)
		for (unsigned int i = 0; i < 512; i++)
			if (table[i] & EPT_RWX)
				ept_free_level(plat_phys_to_virt(table[i] &
							EPT_ADDR_MASK),
					       level - 1);
	plat_free_page(table);
}

void ept_free(struct guest *g)
{
	if (g->ept_root)
		ept_free_level(g->ept_root, 4);
	g->ept_root = NULL;
}

__attribute__((weak)) int tdp_mmu_handle_ept_violation(struct vcpu *vcpu,
							u64 gpa, u64 qual)
{
	return 0;
}

int ept_handle_violation(struct vcpu *vcpu, u64 gpa, u64 qual)
{
	char why[96];
	int r = tdp_mmu_handle_ept_violation(vcpu, gpa, qual);

	if (r > 0)
		return 1;
	ksnprintf(why, sizeof(why),
		  "EPT violation at gpa %#lx (qual %#lx, %s%s%s) outside memory",
		  gpa, qual, qual & 1 ? "R" : "", qual & 2 ? "W" : "",
		  qual & 4 ? "X" : "");
	guest_kill(vcpu->guest, why);
	return 0;
}
