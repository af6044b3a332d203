// SPDX-License-Identifier: MIT
/*
 * vmm/dev/mmio_insn.c against hand-assembled instructions: each case the
 * bytes an assembler gives for a device-register move, and what the
 * decoder must say (length, width, direction, register, immediate); then
 * what it must refuse; then random bytes, which it must never overrun.
 */
// host-srcs: vmm/dev/mmio_insn.c
#include "vmm/dev/mmio_insn.h"
#include "kernel/errno.h"
#include "tests/host/platform_host.h"
#include "tests/host/tap.h"

#include <stdlib.h>
#include <string.h>

/* Case tables leave the fields a case does not check at zero. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

struct dcase {
	const char *what;
	bool lm;
	u8 b[15];
	unsigned int n;
	/* expected */
	unsigned int len, size, reg, reg_size;
	bool write, has_imm, high;
	u64 imm;
};

static const struct dcase ok_cases[] = {
	{ "mov eax,[rdi]", 1, { 0x8b, 0x07 }, 2, 2, 4, 0, 4, 0, 0, 0, 0 },
	{ "mov rbx,[rip+0x100]", 1, { 0x48, 0x8b, 0x1d, 0, 1, 0, 0 }, 7, 7, 8, 3, 8, 0, 0, 0, 0 },
	{ "mov r9d,[rax+rcx*4+0x10]", 1, { 0x44, 0x8b, 0x4c, 0x88, 0x10 }, 5, 5, 4, 9, 4, 0, 0, 0, 0 },
	{ "mov [rdx],ecx", 1, { 0x89, 0x0a }, 2, 2, 4, 1, 4, 1, 0, 0, 0 },
	{ "mov [rsp+8],r12", 1, { 0x4c, 0x89, 0x64, 0x24, 0x08 }, 5, 5, 8, 12, 8, 1, 0, 0, 0 },
	{ "mov word [rax],dx", 1, { 0x66, 0x89, 0x10 }, 3, 3, 2, 2, 2, 1, 0, 0, 0 },
	{ "mov byte [rbx],ah", 1, { 0x88, 0x23 }, 2, 2, 1, 0, 1, 1, 0, 1, 0 },
	{ "mov byte [rbx],spl", 1, { 0x40, 0x88, 0x23 }, 3, 3, 1, 4, 1, 1, 0, 0, 0 },
	{ "mov al,[abs disp32 via sib]", 1, { 0x8a, 0x04, 0x25, 0x00, 0x00, 0xd0, 0xfe }, 7, 7, 1, 0, 1, 0, 0, 0, 0 },
	{ "mov dword [rdi+0x40],0x12345678", 1, { 0xc7, 0x47, 0x40, 0x78, 0x56, 0x34, 0x12 }, 7, 7, 4, 0, 4, 1, 1, 0, 0x12345678 },
	{ "mov qword [rdi],-1", 1, { 0x48, 0xc7, 0x07, 0xff, 0xff, 0xff, 0xff }, 7, 7, 8, 0, 8, 1, 1, 0, ~0ULL },
	{ "mov word [rdi],0xbeef", 1, { 0x66, 0xc7, 0x07, 0xef, 0xbe }, 5, 5, 2, 0, 2, 1, 1, 0, 0xbeef },
	{ "mov byte [rdi+rsi],0x5a", 1, { 0xc6, 0x04, 0x37, 0x5a }, 4, 4, 1, 0, 1, 1, 1, 0, 0x5a },
	{ "movzx eax,byte [rdi]", 1, { 0x0f, 0xb6, 0x07 }, 3, 3, 1, 0, 4, 0, 0, 0, 0 },
	{ "movzx r10,word [rbp+0x1000]", 1, { 0x4c, 0x0f, 0xb7, 0x95, 0x00, 0x10, 0, 0 }, 8, 8, 2, 10, 8, 0, 0, 0, 0 },
	{ "fs: mov eax,[rax]", 1, { 0x64, 0x8b, 0x00 }, 3, 3, 4, 0, 4, 0, 0, 0, 0 },
	{ "32-bit: mov eax,[0xfee000f0]", 0, { 0x8b, 0x05, 0xf0, 0x00, 0xe0, 0xfe }, 6, 6, 4, 0, 4, 0, 0, 0, 0 },
	{ "32-bit: mov [ebx],esi", 0, { 0x89, 0x33 }, 2, 2, 4, 6, 4, 1, 0, 0, 0 },
	{ "32-bit: 0x48 is dec eax, not REX", 0, { 0x48, 0x8b, 0x07 }, 3, 0 },
	{ "mov eax,[moffs64 0xfee00020]", 1, { 0xa1, 0x20, 0x00, 0xe0, 0xfe, 0, 0, 0, 0 }, 9, 9, 4, 0, 4, 0, 0, 0, 0 },
	{ "mov [moffs64],rax", 1, { 0x48, 0xa3, 0xb0, 0x00, 0xe0, 0xfe, 0, 0, 0, 0 }, 10, 10, 8, 0, 8, 1, 0, 0, 0 },
	{ "mov al,[moffs32] (67 in 64-bit)", 1, { 0x67, 0xa0, 0x30, 0x00, 0xe0, 0xfe }, 6, 6, 1, 0, 1, 0, 0, 0, 0 },
	{ "32-bit: mov [moffs32],ax", 0, { 0x66, 0xa3, 0x80, 0x00, 0xe0, 0xfe }, 6, 6, 2, 0, 2, 1, 0, 0, 0 },
};

/* Read-modify-write and string forms: op, imm, rep. */
struct ocase {
	const char *what;
	bool lm;
	u8 b[15];
	unsigned int n;
	enum mmio_op op;
	unsigned int len, size, reg;
	bool has_imm, rep;
	u64 imm;
};

static const struct ocase op_cases[] = {
	{ "or [rdi],eax", 1, { 0x09, 0x07 }, 2, MMIO_OP_OR, 2, 4, 0, 0, 0, 0 },
	{ "and byte [rbx],cl", 1, { 0x20, 0x0b }, 2, MMIO_OP_AND, 2, 1, 1, 0, 0, 0 },
	{ "xor [rax],r9", 1, { 0x4c, 0x31, 0x08 }, 3, MMIO_OP_XOR, 3, 8, 9, 0, 0, 0 },
	{ "or dword [rdi+0x10],0x100", 1, { 0x81, 0x4f, 0x10, 0x00, 0x01, 0, 0 }, 7, MMIO_OP_OR, 7, 4, 0, 1, 0, 0x100 },
	{ "and dword [rdi],-2 (83 /4)", 1, { 0x83, 0x27, 0xfe }, 3, MMIO_OP_AND, 3, 4, 0, 1, 0, 0xfffffffe },
	{ "and qword [rdi],-2 (48 83 /4)", 1, { 0x48, 0x83, 0x27, 0xfe }, 4, MMIO_OP_AND, 4, 8, 0, 1, 0, ~1ULL },
	{ "xor byte [rsi],0x80 (80 /6)", 1, { 0x80, 0x36, 0x80 }, 3, MMIO_OP_XOR, 3, 1, 0, 1, 0, 0x80 },
	{ "xchg [rdx],ebx", 1, { 0x87, 0x1a }, 2, MMIO_OP_XCHG, 2, 4, 3, 0, 0, 0 },
	{ "stosd", 1, { 0xab }, 1, MMIO_OP_STOS, 1, 4, 0, 0, 0, 0 },
	{ "rep stosq", 1, { 0xf3, 0x48, 0xab }, 3, MMIO_OP_STOS, 3, 8, 0, 0, 1, 0 },
	{ "rep stosb", 1, { 0xf3, 0xaa }, 2, MMIO_OP_STOS, 2, 1, 0, 0, 1, 0 },
	{ "32-bit: stosw", 0, { 0x66, 0xab }, 2, MMIO_OP_STOS, 2, 2, 0, 0, 0, 0 },
};

static const struct dcase bad_cases[] = {
	{ "add [rdi],eax (not a logic op)", 1, { 0x01, 0x07 }, 2 },
	{ "adc dword [rdi],1 (81 /2)", 1, { 0x81, 0x17, 1, 0, 0, 0 }, 6 },
	{ "cmp dword [rdi],1 (83 /7)", 1, { 0x83, 0x3f, 1 }, 3 },
	{ "rep mov (REP on a MOV)", 1, { 0xf3, 0x89, 0x07 }, 3 },
	{ "add eax,[rdi] (not a move)", 1, { 0x03, 0x07 }, 2 },
	{ "mov eax,ebx (no memory operand)", 1, { 0x8b, 0xc3 }, 2 },
	{ "c7 /1 is not mov", 1, { 0xc7, 0x0f, 1, 2, 3, 4 }, 6 },
	{ "rep movsb (string op)", 1, { 0xf3, 0xa4 }, 2 },
	{ "truncated disp32", 1, { 0x8b, 0x05, 0x00, 0x10 }, 4 },
	{ "truncated imm32", 1, { 0xc7, 0x07, 0x78, 0x56 }, 4 },
	{ "16-bit addressing in 32-bit code", 0, { 0x67, 0x8b, 0x07 }, 3 },
	{ "truncated moffs64", 1, { 0xa1, 0x20, 0x00, 0xe0, 0xfe }, 5 },
	{ "16-bit moffs in 32-bit code", 0, { 0x67, 0xa1, 0x20, 0x00 }, 4 },
	{ "only prefixes", 1, { 0x66, 0x66, 0x66 }, 3 },
	{ "empty", 1, { 0 }, 0 },
	{ "two-byte opcode that is not movzx", 1, { 0x0f, 0xb8, 0x07 }, 3 },
};

int main(void)
{
	struct mmio_insn in;
	bool all = true;
	unsigned long overruns = 0, decoded = 0;

	tap_plan(ARRAY_SIZE(ok_cases) + ARRAY_SIZE(op_cases) +
		 ARRAY_SIZE(bad_cases) + 1);
	for (size_t i = 0; i < ARRAY_SIZE(ok_cases); i++) {
		const struct dcase *c = &ok_cases[i];
		int r = mmio_insn_decode(c->b, c->n, c->lm, &in);

		if (!c->len) {	/* must be refused */
			tap_ok(r == -EINVAL, "%s: refused", c->what);
			continue;
		}
		tap_ok(r == 0 && in.len == c->len && in.size == c->size &&
		       in.reg == c->reg && in.reg_size == c->reg_size &&
		       in.write == c->write && in.has_imm == c->has_imm &&
		       in.high_byte == c->high && (!c->has_imm || in.imm == c->imm),
		       "%s: len %u size %u reg %u%s %s", c->what, in.len,
		       in.size, in.reg, in.high_byte ? " (high byte)" : "",
		       in.write ? "write" : "read");
	}
	for (size_t i = 0; i < ARRAY_SIZE(op_cases); i++) {
		const struct ocase *c = &op_cases[i];
		int r = mmio_insn_decode(c->b, c->n, c->lm, &in);

		tap_ok(r == 0 && in.op == c->op && in.len == c->len &&
		       in.size == c->size && in.reg == c->reg && in.write &&
		       in.has_imm == c->has_imm && in.rep == c->rep &&
		       (!c->has_imm || in.imm == c->imm),
		       "%s: op %d len %u size %u reg %u imm %#llx", c->what,
		       in.op, in.len, in.size, in.reg,
		       (unsigned long long)in.imm);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad_cases); i++) {
		const struct dcase *c = &bad_cases[i];

		tap_ok(mmio_insn_decode(c->b, c->n, c->lm, &in) == -EINVAL,
		       "refused: %s", c->what);
	}
	/* Random bytes: a decoded length never exceeds what was given. */
	for (unsigned long i = 0; i < (getenv("HOST_STRESS") ? 20000000UL : 200000UL); i++) {
		u8 b[15];
		unsigned int n = host_rand() % 16;

		for (unsigned int k = 0; k < sizeof(b); k++)
			b[k] = host_rand();
		if (!mmio_insn_decode(b, n, host_rand() & 1, &in)) {
			decoded++;
			if (in.len > n || !in.size || in.size > 8)
				overruns++;
		}
	}
	all = overruns == 0;
	tap_ok(all, "random bytes: %lu decoded, none past the bytes given or of a bad width",
	       decoded);
	return tap_done();
}
