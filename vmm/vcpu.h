/* SPDX-License-Identifier: MIT */
/*
 * A vCPU (struct vcpu): its VMCS and where it is loaded, its registers,
 * its MMU context, requests and halt state, each field with the rule for
 * who may change it. Types only; what acts on a vCPU is declared next to
 * its code: the run loop (vcpu_run.h), kicks and wake-ups (vcpu_kick.h),
 * exit handling (exit_handlers.h), interrupts (vcpu_irq.h), the VMCS
 * setup (vmcs_setup.h). The VM it belongs to is struct guest (guest.h).
 */
#ifndef VMM_VCPU_H
#define VMM_VCPU_H

#include "kernel/compiler.h"
#include "kernel/errno.h"
#include "kernel/spinlock.h"
#include "kernel/thread.h"
#include "kernel/wait.h"
#include "kernel/workqueue.h"
#include "vmm/boot_state.h"
#include "vmm/guest.h"
#include "vmm/vmx/vmx.h"
#include "vmm/mmu/page_fault.h"
#include "vmm/dev/lapic.h"
#include "vmm/apf/async_pf.h"

#define VCPU_NR_EXIT_COUNTERS	66

struct guest;
struct vm;
struct kvm_mmu_page;
struct guest_mmu_pressure;
struct nested_vcpu;

/*
 * What the vCPU itself is doing, as KVM's mp_state: running guest code,
 * or waiting for a start-up IPI after an INIT (the PC's APs start there).
 * Only the vCPU's own thread writes it; senders of INIT/SIPI post events
 * to its LAPIC (lapic.pending_events) and kick.
 */
enum vcpu_mp_state {
	VCPU_MP_RUNNABLE,
	VCPU_MP_INIT_RECEIVED,	/* wait-for-SIPI */
};

enum vcpu_state {
	VCPU_STATE_IDLE,	/* never started (not runnable, or before start) */
	VCPU_STATE_RUNNING,	/* owned by its run loop */
	VCPU_STATE_STOPPED,	/* run loop finished; VMCS cleared */
};

/* Phases of a profiled EPT-violation fault-in, in order. */
#define VCPU_PF_PHASES(X)						\
	X(exit_to_mmu, "VM exit to the MMU")				\
	X(faultin_pfn, "memslot and host page")				\
	X(read_lock, "mmu_lock for read")				\
	X(map, "walk, link tables, install the SPTE")			\
	X(unlock, "mmu_lock dropped, stats")				\
	X(mmu_to_entry, "MMU back to VM entry")
enum {
#define X(n, d) VCPU_PF_##n,
	VCPU_PF_PHASES(X)
#undef X
	VCPU_PF_NR_PHASES
};

struct vcpu {
	struct vcpu_regs regs;		/* first: the entry code uses it */
	struct guest *guest;
	unsigned int index;
	u16 vpid;
	void *vmcs;			/* 4 KiB VMCS region */
	/*
	 * CPU on which the VMCS is active (VMPTRLDed and not VMCLEARed
	 * since), -1 when clear. Only the vCPU's own run loop changes it,
	 * except vmcs_clear_remote(), which runs on that CPU at the run
	 * loop's request. A VMCS active on one CPU must be VMCLEARed there
	 * before any other CPU loads it (SDM 24.1).
	 */
	int cpu;
	bool launched;			/* VMLAUNCH done since the last VMCLEAR */
	bool initialised;		/* VMCS fields written */
	enum vcpu_state state;		/* written by the run loop (release) */

	struct vcpu_boot_state boot;	/* how this vCPU starts */
	bool has_boot_state;

	/* Exit information of the exit being handled. */
	u32 exit_reason;		/* basic reason */
	u64 exit_qual;			/* read by the handlers that need it */

	/* Emulated MSRs that VMX does not switch (vmm/exit_msr.c). */
	u64 msr_star, msr_lstar, msr_cstar, msr_sfmask, msr_kernel_gs_base;
	u64 msr_tsc_aux;
	/* The guest's TSC is the host's + tsc_offset (exit_msr.c writes it). */
	u64 tsc_offset, tsc_adjust;
	u64 msr_misc_enable;		/* IA32_MISC_ENABLE (exit_msr.c) */

	struct thread *thread;		/* the vCPU thread running vcpu_run() */
	char thread_name[THREAD_NAME_MAX];
	/*
	 * VMCLEAR when the thread is switched out, VMPTRLD + host state when
	 * it is switched back in (on whatever CPU) - KVM's preempt notifiers.
	 */
	struct sched_notifier sched_nb;
	bool in_slice;			/* inside vcpu_run_slice() */
	u32 slice_ticks;		/* preemption timer; 0: vcpu_slice_ticks */
	/*
	 * The local APIC (vmm/dev/lapic.h; its lock protects it) and how
	 * this vCPU stands with respect to INIT/SIPI (run loop only).
	 */
	struct kvm_lapic lapic;
	/*
	 * Nested VMX (vmm/nested/nested.h): NULL until the vCPU's first VMX
	 * instruction; only its run loop touches it.
	 */
	struct nested_vcpu *nested;
	enum vcpu_mp_state mp_state;
	u64 nr_sipi, nr_init, nr_nmi_injected, lapic_ipis_sent;
	/*
	 * Slice end (TSC) while the preemption timer was shortened to the
	 * LAPIC timer's expiry; 0 when it runs the whole slice (run loop).
	 */
	u64 slice_end_tsc;
	/*
	 * Interrupts requested by the test interrupt controller (the
	 * HC_INJECT hypercall, ktests) beside the LAPIC: delivered as the
	 * PIC's are, by vector, without the LAPIC's priorities.
	 */
	u64 irr[4];
	bool irq_pending;		/* irr may have a bit set: look */
	u64 nr_injected_irqs;
	/*
	 * Halted (KVM's mp_state HALTED): the guest ran HLT with IF=1 and no
	 * interrupt was requested, so its thread sleeps on halt_wq instead of
	 * entering the guest (vcpu_halt()). Only the vCPU's thread writes
	 * halted (others read it for diagnostics and tests). Wakers make their condition true (an IRR bit,
	 * g->dead, a request) and then wake_up(&halt_wq): vcpu_kick() does
	 * it, so every path that kicks a vCPU also wakes a halted one.
	 */
	bool halted;
	struct wait_queue_head halt_wq;	/* the halted vCPU's thread */
	u64 halt_exits;			/* HLT exits (KVM's halt_exits) */
	u64 halt_wakeups;		/* halts that slept, then woke */
	u64 halt_wait_ns;		/* host time spent asleep halted */
	/*
	 * Async page faults (vmm/vcpu_apf.c; the core's rules in
	 * vmm/apf/async_pf.h). apf_done_pending: a page-in completed or
	 * an ACK freed the slot, set by anyone before a kick, cleared by
	 * the run loop before it looks. The sync-wait counters are the
	 * faults on swap this vCPU's thread slept through.
	 */
	struct kvm_vcpu_apf apf;
	bool apf_done_pending;
	u64 apf_sync_waits, apf_sync_wait_ns;
	int start_cpu;			/* host CPU to start on; -1: spread */
	/* VCPU_REQ_* bits: work for the run loop between slices. */
	unsigned long requests;
	int migrate_to;			/* CPU for VCPU_REQ_MIGRATE */

	/*
	 * The MMU context this vCPU faults through (its root holds one
	 * reference) and the EPTP made from that root. Only the vCPU's run
	 * loop changes them (before an entry: vcpu_mmu_reload()); remote TLB
	 * flushes read eptp.
	 */
	struct kvm_mmu mmu;
	u64 eptp;
	/*
	 * The EPT-violation profile (profile=1 on the module line): cycles
	 * per phase summed over the faults that installed a page, printed
	 * when the guest ends (bench-mmu's breakdown). Run loop only.
	 */
	bool fault_profile;
	bool fault_profiled;		/* stamps of the last exit are valid */
	u64 t_exit;			/* TSC right after the last VM exit */
	u64 fault_stamps[KVM_PF_NR_STAMPS];
	u64 fault_prof_sum[VCPU_PF_NR_PHASES];
	u64 fault_prof_n;
	/* The async-PF half of the same profile (vcpu_apf.c). Run loop. */
	struct vcpu_apf_profile {
		bool np_pending;	/* this entry injects "not present" */
		u64 t_ready_from;	/* page_ready() -> inject_page_ready() */
		u64 t_ready;		/* this entry injects "page ready" */
		u64 np_sum, np_n;
		u64 ready_sum, ready_max, ready_n;
	} apf_prof;

	u64 exits;
	u64 exits_by_reason[VCPU_NR_EXIT_COUNTERS];
	u64 nr_migrations;		/* loads on a CPU other than the last */
	int last_cpu;			/* CPU of the latest load, -1: none */
};

/* The guest's view of the TSC now. */
static inline u64 vcpu_guest_tsc(const struct vcpu *v)
{
	u64 lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((hi << 32) | lo) + v->tsc_offset;
}

/* vcpu->requests bits, served by vcpu_run() between slices. */
#define VCPU_REQ_MIGRATE	BIT(0)

#endif
