// SPDX-License-Identifier: MIT
/*
 * The swap store's page-ins (swap.h): a queue by due time, one io per
 * GFN shared by all who wait for it, and cancellation that a completion
 * cannot outrun.
 */
#include "kernel/log.h"
#include "kernel/platform.h"
#include "vmm/mmu/tdp_mmu.h"
#include "vmm/mmu/swap.h"

void swap_store_init(struct swap_store *store, u64 latency_ns, u64 jitter_ns)
{
	spin_lock_init(&store->lock, "swap_store_lock");
	INIT_LIST_HEAD(&store->pending);
	store->calling = NULL;
	store->latency_ns = latency_ns;
	store->jitter_ns = jitter_ns;
	store->rng = 0x9e3779b97f4a7c15ULL;
	store->nr_ios = store->nr_ios_alive = 0;
}

/* xorshift64: jitter needs spread, not quality. */
static u64 swap_rand(struct swap_store *store)
{
	u64 x = store->rng;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	store->rng = x;
	return x;
}

static struct swap_io *swap_find_io(struct swap_store *store, u64 gfn)
{
	struct swap_io *io;

	list_for_each_entry(io, &store->pending, link)
		if (io->gfn == gfn)
			return io;
	return NULL;
}

/* Keep pending sorted by due time; true if @io went first. */
static bool swap_queue_io(struct swap_store *store, struct swap_io *io)
{
	struct swap_io *pos;

	list_for_each_entry(pos, &store->pending, link) {
		if (pos->due_ns > io->due_ns) {
			list_add_tail(&io->link, &pos->link);
			return store->pending.next == &io->link;
		}
	}
	list_add_tail(&io->link, &store->pending);
	return store->pending.next == &io->link;
}

int swap_pagein_start(struct vm *vm, u64 gfn, struct swap_waiter *w, u64 now)
{
	struct swap_store *store = &vm->swap;
	struct memslot *slot = gfn_to_memslot(vm, gfn);
	struct swap_io *io, *fresh;
	bool first = false;

	if (!slot)
		return -EFAULT;
	if (!memslot_gfn_swapped(slot, gfn))
		return 1;
	/* Allocate outside the lock; most requests are for a new GFN. */
	fresh = plat_zalloc(sizeof(*fresh));
	if (!fresh)
		return -ENOMEM;
	spin_lock(&store->lock);
	io = swap_find_io(store, gfn);
	if (!io) {
		io = fresh;
		fresh = NULL;
		io->gfn = gfn;
		INIT_LIST_HEAD(&io->waiters);
		io->due_ns = now + store->latency_ns;
		if (store->jitter_ns)
			io->due_ns += swap_rand(store) % store->jitter_ns;
		first = swap_queue_io(store, io);
		store->nr_ios++;
		store->nr_ios_alive++;
	}
	w->io = io;
	list_add_tail(&w->link, &io->waiters);
	spin_unlock(&store->lock);
	plat_free(fresh);
	if (first && store->kick)
		store->kick(store);
	return 0;
}

bool swap_pagein_cancel(struct vm *vm, struct swap_waiter *w)
{
	struct swap_store *store = &vm->swap;

	spin_lock(&store->lock);
	if (w->io) {
		/* Still queued: done() will never see it. */
		list_del(&w->link);
		w->io = NULL;
		spin_unlock(&store->lock);
		return true;
	}
	/* Taken off by the worker: wait until its done() has returned. */
	while (store->calling == w) {
		spin_unlock(&store->lock);
		cpu_relax();
		spin_lock(&store->lock);
	}
	spin_unlock(&store->lock);
	return false;
}

/*
 * One io is due: bring the page back, then hand each waiter the result.
 * The io is already off pending, so new requests for the GFN start a new
 * io (which finds the page in, if this one got it).
 */
static void swap_complete_io(struct vm *vm, struct swap_io *io)
{
	struct swap_store *store = &vm->swap;
	struct memslot *slot = gfn_to_memslot(vm, io->gfn);
	struct swap_waiter *w;
	int err = slot ? memslot_swap_in(slot, io->gfn) : 0;

	spin_lock(&store->lock);
	while (!list_empty(&io->waiters)) {
		w = list_first_entry(&io->waiters, struct swap_waiter, link);
		list_del(&w->link);
		w->io = NULL;
		store->calling = w;
		spin_unlock(&store->lock);
		w->done(w, err);	/* may free w: never touched after */
		spin_lock(&store->lock);
		store->calling = NULL;
	}
	store->nr_ios_alive--;
	spin_unlock(&store->lock);
	plat_free(io);
}

u64 swap_store_run(struct vm *vm, u64 now)
{
	struct swap_store *store = &vm->swap;
	struct swap_io *io;
	u64 next;

	for (;;) {
		spin_lock(&store->lock);
		if (list_empty(&store->pending)) {
			spin_unlock(&store->lock);
			return SWAP_NONE_PENDING;
		}
		io = list_first_entry(&store->pending, struct swap_io, link);
		if (io->due_ns > now) {
			next = io->due_ns;
			spin_unlock(&store->lock);
			return next;
		}
		list_del(&io->link);
		spin_unlock(&store->lock);
		swap_complete_io(vm, io);
	}
}

void swap_store_destroy(struct vm *vm)
{
	struct swap_store *store = &vm->swap;
	struct swap_io *io, *next;

	spin_lock(&store->lock);
	list_for_each_entry_safe(io, next, &store->pending, link) {
		/* Every waiter cancelled before the vCPUs went away. */
		WARN_ON(!list_empty(&io->waiters));
		list_del(&io->link);
		store->nr_ios_alive--;
		plat_free(io);
	}
	WARN_ON(store->nr_ios_alive);
	spin_unlock(&store->lock);
}
