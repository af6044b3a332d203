// SPDX-License-Identifier: MIT
/*
 * Getting a vCPU's attention from anywhere: wake its thread if it sleeps
 * halted, and IPI the CPU it runs on so it leaves guest mode (KVM's
 * kvm_vcpu_kick()). The bottom of the VM layer: it calls nothing above.
 */
#include "vmm/vcpu_kick.h"
#include "arch/x86/interrupts.h"
#include "arch/x86/lapic.h"
#include "kernel/percpu.h"
#include "kernel/platform.h"
#include "kernel/wait.h"

void vcpu_wake_up(struct vcpu *v)
{
	wake_up(&v->halt_wq);
}

void vcpu_kick(struct vcpu *v)
{
	int cpu;
	struct percpu *pc;

	/*
	 * A halted vCPU is not in guest mode: wake its thread (KVM's
	 * kvm_vcpu_kick() does the same). Its VMCS was cleared when the
	 * thread slept, so cpu reads -1 below and no IPI goes out.
	 */
	vcpu_wake_up(v);
	cpu = READ_ONCE(v->cpu);
	if (__atomic_load_n(&v->state, __ATOMIC_ACQUIRE) != VCPU_STATE_RUNNING ||
	    cpu < 0 || cpu == (int)plat_cpu_id())
		return;
	pc = per_cpu(cpu);
	if (pc)
		lapic_send_ipi(pc->apic_id, APIC_ICR_FIXED | VEC_VMX_KICK);
}

void guest_kick_all(struct guest *g)
{
	WRITE_ONCE(g->dead, true);
	smp_mb();	/* dead before the reads of where vCPUs run */
	for (unsigned int i = 0; i < g->nr_vcpus; i++)
		vcpu_kick(g->vcpus[i]);
}
