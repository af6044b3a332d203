/* SPDX-License-Identifier: MIT */
/*
 * The VMX side of a virtual machine (struct guest) and its vCPUs.
 *
 * struct vm (vmm/vm.h) is the TDP MMU's per-VM state and is owned by
 * vmm/mmu/; a guest points at one once the TDP MMU maps guest memory.
 * Until then a guest's memory is mapped eagerly by vmm/ept.c.
 */
#ifndef VMM_VCPU_H
#define VMM_VCPU_H

#include "kernel/compiler.h"
#include "kernel/spinlock.h"

#define GUEST_NAME_LEN		32
#define GUEST_MAX_VCPUS		8
#define GUEST_CONSOLE_LINE	160
#define VCPU_NR_EXIT_COUNTERS	66

struct guest;
struct vm;

/* Guest general-purpose registers; the layout is vmm/vmx_entry.c's. */
struct vcpu_regs {
	u64 rax, rcx, rdx, rbx, rsp_unused, rbp, rsi, rdi;
	u64 r8, r9, r10, r11, r12, r13, r14, r15;
};

struct vcpu {
	struct vcpu_regs regs;		/* first: the entry code uses it */
	struct guest *guest;
	unsigned int index;
	u16 vpid;
	void *vmcs;			/* 4 KiB VMCS region */
	int cpu;			/* CPU the VMCS is active on, -1 if clear */
	bool launched;			/* VMLAUNCH done since the last VMCLEAR */
	bool stopped;
	bool initialised;		/* VMCS fields written */

	/* Start state chosen by the loader. */
	u64 entry_rip, entry_rsp, entry_cr3, entry_gdt;

	/* Exit information of the exit being handled. */
	u32 exit_reason;
	u64 exit_qual;

	u64 exits;
	u64 exits_by_reason[VCPU_NR_EXIT_COUNTERS];
};

/* What the guest reported through hypercalls. */
struct guest_report {
	unsigned int planned;		/* the guest's KTAP "1..N" */
	unsigned int passed, failed, skipped;
	bool exited;			/* the guest called HC_EXIT */
	u64 exit_status;
	bool died;			/* triple fault or fatal exit */
	char death[96];
};

struct guest {
	char name[GUEST_NAME_LEN];
	unsigned int id;
	unsigned int nr_vcpus;
	struct vcpu *vcpus[GUEST_MAX_VCPUS];
	bool long_mode;			/* ELF64: vCPUs start in 64-bit mode */
	bool expect_triple_fault;	/* option: the guest's death is the test */

	/* Guest-physical memory [0, mem_size): one host page per GFN. */
	u64 mem_size;
	u64 nr_pages;
	void **pages;

	/* Eager EPT (vmm/ept.c) until the TDP MMU takes over. */
	u64 eptp;
	void *ept_root;
	struct vm *vm;			/* TDP MMU state; NULL for now */

	/* Guest console: the UART at 0x3f8 and HC_CONSOLE share a line. */
	spinlock_t console_lock;	/* protects console_* and uart_* */
	char console_buf[GUEST_CONSOLE_LINE];
	unsigned int console_len;
	u8 uart_ier, uart_lcr, uart_mcr, uart_scr, uart_dll, uart_dlm;

	spinlock_t report_lock;		/* protects report */
	struct guest_report report;
	bool dead;			/* every vCPU stops at its next exit */
};

struct guest *guest_create(const char *name, unsigned int nr_vcpus,
			   u64 mem_size, bool long_mode);
void guest_destroy(struct guest *g);
/* Host VA of guest-physical @gpa, NULL outside guest memory. */
void *guest_gpa_to_hva(struct guest *g, u64 gpa);
bool guest_write(struct guest *g, u64 gpa, const void *src, size_t len);
bool guest_read(struct guest *g, u64 gpa, void *dst, size_t len);
/* Stop the whole guest (triple fault, fatal exit); the others go on. */
void guest_kill(struct guest *g, const char *why);
/* Append guest console bytes; whole lines go to the host log. */
void guest_console_write(struct guest *g, const char *s, size_t len);

/* What an exit handler asks the run loop to do next. */
enum {
	VCPU_STOP = 0,		/* this vCPU is finished (or its guest died) */
	VCPU_RESUME = 1,	/* enter the guest again */
	VCPU_YIELD = 2,		/* give the host CPU to someone else first */
};

/*
 * Run @vcpu on the calling CPU until it stops or yields. A stopped vCPU's
 * VMCS is cleared; a yielded one stays current until vcpu_switch_out().
 */
int vcpu_run_slice(struct vcpu *vcpu);
void vcpu_switch_out(struct vcpu *vcpu);

/* Exit handling (vmm/exit.c), returns VCPU_STOP/RESUME/YIELD. */
int vmx_handle_exit(struct vcpu *vcpu);
void vcpu_inject_exception(struct vcpu *vcpu, unsigned int vector,
			   bool has_error, u32 error_code);
/* Advance RIP past the instruction that exited. */
void vcpu_skip_insn(struct vcpu *vcpu);

int vmx_vcpu_enter(struct vcpu_regs *regs, bool launched);

#endif
