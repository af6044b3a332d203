/* SPDX-License-Identifier: MIT */
/*
 * Decoding the one instruction that made an MMIO access (an EPT violation
 * outside guest memory), so that the access can be emulated on the device
 * bus: which register or immediate, how wide, read or write, and how long
 * the instruction is. Only the moves compilers and drivers use for device
 * registers are known: MOV r/m,r (88/89), MOV r,r/m (8A/8B), MOV r/m,imm
 * (C6/C7 /0), MOVZX r,r/m8/16 (0F B6/B7), MOV AL/eAX <-> moffs (A0-A3,
 * the absolute-address form compilers emit for constant addresses), the
 * read-modify-writes drivers use on device registers - AND/OR/XOR r/m,r
 * (20/21, 08/09, 30/31) and r/m,imm (80/81/83 /4, /1, /6), XCHG r/m,r
 * (86/87) - and STOS (AA/AB, with REP), with 66, 67, REX, F3 and segment
 * prefixes, any ModRM/SIB/displacement, RIP-relative included. Anything
 * else is refused, and the caller says so.
 *
 * Pure (bytes in, description out): the hosted tests run it directly.
 */
#ifndef VMM_DEV_MMIO_INSN_H
#define VMM_DEV_MMIO_INSN_H

#include "kernel/compiler.h"

#define MMIO_INSN_MAX_LEN	15

/* What the instruction does with the device's location. */
enum mmio_op {
	MMIO_OP_MOV,		/* a read into reg, or a write of reg/imm */
	MMIO_OP_AND,		/* read, AND with reg/imm, write; flags */
	MMIO_OP_OR,
	MMIO_OP_XOR,
	MMIO_OP_XCHG,		/* read into reg, write reg's old value */
	MMIO_OP_STOS,		/* write rAX at rDI, move rDI (REP: rCX) */
};

struct mmio_insn {
	enum mmio_op op;
	bool rep;		/* STOS with F3: one element per exit */
	bool addr32;		/* 67 in 64-bit mode: rDI/rCX are 32-bit */
	unsigned int len;	/* bytes, prefixes included */
	unsigned int size;	/* bytes accessed in memory: 1, 2, 4 or 8 */
	bool write;		/* to the device; else a read into reg */
	bool has_imm;		/* write of imm (C6/C7) instead of reg */
	u64 imm;		/* sign-extended to size */
	unsigned int reg;	/* register number, x86 order (0 = rax) */
	bool high_byte;		/* reg is AH/CH/DH/BH (byte op, no REX) */
	unsigned int reg_size;	/* bytes of reg written by a read */
	bool zero_extend;	/* MOVZX, or a 32-bit write in 64-bit mode */
};

/*
 * Decode @bytes (@n available) in 64-bit mode (@long_mode) or 32-bit
 * protected mode with 32-bit default operands. 0, or -EINVAL for an
 * instruction it does not know (also for one longer than @n).
 */
int mmio_insn_decode(const u8 *bytes, unsigned int n, bool long_mode,
		     struct mmio_insn *insn);

#endif
