; AP start-up trampoline: copied to TRAMP_BASE (below 1 MiB) by
; arch/x86/smp.c; each AP starts here in real mode after INIT-SIPI-SIPI
; (SIPI vector = TRAMP_BASE >> 12), goes 16 -> 32 -> 64-bit on the boot
; identity map (boot_pml4, below 4 GiB so a 32-bit CR3 load reaches it),
; then switches to the kernel's page tables and calls the C entry with its
; per-CPU pointer. The code is position-dependent on TRAMP_BASE, so every
; address is written as TRAMP_BASE + (label - trampoline_start).

TRAMP_BASE	equ 0x8000
%define T(x) (TRAMP_BASE + ((x) - trampoline_start))

extern boot_pml4

section .data
align 4096
global trampoline_start, trampoline_end, trampoline_params
trampoline_start:
bits 16
	cli
	cld
	xor ax, ax
	mov ds, ax
	mov es, ax
	mov ss, ax
	lgdt [T(tramp_gdt_ptr)]
	mov eax, cr0
	or eax, 1
	mov cr0, eax
	jmp dword 0x18:T(tramp32)

bits 32
tramp32:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	; Caches on (Bochs APs also reset with CR0.CD set).
	mov eax, cr0
	and eax, ~((1 << 30) | (1 << 29))
	mov cr0, eax
	mov eax, cr4
	or eax, 1 << 5			; PAE
	mov cr4, eax
	mov eax, [T(tramp_boot_cr3)]
	mov cr3, eax
	; EFER.LME, and NXE when the CPU has NX (the kernel tables may use it).
	mov eax, 0x80000001
	cpuid
	xor ebx, ebx
	test edx, 1 << 20
	jz .no_nx
	mov ebx, 1 << 11
.no_nx:
	mov ecx, 0xc0000080
	rdmsr
	or eax, 1 << 8
	or eax, ebx
	wrmsr
	mov eax, cr0
	or eax, (1 << 31) | (1 << 16)	; PG | WP
	mov cr0, eax
	jmp 0x08:T(tramp64)

bits 64
tramp64:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov rax, [T(trampoline_params.cr3)]
	mov cr3, rax
	mov rsp, [T(trampoline_params.stack)]
	mov rdi, [T(trampoline_params.arg)]
	xor ebp, ebp
	mov rax, [T(trampoline_params.entry)]
	call rax
.hang:
	cli
	hlt
	jmp .hang

align 8
tramp_gdt:
	dq 0
	dq 0x00af9a000000ffff		; 0x08: 64-bit code
	dq 0x00cf92000000ffff		; 0x10: data
	dq 0x00cf9a000000ffff		; 0x18: 32-bit code
tramp_gdt_end:
tramp_gdt_ptr:
	dw tramp_gdt_end - tramp_gdt - 1
	dd T(tramp_gdt)
align 8
tramp_boot_cr3:
	dq boot_pml4
; Filled by smp.c before each SIPI (struct trampoline_params).
trampoline_params:
.cr3:	dq 0
.stack:	dq 0
.entry:	dq 0
.arg:	dq 0
trampoline_end:
