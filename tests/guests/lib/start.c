// SPDX-License-Identifier: MIT
/*
 * Test-guest start-up: vCPU 0 runs main(), the others secondary_main();
 * the guest ends when main() returns and the secondaries are back (or a
 * bounded wait for them ran out, which is a failure).
 */
#include "tests/guests/lib/guest.h"

/* TSC ticks vCPU 0 waits for the secondaries (Bochs: instructions). */
#define SECONDARY_WAIT_TICKS	4000000000ULL

const struct hv_boot_info *boot_info;
static u32 nr_secondaries_done;

__attribute__((weak)) void secondary_main(unsigned int vcpu)
{
}

unsigned int this_vcpu(void)
{
	u64 rsp, top = boot_info->mem_size;

	asm volatile("mov %%rsp, %0" : "=r"(rsp));
	if (top > (1ULL << 30))
		top = 1ULL << 30;
	return (top - rsp) / HV_STACK_SIZE;
}

__noreturn void hc_exit(u64 status)
{
	hypercall1(HC_EXIT, status);
	/* Not reached with a working host; the exit port is the fallback. */
	outb(HV_PORT_EXIT, status);
	for (;;)
		asm volatile("cli; hlt");
}

void secondary_gone(void)
{
	__atomic_fetch_add(&nr_secondaries_done, 1, __ATOMIC_RELEASE);
}

static __noreturn void park(void)
{
	for (;;)
		asm volatile("cli; hlt");
}

static void wait_for_secondaries(void)
{
	u32 want = boot_info->nr_vcpus - 1;
	u64 t0 = rdtsc();

	while (READ_ONCE(nr_secondaries_done) < want) {
		if (rdtsc() - t0 > SECONDARY_WAIT_TICKS) {
			ktap_result(false, "secondaries_finish");
			ktap_diag("only %u of %u secondary vCPUs came back",
				  READ_ONCE(nr_secondaries_done), want);
			return;
		}
		cpu_relax();
	}
}

__noreturn void guest_start(u64 index, const struct hv_boot_info *bi)
{
	int status;

	boot_info = bi;
	idt_install();
	if (bi->magic != HV_BOOT_MAGIC) {
		uart_puts("guest: bad boot-information magic\n");
		hc_exit(2);
	}
	if (index) {
		secondary_main(index);
		__atomic_fetch_add(&nr_secondaries_done, 1, __ATOMIC_RELEASE);
		park();
	}
	status = main();
	wait_for_secondaries();
	if (ktap_nr_failed() && !status)
		status = 1;
	hc_exit(status);
}
