// SPDX-License-Identifier: MIT
/*
 * L1's VMX instructions exit here (vmm/exit_handlers.h). Each handler
 * gathers what the SDM's checks need (struct nested_insn_env) from the
 * VMCS, runs the prechecks, fetches its operands (the memory operand
 * through L1's segments and paging, a #PF when that fails), runs the
 * instruction (nested_insn.c) and gives L1 its result: RFLAGS for
 * VMsucceed/VMfail and the next instruction, or #UD/#GP/#PF on this one.
 */
#include "vmm/nested/nested.h"
#include "vmm/nested/nested_checks.h"
#include "vmm/nested/nested_operand.h"
#include "vmm/vcpu_nested.h"
#include "vmm/exit_handlers.h"
#include "vmm/guest_mem.h"
#include "vmm/guest_report.h"
#include "vmm/vcpu.h"
#include "vmm/vmx/vmcs_fields.h"
#include "vmm/vmx/vmx_names.h"
#include "vmm/mmu/shadow_ept.h"
#include "arch/x86/cpu.h"
#include "arch/x86/interrupts.h"
#include "arch/x86/vmx.h"
#include "kernel/log.h"

#define RFLAGS_CF	BIT(0)
#define RFLAGS_PF	BIT(2)
#define RFLAGS_AF	BIT(4)
#define RFLAGS_ZF	BIT(6)
#define RFLAGS_SF	BIT(7)
#define RFLAGS_OF	BIT(11)
#define RFLAGS_VM	BIT(17)
#define RFLAGS_ARITH	(RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | \
			 RFLAGS_SF | RFLAGS_OF)
#define AR_L		BIT(13)
#define AR_DPL(ar)	(((ar) >> 5) & 3)

/* L1's view of a control register: the shadow for the bits L0 owns. */
static u64 l1_cr(u64 real, u64 mask, u64 shadow)
{
	return (real & ~mask) | (shadow & mask);
}

static void nested_env(struct vcpu *v, struct nested_insn_env *env)
{
	env->cpl = AR_DPL(vmread(GUEST_SS_AR_BYTES));
	env->cr0 = l1_cr(vmread(GUEST_CR0), vmread(CR0_GUEST_HOST_MASK),
			 vmread(CR0_READ_SHADOW));
	env->cr4 = l1_cr(vmread(GUEST_CR4), vmread(CR4_GUEST_HOST_MASK),
			 vmread(CR4_READ_SHADOW));
	env->rflags_vm = vmread(GUEST_RFLAGS) & RFLAGS_VM;
	env->lma = vmread(GUEST_IA32_EFER) & EFER_LMA;
	env->cs_l = vmread(GUEST_CS_AR_BYTES) & AR_L;
	env->mov_ss_blocking = vmread(GUEST_INTERRUPTIBILITY_INFO) &
			       GUEST_INTR_MOVSS_BLOCKING;
	env->feature_control = FEAT_CTL_LOCKED | FEAT_CTL_VMX_OUTSIDE_SMX;
	env->phys_bits = nested_l1_phys_bits();
	env->msrs = nested_vmx_msrs();
}

static void operand_env(struct vcpu *v, const struct nested_insn_env *env,
			struct nested_operand_env *op)
{
	static const u32 base_fields[NR_SEGS] = {
		GUEST_ES_BASE, GUEST_CS_BASE, GUEST_SS_BASE,
		GUEST_DS_BASE, GUEST_FS_BASE, GUEST_GS_BASE,
	};

	__builtin_memcpy(op->gpr, &v->regs, sizeof(op->gpr));
	op->gpr[4] = vmread(GUEST_RSP);
	for (unsigned int i = 0; i < NR_SEGS; i++)
		op->seg_base[i] = vmread(base_fields[i]);
	op->long64 = env->lma && env->cs_l;
}

static bool l1_mem_read(void *ctx, u64 gpa, void *dst, size_t len)
{
	return guest_read(ctx, gpa, dst, len);
}

static bool l1_mem_write(void *ctx, u64 gpa, const void *src, size_t len)
{
	return guest_write(ctx, gpa, src, len);
}

static struct nested_l1_mem l1_mem(struct vcpu *v)
{
	return (struct nested_l1_mem){ .read = l1_mem_read,
				       .write = l1_mem_write,
				       .ctx = v->guest };
}

/*
 * #PF for an operand L1's page tables do not map. CR2 is not in the
 * VMCS: the run loop loads regs.cr2 just before the entry, as KVM's
 * vmx_vcpu_run() does.
 */
static void inject_pf(struct vcpu *v, u64 gva, bool write, unsigned int cpl)
{
	v->regs.cr2 = gva;
	vcpu_inject_exception(v, X86_VEC_PF, true,
			      (write ? 2 : 0) | (cpl == 3 ? 4 : 0));
}

/*
 * Copy @len bytes between L1's linear address @gva and @buf, page by
 * page. False after injecting #PF where L1's paging maps nothing. L1
 * physical addresses outside its memory read as ones, writes vanish.
 */
static bool l1_access(struct vcpu *v, u64 gva, void *buf, size_t len,
		      bool write, unsigned int cpl)
{
	char *p = buf;

	while (len) {
		size_t chunk = PAGE_SIZE - (gva & (PAGE_SIZE - 1));
		u64 gpa;

		if (chunk > len)
			chunk = len;
		if (!guest_gva_to_gpa(v, gva, &gpa)) {
			inject_pf(v, gva, write, cpl);
			return false;
		}
		if (write)
			guest_write(v->guest, gpa, p, chunk);
		else if (!guest_read(v->guest, gpa, p, chunk))
			__builtin_memset(p, 0xff, chunk);
		gva += chunk;
		p += chunk;
		len -= chunk;
	}
	return true;
}

/* The memory operand's linear address; false after #GP/#SS. */
static bool operand_gva(struct vcpu *v, const struct nested_operand_env *op,
			u32 info, u64 *gva)
{
	switch (nested_operand_address(info, vmread(EXIT_QUALIFICATION), op,
				       gva)) {
	case NESTED_OPERAND_OK:
		return true;
	case NESTED_OPERAND_SS:
		vcpu_inject_exception(v, 12, true, 0);	/* #SS(0) */
		return false;
	case NESTED_OPERAND_BAD_INFO:
		pr_err("nested: %s vcpu%u: instruction information %#x names "
		       "no addressing form\n", v->guest->name, v->index, info);
		/* fall through */
	default:
		vcpu_inject_exception(v, X86_VEC_GP, true, 0);
		return false;
	}
}

/* Apply @r to L1: VMsucceed/VMfail set RFLAGS and step over the insn. */
static int nested_finish(struct vcpu *v, struct nested_result r)
{
	u64 rflags = vmread(GUEST_RFLAGS) & ~RFLAGS_ARITH;

	switch (r.kind) {
	case NESTED_UD:
		vcpu_inject_exception(v, X86_VEC_UD, false, 0);
		return VCPU_RESUME;
	case NESTED_GP:
		vcpu_inject_exception(v, X86_VEC_GP, true, 0);
		return VCPU_RESUME;
	case NESTED_FAIL_INVALID:
		rflags |= RFLAGS_CF;
		break;
	case NESTED_FAIL_VALID:
		rflags |= RFLAGS_ZF;
		break;
	default:
		break;
	}
	vmwrite(GUEST_RFLAGS, rflags);
	vcpu_skip_insn(v);
	return VCPU_RESUME;
}

/*
 * What every handler starts with. NULL when the instruction is already
 * answered (*ret is the handler's return): #UD without VMX offered, the
 * SDM's prechecks, no host memory for the nested state.
 */
static struct nested_vcpu *nested_begin(struct vcpu *v, enum nested_insn insn,
					struct nested_insn_env *env, int *ret)
{
	struct nested_vcpu *nv;
	struct nested_result r;

	if (!vcpu_nested_vmx_offered(v)) {
		*ret = handle_ud(v);
		return NULL;
	}
	nv = nested_vcpu_get(v);
	if (!nv) {
		guest_kill(v->guest, "no host memory for its nested VMX state");
		*ret = VCPU_STOP;
		return NULL;
	}
	nested_env(v, env);
	r = nested_vmx_precheck(&nv->vmx, insn, env);
	if (r.kind != NESTED_CONTINUE) {
		*ret = nested_finish(v, r);
		return NULL;
	}
	return nv;
}

/* VMXON, VMCLEAR, VMPTRLD: the 64-bit physical address in memory. */
static bool read_ptr_operand(struct vcpu *v, const struct nested_insn_env *env,
			     u64 *ptr)
{
	struct nested_operand_env op;
	u64 gva;

	operand_env(v, env, &op);
	return operand_gva(v, &op, (u32)vmread(VMX_INSTRUCTION_INFO), &gva) &&
	       l1_access(v, gva, ptr, sizeof(*ptr), false, env->cpl);
}

int handle_vmxon(struct vcpu *v)
{
	struct nested_l1_mem mem = l1_mem(v);
	struct nested_insn_env env;
	struct nested_vcpu *nv;
	int ret;
	u64 ptr;

	nv = nested_begin(v, NESTED_INSN_VMXON, &env, &ret);
	if (!nv)
		return ret;
	if (!read_ptr_operand(v, &env, &ptr))
		return VCPU_RESUME;
	return nested_finish(v, nested_vmx_vmxon(&nv->vmx, &env, ptr, &mem));
}

int handle_vmxoff(struct vcpu *v)
{
	struct nested_l1_mem mem = l1_mem(v);
	struct nested_insn_env env;
	struct nested_vcpu *nv;
	int ret;

	nv = nested_begin(v, NESTED_INSN_VMXOFF, &env, &ret);
	if (!nv)
		return ret;
	/* No EPT02 outlives VMX operation. */
	nested_vmx_leave(v, nv);
	kvm_shadow_ept_zap_all(&v->guest->vm);
	return nested_finish(v, nested_vmx_vmxoff(&nv->vmx, &mem));
}

int handle_vmclear(struct vcpu *v)
{
	struct nested_l1_mem mem = l1_mem(v);
	struct nested_insn_env env;
	struct nested_vcpu *nv;
	int ret;
	u64 ptr;

	nv = nested_begin(v, NESTED_INSN_VMCLEAR, &env, &ret);
	if (!nv)
		return ret;
	if (!read_ptr_operand(v, &env, &ptr))
		return VCPU_RESUME;
	return nested_finish(v, nested_vmx_vmclear(&nv->vmx, &env, ptr, &mem));
}

int handle_vmptrld(struct vcpu *v)
{
	struct nested_l1_mem mem = l1_mem(v);
	struct nested_insn_env env;
	struct nested_vcpu *nv;
	int ret;
	u64 ptr;

	nv = nested_begin(v, NESTED_INSN_VMPTRLD, &env, &ret);
	if (!nv)
		return ret;
	if (!read_ptr_operand(v, &env, &ptr))
		return VCPU_RESUME;
	return nested_finish(v, nested_vmx_vmptrld(&nv->vmx, &env, ptr, &mem));
}

int handle_vmptrst(struct vcpu *v)
{
	struct nested_operand_env op;
	struct nested_insn_env env;
	struct nested_vcpu *nv;
	struct nested_result r;
	int ret;
	u64 gva, ptr;

	nv = nested_begin(v, NESTED_INSN_VMPTRST, &env, &ret);
	if (!nv)
		return ret;
	operand_env(v, &env, &op);
	if (!operand_gva(v, &op, (u32)vmread(VMX_INSTRUCTION_INFO), &gva))
		return VCPU_RESUME;
	r = nested_vmx_vmptrst(&nv->vmx, &ptr);
	if (!l1_access(v, gva, &ptr, sizeof(ptr), true, env.cpl))
		return VCPU_RESUME;
	return nested_finish(v, r);
}

static void write_gpr(struct vcpu *v, unsigned int nr, u64 val)
{
	if (nr == 4)
		vmwrite(GUEST_RSP, val);
	else
		((u64 *)&v->regs)[nr] = val;
}

int handle_vmread(struct vcpu *v)
{
	struct nested_operand_env op;
	struct nested_insn_env env;
	struct nested_vcpu *nv;
	struct nested_result r;
	unsigned int size;
	u32 info;
	int ret;
	u64 gva, val = 0;

	nv = nested_begin(v, NESTED_INSN_VMREAD, &env, &ret);
	if (!nv)
		return ret;
	info = (u32)vmread(VMX_INSTRUCTION_INFO);
	operand_env(v, &env, &op);
	size = nested_operand_size(&op);
	/* Outside 64-bit mode the field encoding is 32 bits: no high bits. */
	r = nested_vmx_vmread(&nv->vmx, size == 8 ? op.gpr[VMX_INFO_REG2(info)]
					: (u32)op.gpr[VMX_INFO_REG2(info)], &val);
	if (r.kind == NESTED_SUCCEED) {
		if (size == 4)
			val = (u32)val;
		if (info & VMX_INFO_IS_REG)
			write_gpr(v, VMX_INFO_REG1(info), val);
		else if (!operand_gva(v, &op, info, &gva) ||
			 !l1_access(v, gva, &val, size, true, env.cpl))
			return VCPU_RESUME;
	}
	return nested_finish(v, r);
}

int handle_vmwrite(struct vcpu *v)
{
	struct nested_operand_env op;
	struct nested_insn_env env;
	struct nested_vcpu *nv;
	unsigned int size;
	u32 info;
	int ret;
	u64 gva, field, val = 0;

	nv = nested_begin(v, NESTED_INSN_VMWRITE, &env, &ret);
	if (!nv)
		return ret;
	info = (u32)vmread(VMX_INSTRUCTION_INFO);
	operand_env(v, &env, &op);
	size = nested_operand_size(&op);
	field = op.gpr[VMX_INFO_REG2(info)];
	if (info & VMX_INFO_IS_REG)
		val = op.gpr[VMX_INFO_REG1(info)];
	else if (!operand_gva(v, &op, info, &gva) ||
		 !l1_access(v, gva, &val, size, false, env.cpl))
		return VCPU_RESUME;
	if (size == 4) {
		field = (u32)field;
		val = (u32)val;
	}
	return nested_finish(v, nested_vmx_vmwrite(&nv->vmx, field, val));
}

/* INVEPT/INVVPID: the type in a register, the descriptor in memory. */
static int handle_inv(struct vcpu *v, enum nested_insn insn)
{
	struct nested_operand_env op;
	struct nested_insn_env env;
	struct nested_vcpu *nv;
	struct nested_result r;
	bool flush_all = false;
	u64 gva, type, desc[2];
	u32 info;
	int ret;

	nv = nested_begin(v, insn, &env, &ret);
	if (!nv)
		return ret;
	info = (u32)vmread(VMX_INSTRUCTION_INFO);
	operand_env(v, &env, &op);
	type = op.gpr[VMX_INFO_REG2(info)];
	if (nested_operand_size(&op) == 4)
		type = (u32)type;
	if (!operand_gva(v, &op, info, &gva) ||
	    !l1_access(v, gva, desc, sizeof(desc), false, env.cpl))
		return VCPU_RESUME;
	r = insn == NESTED_INSN_INVEPT ?
	    nested_vmx_invept(&nv->vmx, &env, type, desc, &flush_all) :
	    nested_vmx_invvpid(&nv->vmx, &env, type, desc, &flush_all);
	if (r.kind == NESTED_SUCCEED && insn == NESTED_INSN_INVEPT)
		/* EPT02 catches up with what L1 wrote in EPT12. */
		kvm_shadow_ept_invept(&v->guest->vm, (int)type, desc[0]);
	else if (r.kind == NESTED_SUCCEED && nv->vpid02)
		/* All of L1's VPIDs share L2's one VPID02. */
		invvpid(INVVPID_SINGLE_CONTEXT, nv->vpid02, 0);
	return nested_finish(v, r);
}

int handle_invept(struct vcpu *v)
{
	return handle_inv(v, NESTED_INSN_INVEPT);
}

int handle_invvpid(struct vcpu *v)
{
	return handle_inv(v, NESTED_INSN_INVVPID);
}

/* Which VMCS12 rule L1 broke, once per vCPU (L1 may probe many). */
static void say_check(struct vcpu *v, struct nested_vcpu *nv,
		      const struct nested_check_result *c)
{
	if (nv->said_entry_check)
		return;
	nv->said_entry_check = true;
	pr_info("nested: %s vcpu%u: VM entry to L2 refused: %s (said once)\n",
		v->guest->name, v->index, c->what);
}

/*
 * VMLAUNCH/VMRESUME: the checks before the VMCS12's (no current VMCS,
 * MOV-SS blocking, launch state), then the VMCS12's own (controls:
 * VMfailValid(7), host state: 8, guest state: a VM-entry failure exit
 * 33, the MSR-load list: 34); then L2 runs (nested_run.c).
 */
static int handle_launch(struct vcpu *v, bool launch)
{
	struct nested_l1_mem mem = l1_mem(v);
	struct nested_check_env cenv;
	struct nested_check_result c;
	struct nested_insn_env env;
	struct nested_vcpu *nv;
	struct nested_result r;
	int ret;

	nv = nested_begin(v, launch ? NESTED_INSN_VMLAUNCH : NESTED_INSN_VMRESUME,
			  &env, &ret);
	if (!nv)
		return ret;
	r = nested_vmx_launch_precheck(&nv->vmx, &env, launch);
	if (r.kind != NESTED_CONTINUE)
		return nested_finish(v, r);
	cenv = (struct nested_check_env){
		.msrs = env.msrs, .phys_bits = env.phys_bits, .l1_lma = env.lma,
		.l1_x2apic = lapic_mode(&v->lapic) == LAPIC_MODE_X2APIC,
	};
	c = nested_vmx_check_vmcs12(&nv->vmx.cached_vmcs12, &cenv, &mem);
	if (c.class != NESTED_CHECK_OK)
		say_check(v, nv, &c);
	switch (c.class) {
	case NESTED_CHECK_CONTROLS:
		return nested_finish(v, nested_vmfail(&nv->vmx, 7));
	case NESTED_CHECK_HOST:
		return nested_finish(v, nested_vmfail(&nv->vmx, 8));
	case NESTED_CHECK_GUEST:
		return nested_vmx_entry_failed(v, nv, EXIT_REASON_INVALID_GUEST_STATE,
					       c.qual);
	case NESTED_CHECK_MSR:
		return nested_vmx_entry_failed(v, nv, EXIT_REASON_MSR_LOAD_FAIL,
					       c.qual);
	case NESTED_CHECK_OK:
		break;
	}
	return nested_vmx_enter_guest_mode(v, nv);
}

int handle_vmlaunch(struct vcpu *v)
{
	return handle_launch(v, true);
}

int handle_vmresume(struct vcpu *v)
{
	return handle_launch(v, false);
}
