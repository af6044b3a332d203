// SPDX-License-Identifier: MIT
/*
 * COM1 console.
 *
 * The console must work from exception and NMI context, possibly on a CPU
 * that was interrupted while it held the console, so it does not use the
 * general spinlock: console_owner is a CPU id (or -1) taken with
 * compare-and-exchange, and a CPU that already owns it (nested exception
 * or NMI) writes through instead of deadlocking. Interrupts are off while
 * it is held so the timer cannot nest on the same CPU in the middle of a
 * line. Protected by console_owner: the UART's transmit registers.
 */
#include "arch/x86/uart.h"
#include "arch/x86/cpu.h"
#include "kernel/platform.h"

#define COM1		0x3f8
#define UART_THR	0
#define UART_IER	1
#define UART_FCR	2
#define UART_LCR	3
#define UART_MCR	4
#define UART_LSR	5
#define UART_LSR_THRE	0x20
#define UART_LCR_DLAB	0x80

static int console_owner = -1;

void uart_init(void)
{
	outb(COM1 + UART_IER, 0);
	outb(COM1 + UART_LCR, UART_LCR_DLAB);
	outb(COM1 + 0, 1);		/* divisor 1: 115200 baud */
	outb(COM1 + 1, 0);
	outb(COM1 + UART_LCR, 0x03);	/* 8N1 */
	outb(COM1 + UART_FCR, 0xc7);	/* FIFO on, cleared */
	outb(COM1 + UART_MCR, 0x03);	/* DTR, RTS */
}

static void uart_putc(char c)
{
	unsigned int spins = 0;

	/* Bounded: a missing UART must not hang the kernel. */
	while (!(inb(COM1 + UART_LSR) & UART_LSR_THRE) && ++spins < 100000)
		cpu_pause();
	outb(COM1 + UART_THR, c);
}

void uart_write(const char *s, size_t len)
{
	unsigned long flags = local_irq_save();
	int me = (int)plat_cpu_id();
	int expected = -1;
	bool nested = false;

	while (!__atomic_compare_exchange_n(&console_owner, &expected, me,
					    false, __ATOMIC_ACQUIRE,
					    __ATOMIC_RELAXED)) {
		if (expected == me) {
			nested = true;
			break;
		}
		expected = -1;
		cpu_pause();
	}
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\n')
			uart_putc('\r');
		uart_putc(s[i]);
	}
	if (!nested)
		__atomic_store_n(&console_owner, -1, __ATOMIC_RELEASE);
	local_irq_restore(flags);
}

void uart_bust_lock(void)
{
	__atomic_store_n(&console_owner, -1, __ATOMIC_RELEASE);
}
