/* SPDX-License-Identifier: MIT */
/*
 * Guests from the boot modules: every Multiboot2 module whose command line
 * has "name=" is a guest (vmm/loader/guest_cmdline.h). The in-kernel test
 * "guests.modules" parses, creates, loads and starts all of them, waits
 * for all with each guest's timeout, and prints one KTAP subtest result
 * per guest (the boot judge turns them into "guests.modules.NAME" lines):
 *
 *       # Subtest: guests.modules
 *       KTAP version 1
 *       1..3
 *       ok 1 hello
 *       not ok 2 badopt
 *       ...
 *   ok N guests.modules          (not ok when any guest failed)
 *
 * A guest passes when it ended as its expect= option says, with no failed
 * result and as many results as its plan; a guest that never reports,
 * hangs, or dies unexpectedly fails. Bad input (an unparsable command
 * line, an image that is neither ELF64 nor Multiboot, too much memory, too
 * many vCPUs, a second guest of a name: "NAME(2)") fails that guest only,
 * with a message naming the problem; the others still run.
 *
 * A "module_for=NAME [-- STRING]" module is the next Multiboot module of
 * guest NAME (vmm/loader/mb1_layout.h places them). One that no guest
 * takes - no such name, or a bad module line ("moduleN") - is a failed
 * entry of its own, named after the guest it asked for.
 */
#ifndef VMM_VMM_BOOT_H
#define VMM_VMM_BOOT_H

#include "kernel/types.h"

struct guest;

/* Slack kept free for the host when sizing a guest, in pages. */
#define VMM_BOOT_HOST_RESERVE_PAGES	1024


#endif
