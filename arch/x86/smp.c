// SPDX-License-Identifier: MIT
/*
 * AP start-up (INIT-SIPI-SIPI through boot/trampoline.asm), the
 * smp_call_on_cpu() mailbox and stopping all CPUs.
 *
 * APs are started one at a time: the trampoline's parameter block is
 * shared, so the BSP waits for each AP to check in (or times out) before
 * rewriting it for the next one.
 */
#include "arch/x86/smp.h"
#include "arch/x86/acpi.h"
#include "arch/x86/cpu.h"
#include "arch/x86/gdt.h"
#include "arch/x86/interrupts.h"
#include "arch/x86/lapic.h"
#include "arch/x86/stack_guard.h"
#include "kernel/log.h"
#include "kernel/percpu.h"
#include "kernel/string.h"
#include "kernel/symbols.h"
#include "mm/page_alloc.h"

struct trampoline_params {
	u64 cr3;
	u64 stack;
	u64 entry;
	u64 arg;
};

extern u8 trampoline_start[], trampoline_end[];
extern struct trampoline_params trampoline_params;

#define AP_START_TIMEOUT_MS	2000

/* Set once by smp_stop_other_cpus(); NMIs then park their CPU. */
static bool stopping;
/* CPUs parked by an NMI (or by die() on a second faulting CPU). */
static unsigned int nr_parked;

/*
 * One lock per target CPU serialises callers posting to its mailbox;
 * protects: the target's percpu->call fn/arg/seq (written by the holder).
 */
static int call_lock[MAX_CPUS];

__attribute__((weak)) __noreturn void cpu_idle_loop(void)
{
	for (;;)
		safe_halt();
}

unsigned int smp_nr_expected(void)
{
	return acpi_info.nr_lapics ? acpi_info.nr_lapics : 1;
}

/* Serve a posted call, if any; runs in the call IPI or while waiting. */
static void smp_call_poll(void)
{
	struct smp_call *call = &this_cpu()->call;
	unsigned long seq = smp_load_acquire(&call->seq);

	if (READ_ONCE(call->done) == seq)
		return;
	call->fn(call->arg);
	smp_store_release(&call->done, seq);
}

static void smp_call_interrupt(struct exception_frame *frame)
{
	smp_call_poll();
}

int smp_call_on_cpu(unsigned int cpu, void (*fn)(void *arg), void *arg,
		    bool wait)
{
	struct percpu *pc = per_cpu(cpu);
	struct smp_call *call;
	unsigned long seq;

	if (!pc || !READ_ONCE(pc->online))
		return -1;
	if (cpu == this_cpu_id()) {
		unsigned long flags = local_irq_save();

		fn(arg);
		local_irq_restore(flags);
		return 0;
	}
	call = &pc->call;
	while (__atomic_exchange_n(&call_lock[cpu], 1, __ATOMIC_ACQUIRE)) {
		smp_call_poll();
		cpu_pause();
	}
	/* The previous call must have been taken before the slot is reused. */
	while (READ_ONCE(call->done) != READ_ONCE(call->seq)) {
		smp_call_poll();
		cpu_pause();
	}
	call->fn = fn;
	call->arg = arg;
	seq = call->seq + 1;
	smp_store_release(&call->seq, seq);
	__atomic_store_n(&call_lock[cpu], 0, __ATOMIC_RELEASE);
	lapic_send_ipi(pc->apic_id, APIC_ICR_FIXED | VEC_CALL_FUNCTION);

	while (wait && (long)(smp_load_acquire(&call->done) - seq) < 0) {
		smp_call_poll();
		cpu_pause();
	}
	return 0;
}

bool smp_stopping(void)
{
	return READ_ONCE(stopping);
}

__noreturn void smp_park_this_cpu(void)
{
	local_irq_disable();
	__atomic_add_fetch(&nr_parked, 1, __ATOMIC_RELEASE);
	for (;;)
		halt();
}

unsigned int smp_stop_other_cpus(void)
{
	unsigned int others = READ_ONCE(nr_cpus_online) - 1;
	u64 deadline;

	if (__atomic_exchange_n(&stopping, true, __ATOMIC_ACQ_REL))
		return READ_ONCE(nr_parked);
	if (!others)
		return 0;
	/*
	 * One NMI per online CPU, never the all-but-self shorthand: a CPU
	 * the machine has but we never started (beyond MAX_CPUS, or cpus=)
	 * still waits for its SIPI with no IDT, and an NMI there resets the
	 * machine before the report is out.
	 */
	for (unsigned int cpu = 0; cpu < MAX_CPUS; cpu++) {
		struct percpu *pc = per_cpu(cpu);

		if (pc && cpu != this_cpu_id() && READ_ONCE(pc->online))
			lapic_send_ipi(pc->apic_id, APIC_ICR_NMI);
	}
	/* Bounded wait: a wedged CPU must not keep us from reporting. */
	deadline = rdtsc() + tsc_hz() / 10;
	while (READ_ONCE(nr_parked) < others && (s64)(rdtsc() - deadline) < 0)
		cpu_pause();
	return READ_ONCE(nr_parked);
}

/* First C code on an AP, on its own stack, with the kernel's CR3. */
static __noreturn void ap_entry(struct percpu *pc)
{
	percpu_install(pc);
	if (!gdt_init_cpu(pc))
		pr_err("smp: cpu%u: has no TSS; NMI, #DF and #MC will fault\n",
		       pc->cpu_id);
	idt_load();
	lapic_init_cpu();
	lapic_timer_start(timer_hz);
	smp_store_release(&pc->online, true);
	__atomic_add_fetch(&nr_cpus_online, 1, __ATOMIC_RELEASE);
	local_irq_enable();
	cpu_idle_loop();
}

/*
 * An AP's boot stack (later its idle thread's): a block of twice
 * PERCPU_STACK_ORDER whose lowest page is its guard page, so the stack
 * itself is larger than PERCPU_STACK_ORDER, never smaller.
 */
#define AP_STACK_BLOCK_ORDER	(PERCPU_STACK_ORDER + 1)

static bool start_ap(u32 apic_id, unsigned int cpu)
{
	struct percpu *pc = page_alloc_zeroed(0);
	u8 *stack = page_alloc_zeroed(AP_STACK_BLOCK_ORDER);
	u64 deadline;

	BUILD_BUG_ON(sizeof(struct percpu) > PAGE_SIZE);
	if (!pc || !stack) {
		pr_err("smp: no memory to start the CPU with APIC id %u\n",
		       apic_id);
		page_free(pc, 0);
		page_free(stack, AP_STACK_BLOCK_ORDER);
		return false;
	}
	pc->cpu_id = cpu;
	pc->apic_id = apic_id;
	pc->kernel_stack_top = stack + (PAGE_SIZE << AP_STACK_BLOCK_ORDER);
	/*
	 * Guard pages and the TLB shootdown they need are done here, on the
	 * BSP: the AP has no LAPIC set up to send the shootdown's IPIs.
	 * A guard that cannot be had (no page table) is said and skipped.
	 */
	if (!gdt_prepare_cpu(pc)) {
		page_free(pc, 0);
		page_free(stack, AP_STACK_BLOCK_ORDER);
		return false;
	}
	cpu_stack_guard_install(cpu, CPU_STACK_BOOT, stack,
				pc->kernel_stack_top);

	trampoline_params.cr3 = read_cr3();
	trampoline_params.stack = (u64)(unsigned long)pc->kernel_stack_top;
	trampoline_params.entry = (u64)(unsigned long)ap_entry;
	trampoline_params.arg = (u64)(unsigned long)pc;
	memcpy((void *)TRAMP_BASE, trampoline_start,
	       trampoline_end - trampoline_start);
	smp_mb();

	lapic_send_ipi(apic_id, APIC_ICR_INIT | APIC_ICR_LEVEL_ASSERT);
	udelay(10000);
	for (int i = 0; i < 2 && !READ_ONCE(pc->online); i++) {
		lapic_send_ipi(apic_id, APIC_ICR_STARTUP | (TRAMP_BASE >> 12));
		udelay(200);
	}
	deadline = rdtsc() + tsc_hz() / 1000 * AP_START_TIMEOUT_MS;
	while (!smp_load_acquire(&pc->online)) {
		if ((s64)(rdtsc() - deadline) > 0) {
			/*
			 * Leak pc and stack on purpose: the AP may still be
			 * on its way and would use them.
			 */
			pr_err("smp: CPU with APIC id %u did not come up within %u ms; continuing without it\n",
			       apic_id, AP_START_TIMEOUT_MS);
			return false;
		}
		cpu_pause();
	}
	return true;
}

void smp_boot_aps(unsigned int max_cpus)
{
	u32 self = lapic_id();
	unsigned int next = 1;

	irq_register(VEC_CALL_FUNCTION, smp_call_interrupt);
	/* Paging is up and no AP runs yet: no shootdown needed. */
	gdt_guard_boot_cpu_stacks();
	/*
	 * The trampoline runs from its copy at TRAMP_BASE, where no ELF
	 * symbol lies: name that range, so an AP's backtrace ends in
	 * "ap_trampoline+0x.." (its call of ap_entry) and not a raw address.
	 */
	symbols_add_range(TRAMP_BASE, trampoline_end - trampoline_start,
			  "ap_trampoline");
	if (max_cpus > MAX_CPUS)
		max_cpus = MAX_CPUS;
	for (unsigned int i = 0; i < acpi_info.nr_lapics; i++) {
		u32 id = acpi_info.lapic_ids[i];

		if (id == self)
			continue;
		if (next >= max_cpus) {
			pr_info("smp: cpus=%u limit: not starting APIC id %u\n",
				max_cpus, id);
			continue;
		}
		if (id > 0xff && !lapic_x2apic_mode()) {
			pr_err("smp: APIC id %u needs x2APIC; skipped\n", id);
			continue;
		}
		if (start_ap(id, next))
			next++;
	}
	pr_info("smp: %u CPU(s) online (MADT lists %u)\n",
		READ_ONCE(nr_cpus_online), smp_nr_expected());
}
