// SPDX-License-Identifier: MIT
/*
 * The VMX capability MSRs L1 reads (nested_caps.h): the host's allowed
 * settings, masked to what nested VMX emulates. Pure.
 */
#include "vmm/nested/nested_caps.h"
#include "vmm/nested/vmcs12.h"
#include "vmm/vmx/vmx_caps.h"
#include "arch/x86/cpu.h"
#include "arch/x86/vmx.h"

/*
 * The controls nested VMX emulates for L2, per word (allowed-1 bits
 * beyond default1): each of these either changes only what VMCS02 does
 * (L0 ORs it into its own controls) or is one whose exits L0 reflects to
 * L1 (vmm/nested/). Nothing else may be set in a VMCS12.
 */
#define NESTED_PIN_EMULATED						\
	(PIN_EXT_INTR_EXITING | PIN_NMI_EXITING | PIN_VIRTUAL_NMIS)
#define NESTED_PROC_EMULATED						\
	(CPU_INTR_WINDOW_EXITING | CPU_USE_TSC_OFFSETTING |		\
	 CPU_HLT_EXITING | CPU_INVLPG_EXITING | CPU_MWAIT_EXITING |	\
	 CPU_RDPMC_EXITING | CPU_RDTSC_EXITING | CPU_CR3_LOAD_EXITING |	\
	 CPU_CR3_STORE_EXITING | CPU_CR8_LOAD_EXITING |			\
	 CPU_CR8_STORE_EXITING | CPU_NMI_WINDOW_EXITING |		\
	 CPU_MOV_DR_EXITING | CPU_UNCOND_IO_EXITING |			\
	 CPU_USE_IO_BITMAPS | CPU_USE_MSR_BITMAPS |			\
	 CPU_MONITOR_EXITING | CPU_PAUSE_EXITING | CPU_SECONDARY_CONTROLS)
#define NESTED_PROC2_EMULATED						\
	(CPU2_ENABLE_EPT | CPU2_ENABLE_VPID | CPU2_UNRESTRICTED_GUEST |	\
	 CPU2_ENABLE_RDTSCP | CPU2_WBINVD_EXITING)
/*
 * Save/load debug controls are default1 in the non-TRUE MSRs, so they must
 * be allowed-1 in the TRUE ones too (SDM A.2: the allowed-1 halves are
 * the same); nested_run.c / nested_vmexit.c load and save DR7/DEBUGCTL.
 */
#define NESTED_EXIT_EMULATED						\
	(EXIT_HOST_ADDR_SPACE_SIZE | EXIT_SAVE_DEBUG_CONTROLS |		\
	 EXIT_SAVE_PAT | EXIT_LOAD_PAT | EXIT_SAVE_EFER | EXIT_LOAD_EFER)
#define NESTED_ENTRY_EMULATED						\
	(ENTRY_IA32E_MODE_GUEST | ENTRY_LOAD_DEBUG_CONTROLS |		\
	 ENTRY_LOAD_PAT | ENTRY_LOAD_EFER)

/*
 * EPT and VPID: 4-level walks of write-back or uncached tables, INVEPT
 * and INVVPID of every type. Not offered: execute-only entries, 2M/1G
 * leaves in EPT12, accessed/dirty flags (the shadow EPT does not model
 * them).
 */
#define NESTED_EPT_VPID_EMULATED					\
	(EPT_CAP_PWL4 | EPT_CAP_MEMTYPE_UC | EPT_CAP_MEMTYPE_WB |	\
	 EPT_CAP_INVEPT | EPT_CAP_INVEPT_SINGLE | EPT_CAP_INVEPT_ALL |	\
	 VPID_CAP_INVVPID | VPID_CAP_INVVPID_ADDR |			\
	 VPID_CAP_INVVPID_SINGLE | VPID_CAP_INVVPID_ALL |		\
	 NESTED_VPID_CAP_INVVPID_SINGLE_NONGLOBAL)
#define NESTED_VPID_CAP_INVVPID_SINGLE_NONGLOBAL	BIT(43)

/* MISC: bit 5, an exit stores EFER.LMA in the IA-32e-mode entry control. */
#define VMX_MISC_EXIT_STORES_LMA	BIT(5)

static u64 ctl_msr(u32 default1, u32 emulated, u64 host_msr)
{
	u32 may = default1 | (emulated & (u32)(host_msr >> 32));

	return (u64)may << 32 | default1;
}

void nested_vmx_setup_msrs(const struct vmx_caps *host, u64 cr4_allowed,
			   unsigned int max_field_index,
			   struct nested_vmx_msrs *m)
{
	m->basic = VMCS12_REVISION | (u64)VMCS12_SIZE << 32 |
		   VMX_BASIC_MEMTYPE_WB | (host->basic & VMX_BASIC_INOUT) |
		   VMX_BASIC_TRUE_CTLS;
	m->true_pinbased_ctls = ctl_msr(NESTED_PIN_DEFAULT1,
					NESTED_PIN_EMULATED, host->pin_msr);
	m->pinbased_ctls = m->true_pinbased_ctls;
	m->true_procbased_ctls = ctl_msr(NESTED_PROC_TRUE_DEFAULT1,
					 NESTED_PROC_EMULATED, host->proc_msr);
	m->procbased_ctls = m->true_procbased_ctls | NESTED_PROC_DEFAULT1 |
			    (u64)NESTED_PROC_DEFAULT1 << 32;
	m->procbased_ctls2 = (u64)(NESTED_PROC2_EMULATED &
				   (u32)(host->proc2_msr >> 32)) << 32;
	m->true_exit_ctls = ctl_msr(NESTED_EXIT_TRUE_DEFAULT1,
				    NESTED_EXIT_EMULATED, host->exit_msr);
	m->exit_ctls = m->true_exit_ctls | NESTED_EXIT_DEFAULT1 |
		       (u64)NESTED_EXIT_DEFAULT1 << 32;
	m->true_entry_ctls = ctl_msr(NESTED_ENTRY_TRUE_DEFAULT1,
				     NESTED_ENTRY_EMULATED, host->entry_msr);
	m->entry_ctls = m->true_entry_ctls | NESTED_ENTRY_DEFAULT1 |
			(u64)NESTED_ENTRY_DEFAULT1 << 32;
	/*
	 * No CR3-target values, no HLT/shutdown/wait-for-SIPI activity
	 * states, 512-entry MSR lists, no VMWRITE to exit-information
	 * fields; the preemption-timer rate is the host's.
	 */
	m->misc = (host->misc & (VMX_MISC_EXIT_STORES_LMA | 0x1f));
	m->cr0_fixed0 = host->cr0_fixed0;
	m->cr0_fixed1 = host->cr0_fixed1;
	m->cr4_fixed0 = host->cr4_fixed0;
	m->cr4_fixed1 = (cr4_allowed | X86_CR4_VMXE) & host->cr4_fixed1;
	m->vmcs_enum = (u64)max_field_index << 1;
	m->ept_vpid_cap = host->ept_vpid & NESTED_EPT_VPID_EMULATED;
}

bool nested_vmx_msr_get(const struct nested_vmx_msrs *m, u32 msr, u64 *val)
{
	switch (msr) {
#define NESTED_VMX_MSR_CASE(nr, member)					\
	case (nr):							\
		*val = m->member;					\
		return true;
	NESTED_VMX_MSRS(NESTED_VMX_MSR_CASE)
#undef NESTED_VMX_MSR_CASE
	}
	return false;
}

/* What nested VMX needs of the host beyond what L0 itself requires. */
#define NESTED_HOST_NEEDS(X)						\
	X(h->proc2_ctl & CPU2_ENABLE_EPT, "EPT")			\
	X(h->proc2_ctl & CPU2_ENABLE_VPID, "VPID")			\
	X(h->proc2_ctl & CPU2_UNRESTRICTED_GUEST, "unrestricted guest")	\
	X(h->ept_vpid & EPT_CAP_INVEPT_ALL, "INVEPT all-context")	\
	X(h->ept_vpid & VPID_CAP_INVVPID_ALL, "INVVPID all-context")	\
	X(h->pin_ctl & PIN_VIRTUAL_NMIS, "virtual NMIs")		\
	X((u32)(h->proc_msr >> 32) & CPU_NMI_WINDOW_EXITING,		\
	  "NMI-window exiting")						\
	X(h->basic & VMX_BASIC_TRUE_CTLS, "TRUE_* control MSRs")

const char *nested_vmx_host_lacks(const struct vmx_caps *h)
{
#define NESTED_HOST_NEED(cond, name)					\
	if (!(cond))							\
		return name;
	NESTED_HOST_NEEDS(NESTED_HOST_NEED)
#undef NESTED_HOST_NEED
	return NULL;
}
