// SPDX-License-Identifier: MIT
/* The 16550 UART model and the exit port (see uart16550.h). */
#include "vmm/dev/uart16550.h"
#include "vmm/dev/dev_host.h"

/* 16550 registers (offset from the base; DLAB = LCR bit 7). */
#define UART_RBR_THR	0
#define UART_IER	1
#define UART_IIR	2
#define UART_LCR	3
#define UART_MCR	4
#define UART_LSR	5
#define UART_MSR	6
#define UART_SCR	7
#define UART_LCR_DLAB	0x80
#define UART_LSR_THRE	0x20	/* transmit holding register empty */
#define UART_LSR_TEMT	0x40	/* transmitter empty */
#define UART_IIR_NONE	0x01	/* no interrupt pending */
#define UART_MSR_CTS_DSR_DCD 0xb0

void uart16550_init(struct uart16550 *u, struct guest *g)
{
	*u = (struct uart16550){ .guest = g };
	spin_lock_init(&u->lock, "uart16550");
}

static int uart_write(void *dev, u64 reg, unsigned int size, u64 val)
{
	struct uart16550 *u = dev;
	unsigned long flags = spin_lock_irqsave(&u->lock);
	bool dlab = u->lcr & UART_LCR_DLAB;
	char b = (char)val;

	switch (reg) {
	case UART_RBR_THR:
		if (!dlab) {
			spin_unlock_irqrestore(&u->lock, flags);
			guest_console_write(u->guest, &b, 1);
			return 0;
		}
		u->dll = (u8)val;
		break;
	case UART_IER:
		if (dlab)
			u->dlm = (u8)val;
		else
			u->ier = val & 0x0f;
		break;
	case UART_LCR:
		u->lcr = (u8)val;
		break;
	case UART_MCR:
		u->mcr = val & 0x1f;
		break;
	case UART_SCR:
		u->scr = (u8)val;
		break;
	default:	/* FCR, LSR, MSR: nothing to keep */
		break;
	}
	spin_unlock_irqrestore(&u->lock, flags);
	return 0;
}

static int uart_read(void *dev, u64 reg, unsigned int size, u64 *val)
{
	struct uart16550 *u = dev;
	unsigned long flags = spin_lock_irqsave(&u->lock);
	bool dlab = u->lcr & UART_LCR_DLAB;

	switch (reg) {
	case UART_RBR_THR:
		*val = dlab ? u->dll : 0;	/* no input */
		break;
	case UART_IER:
		*val = dlab ? u->dlm : u->ier;
		break;
	case UART_IIR:
		*val = UART_IIR_NONE;
		break;
	case UART_LCR:
		*val = u->lcr;
		break;
	case UART_MCR:
		*val = u->mcr;
		break;
	case UART_LSR:
		*val = UART_LSR_THRE | UART_LSR_TEMT;
		break;
	case UART_MSR:
		*val = UART_MSR_CTS_DSR_DCD;
		break;
	default:
		*val = u->scr;
		break;
	}
	spin_unlock_irqrestore(&u->lock, flags);
	return 0;
}

const struct io_dev_ops uart16550_ops = {
	.read = uart_read, .write = uart_write,
};

static int exit_port_write(void *dev, u64 offset, unsigned int size, u64 val)
{
	guest_exit(dev, val);
	return IO_BUS_STOP;
}

/* Reads find nothing (all ones), as on QEMU's isa-debug-exit. */
const struct io_dev_ops exit_port_ops = { .write = exit_port_write };
