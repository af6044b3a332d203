// SPDX-License-Identifier: MIT
/*
 * The host side of async page faults (vmm/apf/async_pf.h), hosted: a
 * simulated guest (its 64-byte shared area in a fake RAM page, the
 * events it is sent) and a page-in worker thread that completes requests
 * after a random delay, so completions race the vCPU and cancellation.
 *  - the three MSRs: every bad value is a #GP, good ones read back;
 *  - enabling wakes all (token ~0) once;
 *  - when a "not present" may be sent: interrupts, CPL (send-always),
 *    paging, a pending event, L2, a GFN already waited for, the limit of
 *    64 outstanding; tokens unique and carrying the vCPU;
 *  - a "page ready" at a time: not before the guest has ACKed the last
 *    one and zeroed the token;
 *  - 2000 faults through the worker: every token delivered exactly once,
 *    every page mapped once, nothing left queued;
 *  - disabling with page-ins in flight, and destroying the vCPU: all
 *    cancelled, nothing delivered afterwards, nothing leaked (ASan).
 */
// host-srcs: vmm/apf/*.c
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "tests/host/tap.h"
#include "tests/host/platform_host.h"
#include "vmm/apf/async_pf.h"
#include "kernel/errno.h"

#define RAM_GPA		0x1000ULL
#define AREA_GPA	(RAM_GPA + 0x40)
#define MAX_TOKENS	4096

struct sim_guest {
	struct kvm_vcpu_apf apf;
	u8 ram[4096];			/* guest RAM at RAM_GPA */
	/* Events the "CPU" got, in order (vCPU thread). */
	u32 not_present[MAX_TOKENS];
	unsigned int nr_not_present;
	u32 ready[MAX_TOKENS];
	unsigned int nr_ready;
	u64 mapped[MAX_TOKENS];		/* GFNs page_ready() mapped */
	unsigned int nr_mapped;
	u64 kicks;
	/* The page-in worker. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct kvm_async_pf *pending[256];
	u64 due_ns[256];
	unsigned int nr_pending;
	struct kvm_async_pf *running;	/* being completed right now */
	bool stop, hold;		/* hold: complete nothing (yet) */
	unsigned int max_delay_us;
	pthread_t worker;
};

static struct sim_guest *sg(struct kvm_vcpu_apf *apf)
{
	return apf->opaque;
}

static bool in_ram(u64 gpa, unsigned int len)
{
	return gpa >= RAM_GPA && gpa + len <= RAM_GPA + 4096;
}

static bool sim_write(struct kvm_vcpu_apf *apf, u64 gpa, const void *src,
		      unsigned int len)
{
	if (!in_ram(gpa, len))
		return false;
	memcpy(sg(apf)->ram + (gpa - RAM_GPA), src, len);
	return true;
}

static bool sim_read(struct kvm_vcpu_apf *apf, u64 gpa, void *dst,
		     unsigned int len)
{
	if (!in_ram(gpa, len))
		return false;
	memcpy(dst, sg(apf)->ram + (gpa - RAM_GPA), len);
	return true;
}

static bool sim_is_ram(struct kvm_vcpu_apf *apf, u64 gpa, unsigned int len)
{
	return in_ram(gpa, len);
}

static u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ULL + (u64)ts.tv_nsec;
}

static bool sim_start(struct kvm_vcpu_apf *apf, struct kvm_async_pf *work)
{
	struct sim_guest *g = sg(apf);
	bool ok;

	pthread_mutex_lock(&g->lock);
	ok = g->nr_pending < 256;
	if (ok) {
		g->due_ns[g->nr_pending] = now_ns() + (g->max_delay_us ?
			(u64)(rand() % g->max_delay_us) * 1000 : 0);
		g->pending[g->nr_pending++] = work;
		pthread_cond_signal(&g->cond);
	}
	pthread_mutex_unlock(&g->lock);
	return ok;
}

/* After return the completion has run or never will. */
static void sim_cancel(struct kvm_vcpu_apf *apf, struct kvm_async_pf *work)
{
	struct sim_guest *g = sg(apf);
	unsigned int i;

	pthread_mutex_lock(&g->lock);
	for (i = 0; i < g->nr_pending; i++)
		if (g->pending[i] == work) {
			g->pending[i] = g->pending[--g->nr_pending];
			g->due_ns[i] = g->due_ns[g->nr_pending];
			break;
		}
	while (g->running == work)
		pthread_cond_wait(&g->cond, &g->lock);
	pthread_mutex_unlock(&g->lock);
}

static void *worker(void *arg)
{
	struct sim_guest *g = arg;

	host_cpu_register();
	pthread_mutex_lock(&g->lock);
	while (!g->stop) {
		unsigned int i, pick = ~0u;
		u64 t = now_ns();

		for (i = 0; !__atomic_load_n(&g->hold, __ATOMIC_RELAXED) &&
		     i < g->nr_pending; i++)
			if (g->due_ns[i] <= t) {
				pick = i;
				break;
			}
		if (pick == ~0u) {
			pthread_mutex_unlock(&g->lock);
			usleep(20);
			pthread_mutex_lock(&g->lock);
			continue;
		}
		g->running = g->pending[pick];
		g->pending[pick] = g->pending[--g->nr_pending];
		g->due_ns[pick] = g->due_ns[g->nr_pending];
		pthread_mutex_unlock(&g->lock);
		kvm_async_page_present_async(g->running);
		pthread_mutex_lock(&g->lock);
		g->running = NULL;
		pthread_cond_broadcast(&g->cond);
	}
	pthread_mutex_unlock(&g->lock);
	host_cpu_unregister();
	return NULL;
}

static void sim_page_ready(struct kvm_vcpu_apf *apf, struct kvm_async_pf *w)
{
	struct sim_guest *g = sg(apf);

	if (g->nr_mapped < MAX_TOKENS)
		g->mapped[g->nr_mapped++] = w->gfn;
}

static void sim_inject_np(struct kvm_vcpu_apf *apf, u32 token)
{
	struct sim_guest *g = sg(apf);

	if (g->nr_not_present < MAX_TOKENS)
		g->not_present[g->nr_not_present++] = token;
}

static void sim_inject_ready(struct kvm_vcpu_apf *apf, u8 vector)
{
	struct sim_guest *g = sg(apf);
	struct kvm_vcpu_pv_apf_data *d = (void *)(g->ram + (AREA_GPA - RAM_GPA));

	if (g->nr_ready < MAX_TOKENS)
		g->ready[g->nr_ready++] = d->token;
}

static void sim_kick(struct kvm_vcpu_apf *apf)
{
	__atomic_fetch_add(&sg(apf)->kicks, 1, __ATOMIC_RELAXED);
}

static const struct kvm_apf_ops sim_ops = {
	.write_guest = sim_write, .read_guest = sim_read,
	.is_guest_ram = sim_is_ram, .start_pagein = sim_start,
	.cancel_pagein = sim_cancel, .page_ready = sim_page_ready,
	.inject_not_present = sim_inject_np,
	.inject_page_ready = sim_inject_ready, .kick = sim_kick,
};

static struct sim_guest *guest_create(unsigned int vcpu_id)
{
	struct sim_guest *g = calloc(1, sizeof(*g));

	kvm_async_pf_vcpu_init(&g->apf, vcpu_id, &sim_ops, g);
	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->cond, NULL);
	pthread_create(&g->worker, NULL, worker, g);
	return g;
}

static void guest_destroy(struct sim_guest *g)
{
	kvm_async_pf_vcpu_destroy(&g->apf);
	pthread_mutex_lock(&g->lock);
	g->stop = true;
	pthread_mutex_unlock(&g->lock);
	pthread_join(g->worker, NULL);
	free(g);
}

static struct kvm_vcpu_pv_apf_data *area(struct sim_guest *g)
{
	return (void *)(g->ram + (AREA_GPA - RAM_GPA));
}

/* The guest's page-ready handler: take the token, free the slot, ACK. */
static void guest_ack(struct sim_guest *g)
{
	area(g)->token = 0;
	kvm_apf_set_msr(&g->apf, MSR_KVM_ASYNC_PF_ACK, 1);
}

static const struct kvm_apf_cpu_state user_st = {
	.cpl = 3, .interrupts_enabled = true, .paging = true,
};

static u64 enable_val(bool send_always)
{
	return AREA_GPA | KVM_ASYNC_PF_ENABLED | KVM_ASYNC_PF_DELIVERY_AS_INT |
	       (send_always ? KVM_ASYNC_PF_SEND_ALWAYS : 0);
}

static void test_msrs(void)
{
	struct sim_guest *g = guest_create(3);
	struct kvm_vcpu_apf *apf = &g->apf;
	u64 v = 0;
	bool ok;

	ok = kvm_apf_set_msr(apf, MSR_KVM_ASYNC_PF_INT, 31) == -EINVAL &&
	     kvm_apf_set_msr(apf, MSR_KVM_ASYNC_PF_INT, 0x1f0) == -EINVAL &&
	     kvm_apf_set_msr(apf, MSR_KVM_ASYNC_PF_INT, 0xec) == 0 &&
	     kvm_apf_get_msr(apf, MSR_KVM_ASYNC_PF_INT, &v) == 0 && v == 0xec;
	tap_ok(ok, "MSR_KVM_ASYNC_PF_INT: a vector below 32 or bits above 7 are a #GP; 0xec reads back");

	ok = kvm_apf_set_msr(apf, MSR_KVM_ASYNC_PF_EN, enable_val(0) | 0x10) == -EINVAL &&
	     kvm_apf_set_msr(apf, MSR_KVM_ASYNC_PF_EN, enable_val(0) | 0x20) == -EINVAL &&
	     kvm_apf_set_msr(apf, MSR_KVM_ASYNC_PF_EN,
			     enable_val(0) & ~KVM_ASYNC_PF_DELIVERY_AS_INT) == -EINVAL &&
	     kvm_apf_set_msr(apf, MSR_KVM_ASYNC_PF_EN, 0x100000 |
			     KVM_ASYNC_PF_ENABLED | KVM_ASYNC_PF_DELIVERY_AS_INT) == -EINVAL &&
	     kvm_apf_set_msr(apf, MSR_KVM_ASYNC_PF_EN, (RAM_GPA + 4096 - 0x40) |
			     KVM_ASYNC_PF_ENABLED | KVM_ASYNC_PF_DELIVERY_AS_INT) == 0 &&
	     kvm_apf_set_msr(apf, MSR_KVM_ASYNC_PF_EN, 0) == 0 &&
	     !kvm_pv_async_pf_enabled(apf) && apf->msr_en_val == 0;
	tap_ok(ok, "MSR_KVM_ASYNC_PF_EN: reserved bits, #PF-style delivery, an area outside RAM are a #GP; the last 64 bytes of RAM are fine");
	ok = kvm_apf_set_msr(apf, 0x4b564d05, 1) == -EINVAL &&
	     kvm_apf_get_msr(apf, MSR_KVM_ASYNC_PF_ACK, &v) == 0 && v == 0;
	tap_ok(ok, "an MSR that is not async PF's is refused; ACK reads 0");

	/* Enabling wakes all waiters, once. */
	ok = kvm_apf_set_msr(apf, MSR_KVM_ASYNC_PF_EN, enable_val(0)) == 0;
	kvm_check_async_pf_completion(apf);
	ok &= g->nr_ready == 1 && g->ready[0] == KVM_APF_WAKE_ALL &&
	      apf->pageready_pending;
	guest_ack(g);
	kvm_check_async_pf_completion(apf);
	tap_ok(ok && g->nr_ready == 1 && !apf->pageready_pending,
	       "enabling sends one page ready with the wake-all token");
	guest_destroy(g);
}

static void test_rules(void)
{
	struct sim_guest *g = guest_create(5);
	struct kvm_vcpu_apf *apf = &g->apf;
	struct kvm_apf_cpu_state st = user_st;
	bool ok, unique = true;
	unsigned int i, j;

	kvm_apf_set_msr(apf, MSR_KVM_ASYNC_PF_INT, 0xec);
	ok = !kvm_async_pf_try(apf, 1, 7, &st);	/* not enabled yet */
	kvm_apf_set_msr(apf, MSR_KVM_ASYNC_PF_EN, enable_val(false));
	__atomic_store_n(&g->hold, true, __ATOMIC_RELAXED);
	st.cpl = 0;
	ok &= !kvm_async_pf_try(apf, 1, 7, &st);
	st = user_st;
	st.interrupts_enabled = false;
	ok &= !kvm_async_pf_try(apf, 1, 7, &st);
	st = user_st;
	st.paging = false;
	ok &= !kvm_async_pf_try(apf, 1, 7, &st);
	st = user_st;
	st.event_pending = true;
	ok &= !kvm_async_pf_try(apf, 1, 7, &st);
	st = user_st;
	st.guest_mode = true;
	ok &= !kvm_async_pf_try(apf, 1, 7, &st);
	tap_ok(ok && apf->queued == 0 && g->nr_not_present == 0,
	       "no not-present while disabled, at CPL 0 without send-always, with interrupts off, paging off, an event pending, or in L2");

	ok = kvm_async_pf_try(apf, 100, 7, &user_st) &&
	     !kvm_async_pf_try(apf, 100, 7, &user_st) &&
	     area(g)->flags == KVM_PV_REASON_PAGE_NOT_PRESENT;
	tap_ok(ok, "a not-present writes the reason first; a second fault on the same GFN waits in the host");
	kvm_apf_set_msr(apf, MSR_KVM_ASYNC_PF_EN, enable_val(true));
	st = user_st;
	st.cpl = 0;
	for (i = 1; i < ASYNC_PF_PER_VCPU; i++)
		kvm_async_pf_try(apf, 100 + i, 7, &st);
	ok = apf->queued == ASYNC_PF_PER_VCPU &&
	     !kvm_async_pf_try(apf, 999, 7, &st);
	for (i = 0; i < g->nr_not_present; i++) {
		unique &= (g->not_present[i] & 0xfff) == 5;
		for (j = 0; j < i; j++)
			unique &= g->not_present[i] != g->not_present[j];
	}
	tap_ok(ok && unique && g->nr_not_present == ASYNC_PF_PER_VCPU,
	       "send-always reaches CPL 0; at most 64 outstanding; tokens unique and carry the vCPU id");

	/* One page ready at a time, gated by ACK and the token slot. */
	area(g)->token = 0;
	kvm_check_async_pf_completion(apf);	/* drop the wake-all */
	guest_ack(g);
	g->nr_ready = 0;
	__atomic_store_n(&g->hold, false, __ATOMIC_RELAXED);
	/* The wake-all of enabling, then all 64 page-ins. */
	while (__atomic_load_n(&g->kicks, __ATOMIC_RELAXED) < 1 + ASYNC_PF_PER_VCPU)
		usleep(100);
	kvm_check_async_pf_completion(apf);
	ok = g->nr_ready == 1;			/* the slot holds it */
	kvm_check_async_pf_completion(apf);
	ok &= g->nr_ready == 1 && apf->pageready_pending;
	area(g)->token = 0;			/* slot freed, never ACKed */
	kvm_check_async_pf_completion(apf);
	ok &= g->nr_ready == 2;
	kvm_apf_set_msr(apf, MSR_KVM_ASYNC_PF_ACK, 1);	/* ACKed, slot busy */
	kvm_check_async_pf_completion(apf);
	ok &= g->nr_ready == 2 && !apf->pageready_pending;
	area(g)->token = 0;
	kvm_check_async_pf_completion(apf);
	tap_ok(ok && g->nr_ready == 3 && apf->pageready_pending,
	       "a page ready waits for the guest to free the token slot, ACKed or not (KVM: the slot decides, the ACK makes the host look)");
	guest_destroy(g);
}

static void test_through_worker(void)
{
	struct sim_guest *g = guest_create(1);
	struct kvm_vcpu_apf *apf = &g->apf;
	static bool seen[MAX_TOKENS];
	unsigned int sent = 0, i, dup = 0, bad = 0, n = 2000;
	u64 gfn = 0x1000;

	g->max_delay_us = 200;
	kvm_apf_set_msr(apf, MSR_KVM_ASYNC_PF_INT, 0xec);
	kvm_apf_set_msr(apf, MSR_KVM_ASYNC_PF_EN, enable_val(false));
	memset(seen, 0, sizeof(seen));
	while (sent < n || apf->queued) {
		if (sent < n && kvm_async_pf_try(apf, gfn++, 7, &user_st))
			sent++;
		kvm_check_async_pf_completion(apf);
		if (apf->pageready_pending) {
			u32 t = area(g)->token;

			if (t != KVM_APF_WAKE_ALL) {
				i = ((t >> 12) - 1) % MAX_TOKENS;
				dup += seen[i];
				seen[i] = true;
			}
			guest_ack(g);
		}
	}
	for (i = 0; i < n; i++)
		bad += !seen[i];
	tap_ok(dup == 0 && bad == 0 && g->nr_mapped == n &&
	       g->nr_not_present == n && apf->queued == 0,
	       "%u faults through the page-in worker: every token delivered once, every page mapped once, none left (%llu refused when full)",
	       n, (unsigned long long)apf->nr_refused);
	guest_destroy(g);
}

static void test_cancel(void)
{
	struct sim_guest *g = guest_create(2);
	struct kvm_vcpu_apf *apf = &g->apf;
	unsigned int i, round, bad = 0;
	u64 gfn = 1;

	g->max_delay_us = 50;
	kvm_apf_set_msr(apf, MSR_KVM_ASYNC_PF_INT, 0xec);
	for (round = 0; round < 200; round++) {
		unsigned int ready0;

		kvm_apf_set_msr(apf, MSR_KVM_ASYNC_PF_EN, enable_val(false));
		for (i = 0; i < 20; i++)
			kvm_async_pf_try(apf, gfn++, 7, &user_st);
		usleep(rand() % 60);
		/* Disable with page-ins in flight or completing right now. */
		kvm_apf_set_msr(apf, MSR_KVM_ASYNC_PF_EN, 0);
		bad += apf->queued != 0;
		ready0 = g->nr_ready;
		kvm_check_async_pf_completion(apf);
		bad += g->nr_ready != ready0;
		area(g)->token = 0;
	}
	tap_ok(bad == 0 && apf->nr_cancelled > 0,
	       "200 disables racing completions: nothing left queued, nothing delivered after (%llu page-ins cancelled)",
	       (unsigned long long)apf->nr_cancelled);
	/* Dying with page-ins in flight: ASan's leak check sees the rest. */
	kvm_apf_set_msr(apf, MSR_KVM_ASYNC_PF_EN, enable_val(false));
	__atomic_store_n(&g->hold, true, __ATOMIC_RELAXED);
	for (i = 0; i < 30; i++)
		kvm_async_pf_try(apf, gfn++, 7, &user_st);
	{
		u64 cancelled = apf->nr_cancelled;

		kvm_async_pf_vcpu_destroy(apf);
		tap_ok(apf->nr_cancelled == cancelled + 30 && apf->queued == 0 &&
		       list_empty(&apf->queue) && list_empty(&apf->done),
		       "a vCPU destroyed with 30 page-ins in flight cancels and frees them all (ASan checks the frees)");
	}
	guest_destroy(g);
}

int main(void)
{
	srand((unsigned int)host_seed());
	tap_plan(11);
	test_msrs();
	test_rules();
	test_through_worker();
	test_cancel();
	return tap_done();
}
