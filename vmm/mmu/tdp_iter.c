// SPDX-License-Identifier: MIT
/*
 * tdp_iter: stepping down, sideways and up through EPT tables. See
 * tdp_iter.h for the walk's contract.
 */
#include "vmm/mmu/tdp_iter.h"
#include "kernel/platform.h"

u64 *spte_to_child_pt(u64 spte, int level)
{
	if (!is_shadow_present_pte(spte) || is_last_spte(spte, level))
		return NULL;
	return plat_phys_to_virt(spte_to_pfn(spte) << PAGE_SHIFT);
}

static void tdp_iter_refresh_sptep(struct tdp_iter *iter)
{
	iter->sptep = iter->pt_path[iter->level - 1] +
		      SPTE_INDEX(iter->gfn, iter->level);
	iter->old_spte = spte_read(iter->sptep);
}

void tdp_iter_restart(struct tdp_iter *iter)
{
	iter->yielded = false;
	iter->yielded_gfn = iter->next_last_level_gfn;
	iter->level = iter->root_level;
	iter->gfn = tdp_iter_round_gfn(iter->next_last_level_gfn, iter->level);
	tdp_iter_refresh_sptep(iter);
	iter->valid = true;
}

void tdp_iter_start(struct tdp_iter *iter, u64 *root_pt, int root_level,
		    int min_level, gfn_t next_last_level_gfn)
{
	if (root_level < PG_LEVEL_4K || root_level > PT64_ROOT_MAX_LEVEL ||
	    min_level < PG_LEVEL_4K || min_level > root_level || !root_pt) {
		iter->valid = false;
		return;
	}
	iter->next_last_level_gfn = next_last_level_gfn;
	iter->root_level = root_level;
	iter->min_level = min_level;
	iter->pt_path[root_level - 1] = root_pt;
	/* A start beyond what the root translates yields an empty walk. */
	if (next_last_level_gfn >> (root_level * SPTE_LEVEL_BITS)) {
		iter->valid = false;
		return;
	}
	tdp_iter_restart(iter);
}

static bool try_step_down(struct tdp_iter *iter)
{
	u64 *child_pt;

	if (iter->level == iter->min_level)
		return false;
	/*
	 * Reread: the entry may have changed since the caller looked at it
	 * (e.g. the caller just installed a table there).
	 */
	iter->old_spte = spte_read(iter->sptep);
	child_pt = spte_to_child_pt(iter->old_spte, iter->level);
	if (!child_pt)
		return false;
	iter->level--;
	iter->pt_path[iter->level - 1] = child_pt;
	iter->gfn = tdp_iter_round_gfn(iter->next_last_level_gfn, iter->level);
	tdp_iter_refresh_sptep(iter);
	return true;
}

static bool try_step_side(struct tdp_iter *iter)
{
	if (SPTE_INDEX(iter->gfn, iter->level) == SPTE_ENT_PER_PAGE - 1)
		return false;
	iter->gfn += KVM_PAGES_PER_HPAGE(iter->level);
	iter->next_last_level_gfn = iter->gfn;
	iter->sptep++;
	iter->old_spte = spte_read(iter->sptep);
	return true;
}

static bool try_step_up(struct tdp_iter *iter)
{
	if (iter->level == iter->root_level)
		return false;
	iter->level++;
	iter->gfn = tdp_iter_round_gfn(iter->gfn, iter->level);
	tdp_iter_refresh_sptep(iter);
	return true;
}

/*
 * Pre-order step: down if possible, else the next sibling, else up until a
 * level has a next sibling. Leaving the root's last entry ends the walk.
 */
void tdp_iter_next(struct tdp_iter *iter)
{
	if (iter->yielded) {
		tdp_iter_restart(iter);
		return;
	}
	if (try_step_down(iter))
		return;
	do {
		if (try_step_side(iter))
			return;
	} while (try_step_up(iter));
	iter->valid = false;
}
