// SPDX-License-Identifier: MIT
/*
 * Hosted tests of kvm_tdp_mmu_map_range(), the bulk prefault behind the
 * HC_MMU_PREFAULT hypercall: it maps exactly the range asked, each GFN to
 * its memslot's page, refuses holes and absurd ranges cleanly, and agrees
 * with single faults and with itself when several threads map overlapping
 * ranges at once (TSan); destroying the VM frees every page.
 */
// host-srcs: vmm/mmu/*.c tests/host/tdp_host_support.c
#include "tests/host/tap.h"
#include "tests/host/platform_host.h"
#include "tests/host/tdp_host_support.h"
#include "kernel/log.h"
#include "kernel/platform.h"

#define SLOT_GFNS	4096ULL
#define ALIAS_BASE	0x10000ULL
#define ALIAS_GFNS	(64ULL << 10)
#define THREADS		4

struct race_arg {
	struct sim_vm *s;
	u64 errors;
};

static u64 stat(struct sim_vm *s, enum tdp_mmu_stat i)
{
	return atomic64_read(&s->vm.stats.v[i]);
}

/* Every GFN of slot 0 maps its own page, in the one root, exactly once. */
static bool slot_mapped_exactly(struct sim_vm *s)
{
	struct memslot *slot = gfn_to_memslot(&s->vm, 0);

	for (gfn_t g = 0; g < SLOT_GFNS; g += 61)
		if (tdp_mmu_count_pfn_mappings(&s->vm, g, g + 1,
					       slot->pfns[g]) != 1)
			return false;
	return true;
}

static u64 leafs(struct sim_vm *s)
{
	u64 n;

	read_lock(&s->vm.mmu_lock);
	n = tdp_mmu_count_leafs(&s->vm, s->vcpus[0].root);
	read_unlock(&s->vm.mmu_lock);
	return n;
}

static void test_single(void)
{
	struct sim_vm *s = sim_vm_create(1, 0);
	u64 pages0 = host_nr_pages_live(), bad0;
	long r1, r2, r3, r4, r5;
	bool ok;

	vm_add_memslot(&s->vm, 0, SLOT_GFNS, 0, 0);
	vm_add_memslot(&s->vm, ALIAS_BASE, ALIAS_GFNS, MEMSLOT_ALIAS, 4);
	kvm_mmu_load(&s->vm, &s->vcpus[0].root);
	r1 = kvm_tdp_mmu_map_range(&s->vm, s->vcpus[0].root, 0, SLOT_GFNS);
	r2 = kvm_tdp_mmu_map_range(&s->vm, s->vcpus[0].root, ALIAS_BASE,
				   ALIAS_GFNS);
	ok = r1 == (long)SLOT_GFNS && r2 == (long)ALIAS_GFNS &&
	     leafs(s) == SLOT_GFNS + ALIAS_GFNS && slot_mapped_exactly(s);
	/* Again: everything present, nothing new, still all counted. */
	r3 = kvm_tdp_mmu_map_range(&s->vm, s->vcpus[0].root, 0, SLOT_GFNS);
	tap_ok(ok && r3 == (long)SLOT_GFNS && leafs(s) == SLOT_GFNS + ALIAS_GFNS,
	       "map_range maps exactly the range, each GFN to its page (%ld + %ld leaves, again %ld)",
	       r1, r2, r3);

	bad0 = stat(s, TDP_MMU_STAT_bad_gpa_faults);
	r4 = kvm_tdp_mmu_map_range(&s->vm, s->vcpus[0].root, SLOT_GFNS - 2, 4);
	r5 = kvm_tdp_mmu_map_range(&s->vm, s->vcpus[0].root,
				   tdp_mmu_max_gfn(&s->vm) - 1, 2);
	tap_ok(r4 == -EFAULT && r5 == -EINVAL &&
	       kvm_tdp_mmu_map_range(&s->vm, s->vcpus[0].root, ~0ULL, 2) ==
	       -EINVAL &&
	       stat(s, TDP_MMU_STAT_bad_gpa_faults) == bad0 + 1 &&
	       leafs(s) == SLOT_GFNS + ALIAS_GFNS,
	       "a hole is -EFAULT (counted as a bad GPA), past the width or wrapping -EINVAL (%ld, %ld)",
	       r4, r5);
	sim_vm_destroy(s);
	tap_ok(host_nr_pages_live() == pages0,
	       "destroying the VM frees every page it used (%llu live before, %llu after)",
	       (unsigned long long)pages0,
	       (unsigned long long)host_nr_pages_live());
}

/* Thread i maps overlapping windows with map_range and single faults. */
static void race_worker(void *arg, unsigned int i)
{
	struct race_arg *a = arg;
	struct vm *vm = &a->s->vm;
	struct kvm_mmu_page *root = a->s->vcpus[0].root;

	for (gfn_t g = (i * 97) % SLOT_GFNS; g < SLOT_GFNS; g += 256) {
		u64 n = MIN(512ULL, SLOT_GFNS - g);
		long m = kvm_tdp_mmu_map_range(vm, root, g, n);

		if (m < 0 || (m < (long)n &&
			      kvm_tdp_mmu_prefault(vm, root, g + m, n - m)))
			__atomic_fetch_add(&a->errors, 1, __ATOMIC_RELAXED);
		if (kvm_mmu_do_page_fault(vm, root, ((g * 7) % SLOT_GFNS) << 12,
				       ACC_ALL) < 0)
			__atomic_fetch_add(&a->errors, 1, __ATOMIC_RELAXED);
	}
}

static void test_race(void)
{
	struct sim_vm *s = sim_vm_create(1, 0);
	struct race_arg a = { .s = s };
	unsigned long w0 = warn_count;
	long rest;
	bool ok;

	vm_add_memslot(&s->vm, 0, SLOT_GFNS, 0, 0);
	kvm_mmu_load(&s->vm, &s->vcpus[0].root);
	host_run_cpus(THREADS, race_worker, &a);
	/* Whatever the windows missed at the start, then check the result. */
	rest = kvm_tdp_mmu_map_range(&s->vm, s->vcpus[0].root, 0, SLOT_GFNS);
	ok = a.errors == 0 && rest == (long)SLOT_GFNS &&
	     leafs(s) == SLOT_GFNS && slot_mapped_exactly(s) &&
	     warn_count == w0;
	tap_ok(ok, "%d threads mapping overlapping ranges and faulting agree: %llu leaves, one page per GFN (%llu errors, %llu retries)",
	       THREADS, (unsigned long long)leafs(s),
	       (unsigned long long)a.errors,
	       (unsigned long long)stat(s, TDP_MMU_STAT_fault_retries));
	sim_vm_destroy(s);
}

int main(void)
{
	tap_plan(4);
	test_single();
	test_race();
	return tap_done();
}
