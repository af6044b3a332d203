// SPDX-License-Identifier: MIT
/*
 * VMXON on every CPU and the host-state area of the VMCS.
 *
 * The host state must describe the CPU the VMCS is current on: GS base
 * (per-CPU data), TR and its base (per-CPU TSS), GDT and IDT bases. A vCPU
 * that moves to another CPU rewrites them (vmm/vcpu_run.c, vcpu_load()).
 */
#include "vmm/vmx/vmx.h"
#include "vmm/vmx/vmx_caps.h"
#include "vmm/vmx/vmx_names.h"
#include "vmm/vmx/vmcs_fields.h"
#include "arch/x86/cpu.h"
#include "arch/x86/vmx.h"
#include "kernel/log.h"
#include "kernel/platform.h"

struct vmx_cpu vmx_cpus[MAX_CPUS];

/* The instruction VM exits land on (vmm/vmx/vmx_entry.c). */
extern char vmx_vmexit[];

void vmx_cpu_enable(void *arg)
{
	unsigned int cpu = plat_cpu_id();
	struct vmx_cpu *vc = &vmx_cpus[cpu];
	enum vmx_result r;
	u64 cr0, cr4;

	(void)arg;
	if (vc->on)
		return;
	if (!vmx_feature_control_enable()) {
		pr_err("vmx: cpu%u: IA32_FEATURE_CONTROL locked with VMX off\n",
		       cpu);
		return;
	}
	if (!vc->vmxon_region)
		vc->vmxon_region = plat_alloc_page();
	if (!vc->vmxon_region) {
		pr_err("vmx: cpu%u: no memory for the VMXON region\n", cpu);
		return;
	}
	*(u32 *)vc->vmxon_region = vmx_caps.revision;

	/* VMXON #GPs unless CR0/CR4 honour the fixed bits (CR0.NE mostly). */
	cr0 = read_cr0();
	if ((cr0 | vmx_caps.cr0_fixed0) & ~vmx_caps.cr0_fixed1 & ~cr0)
		pr_warn("vmx: cpu%u: CR0 %#lx conflicts with fixed bits\n",
			cpu, cr0);
	write_cr0(vmx_fix_cr0(cr0, false));
	cr4 = vmx_fix_cr4(read_cr4() | X86_CR4_VMXE);
	write_cr4(cr4);

	r = vmxon(plat_virt_to_phys(vc->vmxon_region));
	if (r != VMX_OK) {
		pr_err("vmx: cpu%u: VMXON failed (%s)\n", cpu,
		       r == VMX_FAIL_INVALID ? "VMfailInvalid" : "VMfailValid");
		write_cr4(cr4 & ~X86_CR4_VMXE);
		return;
	}
	/* Stale EPT/VPID translations from firmware or an earlier VMXON. */
	invept(INVEPT_ALL_CONTEXT, 0);
	invvpid(INVVPID_ALL_CONTEXT, 0, 0);
	WRITE_ONCE(vc->on, true);
}

/* Base of the system descriptor (16 bytes in long mode) for @sel. */
static u64 gdt_desc_base(u64 gdt_base, u16 sel)
{
	const u64 *d = (const u64 *)(gdt_base + (sel & ~7));
	u64 lo = d[0], hi = d[1];

	return ((lo >> 16) & 0xffffff) | (((lo >> 56) & 0xff) << 24) |
	       ((hi & 0xffffffff) << 32);
}

void vmx_write_host_state(void)
{
	struct x86_dtr gdt, idt;
	u16 tr = store_tr();

	store_gdt(&gdt);
	store_idt(&idt);
	vmwrite(HOST_CR0, read_cr0());
	vmwrite(HOST_CR3, read_cr3());
	vmwrite(HOST_CR4, read_cr4());
	vmwrite(HOST_CS_SELECTOR, read_cs() & ~7);
	vmwrite(HOST_SS_SELECTOR, read_ss() & ~7);
	vmwrite(HOST_DS_SELECTOR, read_ds() & ~7);
	vmwrite(HOST_ES_SELECTOR, read_es() & ~7);
	vmwrite(HOST_FS_SELECTOR, read_fs() & ~7);
	vmwrite(HOST_GS_SELECTOR, read_gs() & ~7);
	vmwrite(HOST_TR_SELECTOR, tr);
	vmwrite(HOST_FS_BASE, rdmsr(MSR_FS_BASE));
	vmwrite(HOST_GS_BASE, rdmsr(MSR_GS_BASE));
	vmwrite(HOST_TR_BASE, gdt_desc_base(gdt.base, tr));
	vmwrite(HOST_GDTR_BASE, gdt.base);
	vmwrite(HOST_IDTR_BASE, idt.base);
	vmwrite(HOST_IA32_SYSENTER_CS, 0);
	vmwrite(HOST_IA32_SYSENTER_ESP, 0);
	vmwrite(HOST_IA32_SYSENTER_EIP, 0);
	vmwrite(HOST_IA32_EFER, rdmsr(MSR_EFER));
	if (vmx_caps.exit_ctl & EXIT_LOAD_PAT)
		vmwrite(HOST_IA32_PAT, rdmsr(MSR_IA32_PAT));
	vmwrite(HOST_RIP, (u64)vmx_vmexit);
}

void vmx_report_insn_error(const char *what)
{
	u64 err = 0;

	if (vmread_checked(VM_INSTRUCTION_ERROR, &err) != VMX_OK) {
		pr_err("vmx: %s failed: VMfailInvalid (no current VMCS)\n",
		       what);
		return;
	}
	pr_err("vmx: %s failed: VM-instruction error %lu: %s\n", what, err,
	       vmx_insn_error_name((u32)err));
}
