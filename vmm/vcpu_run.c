// SPDX-License-Identifier: MIT
/*
 * vCPU: loading a VMCS on a host CPU, and the run loop.
 *
 * A VMCS is active on at most one CPU at a time. vcpu_load() makes it
 * current on the calling CPU (VMPTRLD); when it was last active on another
 * CPU, that CPU VMCLEARs it first (vcpu_vmcs_clear(), by IPI), and the
 * host-state area is rewritten for the new CPU (TR, GDT, IDT, GS bases
 * differ per CPU). A VMCLEARed VMCS must be entered with VMLAUNCH again,
 * which is what v->launched tracks (KVM's loaded_vmcs_clear() scheme).
 * A vCPU thread that is switched out VMCLEARs its VMCS on the way out
 * (the sched-out notifier below), so the next load, on whatever CPU, is a
 * plain VMPTRLD and a VMLAUNCH; the IPI path serves a VMCS left active
 * elsewhere without a switch-out (a yielded slice).
 *
 * The fast path (a VMCALL or CPUID round trip) takes no lock, logs
 * nothing and reads only the VMCS fields its handler needs.
 */
#include "vmm/guest_report.h"
#include "vmm/vcpu_kick.h"
#include "vmm/vcpu_apf.h"
#include "vmm/vcpu_run.h"
#include "vmm/exit_codes.h"
#include "vmm/vcpu_irq.h"
#include "vmm/vcpu_lapic.h"
#include "vmm/vmcs_setup.h"
#include "vmm/exit_handlers.h"
#include "vmm/vcpu.h"
#include "vmm/vcpu_msrs.h"
#include "vmm/vcpu_nested.h"
#include "vmm/vmx/vmx.h"
#include "vmm/vmx/vmx_caps.h"
#include "vmm/vmx/vmx_names.h"
#include "vmm/vmx/vmcs_fields.h"
#include "vmm/vmx/vmcs_check.h"
#include "arch/x86/cpu.h"
#include "arch/x86/smp.h"
#include "arch/x86/vmx.h"
#include "kernel/log.h"
#include "kernel/platform.h"
#include "kernel/rcu.h"
#include "vmm/tdp_kernel.h"

/* Runs on the CPU where @arg's VMCS is active (or is the caller). */
static void vmcs_clear_local(void *arg)
{
	struct vcpu *v = arg;
	struct vmx_cpu *vc = &vmx_cpus[plat_cpu_id()];

	if (v->cpu != (int)plat_cpu_id())
		return;
	vcpu_msrs_save(v);
	if (vmclear(plat_virt_to_phys(v->vmcs)) != VMX_OK)
		vmx_report_insn_error("VMCLEAR");
	if (vc->loaded == v)
		vc->loaded = NULL;
	v->launched = false;
	WRITE_ONCE(v->cpu, -1);
}

void vcpu_vmcs_clear(struct vcpu *v)
{
	int cpu = READ_ONCE(v->cpu);

	if (cpu < 0)
		return;
	if (smp_call_on_cpu(cpu, vmcs_clear_local, v, true))
		pr_err("vmx: %s vcpu%u: CPU %d of its VMCS is offline\n",
		       v->guest->name, v->index, cpu);
}

static bool vcpu_load(struct vcpu *v)
{
	unsigned int cpu = plat_cpu_id();
	struct vmx_cpu *vc = &vmx_cpus[cpu];
	phys_addr_t pa = plat_virt_to_phys(v->vmcs);

	if (likely(vc->loaded == v))
		return true;
	if (v->cpu >= 0 && v->cpu != (int)cpu)
		vcpu_vmcs_clear(v);
	if (!v->initialised) {
		*(u32 *)v->vmcs = vmx_caps.revision;
		if (vmclear(pa) != VMX_OK) {
			pr_err("vmx: %s vcpu%u: VMCLEAR of a fresh VMCS "
			       "failed\n", v->guest->name, v->index);
			return false;
		}
	}
	if (vmptrld(pa) != VMX_OK) {
		vmx_report_insn_error("VMPTRLD");
		return false;
	}
	vc->loaded = v;
	if (v->cpu != (int)cpu) {
		/* Arriving cleared (or fresh): this CPU's host state. */
		if (v->initialised && v->last_cpu != (int)cpu)
			v->nr_migrations++;
		v->last_cpu = cpu;
		vmx_write_host_state();
		WRITE_ONCE(v->cpu, (int)cpu);
		vcpu_mmu_flush_current(v);
	}
	if (!v->initialised) {
		vmcs_setup(v);
		v->initialised = true;
	}
	vcpu_msrs_switch_to(v);
	return true;
}

/*
 * Nested VMX's VMCS01/VMCS02 switch (vmm/nested/nested_run.c): @vmcs
 * becomes the vCPU's VMCS, loaded here; the one left is VMCLEARed first,
 * so at most one of them is ever active and every rule above (one CPU,
 * v->cpu, v->launched, the sched notifiers) holds for whichever is
 * current. The new one is entered with VMLAUNCH. Run loop only.
 */
bool vcpu_switch_vmcs(struct vcpu *v, void *vmcs)
{
	unsigned long flags = local_irq_save();
	bool ok;

	vmcs_clear_local(v);
	v->vmcs = vmcs;
	ok = vcpu_load(v);
	local_irq_restore(flags);
	return ok;
}

static void vcpu_entry_insn_failed(struct vcpu *v)
{
	char why[96];
	u64 err = 0;

	vmread_checked(VM_INSTRUCTION_ERROR, &err);
	pr_err("vmx: %s vcpu%u: %s failed: VM-instruction error %lu: %s\n",
	       v->guest->name, v->index, v->launched ? "VMRESUME" : "VMLAUNCH",
	       err, vmx_insn_error_name((u32)err));
	vmcs_check_guest_state();
	ksnprintf(why, sizeof(why), "%s failed: %s",
		  v->launched ? "VMRESUME" : "VMLAUNCH",
		  vmx_insn_error_name((u32)err));
	guest_kill(v->guest, why);
}

int vcpu_run_slice(struct vcpu *v)
{
	struct guest *g = v->guest;
	int r;

	if (!vcpu_load(v)) {
		guest_kill(g, "its VMCS cannot be loaded");
		r = VCPU_STOP;
		goto out;
	}
	v->in_slice = true;
	/* A fresh slice; the timer value is saved across exits within it. */
	vmwrite(VMX_PREEMPTION_TIMER_VALUE,
		v->slice_ticks ? v->slice_ticks : vcpu_slice_ticks);
	v->slice_end_tsc = 0;
	for (;;) {
		if (need_resched() || READ_ONCE(v->requests)) {
			r = VCPU_YIELD;
			break;
		}
		/* INIT/SIPI from another vCPU, or waiting for a SIPI. */
		if (unlikely(READ_ONCE(v->lapic.pending_events) ||
			     v->mp_state != VCPU_MP_RUNNABLE)) {
			r = vcpu_lapic_accept_events(v);
			if (r != VCPU_RESUME)
				break;
		}
		/*
		 * A root invalidated meanwhile is dropped here and a fresh one
		 * loaded, without waiting for the old one's zap. One that goes
		 * stale after this check is still safe to enter: the vCPU's
		 * reference keeps it alive and its zap flushes this CPU, and
		 * the next EPT violation retries and comes back here.
		 */
		if (vcpu_mmu_needs_reload(v) && vcpu_mmu_reload(v)) {
			guest_kill(g, "no host memory for a TDP MMU root");
			r = VCPU_STOP;
			break;
		}
		/* L2 next (VMCS02 current): its EPT02, L1's interrupts. */
		if (unlikely(vcpu_in_guest_mode(v))) {
			r = nested_vmx_before_entry(v);
			if (r != VCPU_RESUME)
				break;
			if (!vcpu_in_guest_mode(v))
				continue;	/* that was an exit to L1 */
		}
		/*
		 * Completed page-ins: mapped, and "page ready" into the LAPIC
		 * (with interrupts on: mapping takes mmu_lock).
		 */
		if (unlikely(vcpu_apf_pending(v)) && !vcpu_in_guest_mode(v))
			vcpu_apf_before_entry(v);
		local_irq_disable();
		/*
		 * Checked with interrupts off: a kick IPI sent after this
		 * stays pending and makes the entry exit at once.
		 */
		if (READ_ONCE(g->dead)) {
			local_irq_enable();
			r = VCPU_STOP;
			break;
		}
		vcpu_lapic_timer_sync(v);
		/* L1's interrupts wait for L1 (or exit L2, above). */
		if (unlikely(READ_ONCE(v->irq_pending)) &&
		    !vcpu_in_guest_mode(v))
			vcpu_deliver_interrupt(v);
		if (unlikely(v->apf.owed_token) && !vcpu_in_guest_mode(v))
			vcpu_apf_after_irq(v);
		/*
		 * Guest CR2 (not in the VMCS): nothing between here and the
		 * entry takes a page fault, interrupts being off.
		 */
		if (unlikely(read_cr2() != v->regs.cr2))
			write_cr2(v->regs.cr2);
		/* Guest mode is an extended quiescent state for RCU. */
		rcu_eqs_enter();
		if (unlikely(v->fault_profiled))
			vcpu_fault_profile_account(v, rdtsc());
		if (unlikely(v->apf_prof.np_pending || v->apf_prof.t_ready))
			vcpu_apf_profile_account(v, rdtsc());
		if (unlikely(vmx_vcpu_enter(&v->regs, v->launched))) {
			rcu_eqs_exit();
			local_irq_enable();
			vcpu_entry_insn_failed(v);
			r = VCPU_STOP;
			break;
		}
		if (unlikely(v->fault_profile))
			v->t_exit = rdtsc();
		/* Before interrupts: a host handler could fault (it must not). */
		v->regs.cr2 = read_cr2();
		rcu_eqs_exit();
		v->launched = true;
		/* A pending host interrupt is taken here, through the IDT. */
		local_irq_enable();
		r = vmx_handle_exit(v);
		if (r != VCPU_RESUME)
			break;
	}
out:
	v->in_slice = false;
	if (r == VCPU_STOP)
		vcpu_vmcs_clear(v);
	return r;
}

static void vcpu_serve_requests(struct vcpu *v)
{
	unsigned long req = __atomic_exchange_n(&v->requests, 0,
						__ATOMIC_ACQUIRE);

	if (req & VCPU_REQ_MIGRATE)
		thread_migrate(READ_ONCE(v->migrate_to));
}

/*
 * What ends a halt: a requested interrupt (the guest runs its handler,
 * which returns to the instruction after HLT) or the guest's death (the
 * next slice stops at once). A pending request also wakes the thread,
 * which serves it and goes back to sleep still halted.
 */
static bool vcpu_halt_ends(struct vcpu *v)
{
	return vcpu_interrupt_requested(v) || READ_ONCE(v->guest->dead) ||
	       vcpu_apf_wakes_halt(v);
}

static bool vcpu_should_wake(struct vcpu *v)
{
	return vcpu_halt_ends(v) || READ_ONCE(v->requests);
}

/*
 * KVM's kvm_vcpu_halt()/kvm_vcpu_block(): sleep until the halt ends.
 * The condition is read after prepare_to_wait() has queued us and marked
 * us SLEEPING, and every waker sets its condition before vcpu_wake_up():
 * either the waker finds us queued and wakes us, or we see its condition.
 * Sleeping switches the thread out, and the sched-out notifier VMCLEARs
 * the VMCS here, so a halted vCPU holds no CPU and may be woken, or
 * migrated, to any CPU; the next slice loads the VMCS where it runs.
 */
static void vcpu_halt(struct vcpu *v)
{
	struct wait_queue_entry wait;
	bool slept = false;
	u64 t0 = 0, ns;

	init_wait_entry(&wait);
	while (!vcpu_halt_ends(v)) {
		for (;;) {
			prepare_to_wait(&v->halt_wq, &wait);
			if (vcpu_should_wake(v))
				break;
			if (!slept) {
				slept = true;
				t0 = plat_now_ns();
			}
			/* The APIC timer ends a halt too: sleep until then. */
			ns = vcpu_lapic_timer_sleep_ns(v);
			if (ns)
				sched_sleep_timeout(ns);
			else
				sched_sleep();
		}
		finish_wait(&v->halt_wq, &wait);
		if (READ_ONCE(v->requests))
			vcpu_serve_requests(v);
	}
	WRITE_ONCE(v->halted, false);
	if (slept) {
		v->halt_wakeups++;
		v->halt_wait_ns += plat_now_ns() - t0;
	}
}

/*
 * Wait-for-SIPI: sleep until an INIT/SIPI is posted or the guest dies
 * (KVM's KVM_MP_STATE_INIT_RECEIVED; the APs of a PC guest start here).
 */
static bool vcpu_sipi_wait_ends(struct vcpu *v)
{
	return READ_ONCE(v->lapic.pending_events) || READ_ONCE(v->guest->dead) ||
	       READ_ONCE(v->requests);
}

static void vcpu_wait_sipi(struct vcpu *v)
{
	struct wait_queue_entry wait;

	init_wait_entry(&wait);
	for (;;) {
		prepare_to_wait(&v->halt_wq, &wait);
		if (vcpu_sipi_wait_ends(v))
			break;
		sched_sleep();
	}
	finish_wait(&v->halt_wq, &wait);
	if (READ_ONCE(v->requests))
		vcpu_serve_requests(v);
}

int vcpu_run(struct vcpu *v)
{
	int r;

	do {
		r = vcpu_run_slice(v);
		if (r == VCPU_HALT) {
			WRITE_ONCE(v->halted, true);
			vcpu_halt(v);
		} else if (r == VCPU_WAIT_SIPI) {
			vcpu_wait_sipi(v);
		} else if (r == VCPU_YIELD) {
			if (READ_ONCE(v->requests))
				vcpu_serve_requests(v);
			rcu_note_quiescent_state();
			schedule();
		}
	} while (r != VCPU_STOP);
	return 0;
}

int vcpu_format_stats(struct vcpu *v, char *buf, size_t size)
{
	int top[2] = { -1, -1 };
	int n;

	/* The two commonest exit reasons say where a slow guest's time went. */
	for (int r = 0; r < VCPU_NR_EXIT_COUNTERS; r++) {
		if (!v->exits_by_reason[r])
			continue;
		if (top[0] < 0 || v->exits_by_reason[r] > v->exits_by_reason[top[0]]) {
			top[1] = top[0];
			top[0] = r;
		} else if (top[1] < 0 ||
			   v->exits_by_reason[r] > v->exits_by_reason[top[1]]) {
			top[1] = r;
		}
	}
	n = ksnprintf(buf, size, "vcpu%u: %lu exits, %lu HLT exits, %lu "
		      "halt wake-ups (%lu us asleep), %lu interrupts "
		      "injected, %lu migrations", v->index, v->exits,
		      v->halt_exits, v->halt_wakeups,
		      v->halt_wait_ns / 1000, v->nr_injected_irqs,
		      v->nr_migrations);
	for (int i = 0; i < 2 && top[i] >= 0 && n > 0 && (size_t)n < size; i++)
		n += ksnprintf(buf + n, size - n, "%s%s %lu", i ? ", " : "; most: ",
			       vmx_exit_reason_name((u32)top[i]),
			       v->exits_by_reason[top[i]]);
	return n;
}

void vcpu_request_migrate(struct vcpu *v, int cpu)
{
	WRITE_ONCE(v->migrate_to, cpu);
	__atomic_or_fetch(&v->requests, VCPU_REQ_MIGRATE, __ATOMIC_RELEASE);
	vcpu_kick(v);
}

/*
 * Preempt notifiers, with interrupts off on the CPU concerned. Switched
 * out: VMCLEAR here, so whichever CPU runs the thread next can VMPTRLD
 * without an IPI. Switched in inside a slice (a handler that slept):
 * load the VMCS again before the run loop touches it. Between slices the
 * next vcpu_run_slice() loads it.
 */
static void vcpu_sched_out(struct sched_notifier *n, struct thread *next)
{
	vmcs_clear_local(container_of(n, struct vcpu, sched_nb));
}

static void vcpu_sched_in(struct sched_notifier *n, int cpu)
{
	struct vcpu *v = container_of(n, struct vcpu, sched_nb);

	if (v->in_slice && !vcpu_load(v))
		guest_kill(v->guest, "its VMCS cannot be loaded after a "
				     "context switch");
}

void vcpu_sched_notifier_register(struct vcpu *v)
{
	v->sched_nb.sched_in = vcpu_sched_in;
	v->sched_nb.sched_out = vcpu_sched_out;
	sched_notifier_register(&v->sched_nb);
}

void vcpu_sched_notifier_unregister(struct vcpu *v)
{
	sched_notifier_unregister(&v->sched_nb);
}
