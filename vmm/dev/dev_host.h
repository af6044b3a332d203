/* SPDX-License-Identifier: MIT */
/*
 * What device models ask of the VM they sit in: the VM layer implements
 * these (vmm/guest_report.c, vmm/guest_irq.c, vmm/guest_timer.c), so
 * vmm/dev/ includes nothing above it. All may be called from any vCPU or
 * host thread, with no device lock held.
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
 * Drive interrupt line @gsi (0-15: the ISA IRQs) to @level: true is
 * asserted. An edge-triggered device pulses it (true, then false).
 */
void guest_set_irq(struct guest *g, unsigned int gsi, bool level);
/* The PIC's INT output rose: the vCPU taking ExtINT (vCPU 0) is to look. */
void guest_pic_intr_raised(struct guest *g);
/*
 * A timed device (PIT, RTC) changed when it next needs the clock: the
 * guest's timer thread re-reads every device's deadline now.
 */
void guest_timer_changed(struct guest *g);

/*
 * An interrupt message from a device (the IOAPIC) to the LAPICs that
 * @dest names (physical or @logical), with delivery mode @dm (APIC_DM_*);
 * @level marks a level-triggered vector, whose EOI comes back to the
 * IOAPIC.
 */
void guest_apic_deliver(struct guest *g, u32 dest, bool logical,
			unsigned int dm, u8 vector, bool level);

#endif
