/* SPDX-License-Identifier: MIT */
/*
 * The VMX side of a virtual machine (struct guest) and its vCPUs, and the
 * API the guest loader (vmm/vmm_boot.c) drives:
 *
 *	g = guest_create(name, nr_vcpus, mem_size, long_mode);
 *	guest_write(g, gpa, image, len);		   (the loader)
 *	guest_set_boot_state(g, i, &bs);		   (each vCPU)
 *	guest_start(g);		every runnable vCPU starts running
 *	guest_wait(g, timeout_ns);	0 once all vCPUs stopped
 *	... read g->report ...
 *	guest_destroy(g);	frees everything (kills it first if needed)
 *
 * struct vm (vmm/vm.h) is the TDP MMU's per-VM state, owned by vmm/mmu/:
 * guest memory is its memslots, mapped into EPT on EPT violations
 * (vmm/tdp_kernel.c is the kernel's side of the TDP MMU).
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
#include "vmm/mmu/page_fault.h"

#define GUEST_NAME_LEN		32
#define GUEST_MAX_VCPUS		8
#define GUEST_CONSOLE_LINE	160
#define VCPU_NR_EXIT_COUNTERS	66

struct guest;
struct vm;
struct kvm_mmu_page;
struct guest_mmu_pressure;

/* Guest general-purpose registers; the layout is vmm/vmx_entry.c's. */
struct vcpu_regs {
	u64 rax, rcx, rdx, rbx, rsp_unused, rbp, rsi, rdi;
	u64 r8, r9, r10, r11, r12, r13, r14, r15;
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

	struct thread *thread;		/* the vCPU thread running vcpu_run() */
	char thread_name[THREAD_NAME_MAX];
	/*
	 * VMCLEAR when the thread is switched out, VMPTRLD + host state when
	 * it is switched back in (on whatever CPU) - KVM's preempt notifiers.
	 */
	struct sched_notifier sched_nb;
	bool in_slice;			/* inside vcpu_run_slice() */
	u32 slice_ticks;		/* preemption timer; 0: vcpu_slice_ticks */
	/* External interrupts requested for the guest (vmm/vcpu_irq.c). */
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

	u64 exits;
	u64 exits_by_reason[VCPU_NR_EXIT_COUNTERS];
	u64 nr_migrations;		/* loads on a CPU other than the last */
	int last_cpu;			/* CPU of the latest load, -1: none */
};

/* What the guest reported through hypercalls, and how it ended. */
struct guest_report {
	unsigned int planned;		/* the guest's KTAP "1..N" */
	unsigned int passed, failed, skipped;
	bool exited;			/* HC_EXIT or a write to port 0xf4 */
	u64 exit_status;
	bool died;			/* triple fault or fatal exit */
	/* Basic exit reason that killed it, GUEST_DEATH_NOT_AN_EXIT if none. */
	u32 death_exit_reason;
	char death[128];		/* e.g. "triple fault (TRIPLE_FAULT ..." */
};

#define GUEST_DEATH_NOT_AN_EXIT	(~0U)

struct guest {
	char name[GUEST_NAME_LEN];
	unsigned int id;
	unsigned int nr_vcpus;
	struct vcpu *vcpus[GUEST_MAX_VCPUS];
	bool long_mode;			/* ELF64: vCPUs start in 64-bit mode */
	bool expect_triple_fault;	/* option: the guest's death is the test */
	/* test_hooks=1: the test-only hypercalls are allowed (hypercall.c). */
	bool test_hooks;

	/*
	 * Guest-physical memory [0, mem_size) is memslot 0 of vm, populated
	 * on first touch; an optional aliased slot at HV_GFN_ALIAS_BASE
	 * (guest_mmu_add_alias_slot) serves the MMU tests.
	 */
	u64 mem_size;
	u64 nr_pages;
	struct vm *vm;			/* TDP MMU state (vmm/tdp_kernel.c) */
	/* Runs tdp_mmu_zap_invalidated_roots() for queue_zap_work. */
	struct work_struct mmu_zap_work;
	/* The memory-pressure worker, NULL unless pressure=1. */
	struct guest_mmu_pressure *pressure;
	/*
	 * Longest run (TSC ticks) between two scheduling points of an MMU
	 * walk, and how many points were seen: the seed 000 benchmark.
	 * sp_done_tsc[cpu]: when a walk on that CPU re-took mmu_lock.
	 */
	u64 sp_max_gap, sp_count;
	u64 sp_done_tsc[MAX_CPUS];

	/* Guest console: the UART at 0x3f8 and HC_CONSOLE share a line. */
	spinlock_t console_lock;	/* protects console_* and uart_* */
	char console_buf[GUEST_CONSOLE_LINE];
	unsigned int console_len;
	u8 uart_ier, uart_lcr, uart_mcr, uart_scr, uart_dll, uart_dlm;

	spinlock_t report_lock;		/* protects report */
	struct guest_report report;
	bool dead;			/* every vCPU stops at its next exit */
	bool started;			/* guest_start() done */
	unsigned int nr_running;	/* vCPUs in RUNNING state (atomic) */
	struct completion all_stopped;	/* completed when nr_running hits 0 */
};

/*
 * Create a guest with @nr_vcpus vCPUs (1..GUEST_MAX_VCPUS) and @mem_size
 * bytes of memory. NULL after a message naming what is wrong (too many
 * vCPUs, more memory than is free). Works without VMX (the loader's tests
 * fill guests under QEMU); guest_start() is what needs VMX.
 */
struct guest *guest_create(const char *name, unsigned int nr_vcpus,
			   u64 mem_size, bool long_mode);
/*
 * How vCPU @vcpu starts. A vCPU without boot state, or with
 * bs->runnable false, never runs. Before guest_start() only.
 */
void guest_set_boot_state(struct guest *g, unsigned int vcpu,
			  const struct vcpu_boot_state *bs);
/*
 * Start every runnable vCPU as a kernel thread, spread over the online
 * CPUs. 0 or -errno.
 */
int guest_start(struct guest *g);
/*
 * Wait until every vCPU stopped: 0; -ETIMEDOUT when some still ran
 * after @timeout_ns (0 = no limit); the caller then kills the guest.
 */
int guest_wait(struct guest *g, u64 timeout_ns);
/* Kill (if running), wait for every vCPU, free everything. */
void guest_destroy(struct guest *g);

/* Copy to/from guest memory [0, mem_size); false outside it. */
bool guest_write(struct guest *g, u64 gpa, const void *src, size_t len);
bool guest_read(struct guest *g, u64 gpa, void *dst, size_t len);
/*
 * Stop the whole guest (triple fault, fatal exit): records @why in
 * g->report, kicks vCPUs running on other CPUs out of guest mode; each
 * stops at its next exit. Other guests go on.
 */
void guest_kill(struct guest *g, const char *why);
/* The same, recording the basic exit reason that killed it. */
void guest_kill_on_exit(struct guest *g, u32 exit_reason, const char *why);
/* Append guest console bytes; whole lines go to the host log. */
void guest_console_write(struct guest *g, const char *s, size_t len);

/* What an exit handler asks the run loop to do next. */
enum {
	VCPU_STOP = 0,		/* this vCPU is finished (or its guest died) */
	VCPU_RESUME = 1,	/* enter the guest again */
	VCPU_YIELD = 2,		/* give the host CPU to someone else first */
	VCPU_HALT = 3,		/* HLT: sleep until an interrupt can wake it */
};

/*
 * Run @vcpu on the calling CPU until it stops or yields. A stopped vCPU's
 * VMCS is cleared; a yielded one stays active on this CPU (a later load
 * elsewhere clears it there first).
 */
int vcpu_run_slice(struct vcpu *vcpu);
/* VMCLEAR @vcpu's VMCS wherever it is active. */
void vcpu_vmcs_clear(struct vcpu *vcpu);
/* Run @vcpu until it stops, yielding to the scheduler in between. */
int vcpu_run(struct vcpu *vcpu);
/* Hook the vCPU's preempt notifiers to the calling (vCPU) thread. */
void vcpu_sched_notifier_register(struct vcpu *vcpu);
void vcpu_sched_notifier_unregister(struct vcpu *vcpu);

/* vcpu->requests bits, served by vcpu_run() between slices. */
#define VCPU_REQ_MIGRATE	BIT(0)
/*
 * Ask @vcpu's thread to move itself to host CPU @cpu (thread_migrate())
 * at the end of its current slice, which the kick IPI ends at once.
 */
void vcpu_request_migrate(struct vcpu *vcpu, int cpu);

/* Exit handling (vmm/exit.c), returns VCPU_STOP/RESUME/YIELD. */
int vmx_handle_exit(struct vcpu *vcpu);
void vcpu_inject_exception(struct vcpu *vcpu, unsigned int vector,
			   bool has_error, u32 error_code);
/*
 * Raise external interrupt @vector in the guest (any CPU, any context):
 * delivered through the guest's IDT as soon as it has interrupts enabled.
 */
void vcpu_queue_interrupt(struct vcpu *vcpu, u8 vector);
/* The run loop's half: deliver or arm interrupt-window exiting. */
void vcpu_deliver_interrupt(struct vcpu *vcpu);
/* Some vector is requested (set in the IRR) and not yet delivered. */
bool vcpu_interrupt_requested(struct vcpu *vcpu);
/*
 * Wake @vcpu's thread if it sleeps halted (any CPU, any context): it
 * rechecks why it sleeps. Callers make the reason true first.
 */
void vcpu_wake_up(struct vcpu *vcpu);
/* "vcpuN: E exits, H HLT exits, W halt wake-ups, ..." into @buf. */
int vcpu_format_stats(struct vcpu *vcpu, char *buf, size_t size);
/* Advance RIP past the instruction that exited. */
void vcpu_skip_insn(struct vcpu *vcpu);
/* Kill the guest with a message naming the exit and the qualification. */
int vcpu_exit_fatal(struct vcpu *vcpu, const char *what);

int vmx_vcpu_enter(struct vcpu_regs *regs, bool launched);

/* Write the VMCS (current on this CPU) for a fresh vCPU (vmm/vmcs_setup.c). */
void vmcs_setup(struct vcpu *vcpu);
/* Preemption-timer ticks in one guest time slice (set by vmcs_setup()). */
extern u32 vcpu_slice_ticks;

/*
 * VMX usable on every online CPU (vmm/vmx_init.c): capability report
 * printed and VMXON done. vmx_init() runs once at boot.
 */
extern bool vmx_ready;
void vmx_init(void);
/* Why no guest can run (for test skips), or NULL when VMX is ready. */
const char *vmx_unavailable_reason(void);

#endif
