// SPDX-License-Identifier: MIT
/*
 * cpuid_msr_io: what the hypervisor shows and refuses - its CPUID leaf,
 * no VMX in CPUID, allowed and forbidden MSRs, the UART registers - and
 * an end through the exit port (0xf4) instead of the exit hypercall.
 */
#include "tests/guests/lib/guest.h"

#define MSR_TSC			0x10
#define MSR_FEATURE_CONTROL	0x3a
#define MSR_VMX_BASIC		0x480
#define MSR_EFER		0xc0000080
#define EFER_LMA		(1u << 10)
#define CPUID_1_ECX_VMX		(1u << 5)

static void test_cpuid(void)
{
	u32 a, b, c, d;
	char sig[13];

	cpuid(HV_CPUID_LEAF, 0, &a, &b, &c, &d);
	memcpy(sig, &b, 4);
	memcpy(sig + 4, &c, 4);
	memcpy(sig + 8, &d, 4);
	sig[12] = 0;
	ktap_diag("leaf %#x: max %#x, signature '%s'", HV_CPUID_LEAF, a, sig);
	ktap_result(EXPECT(!strcmp(sig, HV_CPUID_SIGNATURE)) &&
		    EXPECT(a >= HV_CPUID_LEAF), "cpuid_hypervisor_signature");
	cpuid(1, 0, &a, &b, &c, &d);
	ktap_result(EXPECT(!(c & CPUID_1_ECX_VMX)), "cpuid_hides_vmx");
}

static void test_msrs(void)
{
	u64 v = 0, t1 = 0;
	int e;

	e = rdmsr_safe(MSR_EFER, &v);
	ktap_result(EXPECT_EQ(e, -1) && EXPECT(v & EFER_LMA), "rdmsr_efer_long_mode");
	e = rdmsr_safe(MSR_TSC, &v);
	if (e == -1)
		e = rdmsr_safe(MSR_TSC, &t1);
	ktap_result(EXPECT_EQ(e, -1) && EXPECT(t1 > v), "rdmsr_tsc_advances");
	ktap_result(EXPECT_EQ(wrmsr_safe(MSR_FEATURE_CONTROL, 0), X86_GP),
		    "wrmsr_feature_control_gp");
	ktap_result(EXPECT_EQ(rdmsr_safe(MSR_VMX_BASIC, &v), X86_GP),
		    "rdmsr_vmx_basic_gp");
	ktap_result(EXPECT_EQ(rdmsr_safe(0x4b564dff, &v), X86_GP),
		    "rdmsr_unknown_gp");
}

static void test_uart(void)
{
	outb(HV_PORT_UART + 7, 0x5a);	/* scratch register */
	ktap_result(EXPECT_EQ(inb(HV_PORT_UART + 7), 0x5a), "uart_scratch");
	ktap_result(EXPECT(inb(HV_PORT_UART + 5) & 0x20), "uart_lsr_thr_empty");
	uart_printf("cpuid_msr_io: this line came through the UART\n");
}

int main(void)
{
	ktap_plan(9);
	test_cpuid();
	test_msrs();
	test_uart();
	if (ktap_nr_failed())
		return 1;
	/* Status 0 through the port, as QEMU's isa-debug-exit takes it. */
	outb(HV_PORT_EXIT, 0);
	ktap_result(false, "exit_port_ends_the_guest");
	return 1;
}
