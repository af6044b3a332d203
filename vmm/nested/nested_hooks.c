// SPDX-License-Identifier: MIT
/*
 * The VM layer's questions to nested VMX (vmm/vcpu_nested.h): is VMX
 * offered to this vCPU, its capability MSRs, VMX operation's CR rules,
 * and the per-vCPU nested state's life (nested.h).
 */
#include "vmm/vcpu_nested.h"
#include "vmm/nested/nested.h"
#include "vmm/vcpu.h"
#include "vmm/vmcs_setup.h"
#include "vmm/vmx/vmx_caps.h"
#include "vmm/vmx/vpid.h"
#include "vmm/mmu/shadow_ept.h"
#include "arch/x86/cpu.h"
#include "arch/x86/vmx.h"
#include "kernel/log.h"
#include "kernel/platform.h"
#include "kernel/spinlock.h"

/*
 * The capability MSRs, the same for every L1: computed once, on the
 * first question, under msrs_lock; msrs_ready (release/acquire) says
 * they may be read without it. host_lacks is set with them.
 */
static DEFINE_SPINLOCK(msrs_lock);	/* serialises the first fill */
static bool msrs_ready;
static struct nested_vmx_msrs msrs;
static const char *host_lacks;
static unsigned int l1_phys_bits;

static void nested_caps_fill(void)
{
	unsigned long flags;

	if (__atomic_load_n(&msrs_ready, __ATOMIC_ACQUIRE))
		return;
	flags = spin_lock_irqsave(&msrs_lock);
	if (!msrs_ready) {
		nested_vmx_setup_msrs(&vmx_caps, vcpu_cr4_guest_allowed(),
				      vmcs12_max_field_index(), &msrs);
		host_lacks = vmx_supported ? nested_vmx_host_lacks(&vmx_caps)
					   : "VMX";
		l1_phys_bits = cpu_maxphyaddr();
		if (host_lacks)
			pr_info("nested: no VMX for guests: the host lacks %s\n",
				host_lacks);
		__atomic_store_n(&msrs_ready, true, __ATOMIC_RELEASE);
	}
	spin_unlock_irqrestore(&msrs_lock, flags);
}

const struct nested_vmx_msrs *nested_vmx_msrs(void)
{
	nested_caps_fill();
	return &msrs;
}

unsigned int nested_l1_phys_bits(void)
{
	nested_caps_fill();
	return l1_phys_bits;
}

bool vcpu_nested_vmx_offered(struct vcpu *v)
{
	if (!v->guest->nested)
		return false;
	nested_caps_fill();
	return !host_lacks;
}

bool vcpu_nested_vmx_rdmsr(struct vcpu *v, u32 msr, u64 *val)
{
	if (!vcpu_nested_vmx_offered(v))
		return false;
	if (msr == MSR_IA32_FEATURE_CONTROL) {
		/* As firmware leaves it: locked, VMX outside SMX on. */
		*val = FEAT_CTL_LOCKED | FEAT_CTL_VMX_OUTSIDE_SMX;
		return true;
	}
	return nested_vmx_msr_get(&msrs, msr, val);
}

bool vcpu_nested_vmx_msr(struct vcpu *v, u32 msr)
{
	u64 val;

	return vcpu_nested_vmx_rdmsr(v, msr, &val);
}

bool vcpu_in_vmx_operation(struct vcpu *v)
{
	return v->nested && v->nested->vmx.vmxon;
}

struct nested_vcpu *nested_vcpu_get(struct vcpu *v)
{
	if (!v->nested) {
		v->nested = plat_zalloc(sizeof(*v->nested));
		if (!v->nested)
			return NULL;
		nested_vmx_init(&v->nested->vmx);
	}
	return v->nested;
}

/*
 * After guest_destroy() VMCLEARed the vCPU's current VMCS (the other one
 * always is clear) and before the VM's MMU goes: EPT02's root, VMCS02.
 */
void vcpu_nested_vmx_free(struct vcpu *v)
{
	struct nested_vcpu *nv = v->nested;

	if (!nv)
		return;
	if (nv->guest_mode) {
		v->vmcs = nv->vmcs01;
		nv->guest_mode = false;
	}
	kvm_shadow_ept_unload(&v->guest->vm, &nv->mmu02);
	kvm_shadow_ept_zap_all(&v->guest->vm);
	if (nv->vmcs02)
		plat_free_page(nv->vmcs02);
	if (nv->vpid02)
		vpid_free(nv->vpid02);
	plat_free(nv);
	v->nested = NULL;
}
