/* SPDX-License-Identifier: MIT */
/*
 * Kernel command line: "key=value key2=value2 flag", table-driven.
 *
 * Known options (kernel/cmdline.c, kernel_options[]):
 *   log_level=err|warn|info|debug   ktest=PATTERN   cpus=N
 *   watchdog_thresh=SECONDS (soft lockup, default 20)
 *   hardlockup_thresh=SECONDS (interrupts off, default 10)
 *   exit=qemu|bochs|acpi|halt|auto
 *   timer_hz=N   expect_mem_mb=N   expect_cpus=N
 *   crash_test=pf|ipi|df|stack|bootstack  crash on purpose in the
 *                          crash.on_purpose ktest
 *                          (arch/x86/crash_test.c), to test the crash path
 *   expect_vmx=1 (VMX tests fail instead of skipping without VMX)
 *   calibrate=pit|pmtimer  what times the LAPIC/TSC calibration (default
 *                    pit, falling back to the other when it does not answer)
 *   zero_pool=PAGES  free pages idle CPUs keep zeroed for first touches
 *                    (default: 1/128 of memory, at most 256; 0: none)
 * An unknown option prints "cmdline: unknown option 'xyz'" and boot goes
 * on; a bad value is reported the same way and leaves the default.
 */
#ifndef KERNEL_CMDLINE_H
#define KERNEL_CMDLINE_H

#include "kernel/compiler.h"

#define CMDLINE_STR_MAX	128

enum cmdline_type {
	CMDLINE_UINT,		/* unsigned int, decimal or 0x hex */
	CMDLINE_STR,		/* char[CMDLINE_STR_MAX] */
	CMDLINE_LOG_LEVEL,	/* int */
	CMDLINE_EXIT_MODE,	/* enum exit_mode */
	CMDLINE_FLAG,		/* bool, set when present */
};

struct cmdline_option {
	const char *name;
	enum cmdline_type type;
	void *dst;
};

/* Values set by the boot command line (0 / "" when not given). */
extern char cmdline_ktest_filter[CMDLINE_STR_MAX];
extern unsigned int cmdline_cpus;
extern unsigned int cmdline_watchdog_thresh;	/* seconds; 0 = default */
extern unsigned int cmdline_hardlockup_thresh;	/* seconds; 0 = default */
extern unsigned int cmdline_expect_mem_mb;
extern unsigned int cmdline_expect_cpus;
extern char cmdline_crash_test[CMDLINE_STR_MAX];
extern char cmdline_calibrate[CMDLINE_STR_MAX];	/* "pmtimer" or PIT */
extern unsigned int cmdline_expect_vmx;
#define CMDLINE_ZERO_POOL_AUTO	(~0U)
extern unsigned int cmdline_zero_pool;	/* CMDLINE_ZERO_POOL_AUTO: not given */

/*
 * Parse @s against @opts. Returns the number of problems (unknown option,
 * bad value), each reported on the console.
 */
unsigned int cmdline_parse(const char *s, const struct cmdline_option *opts,
			   unsigned int nr_opts);
/* Parse the boot command line against the kernel's own table. */
unsigned int cmdline_parse_kernel(const char *s);
/* Strict number parse: decimal or 0x-hex, whole string; false if bad. */
bool cmdline_parse_uint(const char *s, unsigned long long *out);

#endif
