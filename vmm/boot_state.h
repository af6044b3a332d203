/* SPDX-License-Identifier: MIT */
/*
 * How a vCPU starts: the hand-off between the guest loader (vmm/loader*.c,
 * which decides) and the VMCS set-up (vmm/vcpu_run.c, which applies it).
 *
 * ELF64 test guests start in 64-bit mode with paging on (the loader built
 * their page tables, GDT and stack); Multiboot v1 kernels start in 32-bit
 * protected mode with paging off, EAX = 0x2BADB002 and EBX = the physical
 * address of the Multiboot information structure.
 */
#ifndef VMM_BOOT_STATE_H
#define VMM_BOOT_STATE_H

#include "kernel/types.h"

enum guest_entry_mode {
	GUEST_ENTRY_LONG64,	/* CR0.PE|PG, CR4.PAE, EFER.LME|LMA, CS.L */
	GUEST_ENTRY_PROT32,	/* CR0.PE only, flat 4 GiB CS/DS, no paging */
};

struct vcpu_boot_state {
	enum guest_entry_mode mode;
	bool runnable;		/* false: this vCPU never starts (no SIPI) */
	u64 rip, rsp;
	u64 cr3;		/* LONG64 only */
	u64 gdt_base;		/* flat code/data descriptors the loader made */
	u16 gdt_limit;
	u16 cs_sel, ds_sel;	/* selectors within that GDT */
	/* Initial general-purpose registers (the rest start at zero). */
	u64 rax, rbx, rdi, rsi;
};

#endif
