/* SPDX-License-Identifier: MIT */
/*
 * Ending a run: final marker on the console, then the way out that the
 * machine understands (exit=qemu|bochs|acpi|halt|auto on the command line).
 *
 *   qemu   isa-debug-exit at port 0xf4: 0 for pass (QEMU exits 1), 1 for
 *          fail (QEMU exits 3)
 *   bochs  the "Shutdown" string on port 0x8900 (Bochs exits 1)
 *   acpi   ACPI soft power-off (PM1a_CNT, SLP_TYP from \_S5)
 *   halt   stop every CPU and halt (real hardware)
 *   auto   QEMU/KVM when CPUID reports a hypervisor, Bochs when the ACPI
 *          OEM id is BOCHS without one, otherwise halt
 */
#ifndef KERNEL_EXIT_H
#define KERNEL_EXIT_H

#include "kernel/compiler.h"

enum exit_mode {
	EXIT_AUTO,
	EXIT_QEMU,
	EXIT_BOCHS,
	EXIT_ACPI,
	EXIT_HALT,
};

extern enum exit_mode exit_mode;

/* Parse a mode name; false if unknown. */
bool exit_mode_parse(const char *s, enum exit_mode *mode);
const char *exit_mode_name(enum exit_mode mode);
/* What EXIT_AUTO resolves to on this machine. */
enum exit_mode exit_mode_detect(void);

/* Print "KTEST DONE: pass|fail", stop all CPUs and end the run. */
__noreturn void kernel_exit(bool pass);

#endif
