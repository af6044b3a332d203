// SPDX-License-Identifier: MIT
/*
 * EPT violations: the TDP MMU (vmm/tdp_kernel.c) maps guest memory on
 * fault; what it cannot map is not guest memory, and that guest dies with
 * a message naming the GPA (KVM would exit to userspace with -EFAULT;
 * here the host is that userspace). Other guests go on.
 */
#include "vmm/ept.h"
#include "vmm/vcpu.h"
#include "kernel/log.h"

int ept_handle_violation(struct vcpu *vcpu, u64 gpa, u64 qual)
{
	char why[112];
	int r = tdp_mmu_handle_ept_violation(vcpu, gpa, qual);

	if (r > 0)
		return 1;
	if (r == -1)
		return 0;	/* already killed, with its own reason */
	ksnprintf(why, sizeof(why),
		  "EPT violation at gpa %#lx (qual %#lx, %s%s%s) %s", gpa, qual,
		  qual & 1 ? "R" : "", qual & 2 ? "W" : "", qual & 4 ? "X" : "",
		  r == -2 ? "above the guest physical address width"
			  : "outside every memslot");
	guest_kill(vcpu->guest, why);
	return 0;
}
