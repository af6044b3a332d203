// SPDX-License-Identifier: MIT
/*
 * VM-level MMU setup and teardown, and the statistics readers.
 */
#include "kernel/log.h"
#include "kernel/platform.h"
#include "vmm/mmu/tdp_mmu_internal.h"
#include "vmm/mmu/shadow_ept.h"

const char *const tdp_mmu_stat_names[NR_TDP_MMU_STATS] = {
#define X(n, d) #n,
	TDP_MMU_STATS(X)
#undef X
};

static const char *const tdp_mmu_stat_descs[NR_TDP_MMU_STATS] = {
#define X(n, d) d,
	TDP_MMU_STATS(X)
#undef X
};

unsigned int tdp_mmu_stats_read(struct vm *vm, u64 *out, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n && i < NR_TDP_MMU_STATS; i++)
		out[i] = atomic64_read(&vm->stats.v[i]);
	return i;
}

int tdp_mmu_stats_snapshot(struct vm *vm, struct tdp_mmu_stats_snapshot *snap,
			   u64 size)
{
	u64 room;

	if (!snap || size < sizeof(*snap))
		return -EINVAL;
	room = (size - sizeof(*snap)) / sizeof(u64);
	snap->version = TDP_MMU_STATS_VERSION;
	snap->nr_available = NR_TDP_MMU_STATS;
	snap->nr_counters = tdp_mmu_stats_read(vm, snap->counters,
		room < NR_TDP_MMU_STATS ? (unsigned int)room :
		NR_TDP_MMU_STATS);
	snap->size = sizeof(*snap) + snap->nr_counters * sizeof(u64);
	return snap->nr_counters;
}

void tdp_mmu_stats_print(struct vm *vm, const char *vm_name)
{
	unsigned int i;

	pr_info("vm %s: TDP MMU statistics\n", vm_name);
	for (i = 0; i < NR_TDP_MMU_STATS; i++)
		pr_info("  %-20s %12lld  %s\n", tdp_mmu_stat_names[i],
			(long long)atomic64_read(&vm->stats.v[i]),
			tdp_mmu_stat_descs[i]);
}

int tdp_mmu_vm_init(struct vm *vm, const struct vm_mmu_ops *ops,
		    unsigned int phys_bits)
{
	unsigned int i;

	if (!phys_bits)
		phys_bits = TDP_MMU_DEFAULT_PHYS_BITS;
	if (phys_bits <= PAGE_SHIFT || phys_bits > TDP_MMU_MAX_PHYS_BITS)
		return -EINVAL;

	rwlock_init(&vm->mmu_lock, "mmu_lock");
	spin_lock_init(&vm->tdp_mmu_pages_lock, "tdp_mmu_pages_lock");
	INIT_LIST_HEAD(&vm->tdp_mmu_roots);
	for (i = 0; i < ARRAY_SIZE(vm->sp_hash); i++)
		vm->sp_hash[i] = NULL;
	spin_lock_init(&vm->mmu_unsync_pages_lock, "mmu_unsync_pages_lock");
	for (i = 0; i < ARRAY_SIZE(vm->mmu_page_hash); i++)
		vm->mmu_page_hash[i] = NULL;
	INIT_LIST_HEAD(&vm->shadow_pages);
	vm->indirect_shadow_pages = 0;
	vm->test_skip_unsync_lock = false;
	vm->mmu_invalidate_seq = 0;
	vm->nr_memslots = 0;
	vm->phys_bits = phys_bits;
	vm->root_level = PT64_ROOT_4LEVEL;
	vm->max_huge_level = PG_LEVEL_1G;
	vm->mmu_ops = ops;
	/* No latency until the guest's options set one. */
	swap_store_init(&vm->swap, 0, 0);
	vm->swap.kick = NULL;
	for (i = 0; i < NR_TDP_MMU_STATS; i++)
		atomic64_set(&vm->stats.v[i], 0);
	return 0;
}

/*
 * Everything the VM's MMU used goes back: roots and tables (after a grace
 * period) and the memslots' host pages. vCPUs must have unloaded their
 * roots and the background zap worker must be idle.
 */
void tdp_mmu_vm_destroy(struct vm *vm)
{
	/* The vCPUs cancelled their page-ins; what is left has no waiter. */
	swap_store_destroy(vm);
	/* Shadow EPT first: its roots were put when the vCPUs unloaded. */
	kvm_shadow_ept_zap_all(vm);
	WARN_ON(!list_empty(&vm->shadow_pages));
	WARN_ON(atomic64_read(&vm->stats.v[TDP_MMU_STAT_shadow_pages_alive]));
	write_lock(&vm->mmu_lock);
	tdp_mmu_invalidate_all_roots(vm);
	write_unlock(&vm->mmu_lock);
	tdp_mmu_zap_invalidated_roots(vm);

	/* A root still listed here is a leaked reference. */
	WARN_ON(!list_empty(&vm->tdp_mmu_roots));
	rcu_barrier();
	WARN_ON(atomic64_read(&vm->stats.v[TDP_MMU_STAT_pt_pages_alive]));
	vm_free_memslots(vm);
}
