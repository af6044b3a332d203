; Multiboot2 header and the 32-bit entry that GRUB jumps to.
;
; GRUB enters in 32-bit protected mode with paging off, EAX = Multiboot2
; magic and EBX = physical address of the boot information. We check the
; magic, clear CR0.CD/NW (Bochs resets with caching disabled and nothing
; else clears it), identity-map the first 4 GiB with 2 MiB pages, switch to
; long mode and call kmain(magic, mbi_phys). mm/paging.c replaces these
; tables later; the AP trampoline keeps using them for its mode switch.

MB2_MAGIC	equ 0xe85250d6
MB2_BOOT_MAGIC	equ 0x36d76289
MB2_ARCH_I386	equ 0

COM1		equ 0x3f8
VGA_TEXT	equ 0xb8000

PTE_P		equ 1 << 0
PTE_W		equ 1 << 1
PTE_PWT		equ 1 << 3
PTE_PCD		equ 1 << 4
PTE_PS		equ 1 << 7

; 2 MiB page index of 0xFEC00000: IOAPIC + LAPIC MMIO, mapped uncached.
MMIO_PD_FIRST	equ 0xfec00000 >> 21

section .multiboot2
align 8
mb2_header:
	dd MB2_MAGIC
	dd MB2_ARCH_I386
	dd mb2_header_end - mb2_header
	dd -(MB2_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))

	; Information request (optional, so a loader lacking one still boots):
	; cmdline, modules, meminfo, mmap, ELF sections, ACPI old/new, EFI mmap.
align 8
.info_req:
	dw 1, 1
	dd .info_req_end - .info_req
	dd 1, 3, 4, 6, 9, 14, 15, 17
.info_req_end:

	; No framebuffer tag: under BIOS the loader then leaves the screen in
	; EGA text (cheap to draw, also in Bochs); under UEFI, which has no
	; text mode, GRUB sets a GOP mode anyway once its video drivers are
	; loaded (grub.cfg) and passes it (arch/x86/screen.c draws there).
	; Console flags (optional): EGA text is supported.
align 8
	dw 4, 1
	dd 12
	dd 2

	; End tag.
align 8
	dw 0, 0
	dd 8
mb2_header_end:

section .text.boot
bits 32
global _start
_start:
	cli
	cld
	mov esp, boot_stack_top
	cmp eax, MB2_BOOT_MAGIC
	jne .bad_magic
	mov edi, eax			; kmain arg 1 (upper half zeroed later)
	mov esi, ebx			; kmain arg 2

	; Caches on: clear CD and NW, then drop anything cached while off.
	mov eax, cr0
	and eax, ~((1 << 30) | (1 << 29))
	mov cr0, eax
	wbinvd

	; Long mode present? (CPUID 0x80000001 EDX.LM[29])
	mov eax, 0x80000000
	cpuid
	cmp eax, 0x80000001
	jb .no_long_mode
	mov eax, 0x80000001
	cpuid
	test edx, 1 << 29
	jz .no_long_mode

	call build_boot_page_tables

	; PAE, CR3, EFER.LME|NXE, then paging.
	mov eax, cr4
	or eax, 1 << 5
	mov cr4, eax
	mov eax, boot_pml4
	mov cr3, eax
	mov ecx, 0xc0000080
	rdmsr
	or eax, (1 << 8)
	wrmsr
	mov eax, cr0
	or eax, (1 << 31) | (1 << 16) | 1	; PG | WP | PE
	mov cr0, eax

	lgdt [boot_gdt_ptr]
	jmp 0x08:long_entry

.bad_magic:
	mov esi, msg_bad_magic
	call early_print32
	jmp halt32
.no_long_mode:
	mov esi, msg_no_lm
	call early_print32
	jmp halt32

halt32:
	cli
	hlt
	jmp halt32

; PML4[0] -> PDPT; PDPT[0..3] -> four page directories of 2 MiB pages.
; Shared with the AP trampoline, so not static.
build_boot_page_tables:
	mov eax, boot_pdpt
	or eax, PTE_P | PTE_W
	mov [boot_pml4], eax
	mov dword [boot_pml4 + 4], 0
	xor ecx, ecx
.pdpt_loop:
	mov eax, ecx
	shl eax, 12
	add eax, boot_pd
	or eax, PTE_P | PTE_W
	mov [boot_pdpt + ecx * 8], eax
	mov dword [boot_pdpt + ecx * 8 + 4], 0
	inc ecx
	cmp ecx, 4
	jb .pdpt_loop

	xor ecx, ecx			; 2048 entries = 4 GiB
.pd_loop:
	mov eax, ecx
	shl eax, 21
	or eax, PTE_P | PTE_W | PTE_PS
	cmp ecx, MMIO_PD_FIRST
	jb .cached
	or eax, PTE_PCD | PTE_PWT
.cached:
	mov [boot_pd + ecx * 8], eax
	mov dword [boot_pd + ecx * 8 + 4], 0
	inc ecx
	cmp ecx, 2048
	jb .pd_loop
	ret

; Print the NUL-terminated string at ESI on COM1 (polled, 115200 8N1)
; and on the VGA text screen, so a wrong boot is visible either way.
early_print32:
	mov dx, COM1 + 1
	xor al, al
	out dx, al			; no interrupts
	mov dx, COM1 + 3
	mov al, 0x80
	out dx, al			; DLAB
	mov dx, COM1
	mov al, 1
	out dx, al			; divisor 1 = 115200
	mov dx, COM1 + 1
	xor al, al
	out dx, al
	mov dx, COM1 + 3
	mov al, 3
	out dx, al			; 8N1
	mov edi, VGA_TEXT
.next:
	lodsb
	test al, al
	jz .done
	mov ah, 0x4f			; white on red
	mov [edi], ax
	add edi, 2
	mov bl, al
	mov dx, COM1 + 5
.wait_thr:
	in al, dx
	test al, 0x20
	jz .wait_thr
	mov dx, COM1
	mov al, bl
	out dx, al
	jmp .next
.done:
	ret

bits 64
extern kmain
; Typed and sized so a backtrace ends in "long_entry+0x..", not a bare hex.
static long_entry:function (long_entry.end - long_entry)
long_entry:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	xor eax, eax
	mov fs, ax
	mov gs, ax
	mov rsp, boot_stack_top
	xor ebp, ebp			; terminates the frame-pointer walk
	mov edi, edi
	mov esi, esi
	call kmain
.hang:
	cli
	hlt
	jmp .hang
.end:

section .rodata
msg_bad_magic:
	db "microhv: FATAL: not started by a Multiboot2 loader (bad magic in EAX); halting", 13, 10, 0
msg_no_lm:
	db "microhv: FATAL: CPU has no long mode (x86-64); halting", 13, 10, 0

align 8
global boot_gdt, boot_gdt_ptr
boot_gdt:
	dq 0
	dq 0x00af9a000000ffff		; 0x08: 64-bit code
	dq 0x00cf92000000ffff		; 0x10: data
boot_gdt_end:
boot_gdt_ptr:
	dw boot_gdt_end - boot_gdt - 1
	dq boot_gdt

section .bss
align 4096
global boot_pml4
boot_pml4:	resb 4096
boot_pdpt:	resb 4096
boot_pd:	resb 4096 * 4
; The page under the boot stack is its guard page: unmapped once paging
; is up (arch/x86/gdt.c, gdt_guard_boot_cpu_stacks()), so an overflow of
; the BSP's boot stack (kmain's thread) faults instead of running into
; boot_pd below it. Page-aligned: the tables before it are whole pages.
global boot_stack_guard
boot_stack_guard:	resb 4096
global boot_stack_top
boot_stack:	resb 16384
boot_stack_top:
