// SPDX-License-Identifier: MIT
/*
 * The IDT (one table shared by all CPUs) and the C side of interrupt
 * entry: exceptions go to arch/x86/traps.c, everything else to the handler
 * registered for its vector, followed by an EOI to the local APIC. Every
 * handler runs between rcu_irq_enter() and rcu_irq_exit(), so it may use
 * RCU even when it interrupted an idle CPU's extended quiescent state.
 */
#include "arch/x86/interrupts.h"
#include "arch/x86/gdt.h"
#include "arch/x86/lapic.h"
#include "arch/x86/pic.h"
#include "kernel/log.h"
#include "kernel/percpu.h"
#include "kernel/rcu.h"

struct idt_gate {
	u16 offset_low;
	u16 selector;
	u8 ist;
	u8 type_attr;
	u16 offset_mid;
	u32 offset_high;
	u32 reserved;
} __packed;

struct idtr {
	u16 limit;
	u64 base;
} __packed;

extern const u64 isr_stub_table[256];

static struct idt_gate idt[256] __aligned(16);
/* Written once per vector during init, read on every interrupt. */
static irq_handler_t irq_handlers[256];

void handle_exception(struct exception_frame *frame);

static void set_gate(unsigned int vec, u64 addr, u8 ist)
{
	idt[vec] = (struct idt_gate){
		.offset_low = addr & 0xffff,
		.selector = GDT_KERNEL_CS,
		.ist = ist,
		.type_attr = 0x8e,	/* present, DPL 0, interrupt gate */
		.offset_mid = (addr >> 16) & 0xffff,
		.offset_high = addr >> 32,
	};
}

void idt_init(void)
{
	for (unsigned int v = 0; v < 256; v++)
		set_gate(v, isr_stub_table[v], 0);
	idt[X86_VEC_NMI].ist = IST_NMI;
	idt[X86_VEC_DF].ist = IST_DF;
	idt[X86_VEC_MC].ist = IST_MC;
	idt_load();
}

void idt_load(void)
{
	struct idtr idtr = {
		.limit = sizeof(idt) - 1,
		.base = (u64)(unsigned long)idt,
	};

	__asm__ __volatile__("lidt %0" : : "m"(idtr));
}

void irq_register(u8 vector, irq_handler_t handler)
{
	WARN_ON(vector < 32);
	WRITE_ONCE(irq_handlers[vector], handler);
}

void x86_interrupt(struct exception_frame *frame)
{
	struct percpu *pc;
	irq_handler_t h;

	if (frame->vector < 32) {
		handle_exception(frame);
		return;
	}
	/*
	 * Neither the LAPIC's spurious vector nor a masked 8259's spurious
	 * IRQ7/IRQ15 may be acknowledged at the LAPIC.
	 */
	if (frame->vector == VEC_SPURIOUS ||
	    frame->vector == PIC_VECTOR_BASE + 7 ||
	    frame->vector == PIC_VECTOR_BASE + 15)
		return;

	pc = this_cpu();
	pc->irq_depth++;
	pc->irq_count++;
	rcu_irq_enter();
	h = READ_ONCE(irq_handlers[frame->vector]);
	if (h)
		h(frame);
	else
		pr_warn("irq: unexpected interrupt vector 0x%llx\n",
			(unsigned long long)frame->vector);
	lapic_eoi();
	rcu_irq_exit();
	pc->irq_depth--;
}
