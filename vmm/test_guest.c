// SPDX-License-Identifier: MIT
/*
 * The built-in test guests (see vmm/test_guest.h). The code below is
 * 64-bit and position-independent (RIP-relative references only); it runs
 * at TG_CODE with paging on, identity-mapped. Absolute addresses are the
 * fixed guest-physical layout.
 */
#include "vmm/guest_mem.h"
#include "vmm/guest_main.h"
#include "vmm/guest_run.h"
#include "vmm/test_guest.h"
#include "kernel/log.h"
#include "include/uapi/hv_abi.h"

#define STR_(x) #x
#define STR(x) STR_(x)

__asm__(
"	.section .rodata.test_guests, \"a\"\n"
"	.code64\n"
/* ---- tg_basic ---------------------------------------------------------- */
"	.globl tg_basic_start, tg_basic_end\n"
"tg_basic_start:\n"
"	mov %rbx, %r15\n"
"	mov %r15, 0x8080\n"
"	lea tg_ud(%rip), %rax\n"
"	mov $0x7060, %edi\n"			/* IDT entry 6 */
"	call tg_set_gate\n"
"	lea tg_gp(%rip), %rax\n"
"	mov $0x70d0, %edi\n"			/* IDT entry 13 */
"	call tg_set_gate\n"
"	lidt tg_idtr(%rip)\n"
	/* CPUID: the hypervisor leaf, and leaf 1 (VMX hidden). */
"	mov $0x40000000, %eax\n"
"	xor %ecx, %ecx\n"
"	cpuid\n"
"	mov %ebx, 0x8000\n"
"	mov %ecx, 0x8004\n"
"	mov %edx, 0x8008\n"
"	mov %eax, 0x800c\n"
"	mov $1, %eax\n"
"	xor %ecx, %ecx\n"
"	cpuid\n"
"	mov %ecx, 0x8010\n"
	/* Hypercalls: a good one, an unknown one, a wild pointer. */
"	mov $5, %eax\n"
"	vmcall\n"
"	mov %rax, 0x8018\n"
"	mov $0x7777, %eax\n"
"	vmcall\n"
"	mov %rax, 0x8020\n"
"	mov $1, %eax\n"
"	movabs $0xdead00000000, %rbx\n"
"	mov $8, %ecx\n"
"	vmcall\n"
"	mov %rax, 0x8028\n"
"	mov $1, %eax\n"
"	lea tg_hc_msg(%rip), %rbx\n"
"	mov $(tg_hc_msg_end - tg_hc_msg), %ecx\n"
"	vmcall\n"
"	mov %rax, 0x8030\n"
	/* The UART: a line through THR, then LSR. */
"	lea tg_uart_msg(%rip), %rsi\n"
"	mov $0x3f8, %edx\n"
"1:	lodsb\n"
"	test %al, %al\n"
"	jz 2f\n"
"	out %al, %dx\n"
"	jmp 1b\n"
"2:	mov $0x3fd, %edx\n"
"	xor %eax, %eax\n"
"	in %dx, %al\n"
"	mov %rax, 0x8088\n"
	/* MSRs: EFER is allowed; LSTAR is kept; VMX_BASIC must #GP. */
"	mov $0xc0000080, %ecx\n"
"	rdmsr\n"
"	shl $32, %rdx\n"
"	or %rdx, %rax\n"
"	mov %rax, 0x8038\n"
"	mov $0xc0000082, %ecx\n"
"	mov $0x81234560, %eax\n"
"	mov $0xffffffff, %edx\n"
"	wrmsr\n"
"	xor %eax, %eax\n"
"	xor %edx, %edx\n"
"	rdmsr\n"
"	shl $32, %rdx\n"
"	or %rdx, %rax\n"
"	mov %rax, 0x8090\n"
	/* SYSCALL through the guest's own LSTAR/STAR (EFER.SCE on). */
"	mov $0xc0000081, %ecx\n"
"	xor %eax, %eax\n"
"	mov $0x00100008, %edx\n"		/* STAR: CS 0x08, SS 0x10 */
"	wrmsr\n"
"	mov $0xc0000082, %ecx\n"
"	lea tg_syscall(%rip), %rax\n"
"	mov %rax, %rdx\n"
"	shr $32, %rdx\n"
"	wrmsr\n"
"	mov $0xc0000080, %ecx\n"
"	rdmsr\n"
"	or $1, %eax\n"
"	wrmsr\n"
"	syscall\n"
	/* SWAPGS exchanges GS base and KERNEL_GS_BASE in hardware. */
"	mov $0xc0000101, %ecx\n"
"	mov $0x5678000, %eax\n"
"	xor %edx, %edx\n"
"	wrmsr\n"
"	mov $0xc0000102, %ecx\n"
"	mov $0x1234000, %eax\n"
"	wrmsr\n"
"	swapgs\n"
"	mov $0xc0000101, %ecx\n"
"	rdmsr\n"
"	mov %rax, 0x80a8\n"
"	mov $0xc0000102, %ecx\n"
"	rdmsr\n"
"	mov %rax, 0x80b0\n"
"	swapgs\n"
"	lea 1f(%rip), %rax\n"
"	mov %rax, 0x8050\n"
"	mov $0x480, %ecx\n"
"	rdmsr\n"
"	movq $0xbad, 0x8058\n"
"1:\n"
	/* A VMX instruction must #UD. */
"	lea 1f(%rip), %rax\n"
"	mov %rax, 0x8050\n"
"	vmxon 0x9000\n"
"	movq $0xbad, 0x8060\n"
"1:\n"
	/*
	 * HLT with interrupts on and an interrupt pending: a self-IPI
	 * (HC_SEND_IPI) queued with IF=0, then STI; HLT. The vCPU must not
	 * sleep: the interrupt is delivered at once and its handler returns
	 * to the instruction after the HLT. Bad IPIs are refused first.
	 */
"	lea tg_basic_irq(%rip), %rax\n"
"	mov $0x7400, %edi\n"			/* IDT entry 0x40 */
"	call tg_set_gate\n"
"	mov $" STR(HC_SEND_IPI) ", %eax\n"
"	mov $1, %ebx\n"				/* no vCPU 1 */
"	mov $0x40, %ecx\n"
"	vmcall\n"
"	mov %rax, 0x80d8\n"
"	mov $" STR(HC_SEND_IPI) ", %eax\n"
"	xor %ebx, %ebx\n"
"	mov $3, %ecx\n"				/* an exception vector */
"	vmcall\n"
"	mov %rax, 0x80e0\n"
"	mov $" STR(HC_SEND_IPI) ", %eax\n"
"	movabs $0x8000000000000000, %rbx\n"	/* a huge index */
"	mov $0x40, %ecx\n"
"	vmcall\n"
"	mov %rax, 0x80e8\n"
"	mov $" STR(HC_SEND_IPI) ", %eax\n"
"	xor %ebx, %ebx\n"				/* ourselves */
"	mov $0x40, %ecx\n"
"	vmcall\n"
"	mov %rax, 0x80b8\n"
"	lea 1f(%rip), %rax\n"
"	mov %rax, 0x80d0\n"
"	sti\n"
"	hlt\n"
"1:	cli\n"
"	movq $1, 0x8068\n"
	/* Round trips: N VMCALLs (HC_VCPU_INFO), then N CPUIDs. */
"	test %r15, %r15\n"
"	jz 3f\n"
"	mov %r15, %r13\n"
"	rdtsc\n"
"	shl $32, %rdx\n"
"	or %rax, %rdx\n"
"	mov %rdx, %r14\n"
"1:	mov $5, %eax\n"
"	vmcall\n"
"	dec %r13\n"
"	jnz 1b\n"
"	rdtsc\n"
"	shl $32, %rdx\n"
"	or %rax, %rdx\n"
"	sub %r14, %rdx\n"
"	mov %rdx, 0x8070\n"
"	mov %r15, %r13\n"
"	rdtsc\n"
"	shl $32, %rdx\n"
"	or %rax, %rdx\n"
"	mov %rdx, %r14\n"
"1:	mov $0x40000000, %eax\n"
"	cpuid\n"
"	dec %r13\n"
"	jnz 1b\n"
"	rdtsc\n"
"	shl $32, %rdx\n"
"	or %rax, %rdx\n"
"	sub %r14, %rdx\n"
"	mov %rdx, 0x8078\n"
"3:	mov $" STR(TG_EXIT_STATUS) ", %eax\n"
"	out %al, $0xf4\n"
"	ud2\n"					/* not reached */
/* rax = handler, rdi = gate address: a 64-bit interrupt gate, CS 0x08. */
"tg_set_gate:\n"
"	mov %ax, (%rdi)\n"
"	movw $0x08, 2(%rdi)\n"
"	movw $0x8e00, 4(%rdi)\n"
"	shr $16, %rax\n"
"	mov %ax, 6(%rdi)\n"
"	shr $16, %rax\n"
"	mov %eax, 8(%rdi)\n"
"	movl $0, 12(%rdi)\n"
"	ret\n"
"tg_basic_irq:\n"
"	incq 0x80c0\n"
"	push %rax\n"
"	mov 8(%rsp), %rax\n"
"	mov %rax, 0x80c8\n"
"	pop %rax\n"
"	iretq\n"
"tg_syscall:\n"
"	movq $1, 0x80a0\n"
"	jmp *%rcx\n"
/* #GP: count, keep the error code, resume at the fixup address. */
"tg_gp:\n"
"	incq 0x8040\n"
"	pop %rax\n"
"	mov %rax, 0x8098\n"
"	mov 0x8050, %rax\n"
"	mov %rax, (%rsp)\n"
"	iretq\n"
"tg_ud:\n"
"	incq 0x8048\n"
"	mov 0x8050, %rax\n"
"	mov %rax, (%rsp)\n"
"	iretq\n"
"tg_idtr:\n"
"	.word 16 * 256 - 1\n"
"	.quad 0x7000\n"
"tg_hc_msg:\n"
"	.ascii \"hello via HC_CONSOLE_WRITE\\n\"\n"
"tg_hc_msg_end:\n"
"tg_uart_msg:\n"
"	.asciz \"hello via the UART\\n\"\n"
"tg_basic_end:\n"
/* ---- tg_triple_fault: the VMCS gives it an empty IDT -------------------- */
"	.globl tg_tf_start, tg_tf_end\n"
"tg_tf_start:\n"
"	ud2\n"
"tg_tf_end:\n"
/* ---- tg_spin -------------------------------------------------------------- */
"	.globl tg_spin_start, tg_spin_end\n"
"tg_spin_start:\n"
"	mov %rbx, %r15\n"
"1:	mov $5, %eax\n"
"	vmcall\n"
"	lock bts %rax, 0x8008\n"
"	lock incq 0x8000\n"
"	cmpq $0, 0x8010\n"
"	jne 2f\n"
"	dec %r15\n"
"	jnz 1b\n"
"2:	mov $" STR(TG_EXIT_STATUS) ", %eax\n"
"	out %al, $0xf4\n"
"	ud2\n"
"tg_spin_end:\n"
/* ---- tg_quiet: no exit at all until the host sets TGS_STOP ------------- */
"	.globl tg_quiet_start, tg_quiet_end\n"
"tg_quiet_start:\n"
"	movq $1, 0x8000\n"
"1:	pause\n"
"	cmpq $0, 0x8010\n"
"	je 1b\n"
"	mov $" STR(TG_EXIT_STATUS) ", %eax\n"
"	out %al, $0xf4\n"
"	ud2\n"
"tg_quiet_end:\n"
/* ---- tg_irq: interrupts held off while IF=0, taken after STI ---------- */
"	.globl tg_irq_start, tg_irq_end\n"
"tg_irq_start:\n"
"	lea tg_irq_handler(%rip), %rax\n"
"	mov $0x7400, %edi\n"			/* IDT entry 0x40 */
"	call tg_irq_gate\n"
"	lidt tg_irq_idtr(%rip)\n"
"	movq $1, 0x8000\n"			/* TGS_COUNT: ready */
"1:	pause\n"
"	cmpq $0, 0x8010\n"			/* TGS_STOP: queued */
"	je 1b\n"
"	mov $100, %r12d\n"			/* entries with IF=0 */
"2:	mov $5, %eax\n"
"	vmcall\n"
"	dec %r12d\n"
"	jnz 2b\n"
"	mov 0x8020, %rax\n"
"	mov %rax, 0x8028\n"			/* taken with IF=0: 0 */
"	sti\n"
"	nop\n"
"	nop\n"
"	cli\n"
"	mov 0x8020, %rax\n"
"	mov %rax, 0x8030\n"			/* taken after STI: 1 */
"	mov $" STR(TG_EXIT_STATUS) ", %eax\n"
"	out %al, $0xf4\n"
"	ud2\n"
"tg_irq_handler:\n"
"	incq 0x8020\n"
"	iretq\n"
"tg_irq_gate:\n"
"	mov %ax, (%rdi)\n"
"	movw $0x08, 2(%rdi)\n"
"	movw $0x8e00, 4(%rdi)\n"
"	shr $16, %rax\n"
"	mov %ax, 6(%rdi)\n"
"	shr $16, %rax\n"
"	mov %eax, 8(%rdi)\n"
"	movl $0, 12(%rdi)\n"
"	ret\n"
"tg_irq_idtr:\n"
"	.word 16 * 256 - 1\n"
"	.quad 0x7000\n"
"tg_irq_end:\n"
/* ---- tg_user: a VMCALL from ring 3 (IOPL 3 so that OUT still works) ---- */
"	.globl tg_user_start, tg_user_end\n"
"tg_user_start:\n"
"	lea 1f(%rip), %rax\n"
"	pushq $0x23\n"				/* SS: user data */
"	pushq $0x28000\n"			/* RSP */
"	pushq $0x3002\n"			/* RFLAGS: IOPL 3 */
"	pushq $0x1b\n"				/* CS: user code */
"	push %rax\n"
"	iretq\n"
"1:	mov $5, %eax\n"
"	vmcall\n"
"	mov %rax, 0x8000\n"
"	mov $" STR(TG_EXIT_STATUS) ", %eax\n"
"	out %al, $0xf4\n"
"	ud2\n"
"tg_user_end:\n"
/* ---- tg_tf_smp: vCPU 0 shuts down once vCPU 1 is spinning -------------- */
"	.globl tg_tf_smp_start, tg_tf_smp_end\n"
"tg_tf_smp_start:\n"
"	test %rdi, %rdi\n"
"	jnz 2f\n"
"1:	pause\n"
"	cmpq $0, 0x8000\n"			/* TGS_COUNT: vCPU 1 runs */
"	je 1b\n"
"	ud2\n"					/* no IDT: shutdown */
"2:	sti\n"					/* a kick IPI can make it exit */
"3:	lock incq 0x8000\n"
"	jmp 3b\n"
"tg_tf_smp_end:\n"
/* ---- tg_hlt: vCPUs that halt (modes in RBX: TGH_MODE_*) ----------------- */
"	.globl tg_hlt_start, tg_hlt_end\n"
"tg_hlt_start:\n"
"	mov %rdi, %r14\n"
"	lea tg_hlt_irq(%rip), %rax\n"
"	mov $0x7400, %edi\n"			/* IDT entry 0x40 */
"	call tg_hlt_gate\n"
"	lidt tg_hlt_idtr(%rip)\n"
"	cmp $" STR(TGH_MODE_PENDING) ", %rbx\n"
"	je tg_hlt_pending\n"
"	test %r14, %r14\n"
"	jnz tg_hlt_idle\n"			/* vCPU 1+: halt */
"	cmp $" STR(TGH_MODE_KILL) ", %rbx\n"
"	je tg_hlt_kill\n"
"	cmp $" STR(TGH_MODE_LOOP) ", %rbx\n"
"	je tg_hlt_loop\n"
"	cmp $" STR(TGH_MODE_IPI) ", %rbx\n"
"	je tg_hlt_ipi\n"
	/* Nothing pending: sleep until an interrupt comes. */
"tg_hlt_idle:\n"
"	lea 1f(%rip), %rax\n"
"	mov %rax, 0x8038\n"			/* TGH_HLT_NEXT_RIP */
"	lock incq 0x8000\n"			/* TGS_COUNT: about to halt */
"	sti\n"
"	hlt\n"
"1:	cli\n"
"	lock incq 0x8030\n"			/* TGH_AFTER */
"	test %r14, %r14\n"
"	jz tg_hlt_exit\n"
"2:	hlt\n"					/* IF=0: this vCPU is done */
"	jmp 2b\n"
	/* IF=0 until the host has queued an interrupt, then STI; HLT. */
"tg_hlt_pending:\n"
"	movq $1, 0x8000\n"
"1:	pause\n"
"	cmpq $0, 0x8010\n"			/* TGS_STOP */
"	je 1b\n"
"	lea 2f(%rip), %rax\n"
"	mov %rax, 0x8038\n"
"	sti\n"
"	hlt\n"
"2:	cli\n"
"	lock incq 0x8030\n"
"	jmp tg_hlt_exit\n"
	/* TGS_STOP rounds of STI; HLT, each ended by one interrupt. */
"tg_hlt_loop:\n"
"	lea 1f(%rip), %rax\n"
"	mov %rax, 0x8038\n"
"2:	mov 0x8030, %rax\n"
"	cmp 0x8010, %rax\n"
"	jae tg_hlt_exit\n"
"	sti\n"
"	hlt\n"
"1:	cli\n"
"	incq 0x8030\n"
"	jmp 2b\n"
	/* vCPU 0 shuts down (no #UD gate) once the host says so. */
"tg_hlt_kill:\n"
"	pause\n"
"	cmpq $0, 0x8010\n"
"	je tg_hlt_kill\n"
"	ud2\n"
	/* vCPU 0 wakes vCPU 1 with HC_SEND_IPI once the host says so. */
"tg_hlt_ipi:\n"
"	pause\n"
"	cmpq $0, 0x8010\n"
"	je tg_hlt_ipi\n"
"	mov $" STR(HC_SEND_IPI) ", %eax\n"
"	mov $" STR(GUEST_MAX_VCPUS) ", %ebx\n"	/* no such vCPU */
"	mov $0x40, %ecx\n"
"	vmcall\n"
"	mov %rax, 0x8048\n"			/* TGH_IPI_BAD_VCPU */
"	mov $" STR(HC_SEND_IPI) ", %eax\n"
"	mov $1, %ebx\n"
"	mov $0x1f, %ecx\n"			/* an exception vector */
"	vmcall\n"
"	mov %rax, 0x8050\n"			/* TGH_IPI_BAD_VECTOR */
"	mov $" STR(HC_SEND_IPI) ", %eax\n"
"	mov $1, %ebx\n"
"	mov $0x40, %ecx\n"
"	vmcall\n"
"	mov %rax, 0x8058\n"			/* TGH_IPI */
"1:	pause\n"
"	cmpq $0, 0x8030\n"			/* until vCPU 1 is past HLT */
"	je 1b\n"
"tg_hlt_exit:\n"
"	mov $" STR(TG_EXIT_STATUS) ", %eax\n"
"	out %al, $0xf4\n"
"	ud2\n"
"tg_hlt_irq:\n"
"	lock incq 0x8020\n"			/* TGH_IRQS */
"	push %rax\n"
"	mov 8(%rsp), %rax\n"
"	mov %rax, 0x8028\n"			/* TGH_IRQ_RIP */
"	pop %rax\n"
"	iretq\n"
"tg_hlt_gate:\n"
"	mov %ax, (%rdi)\n"
"	movw $0x08, 2(%rdi)\n"
"	movw $0x8e00, 4(%rdi)\n"
"	shr $16, %rax\n"
"	mov %ax, 6(%rdi)\n"
"	shr $16, %rax\n"
"	mov %eax, 8(%rdi)\n"
"	movl $0, 12(%rdi)\n"
"	ret\n"
"tg_hlt_idtr:\n"
"	.word 16 * 256 - 1\n"
"	.quad 0x7000\n"
"tg_hlt_end:\n"
"	.text\n"
);

extern const u8 tg_basic_start[], tg_basic_end[];
extern const u8 tg_tf_start[], tg_tf_end[];
extern const u8 tg_spin_start[], tg_spin_end[];
extern const u8 tg_quiet_start[], tg_quiet_end[];
extern const u8 tg_irq_start[], tg_irq_end[];
extern const u8 tg_user_start[], tg_user_end[];
extern const u8 tg_tf_smp_start[], tg_tf_smp_end[];
extern const u8 tg_hlt_start[], tg_hlt_end[];

#define TG_PML4		0x1000
#define TG_PDPT		0x2000
#define TG_PD		0x3000
#define TG_GDT		0x5000
#define TG_STACK_TOP	0x30000
#define TG_STACK_SIZE	0x4000

static bool tg_write_u64(struct guest *g, u64 gpa, u64 v)
{
	return guest_write(g, gpa, &v, sizeof(v));
}

struct guest *test_guest_create(const char *name, enum test_guest_kind kind,
				unsigned int nr_vcpus, u64 rbx)
{
	static const u64 gdt[5] = {
		0,
		0x00209a0000000000ULL,	/* 0x08: 64-bit code */
		0x00cf92000000ffffULL,	/* 0x10: flat data */
		0x0020fa0000000000ULL,	/* 0x18: 64-bit user code (DPL 3) */
		0x00cff2000000ffffULL,	/* 0x20: flat user data (DPL 3) */
	};
	const u8 *start, *end;
	struct guest *g;
	bool ok;

	switch (kind) {
	case TG_BASIC:
		start = tg_basic_start, end = tg_basic_end;
		break;
	case TG_TRIPLE_FAULT:
		start = tg_tf_start, end = tg_tf_end;
		break;
	case TG_QUIET:
		start = tg_quiet_start, end = tg_quiet_end;
		break;
	case TG_IRQ:
		start = tg_irq_start, end = tg_irq_end;
		break;
	case TG_TF_SMP:
		start = tg_tf_smp_start, end = tg_tf_smp_end;
		break;
	case TG_USER:
		start = tg_user_start, end = tg_user_end;
		break;
	case TG_HLT:
		start = tg_hlt_start, end = tg_hlt_end;
		break;
	default:
		start = tg_spin_start, end = tg_spin_end;
		break;
	}
	g = guest_create(name, nr_vcpus, TG_MEM_SIZE, true);
	if (!g)
		return NULL;
	/* One 2 MiB page at 0: present, writable, user (for tg_user). */
	ok = tg_write_u64(g, TG_PML4, TG_PDPT | 7) &&
	     tg_write_u64(g, TG_PDPT, TG_PD | 7) &&
	     tg_write_u64(g, TG_PD, 0x87) &&
	     guest_write(g, TG_GDT, gdt, sizeof(gdt)) &&
	     guest_write(g, TG_CODE, start, end - start);
	if (!ok || nr_vcpus * TG_STACK_SIZE > TG_STACK_TOP - TG_CODE -
					       (u64)(end - start)) {
		pr_err("test guest %s: does not fit\n", name);
		guest_destroy(g);
		return NULL;
	}
	for (unsigned int i = 0; i < nr_vcpus; i++) {
		struct vcpu_boot_state bs = {
			.mode = GUEST_ENTRY_LONG64,
			.runnable = true,
			.rip = TG_CODE,
			.rsp = TG_STACK_TOP - i * TG_STACK_SIZE,
			.cr3 = TG_PML4,
			.gdt_base = TG_GDT,
			.gdt_limit = sizeof(gdt) - 1,
			.cs_sel = 0x08,
			.ds_sel = 0x10,
			.rbx = rbx,
			.rdi = i,
		};

		guest_set_boot_state(g, i, &bs);
	}
	return g;
}

u64 test_guest_result(struct guest *g, u64 off)
{
	u64 v = 0;

	guest_read(g, TG_RESULTS + off, &v, sizeof(v));
	return v;
}
