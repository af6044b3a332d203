// SPDX-License-Identifier: MIT
/*
 * Dirty logging per memslot, with KVM's semantics (KVM_GET_DIRTY_LOG,
 * KVM_CLEAR_DIRTY_LOG with manual protect).
 *
 * Mechanism: write protection. While a slot logs, every page it maps is
 * mapped 4K and read-only until the guest writes it; the write faults,
 * the fault makes the SPTE writable and then sets the page's bit. Clearing
 * a bit write-protects the page again and flushes. Chosen over the EPT
 * dirty bit because it needs nothing of the CPU (Bochs models and older
 * CPUs lack EPT A/D bits or PML), is exact per 4K page, and costs only the
 * first write after each harvest. (PML would log without faults; the
 * Bochs models we run offer no PML, so it is not used.)
 *
 * The invariant that loses no write: an SPTE in a logging slot is
 * writable only if its page's bit is set, or the fault that made it
 * writable is about to set it. Clearing takes the bit first, then removes
 * write access and flushes, all before it returns, so a write either lands
 * before the clear returns (the caller copies the page after) or faults
 * and sets the bit again.
 */
#include "kernel/log.h"
#include "kernel/platform.h"
#include "kernel/sched.h"
#include "vmm/mmu/tdp_mmu_internal.h"

#define BITS_PER_U64	64

/*
 * A scheduling point between bitmap words (no lock held): a 16 GiB slot
 * has 65536 of them. The MMU's hooks see it like a walk's yield.
 */
static void dirty_log_cond_resched(struct vm *vm, u64 w)
{
	if ((w & 1023) || !need_resched())
		return;
	if (vm->mmu_ops && vm->mmu_ops->sched_point)
		vm->mmu_ops->sched_point(vm);
	cond_resched();
	if (vm->mmu_ops && vm->mmu_ops->sched_point_done)
		vm->mmu_ops->sched_point_done(vm);
}

/* Bits set (the kernel links no libgcc, so no __builtin_popcountll). */
static unsigned int hweight64(u64 w)
{
	w -= (w >> 1) & 0x5555555555555555ULL;
	w = (w & 0x3333333333333333ULL) + ((w >> 2) & 0x3333333333333333ULL);
	w = (w + (w >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
	return (unsigned int)((w * 0x0101010101010101ULL) >> 56);
}

static u64 dirty_bitmap_words(const struct memslot *slot)
{
	return (slot->npages + BITS_PER_U64 - 1) / BITS_PER_U64;
}

void mark_page_dirty_in_slot(struct vm *vm, struct memslot *slot, gfn_t gfn)
{
	u64 idx = gfn - slot->base_gfn;

	(void)vm;
	if (WARN_ON_ONCE(!slot->dirty_bitmap || idx >= slot->npages))
		return;
	__atomic_fetch_or(&slot->dirty_bitmap[idx / BITS_PER_U64],
			  1ULL << (idx % BITS_PER_U64), __ATOMIC_ACQ_REL);
}

/*
 * Write-protect the leaves of [start, end) in @root whose page is in
 * @mask (bit i = GFN @mask_base + i; NULL: all of them). A huge leaf (a
 * logging slot should have none) loses write access whole; the next
 * write fault splits it. Returns whether a flush is needed.
 */
static bool tdp_mmu_wrprot_range(struct vm *vm, struct kvm_mmu_page *root,
				 gfn_t start, gfn_t end, gfn_t mask_base,
				 const u64 *mask)
{
	struct tdp_iter iter;
	bool flush = false;

	rcu_read_lock();
	for_each_tdp_pte(iter, root, start, end) {
		u64 idx = iter.gfn - mask_base;

retry:
		if (tdp_mmu_iter_cond_resched(vm, &iter, flush, true)) {
			flush = false;
			continue;
		}
		if (!is_shadow_present_pte(iter.old_spte) ||
		    !is_last_spte(iter.old_spte, iter.level) ||
		    !is_writable_pte(iter.old_spte))
			continue;
		if (mask && iter.level == PG_LEVEL_4K &&
		    !(mask[idx / BITS_PER_U64] & (1ULL << (idx % BITS_PER_U64))))
			continue;
		if (tdp_mmu_set_spte_atomic(vm, &iter, iter.old_spte &
					    ~VMX_EPT_WRITABLE_MASK, NULL))
			goto retry;
		flush = true;
	}
	rcu_read_unlock();
	return flush;
}

/*
 * Shadow EPT's write protection of one L1 table page (KVM's
 * kvm_tdp_mmu_write_protect_gfn), mmu_lock held for write: the 4K leaf
 * of @gfn loses write access in every root. A huge leaf still over it
 * (no memory to split it) is zapped instead. True if a flush is needed.
 */
bool kvm_tdp_mmu_write_protect_gfn(struct vm *vm, gfn_t gfn)
{
	struct kvm_mmu_page *root;
	struct tdp_iter iter;
	bool flush = false;

	lockdep_assert_held_write(&vm->mmu_lock);
	rcu_read_lock();
	for_each_tdp_mmu_root(vm, root) {
		for_each_tdp_pte(iter, root, gfn, gfn + 1) {
			if (!is_shadow_present_pte(iter.old_spte) ||
			    !is_last_spte(iter.old_spte, iter.level))
				continue;
			if (iter.level > PG_LEVEL_4K) {
				tdp_mmu_set_spte(vm, &iter, 0);
				flush = true;
				continue;
			}
			if (!is_writable_pte(iter.old_spte))
				continue;
			tdp_mmu_set_spte(vm, &iter, iter.old_spte &
					 ~VMX_EPT_WRITABLE_MASK);
			flush = true;
		}
	}
	rcu_read_unlock();
	return flush;
}

/* Write-protect in every root, valid or not: a vCPU may still run on one. */
static void wrprot_all_roots(struct vm *vm, gfn_t start, gfn_t end,
			     gfn_t mask_base, const u64 *mask)
{
	struct kvm_mmu_page *root;
	bool flush = false;

	lockdep_assert_held_read(&vm->mmu_lock);
	for_each_tdp_mmu_root_yield_safe(vm, root, true) {
		flush |= tdp_mmu_wrprot_range(vm, root, start, end, mask_base,
					      mask);
		/* Before a step that may yield: nothing stays writable. */
		if (flush) {
			kvm_flush_remote_tlbs_range(vm, start, end - start);
			flush = false;
		}
	}
}

static struct memslot *dirty_log_slot(struct vm *vm, unsigned int slot_id)
{
	struct memslot *slot;

	if (slot_id >= vm->nr_memslots)
		return NULL;
	slot = &vm->memslots[slot_id];
	return slot->flags & MEMSLOT_ALIAS ? NULL : slot;
}

int kvm_vm_set_dirty_logging(struct vm *vm, unsigned int slot_id, bool on)
{
	struct memslot *slot = dirty_log_slot(vm, slot_id);
	gfn_t start, end;
	int ret = 0;

	if (!slot)
		return -EINVAL;
	start = slot->base_gfn;
	end = start + slot->npages;
	if (on && !slot->dirty_bitmap) {
		slot->dirty_bitmap = plat_zalloc(dirty_bitmap_words(slot) *
						 sizeof(u64));
		if (!slot->dirty_bitmap)
			return -ENOMEM;
	}
	/*
	 * The flag flips with mmu_lock held for write and a bump of
	 * mmu_invalidate_seq: a fault that decided its level and access
	 * before the flip retries, one that comes after sees it.
	 */
	write_lock(&vm->mmu_lock);
	if (memslot_dirty_log_enabled(slot) == on) {
		write_unlock(&vm->mmu_lock);
		return 0;
	}
	__atomic_store_n(&slot->dirty_log, on, __ATOMIC_RELEASE);
	__atomic_store_n(&vm->mmu_invalidate_seq, vm->mmu_invalidate_seq + 1,
			 __ATOMIC_RELEASE);
	write_unlock(&vm->mmu_lock);

	if (!on) {
		kvm_tdp_mmu_recover_huge_pages(vm, slot);
		return 0;
	}
	/* Eager split, then every page read-only: "clean since enable". */
	ret = kvm_tdp_mmu_split_huge_pages(vm, start, end, PG_LEVEL_4K);
	read_lock(&vm->mmu_lock);
	wrprot_all_roots(vm, start, end, start, NULL);
	read_unlock(&vm->mmu_lock);
	return ret;
}

int kvm_vm_get_dirty_log(struct vm *vm, unsigned int slot_id, u64 *bitmap)
{
	struct memslot *slot = dirty_log_slot(vm, slot_id);
	u64 i;

	if (!slot || !bitmap || !memslot_dirty_log_enabled(slot))
		return -EINVAL;
	for (i = 0; i < dirty_bitmap_words(slot); i++)
		bitmap[i] = __atomic_load_n(&slot->dirty_bitmap[i],
					    __ATOMIC_ACQUIRE);
	return 0;
}

/*
 * Clear @mask's bits from the slot's bitmap, word by word, keeping what
 * was actually set in @taken (both indexed from the slot's first GFN),
 * then write-protect exactly those pages and flush.
 */
static long clear_and_protect(struct vm *vm, struct memslot *slot,
			      u64 first_word, u64 nwords, const u64 *mask,
			      u64 *taken)
{
	gfn_t start = slot->base_gfn + first_word * BITS_PER_U64, end;
	long n = 0;
	u64 w;

	for (w = 0; w < nwords; w++) {
		u64 *word = &slot->dirty_bitmap[first_word + w];
		u64 m = mask ? mask[w] : ~0ULL;

		/* A clean word needs no locked operation. */
		if (!(__atomic_load_n(word, __ATOMIC_RELAXED) & m))
			m = 0;
		taken[w] = m ? __atomic_fetch_and(word, ~m, __ATOMIC_ACQ_REL) &
			       m : 0;
		n += hweight64(taken[w]);
		dirty_log_cond_resched(vm, w);
	}
	if (!n)
		return 0;
	/* Walk only runs of words with bits taken: a sparse log is cheap. */
	read_lock(&vm->mmu_lock);
	for (w = 0; w < nwords; w++) {
		u64 run = w;

		if (!taken[w])
			continue;
		while (run + 1 < nwords && taken[run + 1])
			run++;
		end = MIN(start + (run + 1) * BITS_PER_U64,
			  slot->base_gfn + slot->npages);
		wrprot_all_roots(vm, start + w * BITS_PER_U64, end, start,
				 taken);
		w = run;
	}
	read_unlock(&vm->mmu_lock);
	mmu_stat_add(vm, dirty_pages_harvested, n);
	return n;
}

int kvm_vm_clear_dirty_log(struct vm *vm, unsigned int slot_id, u64 first,
			   u64 npages, const u64 *mask)
{
	struct memslot *slot = dirty_log_slot(vm, slot_id);
	u64 nwords, *taken, w, tail;
	long n;

	/* KVM's rule: the range starts on a 64-page boundary. */
	if (!slot || !mask || !memslot_dirty_log_enabled(slot) ||
	    first % BITS_PER_U64 || !npages || first >= slot->npages ||
	    npages > slot->npages - first)
		return -EINVAL;
	nwords = (npages + BITS_PER_U64 - 1) / BITS_PER_U64;
	taken = plat_zalloc(nwords * sizeof(u64));
	if (!taken)
		return -ENOMEM;
	/* Bits past @npages in the last word are not the caller's. */
	tail = npages % BITS_PER_U64;
	for (w = 0; w < nwords; w++)
		taken[w] = mask[w] & (w == nwords - 1 && tail ?
				      (1ULL << tail) - 1 : ~0ULL);
	n = clear_and_protect(vm, slot, first / BITS_PER_U64, nwords, taken,
			      taken);
	plat_free(taken);
	return n < 0 ? (int)n : 0;
}

long kvm_vm_harvest_dirty_log(struct vm *vm, unsigned int slot_id,
			      u64 *bitmap)
{
	struct memslot *slot = dirty_log_slot(vm, slot_id);

	if (!slot || !bitmap || !memslot_dirty_log_enabled(slot))
		return -EINVAL;
	return clear_and_protect(vm, slot, 0, dirty_bitmap_words(slot), NULL,
				 bitmap);
}
