/* SPDX-License-Identifier: MIT */
/*
 * A Multiboot (v1) kernel's header and entry, 32-bit. Built twice:
 * as an ELF32 kernel (the loader reads its program headers) and, with
 * -DMB1_AOUT_KLUDGE, as a flat binary whose header carries the load
 * addresses (flag bit 16), the form kvm-unit-tests' *.flat images use.
 */
#define MB1_MAGIC	0x1BADB002
#ifdef MB1_AOUT_KLUDGE
#define MB1_FLAGS	0x00010002	/* a.out addresses, memory info */
#else
#define MB1_FLAGS	0x00000003	/* page-aligned modules, memory info */
#endif

	.section .multiboot, "a"
	.align 4
mb1_header:
	.long	MB1_MAGIC
	.long	MB1_FLAGS
	.long	-(MB1_MAGIC + MB1_FLAGS)
#ifdef MB1_AOUT_KLUDGE
	.long	mb1_header		/* header_addr */
	.long	__load_start		/* load_addr */
	.long	__load_end		/* load_end_addr */
	.long	__bss_end		/* bss_end_addr */
	.long	_start			/* entry_addr */
#endif

	.text
	.globl _start
_start:
	movl	$stack_top, %esp
	pushl	%ebx			/* Multiboot information */
	pushl	%eax			/* 0x2BADB002 */
	call	mb1_main
1:	cli
	hlt
	jmp	1b

	.bss
	.align 16
	.space	8192
stack_top:

	.section .note.GNU-stack, "", @progbits
