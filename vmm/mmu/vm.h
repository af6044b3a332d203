/* SPDX-License-Identifier: MIT */
/*
 * struct vm: the MMU's view of one virtual machine (KVM keeps the same
 * state in struct kvm): its memslots, the TDP MMU roots and mmu_lock,
 * the statistics, and the hooks the platform provides. Portable: the
 * hosted tests build it as a Linux program. The VM layer's struct guest
 * (vmm/vcpu.h) owns one and adds the vCPUs, devices and reports.
 */
#ifndef VMM_MMU_VM_H
#define VMM_MMU_VM_H

#include "vmm/mmu/swap.h"
#include "kernel/atomic.h"
#include "kernel/list.h"
#include "kernel/rwlock.h"
#include "kernel/spinlock.h"
#include "vmm/mmu/memslot.h"
#include "vmm/mmu/mmu_stats.h"

struct vm;
struct kvm_mmu_page;

/*
 * What the platform does for the MMU. The kernel (vmm/tdp_kernel.c):
 * INVEPT on every CPU running the VM and the kernel's workqueue. Hosted tests: a simulated per-vCPU TLB and a worker
 * thread. Any hook may be NULL: a NULL flush only counts, a NULL
 * queue_zap_work zaps synchronously in the caller.
 */
struct vm_mmu_ops {
	/*
	 * All guest translations of this VM on all CPUs are gone on return,
	 * cached paging structures included, and every vCPU that was in
	 * guest mode has left it (the flush IPI waited for its VM exit), so
	 * it rechecks its root before running again.
	 */
	void (*flush_remote_tlbs)(struct vm *vm);
	void (*flush_remote_tlbs_range)(struct vm *vm, gfn_t gfn, u64 nr_pages);
	/* Arrange for tdp_mmu_zap_invalidated_roots(vm) to run soon. */
	void (*queue_zap_work)(struct vm *vm);
	/*
	 * Called each time a walk reaches a scheduling point with mmu_lock
	 * dropped (the soft-lockup watchdog's and the benchmarks' probe).
	 */
	void (*sched_point)(struct vm *vm);
	/*
	 * Called when that walk has re-taken mmu_lock after the scheduling
	 * point (benchmarks time how long the lock is held between two).
	 */
	void (*sched_point_done)(struct vm *vm);
};

#define SP_HASH_BITS	12
#define MMU_PAGE_HASH_BITS	10

struct vm {
	/*
	 * mmu_lock protects the shape of the paging structures. Held for
	 * read: faults, zaps and root walks, which change SPTEs only with
	 * cmpxchg (tdp_mmu_set_spte_atomic). Held for write: operations that
	 * need exclusivity (invalidate all roots, host reclaim, plain-store
	 * zaps), and the mmu_invalidate_* fields below.
	 */
	rwlock_t mmu_lock;
	/*
	 * tdp_mmu_pages_lock protects changes to tdp_mmu_roots (readers walk
	 * it under RCU) and sp_hash (table page -> struct kvm_mmu_page).
	 * Taken inside mmu_lock (either mode); nothing is taken inside it.
	 */
	spinlock_t tdp_mmu_pages_lock;
	struct list_head tdp_mmu_roots;
	struct kvm_mmu_page *sp_hash[1U << SP_HASH_BITS];

	/*
	 * Bumped by host reclaim (the mmu-notifier analogue) with mmu_lock
	 * held for write; a fault samples it before looking up the host page
	 * and rechecks it with mmu_lock held for read before installing, so
	 * a pfn looked up before a reclaim is never installed after it.
	 */
	u64 mmu_invalidate_seq;

	/*
	 * Shadow EPT (shadow_mmu.c, shadow_unsync.c): the shadow pages that
	 * mirror L1's EPT tables for its L2 guests. mmu_page_hash (by L1
	 * GFN), shadow_pages and every shadow page's structure change with
	 * mmu_lock held for write; the hash is walked with it held for read
	 * by the TDP MMU fault path (mmu_try_to_unsync_pages), which that
	 * lock mode keeps stable. indirect_shadow_pages counts the pages
	 * with role.direct = 0 (written under the write lock, read
	 * lock-free by the fault path as "is there anything to look up").
	 */
	struct kvm_mmu_page *mmu_page_hash[1U << MMU_PAGE_HASH_BITS];
	struct list_head shadow_pages;
	u64 indirect_shadow_pages;
	/*
	 * mmu_unsync_pages_lock protects the unsync bookkeeping of shadow
	 * pages (sp->unsync, unsync_children, unsync_child_bitmap) when it
	 * is changed with mmu_lock held only for read: marking pages unsync
	 * from TDP MMU faults on several vCPUs at once (seed 004). Taken
	 * inside mmu_lock (read); nothing is taken inside it. With mmu_lock
	 * held for write there is no contention, and it is not needed.
	 */
	spinlock_t mmu_unsync_pages_lock;
	/*
	 * Test-only seam: the hosted race test sets it to show that the
	 * bookkeeping breaks without mmu_unsync_pages_lock. Never set in
	 * the kernel.
	 */
	bool test_skip_unsync_lock;

	/* Set up before vCPUs run, immutable afterwards. */
	struct memslot memslots[VM_MAX_MEMSLOTS];
	unsigned int nr_memslots;
	/* Guest MAXPHYADDR: GPAs at or above 1 << phys_bits are errors. */
	unsigned int phys_bits;
	int root_level;
	/*
	 * The largest leaf the CPU's EPT takes (KVM's max_huge_page_level):
	 * PG_LEVEL_1G, PG_LEVEL_2M or PG_LEVEL_4K. Set before vCPUs run.
	 */
	int max_huge_level;

	const struct vm_mmu_ops *mmu_ops;
	void *platform_data;

	/* Page-ins of swapped GFNs (swap.h; its lock protects it). */
	struct swap_store swap;

	struct tdp_mmu_stats stats;
};

#endif
