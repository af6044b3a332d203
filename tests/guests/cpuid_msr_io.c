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

/*
 * Memory-mapped I/O where nothing is: GPA 512 MiB, mapped at the same
 * address in our page tables, is outside guest memory, so each access is an
 * EPT violation the host emulates on the device bus: reads give all ones
 * of their width (a 32-bit load zero-extends, byte and word loads merge),
 * writes are dropped, and the guest goes on.
 */
static void test_mmio_nothing_there(void)
{
	volatile u8 *p = (volatile u8 *)(uintptr_t)0x20000000;
	u64 l = 0xaaaaaaaaaaaaaaaaULL, w = 0x1122334455667788ULL;
	u64 h = 0x1234, z = 0, q = 0;
	bool ok = true;

	map_2m_identity(0x20000000);
	ok &= EXPECT_EQ(*(volatile u32 *)p, 0xffffffffu);
	ok &= EXPECT_EQ(*(volatile u64 *)(p + 8), ~0ULL);
	ok &= EXPECT_EQ(*(volatile u16 *)(p + 2), 0xffff);
	ok &= EXPECT_EQ(p[5], 0xff);
	*(volatile u32 *)p = 0x12345678;
	p[1] = 0;
	ok &= EXPECT_EQ(*(volatile u32 *)p, 0xffffffffu);
	asm volatile("movl (%1), %k0" : "+r"(l) : "r"(p) : "memory");
	ok &= EXPECT_EQ(l, 0xffffffffULL);
	asm volatile("movw (%1), %w0" : "+r"(w) : "r"(p) : "memory");
	ok &= EXPECT_EQ(w, 0x112233445566ffffULL);
	asm volatile("movb (%1), %h0" : "+Q"(h) : "r"(p) : "memory");
	ok &= EXPECT_EQ(h, 0xff34);
	asm volatile("movzbl 3(%1), %k0" : "=r"(z) : "r"(p) : "memory");
	ok &= EXPECT_EQ(z, 0xff);
	asm volatile("movq $-2, (%1); movq (%1), %0" : "=r"(q) : "r"(p) :
		     "memory");
	ok &= EXPECT_EQ(q, ~0ULL);
	ktap_result(ok, "mmio_to_nothing_reads_all_ones_drops_writes");
}

int main(void)
{
	ktap_plan(10);
	test_cpuid();
	test_msrs();
	test_uart();
	test_mmio_nothing_there();
	if (ktap_nr_failed())
		return 1;
	/* Status 0 through the port, as QEMU's isa-debug-exit takes it. */
	outb(HV_PORT_EXIT, 0);
	ktap_result(false, "exit_port_ends_the_guest");
	return 1;
}
