/* SPDX-License-Identifier: MIT */
/* 16550 UART on COM1: the kernel console (polled, 115200 8N1). */
#ifndef ARCH_X86_UART_H
#define ARCH_X86_UART_H

#include "kernel/types.h"

void uart_init(void);
/* Write @len bytes as one unit: lines from different CPUs never mix. */
void uart_write(const char *s, size_t len);
/* Forget the console owner (after the other CPUs were stopped). */
void uart_bust_lock(void);

#endif
