/* SPDX-License-Identifier: MIT */
/*
 * The interface between the hypervisor and its test guests: hypercall
 * numbers, the boot-information block and the guest memory layout the
 * ELF64 loader sets up. Included by both sides (vmm/ and tests/guests/),
 * so it uses only fixed-width types.
 *
 * Hypercall convention (KVM's): VMCALL with the number in RAX and
 * arguments in RBX, RCX, RDX, RSI; the result comes back in RAX
 * (negative = error, HV_ENOSYS for an unknown number).
 */
#ifndef HV_ABI_H
#define HV_ABI_H

#include <stdint.h>

#define HC_CONSOLE_WRITE	1	/* rbx = gpa, rcx = len */
#define HC_EXIT			2	/* rbx = status (0 = pass) */
#define HC_KTAP_PLAN		3	/* rbx = number of tests */
#define HC_KTAP_RESULT		4	/* rbx = 0 pass, 1 fail, 2 skip */
#define HC_VCPU_INFO		5	/* returns the host CPU running us */
/* Requests for the MMU tests; -HV_ENOSYS until the TDP MMU lands. */
#define HC_MMU_ZAP_GFN_RANGE	16	/* rbx = first gfn, rcx = count */
#define HC_MMU_INVALIDATE_ROOTS	17
#define HC_MMU_RECLAIM_GFN	18	/* rbx = gfn */
#define HC_MMU_REPLACE_GFN	19	/* rbx = gfn */
#define HC_MMU_STATS		20	/* rbx = gpa of buffer, rcx = size */

#define HV_ENOSYS		38
#define HV_EINVAL		22
#define HV_EFAULT		14

/* CPUID leaf 0x40000000: max leaf in EAX, signature in EBX:ECX:EDX. */
#define HV_CPUID_LEAF		0x40000000u
#define HV_CPUID_SIGNATURE	"MicroHVMicro"

/* Test ports. */
#define HV_PORT_UART		0x3f8
#define HV_PORT_EXIT		0xf4	/* as QEMU's isa-debug-exit */

#define HV_BOOT_MAGIC		0x6876626f6f74ULL	/* "hvboot" */
#define HV_CMDLINE_MAX		256

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
