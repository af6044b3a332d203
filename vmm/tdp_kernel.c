// SPDX-License-Identifier: MIT
/*
 * The kernel's side of the TDP MMU: what vmm/mmu/ asks of its platform
 * (struct vm_mmu_ops), a guest's struct vm and memslots, the vCPU's root
 * and EPTP, EPT violations, and the memory-pressure worker.
 *
 * TLB flushes. A CPU caches guest translations tagged by EPTP. A flush
 * must remove, before it returns, every translation of this VM that a CPU
 * could still use, so it runs INVEPT (single context, for each vCPU of
 * the VM whose VMCS is active there) on every CPU where such a VMCS is
 * active, by smp_call_on_cpu() with wait; the IPI also takes a CPU out of
 * guest mode. A CPU where no vCPU of the VM is active may still hold old
 * translations, but no vCPU uses them until one is loaded there again,
 * and loading (vcpu_mmu_flush_current) and switching roots
 * (vcpu_mmu_reload) both INVEPT the EPTP they are about to use - KVM's
 * KVM_REQ_TLB_FLUSH on a pCPU change and flush on root load. The flush
 * side orders its SPTE changes before reading v->cpu (smp_mb), the load
 * side its v->cpu store before the INVEPT, so one of the two always
 * flushes.
 */
#include "vmm/vcpu_apf.h"
#include "vmm/tdp_kernel.h"
#include "vmm/vmx/vmcs_fields.h"
#include "vmm/vmx/vmx.h"
#include "vmm/vmx/vmx_caps.h"
#include "vmm/mmu/tdp_mmu.h"
#include "arch/x86/cpu.h"
#include "arch/x86/smp.h"
#include "arch/x86/vmx.h"
#include "kernel/log.h"
#include "kernel/platform.h"
#include "kernel/sched.h"
#include "kernel/thread.h"
#include "include/uapi/hv_abi.h"

/* The MMU calls back with its struct vm, which lives inside the guest. */
static struct guest *vm_to_guest(struct vm *vm)
{
	return container_of(vm, struct guest, vm);
}

static void invept_eptp(u64 eptp)
{
	enum vmx_result r;

	if (vmx_caps.invept_single)
		r = invept(INVEPT_SINGLE_CONTEXT, eptp);
	else
		r = invept(INVEPT_ALL_CONTEXT, 0);
	if (r != VMX_OK)
		vmx_report_insn_error("INVEPT");
}

/* On a CPU where vCPUs of @arg may be active, interrupts off. */
static void tdp_flush_local(void *arg)
{
	struct guest *g = arg;
	int cpu = plat_cpu_id();

	for (unsigned int i = 0; i < g->nr_vcpus; i++) {
		struct vcpu *v = g->vcpus[i];
		u64 eptp = READ_ONCE(v->eptp);

		if (READ_ONCE(v->cpu) == cpu && eptp)
			invept_eptp(eptp);
	}
	/*
	 * EPT02 (shadow EPT for an L1's L2s) has EPTPs of its own, one per
	 * cached root: flush every context rather than track them.
	 */
	if (READ_ONCE(g->vm.indirect_shadow_pages) &&
	    invept(INVEPT_ALL_CONTEXT, 0) != VMX_OK)
		vmx_report_insn_error("INVEPT");
}

static void tdp_kernel_flush_remote_tlbs(struct vm *vm)
{
	struct guest *g = vm_to_guest(vm);
	u64 cpus = 0;

	/* The SPTE changes before the reads of where vCPUs are loaded. */
	smp_mb();
	for (unsigned int i = 0; i < g->nr_vcpus; i++) {
		int cpu = READ_ONCE(g->vcpus[i]->cpu);

		if (cpu >= 0 && cpu < MAX_CPUS)
			cpus |= BIT(cpu);
	}
	for (int cpu = 0; cpus; cpu++, cpus >>= 1)
		if ((cpus & 1) && smp_call_on_cpu(cpu, tdp_flush_local, g,
						  true))
			pr_err("tdp: %s: cpu%d offline during a TLB flush\n",
			       g->name, cpu);
}

/*
 * No per-GFN INVEPT exists (INVVPID works on linear addresses), so a
 * range flush is the whole context, as in KVM without Hyper-V assists.
 */
static void tdp_kernel_flush_remote_tlbs_range(struct vm *vm, gfn_t gfn,
					       u64 nr_pages)
{
	tdp_kernel_flush_remote_tlbs(vm);
}


static void tdp_kernel_queue_zap_work(struct vm *vm)
{
	struct guest *g = vm_to_guest(vm);

	queue_work(&g->mmu_zap_work);
}

/*
 * The scheduling-point probe: the time from a walk re-taking mmu_lock to
 * its next drop is a run without a scheduling point. A walk holding the
 * lock is not switched out (no preemption), so the CPU identifies it.
 */
static void sched_gap_end(struct guest *g)
{
	unsigned int cpu = plat_cpu_id();
	u64 now = rdtsc(), since = g->sp_done_tsc[cpu], old;

	if (!since)
		return;
	g->sp_done_tsc[cpu] = 0;
	old = __atomic_load_n(&g->sp_max_gap, __ATOMIC_RELAXED);
	while (now - since > old &&
	       !__atomic_compare_exchange_n(&g->sp_max_gap, &old, now - since,
					    false, __ATOMIC_RELAXED,
					    __ATOMIC_RELAXED))
		;
}

static void tdp_kernel_sched_point(struct vm *vm)
{
	struct guest *g = vm_to_guest(vm);

	__atomic_add_fetch(&g->sp_count, 1, __ATOMIC_RELAXED);
	sched_gap_end(g);
}

static void tdp_kernel_sched_point_done(struct vm *vm)
{
	struct guest *g = vm_to_guest(vm);

	g->sp_done_tsc[plat_cpu_id()] = rdtsc();
}

/*
 * The background zap of invalidated roots. Its start and its end count as
 * scheduling points for the probe, so the first run (up to the first
 * yield) and the last (after the last) are measured too.
 */
static void guest_mmu_zap_work_fn(struct work_struct *w)
{
	struct guest *g = container_of(w, struct guest, mmu_zap_work);

	g->sp_done_tsc[plat_cpu_id()] = rdtsc();
	tdp_mmu_zap_invalidated_roots(&g->vm);
	sched_gap_end(g);
}

static const struct vm_mmu_ops tdp_kernel_mmu_ops = {
	.flush_remote_tlbs = tdp_kernel_flush_remote_tlbs,
	.flush_remote_tlbs_range = tdp_kernel_flush_remote_tlbs_range,
	.queue_zap_work = tdp_kernel_queue_zap_work,
	.sched_point = tdp_kernel_sched_point,
	.sched_point_done = tdp_kernel_sched_point_done,
};

u64 guest_mmu_take_sched_gap(struct guest *g, u64 *count)
{
	if (count)
		*count = __atomic_exchange_n(&g->sp_count, 0, __ATOMIC_RELAXED);
	for (unsigned int cpu = 0; cpu < MAX_CPUS; cpu++)
		g->sp_done_tsc[cpu] = 0;
	return __atomic_exchange_n(&g->sp_max_gap, 0, __ATOMIC_RELAXED);
}

int guest_mmu_init(struct guest *g)
{
	struct vm *vm = &g->vm;
	int r;

	INIT_WORK(&g->mmu_zap_work, guest_mmu_zap_work_fn);
	r = tdp_mmu_vm_init(vm, &tdp_kernel_mmu_ops, 0);
	if (r)
		return -EINVAL;
	/* The largest EPT leaf this CPU takes (IA32_VMX_EPT_VPID_CAP). */
	vm->max_huge_level = vmx_caps.ept_1g ? PG_LEVEL_1G :
			     vmx_caps.ept_2m ? PG_LEVEL_2M : PG_LEVEL_4K;
	g->vm_ready = true;
	r = vm_add_memslot(vm, 0, g->nr_pages, 0, 0);
	if (r) {
		pr_err("guest %s: memslot of %lu pages refused (%d)\n",
		       g->name, g->nr_pages, r);
		return r == -ENOMEM ? -ENOMEM : -EINVAL;
	}
	return 0;
}

int guest_mmu_set_hugepages(struct guest *g, u32 huge_flags)
{
	int r;

	if (!huge_flags)
		return 0;
	r = memslot_set_backing(&g->vm.memslots[0], huge_flags);
	if (r)
		pr_err("guest %s: hugepages= refused (%d)\n", g->name, r);
	else
		pr_info("guest %s: RAM backed by %s blocks where free (EPT leaves up to %s)\n",
			g->name, huge_flags & MEMSLOT_HUGE_1G ? "1G, then 2M," :
			"2M", g->vm.max_huge_level == PG_LEVEL_1G ? "1G" :
			g->vm.max_huge_level == PG_LEVEL_2M ? "2M" : "4K");
	return r;
}

int guest_mmu_add_alias_slot(struct guest *g, u64 npages)
{
	int r;

	if (g->started || !npages || npages > GUEST_MAX_ALIAS_PAGES) {
		pr_err("guest %s: aliased memslot of %lu pages refused "
		       "(1..%llu pages, before start)\n", g->name, npages,
		       GUEST_MAX_ALIAS_PAGES);
		return -EINVAL;
	}
	r = vm_add_memslot(&g->vm, HV_GFN_ALIAS_BASE, npages, MEMSLOT_ALIAS,
			   GUEST_ALIAS_HOST_PAGES);
	if (r) {
		pr_err("guest %s: aliased memslot of %lu pages refused (%d)\n",
		       g->name, npages, r);
		return r == -ENOMEM ? -ENOMEM : -EINVAL;
	}
	return 0;
}

/* A profiled fault: the phases from the VM exit to the MMU's return. */
void vcpu_fault_profile_account(struct vcpu *v, u64 t_entry)
{
	const u64 *t = v->fault_stamps;
	u64 *sum = v->fault_prof_sum;

	sum[VCPU_PF_exit_to_mmu] += t[KVM_PF_T_START] - v->t_exit;
	sum[VCPU_PF_faultin_pfn] += t[KVM_PF_T_PFN] - t[KVM_PF_T_START];
	sum[VCPU_PF_read_lock] += t[KVM_PF_T_LOCKED] - t[KVM_PF_T_PFN];
	sum[VCPU_PF_map] += t[KVM_PF_T_MAPPED] - t[KVM_PF_T_LOCKED];
	sum[VCPU_PF_unlock] += t[KVM_PF_T_DONE] - t[KVM_PF_T_MAPPED];
	sum[VCPU_PF_mmu_to_entry] += t_entry - t[KVM_PF_T_DONE];
	v->fault_prof_n++;
	v->fault_profiled = false;
}

static void vcpu_fault_profile_print(struct vcpu *v)
{
	static const char *const names[] = {
#define X(n, d) #n,
		VCPU_PF_PHASES(X)
#undef X
	};
	char buf[256];
	int len;
	u64 n = v->fault_prof_n, total = 0;

	if (!n)
		return;
	len = ksnprintf(buf, sizeof(buf), "%s vcpu%u: EPT fault-in profile over %llu faults, ticks each:",
			v->guest->name, v->index, (unsigned long long)n);
	for (unsigned int i = 0; i < VCPU_PF_NR_PHASES; i++) {
		total += v->fault_prof_sum[i];
		len += ksnprintf(buf + len, sizeof(buf) - len, " %s %llu",
				 names[i],
				 (unsigned long long)(v->fault_prof_sum[i] / n));
	}
	pr_info("%s; host total %llu\n", buf, (unsigned long long)(total / n));
}

void guest_mmu_destroy(struct guest *g)
{
	struct vm *vm = &g->vm;

	if (!g->vm_ready)
		return;
	guest_mmu_pressure_stop(g);
	/* Page-ins cancelled before the store's worker and the VM go. */
	for (unsigned int i = 0; i < g->nr_vcpus; i++)
		vcpu_apf_destroy(g->vcpus[i]);
	guest_swap_stop(g);
	for (unsigned int i = 0; i < g->nr_vcpus; i++) {
		if (g->vcpus[i]->fault_profile) {
			vcpu_fault_profile_print(g->vcpus[i]);
			vcpu_apf_profile_print(g->vcpus[i]);
		}
		kvm_mmu_unload(vm, &g->vcpus[i]->mmu.root);
		g->vcpus[i]->eptp = 0;
	}
	/* A zap queued by the guest must not run on a freed VM. */
	flush_work(&g->mmu_zap_work);
	if (g->started)
		tdp_mmu_stats_print(vm, g->name);
	tdp_mmu_vm_destroy(vm);
	g->vm_ready = false;
}

int vcpu_mmu_reload(struct vcpu *v)
{
	struct kvm_mmu_page *old = v->mmu.root;
	u64 eptp;

	v->mmu.page_fault = kvm_tdp_page_fault;
	if (kvm_mmu_load(&v->guest->vm, &v->mmu.root))
		return -ENOMEM;
	if (v->mmu.root == old && v->eptp)
		return 0;
	v->mmu.root_role = sp_role(v->mmu.root);
	eptp = plat_virt_to_phys(v->mmu.root->spt) | EPTP_MEMTYPE_WB |
	       EPTP_PWL4;
	WRITE_ONCE(v->eptp, eptp);
	vmwrite(EPT_POINTER, eptp);
	/* A root page reused from a freed root must not see its old entries. */
	invept_eptp(eptp);
	return 0;
}

void vcpu_mmu_flush_current(struct vcpu *v)
{
	/* v->cpu is stored before: pairs with the flush's smp_mb(). */
	smp_mb();
	if (v->eptp)
		invept_eptp(v->eptp);
}

/* The memory-pressure worker: pressure=1 on the guest's module line. */
#define PRESSURE_PERIOD_MS	5
#define PRESSURE_PAGES		32

struct guest_mmu_pressure {
	struct thread *thread;
	bool stop;
	/* pressure=swap: pages go to the swap store, else they migrate. */
	enum tdp_reclaim_mode mode;
	struct tdp_reclaim_cursor cursor;
	u64 reclaimed;
};

static int guest_mmu_pressure_fn(void *arg)
{
	struct guest *g = arg;
	struct guest_mmu_pressure *p = g->pressure;

	while (!READ_ONCE(p->stop)) {
		long n = tdp_mmu_reclaim_some(&g->vm, PRESSURE_PAGES, p->mode,
					      &p->cursor);

		if (n > 0)
			p->reclaimed += n;
		msleep(PRESSURE_PERIOD_MS);
	}
	return 0;
}

int guest_mmu_pressure_start(struct guest *g, bool swap)
{
	struct guest_mmu_pressure *p = plat_zalloc(sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->mode = swap ? TDP_RECLAIM_SWAP : TDP_RECLAIM_MIGRATE;
	g->pressure = p;
	p->thread = kthread_run(guest_mmu_pressure_fn, g, "mmu_pressure", -1);
	if (!p->thread) {
		g->pressure = NULL;
		plat_free(p);
		return -ENOMEM;
	}
	pr_info("guest %s: memory pressure on: %u pages %s every %u ms\n",
		g->name, PRESSURE_PAGES, swap ? "swapped out" : "migrated",
		PRESSURE_PERIOD_MS);
	return 0;
}

void guest_mmu_pressure_stop(struct guest *g)
{
	struct guest_mmu_pressure *p = g->pressure;

	if (!p)
		return;
	WRITE_ONCE(p->stop, true);
	kthread_join(p->thread);
	pr_info("guest %s: memory pressure %s %lu pages\n", g->name,
		p->mode == TDP_RECLAIM_SWAP ? "swapped out" : "migrated",
		p->reclaimed);
	g->pressure = NULL;
	plat_free(p);
}
