/* SPDX-License-Identifier: MIT */
/*
 * The guest side of KVM's async page faults (kvm_apf.c), as seed 003
 * reshaped Linux's arch/x86/kernel/kvm.c:
 *
 *  - "page not present" (#PF with the reason in the shared area, CR2 =
 *    token): kvm_async_pf_task_wait() queues the interrupted task on the
 *    token and schedules another (kvm_async_pf_task_wait_schedule) if the
 *    interrupted context can schedule - preempt count and RCU read-side
 *    depth both 0 - and otherwise halts the vCPU until its token is woken
 *    (kvm_async_pf_task_wait_halt). The idle task (preempt count 1) and
 *    a guest without tasks always halt.
 *  - "page ready" (the interrupt at the guest's vector, token in the
 *    shared area): kvm_async_pf_task_wake() wakes the waiter, or, when
 *    the wake came first, leaves a dummy entry that the later wait
 *    consumes without sleeping; then the slot is freed and ACKed.
 *
 * Waiters hang in a hash of KVM_TASK_SLEEP_HASHSIZE buckets, each with
 * its own spinlock taken with interrupts off, as in the seed; a waiter's
 * node lives on its own stack, dummies come from a fixed pool.
 */
#ifndef GUEST_LIB_KVM_APF_H
#define GUEST_LIB_KVM_APF_H

#include "tests/guests/lib/task.h"

#define MSR_KVM_ASYNC_PF_EN	0x4b564d02
#define MSR_KVM_ASYNC_PF_INT	0x4b564d06
#define MSR_KVM_ASYNC_PF_ACK	0x4b564d07
#define KVM_ASYNC_PF_ENABLED		(1ULL << 0)
#define KVM_ASYNC_PF_SEND_ALWAYS	(1ULL << 1)
#define KVM_ASYNC_PF_DELIVERY_AS_INT	(1ULL << 3)
#define KVM_PV_REASON_PAGE_NOT_PRESENT	1
#define KVM_APF_WAKE_ALL		0xffffffffU
#define KVM_APF_VECTOR			0xec

struct kvm_vcpu_pv_apf_data {
	u32 flags;
	u32 token;
	u8 pad[56];
};

extern struct kvm_vcpu_pv_apf_data apf_data;

/* What the guest saw, for the tests (changed with interrupts off). */
struct kvm_apf_guest_stats {
	u64 not_present;	/* "not present" taken */
	u64 page_ready;		/* "page ready" taken while enabled */
	u64 ready_ignored;	/* ... and after disabling (slot freed only) */
	u64 wake_all;
	u64 waits_schedule;	/* waits that scheduled another task */
	u64 waits_halt;		/* waits that halted the vCPU */
	u64 halts;		/* HLTs those made */
	u64 dummies_made, dummies_consumed, dummies_dropped;
	u64 dummy_pool_empty;	/* a wake that found no room: lost */
	u32 last_not_present_token, last_ready_token;
};
extern struct kvm_apf_guest_stats kvm_apf_stats;

/*
 * Misbehaviour on request, to see what the host does: never ACK a page
 * ready, or never free the token slot either.
 */
extern bool kvm_apf_no_ack, kvm_apf_no_free_slot;

/* The CPUID bits at 0x40000001 (and KVM's 0x40000101): offered? */
bool kvm_apf_offered(void);
/*
 * Install the #PF hook and the page-ready handler, then write the INT
 * and EN MSRs (interrupt delivery; @send_always: also into CPL 0).
 * Returns -1 or the vector an MSR write raised.
 */
int kvm_apf_enable(bool send_always);
/*
 * EN = 0, then wake every waiter of ours (Linux leaves them asleep: it
 * disables only at shutdown): they retry, and the host now waits in its
 * own place. Dummies go too: no "not present" will come for them.
 */
int kvm_apf_disable(void);
bool kvm_apf_enabled(void);
/* Waiters and dummies in the hash now (interrupts off inside). */
unsigned int kvm_apf_sleepers(void);
unsigned int kvm_apf_dummies(void);

#endif
