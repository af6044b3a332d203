// SPDX-License-Identifier: MIT
/*
 * VMCALL hypercalls (numbers and convention in include/uapi/hv_abi.h):
 * the number in RAX, arguments in RBX, RCX, RDX, RSI, the result in RAX.
 * A call from guest user mode (CPL > 0) returns -HV_EPERM and does nothing.
 * An unknown number returns -HV_ENOSYS; a guest pointer outside guest
 * memory returns -HV_EFAULT (checked with guest_read(), never a host
 * fault).
 *
 * This is the hot exit of the benchmarks: no lock on the common calls, no
 * logging, and two VMREADs (SS access rights for the CPL, RIP) + one
 * VMWRITE (RIP; VMCALL is always 3 bytes).
 */
#include "vmm/guest_mem.h"
#include "vmm/guest_report.h"
#include "vmm/exit_codes.h"
#include "vmm/vcpu_irq.h"
#include "vmm/exit_handlers.h"
#include "vmm/hypercall_mmu.h"
#include "vmm/dev/dev_host.h"
#include "vmm/vmx/vmcs_fields.h"
#include "arch/x86/vmx.h"
#include "kernel/platform.h"
#include "include/uapi/hv_abi.h"
#include "kernel/errno.h"

#define VMCALL_LEN		3
/* SS.DPL is the CPL (SDM: "the DPL of SS is always equal to the CPL"). */
#define SS_AR_DPL_MASK		(3U << 5)
#define HC_CONSOLE_MAX		256
#define HC_RET(e)		((u64)-(s64)(e))

/* Returns the value for RAX; may set *stop to end this vCPU. */
typedef u64 (*hypercall_fn)(struct vcpu *v, bool *stop);

static u64 hc_console_write(struct vcpu *v, bool *stop)
{
	char buf[HC_CONSOLE_MAX];
	u64 gpa = v->regs.rbx, len = v->regs.rcx;

	if (len > sizeof(buf))
		return HC_RET(HV_EINVAL);
	if (!guest_read(v->guest, gpa, buf, len))
		return HC_RET(HV_EFAULT);
	guest_console_write(v->guest, buf, len);
	return len;
}

static u64 hc_exit(struct vcpu *v, bool *stop)
{
	guest_exit(v->guest, v->regs.rbx);
	*stop = true;
	return 0;
}

static u64 hc_ktap_plan(struct vcpu *v, bool *stop)
{
	struct guest *g = v->guest;
	unsigned long flags = spin_lock_irqsave(&g->report_lock);

	g->report.planned = (unsigned int)v->regs.rbx;
	spin_unlock_irqrestore(&g->report_lock, flags);
	return 0;
}

static u64 hc_ktap_result(struct vcpu *v, bool *stop)
{
	struct guest *g = v->guest;
	unsigned long flags;
	u64 res = v->regs.rbx;

	if (res > 2)
		return HC_RET(HV_EINVAL);
	flags = spin_lock_irqsave(&g->report_lock);
	if (res == 0)
		g->report.passed++;
	else if (res == 1)
		g->report.failed++;
	else
		g->report.skipped++;
	spin_unlock_irqrestore(&g->report_lock, flags);
	return 0;
}

static u64 hc_vcpu_info(struct vcpu *v, bool *stop)
{
	return plat_cpu_id();
}

/*
 * An "IPI" between the guest's vCPUs (KVM_HC_SEND_IPI, one target). The
 * guest chooses both numbers, so both are checked: a vCPU that does not
 * exist or an exception vector gets -HV_EINVAL, the guest's clear answer
 * (nothing is logged: a hostile guest could flood the log). Queuing for a
 * vCPU that has stopped is harmless: it is never delivered.
 */
static u64 hc_send_ipi(struct vcpu *v, bool *stop)
{
	struct guest *g = v->guest;
	u64 target = v->regs.rbx, vector = v->regs.rcx;

	if (target >= g->nr_vcpus || vector < 32 || vector > 255)
		return HC_RET(HV_EINVAL);
	vcpu_queue_interrupt(g->vcpus[target], (u8)vector);
	return 0;
}

/* Drive an interrupt line as a device would (the APIC tests' source). */
static u64 hc_irq_line(struct vcpu *v, bool *stop)
{
	u64 gsi = v->regs.rbx, level = v->regs.rcx;

	if (gsi >= IOAPIC_NR_PINS || level > 1)
		return HC_RET(HV_EINVAL);
	guest_set_irq(v->guest, (unsigned int)gsi, level);
	return 0;
}

/*
 * X(number, handler, test hook). A test hook (the MMU tests' requests:
 * zap, invalidate, reclaim, replace, prefault, probes) lets a guest make
 * the host do what it otherwise never does on demand; only a guest whose
 * module line says test_hooks=1 may call them, others get -HV_EPERM.
 */
#define HYPERCALLS(X)							\
	X(HC_CONSOLE_WRITE,	hc_console_write,	false)		\
	X(HC_EXIT,		hc_exit,		false)		\
	X(HC_KTAP_PLAN,		hc_ktap_plan,		false)		\
	X(HC_KTAP_RESULT,	hc_ktap_result,		false)		\
	X(HC_VCPU_INFO,		hc_vcpu_info,		false)		\
	X(HC_SEND_IPI,		hc_send_ipi,		false)		\
	X(HC_MMU_ZAP_GFN_RANGE,	hc_mmu_zap_gfn_range,	true)		\
	X(HC_MMU_INVALIDATE_ROOTS, hc_mmu_invalidate_roots, true)	\
	X(HC_MMU_RECLAIM_GFN,	hc_mmu_reclaim_gfn,	true)		\
	X(HC_MMU_REPLACE_GFN,	hc_mmu_replace_gfn,	true)		\
	X(HC_MMU_SWAP_OUT,	hc_mmu_swap_out,	true)		\
	X(HC_MMU_STATS,		hc_mmu_stats,		true)		\
	X(HC_MMU_PREFAULT,	hc_mmu_prefault,	true)		\
	X(HC_MMU_SCHED_GAP,	hc_mmu_sched_gap,	true)		\
	X(HC_MMU_HUGE,		hc_mmu_huge,		true)		\
	X(HC_IRQ_LINE,		hc_irq_line,		true)

#define HC_TABLE_SIZE	32

static const struct {
	hypercall_fn fn;
	bool test_hook;
} hypercalls[HC_TABLE_SIZE] = {
#define HC_ENTRY(nr, f, hook) [nr] = { .fn = f, .test_hook = hook },
	HYPERCALLS(HC_ENTRY)
#undef HC_ENTRY
};

/* The guest ABI's error numbers are the host's (kernel/errno.h). */
_Static_assert(HV_EPERM == EPERM && HV_ENOSYS == ENOSYS &&
	       HV_EINVAL == EINVAL && HV_EFAULT == EFAULT && HV_EIO == EIO &&
	       HV_ENOMEM == ENOMEM && HV_EBUSY == EBUSY && HV_ERANGE == ERANGE,
	       "include/uapi/hv_abi.h and kernel/errno.h disagree");

int handle_vmcall(struct vcpu *v)
{
	u64 nr = v->regs.rax;
	bool stop = false;

	/* Only the guest kernel may call (as KVM: -EPERM above CPL 0). */
	if (unlikely(vmread(GUEST_SS_AR_BYTES) & SS_AR_DPL_MASK))
		v->regs.rax = HC_RET(HV_EPERM);
	else if (unlikely(nr >= HC_TABLE_SIZE || !hypercalls[nr].fn))
		v->regs.rax = HC_RET(HV_ENOSYS);
	else if (unlikely(hypercalls[nr].test_hook && !v->guest->test_hooks))
		v->regs.rax = HC_RET(HV_EPERM);
	else
		v->regs.rax = hypercalls[nr].fn(v, &stop);
	vmwrite(GUEST_RIP, vmread(GUEST_RIP) + VMCALL_LEN);
	return stop ? VCPU_STOP : VCPU_RESUME;
}
