// SPDX-License-Identifier: MIT
/*
 * SPTE updates and the life of page-table pages.
 *
 * A table leaves the paging structure when the SPTE pointing at it is
 * zapped or replaced. From then on no new walker can reach it, but walkers
 * that are already inside it (under RCU) may still read it and may try to
 * cmpxchg its entries. handle_removed_pt() therefore freezes every entry
 * of a removed table above 4K (a concurrent cmpxchg then fails and its
 * owner retries from the root), processes what each entry pointed to, and
 * frees the table through call_rcu(), i.e. only after every walker that
 * could see it has left. A removed 4K table is only counted and freed
 * (tdp_mmu_unlinked_leaf_pt() explains why that is enough).
 */
#include "kernel/log.h"
#include "kernel/platform.h"
#include "vmm/mmu/tdp_mmu_internal.h"

static inline unsigned int sp_hash_idx(u64 *pt)
{
	u64 pfn = plat_virt_to_phys(pt) >> PAGE_SHIFT;

	return (pfn * 0x9e3779b97f4a7c15ULL) >> (64 - SP_HASH_BITS);
}

struct kvm_mmu_page *tdp_mmu_alloc_sp(struct vm *vm, gfn_t gfn, int level)
{
	struct kvm_mmu_page *sp = plat_zalloc(sizeof(*sp));
	unsigned int idx;

	if (!sp)
		return NULL;
	sp->spt = plat_alloc_page();
	if (!sp->spt) {
		plat_free(sp);
		return NULL;
	}
	sp->vm = vm;
	sp->gfn = gfn;
	sp->role.level = level;
	sp->role.direct = 1;
	INIT_LIST_HEAD(&sp->link);

	/* Hashed before it becomes reachable, so removal can find it. */
	idx = sp_hash_idx(sp->spt);
	spin_lock(&vm->tdp_mmu_pages_lock);
	sp->hash_next = vm->sp_hash[idx];
	vm->sp_hash[idx] = sp;
	spin_unlock(&vm->tdp_mmu_pages_lock);

	mmu_stat_inc(vm, pt_pages_alive);
	mmu_stat_inc(vm, pt_pages_allocated);
	return sp;
}

void tdp_mmu_unhash_sp_locked(struct vm *vm, struct kvm_mmu_page *sp)
{
	struct kvm_mmu_page **pp;

	lockdep_assert_held(&vm->tdp_mmu_pages_lock);
	for (pp = &vm->sp_hash[sp_hash_idx(sp->spt)]; *pp;
	     pp = &(*pp)->hash_next) {
		if (*pp == sp) {
			*pp = sp->hash_next;
			break;
		}
	}
}

void tdp_mmu_unhash_sp(struct vm *vm, struct kvm_mmu_page *sp)
{
	spin_lock(&vm->tdp_mmu_pages_lock);
	tdp_mmu_unhash_sp_locked(vm, sp);
	spin_unlock(&vm->tdp_mmu_pages_lock);
}

/* Find the sp of a table that was just unlinked and unhash it: one lock. */
struct kvm_mmu_page *tdp_mmu_unhash_pt(struct vm *vm, u64 *pt)
{
	struct kvm_mmu_page **pp, *sp = NULL;

	spin_lock(&vm->tdp_mmu_pages_lock);
	for (pp = &vm->sp_hash[sp_hash_idx(pt)]; *pp; pp = &(*pp)->hash_next) {
		if ((*pp)->spt == pt) {
			sp = *pp;
			*pp = sp->hash_next;
			break;
		}
	}
	spin_unlock(&vm->tdp_mmu_pages_lock);
	return sp;
}

/* Frees an sp that is unhashed and unreachable (no grace period needed). */
void tdp_mmu_free_sp(struct kvm_mmu_page *sp)
{
	mmu_stat_add(sp->vm, pt_pages_alive, -1);
	plat_free_page(sp->spt);
	plat_free(sp);
}

void tdp_mmu_free_sp_rcu_callback(struct rcu_head *head)
{
	tdp_mmu_free_sp(container_of(head, struct kvm_mmu_page, rcu_head));
}

/*
 * The table handle_removed_pt() froze: every entry must still be
 * FROZEN_SPTE. A walker that was inside may only back off, so anything
 * else here was written over a frozen entry (a plain store where a
 * cmpxchg belongs): lost, and a child table linked that way is leaked.
 */
void tdp_mmu_free_frozen_sp_rcu_callback(struct rcu_head *head)
{
	struct kvm_mmu_page *sp = container_of(head, struct kvm_mmu_page,
					       rcu_head);
	int i;

	for (i = 0; CONFIG_DEBUG && i < SPTE_ENT_PER_PAGE; i++) {
		u64 spte = __atomic_load_n(&sp->spt[i], __ATOMIC_RELAXED);

		if (!is_frozen_spte(spte)) {
			mmu_stat_inc(sp->vm, mmu_bugs);
			pr_err("BUG: TDP MMU: entry %d of a removed table (gfn 0x%llx, level %d) was written after it was frozen: 0x%llx\n",
			       i, (unsigned long long)sp->gfn, sp->role.level,
			       (unsigned long long)spte);
			break;
		}
	}
	tdp_mmu_free_sp(sp);
}


u64 tdp_mmu_freeze_spte(u64 *sptep)
{
	u64 old;

	/*
	 * Another thread may hold this entry frozen for a moment (its own
	 * cmpxchg protocol); it will write a final value, so wait for it.
	 */
	for (;;) {
		old = __atomic_exchange_n(sptep, FROZEN_SPTE, __ATOMIC_ACQ_REL);
		if (!is_frozen_spte(old))
			return old;
		cpu_relax();
	}
}

/*
 * A 4K leaf table was unlinked (its parent SPTE exchanged away): count its
 * present leaves and free it after a grace period, with plain loads and
 * without freezing its entries. Freezing (what KVM does for every removed
 * table under the shared lock) gives the remover the last word on each
 * entry, so that no child table is leaked and no per-leaf state (dirty
 * bits) is lost. A 4K table has no child tables and this MMU keeps no
 * per-leaf state (no dirty logging, A/D bits preset), so the last word
 * buys nothing there, while one locked exchange per SPTE would cap every
 * zap at the machine's rate of locked operations (about 170 M/s on our
 * 2-core hosts). What may still happen, and why it is harmless:
 *  - a fault that walked into the table before the unlink installs a leaf
 *    in it after our read. The table is unreachable from the root; the
 *    CPU could reach it only through a paging-structure cache filled
 *    before the unlink, and the zap flushes before it drops mmu_lock, so
 *    after that flush no translation through it exists. The fault's vCPU
 *    faults again and installs in the live table. The memory is freed
 *    only after a grace period, which the zapping CPU itself holds up
 *    until after that flush (it passes no quiescent state in between);
 *  - a leaf zap that walked in before the unlink zaps a leaf we counted:
 *    zapped_sptes (a statistic) counts it twice.
 * The loads are relaxed atomics because those racing writers are real.
 */
static u64 tdp_mmu_unlinked_leaf_pt(struct kvm_mmu_page *sp)
{
	u64 zapped = 0, *pt = sp->spt;
	int i;

	/* The hot loop: 512 loads, no branches on the contents. */
	for (i = 0; i < SPTE_ENT_PER_PAGE; i++)
		zapped += (__atomic_load_n(&pt[i], __ATOMIC_RELAXED) &
			   SPTE_MMU_PRESENT_MASK) != 0;
	mmu_stat_add_leafs(sp->vm, PG_LEVEL_4K, -(s64)zapped);
	call_rcu(&sp->rcu_head, tdp_mmu_free_sp_rcu_callback);
	return zapped;
}

/*
 * @pt was unlinked from the paging structure. Above 4K: freeze each
 * entry, process the subtree it pointed to, then free the table after a
 * grace period. With mmu_lock held for read, a fault standing in the
 * table may be linking a child table into one of its entries right now:
 * the exchange to FROZEN_SPTE either takes that child (torn down here) or
 * makes the fault's cmpxchg fail, so no child is leaked. The entries stay
 * FROZEN_SPTE until the free, so a walker still inside backs off.
 */
static u64 handle_removed_pt(struct vm *vm, u64 *pt, int level, bool shared)
{
	struct kvm_mmu_page *sp = tdp_mmu_unhash_pt(vm, pt);
	gfn_t base_gfn;
	u64 zapped = 0;
	int i;

	if (WARN_ON(!sp))
		return 0;
	if (level == PG_LEVEL_4K)
		return tdp_mmu_unlinked_leaf_pt(sp);
	base_gfn = sp->gfn;

	for (i = 0; i < SPTE_ENT_PER_PAGE; i++) {
		u64 *sptep = pt + i;
		gfn_t gfn = base_gfn + i * KVM_PAGES_PER_HPAGE(level);
		u64 old;

		if (shared) {
			old = tdp_mmu_freeze_spte(sptep);
		} else {
			/*
			 * With mmu_lock held for write nobody else changes
			 * SPTEs, but a walker of a yielding root may still
			 * read: freeze anyway so it backs off.
			 */
			old = READ_ONCE(*sptep);
			WRITE_ONCE(*sptep, FROZEN_SPTE);
			if (!is_shadow_present_pte(old))
				continue;
		}
		zapped += handle_changed_spte(vm, gfn, old, FROZEN_SPTE,
					      level, shared);
	}
	call_rcu(&sp->rcu_head, tdp_mmu_free_frozen_sp_rcu_callback);
	return zapped;
}

/*
 * The fast form of handle_removed_pt() for a table unlinked from an
 * INVALID root (the root zap of seed 000 and of the invalidate-all
 * worker). Nobody installs an SPTE in an invalid root: a fault checks
 * validity under mmu_lock before it walks, and a root is marked invalid
 * only by its last put (nobody else holds it, so nobody faults in it) or
 * under mmu_lock held for write. The only other writers are leaf zaps
 * (present leaf -> 0), which can neither hand us a child table to free
 * nor leak one. So nothing needs freezing: the entries are read once with
 * plain (relaxed) loads and counted, child tables are torn down the same
 * way, and the table goes through call_rcu() for the walkers still in it.
 *
 * Two things this gives up, both deliberate: a leaf that a concurrent leaf
 * zap takes at the same instant is counted by both (zapped_sptes is a
 * statistic and may over-count by such races), and A/D bits the CPU might
 * still set in the dead table are not collected (the MMU does no dirty
 * logging; if it ever does, leaves must be exchanged here as KVM does).
 */
u64 handle_removed_pt_of_invalid_root(struct vm *vm, u64 *pt, int level)
{
	struct kvm_mmu_page *sp = tdp_mmu_unhash_pt(vm, pt);
	u64 zapped = 0, leafs = 0, spte;
	int i;

	if (WARN_ON(!sp))
		return 0;
	if (level == PG_LEVEL_4K)
		return tdp_mmu_unlinked_leaf_pt(sp);
	for (i = 0; i < SPTE_ENT_PER_PAGE; i++) {
		spte = __atomic_load_n(&pt[i], __ATOMIC_RELAXED);
		if (!is_shadow_present_pte(spte))
			continue;
		if (is_last_spte(spte, level))
			leafs++;
		else
			zapped += handle_removed_pt_of_invalid_root(vm,
				spte_to_child_pt(spte, level), level - 1);
	}
	mmu_stat_add_leafs(vm, level, -(s64)leafs);
	call_rcu(&sp->rcu_head, tdp_mmu_free_sp_rcu_callback);
	zapped += leafs;
	return zapped;
}

u64 handle_changed_spte(struct vm *vm, gfn_t gfn, u64 old_spte,
			u64 new_spte, int level, bool shared)
{
	bool was_present = is_shadow_present_pte(old_spte);
	bool is_present = is_shadow_present_pte(new_spte);
	bool was_leaf = was_present && is_last_spte(old_spte, level);
	bool is_leaf = is_present && is_last_spte(new_spte, level);

	if (old_spte == new_spte)
		return 0;
	if (!was_present) {
		if (is_leaf)
			mmu_stat_add_leafs(vm, level, 1);
		return 0;
	}
	if (was_leaf) {
		if (!is_present) {
			mmu_stat_add_leafs(vm, level, -1);
			return 1;
		}
		if (!is_leaf) {
			/*
			 * A huge leaf split into a table (tdp_mmu_huge.c),
			 * which the splitter filled with 512 leaves mapping
			 * the same frames: nothing went away.
			 */
			WARN_ON_ONCE(level == PG_LEVEL_4K);
			mmu_stat_add_leafs(vm, level, -1);
			mmu_stat_add_leafs(vm, level - 1, SPTE_ENT_PER_PAGE);
			return 0;
		}
		/*
		 * A present leaf may change its access bits (a write fault on
		 * a read-only mapping), never its frame: whoever moves a GFN
		 * to another host page (reclaim, migration) zaps and flushes
		 * first, or a vCPU could keep writing the old page through a
		 * cached translation. KVM treats this as a bug
		 * (KVM_BUG_ON in handle_changed_spte); so do we, loudly, and
		 * the old translation still counts as zapped.
		 */
		if (is_leaf && spte_to_pfn(old_spte) != spte_to_pfn(new_spte)) {
			mmu_stat_inc(vm, mmu_bugs);
			pr_err("BUG: TDP MMU: leaf SPTE of gfn 0x%llx (level %d) changed frame 0x%llx -> 0x%llx without a zap\n",
			       (unsigned long long)gfn, level,
			       (unsigned long long)spte_to_pfn(old_spte),
			       (unsigned long long)spte_to_pfn(new_spte));
			return 1;
		}
		return 0;
	}
	/* A table went away (zapped or replaced by a leaf). */
	if (!is_present || is_leaf || spte_to_pfn(old_spte) !=
	    spte_to_pfn(new_spte))
		return handle_removed_pt(vm, spte_to_child_pt(old_spte, level),
					 level - 1, shared);
	return 0;
}

int tdp_mmu_set_spte_atomic(struct vm *vm, struct tdp_iter *iter,
			    u64 new_spte, u64 *nr_zapped)
{
	u64 zapped;

	lockdep_assert_held_read(&vm->mmu_lock);
	/* Whoever froze an entry owns it until it writes the final value. */
	if (is_frozen_spte(iter->old_spte))
		return -EBUSY;
	if (!__atomic_compare_exchange_n(iter->sptep, &iter->old_spte,
					 new_spte, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE))
		return -EBUSY;
	zapped = handle_changed_spte(vm, iter->gfn, iter->old_spte, new_spte,
				     iter->level, true);
	if (nr_zapped)
		*nr_zapped += zapped;
	return 0;
}

u64 tdp_mmu_set_spte(struct vm *vm, struct tdp_iter *iter, u64 new_spte)
{
	u64 old;

	lockdep_assert_held_write(&vm->mmu_lock);
	/*
	 * Nobody else changes SPTEs while mmu_lock is held for write; a
	 * frozen value here would mean a reader-side update was interrupted.
	 */
	old = __atomic_exchange_n(iter->sptep, new_spte, __ATOMIC_ACQ_REL);
	WARN_ON_ONCE(is_frozen_spte(old));
	iter->old_spte = new_spte;
	return handle_changed_spte(vm, iter->gfn, old, new_spte, iter->level,
				   false);
}
