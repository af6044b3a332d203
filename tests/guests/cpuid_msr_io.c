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
	cpuid(HV_CPUID_TIMING, 0, &a, &b, &c, &d);
	ktap_diag("timing leaf: TSC %u kHz, APIC timer %u kHz", a, b);
	ktap_result(EXPECT(a >= 1000) && EXPECT_EQ(b, a) && EXPECT_EQ(c, 0),
		    "cpuid_timing_leaf_tsc_and_apic_khz");
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

#define MSR_TSC_ADJUST		0x3b
#define CR4_PCIDE		(1ULL << 17)
#define CR4_OSXSAVE		(1ULL << 18)
#define CR4_VMXE		(1ULL << 13)
#define CR4_PAE			(1ULL << 5)

static int write_cr4_safe(u64 val)
{
	exception_take();
	asm volatile(ASM_SAFE("mov %0, %%cr4") :: "r"(val) : "memory");
	return exception_take();
}

static u64 read_cr4(void)
{
	u64 v;

	asm volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}

/*
 * A TSC write moves the guest's TSC (and IA32_TSC_ADJUST by the same
 * delta); an IA32_TSC_ADJUST write moves the TSC (SDM 17.17.3).
 */
static void test_tsc_write(void)
{
	u64 t = 0, adj = 0;
	int e;

	e = wrmsr_safe(MSR_TSC, 1ULL << 40);
	t = rdtsc();
	rdmsr_safe(MSR_TSC_ADJUST, &adj);
	ktap_result(EXPECT_EQ(e, -1) && EXPECT(t >= 1ULL << 40) &&
		    EXPECT(t < (1ULL << 40) + (1ULL << 36)) &&
		    EXPECT((s64)adj > 0), "wrmsr_tsc_moves_tsc_and_adjust");
	e = wrmsr_safe(MSR_TSC_ADJUST, adj - (1ULL << 39));
	t = rdtsc();
	ktap_result(EXPECT_EQ(e, -1) && EXPECT(t >= 1ULL << 39) &&
		    EXPECT(t < (1ULL << 40)), "wrmsr_tsc_adjust_moves_tsc");
}

static void test_cr4_rules(void)
{
	u64 cr4 = read_cr4();

	ktap_result(EXPECT_EQ(write_cr4_safe(cr4 | CR4_VMXE), X86_GP) &&
		    EXPECT_EQ(write_cr4_safe(cr4 | CR4_OSXSAVE), X86_GP) &&
		    EXPECT_EQ(write_cr4_safe(cr4 | (1ULL << 31)), X86_GP) &&
		    EXPECT_EQ(write_cr4_safe(cr4 & ~CR4_PAE), X86_GP) &&
		    EXPECT_EQ(read_cr4(), cr4), "cr4_reserved_and_illegal_bits_gp");
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
	ktap_plan(14);
	test_cpuid();
	test_msrs();
	test_tsc_write();
	test_cr4_rules();
	test_uart();
	test_mmio_nothing_there();
	if (ktap_nr_failed())
		return 1;
	/* Status 0 through the port, as QEMU's isa-debug-exit takes it. */
	outb(HV_PORT_EXIT, 0);
	ktap_result(false, "exit_port_ends_the_guest");
	return 1;
}
