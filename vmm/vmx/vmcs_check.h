/* SPDX-License-Identifier: MIT */
/*
 * Software re-check of the VM-entry guest-state rules (SDM Vol. 3,
 * "Checks on the Guest State Area"). Hardware only says that some check
 * failed; this names the one(s) that do, from a table of rules.
 */
#ifndef VMM_VMCS_CHECK_H
#define VMM_VMCS_CHECK_H

/* Check the current VMCS; log every failing rule. Returns their number. */
int vmcs_check_guest_state(void);

#endif
