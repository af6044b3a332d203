/* SPDX-License-Identifier: MIT */
/*
 * Kernel heap.
 *
 * Requests up to KMALLOC_MAX_SMALL bytes are served from power-of-two size
 * classes (16 .. 2048 bytes). Each class carves order-0 pages into equal
 * objects; the page's descriptor carries PG_slab, the class, its own free
 * list and an in-use count, and a page whose last object is freed goes
 * straight back to the buddy allocator (so a test's before/after free-page
 * count is exact). Larger requests get a whole buddy block whose head
 * descriptor is marked PG_kmalloc_large and remembers the order, so kfree()
 * needs no size.
 *
 * Objects are aligned to their class size (a power of two), large ones to
 * a page. kfree(NULL) does nothing. kfree() of anything that is not a live
 * object - a double free, an interior pointer, a page_alloc()'ed page, a
 * stack or static address - is reported by name (WARN) and ignored.
 */
#ifndef MM_KMALLOC_H
#define MM_KMALLOC_H

#include "kernel/compiler.h"

#define KMALLOC_MIN_SIZE	16
#define KMALLOC_MAX_SMALL	2048
#define KMALLOC_NR_CLASSES	8	/* 16, 32, ..., 2048 */

void *kmalloc(size_t size);
void *kzalloc(size_t size);
void kfree(void *p);

/* Objects handed out and not yet freed (small and large). */
u64 kmalloc_nr_live(void);
/* Pages currently held by the size classes. */
u64 kmalloc_nr_slab_pages(void);
/* kfree() calls refused as invalid. */
u64 kmalloc_nr_bad_frees(void);
/* Usable size of a live object (its class size, or its block size). */
size_t ksize(const void *p);

#endif
