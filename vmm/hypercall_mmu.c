// SPDX-License-Identifier: MIT
/*
 * Hypercalls for the MMU tests: zap a GFN range, invalidate all roots,
 * take a page back (reclaim: the next touch reads zeroes; replace: the
 * host puts a page of HV_REPLACE_WORD in its place), read the statistics,
 * prefault a range (the seed 000 root of a million SPTEs without a
 * million guest touches) and read the scheduling-point probe.
 *
 * Everything here is guest input: ranges are checked before the MMU sees
 * them, errors come back as -HV_E* to that guest only, and the host keeps
 * running. MMU error codes are Linux's, as HV_E* are, so they pass
 * through unchanged.
 */
#include "vmm/guest_mem.h"
#include "vmm/vcpu_kick.h"
#include "vmm/hypercall_mmu.h"
#include "vmm/tdp_kernel.h"
#include "vmm/mmu/tdp_mmu.h"
#include "kernel/log.h"
#include "kernel/platform.h"
#include "kernel/sched.h"
#include "include/uapi/hv_abi.h"

#define HC_RET(e)		((u64)-(s64)(e))
/* Faults between two scheduling points of a prefault. */
#define PREFAULT_BATCH		512
#define STATS_MAX_BYTES		512

#define CHECK_STAT(n) \
	BUILD_BUG_ON((int)TDP_MMU_STAT_##n != (int)HV_MMU_STAT_##n);
CHECK_STAT(faults) CHECK_STAT(spurious_faults) CHECK_STAT(fault_retries)
CHECK_STAT(bad_gpa_faults) CHECK_STAT(zapped_sptes) CHECK_STAT(yields)
CHECK_STAT(roots_allocated) CHECK_STAT(roots_invalidated)
CHECK_STAT(roots_freed) CHECK_STAT(pt_pages_alive)
CHECK_STAT(pt_pages_allocated) CHECK_STAT(tlb_flushes) CHECK_STAT(reclaims)
CHECK_STAT(mmu_bugs) CHECK_STAT(pages_4k) CHECK_STAT(pages_2m)
CHECK_STAT(pages_1g) CHECK_STAT(huge_splits) CHECK_STAT(huge_merges)
CHECK_STAT(merge_retries) CHECK_STAT(dirty_pages_harvested)
CHECK_STAT(shadow_pages_alive) CHECK_STAT(shadow_pages_allocated)
CHECK_STAT(shadow_faults) CHECK_STAT(shadow_faults_reflected)
CHECK_STAT(shadow_zapped) CHECK_STAT(shadow_unsync_marked)
CHECK_STAT(shadow_synced) CHECK_STAT(shadow_sync_zapped_sptes)
CHECK_STAT(shadow_unprotects) CHECK_STAT(shadow_wrprot_reads)
CHECK_STAT(swap_outs) CHECK_STAT(swap_ins) CHECK_STAT(swap_zero_pages)
CHECK_STAT(swapped_pages) CHECK_STAT(apf_not_present)
CHECK_STAT(apf_page_ready) CHECK_STAT(apf_sync_waits)
CHECK_STAT(apf_cancelled) CHECK_STAT(apf_work_alive) CHECK_STAT(apf_refused)
BUILD_BUG_ON((int)NR_TDP_MMU_STATS != (int)HV_MMU_NR_STATS_V4);
BUILD_BUG_ON((int)NR_TDP_MMU_STATS < (int)HV_MMU_NR_STATS_V1);
BUILD_BUG_ON(sizeof(struct hv_mmu_stats) !=
	     sizeof(struct tdp_mmu_stats_snapshot));

/* [gfn, gfn + count) non-empty, not wrapping, inside the MMU's width. */
static bool gfn_range_ok(struct vm *vm, u64 gfn, u64 count)
{
	return count && gfn + count > gfn && gfn + count <= tdp_mmu_max_gfn(vm);
}

u64 hc_mmu_zap_gfn_range(struct vcpu *v, bool *stop)
{
	struct vm *vm = &v->guest->vm;
	u64 gfn = v->regs.rbx, count = v->regs.rcx;

	if (!gfn_range_ok(vm, gfn, count))
		return HC_RET(HV_EINVAL);
	return HC_RET(-kvm_tdp_mmu_zap_gfn_range(vm, gfn, gfn + count));
}

/*
 * As KVM's KVM_REQ_MMU_FREE_OBSOLETE_ROOTS: the other vCPUs are kicked
 * out of guest mode, so each loads a fresh root at its next entry and
 * drops its reference to the old one now rather than at its next exit.
 */
u64 hc_mmu_invalidate_roots(struct vcpu *v, bool *stop)
{
	struct guest *g = v->guest;

	kvm_mmu_zap_all_fast(&g->vm);
	for (unsigned int i = 0; i < g->nr_vcpus; i++)
		if (g->vcpus[i] != v)
			vcpu_kick(g->vcpus[i]);
	return 0;
}

/*
 * Guest RAM to the swap store (HC_MMU_SWAP_OUT): how many pages moved.
 * Untouched GFNs and those in swap already are skipped; a range that
 * leaves the guest's RAM is refused whole.
 */
u64 hc_mmu_swap_out(struct vcpu *v, bool *stop)
{
	struct vm *vm = &v->guest->vm;
	u64 gfn = v->regs.rbx, count = v->regs.rcx, i, moved = 0;
	struct memslot *slot;

	(void)stop;
	if (!gfn_range_ok(vm, gfn, count))
		return HC_RET(HV_EINVAL);
	slot = gfn_to_memslot(vm, gfn);
	if (!slot || (slot->flags & MEMSLOT_ALIAS) ||
	    gfn + count > slot->base_gfn + slot->npages)
		return HC_RET(HV_EFAULT);
	for (i = 0; i < count; i++) {
		int r = tdp_mmu_swap_out_gfn(vm, gfn + i);

		if (!r)
			moved++;
		else if (r != -ENOENT)
			return HC_RET(-r);
		/* Long ranges must not hold the CPU: yield between pages. */
		cond_resched();
	}
	return moved;
}

/*
 * After the MMU took the page back, no SPTE of @gfn in any root may still
 * point at the old page (it is free and may already be someone else's).
 */
static u64 reclaim(struct vcpu *v, void *replacement)
{
	struct vm *vm = &v->guest->vm;
	u64 gfn = v->regs.rbx, old_pfn = 0, left;
	struct memslot *slot;
	int r;

	if (gfn >= tdp_mmu_max_gfn(vm)) {
		r = -EINVAL;
		goto out;
	}
	slot = gfn_to_memslot(vm, gfn);
	if (slot && !(slot->flags & MEMSLOT_ALIAS)) {
		int host_level;

		old_pfn = __memslot_gfn_to_pfn(slot, gfn, false, &host_level);
	}
	r = tdp_mmu_reclaim_gfn(vm, gfn, replacement);
	if (r)
		goto out;
	left = old_pfn ? tdp_mmu_count_pfn_mappings(vm, gfn, gfn + 1, old_pfn)
		       : 0;
	if (left) {
		pr_err("guest %s: gfn %#lx: %lu SPTEs still map the reclaimed "
		       "pfn %#lx\n", v->guest->name, gfn, left, old_pfn);
		return HC_RET(HV_EIO);
	}
	return 0;
out:
	if (replacement)
		plat_free_page(replacement);
	return HC_RET(-r);
}

u64 hc_mmu_reclaim_gfn(struct vcpu *v, bool *stop)
{
	return reclaim(v, NULL);
}

u64 hc_mmu_replace_gfn(struct vcpu *v, bool *stop)
{
	u64 *page = plat_alloc_page();

	if (!page)
		return HC_RET(HV_ENOMEM);
	for (unsigned int i = 0; i < PAGE_SIZE / sizeof(u64); i++)
		page[i] = HV_REPLACE_WORD(v->regs.rbx);
	return reclaim(v, page);
}

u64 hc_mmu_stats(struct vcpu *v, bool *stop)
{
	u64 buf[STATS_MAX_BYTES / sizeof(u64)];
	struct tdp_mmu_stats_snapshot *snap = (void *)buf;
	u64 gpa = v->regs.rbx, size = v->regs.rcx;
	int n;

	if (size > sizeof(buf))
		size = sizeof(buf);
	n = tdp_mmu_stats_snapshot(&v->guest->vm, snap, size);
	if (n < 0)
		return HC_RET(-n);
	if (!guest_write(v->guest, gpa, snap, snap->size))
		return HC_RET(HV_EFAULT);
	return n;
}

/*
 * Map [gfn, gfn + count) into the vCPU's current root, a batch at a time
 * with a scheduling point in between (a million faults take long in
 * Bochs; the soft-lockup watchdog must stay quiet).
 */
u64 hc_mmu_prefault(struct vcpu *v, bool *stop)
{
	struct vm *vm = &v->guest->vm;
	u64 gfn = v->regs.rbx, count = v->regs.rcx;

	if (!gfn_range_ok(vm, gfn, count))
		return HC_RET(HV_EINVAL);
	for (u64 done = 0; done < count;) {
		u64 n = MIN(count - done, (u64)PREFAULT_BATCH);
		long m;
		int r;

		if (vcpu_mmu_needs_reload(v))
			return HC_RET(HV_EBUSY);	/* root invalidated */
		/* One walk per batch; single faults for what it left. */
		m = kvm_tdp_mmu_map_range(vm, v->mmu.root, gfn + done, n);
		if (m < 0)
			return HC_RET(-m);
		r = m < (long)n ? kvm_tdp_mmu_prefault(vm, v->mmu.root,
						      gfn + done + m, n - m) : 0;
		if (r)
			return HC_RET(-r);
		done += n;
		cond_resched();
	}
	return 0;
}

u64 hc_mmu_sched_gap(struct vcpu *v, bool *stop)
{
	u64 count, gap = guest_mmu_take_sched_gap(v->guest, &count);

	if (v->regs.rbx && !guest_write(v->guest, v->regs.rbx, &count,
					 sizeof(count)))
		return HC_RET(HV_EFAULT);
	return gap;
}

/*
 * HC_MMU_HUGE: dirty logging and huge-page passes over guest RAM, so a
 * test guest can split, merge and harvest while it runs. The harvest
 * bitmap goes through a bounded host buffer into the guest's (the guest
 * buffer is checked page by page by guest_write()).
 */
u64 hc_mmu_huge(struct vcpu *v, bool *stop)
{
	struct guest *g = v->guest;
	struct vm *vm = &g->vm;
	struct memslot *ram = &vm->memslots[0];
	u64 words = (ram->npages + 63) / 64, *bm;
	long n;
	int r;

	switch (v->regs.rbx) {
	case HV_HUGE_DIRTY_ON:
		r = kvm_vm_set_dirty_logging(vm, 0, true);
		return HC_RET(-r);
	case HV_HUGE_DIRTY_OFF:
		r = kvm_vm_set_dirty_logging(vm, 0, false);
		return HC_RET(-r);
	case HV_HUGE_SPLIT:
		r = kvm_tdp_mmu_split_huge_pages(vm, ram->base_gfn,
				ram->base_gfn + ram->npages, PG_LEVEL_4K);
		return HC_RET(-r);
	case HV_HUGE_RECOVER:
		return (u64)kvm_tdp_mmu_recover_huge_pages(vm, ram);
	case HV_HUGE_HARVEST:
		break;
	default:
		return HC_RET(HV_EINVAL);
	}
	if (v->regs.rcx && v->regs.rdx < words * 8)
		return HC_RET(HV_EINVAL);
	bm = plat_zalloc(words * 8);
	if (!bm)
		return HC_RET(HV_ENOMEM);
	n = kvm_vm_harvest_dirty_log(vm, 0, bm);
	if (n >= 0 && v->regs.rcx &&
	    !guest_write(g, v->regs.rcx, bm, words * 8))
		n = -EFAULT;
	plat_free(bm);
	return n < 0 ? HC_RET(-n) : (u64)n;
}
