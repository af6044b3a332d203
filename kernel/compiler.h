/* SPDX-License-Identifier: MIT */
/*
 * Compiler helpers and memory-ordering primitives.
 *
 * Everything here is plain GCC builtins, so it compiles identically in the
 * freestanding kernel and in hosted builds (where ThreadSanitizer
 * understands the __atomic builtins and checks them).
 *
 * READ_ONCE/WRITE_ONCE use relaxed atomics rather than volatile casts: on
 * x86-64 they compile to the same plain mov, but TSan then knows a racy
 * access is intended and reports only the races that are real.
 */
#ifndef KERNEL_COMPILER_H
#define KERNEL_COMPILER_H

#include "kernel/types.h"

#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)
#define __unused	__attribute__((unused))
#define __packed	__attribute__((packed))
#define __aligned(n)	__attribute__((aligned(n)))
#define __noreturn	__attribute__((noreturn))
#define __printf(a, b)	__attribute__((format(printf, a, b)))
#define __section(s)	__attribute__((section(s)))
#define __used		__attribute__((used))
#define __cacheline_aligned __attribute__((aligned(64)))

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define BIT(n)		(1ULL << (n))
#define ALIGN_UP(x, a)	(((x) + (a) - 1) & ~((__typeof__(x))(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a) - 1))
#define IS_ALIGNED(x, a) (((x) & ((__typeof__(x))(a) - 1)) == 0)
#define MIN(a, b)	((a) < (b) ? (a) : (b))
#define MAX(a, b)	((a) > (b) ? (a) : (b))
#define DIV_ROUND_UP(n, d) (((n) + (d) - 1) / (d))

#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - __builtin_offsetof(type, member)))

#define BUILD_BUG_ON(cond) _Static_assert(!(cond), #cond)

/* Compiler-only barrier: no instruction, forbids reordering across it. */
#define barrier()	__asm__ __volatile__("" ::: "memory")

#define READ_ONCE(x)	__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

/* Acquire/release pairs for publishing objects to lock-free readers. */
#define smp_load_acquire(p)	__atomic_load_n((p), __ATOMIC_ACQUIRE)
#define smp_store_release(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELEASE)

#define smp_mb()	__atomic_thread_fence(__ATOMIC_SEQ_CST)
#define smp_rmb()	__atomic_thread_fence(__ATOMIC_ACQUIRE)
#define smp_wmb()	__atomic_thread_fence(__ATOMIC_RELEASE)

/* Bits set (the kernel links no libgcc, so no __builtin_popcountll). */
static inline unsigned int hweight64(u64 w)
{
	w -= (w >> 1) & 0x5555555555555555ULL;
	w = (w & 0x3333333333333333ULL) + ((w >> 2) & 0x3333333333333333ULL);
	w = (w + (w >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
	return (unsigned int)((w * 0x0101010101010101ULL) >> 56);
}

#endif
