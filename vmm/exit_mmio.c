// SPDX-License-Identifier: MIT
/*
 * MMIO: an EPT violation outside every memslot is a device access. The
 * instruction at the guest's RIP is fetched (through the guest's page
 * tables), decoded (vmm/dev/mmio_insn.c) and carried out on the VM's
 * device bus; an address with no device reads all ones and drops writes,
 * as on a PC. What cannot be emulated - an instruction the decoder does
 * not know, a fetch or a page-table walk from device memory, 16-bit code
 * - kills the guest with a message saying which.
 */
#include "vmm/guest_mem.h"
#include "vmm/guest_report.h"
#include "vmm/exit_codes.h"
#include "vmm/exit_mmio.h"
#include "vmm/vcpu.h"
#include "vmm/vcpu_lapic.h"
#include "vmm/dev/io_bus.h"
#include "vmm/dev/mmio_insn.h"
#include "vmm/vmx/vmcs_fields.h"
#include "arch/x86/cpu.h"
#include "arch/x86/vmx.h"
#include "kernel/log.h"

#define CS_AR_L			BIT(13)	/* 64-bit code segment */
#define CS_AR_DB		BIT(14)	/* 32-bit default operand size */
#define X86_FLAGS_CF		BIT(0)
#define X86_FLAGS_PF		BIT(2)
#define X86_FLAGS_ZF		BIT(6)
#define X86_FLAGS_SF		BIT(7)
#define X86_FLAGS_DF		BIT(10)
#define X86_FLAGS_OF		BIT(11)
/* Exit qualification: a data access to the translated linear address. */
#define EPT_QUAL_FETCH		BIT(2)
#define EPT_QUAL_GLA_VALID	BIT(7)
#define EPT_QUAL_GLA_XLATE	BIT(8)

/* Up to 15 bytes at CS:RIP, as far as they are mapped. */
static unsigned int fetch_insn(struct vcpu *v, u64 lin, u8 *buf)
{
	unsigned int n = 0;

	while (n < MMIO_INSN_MAX_LEN) {
		u64 gpa, chunk = MIN(MMIO_INSN_MAX_LEN - n,
				     PAGE_SIZE - ((lin + n) & 0xfff));

		if (!guest_gva_to_gpa(v, lin + n, &gpa) ||
		    !vcpu_guest_read(v, gpa, buf + n, chunk))
			break;
		n += chunk;
	}
	return n;
}

static u64 *gpr(struct vcpu *v, unsigned int reg)
{
	return &v->regs.rax + reg;	/* x86 order; 4 (RSP) is in the VMCS */
}

static u64 reg_read(struct vcpu *v, unsigned int reg)
{
	return reg == 4 ? vmread(GUEST_RSP) : *gpr(v, reg);
}

static void reg_write(struct vcpu *v, unsigned int reg, u64 val)
{
	if (reg == 4)
		vmwrite(GUEST_RSP, val);
	else
		*gpr(v, reg) = val;
}

static u64 size_mask(unsigned int size)
{
	return size == 8 ? ~0ULL : (1ULL << (size * 8)) - 1;
}

static int mmio_refuse(struct vcpu *v, u64 gpa, u64 qual, const char *what,
		       const u8 *bytes, unsigned int n)
{
	char why[160];
	int len;

	len = ksnprintf(why, sizeof(why),
			"EPT violation at gpa %#llx (qual %#llx) outside every memslot: %s",
			(unsigned long long)gpa, (unsigned long long)qual, what);
	for (unsigned int i = 0; i < n && i < 8 && len < (int)sizeof(why) - 4; i++)
		len += ksnprintf(why + len, sizeof(why) - len, "%s%02x",
				 i ? " " : " (bytes ", bytes[i]);
	if (n)
		ksnprintf(why + len, sizeof(why) - len, ")");
	guest_kill(v->guest, why);
	return VCPU_STOP;
}

/*
 * The vCPU's own xAPIC page first (each vCPU sees its own APIC at the
 * same address), then the VM's bus. 0, or IO_BUS_STOP.
 */
static int mmio_access(struct vcpu *v, u64 gpa, unsigned int size,
		       bool write, u64 *val)
{
	if (vcpu_lapic_mmio(v, gpa, size, write, val))
		return 0;
	return io_bus_access(&v->guest->io_bus, IO_SPACE_MMIO, gpa, size,
			     write, val);
}

/* The value a write stores: the immediate, or the register (AH..BH). */
static u64 operand(struct vcpu *v, const struct mmio_insn *insn)
{
	u64 val = insn->has_imm ? insn->imm :
		  reg_read(v, insn->reg) >> (insn->high_byte ? 8 : 0);

	return val & size_mask(insn->size);
}

/* A read's value into the register, as MOV/MOVZX/XCHG write it. */
static void reg_store(struct vcpu *v, const struct mmio_insn *insn, u64 val)
{
	u64 old = reg_read(v, insn->reg), mask;

	val &= size_mask(insn->size);
	if (insn->reg_size >= 4) {
		old = val;	/* 32-bit writes zero-extend */
	} else {
		mask = size_mask(insn->reg_size);
		if (insn->high_byte)
			old = (old & ~(mask << 8)) | ((val & mask) << 8);
		else
			old = (old & ~mask) | (val & mask);
	}
	reg_write(v, insn->reg, old);
}

/* AND/OR/XOR: CF = OF = 0, SF, ZF, PF from the result (AF undefined). */
static void set_logic_flags(u64 res, unsigned int size)
{
	u64 fl = vmread(GUEST_RFLAGS) & ~(u64)(X86_FLAGS_CF | X86_FLAGS_PF |
					       X86_FLAGS_ZF | X86_FLAGS_SF |
					       X86_FLAGS_OF);

	if (!(__builtin_popcount((unsigned int)(res & 0xff)) & 1))
		fl |= X86_FLAGS_PF;
	if (!res)
		fl |= X86_FLAGS_ZF;
	if (res >> (size * 8 - 1))
		fl |= X86_FLAGS_SF;
	vmwrite(GUEST_RFLAGS, fl);
}

/*
 * STOS to a device: one element per exit. rDI moves by the size (down
 * with DF); with REP, rCX counts down and RIP stays until it reaches 0,
 * so the CPU re-executes the instruction for the next element (which
 * faults into here again if it is device memory, or runs natively).
 */
static int mmio_stos(struct vcpu *v, u64 gpa, const struct mmio_insn *insn,
		     u64 rip)
{
	u64 amask = insn->addr32 ? 0xffffffffULL : ~0ULL;
	bool down = vmread(GUEST_RFLAGS) & X86_FLAGS_DF;
	u64 val = v->regs.rax & size_mask(insn->size);
	u64 rdi = v->regs.rdi, rcx = v->regs.rcx;

	if (mmio_access(v, gpa, insn->size, true, &val))
		return VCPU_STOP;
	rdi = down ? rdi - insn->size : rdi + insn->size;
	v->regs.rdi = (v->regs.rdi & ~amask) | (rdi & amask);
	if (insn->rep) {
		rcx = (rcx - 1) & amask;
		v->regs.rcx = (v->regs.rcx & ~amask) | rcx;
		if (rcx)
			return VCPU_RESUME;	/* RIP stays: the next element */
	}
	vmwrite(GUEST_RIP, rip + insn->len);
	return VCPU_RESUME;
}

int handle_mmio(struct vcpu *v, u64 gpa, u64 qual)
{
	u64 cs_ar = vmread(GUEST_CS_AR_BYTES), rip = vmread(GUEST_RIP);
	bool long_mode = (vmread(GUEST_IA32_EFER) & EFER_LMA) &&
			 (cs_ar & CS_AR_L);
	struct mmio_insn insn;
	u8 bytes[MMIO_INSN_MAX_LEN];
	unsigned int n;
	u64 lin, val;

	if (qual & EPT_QUAL_FETCH)
		return mmio_refuse(v, gpa, qual, "an instruction fetch", NULL, 0);
	if ((qual & (EPT_QUAL_GLA_VALID | EPT_QUAL_GLA_XLATE)) !=
	    (EPT_QUAL_GLA_VALID | EPT_QUAL_GLA_XLATE))
		return mmio_refuse(v, gpa, qual,
				   "a page-table walk or event delivery", NULL, 0);
	if (!long_mode && !(cs_ar & CS_AR_DB))
		return mmio_refuse(v, gpa, qual, "16-bit code", NULL, 0);
	lin = vmread(GUEST_CS_BASE) + rip;
	if (!long_mode)
		lin &= 0xffffffffULL;
	n = fetch_insn(v, lin, bytes);
	if (mmio_insn_decode(bytes, n, long_mode, &insn))
		return mmio_refuse(v, gpa, qual,
				   "an instruction the MMIO emulator does not know",
				   bytes, n);
	switch (insn.op) {
	case MMIO_OP_MOV:
		if (insn.write) {
			val = operand(v, &insn);
			if (mmio_access(v, gpa, insn.size, true, &val))
				return VCPU_STOP;
		} else {
			if (mmio_access(v, gpa, insn.size, false, &val))
				return VCPU_STOP;
			reg_store(v, &insn, val);
		}
		break;
	case MMIO_OP_AND:
	case MMIO_OP_OR:
	case MMIO_OP_XOR: {
		u64 src = operand(v, &insn), res;

		if (mmio_access(v, gpa, insn.size, false, &val))
			return VCPU_STOP;
		res = insn.op == MMIO_OP_AND ? val & src :
		      insn.op == MMIO_OP_OR ? val | src : val ^ src;
		res &= size_mask(insn.size);
		if (mmio_access(v, gpa, insn.size, true, &res))
			return VCPU_STOP;
		set_logic_flags(res, insn.size);
		break;
	}
	case MMIO_OP_XCHG: {
		u64 src = operand(v, &insn);

		/* XCHG with memory is locked: one read, one write, no gap a
		 * vCPU could see (the device's own lock orders them). */
		if (mmio_access(v, gpa, insn.size, false, &val) ||
		    mmio_access(v, gpa, insn.size, true, &src))
			return VCPU_STOP;
		reg_store(v, &insn, val);
		break;
	}
	case MMIO_OP_STOS:
		return mmio_stos(v, gpa, &insn, rip);
	}
	vmwrite(GUEST_RIP, rip + insn.len);
	return VCPU_RESUME;
}
