// SPDX-License-Identifier: MIT
/*
 * The host's copies to and from guest memory (the loader, hypercall
 * buffers, MMIO instruction fetches). Memory is memslot 0 of the guest's
 * struct vm: a host page per guest page, allocated on first touch (by
 * these writes or an EPT violation) and mapped into EPT by the TDP MMU.
 */
#include "vmm/guest_mem.h"
#include "vmm/vcpu_nested.h"
#include "vmm/mmu/tdp_mmu.h"
#include "kernel/platform.h"
#include "kernel/string.h"
#include "vmm/vcpu.h"
#include "vmm/vmx/vmcs_fields.h"
#include "arch/x86/cpu.h"
#include "arch/x86/vmx.h"

#define X86_CR4_PSE		BIT(4)
#define PTE_P			BIT(0)
#define PTE_PS			BIT(7)
#define PTE_ADDR		0x000ffffffffff000ULL

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

bool vcpu_guest_read(struct vcpu *v, u64 gpa, void *dst, size_t len)
{
	u64 l1;

	return nested_gpa_to_l1(v, gpa, &l1) && guest_read(v->guest, l1, dst, len);
}

bool vcpu_guest_write(struct vcpu *v, u64 gpa, const void *src, size_t len)
{
	u64 l1;

	return nested_gpa_to_l1(v, gpa, &l1) &&
	       guest_write(v->guest, l1, src, len);
}

static bool read_gpa_u64(struct vcpu *v, u64 gpa, u64 *val)
{
	return vcpu_guest_read(v, gpa, val, sizeof(*val));
}

/* Guest-linear to guest-physical (guest_mem.h). */
bool guest_gva_to_gpa(struct vcpu *v, u64 gva, u64 *gpa)
{
	u64 cr0 = vmread(GUEST_CR0), cr4 = vmread(GUEST_CR4);
	u64 cr3 = vmread(GUEST_CR3), e = 0;
	int level, shift;

	if (!(cr0 & X86_CR0_PG)) {
		*gpa = gva;
		return true;
	}
	if (!(cr4 & X86_CR4_PAE)) {	/* 32-bit: two levels of u32 */
		u32 pde = 0, pte = 0;

		if (!vcpu_guest_read(v, (cr3 & 0xfffff000) + ((gva >> 22) & 0x3ff) * 4,
				&pde, 4) || !(pde & PTE_P))
			return false;
		if ((pde & PTE_PS) && (cr4 & X86_CR4_PSE)) {
			*gpa = (pde & 0xffc00000) | (gva & 0x3fffff);
			return true;
		}
		if (!vcpu_guest_read(v, (pde & 0xfffff000) + ((gva >> 12) & 0x3ff) * 4,
				&pte, 4) || !(pte & PTE_P))
			return false;
		*gpa = (pte & 0xfffff000) | (gva & 0xfff);
		return true;
	}
	if (vmread(GUEST_IA32_EFER) & EFER_LMA) {
		level = 4;
		e = (cr3 & PTE_ADDR) | PTE_P;
	} else {		/* PAE: the PDPTE, then two levels */
		level = 2;
		if (!read_gpa_u64(v, (cr3 & 0xffffffe0) + ((gva >> 30) & 3) * 8,
				  &e))
			return false;
	}
	for (; level >= 1; level--) {
		if (!(e & PTE_P))
			return false;
		shift = 12 + 9 * (level - 1);
		if (!read_gpa_u64(v, (e & PTE_ADDR) + ((gva >> shift) & 511) * 8,
				  &e) || !(e & PTE_P))
			return false;
		if (level > 1 && (e & PTE_PS)) {
			u64 mask = (1ULL << shift) - 1;

			*gpa = (e & PTE_ADDR & ~mask) | (gva & mask);
			return true;
		}
	}
	*gpa = (e & PTE_ADDR) | (gva & 0xfff);
	return true;
}
