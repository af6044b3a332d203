/* SPDX-License-Identifier: MIT */
/*
 * Async page faults, the host side, with KVM's paravirtual ABI
 * (Documentation/virt/kvm/x86/msr.rst): a vCPU that faults on a guest page
 * the host must bring in slowly keeps running. The host queues the
 * page-in, tells the guest "page not present" (a #PF whose CR2 is a token)
 * so that it can schedule another task, and when the page is in, maps it
 * and tells the guest "page ready" (an interrupt, the same token in the
 * shared area), which the guest acknowledges through an MSR.
 *
 * This is the portable part (KVM's virt/kvm/async_pf.c and the x86 rules
 * around it): the per-vCPU queue of outstanding page-ins (at most
 * ASYNC_PF_PER_VCPU), tokens, the MSRs, the rules for when a "not present"
 * may be sent and when a "page ready" may be delivered, cancellation. What
 * touches the machine - writing the shared area, injecting the #PF and
 * the interrupt, starting and cancelling a page-in, waking the vCPU - is
 * behind struct kvm_apf_ops.
 *
 * Locking: everything in struct kvm_vcpu_apf belongs to the vCPU's own
 * thread except the done list, which page-in completions (any thread)
 * append to under done_lock.
 */
#ifndef VMM_APF_ASYNC_PF_H
#define VMM_APF_ASYNC_PF_H

#include "kernel/compiler.h"
#include "kernel/list.h"
#include "kernel/spinlock.h"

/* The ABI (KVM's names and numbers). */
#define KVM_FEATURE_ASYNC_PF		4
#define KVM_FEATURE_ASYNC_PF_INT	14
#define MSR_KVM_ASYNC_PF_EN		0x4b564d02
#define MSR_KVM_ASYNC_PF_INT		0x4b564d06
#define MSR_KVM_ASYNC_PF_ACK		0x4b564d07
#define KVM_ASYNC_PF_ENABLED			BIT(0)
#define KVM_ASYNC_PF_SEND_ALWAYS		BIT(1)
#define KVM_ASYNC_PF_DELIVERY_AS_PF_VMEXIT	BIT(2)
#define KVM_ASYNC_PF_DELIVERY_AS_INT		BIT(3)
#define KVM_ASYNC_PF_RSVD			0x30ULL	/* bits 4-5 */
#define KVM_ASYNC_PF_VEC_MASK			0xffULL
#define KVM_PV_REASON_PAGE_NOT_PRESENT		1

/* The guest's 64-byte shared area at MSR_KVM_ASYNC_PF_EN's address. */
struct kvm_vcpu_pv_apf_data {
	u32 flags;	/* "page not present": KVM_PV_REASON_PAGE_NOT_PRESENT */
	u32 token;	/* "page ready": the token; the guest zeroes it */
	u8 pad[56];
};
BUILD_BUG_ON(sizeof(struct kvm_vcpu_pv_apf_data) != 64);

#define ASYNC_PF_PER_VCPU	64
/* The token of a "wake up every waiter" page ready (KVM's ~0). */
#define KVM_APF_WAKE_ALL	0xffffffffU

struct kvm_vcpu_apf;

/* One outstanding page-in of one vCPU (KVM's struct kvm_async_pf). */
struct kvm_async_pf {
	struct list_head queue;	/* apf->queue: the vCPU thread only */
	struct list_head link;	/* apf->done: under apf->done_lock */
	struct kvm_vcpu_apf *apf;
	u64 gfn;
	u64 access;		/* the fault's ACC_*: the page is mapped so */
	u32 token;
	bool wakeup_all;	/* not a page-in: wake every waiter */
	/* The guest was told "not present": it waits for this token. */
	bool notpresent_injected;
	/*
	 * Test hook (apf_race=): "not present" is owed and sent only after
	 * this token's "page ready", as if the host had been slow to tell.
	 */
	bool notpresent_deferred;
	bool on_done;		/* on apf->done (done_lock) */
	void *pagein;		/* the platform's handle of the page-in */
};

/* What a vCPU is doing at the fault, for the "may we send" rules. */
struct kvm_apf_cpu_state {
	unsigned int cpl;
	bool interrupts_enabled;	/* RFLAGS.IF, no STI/MOV-SS shadow */
	bool paging;			/* CR0.PG */
	bool event_pending;		/* an event is being (re)injected */
	bool guest_mode;		/* running L2 for an L1 */
};

struct kvm_apf_ops {
	/* Write @len bytes to guest physical @gpa: false outside RAM. */
	bool (*write_guest)(struct kvm_vcpu_apf *apf, u64 gpa,
			    const void *src, unsigned int len);
	bool (*read_guest)(struct kvm_vcpu_apf *apf, u64 gpa, void *dst,
			   unsigned int len);
	/* Is [gpa, gpa + len) guest RAM? (the MSR's address check) */
	bool (*is_guest_ram)(struct kvm_vcpu_apf *apf, u64 gpa,
			     unsigned int len);
	/* Start bringing @work->gfn in; call kvm_async_page_present_async(). */
	bool (*start_pagein)(struct kvm_vcpu_apf *apf, struct kvm_async_pf *work);
	/*
	 * Stop @work's page-in: on return the completion has either run
	 * already or never will (KVM's flush of the work item).
	 */
	void (*cancel_pagein)(struct kvm_vcpu_apf *apf, struct kvm_async_pf *work);
	/* Map the page (the fault, done again now that it is in). */
	void (*page_ready)(struct kvm_vcpu_apf *apf, struct kvm_async_pf *work);
	/* @work is freed: release what start_pagein() made for it. */
	void (*free_pagein)(struct kvm_vcpu_apf *apf, struct kvm_async_pf *work);
	/* Inject #PF(CR2 = token) / the page-ready interrupt vector. */
	void (*inject_not_present)(struct kvm_vcpu_apf *apf, u32 token);
	void (*inject_page_ready)(struct kvm_vcpu_apf *apf, u8 vector);
	/* A completion arrived: make the vCPU look (kick / wake it). */
	void (*kick)(struct kvm_vcpu_apf *apf);
};

struct kvm_vcpu_apf {
	const struct kvm_apf_ops *ops;
	void *opaque;			/* the platform's vCPU */
	unsigned int vcpu_id;
	/* The guest's settings (MSRs), vCPU thread only. */
	u64 msr_en_val;
	u64 msr_int_val;
	u64 data_gpa;			/* the shared area */
	bool send_user_only;		/* !KVM_ASYNC_PF_SEND_ALWAYS */
	bool delivery_as_pf_vmexit;
	u8 vec;
	/* A page ready delivered and not yet acknowledged (MSR ACK). */
	bool pageready_pending;
	/* Token sequence: token = (id << 12) | vcpu_id, unique per vCPU. */
	u32 id;
	/*
	 * Test hook: every race_every-th async PF sends "page ready" before
	 * "not present" (the guest's dummy-entry path, seed 003). The
	 * owed "not present" waits in owed_token until the guest can take
	 * it (kvm_apf_owed_not_present()). 0: off.
	 */
	unsigned int race_every, race_count;
	u32 owed_token;
	/* Outstanding page-ins, oldest first, and their GFNs. */
	struct list_head queue;
	unsigned int queued;
	/* done_lock protects done: completions waiting for the vCPU. */
	spinlock_t done_lock;
	struct list_head done;
	/* Statistics (vCPU thread). */
	u64 nr_not_present, nr_page_ready, nr_cancelled, nr_refused, nr_raced;
};

void kvm_async_pf_vcpu_init(struct kvm_vcpu_apf *apf, unsigned int vcpu_id,
			    const struct kvm_apf_ops *ops, void *opaque);
/* The vCPU goes away, or its guest: every page-in cancelled and freed. */
void kvm_async_pf_vcpu_destroy(struct kvm_vcpu_apf *apf);

/* Guest MSR accesses: 0, or -EINVAL for a #GP. */
int kvm_apf_set_msr(struct kvm_vcpu_apf *apf, u32 msr, u64 data);
int kvm_apf_get_msr(struct kvm_vcpu_apf *apf, u32 msr, u64 *data);

static inline bool kvm_pv_async_pf_enabled(const struct kvm_vcpu_apf *apf)
{
	u64 need = KVM_ASYNC_PF_ENABLED | KVM_ASYNC_PF_DELIVERY_AS_INT;

	return (apf->msr_en_val & need) == need;
}

/*
 * The fault path, on a GFN that is not resident: true if the vCPU may go
 * on running (a "not present" was sent, or this GFN's page-in is already
 * under way for a task that waits for it); false: the caller waits for
 * the page itself (its thread sleeps until the page is in).
 */
bool kvm_async_pf_try(struct kvm_vcpu_apf *apf, u64 gfn, u64 access,
		      const struct kvm_apf_cpu_state *st);
/* Is a page-in of @gfn outstanding on this vCPU? */
bool kvm_find_async_pf_gfn(const struct kvm_vcpu_apf *apf, u64 gfn);

/* Page-in done (any thread): queue @work for its vCPU and kick it. */
void kvm_async_page_present_async(struct kvm_async_pf *work);
/*
 * The vCPU thread, before each entry: map every completed page and
 * deliver its "page ready" as far as the guest can take them (one at a
 * time: the shared token must be free and the last one acknowledged).
 */
void kvm_check_async_pf_completion(struct kvm_vcpu_apf *apf);
/*
 * Would kvm_check_async_pf_completion() deliver something now? (A
 * halted vCPU wakes for that, not for a completion the guest cannot
 * take yet.) vCPU thread.
 */
bool kvm_apf_completion_deliverable(struct kvm_vcpu_apf *apf);
/*
 * A "not present" owed by the race hook: if @st can take one, write the
 * reason, inject it and return true; false while it must wait (the
 * caller asks for an exit as soon as it can: the interrupt window).
 */
bool kvm_apf_owed_not_present(struct kvm_vcpu_apf *apf,
			      const struct kvm_apf_cpu_state *st);
static inline bool kvm_apf_owes_not_present(const struct kvm_vcpu_apf *apf)
{
	return apf->owed_token != 0;
}

#endif
