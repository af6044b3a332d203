// SPDX-License-Identifier: MIT
/*
 * TDP MMU roots: allocation, references, the yield-safe walks over the
 * root list, invalidation of all roots and the background zap of the
 * invalidated ones.
 *
 * A root's refcount counts vCPUs using it, walkers holding it across a
 * yield, and (while tdp_mmu_scheduled_root_to_zap is set) the pending
 * background zap. The list itself holds no reference: the root stays on
 * the list until its last reference is put, and is freed through RCU.
 */
#include "kernel/log.h"
#include "kernel/platform.h"
#include "vmm/mmu/tdp_mmu_internal.h"

static void tdp_mmu_free_root(struct vm *vm, struct kvm_mmu_page *root,
			      bool pages_locked);

/*
 * A reference to a root that is valid while the reference is held, or
 * false. The validity check and the increment must act as one step: a
 * root whose last reference is being put (seed 000) goes count 0 ->
 * invalid -> count 1 (the zap's temporary reference), so a caller that
 * saw it valid just before the mark could otherwise land its increment on
 * that temporary reference and walk on with a dying root it believes
 * valid. The check is therefore repeated after the increment succeeded:
 * the increment reads the count that put published after the mark
 * (refcount_set_release), so it also sees the mark, and a reference that
 * lands on a dying root is given back at once. Giving it back may be the
 * root's last put; the root is already invalid and zapped by whoever
 * marked it, so that only unlinks and frees it.
 */
static bool __tdp_mmu_get_root(struct vm *vm, struct kvm_mmu_page *root,
			       bool pages_locked)
{
	if (root_is_invalid(root) ||
	    !refcount_inc_not_zero(&root->tdp_mmu_root_count))
		return false;
	if (likely(!root_is_invalid(root)))
		return true;
	if (refcount_dec_and_test(&root->tdp_mmu_root_count))
		tdp_mmu_free_root(vm, root, pages_locked);
	return false;
}

bool tdp_mmu_get_root(struct vm *vm, struct kvm_mmu_page *root)
{
	lockdep_assert_held(&vm->mmu_lock);
	return __tdp_mmu_get_root(vm, root, false);
}

static void tdp_mmu_free_root_rcu_callback(struct rcu_head *head)
{
	struct kvm_mmu_page *root = container_of(head, struct kvm_mmu_page,
						 rcu_head);
	int i;

	/* A present entry here would leak the subtree under it. */
	for (i = 0; i < SPTE_ENT_PER_PAGE; i++)
		WARN_ON_ONCE(is_shadow_present_pte(READ_ONCE(root->spt[i])));
	tdp_mmu_free_sp(root);
}

/*
 * Put a reference; the last one zaps and frees the root. Seed 000: the
 * root is marked invalid (no new vCPU reference can be taken) and gets a
 * temporary reference while it is zapped, because the zap yields and, while
 * mmu_lock is dropped, writers such as host reclaim must still find the
 * root with a non-zero count and zap it themselves before they reuse a
 * page. Whoever puts the final reference after that frees it without
 * zapping again: an invalid root never becomes valid, and no SPTE is
 * installed in an invalid root.
 */
void tdp_mmu_put_root(struct vm *vm, struct kvm_mmu_page *root, bool shared)
{
	kvm_lockdep_assert_mmu_lock_held(vm, shared);

	if (!refcount_dec_and_test(&root->tdp_mmu_root_count))
		return;

	if (!kvm_tdp_root_mark_invalid(root)) {
		mmu_stat_inc(vm, roots_invalidated);
		/* Release: a getter that lands on this count sees the mark. */
		refcount_set_release(&root->tdp_mmu_root_count, 1);
		tdp_mmu_zap_root(vm, root, shared);
		/* Give the temporary reference back; others may hold more. */
		if (!refcount_dec_and_test(&root->tdp_mmu_root_count))
			return;
	}
	tdp_mmu_free_root(vm, root, false);
}

/* @root is invalid, zapped and unreferenced: unlink it, free after RCU. */
static void tdp_mmu_free_root(struct vm *vm, struct kvm_mmu_page *root,
			      bool pages_locked)
{
	if (!pages_locked)
		spin_lock(&vm->tdp_mmu_pages_lock);
	lockdep_assert_held(&vm->tdp_mmu_pages_lock);
	list_del_rcu(&root->link);
	tdp_mmu_unhash_sp_locked(vm, root);
	if (!pages_locked)
		spin_unlock(&vm->tdp_mmu_pages_lock);
	mmu_stat_inc(vm, roots_freed);
	call_rcu(&root->rcu_head, tdp_mmu_free_root_rcu_callback);
}

static struct list_head *root_list_next(struct list_head *pos)
{
	return __atomic_load_n(&pos->next, __ATOMIC_ACQUIRE);
}

/*
 * The step of the yield-safe walks: reference the root after @prev_root
 * (or the first), then put @prev_root. With @only_valid the walk ends when
 * @prev_root was invalidated meanwhile (seed 002). A valid-only walk holds
 * only roots that were valid when it took them (tdp_mmu_get_root), and a
 * referenced root is never the one whose last put marks it, so what
 * invalidated it is tdp_mmu_invalidate_all_roots(), under mmu_lock held
 * for write: the caller yielded, and because
 * all roots are invalidated together, every valid root now on the list
 * was created after the invalidation and already reflects any state
 * change the caller made before starting the walk.
 */
struct kvm_mmu_page *tdp_mmu_next_root(struct vm *vm,
				       struct kvm_mmu_page *prev_root,
				       bool shared, bool only_valid)
{
	struct kvm_mmu_page *next_root = NULL;
	struct list_head *pos;

	kvm_lockdep_assert_mmu_lock_held(vm, shared);

	if (prev_root && only_valid && root_is_invalid(prev_root)) {
		tdp_mmu_put_root(vm, prev_root, shared);
		return NULL;
	}

	rcu_read_lock();
	/* A referenced root stays on the list, so its next is still valid. */
	pos = root_list_next(prev_root ? &prev_root->link : &vm->tdp_mmu_roots);
	for (; pos != &vm->tdp_mmu_roots; pos = root_list_next(pos)) {
		struct kvm_mmu_page *root = list_entry(pos, struct kvm_mmu_page,
						       link);

		if (only_valid ? __tdp_mmu_get_root(vm, root, false) :
		    refcount_inc_not_zero(&root->tdp_mmu_root_count)) {
			next_root = root;
			break;
		}
	}
	rcu_read_unlock();

	if (prev_root)
		tdp_mmu_put_root(vm, prev_root, shared);
	return next_root;
}

/* Never hands out an invalid root, a dying one (seed 000) included. */
static struct kvm_mmu_page *find_vcpu_root(struct vm *vm, u32 role_word,
					   bool pages_locked)
{
	struct kvm_mmu_page *root;

	list_for_each_entry_rcu(root, &vm->tdp_mmu_roots, link) {
		if (sp_role(root).word == role_word &&
		    __tdp_mmu_get_root(vm, root, pages_locked))
			return root;
	}
	return NULL;
}

/* A referenced valid root for a vCPU, shared with other vCPUs if possible. */
struct kvm_mmu_page *tdp_mmu_get_vcpu_root(struct vm *vm, int as_id)
{
	union kvm_mmu_page_role role = { .word = 0 };
	struct kvm_mmu_page *root;

	lockdep_assert_held(&vm->mmu_lock);
	role.level = vm->root_level;
	role.as_id = as_id;
	role.direct = 1;

	rcu_read_lock();
	root = find_vcpu_root(vm, role.word, false);
	rcu_read_unlock();
	if (root)
		return root;

	root = tdp_mmu_alloc_sp(vm, 0, vm->root_level);
	if (!root)
		return NULL;
	root->role.as_id = as_id;
	refcount_set(&root->tdp_mmu_root_count, 1);

	/* Recheck under the lock so racing vCPUs share one new root. */
	spin_lock(&vm->tdp_mmu_pages_lock);
	rcu_read_lock();
	{
		struct kvm_mmu_page *other = find_vcpu_root(vm, role.word,
							    true);

		if (other) {
			rcu_read_unlock();
			spin_unlock(&vm->tdp_mmu_pages_lock);
			tdp_mmu_unhash_sp(vm, root);
			tdp_mmu_free_sp(root);
			return other;
		}
	}
	rcu_read_unlock();
	root->root_seq = atomic64_add_return(1,
		&vm->stats.v[TDP_MMU_STAT_roots_allocated]);
	list_add_rcu(&root->link, &vm->tdp_mmu_roots);
	spin_unlock(&vm->tdp_mmu_pages_lock);
	return root;
}

int kvm_mmu_load(struct vm *vm, struct kvm_mmu_page **rootp)
{
	int ret = 0;

	read_lock(&vm->mmu_lock);
	for (;;) {
		struct kvm_mmu_page *root = *rootp;

		if (root && !root_is_invalid(root))
			break;
		if (root) {
			*rootp = NULL;
			tdp_mmu_put_root(vm, root, true);
		}
		root = tdp_mmu_get_vcpu_root(vm, 0);
		if (!root) {
			ret = -ENOMEM;
			break;
		}
		*rootp = root;
	}
	read_unlock(&vm->mmu_lock);
	return ret;
}

void kvm_mmu_unload(struct vm *vm, struct kvm_mmu_page **rootp)
{
	if (!*rootp)
		return;
	read_lock(&vm->mmu_lock);
	tdp_mmu_put_root(vm, *rootp, true);
	*rootp = NULL;
	read_unlock(&vm->mmu_lock);
}

/*
 * Mark every root invalid. vCPUs notice on their next entry
 * (kvm_mmu_load) and switch to a fresh root at once; the old roots keep a
 * reference for the background zap, which also keeps them reachable by
 * host reclaim until their SPTEs are gone.
 */
void tdp_mmu_invalidate_all_roots(struct vm *vm)
{
	struct kvm_mmu_page *root;

	lockdep_assert_held_write(&vm->mmu_lock);
	for_each_tdp_mmu_root(vm, root) {
		if (root_is_invalid(root))
			continue;
		/* Valid roots have a count: 0 exists only under read lock. */
		if (WARN_ON_ONCE(!refcount_inc_not_zero(
				&root->tdp_mmu_root_count)))
			continue;
		__atomic_store_n(&root->tdp_mmu_scheduled_root_to_zap, true,
				 __ATOMIC_RELAXED);
		kvm_tdp_root_mark_invalid(root);
		mmu_stat_inc(vm, roots_invalidated);
	}
}

void kvm_mmu_zap_all_fast(struct vm *vm)
{
	write_lock(&vm->mmu_lock);
	tdp_mmu_invalidate_all_roots(vm);
	write_unlock(&vm->mmu_lock);

	if (vm->mmu_ops && vm->mmu_ops->queue_zap_work)
		vm->mmu_ops->queue_zap_work(vm);
	else
		tdp_mmu_zap_invalidated_roots(vm);
}

/*
 * A vCPU may still be in guest mode on a root that was just invalidated.
 * There it is in an RCU extended quiescent state, so the grace periods
 * that free the zapped tables do not wait for it, yet its EPT walks and
 * paging-structure caches still use them, and the root zap below does not
 * flush (nobody will load these roots again). So before the first table of
 * an invalidated root goes, every vCPU must have left it: the remote flush
 * is a kick with acknowledgement (an IPI that waits for the VM exit, as
 * KVM_REQ_MMU_FREE_OBSOLETE_ROOTS waits), after which each vCPU rechecks
 * its root before it runs again and finds it invalid.
 */
static bool tdp_mmu_roots_to_zap(struct vm *vm)
{
	struct kvm_mmu_page *root;
	bool any = false;

	lockdep_assert_held_read(&vm->mmu_lock);
	rcu_read_lock();
	for_each_tdp_mmu_root(vm, root)
		any |= __atomic_load_n(&root->tdp_mmu_scheduled_root_to_zap,
				       __ATOMIC_ACQUIRE);
	rcu_read_unlock();
	return any;
}

void tdp_mmu_zap_invalidated_roots(struct vm *vm)
{
	struct kvm_mmu_page *root;

	read_lock(&vm->mmu_lock);
	if (tdp_mmu_roots_to_zap(vm))
		kvm_flush_remote_tlbs(vm);
	for_each_tdp_mmu_root_yield_safe(vm, root, true) {
		if (!__atomic_exchange_n(&root->tdp_mmu_scheduled_root_to_zap,
					 false, __ATOMIC_ACQ_REL))
			continue;
		tdp_mmu_zap_root(vm, root, true);
		/* The invalidation's reference; the walk still holds one. */
		tdp_mmu_put_root(vm, root, true);
	}
	read_unlock(&vm->mmu_lock);
}
