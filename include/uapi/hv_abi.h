/* SPDX-License-Identifier: MIT */
/*
 * The guest ABI of the microhypervisor: hypercall numbers, the
 * boot-information block and the guest memory layout the ELF64 loader
 * sets up. Public: the hypervisor (vmm/) and every guest include it (the
 * project's test guests in tests/guests/, and guests written by others),
 * so it uses only fixed-width types.
 *
 * Hypercall convention (KVM's): VMCALL with the number in RAX and
 * arguments in RBX, RCX, RDX, RSI; the result comes back in RAX
 * (negative = error, HV_ENOSYS for an unknown number, HV_EPERM from CPL
 * above 0). The MMU requests below are test hooks: a guest may call them
 * only if its module line says test_hooks=1, and gets -HV_EPERM otherwise.
 */
#ifndef HV_ABI_H
#define HV_ABI_H

#include <stdint.h>

#define HC_CONSOLE_WRITE	1	/* rbx = gpa, rcx = len */
#define HC_EXIT			2	/* rbx = status (0 = pass) */
#define HC_KTAP_PLAN		3	/* rbx = number of tests */
#define HC_KTAP_RESULT		4	/* rbx = 0 pass, 1 fail, 2 skip */
#define HC_VCPU_INFO		5	/* returns the host CPU running us */
/*
 * Raise external interrupt rcx (32..255) on this guest's vCPU rbx (KVM's
 * KVM_HC_SEND_IPI, one target): it wakes that vCPU if halted; delivered
 * through its IDT once it runs with IF=1. 0, or -HV_EINVAL for a vCPU
 * index >= nr_vcpus or a vector below 32 (those are exceptions).
 */
#define HC_SEND_IPI		10	/* KVM_HC_SEND_IPI's number */
/*
 * Requests for the MMU tests (vmm/hypercall_mmu.c), test hooks only
 * (test_hooks=1, else -HV_EPERM). GFN ranges are
 * [rbx, rbx + rcx); an empty, wrapping or out-of-width range is
 * -HV_EINVAL, a GFN outside every memslot -HV_EFAULT.
 */
#define HC_MMU_ZAP_GFN_RANGE	16	/* rbx = first gfn, rcx = count */
#define HC_MMU_INVALIDATE_ROOTS	17	/* a worker zaps the old roots */
#define HC_MMU_RECLAIM_GFN	18	/* rbx = gfn; next touch reads 0 */
#define HC_MMU_REPLACE_GFN	19	/* rbx = gfn; new page: HV_REPLACE_WORD */
#define HC_MMU_STATS		20	/* rbx = gpa of buffer, rcx = size */
#define HC_MMU_PREFAULT		21	/* rbx = first gfn, rcx = count */
/* Longest host run between MMU scheduling points since the last call
 * (TSC ticks); rbx = gpa of a u64 that receives how many points. */
#define HC_MMU_SCHED_GAP	22
/*
 * Huge pages and dirty logging of guest RAM (memslot 0): rbx = one of
 * HV_HUGE_*; HARVEST (KVM_GET_DIRTY_LOG: get and clear) returns the number
 * of dirty pages and, with rcx = gpa of a buffer of rdx bytes, the bitmap
 * (bit i = gfn i). Test hooks only.
 */
#define HC_MMU_HUGE		23
#define HV_HUGE_DIRTY_ON	1	/* eager split, all read-only */
#define HV_HUGE_DIRTY_OFF	2	/* and recover huge pages */
#define HV_HUGE_HARVEST		3
#define HV_HUGE_SPLIT		4	/* every huge SPTE down to 4K */
#define HV_HUGE_RECOVER		5	/* merge what may be huge again */
/*
 * Drive interrupt line rbx of the guest's interrupt controllers to level
 * rcx (0 or 1), as a device would: an ISA IRQ 0-15 is the PIC's input and
 * the IOAPIC pin of that number (IRQ 0: pin 2, the MADT's override),
 * 16-23 IOAPIC pins only. 0, or -HV_EINVAL for a line >= 24 or a level
 * other than 0/1. Test hooks only.
 */
#define HC_IRQ_LINE		24
/*
 * Move guest RAM pages [rbx, rbx + rcx) to the host's slow swap store
 * (vmm/mmu/swap.h): the next touch of each must wait for a page-in of
 * swap_latency_us (module line), which an async-PF guest spends running
 * other tasks. Contents are kept. Returns how many were moved (pages
 * already in swap, or never touched, are skipped). Test hooks only.
 */
#define HC_MMU_SWAP_OUT		25

/*
 * HC_MMU_STATS fills a header and counters in this order (the host's
 * TDP_MMU_STATS table; vmm/hypercall_mmu.c checks the indices at build
 * time). New counters are appended only.
 */
struct hv_mmu_stats {
	uint32_t version, size, nr_counters, nr_available;
	uint64_t counters[];
};
enum {
	HV_MMU_STAT_faults, HV_MMU_STAT_spurious_faults,
	HV_MMU_STAT_fault_retries, HV_MMU_STAT_bad_gpa_faults,
	HV_MMU_STAT_zapped_sptes, HV_MMU_STAT_yields,
	HV_MMU_STAT_roots_allocated, HV_MMU_STAT_roots_invalidated,
	HV_MMU_STAT_roots_freed, HV_MMU_STAT_pt_pages_alive,
	HV_MMU_STAT_pt_pages_allocated, HV_MMU_STAT_tlb_flushes,
	HV_MMU_STAT_reclaims, HV_MMU_NR_STATS_V1,
	/* Version 2: huge pages and dirty logging. */
	HV_MMU_STAT_mmu_bugs = HV_MMU_NR_STATS_V1,
	HV_MMU_STAT_pages_4k, HV_MMU_STAT_pages_2m, HV_MMU_STAT_pages_1g,
	HV_MMU_STAT_huge_splits, HV_MMU_STAT_huge_merges,
	HV_MMU_STAT_merge_retries, HV_MMU_STAT_dirty_pages_harvested,
	HV_MMU_NR_STATS_V2,
	/* Version 3: shadow EPT for an L1's L2 guests (nested VMX). */
	HV_MMU_STAT_shadow_pages_alive = HV_MMU_NR_STATS_V2,
	HV_MMU_STAT_shadow_pages_allocated, HV_MMU_STAT_shadow_faults,
	HV_MMU_STAT_shadow_faults_reflected, HV_MMU_STAT_shadow_zapped,
	HV_MMU_STAT_shadow_unsync_marked, HV_MMU_STAT_shadow_synced,
	HV_MMU_STAT_shadow_sync_zapped_sptes, HV_MMU_STAT_shadow_unprotects,
	HV_MMU_STAT_shadow_wrprot_reads,
	HV_MMU_NR_STATS_V3,
	/* Version 4: the swap store and async page faults. */
	HV_MMU_STAT_swap_outs = HV_MMU_NR_STATS_V3,
	HV_MMU_STAT_swap_ins, HV_MMU_STAT_swap_zero_pages,
	HV_MMU_STAT_swapped_pages, HV_MMU_STAT_apf_not_present,
	HV_MMU_STAT_apf_page_ready, HV_MMU_STAT_apf_sync_waits,
	HV_MMU_STAT_apf_cancelled, HV_MMU_STAT_apf_work_alive,
	HV_MMU_STAT_apf_refused,
	HV_MMU_NR_STATS_V4
};

/* Every u64 of a page HC_MMU_REPLACE_GFN put in place. */
#define HV_REPLACE_WORD(gfn)	(0x5245504c00000000ULL | (uint32_t)(gfn))
/* The aliased memslot a guest gets with alias=N on its module line. */
#define HV_GFN_ALIAS_BASE	0x100000ULL	/* GPA 4 GiB */

#define HV_EPERM		1	/* CPL > 0, or a test hook without test_hooks=1 */
#define HV_ENOSYS		38
#define HV_EINVAL		22
#define HV_EFAULT		14
#define HV_EIO			5	/* a check in the host failed */
#define HV_ENOMEM		12
#define HV_EBUSY		16
#define HV_ERANGE		34

/* CPUID leaf 0x40000000: max leaf in EAX, signature in EBX:ECX:EDX. */
#define HV_CPUID_LEAF		0x40000000u
#define HV_CPUID_SIGNATURE	"MicroHVMicro"
/*
 * Leaf 0x40000001 EAX: paravirtual features, KVM's bit numbers. The same
 * leaves are repeated at 0x40000100 with KVM's signature, where a Linux
 * guest looks for them (kvm_para_available() scans in steps of 0x100).
 */
#define HV_CPUID_FEATURES	0x40000001u
#define HV_CPUID_KVM_LEAF	0x40000100u
#define HV_CPUID_KVM_SIGNATURE	"KVMKVMKVM\0\0\0"
#define HV_FEATURE_ASYNC_PF	(1u << 4)	/* KVM_FEATURE_ASYNC_PF */
#define HV_FEATURE_ASYNC_PF_INT	(1u << 14)	/* KVM_FEATURE_ASYNC_PF_INT */
/*
 * Leaf 0x40000010 (the timing leaf of VMware's convention, which QEMU's
 * vmware-cpuid-freq gives KVM guests): EAX = TSC kHz, EBX = APIC timer
 * kHz (ours counts at the TSC's rate, before the divide). Only at our
 * base; leaf 0x40000000 EAX says it is there.
 */
#define HV_CPUID_TIMING		0x40000010u

/* Test ports. */
#define HV_PORT_UART		0x3f8
#define HV_PORT_EXIT		0xf4	/* as QEMU's isa-debug-exit */

#define HV_BOOT_MAGIC		0x6876626f6f74ULL	/* "hvboot" */
#define HV_CMDLINE_MAX		1024	/* a guest's options after "--" */
/* A Multiboot module's string (module_for=, after "--"). */
#define HV_MODULE_STRING_MAX	256

/* Guest-physical layout made by the ELF64 loader. */
#define HV_GPA_PML4		0x1000
#define HV_GPA_PDPT		0x2000
#define HV_GPA_PD		0x3000	/* 512 x 2 MiB: first 1 GiB */
#define HV_GPA_GDT		0x5000
#define HV_GPA_BOOT_INFO	0x6000
#define HV_GPA_LOAD_MIN		0x100000	/* ELF segments go here and up */
#define HV_STACK_SIZE		0x4000		/* per vCPU, at the top */

/* At HV_GPA_BOOT_INFO; RDI = vCPU index, RSI = its address on entry. */
struct hv_boot_info {
	uint64_t magic;
	uint64_t mem_size;
	uint32_t nr_vcpus;
	uint32_t guest_id;
	char name[32];
	char cmdline[HV_CMDLINE_MAX];	/* options after name/vcpus/mem */
};

#endif
