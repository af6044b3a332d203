// SPDX-License-Identifier: MIT
/*
 * The legacy 8259 PICs. The BIOS leaves them routing IRQ0 (the PIT) to
 * vector 8, which would look exactly like a double fault once interrupts
 * are on. Remap them above the exceptions (0x20-0x2f) and mask every line:
 * all interrupts here come from the local APIC.
 */
#include "arch/x86/pic.h"
#include "arch/x86/cpu.h"

#define PIC1_CMD	0x20
#define PIC1_DATA	0x21
#define PIC2_CMD	0xa0
#define PIC2_DATA	0xa1

void pic_disable(void)
{
	outb(PIC1_CMD, 0x11);		/* ICW1: init, ICW4 follows */
	outb(PIC2_CMD, 0x11);
	outb(PIC1_DATA, PIC_VECTOR_BASE);	/* ICW2: vector base */
	outb(PIC2_DATA, PIC_VECTOR_BASE + 8);
	outb(PIC1_DATA, 4);		/* ICW3: slave on IRQ2 */
	outb(PIC2_DATA, 2);
	outb(PIC1_DATA, 1);		/* ICW4: 8086 mode */
	outb(PIC2_DATA, 1);
	outb(PIC1_DATA, 0xff);		/* mask everything */
	outb(PIC2_DATA, 0xff);
}
