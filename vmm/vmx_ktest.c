// SPDX-License-Identifier: MIT
/*
 * In-kernel tests of VMX enablement (vmx_init() at boot printed the
 * capability report and did VMXON on every CPU). Skipped (with the
 * reason) on a CPU without VMX, such as QEMU TCG, unless expect_vmx=1.
 */
#include "vmm/vcpu.h"
#include "vmm/vmx/vmx.h"
#include "vmm/vmx/vmx_caps.h"
#include "vmm/vmx/vmx_names.h"
#include "vmm/vmx/vmcs_fields.h"
#include "arch/x86/cpu.h"
#include "arch/x86/vmx.h"
#include "kernel/cmdline.h"
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

/*
 * vmx_init() ran at boot: VMX root operation on every online CPU. A CPU
 * without VMX, or whose VMX lacks something required, skips with the
 * reason vmx_init() recorded (it names the missing feature).
 */
KTEST(vmx, enabled_on_every_cpu)
{
	const char *why = vmx_unavailable_reason();

	if (why) {
		if (cmdline_expect_vmx)
			ktest_fail(t, __FILE__, __LINE__,
				   "expect_vmx=1 but %s", why);
		else
			ktest_skip(t, why);
		return;
	}
	KTEST_EXPECT(t, vmx_supported);
	KTEST_EXPECT(t, vmx_ready);
	KTEST_EXPECT(t, vmx_caps.proc2_ctl & CPU2_ENABLE_EPT);
	KTEST_EXPECT(t, vmx_caps.proc2_ctl & CPU2_ENABLE_VPID);
	KTEST_EXPECT(t, vmx_caps.proc2_ctl & CPU2_UNRESTRICTED_GUEST);
	KTEST_EXPECT(t, vmx_caps.pin_ctl & PIN_PREEMPTION_TIMER);
	for (unsigned int cpu = 0; cpu < plat_nr_cpus(); cpu++)
		KTEST_EXPECT(t, vmx_cpus[cpu].on);
	KTEST_EXPECT(t, read_cr4() & X86_CR4_VMXE);
}
