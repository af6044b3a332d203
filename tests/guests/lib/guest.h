/* SPDX-License-Identifier: MIT */
/*
 * The test-guest library: what every ELF64 test guest in tests/guests/
 * builds on. Freestanding, no SSE, identity-mapped by the loader.
 *
 * Start-up: every vCPU enters _start (entry.S) with RDI = its index, RSI =
 * the boot-information block and its own stack. vCPU 0 installs the IDT
 * and calls main(); the others call secondary_main(index) (a weak default
 * returns at once) and then park. When main() returns, vCPU 0 waits (a
 * bounded time) for the secondaries to come back and ends the guest with
 * HC_EXIT(main's return value).
 *
 * Reporting: ktap_plan()/ktap_ok()/... print KTAP lines on the console and
 * report the same result to the host with HC_KTAP_PLAN/HC_KTAP_RESULT; the
 * host gathers them into the boot's overall result.
 */
#ifndef GUEST_LIB_GUEST_H
#define GUEST_LIB_GUEST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "include/uapi/hv_abi.h"

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int64_t s64;

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define __printf(a, b)	__attribute__((format(printf, a, b)))
#define __noreturn	__attribute__((noreturn))
#define READ_ONCE(x)	(*(volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))

/* Set up by the start code before main() runs. */
extern const struct hv_boot_info *boot_info;

/* Test guests define these. */
int main(void);
void secondary_main(unsigned int vcpu);	/* weak default: nothing */

/* ---- console ---------------------------------------------------------- */
/* Formatted output through HC_CONSOLE_WRITE, one hypercall per call. */
int printf(const char *fmt, ...) __printf(1, 2);
/* The same through the emulated 16550 at 0x3f8, polling LSR. */
int uart_printf(const char *fmt, ...) __printf(1, 2);
void uart_puts(const char *s);
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);
/* String functions: the kernel's arch/x86/string.c, linked into every guest. */
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
char *strstr(const char *haystack, const char *needle);
int memcmp(const void *a, const void *b, size_t n);
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
/* Value of option @key in the guest command line ("key=value"), or NULL. */
const char *guest_option(const char *key, char *buf, size_t size);

/* ---- KTAP ------------------------------------------------------------- */
void ktap_plan(unsigned int n);
/* Prints "ok N name" / "not ok N name"; numbers are shared by all vCPUs. */
bool ktap_result(bool ok, const char *fmt, ...) __printf(2, 3);
void ktap_skip(const char *name, const char *reason);
void ktap_diag(const char *fmt, ...) __printf(1, 2);
/* Results reported so far that failed. */
unsigned int ktap_nr_failed(void);

/* Assertion inside a test: prints the failing expression, evaluates to it. */
#define EXPECT(cond) ({							\
	bool __ok = !!(cond);						\
	if (!__ok)							\
		ktap_diag("%s:%d: expected %s", __FILE__, __LINE__, #cond); \
	__ok;								\
})
#define EXPECT_EQ(a, b) ({						\
	u64 __a = (u64)(a), __b = (u64)(b);				\
	if (__a != __b)							\
		ktap_diag("%s:%d: expected %s == %s (%#llx != %#llx)",	\
			  __FILE__, __LINE__, #a, #b,			\
			  (unsigned long long)__a, (unsigned long long)__b); \
	__a == __b;							\
})

/* ---- exceptions --------------------------------------------------------- */
/*
 * An instruction wrapped in ASM_SAFE() that faults does not kill the
 * guest: the handler resumes after it and records the vector, which the
 * *_safe() helpers return (-1 when nothing faulted). Faults anywhere else
 * are reported as "not ok" and end the guest with status 1.
 */
#define ASM_SAFE(insn)							\
	"1: " insn "\n2:\n"						\
	".pushsection .ex_table, \"a\"\n .quad 1b, 2b\n .popsection\n"

#define GUEST_MAX_VCPUS_LIB	8	/* as the host's GUEST_MAX_VCPUS */

#define X86_DE	0
#define X86_UD	6
#define X86_GP	13
#define X86_PF	14

void idt_install(void);
/* Vector of the last fault this vCPU took inside ASM_SAFE, -1 if none. */
int exception_take(void);
/*
 * A handler for NMI (vector 2) or an interrupt vector (32-255), run on
 * the vCPU that takes it with interrupts off; it EOIs its APIC itself.
 * An interrupt with no handler is an unexpected exception.
 */
typedef void (*irq_handler_t)(unsigned int vector);
void irq_set_handler(unsigned int vector, irq_handler_t fn);
/*
 * A #PF hook, run first for every #PF with the fault's CR2 and the
 * interrupted RFLAGS: true if it handled it (an async PF), false to go
 * on as for any fault.
 */
typedef bool (*pf_handler_t)(u64 cr2, u64 rflags);
void pf_set_handler(pf_handler_t fn);
static inline void sti(void) { asm volatile("sti" ::: "memory"); }
static inline void cli(void) { asm volatile("cli" ::: "memory"); }
/* STI's shadow covers HLT: an interrupt cannot slip in between. */
static inline void safe_halt(void) { asm volatile("sti; hlt" ::: "memory"); }
/* RFLAGS.IF save/restore around state an interrupt handler also changes
 * (the console lock: a task kernel's tick must not switch away from a
 * holder, task.h). */
static inline u64 local_irq_save(void)
{
	u64 flags;

	asm volatile("pushfq; popq %0; cli" : "=r"(flags) :: "memory");
	return flags;
}

static inline void local_irq_restore(u64 flags)
{
	if (flags & (1ULL << 9))
		sti();
}

/* Number of exceptions or interrupts with @vector this guest took. */
unsigned int exception_count(unsigned int vector);

int rdmsr_safe(u32 msr, u64 *val);	/* -1 or the vector */
int wrmsr_safe(u32 msr, u64 val);
/* VMX instructions: each returns -1 or the vector it raised. */
int vmxon_safe(u64 pa);
int vmptrld_safe(u64 pa);
int vmread_safe(u64 field);
int invept_safe(void);

/* ---- hypercalls (KVM convention; see hv_abi.h) ------------------------ */
static inline long hypercall4(u64 nr, u64 a, u64 b, u64 c, u64 d)
{
	long ret;

	asm volatile("vmcall" : "=a"(ret)
		     : "a"(nr), "b"(a), "c"(b), "d"(c), "S"(d) : "memory");
	return ret;
}
static inline long hypercall0(u64 nr) { return hypercall4(nr, 0, 0, 0, 0); }
static inline long hypercall1(u64 nr, u64 a) { return hypercall4(nr, a, 0, 0, 0); }

static inline long hc_console_write(const void *buf, u64 len)
{
	return hypercall4(HC_CONSOLE_WRITE, (u64)(uintptr_t)buf, len, 0, 0);
}
__noreturn void hc_exit(u64 status);
static inline long hc_ktap_plan(u64 n) { return hypercall1(HC_KTAP_PLAN, n); }
static inline long hc_ktap_result(u64 r) { return hypercall1(HC_KTAP_RESULT, r); }
static inline long hc_vcpu_info(void) { return hypercall0(HC_VCPU_INFO); }
/* Interrupt @vector on vCPU @vcpu of this guest (wakes it from HLT). */
static inline long hc_send_ipi(u64 vcpu, u64 vector)
{
	return hypercall4(HC_SEND_IPI, vcpu, vector, 0, 0);
}
/* MMU test requests: -HV_ENOSYS until the TDP MMU implements them. */
static inline long hc_mmu_zap_gfn_range(u64 gfn, u64 count)
{
	return hypercall4(HC_MMU_ZAP_GFN_RANGE, gfn, count, 0, 0);
}
static inline long hc_mmu_invalidate_roots(void)
{
	return hypercall0(HC_MMU_INVALIDATE_ROOTS);
}
static inline long hc_mmu_reclaim_gfn(u64 gfn) { return hypercall1(HC_MMU_RECLAIM_GFN, gfn); }
static inline long hc_mmu_replace_gfn(u64 gfn) { return hypercall1(HC_MMU_REPLACE_GFN, gfn); }
static inline long hc_mmu_swap_out(u64 gfn, u64 count)
{
	return hypercall4(HC_MMU_SWAP_OUT, gfn, count, 0, 0);
}
static inline long hc_mmu_stats(void *buf, u64 size)
{
	return hypercall4(HC_MMU_STATS, (u64)(uintptr_t)buf, size, 0, 0);
}

/* ---- CPU -------------------------------------------------------------- */
static inline void cpuid(u32 leaf, u32 sub, u32 *a, u32 *b, u32 *c, u32 *d)
{
	asm volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d)
		     : "a"(leaf), "c"(sub));
}
static inline u64 rdtsc(void)
{
	u32 lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (u64)hi << 32 | lo;
}
/* RDTSCP-free ordering: LFENCE keeps earlier instructions before the read. */
static inline u64 rdtsc_ordered(void)
{
	asm volatile("lfence" ::: "memory");
	return rdtsc();
}
static inline void outb(u16 port, u8 v) { asm volatile("outb %0, %1" :: "a"(v), "Nd"(port)); }
static inline u8 inb(u16 port) { u8 v; asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline void outl(u16 port, u32 v) { asm volatile("outl %0, %1" :: "a"(v), "Nd"(port)); }
static inline u32 inl(u16 port) { u32 v; asm volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline void cpu_relax(void) { asm volatile("pause" ::: "memory"); }

/*
 * Count a secondary vCPU as finished although it will never return from
 * secondary_main() (a test INITed it and restarted it elsewhere).
 */
void secondary_gone(void);
static inline long hc_irq_line(u64 gsi, u64 level)
{
	return hypercall4(HC_IRQ_LINE, gsi, level, 0, 0);
}
/* Index of the calling vCPU, from its stack (the loader's layout). */
unsigned int this_vcpu(void);

/* A test-and-set lock for guest-side data shared between vCPUs. */
struct guest_lock { volatile u32 locked; };
void guest_lock(struct guest_lock *l);
void guest_unlock(struct guest_lock *l);


/*
 * Map the 2 MiB page at @gpa (2 MiB aligned, below 1 GiB) at the same
 * virtual address in our page tables: the loader maps only guest memory,
 * so this is how a guest reaches a GPA outside it (MMIO, a wild access).
 */
static inline void map_2m_identity(u64 gpa)
{
	u64 *pd = (u64 *)(uintptr_t)HV_GPA_PD;

	pd[gpa >> 21] = gpa | 0x83;	/* present, writable, 2 MiB */
	asm volatile("invlpg (%0)" :: "r"(gpa) : "memory");
}

#endif
