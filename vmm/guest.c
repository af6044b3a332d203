// SPDX-License-Identifier: MIT
/*
 * Guest lifetime, guest memory and the guest console.
 *
 * Memory is memslot 0 of the guest's struct vm: a host page per guest
 * page, allocated on first touch (by the loader's writes or an EPT
 * violation) and mapped into EPT by the TDP MMU on fault
 * (vmm/tdp_kernel.c).
 */
#include "vmm/vcpu.h"
#include "include/uapi/hv_abi.h"
#include "vmm/vmx/vpid.h"
#include "vmm/tdp_kernel.h"
#include "vmm/mmu/tdp_mmu.h"
#include "vmm/exit_handlers.h"
#include "vmm/guest_run.h"
#include "kernel/log.h"
#include "kernel/platform.h"
#include "kernel/string.h"
#include "mm/page_alloc.h"

static unsigned int next_guest_id;

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
	io_bus_init(&g->io_bus, g, g->name, false);
	uart16550_init(&g->uart, g);
	if (io_bus_register(&g->io_bus, IO_SPACE_PIO, HV_PORT_UART, 8,
			    &uart16550_ops, &g->uart, "uart16550") ||
	    io_bus_register(&g->io_bus, IO_SPACE_PIO, HV_PORT_EXIT, 4,
			    &exit_port_ops, g, "exit port"))
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
	/* Never free a VMCS the CPU may still write back. */
	for (unsigned int i = 0; i < g->nr_vcpus; i++)
		vcpu_vmcs_clear(g->vcpus[i]);
	if (g->started && io_bus_unclaimed(&g->io_bus, IO_SPACE_PIO))
		pr_info("guest %s: %llu port accesses found nothing there\n",
			g->name, (unsigned long long)
			io_bus_unclaimed(&g->io_bus, IO_SPACE_PIO));
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

/*
 * The host's own accesses to guest memory (loader, hypercall buffers) go
 * through the memslot with mmu_lock held for read, so host reclaim, which
 * swaps the page behind a GFN under the write lock, never frees a page
 * while it is being copied.
 */
static bool guest_copy(struct guest *g, u64 gpa, void *buf, size_t len,
		       bool to_guest)
{
	struct vm *vm = &g->vm;
	char *p = buf;
	bool ok = true;

	if (gpa + len < gpa || gpa + len > g->mem_size)
		return false;
	read_lock(&vm->mmu_lock);
	while (len) {
		size_t chunk = MIN(len, PAGE_SIZE - (gpa & ~PAGE_MASK));
		gfn_t gfn = gpa >> PAGE_SHIFT;
		struct memslot *slot = gfn_to_memslot(vm, gfn);
		kvm_pfn_t pfn = slot ? memslot_gfn_to_pfn(slot, gfn) : 0;
		char *hva;

		if (!pfn) {
			ok = false;
			break;
		}
		hva = (char *)plat_phys_to_virt(pfn << PAGE_SHIFT) +
		      (gpa & ~PAGE_MASK);
		if (to_guest)
			memcpy(hva, p, chunk);
		else
			memcpy(p, hva, chunk);
		p += chunk;
		gpa += chunk;
		len -= chunk;
	}
	read_unlock(&vm->mmu_lock);
	return ok;
}

bool guest_write(struct guest *g, u64 gpa, const void *src, size_t len)
{
	return guest_copy(g, gpa, (void *)src, len, true);
}

bool guest_read(struct guest *g, u64 gpa, void *dst, size_t len)
{
	return guest_copy(g, gpa, dst, len, false);
}

void guest_kill(struct guest *g, const char *why)
{
	guest_kill_on_exit(g, GUEST_DEATH_NOT_AN_EXIT, why);
}

void guest_kill_on_exit(struct guest *g, u32 exit_reason, const char *why)
{
	unsigned long flags = spin_lock_irqsave(&g->report_lock);
	bool first = !g->report.died;

	if (first) {
		g->report.died = true;
		g->report.death_exit_reason = exit_reason;
		ksnprintf(g->report.death, sizeof(g->report.death), "%s", why);
	}
	spin_unlock_irqrestore(&g->report_lock, flags);
	if (first)
		pr_info("guest %s: killed: %s\n", g->name, why);
	guest_kick_all(g);
}

void guest_exit(struct guest *g, u64 status)
{
	unsigned long flags = spin_lock_irqsave(&g->report_lock);

	if (!g->report.exited && !g->report.died) {
		g->report.exited = true;
		g->report.exit_status = status;
	}
	spin_unlock_irqrestore(&g->report_lock, flags);
	guest_kick_all(g);
}

/*
 * Guest console lines go to the host log as "[cpuN] name| text", so they
 * never start a line with "ok"/"not ok" and the boot's KTAP stays the
 * host's own; the guest's results reach it through HC_KTAP_RESULT.
 */
void guest_console_write(struct guest *g, const char *s, size_t len)
{
	unsigned long flags = spin_lock_irqsave(&g->console_lock);

	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		bool flush = c == '\n' ||
			     g->console_len == sizeof(g->console_buf) - 1;

		if (c != '\n' && c != '\r')
			g->console_buf[g->console_len++] =
				(c >= 0x20 && c < 0x7f) || c == '\t' ? c : '?';
		if (flush) {
			g->console_buf[g->console_len] = 0;
			log_raw("[%s] %s\n", g->name, g->console_buf);
			g->console_len = 0;
		}
	}
	spin_unlock_irqrestore(&g->console_lock, flags);
}
