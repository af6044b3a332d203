// SPDX-License-Identifier: MIT
/*
 * Port I/O exits (unconditional I/O exiting): the access goes to the VM's
 * device bus (vmm/dev/io_bus.h), where the 16550 UART at 0x3f8 and the
 * exit port at 0xf4 are registered; a port with nothing there reads all
 * ones and drops writes, as on a PC.
 */
#include "vmm/exit_codes.h"
#include "vmm/exit_handlers.h"
#include "vmm/vmx/vmcs_fields.h"
#include "arch/x86/vmx.h"
#include "kernel/log.h"
#include "vmm/dev/io_bus.h"

int handle_io(struct vcpu *v)
{
	u64 qual = vmread(EXIT_QUALIFICATION);
	u16 port = qual >> 16;
	unsigned int size = (qual & 7) + 1;
	bool in = qual & BIT(3);
	u32 mask = size == 4 ? ~0U : (1U << (size * 8)) - 1;
	u64 val = in ? 0 : (v->regs.rax & mask);
	int r;

	if (qual & BIT(4))
		return vcpu_exit_fatal(v, "string I/O (INS/OUTS) not emulated");
	r = io_bus_access(&v->guest->io_bus, IO_SPACE_PIO, port, size, !in,
			  &val);
	if (r == IO_BUS_STOP)
		return VCPU_STOP;
	if (in)
		v->regs.rax = (v->regs.rax & ~(u64)mask) | (val & mask);
	vcpu_skip_insn(v);
	return VCPU_RESUME;
}
