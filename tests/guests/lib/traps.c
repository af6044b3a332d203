// SPDX-License-Identifier: MIT
/*
 * Exceptions and interrupts in a test guest: an IDT over all 256
 * vectors, resumable faults for instructions wrapped in ASM_SAFE (an
 * exception table, as Linux's), per-vector counts, handlers that a test
 * registers for NMI and vectors 32-255, and the *_safe() helpers.
 */
#include "tests/guests/lib/guest.h"

struct trap_frame {
	u64 r15, r14, r13, r12, r11, r10, r9, r8;
	u64 rbp, rdi, rsi, rdx, rcx, rbx, rax;
	u64 vector, error;
	u64 rip, cs, rflags, rsp, ss;
};

struct ex_entry {
	u64 fault_ip, fixup_ip;
};

struct idt_gate {
	u16 off_lo, sel;
	u8 ist, type;
	u16 off_mid;
	u32 off_hi, zero;
};

extern const u64 trap_stubs[32];
extern const char irq_stubs[];
extern const struct ex_entry __start_ex_table[], __stop_ex_table[];

static struct idt_gate idt[256] __attribute__((aligned(16)));
static int last_fault[GUEST_MAX_VCPUS_LIB];
static u32 counts[256];
static irq_handler_t handlers[256];
static pf_handler_t pf_handler;

void pf_set_handler(pf_handler_t fn)
{
	WRITE_ONCE(pf_handler, fn);
}

void guest_trap(struct trap_frame *f);

void idt_install(void)
{
	struct { u16 limit; u64 base; } __attribute__((packed)) idtr = {
		sizeof(idt) - 1, (u64)(uintptr_t)idt,
	};

	/* Every vCPU writes the same gates; racing writers agree. */
	for (unsigned int i = 0; i < 256; i++) {
		u64 a = i < 32 ? trap_stubs[i]
			       : (u64)(uintptr_t)irq_stubs + (i - 32) * 16;

		idt[i] = (struct idt_gate){
			.off_lo = a, .sel = 0x08, .type = 0x8e,
			.off_mid = a >> 16, .off_hi = a >> 32,
		};
	}
	asm volatile("lidt %0" :: "m"(idtr));
	last_fault[this_vcpu() % GUEST_MAX_VCPUS_LIB] = -1;
}

int exception_take(void)
{
	int *p = &last_fault[this_vcpu() % GUEST_MAX_VCPUS_LIB];
	int v = *p;

	*p = -1;
	return v;
}

unsigned int exception_count(unsigned int vector)
{
	return vector < 256 ? READ_ONCE(counts[vector]) : 0;
}

void irq_set_handler(unsigned int vector, irq_handler_t fn)
{
	if (vector < 256)
		WRITE_ONCE(handlers[vector], fn);
}

void guest_trap(struct trap_frame *f)
{
	irq_handler_t fn;

	if (f->vector < 256)
		__atomic_fetch_add(&counts[f->vector], 1, __ATOMIC_RELAXED);
	fn = f->vector < 256 ? READ_ONCE(handlers[f->vector]) : NULL;
	if (fn && (f->vector == 2 || f->vector >= 32)) {
		fn((unsigned int)f->vector);
		return;
	}
	/* A paravirtual #PF (async PF "not present") is the hook's. */
	if (f->vector == X86_PF && READ_ONCE(pf_handler)) {
		u64 cr2;

		asm volatile("mov %%cr2, %0" : "=r"(cr2));
		if (READ_ONCE(pf_handler)(cr2, f->rflags))
			return;
	}
	for (const struct ex_entry *e = __start_ex_table; e < __stop_ex_table; e++) {
		if (e->fault_ip == f->rip) {
			f->rip = e->fixup_ip;
			last_fault[this_vcpu() % GUEST_MAX_VCPUS_LIB] = f->vector;
			return;
		}
	}
	printf("# unexpected exception %llu at rip %#llx, error %#llx\n",
	       (unsigned long long)f->vector, (unsigned long long)f->rip,
	       (unsigned long long)f->error);
	ktap_result(false, "no_unexpected_exception");
	hc_exit(1);
}

int rdmsr_safe(u32 msr, u64 *val)
{
	u32 lo = 0, hi = 0;

	exception_take();
	asm volatile(ASM_SAFE("rdmsr") : "+a"(lo), "+d"(hi) : "c"(msr));
	*val = (u64)hi << 32 | lo;
	return exception_take();
}

int wrmsr_safe(u32 msr, u64 val)
{
	exception_take();
	asm volatile(ASM_SAFE("wrmsr")
		     :: "c"(msr), "a"((u32)val), "d"((u32)(val >> 32)));
	return exception_take();
}

int vmxon_safe(u64 pa)
{
	exception_take();
	asm volatile(ASM_SAFE("vmxon %0") :: "m"(pa) : "cc", "memory");
	return exception_take();
}

int vmptrld_safe(u64 pa)
{
	exception_take();
	asm volatile(ASM_SAFE("vmptrld %0") :: "m"(pa) : "cc", "memory");
	return exception_take();
}

int vmread_safe(u64 field)
{
	u64 val = 0;

	exception_take();
	asm volatile(ASM_SAFE("vmread %1, %0") : "+r"(val) : "r"(field) : "cc");
	return exception_take();
}

int invept_safe(void)
{
	u64 desc[2] = { 0, 0 };

	exception_take();
	asm volatile(ASM_SAFE("invept %0, %1")
		     :: "m"(desc), "r"(1ULL) : "cc", "memory");
	return exception_take();
}
