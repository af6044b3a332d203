// SPDX-License-Identifier: MIT
/*
 * Async page faults on a vCPU (vcpu_apf.h): KVM's kvm_arch_async_page_*
 * and kvm_arch_setup_async_pf around the portable core, and the thread
 * that completes the swap store's page-ins.
 *
 * A fault on a swapped GFN goes one of two ways:
 *  - the guest enabled async PF and can take a #PF and an interrupt now
 *    (the core's rules): the page-in is queued with a work item, "not
 *    present" (#PF, CR2 = token) is injected and the vCPU runs on; when
 *    the store completes the page-in the work lands on the vCPU's done
 *    list, the vCPU is kicked, and before its next entry the page is
 *    mapped and "page ready" goes into the LAPIC at the guest's vector;
 *  - otherwise the vCPU's thread sleeps on halt_wq (off the run queue,
 *    its VMCS cleared by the sched-out notifier) until the page is in or
 *    the guest dies, and the access is retried.
 */
#include "kernel/log.h"
#include "kernel/platform.h"
#include "kernel/thread.h"
#include "kernel/wait.h"
#include "vmm/vcpu_apf.h"
#include "vmm/vcpu.h"
#include "vmm/vcpu_irq.h"
#include "vmm/vcpu_kick.h"
#include "vmm/guest_mem.h"
#include "vmm/exit_codes.h"
#include "vmm/exit_handlers.h"
#include "vmm/vcpu_nested.h"
#include "vmm/vmx/vmcs_fields.h"
#include "vmm/mmu/tdp_mmu.h"
#include "arch/x86/cpu.h"
#include "arch/x86/interrupts.h"
#include "arch/x86/vmx.h"

/* A page-in on behalf of one work item (work->pagein). */
struct vcpu_apf_pagein {
	struct swap_waiter w;
	struct kvm_async_pf *work;
	u64 t_done;			/* TSC at completion (profile=1) */
};

static struct vcpu *apf_vcpu(struct kvm_vcpu_apf *apf)
{
	return apf->opaque;
}

static bool apf_write_guest(struct kvm_vcpu_apf *apf, u64 gpa,
			    const void *src, unsigned int len)
{
	return guest_write(apf_vcpu(apf)->guest, gpa, src, len);
}

static bool apf_read_guest(struct kvm_vcpu_apf *apf, u64 gpa, void *dst,
			   unsigned int len)
{
	return guest_read(apf_vcpu(apf)->guest, gpa, dst, len);
}

/* Writable RAM of one memslot: the shared area must not straddle. */
static bool apf_is_guest_ram(struct kvm_vcpu_apf *apf, u64 gpa,
			     unsigned int len)
{
	struct vm *vm = &apf_vcpu(apf)->guest->vm;
	struct memslot *slot;

	if (gpa >> vm->phys_bits)
		return false;
	slot = gfn_to_memslot(vm, gpa >> PAGE_SHIFT);
	return slot && !(slot->flags & (MEMSLOT_READONLY | MEMSLOT_ALIAS)) &&
	       gfn_to_memslot(vm, (gpa + len - 1) >> PAGE_SHIFT) == slot;
}

/* The store's worker: the page is in (or cannot come; the retry says). */
static void apf_pagein_done(struct swap_waiter *w, int err)
{
	struct vcpu_apf_pagein *p = container_of(w, struct vcpu_apf_pagein, w);

	(void)err;
	/* Before the work is published: the vCPU may free it at once. */
	if (unlikely(apf_vcpu(p->work->apf)->fault_profile))
		p->t_done = rdtsc();
	kvm_async_page_present_async(p->work);
}

static bool apf_start_pagein(struct kvm_vcpu_apf *apf,
			     struct kvm_async_pf *work)
{
	struct vcpu *v = apf_vcpu(apf);
	struct vcpu_apf_pagein *p = plat_zalloc(sizeof(*p));
	int r;

	if (!p)
		return false;
	p->work = work;
	p->w.done = apf_pagein_done;
	work->pagein = p;
	mmu_stat_inc(&v->guest->vm, apf_work_alive);
	r = swap_pagein_start(&v->guest->vm, work->gfn, &p->w, plat_now_ns());
	if (r < 0)
		return false;	/* the core frees the work, and us with it */
	if (r == 1)
		kvm_async_page_present_async(work);	/* in already */
	return true;
}

static void apf_cancel_pagein(struct kvm_vcpu_apf *apf,
			      struct kvm_async_pf *work)
{
	struct vcpu_apf_pagein *p = work->pagein;
	struct vcpu *v = apf_vcpu(apf);

	if (p && swap_pagein_cancel(&v->guest->vm, &p->w))
		mmu_stat_inc(&v->guest->vm, apf_cancelled);
}

static void apf_free_pagein(struct kvm_vcpu_apf *apf,
			    struct kvm_async_pf *work)
{
	mmu_stat_add(&apf_vcpu(apf)->guest->vm, apf_work_alive, -1);
	plat_free(work->pagein);
	work->pagein = NULL;
}

/*
 * KVM's kvm_arch_async_page_ready(): fault the page in now, with the
 * access that faulted, so the guest's retry does not exit again. Only
 * through L1's root; a stale root or a lost race leaves it to the retry.
 */
static void apf_page_ready(struct kvm_vcpu_apf *apf, struct kvm_async_pf *work)
{
	struct vcpu *v = apf_vcpu(apf);
	struct vcpu_apf_pagein *p = work->pagein;

	/* For the profile: the "page ready" that follows is this page's. */
	v->apf_prof.t_ready_from = p ? p->t_done : 0;
	if (v->mmu.root && !root_is_invalid(v->mmu.root))
		kvm_mmu_do_page_fault(&v->guest->vm, v->mmu.root,
				      work->gfn << PAGE_SHIFT, work->access);
}

/*
 * CR2 is not in the VMCS: the run loop loads regs.cr2 into the register
 * just before the entry (vcpu_run.c), so the token survives anything
 * this CPU runs in between.
 */
static void apf_inject_not_present(struct kvm_vcpu_apf *apf, u32 token)
{
	struct vcpu *v = apf_vcpu(apf);

	v->regs.cr2 = token;
	vcpu_inject_exception(v, X86_VEC_PF, true, 0);
	mmu_stat_inc(&v->guest->vm, apf_not_present);
}

/* "Page ready" is a fixed interrupt of the guest's LAPIC: it EOIs it. */
static void apf_inject_page_ready(struct kvm_vcpu_apf *apf, u8 vector)
{
	struct vcpu *v = apf_vcpu(apf);

	lapic_accept_irq(&v->lapic, APIC_DM_FIXED, vector, false);
	__atomic_store_n(&v->irq_pending, true, __ATOMIC_RELEASE);
	mmu_stat_inc(&v->guest->vm, apf_page_ready);
	/* The wake-all has no page-in: nothing to time. */
	v->apf_prof.t_ready = v->apf_prof.t_ready_from;
	v->apf_prof.t_ready_from = 0;
}

static void apf_kick(struct kvm_vcpu_apf *apf)
{
	struct vcpu *v = apf_vcpu(apf);

	__atomic_store_n(&v->apf_done_pending, true, __ATOMIC_RELEASE);
	vcpu_kick(v);
}

static const struct kvm_apf_ops vcpu_apf_ops = {
	.write_guest = apf_write_guest,
	.read_guest = apf_read_guest,
	.is_guest_ram = apf_is_guest_ram,
	.start_pagein = apf_start_pagein,
	.cancel_pagein = apf_cancel_pagein,
	.free_pagein = apf_free_pagein,
	.page_ready = apf_page_ready,
	.inject_not_present = apf_inject_not_present,
	.inject_page_ready = apf_inject_page_ready,
	.kick = apf_kick,
};

void vcpu_apf_init(struct vcpu *v)
{
	kvm_async_pf_vcpu_init(&v->apf, v->index, &vcpu_apf_ops, v);
}

void vcpu_apf_destroy(struct vcpu *v)
{
	kvm_async_pf_vcpu_destroy(&v->apf);
}

/* What the core's rules look at, from the VMCS of the exit. */
static void apf_cpu_state(struct vcpu *v, struct kvm_apf_cpu_state *st)
{
	u32 intr = (u32)vmread(GUEST_INTERRUPTIBILITY_INFO);

	*st = (struct kvm_apf_cpu_state){
		.cpl = (vmread(GUEST_SS_AR_BYTES) >> 5) & 3,
		.interrupts_enabled = (vmread(GUEST_RFLAGS) & X86_RFLAGS_IF) &&
			!(intr & (GUEST_INTR_STI_BLOCKING |
				  GUEST_INTR_MOVSS_BLOCKING)),
		.paging = vmread(GUEST_CR0) & X86_CR0_PG,
		/* An event whose delivery faulted, or one queued already. */
		.event_pending =
			(vmread(IDT_VECTORING_INFO_FIELD) & INTR_INFO_VALID) ||
			(vmread(VM_ENTRY_INTR_INFO_FIELD) & INTR_INFO_VALID),
		.guest_mode = vcpu_in_guest_mode(v),
	};
}

struct apf_sync_wait {
	struct swap_waiter w;
	struct vcpu *v;
	bool done;
};

static void apf_sync_done(struct swap_waiter *w, int err)
{
	struct apf_sync_wait *s = container_of(w, struct apf_sync_wait, w);
	struct vcpu *v = s->v;

	(void)err;
	__atomic_store_n(&s->done, true, __ATOMIC_RELEASE);
	/* s lives on the sleeper's stack: v was read before the store. */
	vcpu_wake_up(v);
}

/*
 * The vCPU cannot take an async PF: its thread sleeps until the page is
 * in (KVM's synchronous get_user_pages). Death of the guest ends the
 * wait; the page-in is then cancelled so nothing touches our stack.
 */
static void apf_wait_sync(struct vcpu *v, u64 gfn)
{
	struct apf_sync_wait s = { .w.done = apf_sync_done, .v = v };
	struct wait_queue_entry wait;
	u64 t0;
	int r;

	r = swap_pagein_start(&v->guest->vm, gfn, &s.w, plat_now_ns());
	if (r)
		return;		/* in already (1), or the retry reports it */
	t0 = plat_now_ns();
	init_wait_entry(&wait);
	for (;;) {
		prepare_to_wait(&v->halt_wq, &wait);
		if (__atomic_load_n(&s.done, __ATOMIC_ACQUIRE) ||
		    READ_ONCE(v->guest->dead))
			break;
		sched_sleep();
	}
	finish_wait(&v->halt_wq, &wait);
	if (!__atomic_load_n(&s.done, __ATOMIC_ACQUIRE))
		swap_pagein_cancel(&v->guest->vm, &s.w);
	v->apf_sync_waits++;
	v->apf_sync_wait_ns += plat_now_ns() - t0;
	mmu_stat_inc(&v->guest->vm, apf_sync_waits);
}

int vcpu_apf_fault(struct vcpu *v, u64 gpa, u64 access)
{
	struct kvm_apf_cpu_state st;
	u64 gfn = gpa >> PAGE_SHIFT, refused = v->apf.nr_refused;

	apf_cpu_state(v, &st);
	if (kvm_async_pf_try(&v->apf, gfn, access, &st)) {
		v->apf_prof.np_pending = v->fault_profile;
		return VCPU_RESUME;	/* "not present" is going in */
	}
	/* The rules said no (not the race hook, which defers on purpose). */
	if (kvm_pv_async_pf_enabled(&v->apf) && v->apf.nr_refused != refused)
		mmu_stat_inc(&v->guest->vm, apf_refused);
	apf_wait_sync(v, gfn);
	if (READ_ONCE(v->guest->dead))
		return VCPU_STOP;
	/* The event whose delivery faulted goes in again on the retry. */
	vcpu_reinject_idt_vectoring(v);
	return VCPU_RESUME;
}

/*
 * The entry that carries a "not present" or a "page ready" (profile=1):
 * TSC ticks from the EPT-violation exit (t_exit), and from the page-in's
 * completion on the store's worker. Bochs' TSC is one global clock that
 * counts instructions under clock sync=none: the path lengths.
 */
void vcpu_apf_profile_account(struct vcpu *v, u64 t_entry)
{
	struct vcpu_apf_profile *pr = &v->apf_prof;

	if (pr->np_pending) {
		pr->np_sum += t_entry - v->t_exit;
		pr->np_n++;
		pr->np_pending = false;
	}
	if (pr->t_ready) {
		u64 d = t_entry - pr->t_ready;

		pr->ready_sum += d;
		if (d > pr->ready_max)
			pr->ready_max = d;
		pr->ready_n++;
		pr->t_ready = 0;
	}
}

void vcpu_apf_profile_print(struct vcpu *v)
{
	const struct vcpu_apf_profile *pr = &v->apf_prof;

	if (!pr->np_n && !pr->ready_n)
		return;
	pr_info("%s vcpu%u: async PF profile: exit to \"not present\" entry %llu ticks over %llu; page-in done to \"page ready\" entry %llu ticks (max %llu) over %llu\n",
		v->guest->name, v->index,
		(unsigned long long)(pr->np_n ? pr->np_sum / pr->np_n : 0),
		(unsigned long long)pr->np_n,
		(unsigned long long)(pr->ready_n ? pr->ready_sum / pr->ready_n : 0),
		(unsigned long long)pr->ready_max,
		(unsigned long long)pr->ready_n);
}

bool vcpu_apf_pending(struct vcpu *v)
{
	return __atomic_load_n(&v->apf_done_pending, __ATOMIC_ACQUIRE) ||
	       v->apf.owed_token;
}

void vcpu_apf_before_entry(struct vcpu *v)
{
	/* Cleared first: a completion after this kicks again. */
	__atomic_store_n(&v->apf_done_pending, false, __ATOMIC_SEQ_CST);
	kvm_check_async_pf_completion(&v->apf);
	/* What could not go in yet (no ACK) comes back with the ACK exit. */
}

void vcpu_apf_after_irq(struct vcpu *v)
{
	struct kvm_apf_cpu_state st;

	if (!v->apf.owed_token)
		return;
	apf_cpu_state(v, &st);
	if (!kvm_apf_owed_not_present(&v->apf, &st) && v->apf.owed_token)
		vcpu_request_interrupt_window(v);	/* exit when it can */
}

bool vcpu_apf_wakes_halt(struct vcpu *v)
{
	return __atomic_load_n(&v->apf_done_pending, __ATOMIC_ACQUIRE) &&
	       kvm_apf_completion_deliverable(&v->apf);
}

bool vcpu_apf_wrmsr(struct vcpu *v, u32 msr, u64 val, bool *gp)
{
	if (msr != MSR_KVM_ASYNC_PF_EN && msr != MSR_KVM_ASYNC_PF_INT &&
	    msr != MSR_KVM_ASYNC_PF_ACK)
		return false;
	/* Not offered (apf=0): the MSRs do not exist. */
	if (!v->guest->apf) {
		*gp = true;
		return true;
	}
	*gp = kvm_apf_set_msr(&v->apf, msr, val) != 0;
	/* An ACK frees the slot: the next completion may go in now. */
	if (!*gp && msr == MSR_KVM_ASYNC_PF_ACK)
		__atomic_store_n(&v->apf_done_pending, true, __ATOMIC_RELEASE);
	return true;
}

bool vcpu_apf_rdmsr(struct vcpu *v, u32 msr, u64 *val, bool *gp)
{
	if (msr != MSR_KVM_ASYNC_PF_EN && msr != MSR_KVM_ASYNC_PF_INT &&
	    msr != MSR_KVM_ASYNC_PF_ACK)
		return false;
	*gp = !v->guest->apf || kvm_apf_get_msr(&v->apf, msr, val) != 0;
	return true;
}

/* ---- the swap store's worker ----------------------------------------- */

struct guest_swapd {
	struct thread *thread;
	struct wait_queue_head wq;
	bool stop;
	bool kicked;
};

static void guest_swap_kick(struct swap_store *store)
{
	struct guest_swapd *d = store->opaque;

	__atomic_store_n(&d->kicked, true, __ATOMIC_RELEASE);
	wake_up(&d->wq);
}

/*
 * Complete what is due, then sleep until the next due time or a kick (a
 * request due earlier). Timed sleeps end on the host tick: page-ins are
 * as precise as timer_hz= makes them.
 */
static int guest_swapd_fn(void *arg)
{
	struct guest *g = arg;
	struct guest_swapd *d = g->swapd;
	struct wait_queue_entry wait;

	init_wait_entry(&wait);
	while (!READ_ONCE(d->stop)) {
		u64 now = plat_now_ns();
		u64 next = swap_store_run(&g->vm, now);

		prepare_to_wait(&d->wq, &wait);
		if (!__atomic_exchange_n(&d->kicked, false, __ATOMIC_ACQ_REL) &&
		    !READ_ONCE(d->stop)) {
			now = plat_now_ns();
			if (next == SWAP_NONE_PENDING)
				sched_sleep();
			else if (next > now)
				sched_sleep_timeout(next - now);
		}
		finish_wait(&d->wq, &wait);
	}
	return 0;
}

int guest_swap_start(struct guest *g, u64 latency_ns, u64 jitter_ns)
{
	struct guest_swapd *d = plat_zalloc(sizeof(*d));

	if (!d)
		return -ENOMEM;
	init_waitqueue_head(&d->wq);
	g->vm.swap.latency_ns = latency_ns;
	g->vm.swap.jitter_ns = jitter_ns;
	g->vm.swap.opaque = d;
	g->swapd = d;
	d->thread = kthread_run(guest_swapd_fn, g, "swapd", -1);
	if (!d->thread) {
		g->swapd = NULL;
		plat_free(d);
		return -ENOMEM;
	}
	/* Published after the thread exists: a kick finds someone. */
	__atomic_store_n(&g->vm.swap.kick, guest_swap_kick, __ATOMIC_RELEASE);
	return 0;
}

void guest_swap_stop(struct guest *g)
{
	struct guest_swapd *d = g->swapd;

	if (!d)
		return;
	g->vm.swap.kick = NULL;
	WRITE_ONCE(d->stop, true);
	wake_up(&d->wq);
	kthread_join(d->thread);
	g->swapd = NULL;
	plat_free(d);
}
