# Boot configurations run by tests/run_tests.sh, in order. Sourced; each
# line is: boot NAME boot_test.sh-arguments... ($mod is the test module,
# $modcmd its command line, $badmod/$badcmd a garbled copy).

# Guests (vmm/loader/vmm_boot.h) run only under Bochs, the one emulator here with
# VMX; the QEMU boots carry no guest modules. One boot holds the whole
# demonstration set (make run boots the same list), another the bad input.
g=build/guests
guest_set=(
	--module $g/hello.elf "name=hello mem=2M"
	--module $g/smp.elf "name=smp vcpus=4 mem=2M"
	--module $g/cpuid_msr_io.elf "name=cpuid_msr_io mem=2M"
	--module $g/pc_legacy.elf "name=pc_legacy mem=3M"
	--module $g/hostile.elf "name=hostile mem=2M expect=triple_fault"
	--module $g/roundtrip.elf "name=roundtrip mem=2M -- iters=2000"
	--module $g/mb1_elf32.elf "name=mb1_elf32 vcpus=3 mem=2M -- mb1 elf32 cpus=3"
	# Two Multiboot modules: a text file, and the kernel's own image
	# (tests/guests/mb1/mb1.c checks placement, strings and bytes).
	--module $g/mb1_flat.bin "name=mb1_flat vcpus=2 mem=2M -- mb1 flat mods=2 cpus=2"
	--module tests/guests/mb1/module.txt "module_for=mb1_flat -- a b c"
	--module $g/mb1_flat.bin "module_for=mb1_flat -- self"
	--module $g/apic.elf "name=apic vcpus=4 mem=4M test_hooks=1 testdev=1"
	# An L1 hypervisor's VMX instructions (vmm/nested/).
	--module $g/nested_vmx_insn.elf "name=nested_vmx_insn mem=4M nested=1"
	--module $g/nested_vmx_entry.elf "name=nested_vmx_entry mem=2M nested=1"
	# A small L1 hypervisor with L2s on EPT12 (shadow EPT), 2 vCPUs.
	--module $g/nested_vmx_l2.elf "name=nested_vmx_l2 vcpus=2 mem=4M nested=1"
	# Shadow EPT seen from L1: remaps, exits, rewrites, accounting; and
	# the seed 004 race with four L1 vCPUs writing leaf tables at once.
	--module $g/nested_ept.elf "name=nested_ept mem=8M nested=1 test_hooks=1"
	--module $g/nested_unsync.elf "name=nested_unsync vcpus=4 mem=16M nested=1 test_hooks=1"
	# Async page faults (KVM's ABI) over the slow swap store: the ABI and
	# hostile MSR values, "page ready" before "not present" (apf_race),
	# and a guest that is not offered them (apf=0).
	--module $g/async_pf.elf "name=async_pf mem=4M test_hooks=1 swap_latency_us=2000 swap_jitter_us=1000"
	--module $g/async_pf.elf "name=async_pf_race mem=4M test_hooks=1 apf_race=1 -- mode=race"
	--module $g/async_pf.elf "name=async_pf_off mem=4M test_hooks=1 apf=0 -- mode=off"
	# The same in a guest with tasks (seed 003's wait_schedule and
	# wait_halt): compute tasks run while faulters wait; disabling with
	# waiters asleep, never ACKing, dying with faults in flight; and the
	# wake-before-wait race between tasks.
	--module $g/apf_tasks.elf "name=apf_tasks mem=8M test_hooks=1 swap_latency_us=2000 swap_jitter_us=1000"
	--module $g/apf_tasks.elf "name=apf_tasks_race mem=8M test_hooks=1 apf_race=2 -- mode=race"
)
boot_configs() {
	boot qemu-1cpu --emu qemu --cpus 1 --mem 256 \
		--cmdline "expect_mem_mb=256 expect_cpus=1 exit=qemu" \
		--expect-msg "watchdog: hard lockup detector off: 1 CPU, no buddy CPU to check it" \
		--module "$mod" "$modcmd"
	boot qemu-4cpu --emu qemu --cpus 4 --mem 256 \
		--cmdline "expect_mem_mb=256 expect_cpus=4 exit=qemu" \
		--expect-msg "BUG: hard lockup - CPU#1 stuck with interrupts off for" \
		--expect-msg "] hardlockup_spin_irqs_off+0x" \
		--module "$mod" "$modcmd"
	# The same image by UEFI (OVMF on q35): from the CD, and written to a
	# USB stick (calibrated by the ACPI PM timer, as on a machine without
	# a PIT); and by BIOS from the stick. The kernel takes the EFI
	# memory map and the ACPI tables GRUB passes under UEFI.
	boot qemu-uefi-cd --emu qemu --cpus 4 --mem 256 --firmware uefi \
		--cmdline "expect_mem_mb=256 expect_cpus=4 exit=qemu" \
		--expect-msg "mmap: from the EFI memory map" \
		--expect-msg "BUG: hard lockup - CPU#1 stuck with interrupts off for" \
		--module "$mod" "$modcmd"
	boot qemu-uefi-usb --emu qemu --cpus 2 --mem 256 --firmware uefi \
		--boot-from usb \
		--cmdline "expect_mem_mb=256 expect_cpus=2 exit=qemu calibrate=pmtimer" \
		--expect-msg "mmap: from the EFI memory map" \
		--expect-msg "lapic: calibrated against the ACPI PM timer" \
		--module "$mod" "$modcmd"
	# More CPUs than MAX_CPUS (64): the rest are named and left waiting
	# for their SIPI, and the end of the run must not wake them (an NMI
	# broadcast used to reset the machine here).
	# 66 emulated CPUs share this host's cores: the lockup detectors get
	# minutes, not seconds, so only a real hang trips them.
	boot qemu-66cpu --emu qemu --cpus 66 --mem 512 --timeout 180 \
		--qemu-arg -M --qemu-arg q35 \
		--cmdline "expect_cpus=64 exit=qemu ktest=boot.* watchdog_thresh=150 hardlockup_thresh=150" \
		--expect-msg "acpi: more than 64 CPUs; APIC id 65 ignored" \
		--expect-msg "smp: 64 CPU(s) online (MADT lists 64)"
	boot qemu-bios-usb --emu qemu --cpus 2 --mem 256 --boot-from usb \
		--cmdline "expect_mem_mb=256 expect_cpus=2 exit=qemu ktest=boot.*" \
		--module "$mod" "$modcmd"
	boot bochs-1cpu --emu bochs --cpus 1 --mem 128 \
		--cmdline "expect_mem_mb=128 expect_cpus=1 exit=bochs expect_vmx=1" \
		--expect-msg "watchdog: hard lockup detector off: 1 CPU, no buddy CPU to check it" \
		--module "$mod" "$modcmd"
	boot bochs-2cpu --emu bochs --cpus 2 --mem 128 \
		--cmdline "expect_mem_mb=128 expect_cpus=2 exit=bochs expect_vmx=1" \
		--expect-msg "BUG: hard lockup - CPU#1 stuck with interrupts off for" \
		--expect-msg "] hardlockup_spin_irqs_off+0x" \
		--module "$mod" "$modcmd"
	# Missing CPU feature: Bochs models whose VMX lacks something
	# required (or that have no VMX at all) must get the refusal naming
	# it, skip the VMX tests with that reason and pass the rest. Short
	# boots: 1 CPU, only the VMX and capability-decision tests.
	local vmx_filter="ktest=vmx.*,vmx_caps.*,vmx_guest.basic"
	# Nehalem: EPT and VPID, but no unrestricted guest.
	boot bochs-vmx-no-ug --emu bochs --cpus 1 --mem 64 --timeout 120 \
		--cpu-model corei5_lynnfield_750 \
		--cmdline "exit=bochs $vmx_filter" \
		--expect-msg "vmx: refusing VMX: missing: unrestricted guest; no guests will run" \
		--expect-msg "vmx_guest.basic # SKIP missing: unrestricted guest" \
		--expect-msg "vmx.enabled_on_every_cpu # SKIP missing: unrestricted guest"
	# Core 2: secondary controls without EPT, VPID or the preemption timer.
	boot bochs-vmx-no-ept --emu bochs --cpus 1 --mem 64 --timeout 120 \
		--cpu-model core2_penryn_t9600 \
		--cmdline "exit=bochs $vmx_filter" \
		--expect-msg "vmx: refusing VMX: missing: VMX-preemption timer, EPT, VPID, unrestricted guest, save IA32_EFER (exit control)" \
		--expect-msg "vmx.enabled_on_every_cpu # SKIP missing: VMX-preemption timer, EPT,"
	# Pentium 4 (64-bit): no VMX in CPUID at all.
	boot bochs-vmx-none --emu bochs --cpus 1 --mem 64 --timeout 120 \
		--cpu-model p4_prescott_celeron_336 \
		--cmdline "exit=bochs $vmx_filter" \
		--expect-msg "vmx: refusing VMX: no VMX: CPUID.1:ECX.VMX[5] = 0" \
		--expect-msg "vmx.enabled_on_every_cpu # SKIP no VMX: CPUID.1:ECX.VMX[5] = 0"
	# Bad input: an unknown option is named and the boot goes on; the
	# second one checks that quotes, '$' and ';' reach the kernel intact;
	# a bad value keeps the value before it (hardlockup_thresh=7).
	boot qemu-badopt --emu qemu --cpus 2 --mem 256 \
		--cmdline "expect_mem_mb=256 expect_cpus=2 hardlockup_thresh=7 hardlockup_thresh=7s frobnicate exit=qemu fr'\$x;\"q" \
		--module "$mod" "$modcmd" \
		--expect-msg "cmdline: unknown option 'frobnicate'" \
		--expect-msg "cmdline: bad value '7s' for option 'hardlockup_thresh'" \
		--expect-msg "watchdog: hard lockup after 7 s with interrupts off" \
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
		--expect-msg "] ap_entry+0x" --expect-msg "] ap_trampoline+0x" \
		--expect-msg "*** stopped other CPUs: 1 of 1 parked by NMI"
	boot qemu-crash-df --emu qemu --cpus 1 --mem 128 --expect-crash \
		--cmdline "ktest=crash.* crash_test=df exit=qemu" \
		--expect-msg "*** EXCEPTION #DF double fault (vector 8) on cpu0" \
		--expect-msg "] crash_stack_overflow_recurse+0x" \
		--expect-msg "*** stopped other CPUs: 0 of 0"
	# stack: a kernel thread on cpu1 recurses into the guard page under
	# its stack; #PF cannot push its frame there, so #DF on its IST
	# stack must name the thread and its guard page.
	boot qemu-crash-stack --emu qemu --cpus 2 --mem 128 --expect-crash \
		--cmdline "ktest=crash.* crash_test=stack exit=qemu" \
		--expect-msg "BUG: stack overflow in thread crash_stack (cpu 1), guard page 0x" \
		--expect-msg "*** EXCEPTION #DF double fault (vector 8) on cpu1" \
		--expect-msg "RAX: " \
		--expect-msg "] crash_thread_recurse+0x" \
		--expect-msg "*** stopped other CPUs: 1 of 1 parked by NMI"
	# bootstack: kmain's thread (the ktest runner) on the BSP's boot stack.
	boot qemu-crash-bootstack --emu qemu --cpus 1 --mem 128 --expect-crash \
		--cmdline "ktest=crash.* crash_test=bootstack exit=qemu" \
		--expect-msg "BUG: stack overflow in thread kmain on cpu0 boot stack (cpu 0), guard page 0x" \
		--expect-msg "*** EXCEPTION #DF double fault (vector 8) on cpu0" \
		--expect-msg "] crash_thread_recurse+0x" \
		--expect-msg "*** stopped other CPUs: 0 of 0"
	# Guests: the demonstration set, all at once on 2 CPUs.
	boot bochs-guests --emu bochs --cpus 2 --mem 128 \
		--cmdline "exit=bochs ktest=guests.*" "${guest_set[@]}" \
		--expect-msg "guest hostile: I/O port 0x" \
		--expect-msg "guest cpuid_msr_io: MMIO address 0x20000000: nothing there (read all ones; said once)" \
		--expect-msg "guest cpuid_msr_io: RDMSR of MSR 0x480: no such MSR here (#GP; said once)" \
		--expect-msg "guest hostile: more addresses with nothing there; counted, not logged"
	# The release image (make: build/release/kernel.elf, no in-kernel
	# tests): running the module guests is its whole job.
	KERNEL=build/release/kernel.elf boot bochs-release --emu bochs --cpus 2 \
		--mem 128 --cmdline "exit=bochs" \
		--module $g/hello.elf "name=hello mem=2M" \
		--module $g/hostile.elf "name=hostile mem=2M expect=triple_fault" \
		--expect-msg "[hello] hello over the UART"
	# Each bad_* module is refused with a message naming its problem; hello
	# and mb1_flat in the same boot must still pass.
	local guest_bad_set=(
		--module "$mod" "name=bad_garbage mem=2M"
		--module $g/hello.elf "name=bad_vcpus vcpus=99"
		--module $g/hello.elf "name=bad_mem mem=1G"
		--module $g/hello.elf "name=bad_opt mem=2M frobnicate=1"
		--module $g/hello.elf "name=bad_alias mem=2M alias=99M"
		--module $g/hello.elf "name=bad_huge mem=2M hugepages=3m"
		--module $g/mmu_faults.elf "name=bad_gpa mem=2M test_hooks=1 strict_io=1 -- wild=1"
		--module $g/mmu_faults.elf "name=bad_gpa_width mem=2M test_hooks=1 -- wild=2"
		--module $g/mmu_faults.elf "name=bad_mmio_insn mem=2M test_hooks=1 -- wild=3"
		--module $g/hostile.elf "name=bad_strict_io mem=2M strict_io=1 expect=triple_fault"
		--module $g/hello.elf "name=hello mem=2M"
		--module $g/mb1_flat.bin "name=mb1_flat mem=2M -- mb1 flat"
		# Modules (module_for=): one for no guest, one for an ELF64
		# guest, one bigger than mem= leaves, nine for one guest, a bad
		# module line; and a second guest named hello.
		--module tests/guests/mb1/module.txt "module_for=bad_nosuch -- x"
		--module $g/hello.elf "name=bad_elf64_mod mem=2M"
		--module tests/guests/mb1/module.txt "module_for=bad_elf64_mod"
		--module $g/mb1_flat.bin "name=bad_mod_big mem=2M -- mb1 flat mods=1"
		--module build/kernel.elf "module_for=bad_mod_big -- big"
		--module $g/mb1_flat.bin "name=bad_mods_many mem=2M"
	)
	local i
	for i in 1 2 3 4 5 6 7 8 9; do
		guest_bad_set+=(--module tests/guests/mb1/module.txt "module_for=bad_mods_many -- $i")
	done
	guest_bad_set+=(
		--module tests/guests/mb1/module.txt "module_for=mb1_flat mem=2M"
		--module $g/hello.elf "name=hello mem=2M"
		--module $g/hello.elf "name=bad_testdev mem=2M testdev=yes"
	)
	# Bad guest input: named clearly, the other guests still run.
	boot bochs-guests-bad --emu bochs --cpus 2 --mem 128 \
		--cmdline "exit=bochs ktest=guests.modules" "${guest_bad_set[@]}" \
		--expect-fail '^guests[.]modules([.](bad_.*|module[0-9]+|hello[(]2[)]))?$' \
		--expect-msg "guest bad_garbage: neither ELF64 nor Multiboot" \
		--expect-msg "guest bad_vcpus: vcpus=N: '99' is outside 1..8" \
		--expect-msg "guest bad_mem: mem=1024M is more than the host can give" \
		--expect-msg "guest bad_opt: unknown option 'frobnicate=1'" \
		--expect-msg "guest bad_alias: alias=PAGES: '99M' must be 1..16M pages" \
		--expect-msg "guest bad_huge: hugepages=4k|2m|1g: '3m' must be 4k, 2m or 1g" \
		--expect-msg "guest bad_testdev: testdev=0|1: 'yes' must be 0 or 1" \
		--expect-msg "guest bad_gpa: killed: MMIO address 0x200000: nothing there (strict_io=1)" \
		--expect-msg "guest bad_gpa_width: killed: EPT violation at gpa 0x8000000000 (qual 0x182, W) above the guest physical address width" \
		--expect-msg "guest bad_mmio_insn: killed: EPT violation at gpa 0x20000000 (qual 0x181) outside every memslot: an instruction the MMIO emulator does not know (bytes 03" \
		--expect-msg "guest bad_strict_io: killed: I/O port 0x" \
		--expect-msg "guest bad_nosuch: boot module 12 (module_for=bad_nosuch): no guest named 'bad_nosuch' in this boot" \
		--expect-msg "guest bad_elf64_mod: 1 module(s) given with module_for=, but this is an ELF64 test guest: only Multiboot v1 kernels take modules" \
		--expect-msg "guest bad_mod_big: module 0 ('big', " \
		--expect-msg "guest bad_mods_many: 9 modules (module_for=) for one guest; at most 8" \
		--expect-msg "guest module27: boot module 27: 'mem=2M' on a module line: only module_for=NAME [-- MODULE STRING]" \
		--expect-msg "guest hello(2): a guest named 'hello' is already in this boot (guest 10): names must be unique"
	# The TDP MMU under guests (tests/guests/mmu_*.c, 2 CPUs): faults
	# from both vCPUs, zaps and root invalidation racing them, reclaim
	# and replace, bad MMU requests, data under the memory-pressure
	# worker; seed 000: a defunct root of 1M SPTEs zapped, yielding,
	# while the other vCPU runs, every table page back afterwards.
	boot bochs-mmu --emu bochs --cpus 2 --mem 128 --timeout 400 \
		--cmdline "exit=bochs ktest=guests.modules" \
		--module $g/mmu_faults.elf "name=mmu_faults vcpus=2 mem=4M pressure=1 test_hooks=1 -- pressure=1" \
		--module $g/mmu_seed000.elf "name=mmu_seed000 vcpus=2 mem=4M alias=1M timeout=300 test_hooks=1 -- alias=1M"
	# Huge pages under a guest: 2M backing, memstress, split and
	# coalesce through dirty logging, a harvest racing a writer.
	boot bochs-huge --emu bochs --cpus 2 --mem 128 --timeout 300 \
		--cmdline "exit=bochs ktest=guests.modules" \
		--module $g/mmu_huge.elf "name=mmu_huge vcpus=2 mem=8M hugepages=2m test_hooks=1" \
		--module $g/mmu_huge.elf "name=mmu_huge_4k vcpus=2 mem=8M hugepages=4k test_hooks=1 -- backing=4k" \
		--module $g/mmu_huge.elf "name=mmu_huge_1g mem=10M hugepages=1g test_hooks=1" \
		--expect-msg "guest mmu_huge: RAM backed by 2M blocks where free"
}
