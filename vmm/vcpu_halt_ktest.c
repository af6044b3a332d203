// SPDX-License-Identifier: MIT
/*
 * In-kernel tests of HLT: a vCPU halted with interrupts on sleeps until
 * an interrupt is requested, it is migrated, or its guest dies (KVM's
 * kvm_vcpu_halt). The built-in TG_HLT guest of vmm/test_guest.c does the
 * HLTs; the helpers shared with vcpu_ktest.c are in vmm/vcpu_ktest.h.
 */
#include "vmm/guest_mem.h"
#include "vmm/guest_report.h"
#include "vmm/guest_main.h"
#include "vmm/vcpu_irq.h"
#include "vmm/vcpu_run.h"
#include "vmm/guest_run.h"
#include "vmm/vcpu_ktest.h"
#include "vmm/vmx/vmx_names.h"
#include "kernel/platform.h"
#include "kernel/sched.h"
#include "kernel/thread.h"
#include "include/uapi/hv_abi.h"

static void diag_vcpu(struct ktest *t, struct vcpu *v)
{
	char buf[256];

	vcpu_format_stats(v, buf, sizeof(buf));
	ktest_diag(t, "%s %s", v->guest->name, buf);
}

/*
 * Wait until @v is halted with its thread asleep (a few ms for it to get
 * there): true once it is, false at the deadline.
 */
static bool wait_halted_asleep(struct vcpu *v)
{
	u64 end = plat_now_ns() + TG_TIMEOUT_NS;

	while (!READ_ONCE(v->halted) || !v->thread ||
	       READ_ONCE(v->thread->state) != THREAD_SLEEPING) {
		if (plat_now_ns() > end)
			return false;
		msleep(1);
	}
	return true;
}

/*
 * Asleep and staying so: no exit at all (not even the preemption timer's:
 * the vCPU is not entered), nothing past the HLT, and its VMCS active on
 * no CPU, for @ms of host time.
 */
static void expect_stays_halted(struct ktest *t, struct vcpu *v,
				unsigned int ms)
{
	u64 exits = READ_ONCE(v->exits);

	msleep(ms);
	KTEST_EXPECT(t, READ_ONCE(v->halted));
	KTEST_EXPECT_EQ(t, READ_ONCE(v->thread->state), THREAD_SLEEPING);
	KTEST_EXPECT_EQ(t, READ_ONCE(v->exits), exits);
	KTEST_EXPECT_EQ(t, READ_ONCE(v->halt_exits), 1);
	KTEST_EXPECT_EQ(t, READ_ONCE(v->cpu), -1);
	KTEST_EXPECT_EQ(t, test_guest_result(v->guest, TGH_AFTER), 0);
	KTEST_EXPECT_EQ(t, test_guest_result(v->guest, TGH_IRQS), 0);
}

/*
 * The guest's interrupt handler ran exactly once, and it interrupted the
 * instruction after the HLT: the HLT was skipped before the interrupt was
 * delivered, so the guest went on past it.
 */
static void expect_woke_after_hlt(struct ktest *t, struct guest *g)
{
	KTEST_EXPECT_EQ(t, test_guest_result(g, TGH_IRQS), 1);
	KTEST_EXPECT_EQ(t, test_guest_result(g, TGH_AFTER), 1);
	KTEST_EXPECT_EQ(t, test_guest_result(g, TGH_IRQ_RIP),
			test_guest_result(g, TGH_HLT_NEXT_RIP));
}

/*
 * STI; HLT with nothing pending: the vCPU thread sleeps - no exit, no
 * progress - until the host queues an interrupt; then the handler runs
 * once, returns after the HLT and the guest goes on. One HLT exit, one
 * wake-up.
 */
KTEST(vmx_guest, hlt_sleeps_until_interrupt)
{
	struct guest *g;
	struct vcpu *v;

	if (!tg_need_vmx(t))
		return;
	g = test_guest_create("tg-hlt", TG_HLT, 1, TGH_MODE_IDLE);
	if (!KTEST_EXPECT(t, g))
		return;
	v = g->vcpus[0];
	KTEST_EXPECT_EQ(t, guest_start(g), 0);
	if (!KTEST_EXPECT(t, wait_halted_asleep(v))) {
		guest_destroy(g);
		return;
	}
	expect_stays_halted(t, v, 50);
	vcpu_queue_interrupt(v, TGI_VECTOR);
	KTEST_EXPECT_EQ(t, guest_wait(g, TG_TIMEOUT_NS), 0);
	tg_diag_report(t, g);
	diag_vcpu(t, v);
	KTEST_EXPECT_EQ(t, g->report.exit_status, TG_EXIT_STATUS);
	KTEST_EXPECT(t, !g->report.died);
	expect_woke_after_hlt(t, g);
	KTEST_EXPECT_EQ(t, tg_exits(g, 0, EXIT_REASON_HLT), 1);
	KTEST_EXPECT_EQ(t, v->halt_exits, 1);
	KTEST_EXPECT_EQ(t, v->halt_wakeups, 1);
	KTEST_EXPECT_EQ(t, v->nr_injected_irqs, 1);
	KTEST_EXPECT(t, !v->halted);
	guest_destroy(g);
}

/*
 * The guest's idle pattern: an interrupt queued while it runs with IF=0,
 * then STI; HLT. The HLT finds it pending and does not sleep.
 */
KTEST(vmx_guest, hlt_with_interrupt_pending_does_not_sleep)
{
	struct guest *g;
	struct vcpu *v;

	if (!tg_need_vmx(t))
		return;
	g = test_guest_create("tg-hlt-pending", TG_HLT, 1, TGH_MODE_PENDING);
	if (!KTEST_EXPECT(t, g))
		return;
	v = g->vcpus[0];
	KTEST_EXPECT_EQ(t, guest_start(g), 0);
	KTEST_EXPECT(t, tg_wait_result(g, TGS_COUNT, 1));
	vcpu_queue_interrupt(v, TGI_VECTOR);
	tg_stop_spin(g);
	KTEST_EXPECT_EQ(t, guest_wait(g, TG_TIMEOUT_NS), 0);
	tg_diag_report(t, g);
	diag_vcpu(t, v);
	KTEST_EXPECT_EQ(t, g->report.exit_status, TG_EXIT_STATUS);
	expect_woke_after_hlt(t, g);
	KTEST_EXPECT_EQ(t, v->halt_exits, 1);
	KTEST_EXPECT_EQ(t, v->halt_wakeups, 0);
	KTEST_EXPECT_EQ(t, v->halt_wait_ns, 0);
	KTEST_EXPECT_EQ(t, v->nr_injected_irqs, 1);
	guest_destroy(g);
}

/*
 * vCPU 0 wakes its halted vCPU 1 with HC_SEND_IPI; bad IPIs (no such
 * vCPU, an exception vector) are refused with -HV_EINVAL. vCPU 1 then
 * ends with CLI; HLT, which stops it (IF=0: nothing can wake it).
 */
KTEST(vmx_guest, halted_vcpu_woken_by_guest_ipi)
{
	struct guest *g;
	struct vcpu *v1;

	if (!tg_need_vmx(t))
		return;
	g = test_guest_create("tg-hlt-ipi", TG_HLT, 2, TGH_MODE_IPI);
	if (!KTEST_EXPECT(t, g))
		return;
	v1 = g->vcpus[1];
	KTEST_EXPECT_EQ(t, guest_start(g), 0);
	if (!KTEST_EXPECT(t, wait_halted_asleep(v1))) {
		guest_destroy(g);
		return;
	}
	expect_stays_halted(t, v1, 20);
	tg_stop_spin(g);
	KTEST_EXPECT_EQ(t, guest_wait(g, TG_TIMEOUT_NS), 0);
	tg_diag_report(t, g);
	diag_vcpu(t, g->vcpus[0]);
	diag_vcpu(t, v1);
	KTEST_EXPECT_EQ(t, g->report.exit_status, TG_EXIT_STATUS);
	KTEST_EXPECT_EQ(t, test_guest_result(g, TGH_IPI_BAD_VCPU),
			(u64)-HV_EINVAL);
	KTEST_EXPECT_EQ(t, test_guest_result(g, TGH_IPI_BAD_VECTOR),
			(u64)-HV_EINVAL);
	KTEST_EXPECT_EQ(t, test_guest_result(g, TGH_IPI), 0);
	expect_woke_after_hlt(t, g);
	/* One HLT slept, the final CLI; HLT stopped it. */
	KTEST_EXPECT_EQ(t, v1->halt_exits, 2);
	KTEST_EXPECT_EQ(t, v1->halt_wakeups, 1);
	KTEST_EXPECT_EQ(t, v1->nr_injected_irqs, 1);
	KTEST_EXPECT_EQ(t, g->vcpus[0]->halt_exits, 0);
	KTEST_EXPECT_EQ(t, g->vcpus[0]->nr_injected_irqs, 0);
	guest_destroy(g);
}

/*
 * A guest dies (triple fault of vCPU 0) while its vCPU 1 sleeps halted:
 * the death wakes it, it stops without running guest code, the guest's
 * teardown completes; another guest running meanwhile goes on.
 */
KTEST(vmx_guest, halted_vcpu_stops_when_guest_dies)
{
	struct guest *g, *ok;
	struct vcpu *v1;

	if (!tg_need_vmx(t))
		return;
	g = test_guest_create("tg-hlt-kill", TG_HLT, 2, TGH_MODE_KILL);
	ok = test_guest_create("tg-hlt-other", TG_SPIN, 1, 2000);
	if (!KTEST_EXPECT(t, g && ok)) {
		guest_destroy(g);
		guest_destroy(ok);
		return;
	}
	v1 = g->vcpus[1];
	KTEST_EXPECT_EQ(t, guest_start(ok), 0);
	KTEST_EXPECT_EQ(t, guest_start(g), 0);
	if (!KTEST_EXPECT(t, wait_halted_asleep(v1))) {
		guest_destroy(g);
		guest_destroy(ok);
		return;
	}
	tg_stop_spin(g);
	KTEST_EXPECT_EQ(t, guest_wait(g, TG_TIMEOUT_NS), 0);
	KTEST_EXPECT_EQ(t, guest_wait(ok, TG_TIMEOUT_NS), 0);
	tg_diag_report(t, g);
	diag_vcpu(t, v1);
	KTEST_EXPECT(t, g->report.died);
	KTEST_EXPECT_EQ(t, g->report.death_exit_reason,
			EXIT_REASON_TRIPLE_FAULT);
	KTEST_EXPECT_EQ(t, v1->state, VCPU_STATE_STOPPED);
	KTEST_EXPECT_EQ(t, v1->halt_exits, 1);
	KTEST_EXPECT_EQ(t, v1->halt_wakeups, 1);
	KTEST_EXPECT_EQ(t, test_guest_result(g, TGH_AFTER), 0);
	KTEST_EXPECT(t, ok->report.exited && !ok->report.died);
	KTEST_EXPECT_EQ(t, test_guest_result(ok, TGS_COUNT), 2000);
	guest_destroy(g);
	guest_destroy(ok);
}

/*
 * The host destroys a guest whose only vCPU sleeps halted: guest_destroy()
 * wakes it and returns (a hang here ends the boot at its timeout); the
 * runner's leak check sees every page back.
 */
KTEST(vmx_guest, host_destroys_halted_guest)
{
	struct guest *g;
	struct vcpu *v;

	if (!tg_need_vmx(t))
		return;
	g = test_guest_create("tg-hlt-destroy", TG_HLT, 1, TGH_MODE_IDLE);
	if (!KTEST_EXPECT(t, g))
		return;
	v = g->vcpus[0];
	KTEST_EXPECT_EQ(t, guest_start(g), 0);
	KTEST_EXPECT(t, wait_halted_asleep(v));
	guest_kill(g, "destroyed by the test while halted");
	KTEST_EXPECT_EQ(t, guest_wait(g, TG_TIMEOUT_NS), 0);
	diag_vcpu(t, v);
	KTEST_EXPECT_EQ(t, v->state, VCPU_STATE_STOPPED);
	KTEST_EXPECT_EQ(t, v->halt_wakeups, 1);
	KTEST_EXPECT_EQ(t, test_guest_result(g, TGH_AFTER), 0);
	guest_destroy(g);
	/* And straight through guest_destroy(), without a kill first. */
	g = test_guest_create("tg-hlt-destroy2", TG_HLT, 1, TGH_MODE_IDLE);
	if (!KTEST_EXPECT(t, g))
		return;
	KTEST_EXPECT_EQ(t, guest_start(g), 0);
	KTEST_EXPECT(t, wait_halted_asleep(g->vcpus[0]));
	guest_destroy(g);
}

/*
 * A halted vCPU holds no VMCS: asked to move to the other CPU, it wakes,
 * migrates, sleeps again still halted, and once an interrupt comes runs
 * on its new CPU.
 */
KTEST_FLAGS(vmx_guest, halted_vcpu_migrates, KTEST_F_SMP)
{
	struct guest *g;
	struct vcpu *v;
	int from, target;
	u64 end;

	if (!tg_need_vmx(t))
		return;
	g = test_guest_create("tg-hlt-migrate", TG_HLT, 1, TGH_MODE_IDLE);
	if (!KTEST_EXPECT(t, g))
		return;
	v = g->vcpus[0];
	KTEST_EXPECT_EQ(t, guest_start(g), 0);
	if (!KTEST_EXPECT(t, wait_halted_asleep(v))) {
		guest_destroy(g);
		return;
	}
	from = v->last_cpu;
	target = (from + 1) % plat_nr_cpus();
	vcpu_request_migrate(v, target);
	end = plat_now_ns() + TG_TIMEOUT_NS;
	while (READ_ONCE(v->thread->cpu) != target && plat_now_ns() < end)
		msleep(1);
	KTEST_EXPECT_EQ(t, READ_ONCE(v->thread->cpu), target);
	KTEST_EXPECT(t, wait_halted_asleep(v));
	expect_stays_halted(t, v, 20);
	vcpu_queue_interrupt(v, TGI_VECTOR);
	KTEST_EXPECT_EQ(t, guest_wait(g, TG_TIMEOUT_NS), 0);
	diag_vcpu(t, v);
	ktest_diag(t, "halted on cpu%d, moved to cpu%d, ran there: cpu%d",
		   from, target, v->last_cpu);
	KTEST_EXPECT_EQ(t, g->report.exit_status, TG_EXIT_STATUS);
	KTEST_EXPECT_EQ(t, v->last_cpu, target);
	KTEST_EXPECT(t, v->nr_migrations >= 1);
	KTEST_EXPECT_EQ(t, v->halt_exits, 1);
	KTEST_EXPECT_EQ(t, v->halt_wakeups, 1);
	KTEST_EXPECT_EQ(t, test_guest_result(g, TGH_IRQS), 1);
	guest_destroy(g);
}

/*
 * The lost-wake-up race: the host, on another CPU, queues the next
 * interrupt as soon as the guest is past its HLT, so each request lands
 * anywhere between that HLT and the next one - before the HLT exit,
 * during it, or after the thread went to sleep. A missed wake-up hangs
 * the guest (the wait times out); every round must take exactly one
 * interrupt and one HLT exit.
 */
KTEST_FLAGS(vmx_guest, hlt_wake_up_race, KTEST_F_SMP)
{
	const u64 rounds = 200;
	struct guest *g;
	struct vcpu *v;
	u64 end, queued = 0;

	if (!tg_need_vmx(t))
		return;
	g = test_guest_create("tg-hlt-race", TG_HLT, 1, TGH_MODE_LOOP);
	if (!KTEST_EXPECT(t, g))
		return;
	v = g->vcpus[0];
	v->start_cpu = (plat_cpu_id() + 1) % plat_nr_cpus();
	KTEST_EXPECT(t, guest_write(g, TG_RESULTS + TGS_STOP, &rounds,
				    sizeof(rounds)));
	KTEST_EXPECT_EQ(t, guest_start(g), 0);
	end = plat_now_ns() + TG_TIMEOUT_NS;
	while (queued < rounds && plat_now_ns() < end) {
		if (test_guest_result(g, TGH_AFTER) == queued) {
			vcpu_queue_interrupt(v, TGI_VECTOR);
			queued++;
		}
		cond_resched();
	}
	KTEST_EXPECT_EQ(t, queued, rounds);
	KTEST_EXPECT_EQ(t, guest_wait(g, TG_TIMEOUT_NS), 0);
	tg_diag_report(t, g);
	diag_vcpu(t, v);
	ktest_diag(t, "%lu rounds: %lu HLTs slept, %lu found the interrupt "
		   "already pending", rounds, v->halt_wakeups,
		   v->halt_exits - v->halt_wakeups);
	KTEST_EXPECT_EQ(t, g->report.exit_status, TG_EXIT_STATUS);
	KTEST_EXPECT_EQ(t, test_guest_result(g, TGH_AFTER), rounds);
	KTEST_EXPECT_EQ(t, test_guest_result(g, TGH_IRQS), rounds);
	KTEST_EXPECT_EQ(t, v->halt_exits, rounds);
	KTEST_EXPECT_EQ(t, v->nr_injected_irqs, rounds);
	KTEST_EXPECT(t, v->halt_wakeups <= rounds);
	guest_destroy(g);
}
