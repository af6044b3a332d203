/* SPDX-License-Identifier: MIT */
/*
 * tdp_iter: a pre-order walk over the SPTEs of one root that translate a
 * GFN range, between the root's level and a minimum level.
 *
 * The walk descends into a present non-leaf SPTE while above min_level,
 * otherwise moves to the next entry of the same table, and climbs when a
 * table is exhausted. It never holds a pointer it has not just re-read:
 * every step reloads old_spte, so a walker racing with concurrent
 * cmpxchg updates sees either the old or the new value, and tables that
 * were unlinked meanwhile stay readable because walks run inside
 * rcu_read_lock() and tables are freed through call_rcu().
 *
 * Yielding: a caller that drops mmu_lock and RCU in the middle of a walk
 * sets iter->yielded; the next tdp_iter_next() restarts from the root at
 * next_last_level_gfn (the tables it had cached may be gone), and records
 * that GFN in yielded_gfn so the caller does not yield again before making
 * progress.
 */
#ifndef VMM_MMU_TDP_ITER_H
#define VMM_MMU_TDP_ITER_H

#include "vmm/mmu/spte.h"

struct tdp_iter {
	/* The GFN the walk is heading for; the restart point after a yield. */
	gfn_t next_last_level_gfn;
	/* next_last_level_gfn when the walk last yielded (forward progress). */
	gfn_t yielded_gfn;
	/* Tables on the path from the root: pt_path[level - 1]. */
	u64 *pt_path[PT64_ROOT_MAX_LEVEL];
	/* The current entry and the value read from it. */
	u64 *sptep;
	u64 old_spte;
	/* First GFN mapped by the current entry (aligned to its level). */
	gfn_t gfn;
	int root_level;
	int min_level;
	int level;
	/* False once the walk has left the root's range. */
	bool valid;
	/* Set by the caller after dropping mmu_lock/RCU; forces a restart. */
	bool yielded;
};

void tdp_iter_start(struct tdp_iter *iter, u64 *root_pt, int root_level,
		    int min_level, gfn_t next_last_level_gfn);
void tdp_iter_next(struct tdp_iter *iter);
void tdp_iter_restart(struct tdp_iter *iter);

/* The table an SPTE at @level points to, or NULL if it is not a non-leaf. */
u64 *spte_to_child_pt(u64 spte, int level);

static inline gfn_t tdp_iter_round_gfn(gfn_t gfn, int level)
{
	return gfn & ~(KVM_PAGES_PER_HPAGE(level) - 1);
}

/*
 * Visit every SPTE at levels root..min_level that translates [start, end).
 * @root is a struct kvm_mmu_page *; the caller holds rcu_read_lock().
 */
/*
 * How many entries of the current table, from the current one on, lie
 * below @end: the length of a sideways run a caller may process in a
 * tight loop (at least 1 while the walk is in range).
 */
static inline unsigned int tdp_iter_run_len(const struct tdp_iter *iter,
					    gfn_t end)
{
	unsigned int left = SPTE_ENT_PER_PAGE -
			    SPTE_INDEX(iter->gfn, iter->level);
	gfn_t span = (end - iter->gfn + KVM_PAGES_PER_HPAGE(iter->level) - 1)
		     >> SPTE_LEVEL_SHIFT(iter->level);

	return span < left ? (unsigned int)span : left;
}

/*
 * After a caller processed @n entries of the current table itself, move
 * to the last of them as if tdp_iter_next() had stepped sideways there;
 * @last_spte is the value the caller left in (or last read from) it. The
 * next tdp_iter_next() goes on from there as usual.
 */
static inline void tdp_iter_skip_side(struct tdp_iter *iter, unsigned int n,
				      u64 last_spte)
{
	iter->gfn += (gfn_t)(n - 1) << SPTE_LEVEL_SHIFT(iter->level);
	iter->next_last_level_gfn = iter->gfn;
	iter->sptep += n - 1;
	iter->old_spte = last_spte;
}

#define for_each_tdp_pte_min_level(iter, root, min_lvl, start, end)	\
	for (tdp_iter_start(&(iter), (root)->spt, sp_role(root).level,\
			    (min_lvl), (start));			\
	     (iter).valid && (iter).gfn < (end);			\
	     tdp_iter_next(&(iter)))

#define for_each_tdp_pte(iter, root, start, end)			\
	for_each_tdp_pte_min_level(iter, root, PG_LEVEL_4K, start, end)

#endif
