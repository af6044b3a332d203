// SPDX-License-Identifier: MIT
/*
 * In-kernel tests of the VMX run loop and exit handlers, with the
 * built-in guests of vmm/test_guest.c. They need VMX (Bochs): without it
 * they skip with the reason, unless the command line says expect_vmx=1,
 * where a missing VMX fails them.
 */
#include "vmm/test_guest.h"
#include "vmm/vmx_names.h"
#include "arch/x86/cpu.h"
#include "kernel/cmdline.h"
#include "kernel/ktest.h"
#include "kernel/platform.h"
#include "kernel/rcu.h"
#include "kernel/sched.h"
#include "kernel/string.h"
#include "kernel/thread.h"
#include "tests/guests/lib/hv_abi.h"

/* Emulated time is slow in Bochs: generous, but a hang still ends. */
#define TG_TIMEOUT_NS	(60ULL * 1000000000ULL)

static bool need_vmx(struct ktest *t)
{
	const char *why = vmx_unavailable_reason();

	if (!why)
		return true;
	if (cmdline_expect_vmx)
		ktest_fail(t, __FILE__, __LINE__, "expect_vmx=1 but %s", why);
	else
		ktest_skip(t, why);
	return false;
}

static void diag_report(struct ktest *t, struct guest *g)
{
	struct guest_report *r = &g->report;

	ktest_diag(t, "guest %s: exited %d status %#lx died %d%s%s", g->name,
		   r->exited, r->exit_status, r->died, r->died ? ": " : "",
		   r->died ? r->death : "");
}

static u64 exits(struct guest *g, unsigned int vcpu, unsigned int reason)
{
	return g->vcpus[vcpu]->exits_by_reason[reason];
}

KTEST(vmx_guest, basic)
{
	const char sig[] = HV_CPUID_SIGNATURE;
	struct guest *g;
	u32 sigregs[3];

	if (!need_vmx(t))
		return;
	g = test_guest_create("tg-basic", TG_BASIC, 1, 0);
	if (!KTEST_EXPECT(t, g))
		return;
	KTEST_EXPECT_EQ(t, guest_start(g), 0);
	KTEST_EXPECT_EQ(t, guest_wait(g, TG_TIMEOUT_NS), 0);
	diag_report(t, g);
	KTEST_EXPECT(t, g->report.exited);
	KTEST_EXPECT(t, !g->report.died);
	KTEST_EXPECT_EQ(t, g->report.exit_status, TG_EXIT_STATUS);

	/* CPUID: our signature, VMX hidden, hypervisor bit set. */
	guest_read(g, TG_RESULTS + TGR_HV_EBX, sigregs, sizeof(sigregs));
	KTEST_EXPECT(t, !memcmp(sigregs, sig, 12));
	KTEST_EXPECT_EQ(t, (u32)test_guest_result(g, TGR_HV_EAX),
			HV_CPUID_LEAF + 1);
	KTEST_EXPECT(t, !(test_guest_result(g, TGR_CPUID1_ECX) & BIT(5)));
	KTEST_EXPECT(t, test_guest_result(g, TGR_CPUID1_ECX) & BIT(31));
	/* Hypercalls. */
	KTEST_EXPECT(t, test_guest_result(g, TGR_VCPU_INFO) < plat_nr_cpus());
	KTEST_EXPECT_EQ(t, test_guest_result(g, TGR_HC_UNKNOWN),
			(u64)-HV_ENOSYS);
	KTEST_EXPECT_EQ(t, test_guest_result(g, TGR_HC_WILD), (u64)-HV_EFAULT);
	KTEST_EXPECT_EQ(t, test_guest_result(g, TGR_HC_CONSOLE), 27);
	/* UART: THR empty, transmitter empty. */
	KTEST_EXPECT_EQ(t, test_guest_result(g, TGR_LSR) & 0xff, 0x60);
	/* MSRs: EFER as set up (LME|LMA), LSTAR kept, VMX_BASIC #GP(0). */
	KTEST_EXPECT_EQ(t, test_guest_result(g, TGR_EFER) & (BIT(8) | BIT(10)),
			BIT(8) | BIT(10));
	KTEST_EXPECT_EQ(t, test_guest_result(g, TGR_LSTAR),
			0xffffffff81234560ULL);
	KTEST_EXPECT_EQ(t, test_guest_result(g, TGR_GP_COUNT), 1);
	KTEST_EXPECT_EQ(t, test_guest_result(g, TGR_GP_ERR), 0);
	KTEST_EXPECT_EQ(t, test_guest_result(g, TGR_BAD_RDMSR), 0);
	/* VMXON in the guest: #UD, not executed. */
	KTEST_EXPECT_EQ(t, test_guest_result(g, TGR_UD_COUNT), 1);
	KTEST_EXPECT_EQ(t, test_guest_result(g, TGR_BAD_VMXON), 0);
	/*
	 * HLT with a self-IPI pending: no sleep, the handler ran once and
	 * returned after the HLT; bad IPIs refused.
	 */
	KTEST_EXPECT_EQ(t, test_guest_result(g, TGR_AFTER_HLT), 1);
	KTEST_EXPECT_EQ(t, test_guest_result(g, TGR_IPI_SELF), 0);
	KTEST_EXPECT_EQ(t, test_guest_result(g, TGR_HLT_IRQS), 1);
	KTEST_EXPECT_EQ(t, test_guest_result(g, TGR_HLT_IRQ_RIP),
			test_guest_result(g, TGR_HLT_NEXT_RIP));
	KTEST_EXPECT_EQ(t, test_guest_result(g, TGR_IPI_BAD_VCPU),
			(u64)-HV_EINVAL);
	KTEST_EXPECT_EQ(t, test_guest_result(g, TGR_IPI_BAD_VECTOR),
			(u64)-HV_EINVAL);
	KTEST_EXPECT_EQ(t, test_guest_result(g, TGR_IPI_HUGE_VCPU),
			(u64)-HV_EINVAL);
	KTEST_EXPECT_EQ(t, g->vcpus[0]->halt_exits, 1);
	KTEST_EXPECT_EQ(t, g->vcpus[0]->halt_wakeups, 0);
	KTEST_EXPECT_EQ(t, g->vcpus[0]->nr_injected_irqs, 1);
	/* Every kind of exit went through its handler. */
	KTEST_EXPECT(t, exits(g, 0, EXIT_REASON_CPUID) >= 2);
	KTEST_EXPECT(t, exits(g, 0, EXIT_REASON_VMCALL) >= 4);
	KTEST_EXPECT(t, exits(g, 0, EXIT_REASON_IO_INSTRUCTION) >= 20);
	/* SYSCALL and SWAPGS use the guest's MSRs, held in hardware. */
	KTEST_EXPECT_EQ(t, test_guest_result(g, TGR_SYSCALL), 1);
	KTEST_EXPECT_EQ(t, test_guest_result(g, TGR_SWAPPED_GS), 0x1234000);
	KTEST_EXPECT_EQ(t, test_guest_result(g, TGR_SWAPPED_KGS), 0x5678000);
	KTEST_EXPECT_EQ(t, exits(g, 0, EXIT_REASON_MSR_READ), 6);
	KTEST_EXPECT_EQ(t, exits(g, 0, EXIT_REASON_MSR_WRITE), 6);
	KTEST_EXPECT_EQ(t, exits(g, 0, EXIT_REASON_VMXON), 1);
	KTEST_EXPECT_EQ(t, exits(g, 0, EXIT_REASON_HLT), 1);
	guest_destroy(g);
}

/* One guest dies of a triple fault; another, running at the same time, goes on. */
KTEST(vmx_guest, triple_fault_kills_only_that_guest)
{
	struct guest *tf, *ok;

	if (!need_vmx(t))
		return;
	tf = test_guest_create("tg-tf", TG_TRIPLE_FAULT, 1, 0);
	ok = test_guest_create("tg-ok", TG_SPIN, 1, 2000);
	if (!KTEST_EXPECT(t, tf && ok)) {
		guest_destroy(tf);
		guest_destroy(ok);
		return;
	}
	KTEST_EXPECT_EQ(t, guest_start(ok), 0);
	KTEST_EXPECT_EQ(t, guest_start(tf), 0);
	KTEST_EXPECT_EQ(t, guest_wait(tf, TG_TIMEOUT_NS), 0);
	KTEST_EXPECT_EQ(t, guest_wait(ok, TG_TIMEOUT_NS), 0);
	diag_report(t, tf);
	diag_report(t, ok);
	KTEST_EXPECT(t, tf->report.died);
	KTEST_EXPECT(t, !strncmp(tf->report.death, "triple fault", 12));
	KTEST_EXPECT_EQ(t, tf->report.death_exit_reason,
			EXIT_REASON_TRIPLE_FAULT);
	KTEST_EXPECT_EQ(t, exits(tf, 0, EXIT_REASON_TRIPLE_FAULT), 1);
	KTEST_EXPECT(t, !ok->report.died);
	KTEST_EXPECT(t, ok->report.exited);
	KTEST_EXPECT_EQ(t, ok->report.exit_status, TG_EXIT_STATUS);
	KTEST_EXPECT_EQ(t, test_guest_result(ok, TGS_COUNT), 2000);
	guest_destroy(tf);
	guest_destroy(ok);
}

/* Bad requests fail for that guest only, with a message, and leak nothing. */
KTEST(vmx_guest, bad_input)
{
	struct guest *g;

	if (!need_vmx(t))
		return;
	KTEST_EXPECT(t, !guest_create("too-many-vcpus", GUEST_MAX_VCPUS + 1,
				      TG_MEM_SIZE, true));
	KTEST_EXPECT(t, !guest_create("no-vcpus", 0, TG_MEM_SIZE, true));
	KTEST_EXPECT(t, !guest_create("too-much-memory", 1, 1ULL << 38,
				      true));
	/* A guest without boot state has nothing to run. */
	g = guest_create("no-boot-state", 1, TG_MEM_SIZE, true);
	if (!KTEST_EXPECT(t, g))
		return;
	KTEST_EXPECT_EQ(t, guest_start(g), -GUEST_EINVAL);
	guest_destroy(g);
	/* A guest that never stops: the wait times out, destroy kills it. */
	g = test_guest_create("tg-forever", TG_SPIN, 1, 0);
	if (!KTEST_EXPECT(t, g))
		return;
	KTEST_EXPECT_EQ(t, guest_start(g), 0);
	KTEST_EXPECT_EQ(t, guest_wait(g, 20000000ULL), -GUEST_ETIMEDOUT);
	KTEST_EXPECT(t, test_guest_result(g, TGS_COUNT) > 0);
	guest_destroy(g);
}

/*
 * Host path length of a VMCALL and a CPUID round trip, measured by the
 * guest with RDTSC (in Bochs with clock sync=none the TSC counts
 * instructions, so this is the host's path length plus ~3 instructions
 * of guest loop per round).
 */
KTEST(vmx_guest, bench_round_trips)
{
	const u64 n = 10000;
	struct guest *g;
	u64 vmcall, cpuid_ticks, t0, t1;

	if (!need_vmx(t))
		return;
	g = test_guest_create("tg-bench", TG_BASIC, 1, n);
	if (!KTEST_EXPECT(t, g))
		return;
	t0 = plat_now_ns();
	KTEST_EXPECT_EQ(t, guest_start(g), 0);
	KTEST_EXPECT_EQ(t, guest_wait(g, TG_TIMEOUT_NS), 0);
	t1 = plat_now_ns();
	KTEST_EXPECT_EQ(t, g->report.exit_status, TG_EXIT_STATUS);
	vmcall = test_guest_result(g, TGR_VMCALL_TICKS);
	cpuid_ticks = test_guest_result(g, TGR_CPUID_TICKS);
	KTEST_EXPECT(t, vmcall > 0 && cpuid_ticks > 0);
	ktest_diag(t, "bench: VMCALL round trip %lu TSC ticks, CPUID round "
		   "trip %lu TSC ticks (mean of %lu; guest-measured)",
		   vmcall / n, cpuid_ticks / n, n);
	ktest_diag(t, "bench: %lu exits in %lu us of host time, %lu ns per "
		   "exit", g->vcpus[0]->exits, (t1 - t0) / 1000,
		   (t1 - t0) / (g->vcpus[0]->exits ? g->vcpus[0]->exits : 1));
	guest_destroy(g);
}

static bool single_bit(u64 m)
{
	return m && !(m & (m - 1));
}

/* Sleep until the guest's result word at @off reaches @min. */
static bool wait_result(struct guest *g, u64 off, u64 min)
{
	u64 end = plat_now_ns() + TG_TIMEOUT_NS;

	while (test_guest_result(g, off) < min) {
		if (plat_now_ns() > end)
			return false;
		msleep(1);
	}
	return true;
}

static void stop_spin_guest(struct guest *g)
{
	u64 one = 1;

	guest_write(g, TG_RESULTS + TGS_STOP, &one, sizeof(one));
}

/*
 * A running vCPU thread moves to the other CPU (VMCLEAR on the old one,
 * VMPTRLD + host state on the new one) and the guest keeps running there.
 */
KTEST_FLAGS(vmx_guest, vcpu_migrates_between_cpus, KTEST_F_SMP)
{
	struct guest *g;
	u64 mask, count;
	int target;

	if (!need_vmx(t))
		return;
	g = test_guest_create("tg-migrate", TG_SPIN, 1, 0);
	if (!KTEST_EXPECT(t, g))
		return;
	KTEST_EXPECT_EQ(t, guest_start(g), 0);
	KTEST_EXPECT(t, wait_result(g, TGS_COUNT, 50));
	mask = test_guest_result(g, TGS_CPU_MASK);
	if (!KTEST_EXPECT_EQ(t, single_bit(mask), 1)) {
		guest_destroy(g);
		return;
	}
	target = (__builtin_ctzll(mask) + 1) % plat_nr_cpus();
	KTEST_EXPECT(t, !(mask & BIT(target)));
	ktest_diag(t, "vcpu0 runs on cpu mask %#lx; moving it to cpu%d", mask,
		   target);
	vcpu_request_migrate(g->vcpus[0], target);
	KTEST_EXPECT(t, wait_result(g, TGS_CPU_MASK, mask | BIT(target)));
	count = test_guest_result(g, TGS_COUNT);
	KTEST_EXPECT(t, wait_result(g, TGS_COUNT, count + 50));
	stop_spin_guest(g);
	KTEST_EXPECT_EQ(t, guest_wait(g, TG_TIMEOUT_NS), 0);
	diag_report(t, g);
	ktest_diag(t, "cpu mask %#lx, %lu migration(s), %lu exits",
		   test_guest_result(g, TGS_CPU_MASK),
		   g->vcpus[0]->nr_migrations, g->vcpus[0]->exits);
	KTEST_EXPECT(t, test_guest_result(g, TGS_CPU_MASK) & BIT(target));
	KTEST_EXPECT(t, g->vcpus[0]->nr_migrations >= 1);
	KTEST_EXPECT(t, g->report.exited && !g->report.died);
	KTEST_EXPECT_EQ(t, g->report.exit_status, TG_EXIT_STATUS);
	guest_destroy(g);
}

/*
 * Two guests at once on two CPUs: each stays on its own CPU and both make
 * progress in the same window, so they ran in parallel.
 */
KTEST_FLAGS(vmx_guest, two_guests_on_two_cpus, KTEST_F_SMP)
{
	struct guest *a, *b;
	u64 ca, cb, ma, mb;

	if (!need_vmx(t))
		return;
	a = test_guest_create("tg-par-a", TG_SPIN, 1, 0);
	b = test_guest_create("tg-par-b", TG_SPIN, 1, 0);
	if (!KTEST_EXPECT(t, a && b)) {
		guest_destroy(a);
		guest_destroy(b);
		return;
	}
	KTEST_EXPECT_EQ(t, guest_start(a), 0);
	KTEST_EXPECT_EQ(t, guest_start(b), 0);
	KTEST_EXPECT(t, wait_result(a, TGS_COUNT, 20));
	KTEST_EXPECT(t, wait_result(b, TGS_COUNT, 20));
	ca = test_guest_result(a, TGS_COUNT);
	cb = test_guest_result(b, TGS_COUNT);
	KTEST_EXPECT(t, wait_result(a, TGS_COUNT, ca + 100));
	KTEST_EXPECT(t, wait_result(b, TGS_COUNT, cb + 100));
	stop_spin_guest(a);
	stop_spin_guest(b);
	KTEST_EXPECT_EQ(t, guest_wait(a, TG_TIMEOUT_NS), 0);
	KTEST_EXPECT_EQ(t, guest_wait(b, TG_TIMEOUT_NS), 0);
	ma = test_guest_result(a, TGS_CPU_MASK);
	mb = test_guest_result(b, TGS_CPU_MASK);
	ktest_diag(t, "guest a ran on cpu mask %#lx (%lu rounds), b on %#lx "
		   "(%lu rounds)", ma, test_guest_result(a, TGS_COUNT), mb,
		   test_guest_result(b, TGS_COUNT));
	KTEST_EXPECT_EQ(t, single_bit(ma), 1);
	KTEST_EXPECT_EQ(t, single_bit(mb), 1);
	KTEST_EXPECT(t, !(ma & mb));
	KTEST_EXPECT(t, a->report.exited && b->report.exited);
	guest_destroy(a);
	guest_destroy(b);
}

/*
 * A vCPU whose start state VM entry refuses (a non-canonical GDT base): the entry failure is named, vmcs_check names the rule, that
 * guest dies and the host goes on.
 */
KTEST(vmx_guest, failed_entry_names_the_check)
{
	struct vcpu_boot_state bs;
	struct guest *g;

	if (!need_vmx(t))
		return;
	g = test_guest_create("tg-badstate", TG_BASIC, 1, 0);
	if (!KTEST_EXPECT(t, g))
		return;
	bs = g->vcpus[0]->boot;
	bs.gdt_base = 0x0000800000000000ULL;
	guest_set_boot_state(g, 0, &bs);
	KTEST_EXPECT_EQ(t, guest_start(g), 0);
	KTEST_EXPECT_EQ(t, guest_wait(g, TG_TIMEOUT_NS), 0);
	diag_report(t, g);
	KTEST_EXPECT(t, g->report.died);
	KTEST_EXPECT_EQ(t, g->report.death_exit_reason,
			EXIT_REASON_INVALID_GUEST_STATE);
	KTEST_EXPECT(t, !strncmp(g->report.death,
				 "VM entry failed (INVALID_GUEST_STATE), 1 ", 41));
	KTEST_EXPECT_EQ(t, g->vcpus[0]->exits, 1);
	guest_destroy(g);
}

/*
 * A CPU in guest mode is in an RCU extended quiescent state: a grace
 * period ends while a vCPU sits in the guest without a single exit (IF=0,
 * so in Bochs not even the host tick makes it exit, and its slice is made
 * longer than the test). Without the EQS, synchronize_rcu() would wait for
 * that CPU forever: the guest leaves only once the host, after the grace
 * period, tells it to.
 */
KTEST_FLAGS(vmx_guest, guest_mode_is_rcu_quiescent, KTEST_F_SMP)
{
	struct guest *g;
	u64 exits_before;

	if (!need_vmx(t))
		return;
	g = test_guest_create("tg-quiet", TG_QUIET, 1, 0);
	if (!KTEST_EXPECT(t, g))
		return;
	g->vcpus[0]->slice_ticks = 0xffffffffU;
	/* Not on this CPU: the test must go on while the vCPU sits there. */
	g->vcpus[0]->start_cpu = (plat_cpu_id() + 1) % plat_nr_cpus();
	KTEST_EXPECT_EQ(t, guest_start(g), 0);
	KTEST_EXPECT(t, wait_result(g, TGS_COUNT, 1));
	exits_before = g->vcpus[0]->exits;
	synchronize_rcu();
	ktest_diag(t, "grace period ended with the vCPU in guest mode on "
		   "cpu%d (%lu exits before, %lu after)", g->vcpus[0]->cpu,
		   exits_before, g->vcpus[0]->exits);
	KTEST_EXPECT_EQ(t, g->vcpus[0]->exits, exits_before);
	stop_spin_guest(g);
	KTEST_EXPECT_EQ(t, guest_wait(g, TG_TIMEOUT_NS), 0);
	KTEST_EXPECT_EQ(t, g->report.exit_status, TG_EXIT_STATUS);
	guest_destroy(g);
}

/*
 * External interrupt injection: an interrupt queued while the guest runs
 * with IF=0 is held (through 100 entries), then delivered through the
 * guest's IDT right after STI by way of an interrupt-window exit.
 */
KTEST(vmx_guest, interrupt_injection)
{
	struct guest *g;

	if (!need_vmx(t))
		return;
	g = test_guest_create("tg-irq", TG_IRQ, 1, 0);
	if (!KTEST_EXPECT(t, g))
		return;
	KTEST_EXPECT_EQ(t, guest_start(g), 0);
	KTEST_EXPECT(t, wait_result(g, TGS_COUNT, 1));
	vcpu_queue_interrupt(g->vcpus[0], TGI_VECTOR);
	stop_spin_guest(g);
	KTEST_EXPECT_EQ(t, guest_wait(g, TG_TIMEOUT_NS), 0);
	diag_report(t, g);
	KTEST_EXPECT_EQ(t, g->report.exit_status, TG_EXIT_STATUS);
	KTEST_EXPECT_EQ(t, test_guest_result(g, TGI_TAKEN_IF0), 0);
	KTEST_EXPECT_EQ(t, test_guest_result(g, TGI_TAKEN_AFTER_STI), 1);
	KTEST_EXPECT(t, exits(g, 0, EXIT_REASON_INTERRUPT_WINDOW) >= 1);
	KTEST_EXPECT_EQ(t, g->vcpus[0]->nr_injected_irqs, 1);
	guest_destroy(g);
}

/* VPIDs are unique among live vCPUs and given back (no VMX needed). */
KTEST(vmx_guest, vpids_unique_and_recycled)
{
	struct guest *a = guest_create("vpid-a", 2, TG_MEM_SIZE, true);
	struct guest *b = guest_create("vpid-b", 1, TG_MEM_SIZE, true);
	u16 va0, va1, vb;

	if (!KTEST_EXPECT(t, a && b)) {
		guest_destroy(a);
		guest_destroy(b);
		return;
	}
	va0 = a->vcpus[0]->vpid;
	va1 = a->vcpus[1]->vpid;
	vb = b->vcpus[0]->vpid;
	KTEST_EXPECT(t, va0 && va1 && vb);
	KTEST_EXPECT(t, va0 != va1 && va0 != vb && va1 != vb);
	guest_destroy(a);
	a = guest_create("vpid-c", 1, TG_MEM_SIZE, true);
	if (!KTEST_EXPECT(t, a)) {
		guest_destroy(b);
		return;
	}
	/* The lowest free VPID comes back first. */
	KTEST_EXPECT_EQ(t, a->vcpus[0]->vpid, va0 < va1 ? va0 : va1);
	guest_destroy(a);
	guest_destroy(b);
}

/* A hypercall from guest user mode is refused with -HV_EPERM. */
KTEST(vmx_guest, hypercall_from_user_mode_refused)
{
	struct guest *g;

	if (!need_vmx(t))
		return;
	g = test_guest_create("tg-user", TG_USER, 1, 0);
	if (!KTEST_EXPECT(t, g))
		return;
	KTEST_EXPECT_EQ(t, guest_start(g), 0);
	KTEST_EXPECT_EQ(t, guest_wait(g, TG_TIMEOUT_NS), 0);
	diag_report(t, g);
	KTEST_EXPECT_EQ(t, g->report.exit_status, TG_EXIT_STATUS);
	KTEST_EXPECT_EQ(t, test_guest_result(g, TGS_COUNT), (u64)-HV_EPERM);
	KTEST_EXPECT_EQ(t, exits(g, 0, EXIT_REASON_VMCALL), 1);
	guest_destroy(g);
}

/*
 * A triple fault on one vCPU kills the whole guest: its other vCPU, busy
 * in the guest on another CPU, is kicked out and stops too.
 */
KTEST_FLAGS(vmx_guest, triple_fault_stops_every_vcpu, KTEST_F_SMP)
{
	struct guest *g;

	if (!need_vmx(t))
		return;
	g = test_guest_create("tg-tf-smp", TG_TF_SMP, 2, 0);
	if (!KTEST_EXPECT(t, g))
		return;
	g->vcpus[0]->start_cpu = 0;
	g->vcpus[1]->start_cpu = 1;
	KTEST_EXPECT_EQ(t, guest_start(g), 0);
	KTEST_EXPECT_EQ(t, guest_wait(g, TG_TIMEOUT_NS), 0);
	diag_report(t, g);
	KTEST_EXPECT(t, g->report.died);
	KTEST_EXPECT_EQ(t, g->report.death_exit_reason,
			EXIT_REASON_TRIPLE_FAULT);
	KTEST_EXPECT(t, test_guest_result(g, TGS_COUNT) > 0);
	KTEST_EXPECT_EQ(t, exits(g, 0, EXIT_REASON_TRIPLE_FAULT), 1);
	KTEST_EXPECT_EQ(t, g->vcpus[1]->state, VCPU_STATE_STOPPED);
	ktest_diag(t, "vcpu1: %lu exits (%lu external interrupts)",
		   g->vcpus[1]->exits,
		   exits(g, 1, EXIT_REASON_EXTERNAL_INTERRUPT));
	guest_destroy(g);
}

/* ---- HLT: a halted vCPU sleeps (KVM's kvm_vcpu_halt) -------------------- */

static void diag_vcpu(struct ktest *t, struct vcpu *v)
{
	char buf[160];

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
 * STI; HLT with nothing pending: the vCPU thread sleeps - no exit, no
 * progress - until the host queues an interrupt; then the handler runs
 * once, returns after the HLT and the guest goes on. One HLT exit, one
 * wake-up.
 */
KTEST(vmx_guest, hlt_sleeps_until_interrupt)
{
	struct guest *g;
	struct vcpu *v;

	if (!need_vmx(t))
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
	diag_report(t, g);
	diag_vcpu(t, v);
	KTEST_EXPECT_EQ(t, g->report.exit_status, TG_EXIT_STATUS);
	KTEST_EXPECT(t, !g->report.died);
	KTEST_EXPECT_EQ(t, test_guest_result(g, TGH_IRQS), 1);
	KTEST_EXPECT_EQ(t, test_guest_result(g, TGH_AFTER), 1);
	KTEST_EXPECT_EQ(t, test_guest_result(g, TGH_IRQ_RIP),
			test_guest_result(g, TGH_HLT_NEXT_RIP));
	KTEST_EXPECT_EQ(t, exits(g, 0, EXIT_REASON_HLT), 1);
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

	if (!need_vmx(t))
		return;
	g = test_guest_create("tg-hlt-pending", TG_HLT, 1, TGH_MODE_PENDING);
	if (!KTEST_EXPECT(t, g))
		return;
	v = g->vcpus[0];
	KTEST_EXPECT_EQ(t, guest_start(g), 0);
	KTEST_EXPECT(t, wait_result(g, TGS_COUNT, 1));
	vcpu_queue_interrupt(v, TGI_VECTOR);
	stop_spin_guest(g);
	KTEST_EXPECT_EQ(t, guest_wait(g, TG_TIMEOUT_NS), 0);
	diag_report(t, g);
	diag_vcpu(t, v);
	KTEST_EXPECT_EQ(t, g->report.exit_status, TG_EXIT_STATUS);
	KTEST_EXPECT_EQ(t, test_guest_result(g, TGH_IRQS), 1);
	KTEST_EXPECT_EQ(t, test_guest_result(g, TGH_AFTER), 1);
	KTEST_EXPECT_EQ(t, test_guest_result(g, TGH_IRQ_RIP),
			test_guest_result(g, TGH_HLT_NEXT_RIP));
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

	if (!need_vmx(t))
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
	stop_spin_guest(g);
	KTEST_EXPECT_EQ(t, guest_wait(g, TG_TIMEOUT_NS), 0);
	diag_report(t, g);
	diag_vcpu(t, g->vcpus[0]);
	diag_vcpu(t, v1);
	KTEST_EXPECT_EQ(t, g->report.exit_status, TG_EXIT_STATUS);
	KTEST_EXPECT_EQ(t, test_guest_result(g, TGH_IPI_BAD_VCPU),
			(u64)-HV_EINVAL);
	KTEST_EXPECT_EQ(t, test_guest_result(g, TGH_IPI_BAD_VECTOR),
			(u64)-HV_EINVAL);
	KTEST_EXPECT_EQ(t, test_guest_result(g, TGH_IPI), 0);
	KTEST_EXPECT_EQ(t, test_guest_result(g, TGH_IRQS), 1);
	KTEST_EXPECT_EQ(t, test_guest_result(g, TGH_AFTER), 1);
	KTEST_EXPECT_EQ(t, test_guest_result(g, TGH_IRQ_RIP),
			test_guest_result(g, TGH_HLT_NEXT_RIP));
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

	if (!need_vmx(t))
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
	stop_spin_guest(g);
	KTEST_EXPECT_EQ(t, guest_wait(g, TG_TIMEOUT_NS), 0);
	KTEST_EXPECT_EQ(t, guest_wait(ok, TG_TIMEOUT_NS), 0);
	diag_report(t, g);
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

	if (!need_vmx(t))
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

	if (!need_vmx(t))
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

	if (!need_vmx(t))
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
	diag_report(t, g);
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
