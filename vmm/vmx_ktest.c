// SPDX-License-Identifier: MIT
/*
 * In-kernel tests of VMX enablement. Until kernel/main.c calls vmm_init(),
 * these are the only callers of the detection code: they print the
 * capability report and enter VMX root operation on the BSP. Skipped (with
 * the reason) on a CPU without VMX, such as QEMU TCG.
 */
#include "vmm/vmx.h"
#include "vmm/vmx_caps.h"
#include "vmm/vmx_names.h"
#include "vmm/vmcs_fields.h"
#include "arch/x86/cpu.h"
#include "arch/x86/vmx.h"
#include "kernel/ktest.h"
#include "kernel/platform.h"
#include "kernel/string.h"

KTEST(vmx, tables)
{
	KTEST_EXPECT(t, !strcmp(vmx_exit_reason_name(18), "VMCALL"));
	KTEST_EXPECT(t, !strcmp(vmx_exit_reason_name(48), "EPT_VIOLATION"));
	KTEST_EXPECT(t, !strcmp(vmx_exit_reason_name(35), "?"));
	KTEST_EXPECT(t, !strcmp(vmcs_field_name(0x681e), "GUEST_RIP"));
	KTEST_EXPECT(t, !strcmp(vmcs_field_name(0x1234), "?"));
	KTEST_EXPECT(t, !strcmp(vmx_insn_error_name(7),
				"VM entry with invalid control field(s)"));
	KTEST_EXPECT_EQ(t, GUEST_RIP, 0x681e);
}

KTEST(vmx, enable_bsp)
{
	u32 a, b, c, d;

	cpuid(1, &a, &b, &c, &d);
	if (!(c & CPUID_1_ECX_VMX)) {
		ktest_skip(t, "no VMX on this CPU (QEMU TCG); run under Bochs");
		return;
	}
	t->allow_leak = true;	/* the VMXON region stays for the CPU */
	KTEST_EXPECT_EQ(t, vmx_caps_probe(), 0);
	if (!vmx_supported)
		return;
	KTEST_EXPECT(t, vmx_caps.proc2_ctl & CPU2_ENABLE_EPT);
	KTEST_EXPECT(t, vmx_caps.proc2_ctl & CPU2_UNRESTRICTED_GUEST);
	vmx_cpu_enable(NULL);
	KTEST_EXPECT(t, vmx_cpus[plat_cpu_id()].on);
	KTEST_EXPECT(t, read_cr4() & X86_CR4_VMXE);
}
