/* SPDX-License-Identifier: MIT */
/*
 * A virtual machine (struct guest): its vCPUs, memory (a struct vm of the
 * MMU), devices, console and report. Types only. The guest loader
 * (vmm/loader/vmm_boot.c) drives a guest through
 *
 *	g = guest_create(name, nr_vcpus, mem_size, long_mode);  guest_main.h
 *	guest_write(g, gpa, image, len);	 (the loader)   guest_mem.h
 *	guest_set_boot_state(g, i, &bs);	 (each vCPU)    guest_run.h
 *	guest_start(g);		every runnable vCPU starts running
 *	guest_wait(g, timeout_ns);	0 once all vCPUs stopped
 *	... read g->report ...	(guest_kill, guest_exit: guest_report.h)
 *	guest_destroy(g);	frees everything (kills it first if needed)
 *
 * struct vm (vmm/mmu/vm.h) is the TDP MMU's per-VM state, owned by vmm/mmu/:
 * guest memory is its memslots, mapped into EPT on EPT violations
 * (vmm/tdp_kernel.c is the kernel's side of the TDP MMU).
 */
#ifndef VMM_GUEST_H
#define VMM_GUEST_H

#include "kernel/compiler.h"
#include "kernel/errno.h"
#include "kernel/spinlock.h"
#include "kernel/wait.h"
#include "kernel/workqueue.h"
#include "vmm/boot_state.h"
#include "vmm/dev/io_bus.h"
#include "vmm/dev/uart16550.h"
#include "vmm/dev/ioapic.h"
#include "vmm/dev/pic8259.h"
#include "vmm/dev/pit8254.h"
#include "vmm/dev/port61.h"
#include "vmm/dev/rtc_cmos.h"
#include "vmm/dev/pc_ports.h"
#include "vmm/dev/pci_host.h"
#include "vmm/dev/fw_cfg.h"
#include "vmm/dev/pc_testdev.h"
#include "vmm/mmu/vm.h"

#define GUEST_NAME_LEN		32
#define GUEST_MAX_VCPUS		8
#define GUEST_CONSOLE_LINE	160
#define GUEST_MSR_LOG_MAX	16

struct vcpu;
struct guest_mmu_pressure;
struct guest_swapd;
struct guest_timer;

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
	/* nested=1: VMX is offered to its vCPUs (vmm/nested/), if the host can. */
	bool nested;
	/* Async PF offered (CPUID, MSRs: vmm/vcpu_apf.c); apf=0 hides it. */
	bool apf;
	/* The swap store's worker thread (vmm/vcpu_apf.c), or NULL. */
	struct guest_swapd *swapd;

	/*
	 * Guest-physical memory [0, mem_size) is memslot 0 of vm, populated
	 * on first touch; an optional aliased slot at HV_GFN_ALIAS_BASE
	 * (guest_mmu_add_alias_slot) serves the MMU tests.
	 */
	u64 mem_size;
	u64 nr_pages;
	/*
	 * The MMU's part of this VM (memslots, roots, mmu_lock: their rules
	 * are in vmm/mmu/vm.h), inside the one object; the MMU's callbacks
	 * get back here with container_of (vmm/tdp_kernel.c).
	 */
	struct vm vm;
	bool vm_ready;			/* guest_mmu_init() done */
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
	spinlock_t console_lock;	/* protects console_* */
	char console_buf[GUEST_CONSOLE_LINE];
	unsigned int console_len;
	/* Devices: the bus I/O exits dispatch to, and the models on it. */
	struct io_bus io_bus;
	struct uart16550 uart;
	struct ioapic ioapic;		/* at IOAPIC_DEFAULT_BASE */
	/* MSRs the guest touched that do not exist here, each logged once. */
	spinlock_t msr_log_lock;	/* protects the three below (irqsave) */
	u32 msr_logged[GUEST_MSR_LOG_MAX];
	unsigned int nr_msr_logged;
	bool msr_log_full_said;
	/* The legacy PC (registered in guest_create, vmm/guest_main.c). */
	struct pic8259 pic;		/* its INT goes to vCPU 0 */
	struct pit8254 pit;
	struct port61 port61;
	struct rtc_cmos rtc;
	struct post_port post;
	struct shutdown_port shutdown;
	struct pci_host pci;
	struct fw_cfg fw_cfg;
	struct pc_testdev testdev;	/* on the bus only with testdev=1 */
	/* The thread that runs the PIT's and RTC's deadlines (guest_timer.c). */
	struct guest_timer *timer;

	spinlock_t report_lock;		/* protects report */
	struct guest_report report;
	bool dead;			/* every vCPU stops at its next exit */
	bool started;			/* guest_start() done */
	unsigned int nr_running;	/* vCPUs in RUNNING state (atomic) */
	struct completion all_stopped;	/* completed when nr_running hits 0 */
};

#endif
