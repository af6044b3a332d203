/* SPDX-License-Identifier: MIT */
/*
 * Per-VM MMU statistics. Counters are atomics updated in batches (a zap
 * adds its count once per walk, not once per SPTE) so hot paths do not
 * bounce one cache line between CPUs.
 */
#ifndef VMM_MMU_MMU_STATS_H
#define VMM_MMU_MMU_STATS_H

#include "kernel/atomic.h"

/* X(name, description): one table drives the struct, the reader, printing. */
#define TDP_MMU_STATS(X)						\
	X(faults, "EPT violations handled")				\
	X(spurious_faults, "faults that found the mapping present")	\
	X(fault_retries, "faults retried (frozen/changed SPTE, stale)")	\
	X(bad_gpa_faults, "faults outside memslots or phys width")	\
	X(zapped_sptes, "present SPTEs zapped")				\
	X(yields, "times a walk dropped mmu_lock to reschedule")	\
	X(roots_allocated, "roots allocated")				\
	X(roots_invalidated, "roots marked invalid")			\
	X(roots_freed, "roots freed")					\
	X(pt_pages_alive, "page-table pages alive (roots included)")	\
	X(pt_pages_allocated, "page-table pages allocated")		\
	X(tlb_flushes, "remote TLB flushes requested")			\
	X(reclaims, "host pages reclaimed")				\
	X(mmu_bugs, "MMU invariant violations reported as BUG")	\
	X(pages_4k, "leaf SPTEs mapping 4K (all roots)")		\
	X(pages_2m, "leaf SPTEs mapping 2M (all roots)")		\
	X(pages_1g, "leaf SPTEs mapping 1G (all roots)")		\
	X(huge_splits, "huge SPTEs split into a table")		\
	X(huge_merges, "tables merged back into a huge SPTE")		\
	X(merge_retries, "merges given up (frozen/foreign child)")	\
	X(dirty_pages_harvested, "dirty-log bits harvested")		\
	X(shadow_pages_alive, "shadow EPT pages alive (with side pages)") \
	X(shadow_pages_allocated, "shadow EPT pages allocated")	\
	X(shadow_faults, "L2 EPT violations handled by shadow EPT")	\
	X(shadow_faults_reflected, "L2 EPT violations given to L1")	\
	X(shadow_zapped, "shadow pages zapped")			\
	X(shadow_unsync_marked, "shadow pages marked unsync")		\
	X(shadow_synced, "unsync shadow pages synced")		\
	X(shadow_sync_zapped_sptes, "shadow SPTEs dropped by a sync")	\
	X(shadow_unprotects, "L1 writes to write-tracked tables")	\
	X(shadow_wrprot_reads, "L1 reads of shadowed tables mapped RO") \
	X(swap_outs, "guest pages moved to the swap store")		\
	X(swap_ins, "guest pages brought back from swap")		\
	X(swap_zero_pages, "swapped pages kept as no page (all zero)")	\
	X(swapped_pages, "guest pages in swap now")			\
	X(apf_not_present, "async PF: \"page not present\" sent")	\
	X(apf_page_ready, "async PF: \"page ready\" delivered")	\
	X(apf_sync_waits, "faults on swap the vCPU slept through")	\
	X(apf_cancelled, "async PF page-ins cancelled")		\
	X(apf_work_alive, "async PF work items alive")		\
	X(apf_refused, "async PF not possible: waited in the host")

enum tdp_mmu_stat {
#define X(n, d) TDP_MMU_STAT_##n,
	TDP_MMU_STATS(X)
#undef X
	NR_TDP_MMU_STATS
};

struct tdp_mmu_stats {
	atomic64_t v[NR_TDP_MMU_STATS];
};

struct vm;

#define mmu_stat_add(vm, name, n) \
	atomic64_add((n), &(vm)->stats.v[TDP_MMU_STAT_##name])
#define mmu_stat_inc(vm, name)	mmu_stat_add(vm, name, 1)
/* pages_4k/2m/1g by level: @n leaves at @level appeared (or went, < 0). */
#define mmu_stat_add_leafs(vm, level, n) \
	atomic64_add((n), &(vm)->stats.v[TDP_MMU_STAT_pages_4k + (level) - 1])
#define mmu_stat_read(vm, name) \
	atomic64_read(&(vm)->stats.v[TDP_MMU_STAT_##name])

extern const char *const tdp_mmu_stat_names[NR_TDP_MMU_STATS];

/* Copies up to @n counters into @out; returns count. */
unsigned int tdp_mmu_stats_read(struct vm *vm, u64 *out, unsigned int n);

/*
 * The stats hypercall's layout: a guest hands a buffer of @size bytes and
 * gets a versioned header plus as many counters as fit, in TDP_MMU_STATS
 * order. New counters are only ever appended (and the version bumped), so
 * an older guest with a smaller buffer keeps reading the ones it knows.
 */
#define TDP_MMU_STATS_VERSION	4

struct tdp_mmu_stats_snapshot {
	u32 version;		/* out: TDP_MMU_STATS_VERSION */
	u32 size;		/* out: bytes written (header + counters) */
	u32 nr_counters;	/* out: counters written */
	u32 nr_available;	/* out: counters this hypervisor has */
	u64 counters[];
};

/* Fills @snap (@size bytes); nr_counters or -22 (EINVAL) if too small. */
int tdp_mmu_stats_snapshot(struct vm *vm, struct tdp_mmu_stats_snapshot *snap,
			   u64 size);
void tdp_mmu_stats_print(struct vm *vm, const char *vm_name);

#endif
