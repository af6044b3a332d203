// SPDX-License-Identifier: MIT
/*
 * Running a guest: its vCPUs as kernel threads, waiting for them, and
 * stopping them.
 *
 * Each runnable vCPU becomes a kernel thread running vcpu_run(), spread
 * over the online CPUs. While the scheduler (kernel/thread.h) is not in
 * the tree, kthread_run() is an unresolved weak symbol and guest_wait()
 * runs the vCPUs itself on the calling CPU, round-robin, one slice (a
 * preemption-timer period) at a time; the vCPU code is the same.
 *
 * g->nr_running counts vCPUs in VCPU_STATE_RUNNING; the last vCPU to stop
 * brings it to zero, which is what guest_wait() waits for.
 */
#include "vmm/guest_run.h"
#include "vmm/exit_handlers.h"
#include "arch/x86/interrupts.h"
#include "arch/x86/lapic.h"
#include "kernel/log.h"
#include "kernel/percpu.h"
#include "kernel/platform.h"
#include "kernel/rcu.h"

/* The scheduler's (kernel/thread.h); NULL until it is linked in. */
struct thread *kthread_run(int (*fn)(void *arg), void *arg, const char *name,
			   int cpu) __attribute__((weak));
int kthread_join(struct thread *t) __attribute__((weak));

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
	__atomic_store_n(&v->state, VCPU_STATE_STOPPED, __ATOMIC_RELEASE);
	__atomic_sub_fetch(&v->guest->nr_running, 1, __ATOMIC_ACQ_REL);
}

static int vcpu_thread_fn(void *arg)
{
	struct vcpu *v = arg;

	vcpu_run(v);
	vcpu_stopped(v);
	return 0;
}

int guest_start(struct guest *g)
{
	unsigned int n = 0;

	if (!vmx_ready) {
		pr_err("guest %s: cannot start: %s\n", g->name,
		       vmx_unavailable_reason());
		return -GUEST_ENOVMX;
	}
	if (g->started) {
		pr_err("guest %s: started twice\n", g->name);
		return -GUEST_EINVAL;
	}
	for (unsigned int i = 0; i < g->nr_vcpus; i++) {
		struct vcpu *v = g->vcpus[i];

		if (v->has_boot_state && v->boot.runnable) {
			v->state = VCPU_STATE_RUNNING;
			n++;
		}
	}
	if (!n) {
		pr_err("guest %s: no runnable vCPU (no boot state set)\n",
		       g->name);
		return -GUEST_EINVAL;
	}
	__atomic_store_n(&g->nr_running, n, __ATOMIC_RELEASE);
	g->started = true;
	if (!kthread_run)
		return 0;	/* guest_wait() runs them */
	for (unsigned int i = 0; i < g->nr_vcpus; i++) {
		struct vcpu *v = g->vcpus[i];
		int cpu;

		if (v->state != VCPU_STATE_RUNNING)
			continue;
		cpu = __atomic_fetch_add(&next_vcpu_cpu, 1, __ATOMIC_RELAXED) %
		      plat_nr_cpus();
		ksnprintf(v->thread_name, sizeof(v->thread_name), "%s/vcpu%u",
			  g->name, i);
		v->thread = kthread_run(vcpu_thread_fn, v, v->thread_name, cpu);
		if (!v->thread) {
			guest_kill(g, "no memory for a vCPU thread");
			vcpu_stopped(v);
		}
	}
	return 0;
}

/* Without threads: run every running vCPU a slice at a time, here. */
static int guest_wait_inline(struct guest *g, u64 deadline)
{
	while (__atomic_load_n(&g->nr_running, __ATOMIC_ACQUIRE)) {
		for (unsigned int i = 0; i < g->nr_vcpus; i++) {
			struct vcpu *v = g->vcpus[i];

			if (v->state != VCPU_STATE_RUNNING)
				continue;
			if (vcpu_run_slice(v) == VCPU_STOP)
				vcpu_stopped(v);
			rcu_note_quiescent_state();
		}
		if (deadline && plat_now_ns() > deadline)
			return -GUEST_ETIMEDOUT;
	}
	return 0;
}

static void guest_join_threads(struct guest *g)
{
	for (unsigned int i = 0; i < g->nr_vcpus; i++) {
		struct vcpu *v = g->vcpus[i];

		if (v->thread) {
			kthread_join(v->thread);
			v->thread = NULL;
		}
	}
}

int guest_wait(struct guest *g, u64 timeout_ns)
{
	u64 deadline = timeout_ns ? plat_now_ns() + timeout_ns : 0;

	if (!g->started)
		return 0;
	if (!kthread_run)
		return guest_wait_inline(g, deadline);
	while (__atomic_load_n(&g->nr_running, __ATOMIC_ACQUIRE)) {
		if (deadline && plat_now_ns() > deadline)
			return -GUEST_ETIMEDOUT;
		rcu_note_quiescent_state();
		schedule();
		cpu_relax();
	}
	guest_join_threads(g);
	return 0;
}

void guest_kick_all(struct guest *g)
{
	unsigned int self = plat_cpu_id();

	WRITE_ONCE(g->dead, true);
	smp_mb();	/* dead before the reads of where vCPUs run */
	for (unsigned int i = 0; i < g->nr_vcpus; i++) {
		struct vcpu *v = g->vcpus[i];
		int cpu = READ_ONCE(v->cpu);
		struct percpu *pc;

		if (__atomic_load_n(&v->state, __ATOMIC_ACQUIRE) !=
		    VCPU_STATE_RUNNING || cpu < 0 || cpu == (int)self)
			continue;
		pc = per_cpu(cpu);
		if (pc)
			lapic_send_ipi(pc->apic_id,
				       APIC_ICR_FIXED | VEC_VMX_KICK);
	}
}

void guest_stop_all(struct guest *g)
{
	if (!g->started)
		return;
	if (__atomic_load_n(&g->nr_running, __ATOMIC_ACQUIRE))
		guest_kick_all(g);
	if (kthread_run) {
		guest_wait(g, 0);
		return;
	}
	/* Inline mode: nobody else runs them; a dead guest stops at once. */
	guest_wait_inline(g, 0);
}
