// SPDX-License-Identifier: MIT
/*
 * kmain: from the 64-bit boot stub to the in-kernel tests.
 *
 * Order matters: the per-CPU area first (logging prints the CPU id from
 * it), then the console, descriptor tables (so a fault during the rest of
 * boot is reported, not a triple fault), boot information, command line,
 * ACPI, memory, the local APIC and its timer, the other CPUs, and last the
 * tests, whose result ends the run.
 */
#include "arch/x86/acpi.h"
#include "arch/x86/cpu.h"
#include "arch/x86/gdt.h"
#include "arch/x86/interrupts.h"
#include "arch/x86/lapic.h"
#include "arch/x86/pic.h"
#include "arch/x86/screen.h"
#include "arch/x86/smp.h"
#include "arch/x86/uart.h"
#include "kernel/cmdline.h"
#include "kernel/exit.h"
#include "kernel/ktest.h"
#include "kernel/log.h"
#include "kernel/multiboot2.h"
#include "kernel/percpu.h"
#include "kernel/symbols.h"
#include "kernel/thread.h"
#include "mm/page_alloc.h"

/* mm/paging.c may not be linked in every configuration of the tree. */
void paging_init(phys_addr_t ram_end) __attribute__((weak));
/* vmm/vmx/vmx_init.c: VMXON on every CPU (weak so a tree without vmm/ links). */
void vmx_init(void) __attribute__((weak));

extern char _kernel_start[], _kernel_end[];

/* Ranges kept out of the allocator; filled by reserve(). */
static struct phys_range reserved[BOOT_MAX_RANGES];
static unsigned int nr_reserved;

static void reserve(phys_addr_t start, phys_addr_t end, const char *what)
{
	pr_debug("reserve: [%#llx-%#llx) %s\n", (unsigned long long)start,
		 (unsigned long long)end, what);
	mb2_add_range(reserved, &nr_reserved, BOOT_MAX_RANGES,
		      ALIGN_DOWN(start, PAGE_SIZE), ALIGN_UP(end, PAGE_SIZE));
}

static void memory_init(struct boot_info *bi)
{
	u64 st, st_len, str, str_len;

	if (!bi->nr_usable)
		panic("memory: no usable RAM in the boot information");

	/* BIOS data, EBDA, the AP trampoline page, ROMs. */
	reserve(0, 1ULL << 20, "first MiB (BIOS, AP trampoline)");
	reserve((phys_addr_t)(unsigned long)_kernel_start,
		(phys_addr_t)(unsigned long)_kernel_end, "kernel image");
	reserve(bi->mbi_start, bi->mbi_end, "multiboot2 information");
	for (unsigned int i = 0; i < bi->nr_modules; i++)
		reserve(bi->modules[i].start, bi->modules[i].end, "module");
	if (symbols_range(&st, &st_len, &str, &str_len)) {
		reserve(st, st + st_len, ".symtab");
		reserve(str, str + str_len, ".strtab");
	}
	for (unsigned int i = 0; i < acpi_info.nr_tables; i++)
		reserve(acpi_info.tables[i].start,
			acpi_info.tables[i].start + acpi_info.tables[i].len,
			"ACPI table");

	pr_info("memory: %llu MiB usable in %u ranges, RAM ends at %#llx, highest map entry ends at %#llx\n",
		(unsigned long long)(bi->usable_bytes >> 20), bi->nr_usable,
		(unsigned long long)bi->ram_end,
		(unsigned long long)bi->max_phys);
	page_alloc_init(bi->usable, bi->nr_usable, reserved, nr_reserved);
	if (cmdline_zero_pool == CMDLINE_ZERO_POOL_AUTO)
		page_zero_pool_set_target(MIN(256, page_alloc_nr_total() / 128));
	else
		page_zero_pool_set_target(cmdline_zero_pool);
	if (paging_init)
		paging_init(bi->ram_end);
	else
		pr_warn("memory: mm/paging.c not linked; staying on the boot page tables\n");
}

__noreturn void kmain(u32 magic, u64 mbi_phys)
{
	bool ok;

	bsp_percpu.cpu_id = 0;
	percpu_install(&bsp_percpu);
	uart_init();
	log_raw("\nmicrohv: booting\n");
	gdt_init_cpu(&bsp_percpu);
	idt_init();
	pic_disable();

	if (magic != MB2_BOOTLOADER_MAGIC) {
		pr_err("boot: bad Multiboot2 magic %#x\n", magic);
		kernel_exit(false);
	}
	if (!mb2_parse(mbi_phys, &boot_info))
		panic("boot: unusable Multiboot2 information at %#llx",
		      (unsigned long long)mbi_phys);
	cmdline_parse_kernel(boot_info.cmdline);
	pr_info("boot: loader '%s', cmdline '%s'\n", boot_info.bootloader,
		boot_info.cmdline);
	if (boot_info.have_elf_sections)
		symbols_init(boot_info.elf_shdrs, boot_info.elf_num,
			     boot_info.elf_entsize);

	acpi_init(boot_info.rsdp);
	memory_init(&boot_info);
	/* The screen joins COM1 once paging can map a framebuffer. */
	screen_init(&boot_info);

	lapic_init_cpu();
	lapic_timer_calibrate();
	lapic_timer_start(timer_hz);
	bsp_percpu.online = true;
	nr_cpus_online = 1;
	local_irq_enable();

	/* From here kmain is a thread that may sleep; APs idle in threads. */
	sched_init();
	smp_boot_aps(cmdline_cpus ? cmdline_cpus : MAX_CPUS);
	sched_init_late();
	if (vmx_init)
		vmx_init();

	ok = ktest_run_all() == 0;
	kernel_exit(ok);
}
