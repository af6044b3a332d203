/* SPDX-License-Identifier: MIT */
/*
 * The swap store: where reclaimed guest pages wait, and the slow page-ins
 * that bring them back, as a disk or a remote memory tier would.
 *
 * A swapped GFN's memslot entry says so (MEMSLOT_PFN_SWAPPED, memslot.h)
 * and names the host page that keeps its contents (none when the page was
 * all zeroes: the only memory swap saves here; the store models the
 * latency of a slow tier, not a smaller footprint). tdp_mmu_swap_out_gfn()
 * puts a page there; the fault path sees KVM_PFN_NOT_RESIDENT and asks
 * the store for a page-in.
 *
 * A page-in is a struct swap_io: one per GFN in flight, due latency_ns +
 * a random part of jitter_ns after the first request, with the list of
 * its waiters (the vCPU's async PF work, a vCPU thread sleeping through
 * the fault). swap_store_run() (the store's worker thread) completes what
 * is due: the page comes back (memslot_swap_in) and each waiter's done()
 * runs once. A waiter that no longer wants the page cancels; on return
 * from swap_pagein_cancel() its done() has either run to its end or will
 * never run. If the GFN was discarded or replaced meanwhile the page-in
 * finds nothing to bring and just calls the waiters: their retried fault
 * sees what is there now.
 *
 * Locking: lock (a spinlock, taken in no other lock's scope except the
 * vCPU's apf done_lock is never taken inside it) protects pending, each
 * io's waiters and calling.
 */
#ifndef VMM_MMU_SWAP_H
#define VMM_MMU_SWAP_H

#include "kernel/compiler.h"
#include "kernel/list.h"
#include "kernel/spinlock.h"

struct vm;
struct swap_io;

struct swap_waiter {
	struct list_head link;		/* on io->waiters, under the lock */
	struct swap_io *io;		/* NULL once taken off (lock) */
	/* The page is in (@err 0) or cannot come (-ENOMEM): worker thread. */
	void (*done)(struct swap_waiter *w, int err);
};

struct swap_io {
	struct list_head link;		/* store->pending, by due time */
	u64 gfn;
	u64 due_ns;
	struct list_head waiters;
};

/* swap_store_run(): nothing pending. */
#define SWAP_NONE_PENDING	(~0ULL)

struct swap_store {
	spinlock_t lock;		/* see the header comment */
	struct list_head pending;	/* struct swap_io, earliest first */
	/* The waiter whose done() the worker is running (lock). */
	struct swap_waiter *calling;
	/* Set before the guest runs. */
	u64 latency_ns, jitter_ns;
	u64 rng;			/* jitter (lock) */
	/*
	 * Tell the worker that the earliest due time moved earlier (a new
	 * first io); called without the lock. NULL: the caller runs the
	 * store itself (hosted tests).
	 */
	void (*kick)(struct swap_store *store);
	void *opaque;
	u64 nr_ios, nr_ios_alive;	/* lock */
};

void swap_store_init(struct swap_store *store, u64 latency_ns,
		     u64 jitter_ns);
/*
 * Ask for @gfn's page (@now: the caller's clock, plat_now_ns()): 0 and
 * @w->done() will run, 1 if the page is not in swap (nothing queued, no
 * done()), -ENOMEM, -EFAULT (no memslot).
 */
int swap_pagein_start(struct vm *vm, u64 gfn, struct swap_waiter *w, u64 now);
/* True: done() never runs. False: it ran; it has returned. */
bool swap_pagein_cancel(struct vm *vm, struct swap_waiter *w);
/*
 * Complete every page-in due at @now; returns the due time of the next
 * one, or SWAP_NONE_PENDING. The worker's step; may sleep in done().
 */
u64 swap_store_run(struct vm *vm, u64 now);
/* Teardown: no waiter may be left; drops the ios (pages stay in swap). */
void swap_store_destroy(struct vm *vm);

#endif
