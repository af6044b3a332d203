/* SPDX-License-Identifier: MIT */
/*
 * What device models ask of the VM they sit in: the VM layer (vmm/guest_report.c)
 * implements these, so vmm/dev/ includes nothing above it.
 */
#ifndef VMM_DEV_DEV_HOST_H
#define VMM_DEV_DEV_HOST_H

#include "kernel/compiler.h"

struct guest;

/* Append bytes to the guest's console line (whole lines go to the log). */
void guest_console_write(struct guest *g, const char *s, size_t len);
/* Stop the whole guest, recording @why. */
void guest_kill(struct guest *g, const char *why);
/* The guest ended itself with @status (0 = pass). */
void guest_exit(struct guest *g, u64 status);

/*
 * An interrupt message from a device (the IOAPIC) to the LAPICs that
 * @dest names (physical or @logical), with delivery mode @dm (APIC_DM_*);
 * @level marks a level-triggered vector, whose EOI comes back to the
 * IOAPIC.
 */
void guest_apic_deliver(struct guest *g, u32 dest, bool logical,
			unsigned int dm, u8 vector, bool level);

#endif
