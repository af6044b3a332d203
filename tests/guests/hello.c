// SPDX-License-Identifier: MIT
/* hello: the smallest test guest - one vCPU prints over both consoles
 * and checks what the loader handed it. */
#include "tests/guests/lib/guest.h"

int main(void)
{
	ktap_plan(3);
	printf("hello from guest '%s' (id %u): %u vCPU(s), %llu KiB\n",
	       boot_info->name, boot_info->guest_id, boot_info->nr_vcpus,
	       (unsigned long long)(boot_info->mem_size >> 10));
	uart_printf("hello over the UART\n");
	ktap_result(boot_info->magic == HV_BOOT_MAGIC &&
		    !strcmp(boot_info->name, "hello"), "boot_info");
	ktap_result(EXPECT_EQ(this_vcpu(), 0), "vcpu0_runs_main");
	ktap_result(EXPECT(hc_vcpu_info() >= 0), "vcpu_info_hypercall");
	return 0;
}
