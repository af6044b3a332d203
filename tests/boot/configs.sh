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
	# Bad input: an unknown option is named and the boot goes on.
	boot qemu-badopt --emu qemu --cpus 2 --mem 256 \
		--cmdline "expect_mem_mb=256 expect_cpus=2 frobnicate exit=qemu" \
		--module "$mod" "$modcmd" \
		--expect-msg "cmdline: unknown option 'frobnicate'"
	# Bad input: a module whose contents do not match its checksum.
	boot qemu-badmod --emu qemu --cpus 1 --mem 256 \
		--cmdline "expect_mem_mb=256 expect_cpus=1 exit=qemu" \
		--module "$badmod" "$badcmd" --expect-fail '^boot\.test_module$'
}
