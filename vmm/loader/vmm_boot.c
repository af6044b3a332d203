// SPDX-License-Identifier: MIT
/*
 * Starting the guests given as boot modules and gathering their results
 * into the kernel's KTAP (see vmm/loader/vmm_boot.h).
 */
#include "vmm/vcpu_apf.h"
#include "vmm/guest_report.h"
#include "vmm/guest_main.h"
#include "vmm/vcpu_run.h"
#include "vmm/guest_run.h"
#include "vmm/loader/vmm_boot.h"
#include "vmm/loader/vmm_boot_internal.h"
#include "vmm/tdp_kernel.h"
#include "vmm/loader/guest_cmdline.h"
#include "vmm/loader/loader.h"
#include "vmm/vcpu.h"
#include "vmm/vmx/vmx_caps.h"
#include "vmm/vmx/vmx_names.h"
#include "arch/x86/cpu.h"
#include "arch/x86/vmx.h"
#include "kernel/ktest.h"
#include "kernel/log.h"
#include "kernel/multiboot2.h"
#include "kernel/platform.h"
#include "kernel/string.h"
#include "mm/page_alloc.h"

#define NS_PER_SEC	1000000000ULL
/* After a timeout: how long a killed guest gets to stop before we give up. */
#define KILL_GRACE_NS	(2 * NS_PER_SEC)

static struct boot_guest boot_guests[BOOT_MAX_MODULES];

static void refuse(struct boot_guest *bg)
{
	bg->state = BG_ERROR;
	pr_err("guest %s: %s\n", bg->label, bg->err);
}

/* A module_for= line: whose module it is, and whether a guest took it. */
struct boot_module_line {
	const struct boot_module *mod;
	unsigned int idx;		/* boot module index (GRUB order) */
	struct guest_module_line ml;
	bool parsed, claimed;
	char err[GUEST_ERR_LEN];
};
static struct boot_module_line module_lines[BOOT_MAX_MODULES];
static unsigned int nr_module_lines;

static void collect_module_line(unsigned int idx)
{
	struct boot_module_line *l = &module_lines[nr_module_lines++];

	memset(l, 0, sizeof(*l));
	l->mod = &boot_info.modules[idx];
	l->idx = idx;
	l->parsed = guest_module_parse(l->mod->cmdline, &l->ml, l->err,
				       sizeof(l->err));
}

/*
 * Give guest @bg the module lines that name it, in GRUB order. Only the
 * first guest of a name gets here (a duplicate is refused before).
 */
static void claim_modules(struct boot_guest *bg)
{
	for (unsigned int i = 0; i < nr_module_lines; i++) {
		struct boot_module_line *l = &module_lines[i];

		if (!l->parsed || l->claimed || strcmp(l->ml.guest, bg->cfg.name))
			continue;
		l->claimed = true;
		bg->mods[bg->nr_mods++] = (struct mb1_module_src){
			.data = plat_phys_to_virt(l->mod->start),
			.size = l->mod->end - l->mod->start,
			.string = l->ml.string,
		};
	}
}

/* An earlier guest of this boot with the same name, or NULL. */
static struct boot_guest *same_name_before(struct boot_guest *bg)
{
	for (struct boot_guest *o = boot_guests; o < bg; o++)
		if (!strcmp(o->cfg.name, bg->cfg.name))
			return o;
	return NULL;
}

/* A module line no guest took becomes a failed entry of its own. */
static void refuse_module_line(struct boot_guest *bg,
			       const struct boot_module_line *l)
{
	memset(bg, 0, sizeof(*bg));
	bg->mod = l->mod;
	if (!l->parsed) {
		ksnprintf(bg->label, sizeof(bg->label), "module%u", l->idx);
		ksnprintf(bg->err, sizeof(bg->err), "boot module %u: %s",
			  l->idx, l->err);
	} else {
		/* Named after the guest it asked for: that is what is wrong. */
		ksnprintf(bg->label, sizeof(bg->label), "%s", l->ml.guest);
		ksnprintf(bg->err, sizeof(bg->err),
			  "boot module %u (module_for=%s): no guest named '%s' in this boot",
			  l->idx, l->ml.guest, l->ml.guest);
	}
	refuse(bg);
}

/* Parse, check, create and load one guest; on failure bg->err says why. */
static void prepare(struct boot_guest *bg, unsigned int idx)
{
	struct vcpu_boot_state bs[GUEST_MAX_VCPUS];
	const struct boot_module *m = bg->mod;
	struct boot_guest *first;
	u64 need, pages, free_pages;
	bool ok;

	ok = guest_cmdline_parse(m->cmdline, &bg->cfg, bg->err,
				 sizeof(bg->err));
	/* Name it even when the line is bad: "module3" if no name parsed. */
	if (bg->cfg.name[0])
		ksnprintf(bg->label, sizeof(bg->label), "%s", bg->cfg.name);
	else
		ksnprintf(bg->label, sizeof(bg->label), "module%u", idx);
	/*
	 * Names are how results and module_for= lines find a guest: the
	 * second of a name is refused ("NAME(2)" in the results) and the
	 * first keeps the modules.
	 */
	first = bg->cfg.name[0] ? same_name_before(bg) : NULL;
	if (first) {
		ksnprintf(bg->label, sizeof(bg->label), "%s(2)", bg->cfg.name);
		ksnprintf(bg->err, sizeof(bg->err),
			  "a guest named '%s' is already in this boot (guest %u): names must be unique",
			  bg->cfg.name, (unsigned int)(first - boot_guests));
		return refuse(bg);
	}
	if (bg->cfg.name[0])
		claim_modules(bg);
	if (!ok)
		return refuse(bg);
	if (!loader_probe(plat_phys_to_virt(m->start), m->end - m->start,
			  &bg->img, bg->err, sizeof(bg->err)))
		return refuse(bg);
	bg->img.mods = bg->mods;
	bg->img.nr_mods = bg->nr_mods;
	need = loader_min_mem(&bg->img, bg->cfg.nr_vcpus);
	if (bg->cfg.mem_size < need) {
		ksnprintf(bg->err, sizeof(bg->err),
			  "mem=%lluK is too small for this %s image: it needs at least %lluK",
			  (unsigned long long)(bg->cfg.mem_size >> 10),
			  guest_format_name(bg->img.format),
			  (unsigned long long)(need >> 10));
		return refuse(bg);
	}
	/* Guest pages, their EPT tables and the page list, plus host slack. */
	pages = bg->cfg.mem_size >> PAGE_SHIFT;
	pages += pages / 256 + 16;
	free_pages = page_alloc_nr_free();
	if (pages + VMM_BOOT_HOST_RESERVE_PAGES > free_pages) {
		ksnprintf(bg->err, sizeof(bg->err),
			  "mem=%lluM is more than the host can give: %llu MiB free, %u MiB kept for the host",
			  (unsigned long long)(bg->cfg.mem_size >> 20),
			  (unsigned long long)(free_pages >> (20 - PAGE_SHIFT)),
			  VMM_BOOT_HOST_RESERVE_PAGES >> (20 - PAGE_SHIFT));
		return refuse(bg);
	}
	bg->g = guest_create(bg->cfg.name, bg->cfg.nr_vcpus, bg->cfg.mem_size,
			     bg->img.format == GUEST_FMT_ELF64);
	if (!bg->g) {
		ksnprintf(bg->err, sizeof(bg->err),
			  "cannot create the guest (out of host memory)");
		return refuse(bg);
	}
	bg->g->expect_triple_fault = bg->cfg.expect == GUEST_EXPECT_TRIPLE_FAULT;
	bg->g->test_hooks = bg->cfg.test_hooks;
	bg->g->nested = bg->cfg.nested;
	bg->g->apf = bg->cfg.apf;
	for (unsigned int i = 0; i < bg->g->nr_vcpus; i++)
		bg->g->vcpus[i]->apf.race_every = bg->cfg.apf_race;
	bg->g->io_bus.strict = bg->cfg.strict_io;
	bg->g->testdev.guest = bg->g;
	if (bg->cfg.testdev &&
	    io_bus_register(&bg->g->io_bus, IO_SPACE_PIO, PC_TESTDEV_IRQ_PORT,
			    PC_TESTDEV_NR_LINES, &pc_testdev_ops,
			    &bg->g->testdev, "pc-testdev")) {
		ksnprintf(bg->err, sizeof(bg->err),
			  "cannot add testdev= (device bus full)");
		guest_destroy(bg->g);
		bg->g = NULL;
		return refuse(bg);
	}
	for (unsigned int i = 0; i < bg->g->nr_vcpus; i++)
		bg->g->vcpus[i]->fault_profile = bg->cfg.fault_profile;
	if (guest_mmu_set_hugepages(bg->g, bg->cfg.hugepages)) {
		ksnprintf(bg->err, sizeof(bg->err),
			  "cannot set up hugepages= (guest memory in use)");
		guest_destroy(bg->g);
		bg->g = NULL;
		return refuse(bg);
	}
	if ((bg->cfg.alias_pages &&
	     guest_mmu_add_alias_slot(bg->g, bg->cfg.alias_pages)) ||
	    guest_swap_start(bg->g, bg->cfg.swap_latency_us * 1000ULL,
			     bg->cfg.swap_jitter_us * 1000ULL) ||
	    (bg->cfg.mmu_pressure &&
	     guest_mmu_pressure_start(bg->g, bg->cfg.pressure_swap))) {
		ksnprintf(bg->err, sizeof(bg->err),
			  "cannot set up alias=/pressure=/the swap store (out of host memory)");
		guest_destroy(bg->g);
		bg->g = NULL;
		return refuse(bg);
	}
	if (!loader_load(bg->g, &bg->img, &bg->cfg, bs, bg->err,
			 sizeof(bg->err))) {
		guest_destroy(bg->g);
		bg->g = NULL;
		return refuse(bg);
	}
	for (unsigned int i = 0; i < bg->g->nr_vcpus; i++)
		guest_set_boot_state(bg->g, i, &bs[i]);
	bg->state = BG_LOADED;
	pr_info("guest %s: %s image, entry %#llx, %u vCPU(s), %llu KiB%s%s\n",
		bg->label, guest_format_name(bg->img.format),
		(unsigned long long)bg->img.entry, bg->cfg.nr_vcpus,
		(unsigned long long)(bg->cfg.mem_size >> 10),
		bg->cfg.guest_cmdline[0] ? ", options: " : "",
		bg->cfg.guest_cmdline);
}

static void wait_one(struct boot_guest *bg)
{
	u64 deadline = bg->t_start + bg->cfg.timeout_s * NS_PER_SEC;
	u64 now = plat_now_ns();

	if (guest_wait(bg->g, deadline > now ? deadline - now : 1) == 0) {
		bg->state = BG_FINISHED;
	} else {
		ksnprintf(bg->err, sizeof(bg->err),
			  "no end after %u s (timeout=): killed", bg->cfg.timeout_s);
		pr_err("guest %s: %s\n", bg->label, bg->err);
		guest_kill(bg->g, "timed out");
		bg->state = guest_wait(bg->g, KILL_GRACE_NS) == 0 ? BG_FINISHED
								  : BG_HUNG;
	}
	bg->t_end = plat_now_ns();
}

/* Did the guest end as its command line said it would? */
bool judge(struct boot_guest *bg, char *why, size_t size)
{
	struct guest_report *r = &bg->g->report;
	bool all = !r->planned || r->passed + r->skipped == r->planned;
	bool triple = r->died &&
		      r->death_exit_reason == EXIT_REASON_TRIPLE_FAULT;

	if (bg->err[0]) {
		ksnprintf(why, size, "%s", bg->err);
		return false;
	}
	if (r->failed) {
		ksnprintf(why, size, "%u of its tests failed", r->failed);
		return false;
	}
	if (!all) {
		ksnprintf(why, size, "reported %u results for a plan of %u",
			  r->passed + r->skipped, r->planned);
		return false;
	}
	if (bg->cfg.expect == GUEST_EXPECT_TRIPLE_FAULT) {
		if (triple)
			return true;
		ksnprintf(why, size, "expected a triple fault, but it %s%s",
			  r->died ? "died: " : "exited",
			  r->died ? r->death : "");
		return false;
	}
	if (r->died) {
		ksnprintf(why, size, "died: %s", r->death);
		return false;
	}
	if (!r->exited || r->exit_status) {
		ksnprintf(why, size, "exit status %llu",
			  (unsigned long long)r->exit_status);
		return false;
	}
	return true;
}

static u64 guest_exits(struct guest *g)
{
	u64 n = 0;

	for (unsigned int i = 0; i < g->nr_vcpus; i++)
		n += g->vcpus[i]->exits;
	return n;
}

/* Print this guest's subtest line; true when it passed. */
static bool report(struct boot_guest *bg, unsigned int nr, const char *skip)
{
	char why[GUEST_ERR_LEN + 32] = "";
	bool ok;

	if (bg->state == BG_ERROR) {
		log_raw("    # %s: refused: %s\n", bg->label, bg->err);
		log_raw("    not ok %u %s\n", nr, bg->label);
		return false;
	}
	if (bg->state == BG_LOADED) {
		log_raw("    ok %u %s # SKIP %s\n", nr, bg->label, skip);
		return true;
	}
	ok = judge(bg, why, sizeof(why));
	{
		struct guest_report *r = &bg->g->report;
		u64 us = (bg->t_end - bg->t_start) / 1000, exits = guest_exits(bg->g);

		char end[32];

		if (r->died)
			ksnprintf(end, sizeof(end), "died");
		else if (r->exited)
			ksnprintf(end, sizeof(end), "exit status %llu",
				  (unsigned long long)r->exit_status);
		else
			ksnprintf(end, sizeof(end), "no exit");
		/* Host time: emulated time under Bochs (clock sync=none). */
		log_raw("    # %s: %u/%u passed, %u failed, %u skipped, %s; %llu exits in %llu us (%llu ns per exit)\n",
			bg->label, r->passed, r->planned, r->failed, r->skipped,
			end,
			(unsigned long long)exits, (unsigned long long)us,
			(unsigned long long)(exits ? us * 1000 / exits : 0));
		for (unsigned int i = 0; i < bg->g->nr_vcpus; i++) {
			char stats[256];

			vcpu_format_stats(bg->g->vcpus[i], stats, sizeof(stats));
			log_raw("    # %s: %s\n", bg->label, stats);
		}
		if (r->died)
			log_raw("    # %s: death: %s%s\n", bg->label, r->death,
				bg->cfg.expect == GUEST_EXPECT_TRIPLE_FAULT ?
				" (expected)" : "");
	}
	if (!ok)
		log_raw("    # %s: %s\n", bg->label, why);
	log_raw("    %sok %u %s\n", ok ? "" : "not ", nr, bg->label);
	return ok;
}

static bool vmx_usable(const char **why)
{
	u32 a, b, c, d;

	cpuid(1, &a, &b, &c, &d);
	if (!(c & CPUID_1_ECX_VMX)) {
		*why = "no VMX on this CPU (QEMU TCG): guests run under Bochs";
		return false;
	}
	return true;
}

KTEST(guests, modules)
{
	unsigned int n = 0, nr_failed = 0;
	const char *skip = NULL;
	bool vmx = vmx_usable(&skip);

	nr_module_lines = 0;
	for (unsigned int i = 0; i < boot_info.nr_modules; i++) {
		const char *line = boot_info.modules[i].cmdline;

		if (guest_cmdline_is_module(line)) {
			collect_module_line(i);
			continue;
		}
		if (!guest_cmdline_is_guest(line))
			continue;
		memset(&boot_guests[n], 0, sizeof(boot_guests[n]));
		boot_guests[n].mod = &boot_info.modules[i];
		n++;
	}
	if (!n && !nr_module_lines) {
		ktest_skip(t, "no guest modules (module2 lines with name=)");
		return;
	}

	/* Load every guest, then start them all: several VMs run at once. */
	for (unsigned int i = 0; i < n; i++)
		prepare(&boot_guests[i], i);
	/* What no guest took is a failure of its own; the others still run. */
	for (unsigned int i = 0; i < nr_module_lines; i++)
		if (!module_lines[i].claimed)
			refuse_module_line(&boot_guests[n++], &module_lines[i]);
	for (unsigned int i = 0; vmx && i < n; i++) {
		struct boot_guest *bg = &boot_guests[i];

		if (bg->state != BG_LOADED)
			continue;
		bg->t_start = plat_now_ns();
		if (guest_start(bg->g)) {
			ksnprintf(bg->err, sizeof(bg->err), "guest_start failed");
			guest_destroy(bg->g);
			bg->g = NULL;
			refuse(bg);
			continue;
		}
		bg->state = BG_STARTED;
	}
	for (unsigned int i = 0; i < n; i++)
		if (boot_guests[i].state == BG_STARTED)
			wait_one(&boot_guests[i]);

	log_raw("    # Subtest: guests.modules\n");
	log_raw("    KTAP version 1\n");
	log_raw("    1..%u\n", n);
	for (unsigned int i = 0; i < n; i++) {
		struct boot_guest *bg = &boot_guests[i];

		nr_failed += !report(bg, i + 1, skip);
		if (bg->state == BG_HUNG) {
			/* Its vCPUs may still touch its memory: keep it. */
			t->allow_leak = true;
		} else if (bg->g) {
			guest_destroy(bg->g);
		}
		bg->g = NULL;
	}
	KTEST_EXPECT_EQ(t, nr_failed, 0);
	if (!nr_failed && !vmx)
		ktest_skip(t, skip);
}
