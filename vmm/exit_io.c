// SPDX-License-Identifier: MIT
/*
 * Port I/O exits (unconditional I/O exiting): the access goes to the VM's
 * device bus (vmm/dev/io_bus.h), where the UART, the exit port and the
 * legacy PC devices are registered; a port with nothing there reads all
 * ones and drops writes, as on a PC.
 *
 * String I/O (INS/OUTS, with or without REP) is emulated on the same bus
 * element by element (SDM "INS", "OUTS"): the address size and, for
 * OUTS, the segment come from the VM-exit instruction-information field
 * (SDM 28.2.5, when IA32_VMX_BASIC[54] says it is filled; else from the
 * instruction's prefixes), the memory operand is ES:[rDI] for INS and
 * seg:[rSI] for OUTS, translated by the guest's page tables, rSI/rDI
 * step by the element size up or down as RFLAGS.DF says, and a REP
 * counts rCX down. A REP does at most IO_STRING_BATCH elements per exit
 * and leaves RIP on the instruction for the rest, so a huge count never
 * holds the CPU, and interrupts are taken between batches, as between
 * iterations on hardware. Segment limits and page permissions are not
 * checked; an element whose memory is unmapped or outside guest RAM
 * kills the guest with a message saying so.
 */
#include "vmm/exit_codes.h"
#include "vmm/exit_handlers.h"
#include "vmm/guest_mem.h"
#include "vmm/guest_report.h"
#include "vmm/vmx/vmcs_fields.h"
#include "vmm/vmx/vmx_caps.h"
#include "arch/x86/cpu.h"
#include "arch/x86/vmx.h"
#include "kernel/log.h"
#include "kernel/string.h"
#include "vmm/dev/io_bus.h"

#define IO_QUAL_IN		BIT(3)
#define IO_QUAL_STRING		BIT(4)
#define IO_QUAL_REP		BIT(5)
#define VMX_BASIC_INS_OUTS_INFO	BIT(54)
#define X86_RFLAGS_DF		BIT(10)
#define CS_AR_L			BIT(13)
#define CS_AR_DB		BIT(14)
#define IO_STRING_BATCH		1024	/* elements per exit */
#define STRING_IO_BUF		256	/* bytes copied at once */

enum { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS };

static const u32 seg_base_field[] = {
	[SEG_ES] = GUEST_ES_BASE, [SEG_CS] = GUEST_CS_BASE,
	[SEG_SS] = GUEST_SS_BASE, [SEG_DS] = GUEST_DS_BASE,
	[SEG_FS] = GUEST_FS_BASE, [SEG_GS] = GUEST_GS_BASE,
};

/* Segment-override prefix bytes, by segment. */
static const u8 seg_prefix[] = {
	[SEG_ES] = 0x26, [SEG_CS] = 0x2e, [SEG_SS] = 0x36,
	[SEG_DS] = 0x3e, [SEG_FS] = 0x64, [SEG_GS] = 0x65,
};

struct string_io {
	unsigned int size;	/* element: 1, 2, 4 */
	u64 amask;		/* address size: 0xffff, 0xffffffff, ~0 */
	unsigned int seg;	/* of the memory operand */
	bool long_mode;		/* 64-bit code: ES-GS bases but FS, GS are 0 */
	bool in;
};

/* Address size and segment from the instruction's prefixes. */
static void string_io_decode_prefixes(struct vcpu *v, struct string_io *s,
				      unsigned int addr_bytes)
{
	u64 rip = vmread(GUEST_RIP), lin, gpa;
	unsigned int len = vmread(VM_EXIT_INSTRUCTION_LEN);
	u8 b[15];

	if (len > sizeof(b))
		len = sizeof(b);
	lin = vmread(GUEST_CS_BASE) + rip;
	for (unsigned int i = 0; i < len; i++) {
		if (!guest_gva_to_gpa(v, lin + i, &gpa) ||
		    !vcpu_guest_read(v, gpa, &b[i], 1))
			return;		/* the defaults stand */
		if (b[i] == 0x67) {
			addr_bytes = s->long_mode ? 4 : addr_bytes ^ 6;
			continue;
		}
		for (unsigned int sg = 0; sg < ARRAY_SIZE(seg_prefix); sg++)
			if (b[i] == seg_prefix[sg] && !s->in)
				s->seg = sg;
	}
	s->amask = addr_bytes == 8 ? ~0ULL : (1ULL << (addr_bytes * 8)) - 1;
}

static void string_io_setup(struct vcpu *v, u64 qual, struct string_io *s)
{
	u64 cs_ar = vmread(GUEST_CS_AR_BYTES);
	unsigned int def;

	s->size = (qual & 7) + 1;
	s->in = qual & IO_QUAL_IN;
	s->long_mode = (vmread(GUEST_IA32_EFER) & EFER_LMA) && (cs_ar & CS_AR_L);
	s->seg = s->in ? SEG_ES : SEG_DS;
	def = s->long_mode ? 8 : (cs_ar & CS_AR_DB) ? 4 : 2;
	if (vmx_caps.basic & VMX_BASIC_INS_OUTS_INFO) {
		u32 info = vmread(VMX_INSTRUCTION_INFO);
		unsigned int as = (info >> 7) & 7, seg = (info >> 15) & 7;

		s->amask = as == 0 ? 0xffff : as == 1 ? 0xffffffffULL : ~0ULL;
		/* INS always writes ES:[rDI]; its segment field is undefined. */
		if (!s->in && seg < ARRAY_SIZE(seg_base_field))
			s->seg = seg;
	} else {
		string_io_decode_prefixes(v, s, def);
		if (!s->amask)
			s->amask = def == 8 ? ~0ULL :
				   (1ULL << (def * 8)) - 1;
	}
}

static u64 seg_base(const struct string_io *s)
{
	if (s->long_mode && s->seg != SEG_FS && s->seg != SEG_GS)
		return 0;
	return vmread(seg_base_field[s->seg]);
}

/*
 * Copy @n bytes between @buf and guest-linear @lin, which may span pages
 * (an element across a page boundary).
 */
static bool string_io_mem(struct vcpu *v, const struct string_io *s,
			  u64 lin, u8 *buf, unsigned int n, bool to_guest)
{
	for (unsigned int i = 0; i < n;) {
		u64 a = lin + i, gpa;
		unsigned int c;

		if (!s->long_mode)
			a &= 0xffffffffULL;
		c = MIN(n - i, PAGE_SIZE - (a & 0xfff));
		if (!guest_gva_to_gpa(v, a, &gpa))
			return false;
		if (to_guest ? !vcpu_guest_write(v, gpa, buf + i, c)
			     : !vcpu_guest_read(v, gpa, buf + i, c))
			return false;
		i += c;
	}
	return true;
}

/* rSI/rDI/rCX as the address size has them: the rest of it kept. */
static u64 reg_update(u64 old, u64 val, u64 amask)
{
	if (amask == 0xffffffffULL)
		return val & amask;	/* a 32-bit write zero-extends */
	return (old & ~amask) | (val & amask);
}

/*
 * Elements from the one at rSI/rDI on that stay in its page, in the
 * direction of travel: one translation and one copy serve them all.
 */
static unsigned int string_io_run(const struct string_io *s, u64 off,
				  bool down, u64 left)
{
	u64 in_page = down ? (off & 0xfff) / s->size + 1
			   : (PAGE_SIZE - (off & 0xfff)) / s->size;
	u64 n = MIN(MIN(left, in_page), STRING_IO_BUF / s->size);

	/* Not past the end of the address space either (it wraps). */
	if (!down && off + n * s->size - 1 > s->amask)
		n = (s->amask - off) / s->size + 1;
	if (down && off < (n - 1) * s->size)
		n = off / s->size + 1;
	return n ? n : 1;
}

static int handle_string_io(struct vcpu *v, u64 qual, u16 port)
{
	struct string_io s = { 0 };
	bool rep = qual & IO_QUAL_REP, down;
	u64 *areg, count, done = 0, base;
	u8 buf[STRING_IO_BUF];
	int r = 0;

	string_io_setup(v, qual, &s);
	areg = s.in ? &v->regs.rdi : &v->regs.rsi;
	count = rep ? v->regs.rcx & s.amask : 1;
	down = vmread(GUEST_RFLAGS) & X86_RFLAGS_DF;
	base = seg_base(&s);
	while (done < count && done < IO_STRING_BATCH && !r) {
		u64 off = *areg & s.amask;
		unsigned int n = string_io_run(&s, off, down,
					       MIN(count - done, IO_STRING_BATCH - done));
		/* The lowest address of the run: its last element going down. */
		u64 lo = down ? off - (u64)(n - 1) * s.size : off;
		unsigned int i;

		if (!s.in && !string_io_mem(v, &s, base + lo, buf, n * s.size, false))
			goto not_memory;
		for (i = 0; i < n && !r; i++) {
			u64 val = 0;
			unsigned int k = down ? n - 1 - i : i;	/* its place in buf */

			if (!s.in)
				memcpy(&val, buf + k * s.size, s.size);
			r = io_bus_access(&v->guest->io_bus, IO_SPACE_PIO, port,
					  s.size, !s.in, &val);
			if (s.in)
				memcpy(buf + k * s.size, &val, s.size);
		}
		/* An IN that ended the guest stored nothing; others did. */
		if (s.in && r)
			i--;
		if (s.in && i) {
			u64 first = down ? n - i : 0;	/* buf is in address order */

			if (!string_io_mem(v, &s, base + lo + first * s.size,
					   buf + first * s.size, i * s.size, true))
				goto not_memory;
		}
		*areg = reg_update(*areg, *areg + (down ? -(u64)i : i) * s.size,
				   s.amask);
		if (rep)
			v->regs.rcx = reg_update(v->regs.rcx, v->regs.rcx - i,
						 s.amask);
		done += i;
	}
	if (r == IO_BUS_STOP)
		return VCPU_STOP;
	/* A REP with elements left runs again from the same RIP. */
	if (!rep || done == count)
		vcpu_skip_insn(v);
	return VCPU_RESUME;
not_memory: {
		char why[96];

		ksnprintf(why, sizeof(why), "%s at linear %#llx: not guest memory",
			  s.in ? "INS" : "OUTS",
			  (unsigned long long)(base + (*areg & s.amask)));
		guest_kill(v->guest, why);
		return VCPU_STOP;
	}
}

int handle_io(struct vcpu *v)
{
	u64 qual = vmread(EXIT_QUALIFICATION);
	u16 port = qual >> 16;
	unsigned int size = (qual & 7) + 1;
	bool in = qual & IO_QUAL_IN;
	u32 mask = size == 4 ? ~0U : (1U << (size * 8)) - 1;
	u64 val = in ? 0 : (v->regs.rax & mask);
	int r;

	if (qual & IO_QUAL_STRING)
		return handle_string_io(v, qual, port);
	r = io_bus_access(&v->guest->io_bus, IO_SPACE_PIO, port, size, !in,
			  &val);
	if (r == IO_BUS_STOP)
		return VCPU_STOP;
	if (in)
		v->regs.rax = (v->regs.rax & ~(u64)mask) | (val & mask);
	vcpu_skip_insn(v);
	return VCPU_RESUME;
}
