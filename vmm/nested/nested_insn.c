// SPDX-License-Identifier: MIT
/*
 * The VMX instructions of L1 (nested_vmx.h): each check in the order of
 * the SDM's pseudocode (vol. 3, ch. 31), so that an instruction with
 * several things wrong gives the answer a CPU gives. Pure.
 */
#include "vmm/nested/nested_vmx.h"
#include "arch/x86/cpu.h"
#include "arch/x86/vmx.h"
#include "kernel/string.h"

/* VM-instruction error numbers (SDM 31.4) used here. */
enum {
	VMXERR_VMCLEAR_INVALID_ADDRESS = 2,
	VMXERR_VMCLEAR_VMXON_POINTER = 3,
	VMXERR_VMLAUNCH_NONCLEAR_VMCS = 4,
	VMXERR_VMRESUME_NONLAUNCHED_VMCS = 5,
	VMXERR_VMPTRLD_INVALID_ADDRESS = 9,
	VMXERR_VMPTRLD_VMXON_POINTER = 10,
	VMXERR_VMPTRLD_INCORRECT_REVISION = 11,
	VMXERR_UNSUPPORTED_COMPONENT = 12,
	VMXERR_VMWRITE_READ_ONLY = 13,
	VMXERR_VMXON_IN_VMX_ROOT = 15,
	VMXERR_ENTRY_MOV_SS = 26,
	VMXERR_INVALID_OPERAND = 28,
};

static const struct nested_result continue_ = { NESTED_CONTINUE, 0 };
static const struct nested_result succeed = { NESTED_SUCCEED, 0 };
static const struct nested_result fail_invalid = { NESTED_FAIL_INVALID, 0 };
static const struct nested_result ud = { NESTED_UD, 0 };
static const struct nested_result gp = { NESTED_GP, 0 };

void nested_vmx_init(struct nested_vmx *n)
{
	memset(n, 0, sizeof(*n));
	n->current_vmptr = NESTED_VMPTR_INVALID;
}

struct nested_result nested_vmfail(struct nested_vmx *n, u32 error)
{
	if (n->current_vmptr == NESTED_VMPTR_INVALID)
		return fail_invalid;
	n->cached_vmcs12.vm_instruction_error = error;
	return (struct nested_result){ NESTED_FAIL_VALID, error };
}

/* 4-KiB aligned and within L1's physical-address width. */
static bool vmx_ptr_ok(u64 ptr, unsigned int phys_bits)
{
	return !(ptr & 0xfff) && !(ptr >> phys_bits);
}

static bool fixed_ok(u64 val, u64 fixed0, u64 fixed1)
{
	return (val & fixed0) == fixed0 && !(val & ~fixed1);
}

struct nested_result nested_vmx_precheck(struct nested_vmx *n,
					 enum nested_insn insn,
					 const struct nested_insn_env *env)
{
	bool bad_mode = !(env->cr0 & X86_CR0_PE) || env->rflags_vm ||
			(env->lma && !env->cs_l);
	const struct nested_vmx_msrs *m = env->msrs;

	if (insn == NESTED_INSN_VMXON) {
		if (bad_mode || !(env->cr4 & X86_CR4_VMXE))
			return ud;
		if (n->vmxon)	/* VMX root: L2 never gets here */
			return env->cpl ? gp : nested_vmfail(n,
						VMXERR_VMXON_IN_VMX_ROOT);
		if (env->cpl ||
		    !fixed_ok(env->cr0, m->cr0_fixed0, m->cr0_fixed1) ||
		    !fixed_ok(env->cr4, m->cr4_fixed0, m->cr4_fixed1) ||
		    !(env->feature_control & FEAT_CTL_LOCKED) ||
		    !(env->feature_control & FEAT_CTL_VMX_OUTSIDE_SMX))
			return gp;
		return continue_;
	}
	if (!n->vmxon || bad_mode)
		return ud;
	if (env->cpl)
		return gp;
	return continue_;
}

/* The revision dword of the region at @ptr: all ones outside L1 memory. */
static u32 region_revision(const struct nested_l1_mem *mem, u64 ptr)
{
	u32 rev;

	if (!mem->read(mem->ctx, ptr, &rev, sizeof(rev)))
		return ~0U;
	return rev;
}

struct nested_result nested_vmx_vmxon(struct nested_vmx *n,
				      const struct nested_insn_env *env,
				      u64 ptr, const struct nested_l1_mem *mem)
{
	u32 rev;

	if (!vmx_ptr_ok(ptr, env->phys_bits))
		return fail_invalid;
	rev = region_revision(mem, ptr);
	/* Bit 31 set names a shadow VMCS: never a VMXON region. */
	if (rev != VMCS12_REVISION)
		return fail_invalid;
	n->vmxon = true;
	n->vmxon_ptr = ptr;
	n->current_vmptr = NESTED_VMPTR_INVALID;
	return succeed;
}

/* The cached VMCS12 back to L1 memory (dropped where there is none). */
static void vmcs12_flush(struct nested_vmx *n, const struct nested_l1_mem *mem)
{
	if (n->current_vmptr == NESTED_VMPTR_INVALID)
		return;
	mem->write(mem->ctx, n->current_vmptr, &n->cached_vmcs12,
		   sizeof(n->cached_vmcs12));
}

struct nested_result nested_vmx_vmxoff(struct nested_vmx *n,
				       const struct nested_l1_mem *mem)
{
	vmcs12_flush(n, mem);
	n->current_vmptr = NESTED_VMPTR_INVALID;
	n->vmxon = false;
	return succeed;
}

struct nested_result nested_vmx_vmclear(struct nested_vmx *n,
					const struct nested_insn_env *env,
					u64 ptr, const struct nested_l1_mem *mem)
{
	u32 clear = VMCS12_LAUNCH_CLEAR;

	if (!vmx_ptr_ok(ptr, env->phys_bits))
		return nested_vmfail(n, VMXERR_VMCLEAR_INVALID_ADDRESS);
	if (ptr == n->vmxon_ptr)
		return nested_vmfail(n, VMXERR_VMCLEAR_VMXON_POINTER);
	if (ptr == n->current_vmptr) {
		n->cached_vmcs12.launch_state = VMCS12_LAUNCH_CLEAR;
		vmcs12_flush(n, mem);
		n->current_vmptr = NESTED_VMPTR_INVALID;
	} else {
		/* Its data is already in memory; only the launch state. */
		mem->write(mem->ctx, ptr + __builtin_offsetof(struct vmcs12,
							      launch_state),
			   &clear, sizeof(clear));
	}
	return succeed;
}

struct nested_result nested_vmx_vmptrld(struct nested_vmx *n,
					const struct nested_insn_env *env,
					u64 ptr, const struct nested_l1_mem *mem)
{
	if (!vmx_ptr_ok(ptr, env->phys_bits))
		return nested_vmfail(n, VMXERR_VMPTRLD_INVALID_ADDRESS);
	if (ptr == n->vmxon_ptr)
		return nested_vmfail(n, VMXERR_VMPTRLD_VMXON_POINTER);
	/* No VMCS shadowing: a set bit 31 is a wrong revision too. */
	if (region_revision(mem, ptr) != VMCS12_REVISION)
		return nested_vmfail(n, VMXERR_VMPTRLD_INCORRECT_REVISION);
	if (ptr == n->current_vmptr)
		return succeed;
	vmcs12_flush(n, mem);
	if (!mem->read(mem->ctx, ptr, &n->cached_vmcs12,
		       sizeof(n->cached_vmcs12))) {
		/* The revision was readable, the rest not: it straddles
		 * the end of L1 memory. What lies beyond reads as ones. */
		memset(&n->cached_vmcs12, 0xff, sizeof(n->cached_vmcs12));
		n->cached_vmcs12.revision_id = VMCS12_REVISION;
	}
	n->current_vmptr = ptr;
	return succeed;
}

struct nested_result nested_vmx_vmptrst(struct nested_vmx *n, u64 *ptr)
{
	*ptr = n->current_vmptr;
	return succeed;
}

struct nested_result nested_vmx_vmread(struct nested_vmx *n, u64 field,
				       u64 *val)
{
	const struct vmcs12_field *f;
	bool high;

	if (n->current_vmptr == NESTED_VMPTR_INVALID)
		return fail_invalid;
	f = vmcs12_field_find(field, &high);
	if (!f)
		return nested_vmfail(n, VMXERR_UNSUPPORTED_COMPONENT);
	*val = vmcs12_read(&n->cached_vmcs12, f, high);
	return succeed;
}

struct nested_result nested_vmx_vmwrite(struct nested_vmx *n, u64 field,
					u64 val)
{
	const struct vmcs12_field *f;
	bool high;

	if (n->current_vmptr == NESTED_VMPTR_INVALID)
		return fail_invalid;
	f = vmcs12_field_find(field, &high);
	if (!f)
		return nested_vmfail(n, VMXERR_UNSUPPORTED_COMPONENT);
	/* IA32_VMX_MISC[29] is clear: exit information is read-only. */
	if (f->read_only)
		return nested_vmfail(n, VMXERR_VMWRITE_READ_ONLY);
	vmcs12_write(&n->cached_vmcs12, f, high, val);
	return succeed;
}

bool nested_eptp_valid(const struct nested_vmx_msrs *msrs, u64 eptp,
		       unsigned int phys_bits)
{
	u64 cap = msrs->ept_vpid_cap;
	unsigned int mt = eptp & 7;

	if (!((mt == 0 && (cap & EPT_CAP_MEMTYPE_UC)) ||
	      (mt == 6 && (cap & EPT_CAP_MEMTYPE_WB))))
		return false;
	if (((eptp >> 3) & 7) != 3)		/* 4-level walk */
		return false;
	if ((eptp & EPTP_AD_ENABLE) && !(cap & EPT_CAP_AD_BITS))
		return false;
	if (eptp & 0xf80)			/* bits 11:7 reserved */
		return false;
	return !(eptp >> phys_bits);
}

/* INVEPT type 1 / 2 and INVVPID 0..3 are offered by these cap bits. */
#define INVVPID_SINGLE_NONGLOBAL_CAP	BIT(43)

struct nested_result nested_vmx_invept(struct nested_vmx *n,
				       const struct nested_insn_env *env,
				       u64 type, const u64 desc[2],
				       bool *flush_all)
{
	u64 cap = env->msrs->ept_vpid_cap;

	if (!((type == INVEPT_SINGLE_CONTEXT && (cap & EPT_CAP_INVEPT_SINGLE)) ||
	      (type == INVEPT_ALL_CONTEXT && (cap & EPT_CAP_INVEPT_ALL))))
		return nested_vmfail(n, VMXERR_INVALID_OPERAND);
	if (type == INVEPT_SINGLE_CONTEXT &&
	    !nested_eptp_valid(env->msrs, desc[0], env->phys_bits))
		return nested_vmfail(n, VMXERR_INVALID_OPERAND);
	*flush_all = type == INVEPT_ALL_CONTEXT;
	return succeed;
}

static bool canonical(u64 a)
{
	return (u64)((s64)(a << 16) >> 16) == a;
}

struct nested_result nested_vmx_invvpid(struct nested_vmx *n,
					const struct nested_insn_env *env,
					u64 type, const u64 desc[2],
					bool *flush_all)
{
	u64 cap = env->msrs->ept_vpid_cap;
	static const u64 type_cap[4] = {
		VPID_CAP_INVVPID_ADDR, VPID_CAP_INVVPID_SINGLE,
		VPID_CAP_INVVPID_ALL, INVVPID_SINGLE_NONGLOBAL_CAP,
	};
	u16 vpid = (u16)desc[0];

	if (type > 3 || !(cap & type_cap[type]))
		return nested_vmfail(n, VMXERR_INVALID_OPERAND);
	if (desc[0] >> 16)			/* bits 63:16 reserved */
		return nested_vmfail(n, VMXERR_INVALID_OPERAND);
	if (type != INVVPID_ALL_CONTEXT && !vpid)
		return nested_vmfail(n, VMXERR_INVALID_OPERAND);
	if (type == INVVPID_ADDR && !canonical(desc[1]))
		return nested_vmfail(n, VMXERR_INVALID_OPERAND);
	*flush_all = type == INVVPID_ALL_CONTEXT;
	return succeed;
}

struct nested_result nested_vmx_launch_precheck(struct nested_vmx *n,
						const struct nested_insn_env *env,
						bool launch)
{
	u32 state;

	if (n->current_vmptr == NESTED_VMPTR_INVALID)
		return fail_invalid;
	if (env->mov_ss_blocking)
		return nested_vmfail(n, VMXERR_ENTRY_MOV_SS);
	state = n->cached_vmcs12.launch_state;
	if (launch && state != VMCS12_LAUNCH_CLEAR)
		return nested_vmfail(n, VMXERR_VMLAUNCH_NONCLEAR_VMCS);
	if (!launch && state != VMCS12_LAUNCHED)
		return nested_vmfail(n, VMXERR_VMRESUME_NONLAUNCHED_VMCS);
	return continue_;
}
