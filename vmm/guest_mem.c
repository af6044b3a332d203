// SPDX-License-Identifier: MIT
/*
 * The host's copies to and from guest memory (the loader, hypercall
 * buffers, MMIO instruction fetches). Memory is memslot 0 of the guest's
 * struct vm: a host page per guest page, allocated on first touch (by
 * these writes or an EPT violation) and mapped into EPT by the TDP MMU.
 */
#include "vmm/guest_mem.h"
#include "vmm/mmu/tdp_mmu.h"
#include "kernel/platform.h"
#include "kernel/string.h"

/*
 * The host's own accesses to guest memory (loader, hypercall buffers) go
 * through the memslot with mmu_lock held for read, so host reclaim, which
 * swaps the page behind a GFN under the write lock, never frees a page
 * while it is being copied.
 */
static bool guest_copy(struct guest *g, u64 gpa, void *buf, size_t len,
		       bool to_guest)
{
	struct vm *vm = &g->vm;
	char *p = buf;
	bool ok = true;

	if (gpa + len < gpa || gpa + len > g->mem_size)
		return false;
	read_lock(&vm->mmu_lock);
	while (len) {
		size_t chunk = MIN(len, PAGE_SIZE - (gpa & ~PAGE_MASK));
		gfn_t gfn = gpa >> PAGE_SHIFT;
		struct memslot *slot = gfn_to_memslot(vm, gfn);
		kvm_pfn_t pfn = slot ? memslot_gfn_to_pfn(slot, gfn) : 0;
		char *hva;

		if (!pfn) {
			ok = false;
			break;
		}
		hva = (char *)plat_phys_to_virt(pfn << PAGE_SHIFT) +
		      (gpa & ~PAGE_MASK);
		if (to_guest)
			memcpy(hva, p, chunk);
		else
			memcpy(p, hva, chunk);
		p += chunk;
		gpa += chunk;
		len -= chunk;
	}
	read_unlock(&vm->mmu_lock);
	return ok;
}

bool guest_write(struct guest *g, u64 gpa, const void *src, size_t len)
{
	return guest_copy(g, gpa, (void *)src, len, true);
}

bool guest_read(struct guest *g, u64 gpa, void *dst, size_t len)
{
	return guest_copy(g, gpa, dst, len, false);
}
