/* SPDX-License-Identifier: MIT */
/*
 * A small hypervisor for L1 test guests: EPT12 tables built in L1's own
 * memory (identity over it, 4K leaves, so every 2 MiB of L1 memory has a
 * leaf table of its own), and L2 runs with the registers saved across the
 * VM exit. L2 shares L1's page tables (a 64-bit copy of L1, see
 * vmx_l1_vmcs12_setup) and runs small stubs that end in VMCALL.
 *
 * Test guests are identity-mapped, so an address of L1's is also its
 * GPA and, under the identity EPT12, L2's GPA.
 */
#ifndef GUEST_LIB_L1_HV_H
#define GUEST_LIB_L1_HV_H

#include "tests/guests/lib/vmx_l1.h"

#define EPT12_R		1ULL
#define EPT12_W		2ULL
#define EPT12_X		4ULL
#define EPT12_RWX	7ULL
#define EPT12_WB	(6ULL << 3)
#define EPT12_LARGE	(1ULL << 7)
#define EPT12_ADDR(e)	((e) & 0x000ffffffffff000ULL)

/* VMCS fields of exits that the tests read. */
#define VMCS_GUEST_PHYS_ADDR	0x2400
#define VMCS_GUEST_LINEAR_ADDR	0x640a
#define VMCS_EXIT_INSN_LEN	0x440c

struct ept12 {
	u64 *pml4;
	u64 eptp;		/* WB, 4-level, A/D off */
};

/*
 * Build EPT12 mapping L1 GPAs [0, @mem) to themselves, RWX, with 4K
 * leaves, from a static pool (false when it runs out).
 */
bool ept12_build_identity(struct ept12 *e, u64 mem);
/* The leaf entry for @gpa, or NULL if no table reaches it. */
u64 *ept12_pte(struct ept12 *e, u64 gpa);
/* The PD entry for @gpa (points at its leaf table). */
u64 *ept12_pde(struct ept12 *e, u64 gpa);
static inline u64 ept12_leaf(u64 gpa, u64 perm)
{
	return (gpa & ~0xfffULL) | perm | EPT12_WB;
}

/* L2's general registers; RSP and RIP live in the VMCS. */
struct l2_regs {
	u64 rax, rbx, rcx, rdx, rsi, rdi, rbp;
	u64 r8, r9, r10, r11, r12, r13, r14, r15;
};

/* One L2: its VMCS12 page, launch state, registers, its last exit. */
struct l2_vm {
	u64 *vmcs;		/* a page-aligned 4 KiB region */
	u64 stack_top;		/* L2's RSP at the start of every run */
	bool launched;
	struct l2_regs regs;
	u64 exit_reason, exit_qual, exit_gpa, exit_gla;
};

/*
 * Prepare @vm on this vCPU: VMCLEAR + VMPTRLD its VMCS, write the
 * revision, set it up for EPT12 @eptp, L2 stack @stack_top. False (and a
 * diagnostic) on any VMfail.
 */
bool l2_vm_init(struct l2_vm *vm, u64 eptp, void *stack_top);
/* Make @vm current on this vCPU (VMPTRLD). */
bool l2_vm_load(struct l2_vm *vm);
/*
 * Run @vm from @rip (with RDI/RSI as given) until its next VM exit; fill
 * exit_*. VMX_L1_EXITED, or the VMfail outcome of VMLAUNCH/VMRESUME.
 */
int l2_vm_run(struct l2_vm *vm, void (*rip)(void), u64 rdi, u64 rsi);

/*
 * The entry itself: L2 with @regs until its next exit (0), or the VMfail
 * (1 invalid, 2 valid). l2_vm_run() wraps it; benchmarks call it bare.
 */
int l2_enter(struct l2_regs *regs, int resume);

/* VMXON on this vCPU (CR4.VMXE, fixed bits, the region's revision). */
bool l1_vmxon(u64 *region);

/* L2 stubs (RDI/RSI in, RBX out, then VMCALL). */
void l2_stub_read64(void);	/* rbx = *(u64 *)rdi */
void l2_stub_write64(void);	/* *(u64 *)rdi = rsi */
void l2_stub_call(void);	/* call *rdi */

#endif
