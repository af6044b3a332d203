// SPDX-License-Identifier: MIT
/*
 * Symbolization and backtraces (see kernel/symbols.h).
 *
 * The lookup is a linear scan of STT_FUNC symbols: it runs only when
 * something already went wrong, so simplicity wins over speed.
 */
#include "kernel/symbols.h"
#include "kernel/log.h"
#include "kernel/string.h"
#include "arch/x86/interrupts.h"
#include "mm/paging.h"

struct elf64_shdr {
	u32 sh_name;
	u32 sh_type;
	u64 sh_flags;
	u64 sh_addr;
	u64 sh_offset;
	u64 sh_size;
	u32 sh_link;
	u32 sh_info;
	u64 sh_addralign;
	u64 sh_entsize;
};

struct elf64_sym {
	u32 st_name;
	u8 st_info;
	u8 st_other;
	u16 st_shndx;
	u64 st_value;
	u64 st_size;
};

#define SHT_SYMTAB	2
#define STT_FUNC	2

static const struct elf64_sym *symtab;
static u64 nr_syms;
static const char *strtab;
static u64 strtab_size;

extern char _kernel_start[], _kernel_end[];
/* arch/x86/isr.asm: where x86_interrupt() returns to. */
extern char isr_return_from_handler[];

void symbols_init(const void *shdrs, u32 num, u32 entsize)
{
	const u8 *base = shdrs;

	if (entsize < sizeof(struct elf64_shdr))
		return;
	for (u32 i = 0; i < num; i++) {
		const struct elf64_shdr *sh = (const void *)(base + i * entsize);
		const struct elf64_shdr *str;

		if (sh->sh_type != SHT_SYMTAB || sh->sh_link >= num)
			continue;
		str = (const void *)(base + sh->sh_link * entsize);
		if (!sh->sh_addr || !str->sh_addr) {
			pr_warn("symbols: .symtab/.strtab not loaded by the boot loader; backtraces will be raw addresses\n");
			return;
		}
		symtab = (const void *)(unsigned long)sh->sh_addr;
		nr_syms = sh->sh_size / sizeof(struct elf64_sym);
		strtab = (const char *)(unsigned long)str->sh_addr;
		strtab_size = str->sh_size;
		return;
	}
	pr_warn("symbols: no .symtab in the ELF sections tag\n");
}

bool symbols_range(u64 *st, u64 *st_len, u64 *str, u64 *str_len)
{
	if (!symtab)
		return false;
	*st = (u64)(unsigned long)symtab;
	*st_len = nr_syms * sizeof(struct elf64_sym);
	*str = (u64)(unsigned long)strtab;
	*str_len = strtab_size;
	return true;
}

/*
 * Named ranges of copied code. Written while CPUs are brought up, read
 * lock-free by backtraces: len is published last (release), so a reader
 * that sees it sees start and name.
 */
static struct {
	u64 start;
	u64 len;
	const char *name;
} symbol_ranges[SYMBOL_RANGES_MAX];

bool symbols_add_range(u64 start, u64 len, const char *name)
{
	for (unsigned int i = 0; i < SYMBOL_RANGES_MAX; i++) {
		u64 cur = READ_ONCE(symbol_ranges[i].len);

		if (cur && symbol_ranges[i].start != start)
			continue;
		WRITE_ONCE(symbol_ranges[i].len, 0);
		symbol_ranges[i].start = start;
		symbol_ranges[i].name = name;
		smp_store_release(&symbol_ranges[i].len, len);
		return true;
	}
	pr_warn("symbols: no room to name [%#llx, +%#llx) '%s'\n",
		(unsigned long long)start, (unsigned long long)len, name);
	return false;
}

const char *symbol_lookup(u64 addr, u64 *offset)
{
	const struct elf64_sym *best = NULL;

	for (unsigned int i = 0; i < SYMBOL_RANGES_MAX; i++) {
		u64 len = smp_load_acquire(&symbol_ranges[i].len);

		if (len && addr - symbol_ranges[i].start < len) {
			*offset = addr - symbol_ranges[i].start;
			return symbol_ranges[i].name;
		}
	}
	for (u64 i = 0; i < nr_syms; i++) {
		const struct elf64_sym *s = &symtab[i];

		if ((s->st_info & 0xf) != STT_FUNC || s->st_name >= strtab_size)
			continue;
		if (addr < s->st_value)
			continue;
		if (addr < s->st_value + (s->st_size ? s->st_size : 1)) {
			best = s;
			break;
		}
	}
	if (!best)
		return NULL;
	*offset = addr - best->st_value;
	return strtab + best->st_name;
}

void symbolize(u64 addr, char *buf, size_t size)
{
	u64 off;
	const char *name = symbol_lookup(addr, &off);

	if (name)
		ksnprintf(buf, size, "%s+0x%llx", name, (unsigned long long)off);
	else
		ksnprintf(buf, size, "0x%llx", (unsigned long long)addr);
}

/* A saved RBP is followed only while it points at plausible stack. */
static bool frame_ok(u64 rbp, u64 prev)
{
	return rbp && !(rbp & 7) && rbp > prev && rbp >= 0x1000 &&
	       rbp < (4ULL << 30) && paging_is_mapped(rbp) &&
	       paging_is_mapped(rbp + 15);
}

/*
 * Is @ret the return address of a call inside a kernel function? True
 * when it follows "call rel32" (E8) or an indirect "call r/m64" (FF /2)
 * whose ModRM/SIB/displacement length ends exactly at @ret.
 */
static bool is_return_address(u64 ret)
{
	u64 off;
	const u8 *p = (const u8 *)(unsigned long)ret;

	if (ret < 0x1000 || !symbol_lookup(ret - 1, &off) || off < 2)
		return false;
	if (off >= 5 && p[-5] == 0xe8)
		return true;
	for (unsigned int k = 2; k <= 7 && k <= off; k++) {
		u8 modrm = p[-(int)k + 1];
		unsigned int mod = modrm >> 6, rm = modrm & 7, len = 2;

		if (p[-(int)k] != 0xff || ((modrm >> 3) & 7) != 2)
			continue;
		if (mod != 3 && rm == 4)
			len++;				/* SIB */
		if (mod == 1)
			len += 1;
		else if (mod == 2 || (mod == 0 && rm == 5))
			len += 4;
		if (len == k)
			return true;
	}
	return false;
}

static void print_addr(const char *prefix, u64 addr, u64 lookup)
{
	char sym[128];

	symbolize(lookup, sym, sizeof(sym));
	log_raw("  %s[<%016llx>] %s\n", prefix, (unsigned long long)addr, sym);
}

/*
 * The trapping (or interrupted) instruction at @rip. GCC gives a function
 * that needs no stack a frame-pointer-less body, and a fault may hit
 * before "push rbp" or after "pop rbp": then the caller's return address
 * is the word at @rsp, which the RBP chain skips. Print it, marked '?'
 * as Linux marks unproven entries, when it is a return address and not
 * the one the RBP chain will show anyway.
 */
static void print_site(u64 rip, u64 rsp, u64 rbp)
{
	u64 top;

	print_addr("", rip, rip);
	if (!rsp || (rsp & 7) || !paging_is_mapped(rsp) ||
	    !paging_is_mapped(rsp + 7))
		return;
	top = *(const u64 *)(unsigned long)rsp;
	if (frame_ok(rbp, 0) && top == ((const u64 *)(unsigned long)rbp)[1])
		return;
	if (is_return_address(top))
		print_addr("? ", top, top - 1);
}

static void backtrace_walk(u64 rip, u64 rsp, u64 rbp)
{
	u64 prev = 0;

	log_raw("Call trace:\n");
	print_site(rip, rsp, rbp);
	for (int depth = 0; depth < 32 && frame_ok(rbp, prev); depth++) {
		const u64 *frame = (const u64 *)(unsigned long)rbp;
		u64 ret = frame[1];

		if (!ret)
			break;
		/* Return address minus one lands inside the call. */
		print_addr("", ret, ret - 1);
		prev = rbp;
		rbp = frame[0];
		if (ret == (u64)(unsigned long)isr_return_from_handler) {
			/*
			 * x86_interrupt(frame) was called by isr_common with
			 * RSP == frame, and pushed RBP below its return
			 * address: the interrupted context lies at prev + 16.
			 */
			const struct exception_frame *f =
				(const void *)(unsigned long)(prev + 16);

			log_raw("  <interrupt: vector %#llx>\n",
				(unsigned long long)f->vector);
			print_site(f->rip, f->rsp, f->rbp);
			rbp = f->rbp;
			prev = 0;	/* the interrupted stack may differ */
		}
	}
}

void backtrace_print(u64 rip, u64 rbp)
{
	backtrace_walk(rip, 0, rbp);
}

void backtrace_print_regs(u64 rip, u64 rsp, u64 rbp)
{
	backtrace_walk(rip, rsp, rbp);
}

void dump_stack(void)
{
	const u64 *frame = __builtin_frame_address(0);

	/* frame[0]: the caller's RBP, frame[1]: our return address. */
	backtrace_print(frame[1], frame[0]);
}
