/* SPDX-License-Identifier: MIT */
/*
 * A guest's timer thread (vmm/guest_timer.c): runs the deadlines of its
 * timed devices (the PIT's IRQ 0, the RTC's flags and IRQ 8).
 */
#ifndef VMM_GUEST_TIMER_H
#define VMM_GUEST_TIMER_H

#include "vmm/guest.h"

/* Start it (guest_start); -ENOMEM without a thread. */
int guest_timer_start(struct guest *g);
/* Stop it and wait until it has (guest_destroy; no-op if never started). */
void guest_timer_stop(struct guest *g);

#endif
