// SPDX-License-Identifier: MIT
/*
 * Port I/O: a table of port ranges and their device models. Every IN/OUT
 * exits (unconditional I/O exiting). Modelled: a 16550 UART at 0x3f8 whose
 * transmitter feeds the guest console, and the exit port 0xf4 (QEMU's
 * isa-debug-exit: writing V ends the guest with status V). Any other port
 * behaves as on a PC with nothing there: reads give all ones, writes are
 * dropped.
 */
#include "vmm/exit_handlers.h"
#include "vmm/vmcs_fields.h"
#include "arch/x86/vmx.h"
#include "kernel/log.h"
#include "include/uapi/hv_abi.h"

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

struct io_access {
	u16 port;
	u8 size;	/* 1, 2 or 4 */
	bool in;
	u32 val;	/* OUT: the value; IN: filled by the device */
};

/* The console's bytes are the guest's; no register is shared with others. */
static void uart_io(struct vcpu *v, struct io_access *io)
{
	struct guest *g = v->guest;
	unsigned int reg = io->port - HV_PORT_UART;
	unsigned long flags;
	bool dlab;
	u8 b = io->val & 0xff;

	flags = spin_lock_irqsave(&g->console_lock);
	dlab = g->uart_lcr & UART_LCR_DLAB;
	if (!io->in) {
		switch (reg) {
		case UART_RBR_THR:
			if (dlab) {
				g->uart_dll = b;
			} else {
				spin_unlock_irqrestore(&g->console_lock,
						       flags);
				guest_console_write(g, (char *)&b, 1);
				return;
			}
			break;
		case UART_IER:
			if (dlab)
				g->uart_dlm = b;
			else
				g->uart_ier = b & 0x0f;
			break;
		case UART_LCR:
			g->uart_lcr = b;
			break;
		case UART_MCR:
			g->uart_mcr = b & 0x1f;
			break;
		case UART_SCR:
			g->uart_scr = b;
			break;
		default:	/* FCR, LSR, MSR: nothing to keep */
			break;
		}
	} else {
		switch (reg) {
		case UART_RBR_THR:
			io->val = dlab ? g->uart_dll : 0;	/* no input */
			break;
		case UART_IER:
			io->val = dlab ? g->uart_dlm : g->uart_ier;
			break;
		case UART_IIR:
			io->val = UART_IIR_NONE;
			break;
		case UART_LCR:
			io->val = g->uart_lcr;
			break;
		case UART_MCR:
			io->val = g->uart_mcr;
			break;
		case UART_LSR:
			io->val = UART_LSR_THRE | UART_LSR_TEMT;
			break;
		case UART_MSR:
			io->val = UART_MSR_CTS_DSR_DCD;
			break;
		default:
			io->val = g->uart_scr;
			break;
		}
	}
	spin_unlock_irqrestore(&g->console_lock, flags);
}

static int exit_port_io(struct vcpu *v, struct io_access *io)
{
	if (io->in) {
		io->val = ~0U;
		return VCPU_RESUME;
	}
	guest_exit(v->guest, io->val);
	return VCPU_STOP;
}

/* X(first port, last port, handler) */
#define IO_DEVICES(X)							\
	X(HV_PORT_UART, HV_PORT_UART + 7, io_uart)			\
	X(HV_PORT_EXIT, HV_PORT_EXIT + 3, exit_port_io)

static int io_uart(struct vcpu *v, struct io_access *io)
{
	uart_io(v, io);
	return VCPU_RESUME;
}

static const struct io_device {
	u16 first, last;
	int (*fn)(struct vcpu *v, struct io_access *io);
} io_devices[] = {
#define IO_DEVICE_ENTRY(first, last, fn) { first, last, fn },
	IO_DEVICES(IO_DEVICE_ENTRY)
#undef IO_DEVICE_ENTRY
};

int handle_io(struct vcpu *v)
{
	u64 qual = vmread(EXIT_QUALIFICATION);
	struct io_access io = {
		.port = qual >> 16,
		.size = (qual & 7) + 1,
		.in = qual & BIT(3),
	};
	u32 mask = io.size == 4 ? ~0U : (1U << (io.size * 8)) - 1;
	int r = VCPU_RESUME;

	if (qual & BIT(4))
		return vcpu_exit_fatal(v, "string I/O (INS/OUTS) not emulated");
	if (!io.in)
		io.val = (u32)v->regs.rax & mask;
	else
		io.val = ~0U;	/* an empty bus */
	for (size_t i = 0; i < ARRAY_SIZE(io_devices); i++) {
		if (io.port >= io_devices[i].first &&
		    io.port <= io_devices[i].last) {
			r = io_devices[i].fn(v, &io);
			break;
		}
	}
	if (io.in)
		v->regs.rax = (v->regs.rax & ~(u64)mask) | (io.val & mask);
	vcpu_skip_insn(v);
	return r;
}
