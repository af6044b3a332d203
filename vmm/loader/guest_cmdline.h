/* SPDX-License-Identifier: MIT */
/*
 * A guest module's command line (the text after the path on GRUB's
 * "module2" line):
 *
 *   name=NAME [vcpus=N] [mem=SIZE] [expect=exit|triple_fault]
 *   [timeout=SECONDS] [alias=PAGES] [pressure=0|1] [profile=0|1]
 *   [test_hooks=0|1] [strict_io=0|1] [testdev=0|1] [hugepages=4k|2m|1g]
 *   [nested=0|1] [apf=0|1] [swap_latency_us=N] [swap_jitter_us=N]
 *   [apf_race=N] [-- GUEST OPTIONS...]
 *
 * alias= adds an aliased memslot of PAGES GFNs at HV_GFN_ALIAS_BASE (the
 * MMU tests' huge roots); pressure=1 runs the memory-pressure worker for
 * this guest (vmm/tdp_kernel.c); profile=1 times each phase of its EPT
 * fault-ins and prints the breakdown when it ends (make bench-mmu);
 * test_hooks=1 lets it call the test-only hypercalls (include/uapi/hv_abi.h),
 * refused with -HV_EPERM otherwise; testdev=1 puts QEMU pc-testdev's
 * interrupt lines at ports 0x2000-0x2017 (kvm-unit-tests drive them);
 * nested=1 offers it VMX (CPUID, the capability MSRs, the VMX
 * instructions: vmm/nested/) when the host has what nested VMX needs;
 * strict_io=1 kills it on a port access
 * that no device claims (default: reads all ones, writes dropped).
 *
 * Words before "--" are the host's and must be known; everything after
 * "--" is handed to the guest untouched (hv_boot_info.cmdline for ELF64
 * guests, the Multiboot command line for Multiboot kernels). SIZE is bytes
 * with an optional K, M or G suffix. Parsing is pure (no allocation, no
 * output): the caller prints the error for that one guest and goes on.
 *
 * A module line that is not a guest but a Multiboot module of one:
 *
 *   module_for=NAME [-- MODULE STRING]
 *
 * gives its bytes to the Multiboot v1 guest named NAME as its next module
 * (GRUB order among that guest's modules; the line may come before or
 * after the guest's own), with the text after "--" as the module's
 * string. No other word may stand before "--".
 */
#ifndef VMM_GUEST_CMDLINE_H
#define VMM_GUEST_CMDLINE_H

#include "kernel/types.h"
#include "vmm/vcpu.h"
#include "include/uapi/hv_abi.h"

#define GUEST_DEFAULT_MEM	(8ULL << 20)
#define GUEST_MIN_MEM		(2ULL << 20)
/* The ELF64 loader maps the first 1 GiB (one page directory). */
#define GUEST_MAX_MEM		(1ULL << 30)
#define GUEST_DEFAULT_TIMEOUT_S	60
/* A page-in from the swap store: about a fast disk's. */
#define GUEST_DEFAULT_SWAP_LATENCY_US	1000
#define GUEST_ERR_LEN		224

/* How the guest's run must end for the host to call it a pass. */
enum guest_expect {
	GUEST_EXPECT_EXIT,		/* HC_EXIT/port 0xf4 with status 0 */
	GUEST_EXPECT_TRIPLE_FAULT,	/* the guest dies of a triple fault */
};

struct guest_config {
	char name[GUEST_NAME_LEN];
	unsigned int nr_vcpus;
	u64 mem_size;
	enum guest_expect expect;
	unsigned int timeout_s;
	u64 alias_pages;			/* 0: no aliased memslot */
	bool mmu_pressure;
	bool pressure_swap;			/* pressure=swap: to the swap store */
	bool fault_profile;
	bool test_hooks;
	bool strict_io;
	bool testdev;				/* QEMU pc-testdev IRQ lines */
	bool nested;				/* offer VMX (vmm/nested/) */
	u32 hugepages;				/* MEMSLOT_HUGE_* of guest RAM */
	/*
	 * Async page faults (vmm/vcpu_apf.c): offered unless apf=0; page-ins
	 * from the swap store take swap_latency_us plus up to
	 * swap_jitter_us; apf_race=N (a test hook) sends every Nth "page
	 * ready" before its "not present".
	 */
	bool apf;
	u32 swap_latency_us, swap_jitter_us;
	u32 apf_race;
	char guest_cmdline[HV_CMDLINE_MAX];	/* after "--", NUL-terminated */
};

/*
 * Does module command line @s describe a guest? True when one of its host
 * words (before any "--") is "name=..." and none is "module_for=...".
 * Other modules (the boot tests' test module) are left alone.
 */
bool guest_cmdline_is_guest(const char *s);

/* Is @s a module_for= line (one of its words before "--")? */
bool guest_cmdline_is_module(const char *s);

struct guest_module_line {
	char guest[GUEST_NAME_LEN];	/* NAME of module_for=NAME */
	char string[HV_MODULE_STRING_MAX];	/* after "--", NUL-terminated */
};

/* Parse a module_for= line; false with one line in @err naming the fault. */
bool guest_module_parse(const char *s, struct guest_module_line *ml,
			char *err, size_t errlen);

/*
 * Parse @s into @cfg (defaults for what is absent). On error returns
 * false and writes one line naming the offending word into @err; @cfg's
 * name is filled as soon as it is known so the caller can name the guest.
 */
bool guest_cmdline_parse(const char *s, struct guest_config *cfg,
			 char *err, size_t errlen);

#endif
