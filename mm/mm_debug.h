/* SPDX-License-Identifier: MIT */
/*
 * Debug switch and poison values for mm/.
 *
 * MM_DEBUG follows CONFIG_DEBUG (kernel/config.h) and is used as a
 * compile-time constant in plain `if`s, never #ifdef, so both variants of
 * every check always compile.
 */
#ifndef MM_MM_DEBUG_H
#define MM_MM_DEBUG_H

#if __has_include("kernel/config.h")
#include "kernel/config.h"
#define MM_DEBUG	CONFIG_DEBUG
#else
#define MM_DEBUG	1
#endif

/* Every byte of a freed page in debug builds (Linux's POISON_FREE). */
#define PAGE_POISON_BYTE	0x6b
#define PAGE_POISON_U64		0x6b6b6b6b6b6b6b6bULL
/* Bytes of a freed kmalloc object beyond its free-list header. */
#define KMALLOC_POISON_BYTE	0x6b

#endif
