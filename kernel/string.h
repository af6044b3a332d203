/* SPDX-License-Identifier: MIT */
/*
 * The C string/memory functions the kernel uses (GCC also emits calls to
 * memcpy/memset/memmove/memcmp on its own). Prototypes match the C
 * library's, so hosted builds that include this get glibc's versions;
 * the kernel's live in arch/x86/string.c.
 */
#ifndef KERNEL_STRING_H
#define KERNEL_STRING_H

#include "kernel/types.h"

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
char *strstr(const char *haystack, const char *needle);

#endif
