// SPDX-License-Identifier: MIT
/*
 * A guest's lifetime: creating it (its vCPUs, its MMU, its devices) and
 * freeing it. Its memory is copied by vmm/guest_mem.c, how it ends is
 * recorded by vmm/guest_report.c, its vCPUs run by vmm/guest_run.c.
 */
#include "vmm/vcpu_apf.h"
#include "vmm/vcpu_lapic.h"
#include "vmm/guest_main.h"
#include "vmm/vcpu_run.h"
#include "vmm/vcpu.h"
#include "vmm/vcpu_nested.h"
#include "include/uapi/hv_abi.h"
#include "vmm/vmx/vpid.h"
#include "vmm/tdp_kernel.h"
#include "vmm/mmu/tdp_mmu.h"
#include "vmm/exit_handlers.h"
#include "vmm/guest_run.h"
#include "vmm/guest_timer.h"
#include "kernel/log.h"
#include "kernel/platform.h"
#include "kernel/string.h"
#include "mm/page_alloc.h"

static unsigned int next_guest_id;

/* The port-I/O devices of every guest: the UART, the exit port, a PC. */
static const struct guest_port_dev {
	u16 base, len;
	const struct io_dev_ops *ops;
	size_t dev;		/* offsetof the model in struct guest */
	const char *name;
} guest_port_devs[] = {
	{ HV_PORT_UART, 8, &uart16550_ops, __builtin_offsetof(struct guest, uart), "uart16550" },
	{ HV_PORT_EXIT, 4, &exit_port_ops, 0, "exit port" },
	{ PIC8259_MASTER_PORT, 2, &pic8259_chip_ops, __builtin_offsetof(struct guest, pic.chip[0]), "pic8259 master" },
	{ PIC8259_SLAVE_PORT, 2, &pic8259_chip_ops, __builtin_offsetof(struct guest, pic.chip[1]), "pic8259 slave" },
	{ PIC8259_ELCR_PORT, 2, &pic8259_elcr_ops, __builtin_offsetof(struct guest, pic), "elcr" },
	{ PIT8254_PORT, 4, &pit8254_ops, __builtin_offsetof(struct guest, pit), "pit8254" },
	{ PORT61_PORT, 1, &port61_ops, __builtin_offsetof(struct guest, port61), "port 0x61" },
	{ RTC_PORT, 2, &rtc_cmos_ops, __builtin_offsetof(struct guest, rtc), "rtc/cmos" },
	{ POST_PORT, 1, &post_port_ops, __builtin_offsetof(struct guest, post), "post port" },
	{ PCI_HOST_PORT, 8, &pci_host_ops, __builtin_offsetof(struct guest, pci), "pci conf1" },
	{ FW_CFG_PORT, 2, &fw_cfg_ops, __builtin_offsetof(struct guest, fw_cfg), "fw_cfg" },
	{ SHUTDOWN_PORT, 1, &shutdown_port_ops, __builtin_offsetof(struct guest, shutdown), "shutdown port" },
};

static int guest_devices_init(struct guest *g, unsigned int nr_vcpus,
			      u64 mem_size)
{
	uart16550_init(&g->uart, g);
	pic8259_init(&g->pic, g);
	pit8254_init(&g->pit, g, plat_now_ns);
	port61_init(&g->port61, &g->pit);
	rtc_cmos_init(&g->rtc, g, plat_now_ns, RTC_DEFAULT_BASE_S, mem_size,
		      nr_vcpus);
	shutdown_port_init(&g->shutdown, g);
	fw_cfg_init(&g->fw_cfg, mem_size, nr_vcpus, GUEST_MAX_VCPUS);
	for (unsigned int i = 0; i < ARRAY_SIZE(guest_port_devs); i++) {
		const struct guest_port_dev *d = &guest_port_devs[i];
		int r = io_bus_register(&g->io_bus, IO_SPACE_PIO, d->base,
					d->len, d->ops, (char *)g + d->dev,
					d->name);

		if (r) {
			pr_err("guest %s: %s at %#x not registered (%d)\n",
			       g->name, d->name, d->base, r);
			return r;
		}
	}
	return 0;
}

struct guest *guest_create(const char *name, unsigned int nr_vcpus,
			   u64 mem_size, bool long_mode)
{
	u64 need, free = page_alloc_nr_free();
	struct guest *g;

	if (nr_vcpus == 0 || nr_vcpus > GUEST_MAX_VCPUS) {
		pr_err("guest %s: not created: %u vCPUs requested, 1..%u "
		       "allowed\n", name, nr_vcpus, GUEST_MAX_VCPUS);
		return NULL;
	}
	/* Guest pages + EPT tables (~1/512) + VMCS per vCPU + slack. */
	need = (ALIGN_UP(mem_size, PAGE_SIZE) >> PAGE_SHIFT);
	if (mem_size == 0 || mem_size > (1ULL << 39) ||
	    need + need / 256 + nr_vcpus + 16 > free) {
		pr_err("guest %s: not created: %lu KiB of memory requested, "
		       "%lu KiB free\n", name, mem_size >> 10,
		       free << (PAGE_SHIFT - 10));
		return NULL;
	}
	g = plat_zalloc(sizeof(*g));
	if (!g)
		return NULL;
	ksnprintf(g->name, sizeof(g->name), "%s", name);
	g->id = __atomic_fetch_add(&next_guest_id, 1, __ATOMIC_RELAXED);
	g->long_mode = long_mode;
	spin_lock_init(&g->console_lock, "guest_console");
	spin_lock_init(&g->report_lock, "guest_report");
	spin_lock_init(&g->msr_log_lock, "guest_msr_log");
	io_bus_init(&g->io_bus, g, g->name, false);
	if (guest_devices_init(g, nr_vcpus, ALIGN_UP(mem_size, PAGE_SIZE)))
		goto fail;
	/* The I/O APIC, id = the number of vCPUs (as the MADT says). */
	ioapic_init(&g->ioapic, g, nr_vcpus);
	if (io_bus_register(&g->io_bus, IO_SPACE_MMIO, IOAPIC_DEFAULT_BASE,
			    0x1000, &ioapic_ops, &g->ioapic, "ioapic"))
		goto fail;

	g->mem_size = ALIGN_UP(mem_size, PAGE_SIZE);
	g->nr_pages = g->mem_size >> PAGE_SHIFT;
	if (guest_mmu_init(g))
		goto fail;

	for (unsigned int i = 0; i < nr_vcpus; i++) {
		struct vcpu *v = plat_zalloc(sizeof(*v));

		if (!v)
			goto fail;
		g->vcpus[i] = v;
		g->nr_vcpus = i + 1;
		v->guest = g;
		v->index = i;
		v->cpu = -1;
		v->last_cpu = -1;
		v->migrate_to = -1;
		v->start_cpu = -1;
		init_waitqueue_head(&v->halt_wq);
		vcpu_lapic_init(v);
		vcpu_apf_init(v);
		/* Fast strings on, BTS and PEBS unavailable (no PMU). */
		v->msr_misc_enable = BIT(0) | BIT(11) | BIT(12);
		v->vpid = vpid_alloc();
		if (!v->vpid)
			goto fail;
		v->vmcs = plat_alloc_page();
		if (!v->vmcs)
			goto fail;
	}
	return g;
fail:
	guest_destroy(g);
	return NULL;
}

void guest_destroy(struct guest *g)
{
	if (!g)
		return;
	guest_stop_all(g);
	/* No device deadline fires from here on. */
	guest_timer_stop(g);
	/* Never free a VMCS the CPU may still write back. */
	for (unsigned int i = 0; i < g->nr_vcpus; i++)
		vcpu_vmcs_clear(g->vcpus[i]);
	if (g->started && io_bus_unclaimed(&g->io_bus, IO_SPACE_PIO))
		pr_info("guest %s: %llu port accesses found nothing there\n",
			g->name, (unsigned long long)
			io_bus_unclaimed(&g->io_bus, IO_SPACE_PIO));
	/* Nested state holds EPT02 roots and maybe the current VMCS. */
	for (unsigned int i = 0; i < g->nr_vcpus; i++)
		vcpu_nested_vmx_free(g->vcpus[i]);
	/* Drops the vCPUs' roots: before the vCPUs go. */
	guest_mmu_destroy(g);
	for (unsigned int i = 0; i < g->nr_vcpus; i++) {
		struct vcpu *v = g->vcpus[i];

		if (v->vmcs)
			plat_free_page(v->vmcs);
		vpid_free(v->vpid);
		plat_free(v);
	}
	plat_free(g);
}
