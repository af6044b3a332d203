// SPDX-License-Identifier: MIT
/*
 * Running a guest: its vCPUs as kernel threads, waiting for them, and
 * stopping them.
 *
 * Each runnable vCPU becomes a kernel thread running vcpu_run(), the
 * threads spread over the online CPUs round-robin; the scheduler may move
 * them (thread_migrate()), and the vCPU's preempt notifiers move its VMCS
 * along (vmm/vcpu_run.c).
 *
 * g->nr_running counts vCPUs in VCPU_STATE_RUNNING; the vCPU that brings
 * it to zero completes g->all_stopped, which guest_wait() waits for.
 */
#include "vmm/guest_report.h"
#include "vmm/vcpu_kick.h"
#include "vmm/vcpu_run.h"
#include "vmm/guest_run.h"
#include "vmm/vcpu_lapic.h"
#include "vmm/guest_timer.h"
#include "vmm/exit_handlers.h"
#include "arch/x86/interrupts.h"
#include "arch/x86/lapic.h"
#include "kernel/log.h"
#include "kernel/percpu.h"
#include "kernel/platform.h"
#include "kernel/thread.h"

static unsigned int next_vcpu_cpu;

void guest_set_boot_state(struct guest *g, unsigned int vcpu,
			  const struct vcpu_boot_state *bs)
{
	struct vcpu *v;

	if (vcpu >= g->nr_vcpus || g->started) {
		pr_err("guest %s: boot state for vcpu%u ignored (%s)\n",
		       g->name, vcpu, g->started ? "already started"
						 : "no such vCPU");
		return;
	}
	v = g->vcpus[vcpu];
	v->boot = *bs;
	v->has_boot_state = true;
}

static void vcpu_stopped(struct vcpu *v)
{
	struct guest *g = v->guest;

	__atomic_store_n(&v->state, VCPU_STATE_STOPPED, __ATOMIC_RELEASE);
	if (!__atomic_sub_fetch(&g->nr_running, 1, __ATOMIC_ACQ_REL))
		complete_all(&g->all_stopped);
	else
		guest_check_all_parked(g);	/* was it the last to send SIPIs? */
}

static int vcpu_thread_fn(void *arg)
{
	struct vcpu *v = arg;

	vcpu_sched_notifier_register(v);
	vcpu_run(v);
	vcpu_sched_notifier_unregister(v);
	vcpu_stopped(v);
	return 0;
}

int guest_start(struct guest *g)
{
	unsigned int n = 0;

	if (!vmx_ready) {
		pr_err("guest %s: cannot start: %s\n", g->name,
		       vmx_unavailable_reason());
		return -ENODEV;
	}
	if (g->started) {
		pr_err("guest %s: started twice\n", g->name);
		return -EINVAL;
	}
	for (unsigned int i = 0; i < g->nr_vcpus; i++) {
		struct vcpu *v = g->vcpus[i];

		if (v->has_boot_state && v->boot.runnable)
			n++;
	}
	if (!n) {
		pr_err("guest %s: no runnable vCPU (no boot state set)\n",
		       g->name);
		return -EINVAL;
	}
	if (guest_timer_start(g)) {
		pr_err("guest %s: cannot start: no memory for its timer thread\n",
		       g->name);
		return -ENOMEM;
	}

	/*
	 * The others are the PC's APs: threads that wait for a SIPI from a
	 * running vCPU (vcpu_lapic.c), stopped with the guest if none comes.
	 */
	for (unsigned int i = 0; i < g->nr_vcpus; i++) {
		struct vcpu *v = g->vcpus[i];

		if (!(v->has_boot_state && v->boot.runnable))
			v->mp_state = VCPU_MP_INIT_RECEIVED;
		v->state = VCPU_STATE_RUNNING;
	}
	n = g->nr_vcpus;
	init_completion(&g->all_stopped);
	__atomic_store_n(&g->nr_running, n, __ATOMIC_RELEASE);
	g->started = true;
	for (unsigned int i = 0; i < g->nr_vcpus; i++) {
		struct vcpu *v = g->vcpus[i];
		int cpu;

		if (v->state != VCPU_STATE_RUNNING)
			continue;
		cpu = v->start_cpu;
		if (cpu < 0 || cpu >= (int)plat_nr_cpus())
			cpu = __atomic_fetch_add(&next_vcpu_cpu, 1,
						 __ATOMIC_RELAXED) %
			      plat_nr_cpus();
		ksnprintf(v->thread_name, sizeof(v->thread_name), "%s/%u",
			  g->name, i);
		v->thread = kthread_run(vcpu_thread_fn, v, v->thread_name, cpu);
		if (!v->thread) {
			guest_kill(g, "no memory for a vCPU thread");
			vcpu_stopped(v);
		}
	}
	return 0;
}

int guest_wait(struct guest *g, u64 timeout_ns)
{
	if (!g->started)
		return 0;
	if (!timeout_ns)
		wait_for_completion(&g->all_stopped);
	else if (!wait_for_completion_timeout(&g->all_stopped, timeout_ns))
		return -ETIMEDOUT;
	/* Every vCPU thread has finished its function: reap them. */
	for (unsigned int i = 0; i < g->nr_vcpus; i++) {
		struct vcpu *v = g->vcpus[i];

		if (v->thread) {
			kthread_join(v->thread);
			v->thread = NULL;
		}
	}
	return 0;
}

void guest_stop_all(struct guest *g)
{
	if (!g->started)
		return;
	if (__atomic_load_n(&g->nr_running, __ATOMIC_ACQUIRE))
		guest_kick_all(g);
	guest_wait(g, 0);
}
