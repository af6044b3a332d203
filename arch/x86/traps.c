// SPDX-License-Identifier: MIT
/*
 * CPU exceptions: name, registers, CR2 and a symbolized backtrace, then
 * every other CPU is stopped with an NMI and the run ends with FAIL.
 * The NMI path also serves the hard-lockup detector (kernel/watchdog.h).
 */
#include "arch/x86/interrupts.h"
#include "arch/x86/cpu.h"
#include "arch/x86/smp.h"
#include "arch/x86/stack_guard.h"
#include "arch/x86/uart.h"
#include "kernel/exit.h"
#include "kernel/log.h"
#include "kernel/percpu.h"
#include "kernel/symbols.h"
#include "kernel/thread.h"
#include "kernel/watchdog.h"

bool (*exception_test_hook)(struct exception_frame *frame);

static const char *const exception_names[32] = {
	[0] = "#DE divide error",
	[1] = "#DB debug",
	[2] = "NMI",
	[3] = "#BP breakpoint",
	[4] = "#OF overflow",
	[5] = "#BR bound range",
	[6] = "#UD invalid opcode",
	[7] = "#NM device not available",
	[8] = "#DF double fault",
	[9] = "coprocessor segment overrun",
	[10] = "#TS invalid TSS",
	[11] = "#NP segment not present",
	[12] = "#SS stack fault",
	[13] = "#GP general protection",
	[14] = "#PF page fault",
	[16] = "#MF x87 floating point",
	[17] = "#AC alignment check",
	[18] = "#MC machine check",
	[19] = "#XM SIMD floating point",
	[20] = "#VE virtualization exception",
	[21] = "#CP control protection",
	[28] = "#HV hypervisor injection",
	[29] = "#VC VMM communication",
	[30] = "#SX security",
};

const char *exception_name(unsigned int vector)
{
	if (vector < 32 && exception_names[vector])
		return exception_names[vector];
	return "reserved exception";
}

void show_regs(const struct exception_frame *f)
{
	char sym[128];

	symbolize(f->rip, sym, sizeof(sym));
	log_raw("RIP: %04llx:%016llx %s  RFLAGS: %016llx\n",
		(unsigned long long)f->cs, (unsigned long long)f->rip, sym,
		(unsigned long long)f->rflags);
	log_raw("RSP: %04llx:%016llx  CR2: %016llx\n",
		(unsigned long long)f->ss, (unsigned long long)f->rsp,
		(unsigned long long)read_cr2());
	log_raw("RAX: %016llx RBX: %016llx RCX: %016llx\n",
		(unsigned long long)f->rax, (unsigned long long)f->rbx,
		(unsigned long long)f->rcx);
	log_raw("RDX: %016llx RSI: %016llx RDI: %016llx\n",
		(unsigned long long)f->rdx, (unsigned long long)f->rsi,
		(unsigned long long)f->rdi);
	log_raw("RBP: %016llx R8:  %016llx R9:  %016llx\n",
		(unsigned long long)f->rbp, (unsigned long long)f->r8,
		(unsigned long long)f->r9);
	log_raw("R10: %016llx R11: %016llx R12: %016llx\n",
		(unsigned long long)f->r10, (unsigned long long)f->r11,
		(unsigned long long)f->r12);
	log_raw("R13: %016llx R14: %016llx R15: %016llx\n",
		(unsigned long long)f->r13, (unsigned long long)f->r14,
		(unsigned long long)f->r15);
	log_raw("CR0: %016llx CR3: %016llx CR4: %016llx\n",
		(unsigned long long)read_cr0(), (unsigned long long)read_cr3(),
		(unsigned long long)read_cr4());
}

void exception_dump(const struct exception_frame *f)
{
	log_raw("*** EXCEPTION %s (vector %llu) on cpu%u, error code 0x%llx\n",
		exception_name(f->vector), (unsigned long long)f->vector,
		this_cpu_id(), (unsigned long long)f->error_code);
	show_regs(f);
	backtrace_print_regs(f->rip, f->rsp, f->rbp);
}

/*
 * A #DF (or #PF) whose CR2 or RSP lies in a stack's guard page is a stack
 * overflow: the overflowing push faulted, and since the #PF frame had
 * nowhere to go either the CPU raised #DF on its IST stack. Say whose
 * stack it was before the register dump.
 */
static void report_stack_overflow(const struct exception_frame *f)
{
	u64 addrs[2] = { read_cr2(), f->rsp };
	char name[80], sname[40];
	enum cpu_stack which;
	unsigned int cpu;

	if (f->vector != X86_VEC_DF && f->vector != X86_VEC_PF)
		return;
	for (unsigned int i = 0; i < ARRAY_SIZE(addrs); i++) {
		u64 guard = addrs[i] & ~(u64)(PAGE_SIZE - 1);
		struct thread *t = thread_find_by_guard(addrs[i], &cpu);

		if (t) {
			ksnprintf(name, sizeof(name), "thread %s", t->name);
		} else if (cpu_stack_guard_name(addrs[i], sname, sizeof(sname),
						&cpu, &which)) {
			/* A boot stack is also a thread's (kmain, idle). */
			t = sched_cpu_curr(cpu);
			if (which == CPU_STACK_BOOT && t && !t->stack &&
			    cpu == this_cpu_id())
				ksnprintf(name, sizeof(name), "thread %s on %s",
					  t->name, sname);
			else
				ksnprintf(name, sizeof(name), "%s", sname);
		} else {
			continue;
		}
		log_raw("BUG: stack overflow in %s (cpu %u), guard page %#llx\n",
			name, cpu, (unsigned long long)guard);
		return;
	}
}

static int dying_cpu = -1;

static __noreturn void die(struct exception_frame *f)
{
	int me = (int)this_cpu_id();
	int expected = -1;
	unsigned int parked;

	if (!__atomic_compare_exchange_n(&dying_cpu, &expected, me, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
		if (expected != me)
			smp_park_this_cpu();	/* another CPU reports */
		/* Faulted while reporting: say so briefly and end. */
		uart_bust_lock();
		log_raw("*** nested %s at %llx while reporting an exception\n",
			exception_name(f->vector), (unsigned long long)f->rip);
		kernel_exit(false);
	}
	/* Stop the others first: one of them may hold the console. */
	parked = smp_stop_other_cpus();
	uart_bust_lock();
	report_stack_overflow(f);
	exception_dump(f);
	log_raw("*** stopped other CPUs: %u of %u parked by NMI\n", parked,
		READ_ONCE(nr_cpus_online) - 1);
	kernel_exit(false);
}

void handle_exception(struct exception_frame *frame)
{
	bool (*hook)(struct exception_frame *) = READ_ONCE(exception_test_hook);

	/*
	 * NMIs have two senders: smp_stop_other_cpus() (panic, crash, final
	 * exit) and the hard-lockup detector's buddy. NMIs sent while one is
	 * in service coalesce into one, so a single NMI may stand for both:
	 * stopping wins (the dying CPU is reporting; a lockup report would
	 * only get in its way); an NMI that is neither is fatal as before.
	 */
	if (frame->vector == X86_VEC_NMI) {
		if (smp_stopping())
			smp_park_this_cpu();
		if (watchdog_hardlockup_nmi(frame))
			return;
	}
	if (hook && hook(frame))
		return;
	die(frame);
}
