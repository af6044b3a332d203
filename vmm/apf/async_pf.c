// SPDX-License-Identifier: MIT
/*
 * Async page faults, the host side (async_pf.h): the queue, the tokens,
 * the MSRs and KVM's rules for sending "not present" and delivering
 * "page ready".
 */
#include "kernel/errno.h"
#include "kernel/lockdep.h"
#include "kernel/log.h"
#include "kernel/platform.h"
#include "vmm/apf/async_pf.h"

void kvm_async_pf_vcpu_init(struct kvm_vcpu_apf *apf, unsigned int vcpu_id,
			    const struct kvm_apf_ops *ops, void *opaque)
{
	*apf = (struct kvm_vcpu_apf){ .ops = ops, .opaque = opaque,
				      .vcpu_id = vcpu_id };
	INIT_LIST_HEAD(&apf->queue);
	INIT_LIST_HEAD(&apf->done);
	spin_lock_init(&apf->done_lock, "apf_done_lock");
}

/*
 * Cancel every page-in and drop every completion (KVM's
 * kvm_clear_async_pf_completion_queue): the guest disabled async PF, or
 * the vCPU goes away. A page-in that completes during the cancel lands
 * on the done list, which is emptied after.
 */
static void kvm_apf_free_work(struct kvm_vcpu_apf *apf,
			      struct kvm_async_pf *work)
{
	if (work->pagein)
		apf->ops->free_pagein(apf, work);
	plat_free(work);
}

static void kvm_clear_async_pf_completion_queue(struct kvm_vcpu_apf *apf)
{
	struct kvm_async_pf *work, *next;

	while (!list_empty(&apf->queue)) {
		work = list_first_entry(&apf->queue, struct kvm_async_pf, queue);
		list_del(&work->queue);
		apf->queued--;
		apf->ops->cancel_pagein(apf, work);
		spin_lock(&apf->done_lock);
		if (work->on_done) {
			/* Completed meanwhile: the loop below frees it. */
			spin_unlock(&apf->done_lock);
			continue;
		}
		spin_unlock(&apf->done_lock);
		apf->nr_cancelled++;
		kvm_apf_free_work(apf, work);
	}
	spin_lock(&apf->done_lock);
	list_for_each_entry_safe(work, next, &apf->done, link) {
		list_del(&work->link);
		kvm_apf_free_work(apf, work);
	}
	spin_unlock(&apf->done_lock);
	WARN_ON(apf->queued);
	apf->queued = 0;
	apf->owed_token = 0;
}

void kvm_async_pf_vcpu_destroy(struct kvm_vcpu_apf *apf)
{
	kvm_clear_async_pf_completion_queue(apf);
}

/*
 * Enabling: a "page ready" with the all-ones token wakes whatever the
 * guest had waiting from before (KVM's kvm_async_pf_wakeup_all).
 */
static void kvm_async_pf_wakeup_all(struct kvm_vcpu_apf *apf)
{
	struct kvm_async_pf *work;
	bool queued = false;

	spin_lock(&apf->done_lock);
	queued = !list_empty(&apf->done);
	spin_unlock(&apf->done_lock);
	if (queued)
		return;
	work = plat_zalloc(sizeof(*work));
	if (!work)
		return;
	work->apf = apf;
	work->wakeup_all = true;
	work->token = KVM_APF_WAKE_ALL;
	INIT_LIST_HEAD(&work->queue);
	kvm_async_page_present_async(work);
}

int kvm_apf_set_msr(struct kvm_vcpu_apf *apf, u32 msr, u64 data)
{
	switch (msr) {
	case MSR_KVM_ASYNC_PF_EN:
		if (data & KVM_ASYNC_PF_RSVD)
			return -EINVAL;
		if (!(data & KVM_ASYNC_PF_ENABLED)) {
			kvm_clear_async_pf_completion_queue(apf);
			apf->msr_en_val = data;
			apf->pageready_pending = false;
			return 0;
		}
		/* "Page ready" by #PF is gone from the ABI: interrupts only. */
		if (!(data & KVM_ASYNC_PF_DELIVERY_AS_INT))
			return -EINVAL;
		if (!apf->ops->is_guest_ram(apf, data & ~0x3fULL,
					    sizeof(struct kvm_vcpu_pv_apf_data)))
			return -EINVAL;
		apf->msr_en_val = data;
		apf->data_gpa = data & ~0x3fULL;
		apf->send_user_only = !(data & KVM_ASYNC_PF_SEND_ALWAYS);
		apf->delivery_as_pf_vmexit =
			data & KVM_ASYNC_PF_DELIVERY_AS_PF_VMEXIT;
		kvm_async_pf_wakeup_all(apf);
		return 0;
	case MSR_KVM_ASYNC_PF_INT:
		if ((data & ~KVM_ASYNC_PF_VEC_MASK) || data < 32)
			return -EINVAL;
		apf->msr_int_val = data;
		apf->vec = (u8)data;
		return 0;
	case MSR_KVM_ASYNC_PF_ACK:
		if (data & 1)
			apf->pageready_pending = false;
		return 0;
	}
	return -EINVAL;
}

int kvm_apf_get_msr(struct kvm_vcpu_apf *apf, u32 msr, u64 *data)
{
	switch (msr) {
	case MSR_KVM_ASYNC_PF_EN:
		*data = apf->msr_en_val;
		return 0;
	case MSR_KVM_ASYNC_PF_INT:
		*data = apf->msr_int_val;
		return 0;
	case MSR_KVM_ASYNC_PF_ACK:
		*data = 0;
		return 0;
	}
	return -EINVAL;
}

bool kvm_find_async_pf_gfn(const struct kvm_vcpu_apf *apf, u64 gfn)
{
	const struct kvm_async_pf *work;

	list_for_each_entry(work, &apf->queue, queue)
		if (work->gfn == gfn)
			return true;
	return false;
}

/*
 * May the guest be told "not present" now (KVM's kvm_can_do_async_pf and
 * kvm_can_deliver_async_pf)? Only into a context that can take a #PF and
 * an interrupt: interrupts on and no event in flight, paging on, CPL 3
 * unless the guest asked for "send always"; never into L2 (delivery as a
 * #PF VM exit to L1 is not offered).
 */
static bool kvm_can_do_async_pf(const struct kvm_vcpu_apf *apf,
				const struct kvm_apf_cpu_state *st)
{
	if (!kvm_pv_async_pf_enabled(apf) || st->event_pending ||
	    !st->interrupts_enabled || !st->paging || st->guest_mode)
		return false;
	if (apf->send_user_only && st->cpl == 0)
		return false;
	return apf->queued < ASYNC_PF_PER_VCPU;
}

bool kvm_async_pf_try(struct kvm_vcpu_apf *apf, u64 gfn, u64 access,
		      const struct kvm_apf_cpu_state *st)
{
	u32 flags = KVM_PV_REASON_PAGE_NOT_PRESENT;
	struct kvm_async_pf *work;

	/* A task already waits for this GFN: this one waits in the host. */
	if (kvm_find_async_pf_gfn(apf, gfn) || !kvm_can_do_async_pf(apf, st)) {
		apf->nr_refused++;
		return false;
	}
	work = plat_zalloc(sizeof(*work));
	if (!work)
		return false;
	work->apf = apf;
	work->gfn = gfn;
	work->access = access;
	/*
	 * Unique per vCPU while outstanding: 2^20 tokens before a repeat.
	 * Never 0 (the guest's "no token"): id starts again at 1.
	 */
	if (!(++apf->id & 0xfffff))
		apf->id = 1;
	work->token = (apf->id << 12) | (apf->vcpu_id & 0xfff);
	/* The race hook owes one "not present" at a time. */
	work->notpresent_deferred = apf->race_every && !apf->owed_token &&
				    ++apf->race_count % apf->race_every == 0;
	if (!apf->ops->start_pagein(apf, work)) {
		kvm_apf_free_work(apf, work);
		return false;
	}
	list_add_tail(&work->queue, &apf->queue);
	apf->queued++;
	/*
	 * Race hook: tell the guest nothing now. The vCPU waits in the host
	 * (the caller sleeps through the page-in), then "page ready" goes
	 * first and "not present" after it.
	 */
	if (work->notpresent_deferred) {
		apf->nr_raced++;
		return false;
	}
	/*
	 * The reason first, then the #PF: the guest reads the reason in its
	 * #PF handler. If the area cannot be written the page-in goes on,
	 * but the guest was told nothing: it gets no "page ready" either.
	 */
	if (!apf->ops->write_guest(apf, apf->data_gpa, &flags, sizeof(flags)))
		return false;
	work->notpresent_injected = true;
	apf->ops->inject_not_present(apf, work->token);
	apf->nr_not_present++;
	return true;
}

void kvm_async_page_present_async(struct kvm_async_pf *work)
{
	struct kvm_vcpu_apf *apf = work->apf;

	spin_lock(&apf->done_lock);
	list_add_tail(&work->link, &apf->done);
	work->on_done = true;
	spin_unlock(&apf->done_lock);
	apf->ops->kick(apf);
}

/*
 * One "page ready" at a time: the guest zeroed the shared token of the
 * last one (KVM's kvm_arch_can_dequeue_async_page_present and
 * apf_pageready_slot_free). The slot decides, not the ACK: a guest that
 * frees the slot and never ACKs still gets the completions that find it
 * free; the ACK only makes the host look again at once (a completion
 * that found the slot busy waits for it, or for the next completion).
 * Disabled: nothing is delivered, pages are only mapped.
 */
static bool kvm_can_dequeue_async_page_present(struct kvm_vcpu_apf *apf)
{
	u32 token = 1;

	if (!kvm_pv_async_pf_enabled(apf))
		return true;
	if (apf->vec < 32)
		return false;
	return apf->ops->read_guest(apf, apf->data_gpa +
			offsetof(struct kvm_vcpu_pv_apf_data, token),
			&token, sizeof(token)) && token == 0;
}

void kvm_check_async_pf_completion(struct kvm_vcpu_apf *apf)
{
	struct kvm_async_pf *work;

	for (;;) {
		spin_lock(&apf->done_lock);
		if (list_empty(&apf->done) ||
		    !kvm_can_dequeue_async_page_present(apf)) {
			spin_unlock(&apf->done_lock);
			return;
		}
		work = list_first_entry(&apf->done, struct kvm_async_pf, link);
		list_del(&work->link);
		work->on_done = false;
		spin_unlock(&apf->done_lock);

		if (!work->wakeup_all) {
			apf->ops->page_ready(apf, work);
			list_del(&work->queue);
			apf->queued--;
		}
		if ((work->wakeup_all || work->notpresent_injected ||
		     work->notpresent_deferred) &&
		    kvm_pv_async_pf_enabled(apf) &&
		    apf->ops->write_guest(apf, apf->data_gpa +
				offsetof(struct kvm_vcpu_pv_apf_data, token),
				&work->token, sizeof(work->token))) {
			apf->pageready_pending = true;
			apf->ops->inject_page_ready(apf, apf->vec);
			apf->nr_page_ready++;
			if (work->notpresent_deferred)
				apf->owed_token = work->token;
		}
		kvm_apf_free_work(apf, work);
	}
}

bool kvm_apf_completion_deliverable(struct kvm_vcpu_apf *apf)
{
	bool r;

	spin_lock(&apf->done_lock);
	r = !list_empty(&apf->done) && kvm_can_dequeue_async_page_present(apf);
	spin_unlock(&apf->done_lock);
	return r;
}

bool kvm_apf_owed_not_present(struct kvm_vcpu_apf *apf,
			      const struct kvm_apf_cpu_state *st)
{
	u32 flags = KVM_PV_REASON_PAGE_NOT_PRESENT;

	if (!apf->owed_token)
		return false;
	/* The guest must have taken the "page ready" first. */
	if (apf->pageready_pending || st->event_pending ||
	    !st->interrupts_enabled || !kvm_pv_async_pf_enabled(apf))
		return false;
	if (apf->ops->write_guest(apf, apf->data_gpa, &flags, sizeof(flags))) {
		apf->ops->inject_not_present(apf, apf->owed_token);
		apf->nr_not_present++;
	}
	apf->owed_token = 0;
	return true;
}
