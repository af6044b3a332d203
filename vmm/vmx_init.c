// SPDX-License-Identifier: MIT
/*
 * VMX at boot: the capability report once, then VMXON on every online
 * CPU. Without VMX (QEMU TCG) or with a missing requirement the report
 * says why, the hypervisor runs no guests, and the kernel's other tests go
 * on; the VMX tests then skip with vmx_unavailable_reason() - unless the
 * command line says expect_vmx=1 (the Bochs configurations), where a
 * missing VMX is a failure.
 */
#include "vmm/vcpu.h"
#include "vmm/vmx.h"
#include "vmm/vmx_caps.h"
#include "arch/x86/interrupts.h"
#include "arch/x86/smp.h"
#include "kernel/cmdline.h"
#include "kernel/log.h"
#include "kernel/platform.h"

bool vmx_ready;
static const char *vmx_why_not = "vmx_init() has not run";

/*
 * The kick IPI only has to make a CPU in guest mode exit (external-
 * interrupt exiting); the run loop then sees the request. Nothing to do
 * in the handler itself.
 */
static void vmx_kick_interrupt(struct exception_frame *frame)
{
}

void vmx_init(void)
{
	unsigned int cpu, nr = plat_nr_cpus(), nr_on = 0;

	if (vmx_caps_probe()) {
		vmx_why_not = "VMX missing or unusable on this CPU (see the "
			      "vmx: report; QEMU TCG has none, Bochs does)";
		goto out;
	}
	irq_register(VEC_VMX_KICK, vmx_kick_interrupt);
	for (cpu = 0; cpu < nr; cpu++) {
		if (smp_call_on_cpu(cpu, vmx_cpu_enable, NULL, true))
			pr_err("vmx: cpu%u is not online\n", cpu);
		else if (READ_ONCE(vmx_cpus[cpu].on))
			nr_on++;
	}
	if (nr_on != nr) {
		pr_err("vmx: VMXON worked on %u of %u CPUs; no guests will "
		       "run\n", nr_on, nr);
		vmx_why_not = "VMXON failed on some CPU (see the log)";
		goto out;
	}
	pr_info("vmx: VMX root operation on all %u CPUs\n", nr);
	vmx_why_not = NULL;
	WRITE_ONCE(vmx_ready, true);
out:
	if (!vmx_ready && cmdline_expect_vmx)
		pr_err("vmx: expect_vmx=1 but %s\n", vmx_why_not);
}

const char *vmx_unavailable_reason(void)
{
	return READ_ONCE(vmx_ready) ? NULL : vmx_why_not;
}
