// SPDX-License-Identifier: MIT
/*
 * Shadow EPT unsync, hosted (seed 004's path): how many leaf shadow pages
 * the TDP MMU fault side can mark unsync per second from 1 and from 4
 * threads (each its own tables under one parent, so they contend on
 * mmu_unsync_pages_lock and the parent's counters), first as the
 * bookkeeping alone (mmu_try_to_unsync_pages under mmu_lock held for
 * read), then as the whole L1 write that gets there (a simulated vCPU's
 * store, its EPT violation and the TDP MMU fault), and what the sync at
 * INVEPT costs per unsync page.
 */
// host-srcs: vmm/mmu/*.c tests/host/tdp_host_support.c tests/host/shadow_host_support.c tests/host/host_bench_report.c
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include "tests/host/host_bench_report.h"
#include "tests/host/platform_host.h"
#include "tests/host/shadow_host_support.h"
#include "kernel/platform.h"

#define THREADS_MAX	4
#define TABLES		120		/* leaf tables per thread */

struct bench {
	struct sim_vm *s;
	unsigned int threads;
	bool full_write;		/* the whole L1 store, or the marking */
	u64 round;
	bool stop;
	pthread_barrier_t start, done;
};

struct worker {
	struct bench *b;
	unsigned int id;
	u64 t_start, t_end;	/* this round's marking loop */
};

static void *worker(void *arg)
{
	struct worker *w = arg;
	struct bench *b = w->b;
	struct vm *vm = &b->s->vm;
	unsigned int i;

	host_cpu_register();
	for (;;) {
		pthread_barrier_wait(&b->start);
		if (READ_ONCE(b->stop))
			break;
		w->t_start = plat_now_ns();
		if (b->full_write) {
			for (i = 0; i < TABLES; i++) {
				unsigned int pt = w->id * TABLES + i;

				l1_set_pte(b->s, w->id, PT_GFN(pt), 0,
					   leaf(DATA_GFN(2 * pt + (b->round & 1)),
						ACC_ALL));
			}
		} else {
			read_lock(&vm->mmu_lock);
			for (i = 0; i < TABLES; i++) {
				gfn_t gfn = PT_GFN(w->id * TABLES + i);

				mmu_try_to_unsync_pages(vm, gfn_to_memslot(vm, gfn),
							gfn, true);
			}
			read_unlock(&vm->mmu_lock);
		}
		w->t_end = plat_now_ns();
		pthread_barrier_wait(&b->done);
	}
	host_cpu_unregister();
	return NULL;
}

static void run(unsigned int threads, bool full_write, unsigned int rounds)
{
	struct bench b = { .threads = threads, .full_write = full_write };
	struct worker w[THREADS_MAX];
	pthread_t th[THREADS_MAX];
	struct kvm_mmu mmu = { 0 };
	struct shadow_ept_exit ex;
	u64 mark_ns = 0, sync_ns = 0, marks0, synced0, t0;
	unsigned int i;

	b.s = l1_create(threads);
	build_ept12(b.s, threads * TABLES);
	for (i = 0; i < threads * TABLES; i++)
		l2_fault(b.s, &mmu, l2_gpa(i, 0), ACC_READ, &ex);
	/* One warm-up write each: EPT01 maps every table (read-only). */
	for (i = 0; i < threads * TABLES; i++)
		l1_set_pte(b.s, 0, PT_GFN(i), 1, leaf(DATA_GFN(2 * i + 1), ACC_ALL));
	kvm_shadow_ept_invept(&b.s->vm, 2, 0);
	marks0 = atomic64_read(&b.s->vm.stats.v[TDP_MMU_STAT_shadow_unsync_marked]);
	synced0 = atomic64_read(&b.s->vm.stats.v[TDP_MMU_STAT_shadow_synced]);
	pthread_barrier_init(&b.start, NULL, threads + 1);
	pthread_barrier_init(&b.done, NULL, threads + 1);
	for (i = 0; i < threads; i++) {
		w[i] = (struct worker){ &b, i, 0, 0 };
		pthread_create(&th[i], NULL, worker, &w[i]);
	}
	for (b.round = 0; b.round < rounds; b.round++) {
		u64 first = ~0ULL, last = 0;

		pthread_barrier_wait(&b.start);
		pthread_barrier_wait(&b.done);
		/* From the first thread's start to the last one's end. */
		for (i = 0; i < threads; i++) {
			first = w[i].t_start < first ? w[i].t_start : first;
			last = w[i].t_end > last ? w[i].t_end : last;
		}
		mark_ns += last - first;
		t0 = plat_now_ns();
		kvm_shadow_ept_invept(&b.s->vm, 2, 0);
		sync_ns += plat_now_ns() - t0;
	}
	WRITE_ONCE(b.stop, true);
	pthread_barrier_wait(&b.start);
	for (i = 0; i < threads; i++)
		pthread_join(th[i], NULL);
	{
		u64 marks = atomic64_read(&b.s->vm.stats.v[TDP_MMU_STAT_shadow_unsync_marked]) - marks0;
		u64 synced = atomic64_read(&b.s->vm.stats.v[TDP_MMU_STAT_shadow_synced]) - synced0;

		double rate = (double)marks * 1e9 / (double)mark_ns;

		if (full_write)
			bench_add("ns", 1e9 / rate,
				  "L1 write to a synced leaf table (fault + TDP MMU + unsync), %u thread%s, ns per write (aggregate)",
				  threads, threads > 1 ? "s" : "");
		else
			bench_add("marks/s", rate,
				  "unsync marks (bookkeeping, mmu_lock read), %u thread%s",
				  threads, threads > 1 ? "s" : "");
		if (threads == THREADS_MAX && full_write)
			bench_add("ns", (double)sync_ns / (double)synced,
				  "INVEPT sync, per unsync page (re-protect + 512 entries)");
	}
	pthread_barrier_destroy(&b.start);
	pthread_barrier_destroy(&b.done);
	kvm_shadow_ept_unload(&b.s->vm, &mmu);
	sim_vm_destroy(b.s);
}

int main(int argc, char **argv)
{
	bool quick = getenv("HOST_BENCH_QUICK") != NULL;
	unsigned int rounds = quick ? 200 : 2000;

	host_set_resched_rate(0);
	bench_header("bench_shadow_unsync", quick ? " (quick)" : "");
	/* 4 threads on a 2-core machine also measure lock-holder preemption. */
	run(1, false, rounds);
	run(2, false, rounds);
	run(THREADS_MAX, false, rounds);
	run(1, true, rounds);
	run(2, true, rounds);
	run(THREADS_MAX, true, rounds);
	bench_write_json(argc > 1 ? argv[1] : NULL);
	return 0;
}
