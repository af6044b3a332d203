// SPDX-License-Identifier: MIT
/* The small L1 hypervisor of the nested test guests (l1_hv.h). */
#include "tests/guests/lib/l1_hv.h"

#define EPT12_POOL_PAGES	64

static u64 ept12_pool[EPT12_POOL_PAGES][512] __attribute__((aligned(4096)));
static unsigned int ept12_used;

static u64 *ept12_alloc(void)
{
	unsigned int i = __atomic_fetch_add(&ept12_used, 1, __ATOMIC_RELAXED);

	if (i >= EPT12_POOL_PAGES)
		return NULL;
	memset(ept12_pool[i], 0, sizeof(ept12_pool[i]));
	return ept12_pool[i];
}

static u64 nonleaf(const u64 *table)
{
	return (u64)(uintptr_t)table | EPT12_RWX;
}

bool ept12_build_identity(struct ept12 *e, u64 mem)
{
	u64 *pdpt, *pd, gpa;

	e->pml4 = ept12_alloc();
	pdpt = ept12_alloc();
	pd = ept12_alloc();
	if (!e->pml4 || !pdpt || !pd || mem > (1ULL << 30))
		return false;
	e->pml4[0] = nonleaf(pdpt);
	pdpt[0] = nonleaf(pd);
	for (gpa = 0; gpa < mem; gpa += 4096) {
		u64 *pde = &pd[(gpa >> 21) & 511];
		u64 *pt;

		if (!*pde) {
			pt = ept12_alloc();
			if (!pt)
				return false;
			*pde = nonleaf(pt);
		}
		pt = (u64 *)(uintptr_t)EPT12_ADDR(*pde);
		pt[(gpa >> 12) & 511] = ept12_leaf(gpa, EPT12_RWX);
	}
	e->eptp = (u64)(uintptr_t)e->pml4 | 6 | (3 << 3);
	return true;
}

u64 *ept12_pde(struct ept12 *e, u64 gpa)
{
	u64 *pdpt, *pd;

	if (gpa >> 30)
		return NULL;
	pdpt = (u64 *)(uintptr_t)EPT12_ADDR(e->pml4[0]);
	pd = (u64 *)(uintptr_t)EPT12_ADDR(pdpt[0]);
	return &pd[(gpa >> 21) & 511];
}

u64 *ept12_pte(struct ept12 *e, u64 gpa)
{
	u64 *pde = ept12_pde(e, gpa);

	if (!pde || !(*pde & EPT12_RWX) || (*pde & EPT12_LARGE))
		return NULL;
	return &((u64 *)(uintptr_t)EPT12_ADDR(*pde))[(gpa >> 12) & 511];
}

bool l1_vmxon(u64 *region)
{
	u64 fixed0 = 0, fixed1 = 0, cr0;
	int r;

	rdmsr_safe(MSR_VMX_CR0_FIXED0, &fixed0);
	rdmsr_safe(MSR_VMX_CR0_FIXED1, &fixed1);
	cr0 = (vmx_l1_read_cr0() | fixed0) & fixed1;
	if (vmx_l1_write_cr0(cr0) >= 0 ||
	    vmx_l1_write_cr4(vmx_l1_read_cr4() | CR4_VMXE) >= 0) {
		ktap_diag("l1_vmxon: CR0/CR4 for VMX refused");
		return false;
	}
	memset(region, 0, 4096);
	*(u32 *)region = vmx_l1_revision();
	r = vmx_l1_vmxon((u64)(uintptr_t)region);
	if (r != VMX_L1_SUCCEED)
		ktap_diag("l1_vmxon: VMXON gave %d", r);
	return r == VMX_L1_SUCCEED;
}

bool l2_vm_init(struct l2_vm *vm, u64 eptp, void *stack_top)
{
	u64 pa = (u64)(uintptr_t)vm->vmcs;
	int r;

	memset(vm->vmcs, 0, 4096);
	*(u32 *)vm->vmcs = vmx_l1_revision();
	r = vmx_l1_vmclear(pa);
	if (r == VMX_L1_SUCCEED)
		r = vmx_l1_vmptrld(pa);
	if (r != VMX_L1_SUCCEED) {
		ktap_diag("l2_vm_init: VMCLEAR/VMPTRLD gave %d", r);
		return false;
	}
	vm->stack_top = (u64)(uintptr_t)stack_top;
	vmx_l1_vmcs12_setup(eptp, 0, vm->stack_top);
	vm->launched = false;
	return true;
}

bool l2_vm_load(struct l2_vm *vm)
{
	return vmx_l1_vmptrld((u64)(uintptr_t)vm->vmcs) == VMX_L1_SUCCEED;
}

/*
 * l2_enter: back here at the VM exit with L2's registers stored into
 * @regs. HOST_RSP is this frame's stack, HOST_RIP the exit label.
 */
__asm__(
	".text\n"
	".globl l2_enter\n"
	"l2_enter:\n"
	"	push %rbp\n push %rbx\n push %r12\n push %r13\n"
	"	push %r14\n push %r15\n push %rdi\n"
	"	mov $0x6c14, %rax\n vmwrite %rsp, %rax\n"	/* HOST_RSP */
	"	lea l2_exited(%rip), %rdx\n"
	"	mov $0x6c16, %rax\n vmwrite %rdx, %rax\n"	/* HOST_RIP */
	"	test %esi, %esi\n"			/* movs keep the flags */
	"	mov 0x00(%rdi), %rax\n mov 0x08(%rdi), %rbx\n"
	"	mov 0x10(%rdi), %rcx\n mov 0x18(%rdi), %rdx\n"
	"	mov 0x20(%rdi), %rsi\n mov 0x30(%rdi), %rbp\n"
	"	mov 0x38(%rdi), %r8\n mov 0x40(%rdi), %r9\n"
	"	mov 0x48(%rdi), %r10\n mov 0x50(%rdi), %r11\n"
	"	mov 0x58(%rdi), %r12\n mov 0x60(%rdi), %r13\n"
	"	mov 0x68(%rdi), %r14\n mov 0x70(%rdi), %r15\n"
	"	mov 0x28(%rdi), %rdi\n"
	"	jnz 1f\n"
	"	vmlaunch\n jmp 2f\n"
	"1:	vmresume\n"
	"2:	pushfq\n pop %rcx\n"			/* entry failed */
	"	add $8, %rsp\n"
	"	pop %r15\n pop %r14\n pop %r13\n pop %r12\n pop %rbx\n pop %rbp\n"
	"	mov $1, %eax\n test $1, %cl\n jnz 3f\n mov $2, %eax\n"
	"3:	ret\n"
	"l2_exited:\n"
	"	xchg (%rsp), %rdi\n"			/* rdi: regs; L2's rdi on the stack */
	"	mov %rax, 0x00(%rdi)\n mov %rbx, 0x08(%rdi)\n"
	"	mov %rcx, 0x10(%rdi)\n mov %rdx, 0x18(%rdi)\n"
	"	mov %rsi, 0x20(%rdi)\n mov %rbp, 0x30(%rdi)\n"
	"	mov %r8, 0x38(%rdi)\n mov %r9, 0x40(%rdi)\n"
	"	mov %r10, 0x48(%rdi)\n mov %r11, 0x50(%rdi)\n"
	"	mov %r12, 0x58(%rdi)\n mov %r13, 0x60(%rdi)\n"
	"	mov %r14, 0x68(%rdi)\n mov %r15, 0x70(%rdi)\n"
	"	pop %rax\n mov %rax, 0x28(%rdi)\n"
	"	pop %r15\n pop %r14\n pop %r13\n pop %r12\n pop %rbx\n pop %rbp\n"
	"	xor %eax, %eax\n ret\n"
);

int l2_vm_run(struct l2_vm *vm, void (*rip)(void), u64 rdi, u64 rsi)
{
	u64 v = 0;
	int r;

	vmx_l1_vmwrite(VMCS_GUEST_RIP, (u64)(uintptr_t)rip);
	vmx_l1_vmwrite(VMCS_GUEST_RFLAGS, 2);
	vmx_l1_vmwrite(VMCS_GUEST_RSP, vm->stack_top);
	vm->regs.rdi = rdi;
	vm->regs.rsi = rsi;
	r = l2_enter(&vm->regs, vm->launched);
	if (r == 1)
		return VMX_L1_FAIL_INVALID;
	if (r == 2)
		return VMX_L1_FAIL_VALID;
	vm->launched = true;
	vmx_l1_vmread(VMCS_EXIT_REASON, &v);
	vm->exit_reason = v;
	vmx_l1_vmread(VMCS_EXIT_QUAL, &v);
	vm->exit_qual = v;
	vmx_l1_vmread(VMCS_GUEST_PHYS_ADDR, &v);
	vm->exit_gpa = v;
	vmx_l1_vmread(VMCS_GUEST_LINEAR_ADDR, &v);
	vm->exit_gla = v;
	return VMX_L1_EXITED;
}

__asm__(
	".text\n"
	".globl l2_stub_read64\n"
	"l2_stub_read64:\n mov (%rdi), %rbx\n vmcall\n ud2\n"
	".globl l2_stub_write64\n"
	"l2_stub_write64:\n mov %rsi, (%rdi)\n vmcall\n ud2\n"
	".globl l2_stub_call\n"
	"l2_stub_call:\n call *%rdi\n vmcall\n ud2\n"
);
