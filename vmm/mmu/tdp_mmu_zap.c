// SPDX-License-Identifier: MIT
/*
 * Zapping SPTEs: ranges in all roots, whole roots, and yielding.
 */
#include "kernel/log.h"
#include "kernel/platform.h"
#include "kernel/sched.h"
#include "vmm/mmu/tdp_mmu_internal.h"

void kvm_flush_remote_tlbs(struct vm *vm)
{
	mmu_stat_inc(vm, tlb_flushes);
	if (vm->mmu_ops && vm->mmu_ops->flush_remote_tlbs)
		vm->mmu_ops->flush_remote_tlbs(vm);
}

void kvm_flush_remote_tlbs_range(struct vm *vm, gfn_t gfn, u64 nr_pages)
{
	mmu_stat_inc(vm, tlb_flushes);
	if (vm->mmu_ops && vm->mmu_ops->flush_remote_tlbs_range)
		vm->mmu_ops->flush_remote_tlbs_range(vm, gfn, nr_pages);
	else if (vm->mmu_ops && vm->mmu_ops->flush_remote_tlbs)
		vm->mmu_ops->flush_remote_tlbs(vm);
}

gfn_t tdp_mmu_max_gfn(struct vm *vm)
{
	return 1ULL << (vm->phys_bits - PAGE_SHIFT);
}

/*
 * Yield in the middle of a walk if a reschedule is due or another CPU
 * waits for mmu_lock. Pending TLB invalidations are flushed first: once
 * the lock is dropped, another thread may rely on the zapped SPTEs being
 * gone from every TLB (e.g. host reclaim reusing the page). The walk then
 * restarts from the root at next_last_level_gfn, since tables it cached
 * may have been freed; yielded_gfn guarantees progress before the next
 * yield.
 *
 * The lock is dropped here rather than via cond_resched_rwlock_*() because
 * those re-evaluate need_resched(), and the decision taken here (which
 * also decided the flush) must not be lost.
 */
bool tdp_mmu_iter_cond_resched(struct vm *vm, struct tdp_iter *iter,
			       bool flush, bool shared)
{
	bool resched;

	WARN_ON_ONCE(iter->yielded);
	if (iter->next_last_level_gfn == iter->yielded_gfn)
		return false;
	resched = need_resched();
	if (!resched && !rwlock_is_contended(&vm->mmu_lock))
		return false;

	if (flush)
		kvm_flush_remote_tlbs(vm);
	rcu_read_unlock();
	if (shared)
		read_unlock(&vm->mmu_lock);
	else
		write_unlock(&vm->mmu_lock);

	if (vm->mmu_ops && vm->mmu_ops->sched_point)
		vm->mmu_ops->sched_point(vm);
	if (resched)
		schedule();
	else
		cpu_relax();	/* contention only: let the waiter in */

	if (shared)
		read_lock(&vm->mmu_lock);
	else
		write_lock(&vm->mmu_lock);
	rcu_read_lock();
	if (vm->mmu_ops && vm->mmu_ops->sched_point_done)
		vm->mmu_ops->sched_point_done(vm);

	WARN_ON_ONCE(iter->gfn > iter->next_last_level_gfn);
	iter->yielded = true;
	mmu_stat_inc(vm, yields);
	return true;
}

/*
 * Zap the 4K leaves of the current table from @iter's entry up to @end (or
 * the table's end) in one tight loop, and leave @iter on the last of them.
 * This is what the walk below would do one step at a time, minus the
 * per-entry costs that buy nothing inside one leaf table: the iterator's
 * step, the yield check (the caller checks once per table, so a yield
 * still comes at most one table, 512 entries, late) and
 * handle_changed_spte(), whose whole effect for a present 4K leaf going
 * to 0 is "one more zapped SPTE" (no child table, no dirty logging).
 *
 * What stays per entry is what the semantics need:
 *  - shared: a cmpxchg from the value just read. A fault may install a
 *    leaf over a non-present entry at any moment, and the table may be
 *    being torn down (entries FROZEN) by whoever unlinked it; both are
 *    non-present when we read them, so we skip them and never clobber a
 *    leaf we did not see. A failed cmpxchg hands back the current value,
 *    which is judged again (another zap took it: now 0; skipped).
 *  - exclusive: an exchange (the CPU may set A/D bits concurrently) of
 *    each present leaf; nothing else writes, so FROZEN would be a bug.
 */
static u64 tdp_mmu_zap_leaf_run(struct tdp_iter *iter, gfn_t end,
				bool shared)
{
	unsigned int i, n = tdp_iter_run_len(iter, end);
	u64 *sptep = iter->sptep, old = iter->old_spte, zapped = 0;

	for (i = 0; i < n; i++, sptep++) {
		if (i)
			old = spte_read(sptep);
		if (!is_shadow_present_pte(old))
			continue;
		if (!shared) {
			WARN_ON_ONCE(is_frozen_spte(__atomic_exchange_n(sptep,
						0, __ATOMIC_ACQ_REL)));
			zapped++;
			continue;
		}
		while (!__atomic_compare_exchange_n(sptep, &old, 0, false,
						    __ATOMIC_ACQ_REL,
						    __ATOMIC_ACQUIRE))
			if (!is_shadow_present_pte(old))
				break;
		if (is_shadow_present_pte(old))
			zapped++;
	}
	tdp_iter_skip_side(iter, n, spte_read(sptep - 1));
	return zapped;
}

/*
 * Zap the leaf SPTEs of [start, end) in @root and, with @free_tables, also
 * unlink every 4K leaf table whose whole 2M span lies in the range (one
 * exchange of its parent SPTE instead of one per leaf; the table goes
 * back through RCU). Returns whether a TLB flush is pending (the caller
 * flushes before it drops mmu_lock).
 */
static bool __tdp_mmu_zap_range(struct vm *vm, struct kvm_mmu_page *root,
				gfn_t start, gfn_t end, bool can_yield,
				bool flush, bool shared, bool free_tables)
{
	struct tdp_iter iter;
	u64 zapped = 0, leafs_4k = 0, n;

	kvm_lockdep_assert_mmu_lock_held(vm, shared);
	end = MIN(end, tdp_mmu_max_gfn(vm));

	rcu_read_lock();
	for_each_tdp_pte_min_level(iter, root, PG_LEVEL_4K, start, end) {
retry:
		if (can_yield &&
		    tdp_mmu_iter_cond_resched(vm, &iter, flush, shared)) {
			flush = false;
			continue;
		}
		if (iter.level == PG_LEVEL_4K) {
			n = tdp_mmu_zap_leaf_run(&iter, end, shared);
			zapped += n;
			leafs_4k += n;
			flush |= n != 0;
			continue;
		}
		if (!is_shadow_present_pte(iter.old_spte))
			continue;
		if (!is_last_spte(iter.old_spte, iter.level) &&
		    !(free_tables && iter.level == PG_LEVEL_2M &&
		      iter.gfn >= start &&
		      iter.gfn + KVM_PAGES_PER_HPAGE(iter.level) <= end))
			continue;	/* a table to walk into */
		/* A huge leaf, or a whole leaf table in range. */
		if (!shared)
			zapped += tdp_mmu_set_spte(vm, &iter, 0);
		else if (tdp_mmu_set_spte_atomic(vm, &iter, 0, &zapped))
			goto retry;
		flush = true;
	}
	rcu_read_unlock();
	mmu_stat_add(vm, zapped_sptes, zapped);
	mmu_stat_add_leafs(vm, PG_LEVEL_4K, -(s64)leafs_4k);
	return flush;
}

bool tdp_mmu_zap_leafs(struct vm *vm, struct kvm_mmu_page *root,
		       gfn_t start, gfn_t end, bool can_yield, bool flush,
		       bool shared)
{
	return __tdp_mmu_zap_range(vm, root, start, end, can_yield, flush,
				   shared, false);
}

/*
 * The second pass of a range zap: unlink every 2M-level table whose whole
 * 1G span lies in [start, end). The first pass emptied them, but faults
 * may have linked new leaf tables since: handle_removed_pt() freezes each
 * entry and tears down what it finds (the frozen protocol at work under
 * the shared lock). One step unlinks one table of 512 entries, so the
 * yield check between steps still comes every 512 entries at most.
 */
static bool tdp_mmu_zap_range_1g_tables(struct vm *vm,
					struct kvm_mmu_page *root,
					gfn_t start, gfn_t end, bool flush)
{
	struct tdp_iter iter;
	u64 zapped = 0;

	lockdep_assert_held_read(&vm->mmu_lock);
	end = MIN(end, tdp_mmu_max_gfn(vm));
	rcu_read_lock();
	for_each_tdp_pte_min_level(iter, root, PG_LEVEL_1G, start, end) {
retry:
		if (tdp_mmu_iter_cond_resched(vm, &iter, flush, true)) {
			flush = false;
			continue;
		}
		if (iter.level != PG_LEVEL_1G ||
		    !is_shadow_present_pte(iter.old_spte) ||
		    is_last_spte(iter.old_spte, iter.level) ||
		    iter.gfn < start ||
		    iter.gfn + KVM_PAGES_PER_HPAGE(iter.level) > end)
			continue;
		if (tdp_mmu_set_spte_atomic(vm, &iter, 0, &zapped))
			goto retry;
		flush = true;
	}
	rcu_read_unlock();
	mmu_stat_add(vm, zapped_sptes, zapped);
	return flush;
}

/*
 * One pass of the root zap: remove every present SPTE at @zap_level (and
 * huge leaves above it). Passes run from 2M upwards, so a pass at level L
 * finds the tables below L already gone, and each step between two
 * possible yields does at most one table's worth of work: unlinking a
 * table takes one atomic exchange of the entry pointing to it, and the
 * table itself is torn down without per-entry atomics because the root is
 * invalid (handle_removed_pt_of_invalid_root explains why that is safe).
 * There is no 4K pass: a 4K leaf goes with its table, 512 at a time.
 */
static u64 __tdp_mmu_zap_root(struct vm *vm, struct kvm_mmu_page *root,
			      bool shared, int zap_level)
{
	gfn_t end = tdp_mmu_max_gfn(vm);
	struct tdp_iter iter;
	u64 zapped = 0;

	for_each_tdp_pte_min_level(iter, root, zap_level, 0, end) {
retry:
		if (tdp_mmu_iter_cond_resched(vm, &iter, false, shared))
			continue;
		if (!is_shadow_present_pte(iter.old_spte))
			continue;
		if (iter.level > zap_level &&
		    !is_last_spte(iter.old_spte, iter.level))
			continue;
		if (!shared) {
			WARN_ON_ONCE(is_frozen_spte(__atomic_exchange_n(
				iter.sptep, 0, __ATOMIC_ACQ_REL)));
		} else if (!__atomic_compare_exchange_n(iter.sptep,
				&iter.old_spte, 0, false, __ATOMIC_ACQ_REL,
				__ATOMIC_ACQUIRE)) {
			/* A leaf zap took it first: iter has the new value. */
			goto retry;
		}
		if (is_last_spte(iter.old_spte, iter.level)) {
			zapped++;
			mmu_stat_add_leafs(vm, iter.level, -1);
		} else {
			zapped += handle_removed_pt_of_invalid_root(vm,
				spte_to_child_pt(iter.old_spte, iter.level),
				iter.level - 1);
		}
		iter.old_spte = 0;
	}
	return zapped;
}

/*
 * Zap everything under @root, yielding as needed. No TLB flush: the root
 * is invalid, vCPUs drop it on their next entry and flush their TLB when
 * they load another root; host reclaim flushes for itself.
 *
 * The root must be referenced (seed 000): a zap that yields with an
 * unreferenced root would let host reclaim miss it. It must be invalid:
 * the tables are torn down on the assumption that nobody installs in them.
 */
void tdp_mmu_zap_root(struct vm *vm, struct kvm_mmu_page *root, bool shared)
{
	int level, root_level = sp_role(root).level;
	u64 zapped = 0;

	WARN_ON_ONCE(!refcount_read(&root->tdp_mmu_root_count));
	WARN_ON_ONCE(!root_is_invalid(root));
	kvm_lockdep_assert_mmu_lock_held(vm, shared);

	rcu_read_lock();
	for (level = MIN(PG_LEVEL_2M, root_level); level <= root_level;
	     level++)
		zapped += __tdp_mmu_zap_root(vm, root, shared, level);
	rcu_read_unlock();
	mmu_stat_add(vm, zapped_sptes, zapped);
}

int kvm_tdp_mmu_zap_gfn_range(struct vm *vm, gfn_t start, gfn_t end)
{
	struct kvm_mmu_page *root;

	if (start >= end || end > tdp_mmu_max_gfn(vm))
		return -EINVAL;

	read_lock(&vm->mmu_lock);
	/*
	 * Flush per root, before the next step: stepping to the next root
	 * may put the last reference of this one, and that zap yields
	 * without flushing; the tables unlinked here must not be freed
	 * before the flush (the zapping CPU passes no quiescent state until
	 * it yields or returns).
	 */
	for_each_tdp_mmu_root_yield_safe(vm, root, true) {
		bool flush = __tdp_mmu_zap_range(vm, root, start, end, true,
						 false, true, true);

		if (end - start >= KVM_PAGES_PER_HPAGE(PG_LEVEL_1G))
			flush = tdp_mmu_zap_range_1g_tables(vm, root, start,
							    end, flush);
		if (flush)
			kvm_flush_remote_tlbs_range(vm, start, end - start);
	}
	read_unlock(&vm->mmu_lock);
	return 0;
}
