/* SPDX-License-Identifier: MIT */
/*
 * Kernel symbol lookup from the ELF .symtab/.strtab that GRUB loads and
 * describes in the Multiboot2 ELF-sections tag, and the frame-pointer
 * backtrace that uses it (the kernel is built with frame pointers).
 */
#ifndef KERNEL_SYMBOLS_H
#define KERNEL_SYMBOLS_H

#include "kernel/compiler.h"

/* @shdrs: @num ELF64 section headers of @entsize bytes each. */
void symbols_init(const void *shdrs, u32 num, u32 entsize);
/* Memory holding the symbol and string tables ([start, end)), if any. */
bool symbols_range(u64 *symtab, u64 *symtab_len, u64 *strtab,
		   u64 *strtab_len);

/* Name of the function containing @addr, offset into it; NULL if none. */
const char *symbol_lookup(u64 addr, u64 *offset);
/*
 * Name code that runs from a copy where no ELF symbol lies (the AP
 * trampoline at TRAMP_BASE): symbol_lookup() then answers @name and the
 * offset into [@start, @start + @len). Up to SYMBOL_RANGES_MAX ranges;
 * registering the same start again replaces it. @name must stay valid.
 */
#define SYMBOL_RANGES_MAX	4
bool symbols_add_range(u64 start, u64 len, const char *name);

/* "func+0xoff" (or the bare hex address) into @buf. */
void symbolize(u64 addr, char *buf, size_t size);

/*
 * Print "Call trace:" from @rip, then follow the saved-RBP chain; through
 * interrupt entries (isr_common) it continues in the interrupted context.
 */
void backtrace_print(u64 rip, u64 rbp);
/*
 * The same for a trap frame: also names the caller of a frameless function
 * from the word at @rsp ("? func+0x..", unproven like Linux's '?').
 */
void backtrace_print_regs(u64 rip, u64 rsp, u64 rbp);
/* The same, starting at the caller. */
void dump_stack(void);

#endif
