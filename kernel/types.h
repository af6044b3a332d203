/* SPDX-License-Identifier: MIT */
/*
 * Fixed-width types shared by the kernel and the hosted build.
 *
 * Only GCC's freestanding headers are used (stdint, stddef, stdbool,
 * stdarg), so the same file is correct in the kernel, which has no libc,
 * and in tests/host/, which links glibc.
 */
#ifndef KERNEL_TYPES_H
#define KERNEL_TYPES_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;

typedef u64 phys_addr_t;	/* host-physical address */
typedef u64 gpa_t;		/* guest-physical address */
typedef u64 gfn_t;		/* guest frame number (gpa >> PAGE_SHIFT) */
typedef u64 kvm_pfn_t;		/* host frame number */

#define PAGE_SHIFT	12
#define PAGE_SIZE	(1UL << PAGE_SHIFT)
#define PAGE_MASK	(~(PAGE_SIZE - 1))

/* Upper bound on CPUs; per-CPU arrays in the portable core are sized by it. */
#define MAX_CPUS	64

#endif
