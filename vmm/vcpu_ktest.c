// SPDX-License-Identifier: MIT
/*
 * In-kernel tests of the VMX run loop and exit handlers, with the
 * built-in guests of vmm/test_guest.c. They need VMX (Bochs): without it
 * they skip with the reason, unless the command line says expect_vmx=1,
 * where a missing VMX fails them.
 */
#include "vmm/guest_mem.h"
#include "vmm/guest_main.h"
#include "vmm/vcpu_irq.h"
#include "vmm/vcpu_run.h"
#include "vmm/guest_run.h"
#include "vmm/test_guest.h"
#include "vmm/vcpu_ktest.h"
#include "vmm/vmx/vmx_names.h"
#include "arch/x86/cpu.h"
#include "kernel/cmdline.h"
#include "kernel/ktest.h"
#include "kernel/platform.h"
#include "kernel/rcu.h"
#include "kernel/sched.h"
#include "kernel/string.h"
#include "kernel/thread.h"
#include "include/uapi/hv_abi.h"

bool tg_need_vmx(struct ktest *t)
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

void tg_diag_report(struct ktest *t, struct guest *g)
{
	struct guest_report *r = &g->report;

	ktest_diag(t, "guest %s: exited %d status %#lx died %d%s%s", g->name,
		   r->exited, r->exit_status, r->died, r->died ? ": " : "",
		   r->died ? r->death : "");
}

KTEST(vmx_guest, basic)
{
	const char sig[] = HV_CPUID_SIGNATURE;
	struct guest *g;
	u32 sigregs[3];

	if (!tg_need_vmx(t))
		return;
	g = test_guest_create("tg-basic", TG_BASIC, 1, 0);
	if (!KTEST_EXPECT(t, g))
		return;
	KTEST_EXPECT_EQ(t, guest_start(g), 0);
	KTEST_EXPECT_EQ(t, guest_wait(g, TG_TIMEOUT_NS), 0);
	tg_diag_report(t, g);
	KTEST_EXPECT(t, g->report.exited);
	KTEST_EXPECT(t, !g->report.died);
	KTEST_EXPECT_EQ(t, g->report.exit_status, TG_EXIT_STATUS);

	/* CPUID: our signature, VMX hidden, hypervisor bit set. */
	guest_read(g, TG_RESULTS + TGR_HV_EBX, sigregs, sizeof(sigregs));
	KTEST_EXPECT(t, !memcmp(sigregs, sig, 12));
	KTEST_EXPECT_EQ(t, (u32)test_guest_result(g, TGR_HV_EAX),
			HV_CPUID_TIMING);
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
	KTEST_EXPECT(t, tg_exits(g, 0, EXIT_REASON_CPUID) >= 2);
	KTEST_EXPECT(t, tg_exits(g, 0, EXIT_REASON_VMCALL) >= 4);
	KTEST_EXPECT(t, tg_exits(g, 0, EXIT_REASON_IO_INSTRUCTION) >= 20);
	/* SYSCALL and SWAPGS use the guest's MSRs, held in hardware. */
	KTEST_EXPECT_EQ(t, test_guest_result(g, TGR_SYSCALL), 1);
	KTEST_EXPECT_EQ(t, test_guest_result(g, TGR_SWAPPED_GS), 0x1234000);
	KTEST_EXPECT_EQ(t, test_guest_result(g, TGR_SWAPPED_KGS), 0x5678000);
	KTEST_EXPECT_EQ(t, tg_exits(g, 0, EXIT_REASON_MSR_READ), 6);
	KTEST_EXPECT_EQ(t, tg_exits(g, 0, EXIT_REASON_MSR_WRITE), 6);
	KTEST_EXPECT_EQ(t, tg_exits(g, 0, EXIT_REASON_VMXON), 1);
	KTEST_EXPECT_EQ(t, tg_exits(g, 0, EXIT_REASON_HLT), 1);
	guest_destroy(g);
}

/* One guest dies of a triple fault; another, running at the same time, goes on. */
KTEST(vmx_guest, triple_fault_kills_only_that_guest)
{
	struct guest *tf, *ok;

	if (!tg_need_vmx(t))
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
	tg_diag_report(t, tf);
	tg_diag_report(t, ok);
	KTEST_EXPECT(t, tf->report.died);
	KTEST_EXPECT(t, !strncmp(tf->report.death, "triple fault", 12));
	KTEST_EXPECT_EQ(t, tf->report.death_exit_reason,
			EXIT_REASON_TRIPLE_FAULT);
	KTEST_EXPECT_EQ(t, tg_exits(tf, 0, EXIT_REASON_TRIPLE_FAULT), 1);
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

	if (!tg_need_vmx(t))
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
	KTEST_EXPECT_EQ(t, guest_start(g), -EINVAL);
	guest_destroy(g);
	/* A guest that never stops: the wait times out, destroy kills it. */
	g = test_guest_create("tg-forever", TG_SPIN, 1, 0);
	if (!KTEST_EXPECT(t, g))
		return;
	KTEST_EXPECT_EQ(t, guest_start(g), 0);
	KTEST_EXPECT_EQ(t, guest_wait(g, 20000000ULL), -ETIMEDOUT);
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

	if (!tg_need_vmx(t))
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
bool tg_wait_result(struct guest *g, u64 off, u64 min)
{
	u64 end = plat_now_ns() + TG_TIMEOUT_NS;

	while (test_guest_result(g, off) < min) {
		if (plat_now_ns() > end)
			return false;
		msleep(1);
	}
	return true;
}

void tg_stop_spin(struct guest *g)
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

	if (!tg_need_vmx(t))
		return;
	g = test_guest_create("tg-migrate", TG_SPIN, 1, 0);
	if (!KTEST_EXPECT(t, g))
		return;
	KTEST_EXPECT_EQ(t, guest_start(g), 0);
	KTEST_EXPECT(t, tg_wait_result(g, TGS_COUNT, 50));
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
	KTEST_EXPECT(t, tg_wait_result(g, TGS_CPU_MASK, mask | BIT(target)));
	count = test_guest_result(g, TGS_COUNT);
	KTEST_EXPECT(t, tg_wait_result(g, TGS_COUNT, count + 50));
	tg_stop_spin(g);
	KTEST_EXPECT_EQ(t, guest_wait(g, TG_TIMEOUT_NS), 0);
	tg_diag_report(t, g);
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

	if (!tg_need_vmx(t))
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
	KTEST_EXPECT(t, tg_wait_result(a, TGS_COUNT, 20));
	KTEST_EXPECT(t, tg_wait_result(b, TGS_COUNT, 20));
	ca = test_guest_result(a, TGS_COUNT);
	cb = test_guest_result(b, TGS_COUNT);
	KTEST_EXPECT(t, tg_wait_result(a, TGS_COUNT, ca + 100));
	KTEST_EXPECT(t, tg_wait_result(b, TGS_COUNT, cb + 100));
	tg_stop_spin(a);
	tg_stop_spin(b);
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

	if (!tg_need_vmx(t))
		return;
	g = test_guest_create("tg-badstate", TG_BASIC, 1, 0);
	if (!KTEST_EXPECT(t, g))
		return;
	bs = g->vcpus[0]->boot;
	bs.gdt_base = 0x0000800000000000ULL;
	guest_set_boot_state(g, 0, &bs);
	KTEST_EXPECT_EQ(t, guest_start(g), 0);
	KTEST_EXPECT_EQ(t, guest_wait(g, TG_TIMEOUT_NS), 0);
	tg_diag_report(t, g);
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

	if (!tg_need_vmx(t))
		return;
	g = test_guest_create("tg-quiet", TG_QUIET, 1, 0);
	if (!KTEST_EXPECT(t, g))
		return;
	g->vcpus[0]->slice_ticks = 0xffffffffU;
	/* Not on this CPU: the test must go on while the vCPU sits there. */
	g->vcpus[0]->start_cpu = (plat_cpu_id() + 1) % plat_nr_cpus();
	KTEST_EXPECT_EQ(t, guest_start(g), 0);
	KTEST_EXPECT(t, tg_wait_result(g, TGS_COUNT, 1));
	exits_before = g->vcpus[0]->exits;
	synchronize_rcu();
	ktest_diag(t, "grace period ended with the vCPU in guest mode on "
		   "cpu%d (%lu exits before, %lu after)", g->vcpus[0]->cpu,
		   exits_before, g->vcpus[0]->exits);
	KTEST_EXPECT_EQ(t, g->vcpus[0]->exits, exits_before);
	tg_stop_spin(g);
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

	if (!tg_need_vmx(t))
		return;
	g = test_guest_create("tg-irq", TG_IRQ, 1, 0);
	if (!KTEST_EXPECT(t, g))
		return;
	KTEST_EXPECT_EQ(t, guest_start(g), 0);
	KTEST_EXPECT(t, tg_wait_result(g, TGS_COUNT, 1));
	vcpu_queue_interrupt(g->vcpus[0], TGI_VECTOR);
	tg_stop_spin(g);
	KTEST_EXPECT_EQ(t, guest_wait(g, TG_TIMEOUT_NS), 0);
	tg_diag_report(t, g);
	KTEST_EXPECT_EQ(t, g->report.exit_status, TG_EXIT_STATUS);
	KTEST_EXPECT_EQ(t, test_guest_result(g, TGI_TAKEN_IF0), 0);
	KTEST_EXPECT_EQ(t, test_guest_result(g, TGI_TAKEN_AFTER_STI), 1);
	KTEST_EXPECT(t, tg_exits(g, 0, EXIT_REASON_INTERRUPT_WINDOW) >= 1);
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

	if (!tg_need_vmx(t))
		return;
	g = test_guest_create("tg-user", TG_USER, 1, 0);
	if (!KTEST_EXPECT(t, g))
		return;
	KTEST_EXPECT_EQ(t, guest_start(g), 0);
	KTEST_EXPECT_EQ(t, guest_wait(g, TG_TIMEOUT_NS), 0);
	tg_diag_report(t, g);
	KTEST_EXPECT_EQ(t, g->report.exit_status, TG_EXIT_STATUS);
	KTEST_EXPECT_EQ(t, test_guest_result(g, TGS_COUNT), (u64)-HV_EPERM);
	KTEST_EXPECT_EQ(t, tg_exits(g, 0, EXIT_REASON_VMCALL), 1);
	guest_destroy(g);
}

/*
 * A triple fault on one vCPU kills the whole guest: its other vCPU, busy
 * in the guest on another CPU, is kicked out and stops too.
 */
KTEST_FLAGS(vmx_guest, triple_fault_stops_every_vcpu, KTEST_F_SMP)
{
	struct guest *g;

	if (!tg_need_vmx(t))
		return;
	g = test_guest_create("tg-tf-smp", TG_TF_SMP, 2, 0);
	if (!KTEST_EXPECT(t, g))
		return;
	g->vcpus[0]->start_cpu = 0;
	g->vcpus[1]->start_cpu = 1;
	KTEST_EXPECT_EQ(t, guest_start(g), 0);
	KTEST_EXPECT_EQ(t, guest_wait(g, TG_TIMEOUT_NS), 0);
	tg_diag_report(t, g);
	KTEST_EXPECT(t, g->report.died);
	KTEST_EXPECT_EQ(t, g->report.death_exit_reason,
			EXIT_REASON_TRIPLE_FAULT);
	KTEST_EXPECT(t, test_guest_result(g, TGS_COUNT) > 0);
	KTEST_EXPECT_EQ(t, tg_exits(g, 0, EXIT_REASON_TRIPLE_FAULT), 1);
	KTEST_EXPECT_EQ(t, g->vcpus[1]->state, VCPU_STATE_STOPPED);
	ktest_diag(t, "vcpu1: %lu exits (%lu external interrupts)",
		   g->vcpus[1]->exits,
		   tg_exits(g, 1, EXIT_REASON_EXTERNAL_INTERRUPT));
	guest_destroy(g);
}
