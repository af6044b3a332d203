// SPDX-License-Identifier: MIT
/*
 * A guest's interrupt lines (dev/dev_host.h's guest_set_irq): where the
 * ISA IRQs a device drives go. Today GSI 0-15 go to the 8259 pair, whose
 * INT output reaches vCPU 0 as ExtINT (vmm/vcpu_irq.c takes it).
 *
 * The IOAPIC goes beside the PIC here: every GSI 0-23 to the IOAPIC and
 * 0-15 to the PIC as well, as on a PC (a guest masks the one it does not
 * use), so devices keep calling guest_set_irq() alone.
 */
#include "vmm/dev/dev_host.h"
#include "vmm/dev/pic8259.h"
#include "vmm/guest.h"
#include "vmm/vcpu_kick.h"
#include "kernel/log.h"

void guest_set_irq(struct guest *g, unsigned int gsi, bool level)
{
	static bool said;

	/*
	 * An ISA IRQ (0-15) is both the PIC's input and the IOAPIC pin of
	 * the same number, but for the PIT's IRQ 0, wired to pin 2 (the
	 * MADT's interrupt source override, as on QEMU's PC); 16-23 are
	 * IOAPIC pins only.
	 */
	if (gsi < PIC8259_NR_IRQS) {
		pic8259_set_irq(&g->pic, gsi, level);
		ioapic_set_irq(&g->ioapic, gsi ? gsi : 2, level);
	} else if (gsi < IOAPIC_NR_PINS) {
		ioapic_set_irq(&g->ioapic, gsi, level);
	} else if (!__atomic_exchange_n(&said, true, __ATOMIC_RELAXED))
		pr_info("guest %s: interrupt line %u: no such GSI (said once)\n",
			g->name, gsi);
}

/*
 * The PIC's INT rose: vCPU 0 is to look before its next entry, and is
 * kicked out of guest mode or woken from HLT to do it. The flag is set
 * before the kick, as vcpu_queue_interrupt() does.
 */
void guest_pic_intr_raised(struct guest *g)
{
	struct vcpu *v = g->nr_vcpus ? g->vcpus[0] : NULL;

	if (!v)
		return;
	__atomic_store_n(&v->irq_pending, true, __ATOMIC_RELEASE);
	vcpu_kick(v);
}
