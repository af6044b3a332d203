/* SPDX-License-Identifier: MIT */
/* How a guest ends, and its console (vmm/guest_report.c). */
#ifndef VMM_GUEST_REPORT_H
#define VMM_GUEST_REPORT_H

#include "vmm/guest.h"

/*
 * Stop the whole guest (triple fault, fatal exit): records @why in
 * g->report, kicks vCPUs running on other CPUs out of guest mode; each
 * stops at its next exit. Other guests go on.
 */
void guest_kill(struct guest *g, const char *why);
/* The same, recording the basic exit reason that killed it. */
void guest_kill_on_exit(struct guest *g, u32 exit_reason, const char *why);
/* Append guest console bytes; whole lines go to the host log. */
void guest_console_write(struct guest *g, const char *s, size_t len);
/* Stop every vCPU of @g at its next exit (HC_EXIT, port 0xf4). */
void guest_exit(struct guest *g, u64 status);

#endif
