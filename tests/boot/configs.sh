# Boot configurations run by tests/run_tests.sh, in order. Sourced; each
# line is: boot NAME boot_test.sh-arguments... ($mod is the test module,
# $modcmd its command line, $badmod/$badcmd a garbled copy).
boot_configs() {
	boot qemu-1cpu --emu qemu --cpus 1 --mem 256 \
		--cmdline "expect_mem_mb=256 expect_cpus=1 exit=qemu" \
		--module "$mod" "$modcmd"
	boot qemu-4cpu --emu qemu --cpus 4 --mem 256 \
		--cmdline "expect_mem_mb=256 expect_cpus=4 exit=qemu" \
		--module "$mod" "$modcmd"
	boot bochs-1cpu --emu bochs --cpus 1 --mem 128 \
		--cmdline "expect_mem_mb=128 expect_cpus=1 exit=bochs" \
		--module "$mod" "$modcmd"
	boot bochs-2cpu --emu bochs --cpus 2 --mem 128 \
		--cmdline "expect_mem_mb=128 expect_cpus=2 exit=bochs" \
		--module "$mod" "$modcmd"
	# Bad input: an unknown option is named and the boot goes on; the
	# second one checks that quotes, '$' and ';' reach the kernel intact.
	boot qemu-badopt --emu qemu --cpus 2 --mem 256 \
		--cmdline "expect_mem_mb=256 expect_cpus=2 frobnicate exit=qemu fr'\$x;\"q" \
		--module "$mod" "$modcmd" \
		--expect-msg "cmdline: unknown option 'frobnicate'" \
		--expect-msg "cmdline: unknown option 'fr'\$x;\"q'"
	# Bad input: no ACPI at all (no RSDP, so no MADT): named, 1 CPU.
	boot qemu-noacpi --emu qemu --cpus 2 --mem 128 \
		--qemu-arg -machine --qemu-arg acpi=off \
		--cmdline "expect_mem_mb=128 expect_cpus=1 exit=qemu" \
		--expect-msg "acpi: no valid RSDP found" \
		--expect-msg "smp: 1 CPU(s) online (MADT lists 1)"
	# Bad input: a module whose contents do not match its checksum.
	boot qemu-badmod --emu qemu --cpus 1 --mem 256 \
		--cmdline "expect_mem_mb=256 expect_cpus=1 exit=qemu" \
		--module "$badmod" "$badcmd" --expect-fail '^boot\.test_module$'
	# The crash path (arch/x86/crash_test.c): a fatal exception must
	# print its name, the registers and a symbolized backtrace, stop the
	# other CPUs and end the run. ipi faults in an IPI handler on cpu1
	# (backtrace through isr_common); df overflows into a guard page.
	boot qemu-crash-pf --emu qemu --cpus 2 --mem 128 --expect-crash \
		--cmdline "ktest=crash.* crash_test=pf  exit=qemu" \
		--expect-msg "cmdline 'ktest=crash.* crash_test=pf exit=qemu'" \
		--expect-msg "*** EXCEPTION #PF page fault (vector 14) on cpu0" \
		--expect-msg "CR2: 00007ffffffff000" --expect-msg "RAX: " \
		--expect-msg "] crash_pf_victim+0x" --expect-msg "] crash_pf+0x" \
		--expect-msg "] ktest_crash_on_purpose+0x" \
		--expect-msg "*** stopped other CPUs: 1 of 1 parked by NMI"
	boot qemu-crash-ipi --emu qemu --cpus 2 --mem 128 --expect-crash \
		--cmdline "ktest=crash.* crash_test=ipi exit=qemu" \
		--expect-msg "*** EXCEPTION #PF page fault (vector 14) on cpu1" \
		--expect-msg "] crash_ipi_victim+0x" \
		--expect-msg "] x86_interrupt+0x" --expect-msg "] isr_common+0x" \
		--expect-msg "<interrupt: vector 0xf1>" \
		--expect-msg "*** stopped other CPUs: 1 of 1 parked by NMI"
	boot qemu-crash-df --emu qemu --cpus 1 --mem 128 --expect-crash \
		--cmdline "ktest=crash.* crash_test=df exit=qemu" \
		--expect-msg "*** EXCEPTION #DF double fault (vector 8) on cpu0" \
		--expect-msg "] crash_stack_overflow_recurse+0x" \
		--expect-msg "*** stopped other CPUs: 0 of 0"
}
