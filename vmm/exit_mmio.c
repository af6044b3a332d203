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
#include "vmm/dev/io_bus.h"
#include "vmm/dev/mmio_insn.h"
#include "vmm/vmx/vmcs_fields.h"
#include "arch/x86/cpu.h"
#include "arch/x86/vmx.h"
#include "kernel/log.h"

#define CS_AR_L			BIT(13)	/* 64-bit code segment */
#define CS_AR_DB		BIT(14)	/* 32-bit default operand size */
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
		    !guest_read(v->guest, gpa, buf + n, chunk))
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
	if (insn.write) {
		val = insn.has_imm ? insn.imm :
		      reg_read(v, insn.reg) >> (insn.high_byte ? 8 : 0);
		val &= size_mask(insn.size);
		if (io_bus_access(&v->guest->io_bus, IO_SPACE_MMIO, gpa,
				  insn.size, true, &val))
			return VCPU_STOP;
	} else {
		u64 old = reg_read(v, insn.reg), mask;

		if (io_bus_access(&v->guest->io_bus, IO_SPACE_MMIO, gpa,
				  insn.size, false, &val))
			return VCPU_STOP;
		val &= size_mask(insn.size);
		if (insn.reg_size >= 4) {
			old = val;	/* 32-bit writes zero-extend */
		} else {
			mask = size_mask(insn.reg_size);
			if (insn.high_byte)
				old = (old & ~(mask << 8)) | ((val & mask) << 8);
			else
				old = (old & ~mask) | (val & mask);
		}
		reg_write(v, insn.reg, old);
	}
	vmwrite(GUEST_RIP, rip + insn.len);
	return VCPU_RESUME;
}
