// SPDX-License-Identifier: MIT
/*
 * Shadow EPT pages: allocation and accounting, links between them, zaps,
 * the L2 fault and the roots (shadow_ept.h has the model). The unsync
 * side is in shadow_unsync.c.
 *
 * Everything here holds mmu_lock for write. That is KVM's rule for its
 * shadow MMU, and it is what lets the TDP MMU fault path, which holds
 * mmu_lock for read, walk mmu_page_hash and a page's parents without
 * more locking: neither can change under it.
 */
#include "kernel/lockdep.h"
#include "kernel/log.h"
#include "kernel/platform.h"
#include "kernel/string.h"
#include "vmm/mmu/ept12_walk.h"
#include "vmm/mmu/shadow_mmu_internal.h"

#define EXIT_REASON_EPT_VIOLATION	48
#define EXIT_REASON_EPT_MISCONFIG	49
/* Bits of L0's qualification that L1's keeps (SDM 28.2.1, table 28-7). */
#define EPT_QUAL_KEEP	(0x7ULL | BIT(7) | BIT(8) | BIT(12))

static unsigned int sp_host_pages(const struct kvm_mmu_page *sp)
{
	/* The table, plus the side page (children / shadowed entries). */
	return sp->role.level > PG_LEVEL_4K || !sp->role.direct ? 2 : 1;
}

static void shadow_free_page(struct vm *vm, struct kvm_mmu_page *sp)
{
	WARN_ON(sp->parents || sp->root_count);
	mmu_stat_add(vm, shadow_pages_alive, -(s64)sp_host_pages(sp));
	if (sp_host_pages(sp) == 2)
		plat_free_page(sp->children);
	plat_free_page(sp->spt);
	plat_free(sp);
}

/*
 * Write-protect L1 table @gfn in EPT01 now that a shadow page mirrors
 * it: 4K mappings only (a huge one would protect its neighbours too), no
 * root left writable, before anyone can see the shadow page. A table
 * above the leaves is also write-tracked, so no fault ever makes it
 * writable again while the page exists (KVM's account_shadowed).
 */
static int account_shadowed(struct vm *vm, struct kvm_mmu_page *sp)
{
	struct memslot *slot = gfn_to_memslot(vm, sp->gfn);
	bool flush;

	if (!slot)
		return 0;	/* reads as all ones: nothing to protect */
	if (sp->role.level > PG_LEVEL_4K) {
		if (!slot->gfn_write_track) {
			slot->gfn_write_track =
				plat_zalloc(slot->npages * sizeof(u16));
			if (!slot->gfn_write_track)
				return -ENOMEM;
		}
		slot->gfn_write_track[sp->gfn - slot->base_gfn]++;
	}
	WRITE_ONCE(vm->indirect_shadow_pages, vm->indirect_shadow_pages + 1);
	kvm_mmu_gfn_disallow_lpage(slot, sp->gfn);
	/* A fault that decided on a huge mapping before this retries. */
	__atomic_store_n(&vm->mmu_invalidate_seq, vm->mmu_invalidate_seq + 1,
			 __ATOMIC_RELEASE);
	/* Out of memory to split: the write-protect zaps the huge leaf. */
	flush = tdp_mmu_split_huge_at_gfn_locked(vm, sp->gfn) > 0;
	flush |= kvm_tdp_mmu_write_protect_gfn(vm, sp->gfn);
	if (flush)
		kvm_flush_remote_tlbs_range(vm, sp->gfn, 1);
	return 0;
}

static void unaccount_shadowed(struct vm *vm, struct kvm_mmu_page *sp)
{
	struct memslot *slot = gfn_to_memslot(vm, sp->gfn);

	WRITE_ONCE(vm->indirect_shadow_pages, vm->indirect_shadow_pages - 1);
	if (!slot)
		return;
	if (sp->role.level > PG_LEVEL_4K &&
	    !WARN_ON(!slot->gfn_write_track ||
		     !slot->gfn_write_track[sp->gfn - slot->base_gfn]))
		slot->gfn_write_track[sp->gfn - slot->base_gfn]--;
	/* EPT01 stays read-only; the next write fault finds nothing here. */
	kvm_mmu_gfn_allow_lpage(slot, sp->gfn);
}

static struct kvm_mmu_page *shadow_alloc_page(struct vm *vm, gfn_t gfn,
					      union kvm_mmu_page_role role)
{
	struct kvm_mmu_page *sp = plat_zalloc(sizeof(*sp));
	unsigned int idx;

	if (!sp)
		return NULL;
	sp->vm = vm;
	sp->gfn = gfn;
	sp->role = role;
	sp->spt = plat_alloc_page();
	if (sp->spt && sp_host_pages(sp) == 2)
		sp->children = plat_alloc_page();
	if (!sp->spt || (sp_host_pages(sp) == 2 && !sp->children)) {
		if (sp->spt)
			plat_free_page(sp->spt);
		plat_free(sp);
		return NULL;
	}
	mmu_stat_add(vm, shadow_pages_alive, sp_host_pages(sp));
	mmu_stat_inc(vm, shadow_pages_allocated);
	INIT_LIST_HEAD(&sp->link);
	list_add(&sp->shadow_link, &vm->shadow_pages);
	if (role.direct)
		return sp;
	if (account_shadowed(vm, sp)) {
		list_del(&sp->shadow_link);
		shadow_free_page(vm, sp);
		return NULL;
	}
	idx = mmu_page_hash_idx(gfn);
	sp->gfn_hash_next = vm->mmu_page_hash[idx];
	vm->mmu_page_hash[idx] = sp;
	return sp;
}

/* The shadow page for L1 table @gfn seen with @role: shared, or new. */
static struct kvm_mmu_page *kvm_mmu_get_shadow_page(struct vm *vm, gfn_t gfn,
		union kvm_mmu_page_role role)
{
	struct kvm_mmu_page *sp;

	for_each_gfn_valid_sp(vm, sp, gfn)
		if (sp->role.word == role.word)
			return sp;
	return shadow_alloc_page(vm, gfn, role);
}

static void shadow_unhash(struct vm *vm, struct kvm_mmu_page *sp)
{
	struct kvm_mmu_page **pp = &vm->mmu_page_hash[mmu_page_hash_idx(sp->gfn)];

	for (; *pp; pp = &(*pp)->gfn_hash_next)
		if (*pp == sp) {
			*pp = sp->gfn_hash_next;
			sp->gfn_hash_next = NULL;
			return;
		}
	WARN_ON(1);
}

/* SPTE @index of @parent points at @child from now on. */
static int shadow_link_child(struct kvm_mmu_page *parent, unsigned int index,
			     struct kvm_mmu_page *child)
{
	struct shadow_parent *p = plat_zalloc(sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->sp = parent;
	p->index = index;
	p->next = child->parents;
	child->parents = p;
	parent->children[index] = child;
	WRITE_ONCE(parent->spt[index],
		   make_nonleaf_spte(plat_virt_to_phys(child->spt) >> PAGE_SHIFT));
	/* A shared child may be unsync already: its new parent must know. */
	if (child->unsync || child->unsync_children)
		shadow_mark_unsync(parent, index);
	return 0;
}

/*
 * Cut SPTE @index of @parent from the child it points at. A child left
 * with no parent (and not a root in use) cannot be reached: zap it too.
 */
static void shadow_drop_child(struct vm *vm, struct kvm_mmu_page *parent,
			      unsigned int index,
			      struct list_head *invalid_list)
{
	struct kvm_mmu_page *child = parent->children[index];
	struct shadow_parent **pp;

	WRITE_ONCE(parent->spt[index], 0);
	parent->children[index] = NULL;
	if (WARN_ON(!child))
		return;
	if (parent->unsync_child_bitmap[index / 64] & BIT(index % 64))
		shadow_clear_unsync_child_bit(parent, index);
	for (pp = &child->parents; *pp; pp = &(*pp)->next)
		if ((*pp)->sp == parent && (*pp)->index == index) {
			struct shadow_parent *p = *pp;

			*pp = p->next;
			plat_free(p);
			break;
		}
	if (!child->parents && !child->root_count)
		shadow_zap_page(vm, child, invalid_list);
}

void shadow_zap_page(struct vm *vm, struct kvm_mmu_page *sp,
		     struct list_head *invalid_list)
{
	unsigned int i;

	lockdep_assert_held_write(&vm->mmu_lock);
	if (kvm_tdp_root_mark_invalid(sp))
		return;		/* being zapped further up this call chain */
	mmu_stat_inc(vm, shadow_zapped);
	if (sp->unsync) {
		sp->unsync = false;
		shadow_clear_unsync_in_parents(sp);
	}
	while (sp->parents)
		shadow_drop_child(vm, sp->parents->sp, sp->parents->index,
				  invalid_list);
	for (i = 0; i < SPTE_ENT_PER_PAGE; i++) {
		if (sp->role.level > PG_LEVEL_4K) {
			if (sp->children[i])
				shadow_drop_child(vm, sp, i, invalid_list);
		} else {
			WRITE_ONCE(sp->spt[i], 0);
		}
	}
	WARN_ON(sp->unsync_children);
	if (!sp->role.direct) {
		shadow_unhash(vm, sp);
		unaccount_shadowed(vm, sp);
	}
	/* A root in use stays until its last vCPU lets go (put_root). */
	if (!sp->root_count) {
		list_del(&sp->shadow_link);
		list_add(&sp->shadow_link, invalid_list);
	}
}

void shadow_commit_zap(struct vm *vm, struct list_head *invalid_list)
{
	struct kvm_mmu_page *sp, *next;

	if (list_empty(invalid_list))
		return;
	/* No CPU may hold a translation through these tables any more. */
	kvm_flush_remote_tlbs(vm);
	list_for_each_entry_safe(sp, next, invalid_list, shadow_link) {
		list_del(&sp->shadow_link);
		shadow_free_page(vm, sp);
	}
}

bool shadow_zap_gfn(struct vm *vm, gfn_t gfn, struct list_head *invalid_list)
{
	struct kvm_mmu_page *sp, *next;
	bool zapped = false;

	/* A zap edits the bucket: restart after each one. */
	do {
		next = NULL;
		for_each_gfn_valid_sp(vm, sp, gfn) {
			next = sp;
			break;
		}
		if (next) {
			shadow_zap_page(vm, next, invalid_list);
			zapped = true;
		}
	} while (next);
	return zapped;
}

bool kvm_mmu_unprotect_gfn(struct vm *vm, gfn_t gfn)
{
	LIST_HEAD(invalid_list);
	bool zapped;

	write_lock(&vm->mmu_lock);
	zapped = shadow_zap_gfn(vm, gfn, &invalid_list);
	shadow_commit_zap(vm, &invalid_list);
	write_unlock(&vm->mmu_lock);
	if (zapped)
		mmu_stat_inc(vm, shadow_unprotects);
	return zapped;
}

/* The L1 GFN leaf SPTE @i of @sp maps (present SPTEs only). */
static gfn_t shadow_leaf_gfn(const struct kvm_mmu_page *sp, unsigned int i)
{
	if (sp->role.direct)
		return sp->gfn + i;
	return (sp->shadowed_gpte[i] & SPTE_BASE_ADDR_MASK) >> PAGE_SHIFT;
}

/* Has an EPT02 leaf ever mapped a GFN of [start, end)? (shadow_mapped) */
static bool shadow_may_map_range(struct vm *vm, gfn_t start, gfn_t end)
{
	gfn_t gfn;

	for (gfn = start; gfn < end; gfn++) {
		struct memslot *slot = gfn_to_memslot(vm, gfn);
		u64 i;

		if (!slot || !slot->shadow_mapped)
			continue;
		i = gfn - slot->base_gfn;
		if (slot->shadow_mapped[i / 64] & BIT(i % 64))
			return true;
	}
	return false;
}

/* Does an L1 table that a shadow page mirrors lie in [start, end)? */
static bool shadow_tables_in_range(struct vm *vm, gfn_t start, gfn_t end)
{
	struct kvm_mmu_page *sp;
	gfn_t gfn;

	if (end - start > 64)
		return true;	/* cheaper to look at every page below */
	for (gfn = start; gfn < end; gfn++)
		for_each_gfn_valid_sp(vm, sp, gfn)
			return true;
	return false;
}

bool kvm_shadow_ept_unmap_gfn_range(struct vm *vm, gfn_t start, gfn_t end)
{
	struct kvm_mmu_page *sp, *next;
	LIST_HEAD(invalid_list);
	bool flush = false;
	unsigned int i;

	lockdep_assert_held_write(&vm->mmu_lock);
	if (!shadow_may_map_range(vm, start, end) &&
	    !shadow_tables_in_range(vm, start, end))
		return false;
	/*
	 * No reverse map: each leaf entry is looked at (KVM's rmaps find
	 * them by GFN). A table page whose contents may change under us
	 * (discarded, replaced) loses its shadow pages.
	 */
	list_for_each_entry_safe(sp, next, &vm->shadow_pages, shadow_link) {
		if (sp->role.invalid)
			continue;
		if (!sp->role.direct && sp->gfn >= start && sp->gfn < end) {
			shadow_zap_page(vm, sp, &invalid_list);
			/* The zap may have taken @next with it: start over. */
			next = list_entry(vm->shadow_pages.next,
					  struct kvm_mmu_page, shadow_link);
			continue;
		}
		if (sp->role.level != PG_LEVEL_4K)
			continue;
		for (i = 0; i < SPTE_ENT_PER_PAGE; i++) {
			gfn_t gfn;

			if (!is_shadow_present_pte(sp->spt[i]))
				continue;
			gfn = shadow_leaf_gfn(sp, i);
			if (gfn >= start && gfn < end) {
				WRITE_ONCE(sp->spt[i], 0);
				flush = true;
			}
		}
	}
	shadow_commit_zap(vm, &invalid_list);
	return flush;
}

static void shadow_forget_mapped(struct vm *vm)
{
	unsigned int i;

	for (i = 0; i < vm->nr_memslots; i++) {
		struct memslot *slot = &vm->memslots[i];

		if (slot->shadow_mapped)
			memset(slot->shadow_mapped, 0,
			       ((slot->npages + 63) / 64) * sizeof(u64));
	}
}

void kvm_shadow_ept_zap_all(struct vm *vm)
{
	LIST_HEAD(invalid_list);

	write_lock(&vm->mmu_lock);
	while (!list_empty(&vm->shadow_pages)) {
		struct kvm_mmu_page *sp = NULL, *it;

		list_for_each_entry(it, &vm->shadow_pages, shadow_link)
			if (!it->role.invalid) {
				sp = it;
				break;
			}
		if (!sp)
			break;	/* only roots still held by vCPUs */
		shadow_zap_page(vm, sp, &invalid_list);
	}
	shadow_commit_zap(vm, &invalid_list);
	/* Nothing maps L1 pages for L2 any more: forget what did. */
	if (list_empty(&vm->shadow_pages))
		shadow_forget_mapped(vm);
	write_unlock(&vm->mmu_lock);
}

u64 shadow_count_pages(struct vm *vm)
{
	struct kvm_mmu_page *sp;
	u64 n = 0;

	list_for_each_entry(sp, &vm->shadow_pages, shadow_link)
		n++;
	return n;
}

/* Roots. */

static bool eptp12_valid(const struct vm *vm, u64 eptp12)
{
	u64 mt = eptp12 & VMX_EPTP_MT_MASK;

	return (mt == 0 || mt == 6) &&
	       (eptp12 & VMX_EPTP_PWL_MASK) == VMX_EPTP_PWL_4 &&
	       !(eptp12 & VMX_EPTP_RSVD_MASK) &&
	       !(eptp12 >> vm->phys_bits);
}

static void shadow_put_root(struct vm *vm, struct kvm_mmu_page *root)
{
	if (WARN_ON(root->root_count <= 0))
		return;
	if (--root->root_count || !root->role.invalid)
		return;	/* a valid root stays cached for the next entry */
	/* Zapped while in use: its entries are gone and flushed already. */
	list_del(&root->shadow_link);
	shadow_free_page(vm, root);
}

int kvm_shadow_ept_load(struct vm *vm, struct kvm_mmu *mmu, u64 eptp12,
			phys_addr_t *root_hpa)
{
	union kvm_mmu_page_role role = { .word = 0 };
	gfn_t gfn = (eptp12 & SPTE_BASE_ADDR_MASK) >> PAGE_SHIFT;
	struct kvm_mmu_page *root = mmu->root;

	if (!eptp12_valid(vm, eptp12))
		return -EINVAL;
	role.level = PT64_ROOT_4LEVEL;
	role.guest_mode = 1;
	role.access = ACC_ALL;
	role.ad_enabled = !!(eptp12 & VMX_EPTP_AD_ENABLE);

	/* The common case, every entry to L2: the same valid root. */
	if (root && sp_role(root).word == role.word && root->gfn == gfn) {
		*root_hpa = plat_virt_to_phys(root->spt);
		return 0;
	}
	write_lock(&vm->mmu_lock);
	if (root && (root->role.word != role.word || root->gfn != gfn)) {
		shadow_put_root(vm, root);
		root = mmu->root = NULL;
	}
	if (!root) {
		root = kvm_mmu_get_shadow_page(vm, gfn, role);
		if (!root) {
			write_unlock(&vm->mmu_lock);
			return -ENOMEM;
		}
		root->root_count++;
		mmu->root = root;
		mmu->root_role = role;
	}
	write_unlock(&vm->mmu_lock);
	*root_hpa = plat_virt_to_phys(root->spt);
	return 0;
}

void kvm_shadow_ept_unload(struct vm *vm, struct kvm_mmu *mmu)
{
	if (!mmu->root)
		return;
	write_lock(&vm->mmu_lock);
	shadow_put_root(vm, mmu->root);
	mmu->root = NULL;
	write_unlock(&vm->mmu_lock);
}

/* The L2 fault. */

/*
 * Make the shadow path for L2 GFN @l2_gfn down to its leaf table, as the
 * walk @w saw L1's tables, and return that leaf table (KVM's
 * FNAME(fetch)). Above L1's leaf the pages mirror L1's tables; from an L1
 * huge leaf down they are direct pages for the range it maps.
 */
static struct kvm_mmu_page *shadow_fetch(struct vm *vm,
		struct kvm_mmu_page *root, const struct ept12_walker *w,
		gfn_t l2_gfn, struct list_head *invalid_list)
{
	struct kvm_mmu_page *sp = root;
	int level;

	for (level = sp->role.level; level > PG_LEVEL_4K; level--) {
		unsigned int idx = SPTE_INDEX(l2_gfn, level);
		struct kvm_mmu_page *child = sp->children[idx];
		union kvm_mmu_page_role role = sp->role;
		gfn_t gfn;

		role.level = level - 1;
		if (level > w->level) {
			role.direct = 0;
			role.access = w->pt_access[level - 1];
			gfn = w->table_gfn[level - 1];
		} else {
			role.direct = 1;
			role.access = w->pte_access;
			gfn = w->gfn & ~(KVM_PAGES_PER_HPAGE(level) - 1);
		}
		/*
		 * An unsync leaf is the only L1 table that can change under
		 * a shadow page, and it has no children; a link that no
		 * longer matches can still come from a direct page for an
		 * L1 huge leaf whose table was rewritten. Start it afresh.
		 */
		if (child && (child->gfn != gfn || child->role.word != role.word)) {
			shadow_drop_child(vm, sp, idx, invalid_list);
			child = NULL;
		}
		if (!child) {
			child = role.direct ? shadow_alloc_page(vm, gfn, role) :
				kvm_mmu_get_shadow_page(vm, gfn, role);
			if (!child)
				return NULL;
			if (shadow_link_child(sp, idx, child)) {
				if (!child->parents && !child->root_count)
					shadow_zap_page(vm, child, invalid_list);
				return NULL;
			}
		}
		sp = child;
	}
	return sp;
}

int kvm_shadow_ept_page_fault(struct vm *vm, struct kvm_mmu *mmu,
			      gpa_t l2_gpa, u64 qual,
			      struct shadow_ept_exit *exit)
{
	u64 access = qual & ACC_ALL;	/* bits 0-2: read, write, fetch */
	bool write = access & ACC_WRITE;
	struct kvm_mmu_page *root = mmu->root, *leaf;
	gfn_t l2_gfn = l2_gpa >> PAGE_SHIFT;
	LIST_HEAD(invalid_list);
	struct ept12_walker w;
	struct memslot *slot;
	u64 pte_access;
	kvm_pfn_t pfn;
	int host_level, ret = RET_PF_FIXED;

	write_lock(&vm->mmu_lock);
	if (!root || root->role.invalid) {
		ret = RET_PF_RETRY;	/* the caller loads a fresh root */
		goto out;
	}
	/*
	 * Walked with the lock held: L1's tables cannot be zapped or
	 * reclaimed meanwhile, and what the walk read is what we install.
	 */
	switch (ept12_walk(vm, root->gfn, root->role.ad_enabled, l2_gpa,
			   access, &w)) {
	case EPT12_OK:
		break;
	case EPT12_NOMEM:
		ret = -ENOMEM;
		goto out;
	case EPT12_VIOLATION:
		exit->exit_reason = EXIT_REASON_EPT_VIOLATION;
		exit->exit_qual = (qual & EPT_QUAL_KEEP) | w.fault_perm;
		exit->gpa = l2_gpa;
		mmu_stat_inc(vm, shadow_faults_reflected);
		ret = RET_PF_NESTED_EXIT;
		goto out;
	case EPT12_MISCONFIG:
		exit->exit_reason = EXIT_REASON_EPT_MISCONFIG;
		exit->exit_qual = 0;
		exit->gpa = l2_gpa;
		mmu_stat_inc(vm, shadow_faults_reflected);
		ret = RET_PF_NESTED_EXIT;
		goto out;
	}
	slot = gfn_to_memslot(vm, w.gfn);
	if (!slot) {
		/* L1's MMIO: the caller emulates it at L1's address. */
		exit->gpa = ((gpa_t)w.gfn << PAGE_SHIFT) | (l2_gpa & (PAGE_SIZE - 1));
		ret = RET_PF_EMULATE;
		goto out;
	}
	pte_access = w.pte_access;
	if (slot->flags & MEMSLOT_READONLY) {
		if (write) {
			ret = -EFAULT;
			goto out;
		}
		pte_access &= ~ACC_WRITE;
	}
	pfn = __memslot_gfn_to_pfn(slot, w.gfn, true, &host_level);
	if (!pfn) {
		ret = -ENOMEM;
		goto out;
	}
	leaf = shadow_fetch(vm, root, &w, l2_gfn, &invalid_list);
	if (!leaf) {
		ret = -ENOMEM;
		goto out;
	}
	/*
	 * L2 writing an L1 page that holds a shadowed L1 table: leaf tables
	 * go unsync as for L1's own writes; tracked ones are unprotected and
	 * the write retried. Dirty logging: only a write gets write access.
	 */
	if (pte_access & ACC_WRITE) {
		if (memslot_dirty_log_enabled(slot) && !write)
			pte_access &= ~ACC_WRITE;
		else if (mmu_try_to_unsync_pages(vm, slot, w.gfn, true)) {
			pte_access &= ~ACC_WRITE;
			if (write) {
				shadow_zap_gfn(vm, w.gfn, &invalid_list);
				ret = RET_PF_RETRY;
				goto out;
			}
		}
		if ((pte_access & ACC_WRITE) && memslot_dirty_log_enabled(slot))
			mark_page_dirty_in_slot(vm, slot, w.gfn);
	}
	if (!slot->shadow_mapped) {
		slot->shadow_mapped = plat_zalloc(((slot->npages + 63) / 64) *
						  sizeof(u64));
		if (!slot->shadow_mapped) {
			ret = -ENOMEM;
			goto out;
		}
	}
	slot->shadow_mapped[(w.gfn - slot->base_gfn) / 64] |=
		BIT((w.gfn - slot->base_gfn) % 64);
	if (!leaf->role.direct)
		leaf->shadowed_gpte[SPTE_INDEX(l2_gfn, PG_LEVEL_4K)] =
			w.gpte[PG_LEVEL_4K];
	WRITE_ONCE(leaf->spt[SPTE_INDEX(l2_gfn, PG_LEVEL_4K)],
		   make_spte(pfn, PG_LEVEL_4K, pte_access));
	mmu_stat_inc(vm, shadow_faults);
out:
	shadow_commit_zap(vm, &invalid_list);
	write_unlock(&vm->mmu_lock);
	return ret;
}
