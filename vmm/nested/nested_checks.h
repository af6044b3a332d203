/* SPDX-License-Identifier: MIT */
/*
 * The checks VMLAUNCH/VMRESUME make of a VMCS12 (SDM vol. 3, 26.2 and
 * 26.3, 26.4 for the VM-entry MSR-load list), in the SDM's groups: the
 * VM-execution, exit and entry controls (a failure is VMfailValid(7)),
 * the host-state area (VMfailValid(8)), the guest-state area (a VM-entry
 * failure: exit reason 33 with bit 31, qualification 0, or 4 for the
 * VMCS link pointer) and the MSR-load list (exit reason 34, the
 * qualification the 1-based index of the entry that failed).
 *
 * Each check has a name; a failure says which (nested_check_result.what),
 * so the log names the rule L1 broke and the hosted test
 * (tests/host/test_nested_checks.c) breaks each one on its own. Pure.
 */
#ifndef VMM_NESTED_NESTED_CHECKS_H
#define VMM_NESTED_NESTED_CHECKS_H

#include "vmm/nested/nested_vmx.h"

enum nested_check_class {
	NESTED_CHECK_OK,
	NESTED_CHECK_CONTROLS,		/* VMfailValid(7) */
	NESTED_CHECK_HOST,		/* VMfailValid(8) */
	NESTED_CHECK_GUEST,		/* VM-entry failure, exit 33 */
	NESTED_CHECK_MSR,		/* VM-entry failure, exit 34 */
};

struct nested_check_result {
	enum nested_check_class class;
	u32 qual;			/* the exit qualification (33, 34) */
	const char *what;		/* the rule that failed */
};

struct nested_check_env {
	const struct nested_vmx_msrs *msrs;
	unsigned int phys_bits;		/* L1's MAXPHYADDR */
	bool l1_lma;			/* L1 is in IA-32e mode */
	bool l1_x2apic;			/* L1's APIC is in x2APIC mode */
};

/* Exit qualifications of a guest-state failure (SDM 27.8). */
#define NESTED_ENTRY_FAIL_DEFAULT	0
#define NESTED_ENTRY_FAIL_VMCS_LINK	4

/* All groups in order; the first failure ends the checks. */
struct nested_check_result nested_vmx_check_vmcs12(const struct vmcs12 *vmcs12,
						   const struct nested_check_env *env,
						   const struct nested_l1_mem *mem);

/* Each group alone (the order above is controls, host, guest, MSRs). */
struct nested_check_result nested_check_controls(const struct vmcs12 *vmcs12,
						 const struct nested_check_env *env);
struct nested_check_result nested_check_host(const struct vmcs12 *vmcs12,
					     const struct nested_check_env *env);
struct nested_check_result nested_check_guest(const struct vmcs12 *vmcs12,
					      const struct nested_check_env *env,
					      const struct nested_l1_mem *mem);
struct nested_check_result nested_check_entry_msrs(const struct vmcs12 *vmcs12,
						   const struct nested_check_env *env,
						   const struct nested_l1_mem *mem);

#endif
