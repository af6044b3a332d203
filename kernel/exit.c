// SPDX-License-Identifier: MIT
/*
 * End of run (see kernel/exit.h). Every way out is tried in turn after the
 * chosen one, ending in a halt, so a misdetected machine still stops.
 */
#include "kernel/exit.h"
#include "arch/x86/acpi.h"
#include "arch/x86/cpu.h"
#include "arch/x86/smp.h"
#include "kernel/log.h"
#include "kernel/string.h"

enum exit_mode exit_mode = EXIT_AUTO;

static const char *const exit_mode_names[] = {
	[EXIT_AUTO] = "auto", [EXIT_QEMU] = "qemu", [EXIT_BOCHS] = "bochs",
	[EXIT_ACPI] = "acpi", [EXIT_HALT] = "halt",
};

bool exit_mode_parse(const char *s, enum exit_mode *mode)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(exit_mode_names); i++) {
		if (!strcmp(s, exit_mode_names[i])) {
			*mode = i;
			return true;
		}
	}
	return false;
}

const char *exit_mode_name(enum exit_mode mode)
{
	return mode < ARRAY_SIZE(exit_mode_names) ? exit_mode_names[mode] : "?";
}

enum exit_mode exit_mode_detect(void)
{
	u32 a, b, c, d;

	cpuid(1, &a, &b, &c, &d);
	if (c & BIT(31))		/* hypervisor present: QEMU or KVM */
		return EXIT_QEMU;
	if (!memcmp(acpi_info.oem_id, "BOCHS", 5))
		return EXIT_BOCHS;	/* Bochs reports no hypervisor bit */
	return EXIT_HALT;
}

static void bochs_shutdown(void)
{
	for (const char *p = "Shutdown"; *p; p++)
		outb(0x8900, *p);
}

__noreturn void kernel_exit(bool pass)
{
	enum exit_mode mode = exit_mode == EXIT_AUTO ? exit_mode_detect()
						     : exit_mode;

	smp_stop_other_cpus();
	log_raw("KTEST DONE: %s\n", pass ? "pass" : "fail");
	local_irq_disable();
	switch (mode) {
	case EXIT_QEMU:
		outb(0xf4, pass ? 0 : 1);
		acpi_poweroff();
		break;
	case EXIT_BOCHS:
		bochs_shutdown();
		acpi_poweroff();
		break;
	case EXIT_ACPI:
		acpi_poweroff();
		break;
	default:
		break;
	}
	log_raw("exit: halted (mode %s)\n", exit_mode_name(mode));
	for (;;)
		halt();
}
