// SPDX-License-Identifier: MIT
/*
 * Memslots: GFN ranges and the host pages behind them. See memslot.h.
 */
#include "kernel/log.h"
#include "kernel/platform.h"
#include "vmm/mmu/tdp_mmu.h"

static void *pfn_to_virt(kvm_pfn_t pfn)
{
	return plat_phys_to_virt(pfn << PAGE_SHIFT);
}

static kvm_pfn_t virt_to_pfn(void *va)
{
	return plat_virt_to_phys(va) >> PAGE_SHIFT;
}

static void free_slot(struct memslot *slot)
{
	u64 i;

	if (slot->pfns) {
		for (i = 0; i < slot->npages; i++)
			if (slot->pfns[i])
				plat_free_page(pfn_to_virt(slot->pfns[i]));
		plat_free(slot->pfns);
	}
	if (slot->alias_pfns) {
		for (i = 0; i < slot->nr_alias; i++)
			if (slot->alias_pfns[i])
				plat_free_page(pfn_to_virt(slot->alias_pfns[i]));
		plat_free(slot->alias_pfns);
	}
	slot->pfns = slot->alias_pfns = NULL;
}

int vm_add_memslot(struct vm *vm, gfn_t base_gfn, u64 npages, u32 flags,
		   unsigned int nr_alias)
{
	struct memslot *slot;
	gfn_t max = tdp_mmu_max_gfn(vm);
	unsigned int i;
	u64 g;

	if (!npages || base_gfn >= max || npages > max - base_gfn ||
	    vm->nr_memslots >= VM_MAX_MEMSLOTS)
		return -EINVAL;
	if ((flags & MEMSLOT_ALIAS) && (!nr_alias || nr_alias > npages))
		return -EINVAL;
	for (i = 0; i < vm->nr_memslots; i++) {
		struct memslot *s = &vm->memslots[i];

		if (base_gfn < s->base_gfn + s->npages &&
		    s->base_gfn < base_gfn + npages)
			return -EINVAL;
	}

	slot = &vm->memslots[vm->nr_memslots];
	*slot = (struct memslot){ .base_gfn = base_gfn, .npages = npages,
				  .flags = flags };
	if (flags & MEMSLOT_ALIAS) {
		slot->nr_alias = nr_alias;
		slot->alias_pfns = plat_zalloc(nr_alias * sizeof(u64));
		if (!slot->alias_pfns)
			goto nomem;
		for (i = 0; i < nr_alias; i++) {
			void *p = plat_alloc_page();

			if (!p)
				goto nomem;
			slot->alias_pfns[i] = virt_to_pfn(p);
		}
	} else {
		slot->pfns = plat_zalloc(npages * sizeof(u64));
		if (!slot->pfns)
			goto nomem;
		for (g = 0; (flags & MEMSLOT_PREPOPULATE) && g < npages; g++) {
			void *p = plat_alloc_page();

			if (!p)
				goto nomem;
			slot->pfns[g] = virt_to_pfn(p);
		}
	}
	vm->nr_memslots++;
	return 0;
nomem:
	free_slot(slot);
	return -ENOMEM;
}

struct memslot *gfn_to_memslot(struct vm *vm, gfn_t gfn)
{
	unsigned int i;

	for (i = 0; i < vm->nr_memslots; i++) {
		struct memslot *s = &vm->memslots[i];

		if (gfn >= s->base_gfn && gfn - s->base_gfn < s->npages)
			return s;
	}
	return NULL;
}

kvm_pfn_t memslot_gfn_to_pfn(struct memslot *slot, gfn_t gfn)
{
	u64 idx = gfn - slot->base_gfn, pfn, expected = 0;
	void *page;

	if (slot->flags & MEMSLOT_ALIAS)
		return slot->alias_pfns[idx % slot->nr_alias];

	pfn = __atomic_load_n(&slot->pfns[idx], __ATOMIC_ACQUIRE);
	if (pfn)
		return pfn;
	/* First touch: racing vCPUs agree on one page, losers free theirs. */
	page = plat_alloc_page();
	if (!page)
		return 0;
	pfn = virt_to_pfn(page);
	if (__atomic_compare_exchange_n(&slot->pfns[idx], &expected, pfn,
					false, __ATOMIC_ACQ_REL,
					__ATOMIC_ACQUIRE))
		return pfn;
	plat_free_page(page);
	return expected;
}

void vm_free_memslots(struct vm *vm)
{
	unsigned int i;

	for (i = 0; i < vm->nr_memslots; i++)
		free_slot(&vm->memslots[i]);
	vm->nr_memslots = 0;
}

u64 vm_memslot_pages(struct vm *vm)
{
	unsigned int i;
	u64 g, n = 0;

	for (i = 0; i < vm->nr_memslots; i++) {
		struct memslot *s = &vm->memslots[i];

		if (s->flags & MEMSLOT_ALIAS) {
			n += s->nr_alias;
			continue;
		}
		for (g = 0; g < s->npages; g++)
			n += __atomic_load_n(&s->pfns[g], __ATOMIC_RELAXED) != 0;
	}
	return n;
}
