// SPDX-License-Identifier: MIT
/*
 * Unsync shadow pages (seed 004): L1 may write its leaf EPT tables
 * directly; the shadow pages of those tables are marked unsync and are
 * brought back in line with L1's tables (synced) when L1 flushes them
 * with INVEPT or by an emulated VMLAUNCH/VMRESUME (a guest TLB flush).
 *
 * The marking runs from the TDP MMU fault path, which holds mmu_lock for
 * read, on as many vCPUs as fault at once. Two vCPUs writing two leaf
 * tables under one parent both count their child into the parent's
 * unsync_children and set its bit in unsync_child_bitmap; neither is
 * atomic, so without vm->mmu_unsync_pages_lock one update is lost: the
 * count underflows when both children are synced, or - worse - reaches
 * zero while a child is still unsync, and the sync never visits that
 * child again (L2 keeps a stale translation). Everything else here
 * (syncing, clearing) holds mmu_lock for write and needs no more.
 */
#include "kernel/lockdep.h"
#include "kernel/log.h"
#include "kernel/platform.h"
#include "kernel/config.h"
#include "vmm/mmu/ept12_walk.h"
#include "vmm/mmu/shadow_mmu_internal.h"

/* Always, but for the hosted test that shows what happens without. */
static bool unsync_lock_needed(const struct vm *vm)
{
	return !vm->test_skip_unsync_lock;
}

static void unsync_lock(struct vm *vm)
{
	if (unsync_lock_needed(vm))
		spin_lock(&vm->mmu_unsync_pages_lock);
}

static void unsync_unlock(struct vm *vm)
{
	if (unsync_lock_needed(vm))
		spin_unlock(&vm->mmu_unsync_pages_lock);
}

static bool test_and_set_child_bit(struct kvm_mmu_page *sp, unsigned int i)
{
	u64 *w = &sp->unsync_child_bitmap[i / 64];
	u64 bit = BIT(i % 64);
	bool was = *w & bit;

	*w |= bit;	/* not atomic: the callers' lock makes it safe */
	return was;
}

static void shadow_mark_parents_unsync(struct kvm_mmu_page *sp);

void shadow_mark_unsync(struct kvm_mmu_page *sp, unsigned int index)
{
	unsigned int n;

	if (test_and_set_child_bit(sp, index))
		return;
	/*
	 * Read and written as two steps on purpose (KVM's plain ++): the
	 * lock, not the instruction, is what makes it correct. Lock-free
	 * readers (the L2 entry's "anything to sync?") only read it.
	 */
	n = READ_ONCE(sp->unsync_children);
	WRITE_ONCE(sp->unsync_children, n + 1);
	if (n)
		return;		/* the parents know already */
	shadow_mark_parents_unsync(sp);
}

static void shadow_mark_parents_unsync(struct kvm_mmu_page *sp)
{
	struct shadow_parent *p;

	for (p = sp->parents; p; p = p->next)
		shadow_mark_unsync(p->sp, p->index);
}

void shadow_clear_unsync_child_bit(struct kvm_mmu_page *sp,
				   unsigned int index)
{
	u64 *w = &sp->unsync_child_bitmap[index / 64];
	unsigned int n = READ_ONCE(sp->unsync_children);

	if (!(*w & BIT(index % 64)))
		return;
	*w &= ~BIT(index % 64);
	/* The seed's symptom: a count that lost an increment underflows. */
	if (WARN_ON(!n)) {
		mmu_stat_inc(sp->vm, mmu_bugs);
		return;
	}
	WRITE_ONCE(sp->unsync_children, n - 1);
	if (n == 1 && !READ_ONCE(sp->unsync))
		shadow_clear_unsync_in_parents(sp);
}

void shadow_clear_unsync_in_parents(struct kvm_mmu_page *sp)
{
	struct shadow_parent *p;

	for (p = sp->parents; p; p = p->next)
		shadow_clear_unsync_child_bit(p->sp, p->index);
}

static void kvm_unsync_page(struct vm *vm, struct kvm_mmu_page *sp)
{
	mmu_stat_inc(vm, shadow_unsync_marked);
	WRITE_ONCE(sp->unsync, true);
	shadow_mark_parents_unsync(sp);
}

int mmu_try_to_unsync_pages(struct vm *vm, struct memslot *slot, gfn_t gfn,
			    bool can_unsync)
{
	struct kvm_mmu_page *sp;
	bool locked = false;

	/* Tables above the leaves: never writable while shadowed. */
	if (slot->gfn_write_track &&
	    READ_ONCE(slot->gfn_write_track[gfn - slot->base_gfn]))
		return -EPERM;
	for_each_gfn_valid_sp(vm, sp, gfn) {
		if (!can_unsync) {
			if (locked)
				unsync_unlock(vm);
			return -EPERM;
		}
		if (READ_ONCE(sp->unsync))
			continue;
		/*
		 * Take the lock only when there is something to mark, and
		 * look again under it: another vCPU may have marked this
		 * page between the check and the lock.
		 */
		if (!locked) {
			locked = true;
			unsync_lock(vm);
			if (READ_ONCE(sp->unsync))
				continue;
		}
		WARN_ON_ONCE(sp->role.level != PG_LEVEL_4K);
		kvm_unsync_page(vm, sp);
	}
	if (locked)
		unsync_unlock(vm);
	/*
	 * The marks are visible before the SPTE that makes the table
	 * writable: a sync that finds the page writable also finds it
	 * unsync (KVM's smp_wmb here).
	 */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	return 0;
}

/* Sync. */

static int find_first_child_bit(const struct kvm_mmu_page *sp)
{
	unsigned int w;

	for (w = 0; w < SPTE_ENT_PER_PAGE / 64; w++)
		if (sp->unsync_child_bitmap[w])
			return (int)(w * 64 + __builtin_ctzll(sp->unsync_child_bitmap[w]));
	return -1;
}

/*
 * Before reading L1's tables, take L1's write access away again, so
 * that what the sync reads is what stays: every unsync page under @sp.
 */
static bool shadow_protect_unsync(struct vm *vm, struct kvm_mmu_page *sp)
{
	bool flush = false;
	unsigned int w;

	if (sp->unsync)
		flush |= kvm_tdp_mmu_write_protect_gfn(vm, sp->gfn);
	if (sp->role.level == PG_LEVEL_4K)
		return flush;
	for (w = 0; w < SPTE_ENT_PER_PAGE / 64; w++) {
		u64 bits = sp->unsync_child_bitmap[w];

		while (bits) {
			unsigned int i = w * 64 + __builtin_ctzll(bits);

			bits &= bits - 1;
			if (sp->children[i])
				flush |= shadow_protect_unsync(vm,
							      sp->children[i]);
		}
	}
	return flush;
}

/*
 * Bring one unsync leaf page in line with L1's table: an SPTE stays only
 * if L1's entry still says exactly what it was made from; otherwise it
 * goes and L2's next access faults it in from what L1 says now (KVM's
 * sync_spte, which may also update in place). Returns SPTEs dropped.
 */
static unsigned int kvm_sync_page(struct vm *vm, struct kvm_mmu_page *sp)
{
	gpa_t table = (gpa_t)sp->gfn << PAGE_SHIFT;
	unsigned int i, dropped = 0;

	for (i = 0; i < SPTE_ENT_PER_PAGE; i++) {
		u64 gpte;

		if (!is_shadow_present_pte(sp->spt[i]))
			continue;
		if (ept12_read_gpte(vm, table + i * 8, &gpte) &&
		    is_present_gpte(gpte) &&
		    !ept12_gpte_misconfigured(gpte, PG_LEVEL_4K, vm->phys_bits) &&
		    !((gpte ^ sp->shadowed_gpte[i]) & EPT12_GPTE_SHADOWED_MASK))
			continue;
		WRITE_ONCE(sp->spt[i], 0);
		dropped++;
	}
	WRITE_ONCE(sp->unsync, false);
	mmu_stat_inc(vm, shadow_synced);
	mmu_stat_add(vm, shadow_sync_zapped_sptes, dropped);
	return dropped;
}

/* Sync everything under @sp that its bitmap leads to (mmu_sync_children). */
static unsigned int mmu_sync_children(struct vm *vm, struct kvm_mmu_page *sp)
{
	unsigned int dropped = 0;
	int i;

	if (sp->unsync) {
		dropped += kvm_sync_page(vm, sp);
		if (!sp->unsync_children)
			shadow_clear_unsync_in_parents(sp);
	}
	/*
	 * Each round cleans one child, which clears its bit here (and in
	 * its other parents): look for the next bit afresh every time.
	 */
	while (sp->role.level > PG_LEVEL_4K &&
	       (i = find_first_child_bit(sp)) >= 0) {
		struct kvm_mmu_page *child = sp->children[i];

		if (WARN_ON(!child)) {
			mmu_stat_inc(vm, mmu_bugs);
			shadow_clear_unsync_child_bit(sp, i);
			continue;
		}
		dropped += mmu_sync_children(vm, child);
		/* A child that was clean already left a stale bit: drop it. */
		shadow_clear_unsync_child_bit(sp, i);
	}
	return dropped;
}

void shadow_sync_root(struct vm *vm, struct kvm_mmu_page *root)
{
	lockdep_assert_held_write(&vm->mmu_lock);
	if (!root->unsync_children && !root->unsync)
		return;
	if (shadow_protect_unsync(vm, root))
		kvm_flush_remote_tlbs(vm);
	/* Dropped EPT02 entries must not survive in any CPU's TLB. */
	if (mmu_sync_children(vm, root))
		kvm_flush_remote_tlbs(vm);
	if (CONFIG_DEBUG)
		shadow_audit_unsync(vm);
}

void kvm_shadow_ept_sync_root(struct vm *vm, struct kvm_mmu *mmu)
{
	struct kvm_mmu_page *root = mmu->root;

	if (!root || !READ_ONCE(root->unsync_children))
		return;
	write_lock(&vm->mmu_lock);
	if (!root->role.invalid)
		shadow_sync_root(vm, root);
	write_unlock(&vm->mmu_lock);
}

void kvm_shadow_ept_invept(struct vm *vm, int type, u64 eptp12)
{
	gfn_t gfn = (eptp12 & SPTE_BASE_ADDR_MASK) >> PAGE_SHIFT;
	struct kvm_mmu_page *sp;

	write_lock(&vm->mmu_lock);
	list_for_each_entry(sp, &vm->shadow_pages, shadow_link) {
		if (sp->role.invalid || sp->role.direct ||
		    sp->role.level != PT64_ROOT_4LEVEL || !sp->role.guest_mode)
			continue;
		/* Type 1: the contexts of that EPTP12, A/D flavours alike. */
		if (type == 1 && sp->gfn != gfn)
			continue;
		shadow_sync_root(vm, sp);
	}
	write_unlock(&vm->mmu_lock);
}

/* The audit. */

static bool child_needs_bit(const struct kvm_mmu_page *child)
{
	return child->unsync || child->unsync_children;
}

unsigned int shadow_audit_unsync(struct vm *vm)
{
	struct kvm_mmu_page *sp;
	unsigned int bad = 0, i;

	list_for_each_entry(sp, &vm->shadow_pages, shadow_link) {
		unsigned int n = 0;

		if (sp->role.invalid)
			continue;
		for (i = 0; i < SPTE_ENT_PER_PAGE / 64; i++)
			n += hweight64(sp->unsync_child_bitmap[i]);
		if (n != sp->unsync_children) {
			pr_err("shadow: page gfn %#llx level %d: unsync_children %u, %u bits set\n",
			       (unsigned long long)sp->gfn, sp->role.level,
			       sp->unsync_children, n);
			bad++;
		}
		if (sp->unsync && sp->role.level != PG_LEVEL_4K) {
			pr_err("shadow: page gfn %#llx level %d is unsync above the leaves\n",
			       (unsigned long long)sp->gfn, sp->role.level);
			bad++;
		}
		if (sp->role.level == PG_LEVEL_4K)
			continue;
		for (i = 0; i < SPTE_ENT_PER_PAGE; i++) {
			struct kvm_mmu_page *c = sp->children[i];
			bool bit = sp->unsync_child_bitmap[i / 64] & BIT(i % 64);

			if (c ? child_needs_bit(c) != bit : bit) {
				pr_err("shadow: page gfn %#llx level %d: child %u is %s but its bit is %s\n",
				       (unsigned long long)sp->gfn,
				       sp->role.level, i,
				       c && child_needs_bit(c) ? "unsync" : "in sync",
				       bit ? "set" : "clear");
				bad++;
			}
		}
	}
	if (bad) {
		WARN_ON(bad);
		mmu_stat_add(vm, mmu_bugs, bad);
	}
	return bad;
}
