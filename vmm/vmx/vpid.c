// SPDX-License-Identifier: MIT
/*
 * VPIDs: one per vCPU, from a bitmap, given back when the vCPU is freed.
 * VPID 0 is the host's and never handed out. A recycled VPID may still tag
 * translations of its previous owner in some CPU's TLB, but with EPT those
 * are combined mappings tagged by the EPTP as well, and vcpu_load()
 * INVEPTs the vCPU's EPTP each time it arrives on a CPU
 * (vcpu_mmu_flush_current()), so they are never used.
 */
#include "vmm/vmx/vpid.h"
#include "kernel/log.h"
#include "kernel/spinlock.h"

#define NR_VPIDS	65536

/* vpid_lock protects vpid_bitmap (bit set: in use); taken with IRQs off. */
static DEFINE_SPINLOCK(vpid_lock);
static u64 vpid_bitmap[NR_VPIDS / 64] = { 1 };	/* VPID 0: the host */

u16 vpid_alloc(void)
{
	unsigned long flags = spin_lock_irqsave(&vpid_lock);
	u16 vpid = 0;

	for (unsigned int i = 0; i < NR_VPIDS / 64; i++) {
		u64 free = ~vpid_bitmap[i];

		if (free) {
			unsigned int bit = __builtin_ctzll(free);

			vpid_bitmap[i] |= 1ULL << bit;
			vpid = i * 64 + bit;
			break;
		}
	}
	spin_unlock_irqrestore(&vpid_lock, flags);
	if (!vpid)
		pr_err("vmx: all %u VPIDs are in use\n", NR_VPIDS - 1);
	return vpid;
}

void vpid_free(u16 vpid)
{
	unsigned long flags;

	if (!vpid)
		return;
	flags = spin_lock_irqsave(&vpid_lock);
	WARN_ON(!(vpid_bitmap[vpid / 64] & (1ULL << (vpid % 64))));
	vpid_bitmap[vpid / 64] &= ~(1ULL << (vpid % 64));
	spin_unlock_irqrestore(&vpid_lock, flags);
}
