/* SPDX-License-Identifier: MIT */
/*
 * Thin wrappers around x86-64 instructions: port I/O, MSRs, CPUID,
 * control registers, interrupts and TLB maintenance. Nothing here keeps
 * state; everything is static inline u64 read_cr2(void)
{
	u64 v;

	__asm__ __volatile__("mov %%cr2, %0" : "=r"(v));
	return v;
}

static inline void write_cr2(u64 v)
{
	__asm__ __volatile__("mov %0, %%cr2" :: "r"(v) : "memory");
}

static inline so it costs exactly its instruction.
 */
#ifndef ARCH_X86_CPU_H
#define ARCH_X86_CPU_H

#include "kernel/compiler.h"

#define X86_CR0_PE	BIT(0)
#define X86_CR0_MP	BIT(1)
#define X86_CR0_ET	BIT(4)
#define X86_CR0_NE	BIT(5)
#define X86_CR0_WP	BIT(16)
#define X86_CR0_NW	BIT(29)
#define X86_CR0_CD	BIT(30)
#define X86_CR0_PG	BIT(31)

#define X86_CR4_PAE	BIT(5)
#define X86_CR4_PGE	BIT(7)
#define X86_CR4_OSFXSR	BIT(9)
#define X86_CR4_OSXMMEXCPT BIT(10)
#define X86_CR4_VMXE	BIT(13)
#define X86_CR4_FSGSBASE BIT(16)
#define X86_CR4_PCIDE	BIT(17)

#define X86_RFLAGS_IF	BIT(9)
#define X86_RFLAGS_RF	BIT(16)

#define MSR_IA32_APIC_BASE	0x0000001b
#define MSR_IA32_FEATURE_CONTROL 0x0000003a
#define MSR_IA32_TSC_DEADLINE	0x000006e0
#define MSR_EFER		0xc0000080
#define MSR_FS_BASE		0xc0000100
#define MSR_GS_BASE		0xc0000101
#define MSR_KERNEL_GS_BASE	0xc0000102

#define EFER_SCE	BIT(0)
#define EFER_LME	BIT(8)
#define EFER_LMA	BIT(10)
#define EFER_NXE	BIT(11)

static inline void outb(u16 port, u8 v)
{
	__asm__ __volatile__("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outw(u16 port, u16 v)
{
	__asm__ __volatile__("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(u16 port, u32 v)
{
	__asm__ __volatile__("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline u8 inb(u16 port)
{
	u8 v;
	__asm__ __volatile__("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline u16 inw(u16 port)
{
	u16 v;
	__asm__ __volatile__("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline u32 inl(u16 port)
{
	u32 v;
	__asm__ __volatile__("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline u64 rdmsr(u32 msr)
{
	u32 lo, hi;
	__asm__ __volatile__("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((u64)hi << 32) | lo;
}

static inline void wrmsr(u32 msr, u64 v)
{
	__asm__ __volatile__("wrmsr" : : "c"(msr), "a"((u32)v), "d"((u32)(v >> 32))
			     : "memory");
}

static inline void cpuid_count(u32 leaf, u32 subleaf, u32 *a, u32 *b, u32 *c,
			       u32 *d)
{
	__asm__ __volatile__("cpuid"
			     : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d)
			     : "a"(leaf), "c"(subleaf));
}

static inline void cpuid(u32 leaf, u32 *a, u32 *b, u32 *c, u32 *d)
{
	cpuid_count(leaf, 0, a, b, c, d);
}

/* The CPU's physical-address width (CPUID.80000008H:EAX[7:0]; 36 without). */
static inline unsigned int cpu_maxphyaddr(void)
{
	u32 a, b, c, d;

	cpuid_count(0x80000000, 0, &a, &b, &c, &d);
	if (a < 0x80000008)
		return 36;
	cpuid_count(0x80000008, 0, &a, &b, &c, &d);
	return a & 0xff;
}

static inline u64 rdtsc(void)
{
	u32 lo, hi;
	__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
	return ((u64)hi << 32) | lo;
}

#define DEFINE_CR_ACCESSORS(n)						\
static inline u64 read_cr##n(void)					\
{									\
	u64 v;								\
	__asm__ __volatile__("mov %%cr" #n ", %0" : "=r"(v));		\
	return v;							\
}									\
static inline void write_cr##n(u64 v)					\
{									\
	__asm__ __volatile__("mov %0, %%cr" #n : : "r"(v) : "memory");	\
}
DEFINE_CR_ACCESSORS(0)
DEFINE_CR_ACCESSORS(2)
DEFINE_CR_ACCESSORS(3)
DEFINE_CR_ACCESSORS(4)
#undef DEFINE_CR_ACCESSORS

static inline u64 read_rflags(void)
{
	u64 f;
	__asm__ __volatile__("pushfq; popq %0" : "=r"(f));
	return f;
}

static inline void local_irq_enable(void)
{
	__asm__ __volatile__("sti" ::: "memory");
}

static inline void local_irq_disable(void)
{
	__asm__ __volatile__("cli" ::: "memory");
}

static inline unsigned long local_irq_save(void)
{
	unsigned long f = read_rflags();
	local_irq_disable();
	return f;
}

static inline void local_irq_restore(unsigned long f)
{
	if (f & X86_RFLAGS_IF)
		local_irq_enable();
}

static inline bool irqs_disabled(void)
{
	return !(read_rflags() & X86_RFLAGS_IF);
}

static inline void halt(void)
{
	__asm__ __volatile__("hlt" ::: "memory");
}

/* STI's one-instruction shadow makes "sti; hlt" race-free against wake-ups. */
static inline void safe_halt(void)
{
	__asm__ __volatile__("sti; hlt" ::: "memory");
}

static inline void cpu_pause(void)
{
	__asm__ __volatile__("pause" ::: "memory");
}

static inline void invlpg(const void *va)
{
	__asm__ __volatile__("invlpg (%0)" : : "r"(va) : "memory");
}

static inline void flush_tlb_local(void)
{
	write_cr3(read_cr3());
}

#endif
