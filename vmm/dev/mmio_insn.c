// SPDX-License-Identifier: MIT
/* The MMIO instruction decoder (see mmio_insn.h). */
#include "vmm/dev/mmio_insn.h"
#include "kernel/errno.h"

/* Bytes of ModRM + SIB + displacement starting at @p, or -1. */
static int modrm_len(const u8 *p, unsigned int n, bool addr16)
{
	unsigned int mod, rm, len = 1;

	if (n < 1 || addr16)
		return -1;	/* 16-bit addressing: not a device access */
	mod = p[0] >> 6;
	rm = p[0] & 7;
	if (mod == 3)
		return -1;	/* a register operand: no memory access */
	if (rm == 4) {		/* SIB */
		if (n < 2)
			return -1;
		len++;
		if (mod == 0 && (p[1] & 7) == 5)
			len += 4;	/* no base: disp32 */
	} else if (mod == 0 && rm == 5) {
		len += 4;	/* disp32 (RIP-relative in 64-bit mode) */
	}
	if (mod == 1)
		len += 1;
	else if (mod == 2)
		len += 4;
	return len <= n ? (int)len : -1;
}

int mmio_insn_decode(const u8 *bytes, unsigned int n, bool long_mode,
		     struct mmio_insn *insn)
{
	unsigned int i = 0, op, opsize = 4, rex = 0, imm_len = 0;
	bool addr16 = false, addr_prefix = false, twobyte = false, rep = false;
	int ml;

	if (n > MMIO_INSN_MAX_LEN)
		n = MMIO_INSN_MAX_LEN;
	*insn = (struct mmio_insn){ 0 };
	/* Legacy prefixes, then REX (64-bit mode, last before the opcode). */
	for (; i < n; i++) {
		u8 b = bytes[i];

		if (b == 0x66)
			opsize = 2;
		else if (b == 0x67) {
			addr16 = !long_mode;	/* 32-bit addressing in 64-bit */
			addr_prefix = true;
		}
		else if (b == 0x2e || b == 0x36 || b == 0x3e || b == 0x26 ||
			 b == 0x64 || b == 0x65)
			continue;	/* segments: flat guests, base 0 assumed */
		else if (b == 0xf3)
			rep = true;	/* REP: meaningful for STOS only */
		else
			break;
	}
	if (i < n && long_mode && (bytes[i] & 0xf0) == 0x40)
		rex = bytes[i++];
	if (rex & 8)
		opsize = 8;
	if (i >= n)
		return -EINVAL;
	op = bytes[i++];
	if (op == 0x0f) {
		if (i >= n)
			return -EINVAL;
		twobyte = true;
		op = bytes[i++];
	}
	/* 32-bit addressing: 67 in 64-bit mode, or 32-bit code (16 refused). */
	insn->addr32 = !long_mode || addr_prefix;
	if (!twobyte && (op == 0xaa || op == 0xab)) {
		/* STOS: rAX to [rDI]; the exit handler moves rDI (and rCX). */
		if (addr16)
			return -EINVAL;
		insn->op = MMIO_OP_STOS;
		insn->rep = rep;
		insn->size = insn->reg_size = op == 0xab ? opsize : 1;
		insn->write = true;
		insn->reg = 0;
		insn->len = i;
		return 0;
	}
	if (rep)
		return -EINVAL;	/* REP on anything else: not a device access */
	if (!twobyte && op >= 0xa0 && op <= 0xa3) {
		/*
		 * MOV AL/eAX <-> moffs: no ModRM, an absolute address of the
		 * address size (8 bytes in 64-bit mode, 4 with 0x67 there or
		 * in 32-bit mode; 16-bit addressing is refused).
		 */
		unsigned int alen = long_mode && !(addr_prefix) ? 8 : 4;

		if (addr16 || i + alen > n)
			return -EINVAL;
		insn->size = insn->reg_size = op & 1 ? opsize : 1;
		insn->write = op >= 0xa2;
		insn->reg = 0;
		if (!insn->write && insn->reg_size == 4 && long_mode)
			insn->zero_extend = true;
		insn->len = i + alen;
		return 0;
	}
	if (i >= n)
		return -EINVAL;
	insn->reg = ((bytes[i] >> 3) & 7) | (rex & 4 ? 8 : 0);
	if (twobyte) {
		if (op != 0xb6 && op != 0xb7)
			return -EINVAL;
		insn->size = op == 0xb6 ? 1 : 2;
		insn->reg_size = opsize;
		insn->zero_extend = true;
	} else {
		unsigned int sub = (bytes[i] >> 3) & 7;

		switch (op) {
		case 0x88: case 0x8a: case 0xc6:
		case 0x08: case 0x20: case 0x30: case 0x86: case 0x80:
			insn->size = 1;
			break;
		case 0x89: case 0x8b: case 0xc7:
		case 0x09: case 0x21: case 0x31: case 0x87: case 0x81: case 0x83:
			insn->size = opsize;
			break;
		default:
			return -EINVAL;
		}
		switch (op) {
		case 0x08: case 0x09:
			insn->op = MMIO_OP_OR;
			break;
		case 0x20: case 0x21:
			insn->op = MMIO_OP_AND;
			break;
		case 0x30: case 0x31:
			insn->op = MMIO_OP_XOR;
			break;
		case 0x86: case 0x87:
			insn->op = MMIO_OP_XCHG;
			break;
		case 0x80: case 0x81: case 0x83:
			/* Group 1: only the logic ops (/1 OR, /4 AND, /6 XOR). */
			if (sub == 1)
				insn->op = MMIO_OP_OR;
			else if (sub == 4)
				insn->op = MMIO_OP_AND;
			else if (sub == 6)
				insn->op = MMIO_OP_XOR;
			else
				return -EINVAL;
			insn->has_imm = true;
			imm_len = op == 0x81 ? (opsize == 2 ? 2 : 4) : 1;
			break;
		}
		insn->write = op != 0x8a && op != 0x8b;
		insn->reg_size = insn->size;
		if (op == 0xc6 || op == 0xc7) {
			if (sub != 0)
				return -EINVAL;	/* only /0 is MOV */
			insn->has_imm = true;
			imm_len = op == 0xc6 ? 1 : (opsize == 2 ? 2 : 4);
		}
		/* A byte register without REX: 4..7 are AH, CH, DH, BH. */
		if (insn->size == 1 && !rex && (insn->reg & 7) >= 4) {
			insn->high_byte = true;
			insn->reg -= 4;
		}
		/* Group 1's reg field is the operation, not a register. */
		if (op == 0x80 || op == 0x81 || op == 0x83) {
			insn->reg = 0;
			insn->high_byte = false;
		}
	}
	ml = modrm_len(bytes + i, n - i, addr16);
	if (ml < 0)
		return -EINVAL;
	i += ml;
	if (insn->has_imm) {
		u64 v = 0;

		if (i + imm_len > n)
			return -EINVAL;
		for (unsigned int k = 0; k < imm_len; k++)
			v |= (u64)bytes[i + k] << (8 * k);
		/* Sign-extend imm32 to a 64-bit store; smaller ones are exact. */
		if (imm_len == 4 && insn->size == 8 && (v & 0x80000000u))
			v |= 0xffffffff00000000ULL;
		/* 83 /n: imm8 sign-extended to the operand size. */
		if (op == 0x83 && (v & 0x80))
			v |= ~0xffULL;
		if (insn->size < 8)
			v &= (1ULL << (insn->size * 8)) - 1;
		insn->imm = v;
		i += imm_len;
	}
	/* A 32-bit register write clears the upper half in 64-bit mode. */
	if (!insn->write && insn->reg_size == 4 && long_mode)
		insn->zero_extend = true;
	insn->len = i;
	return 0;
}
