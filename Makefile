# Top-level build for the microhypervisor.
#
#   make            build/kernel.elf and build/microhv.iso (the test kernel),
#                   build/release/kernel.elf and build/microhv-release.iso
#                   (no in-kernel tests, crash tests or built-in test
#                   guests), the test guests; prints both images' sizes
#   make run        boot the demonstration guests under Bochs (2 CPUs, VMX),
#                   serial on the terminal, ends with a summary
#   make run-qemu   boot the kernel alone in QEMU TCG (4 CPUs, no VMX)
#   make test       tests/run_tests.sh (boot harness)
#   make stress     make -C tests/host stress
#   make bench      make -C tests/host bench
#   make bench-guests  VMCALL/CPUID round trips, the virtual LAPIC's
#                   costs (tests/guests/bench_apic.sh), nested VMX and
#                   async page faults (bench_apf.sh) measured by guests in Bochs
#   make bench-mmu  TDP MMU fault-in and seed 000 zap figures in Bochs
#                   (make bench runs it too)
#   make iso ISO=build/x.iso CMDLINE="..." MODULES="path:cmdline ..."
#                   an ISO variant (iso/iso_modules.sh, then iso/mkiso.sh,
#                   which the harness calls directly)
#   make help       every target, one line each
#
# Sources are picked up by wildcard, so a new file needs no edit here.

BUILD		:= build
KERNEL		:= $(BUILD)/kernel.elf
ISO		?= $(BUILD)/microhv.iso
CMDLINE		?=
MODULES		?=
QEMU_SMP	?= 4
QEMU_MEM	?= 256

CC		:= gcc
LD		:= ld
NASM		:= nasm

CFLAGS		:= -std=gnu11 -m64 -O2 -g -ffreestanding -nostdlib -fno-pic \
		   -fno-pie -mcmodel=small -mno-red-zone -fno-stack-protector \
		   -mgeneral-regs-only -fno-omit-frame-pointer \
		   -fno-optimize-sibling-calls -fno-asynchronous-unwind-tables \
		   -fno-strict-aliasing -fno-common --param=min-pagesize=0 -Wall -Wextra -Werror \
		   -Wno-unused-parameter -I. -MMD -MP $(EXTRA_CFLAGS)
ASFLAGS		:= -f elf64 -g -F dwarf -w+all -Werror
LDFLAGS		:= -nostdlib -n -T linker.ld -z max-page-size=0x1000 \
		   --no-warn-rwx-segments -z noexecstack

C_SRCS		:= $(wildcard arch/x86/*.c mm/*.c kernel/*.c vmm/*.c vmm/*/*.c)
ASM_SRCS	:= $(wildcard boot/*.asm arch/x86/*.asm)
# The screen console's font, generated from GRUB's ascii.pf2 (grub-common).
FONT_PF2	:= /usr/share/grub/ascii.pf2
GEN_OBJS	:= $(BUILD)/gen/screen_font.o
OBJS		:= $(patsubst %.c,$(BUILD)/%.o,$(C_SRCS)) \
		   $(patsubst %.asm,$(BUILD)/%.asm.o,$(ASM_SRCS)) $(GEN_OBJS)

# Two images from the same objects. The test kernel (build/kernel.elf,
# build/microhv.iso) links everything; the release kernel
# (build/release/kernel.elf, build/microhv-release.iso: what goes on a USB
# stick) leaves out the in-kernel tests (*_test.c, *_ktest.c), the crash
# tests and the built-in test guests. Both keep the debug checks
# (CONFIG_DEBUG; EXTRA_CFLAGS=-DCONFIG_DEBUG=0 drops them from both).
TEST_ONLY_SRCS	:= $(filter %_test.c %_ktest.c,$(C_SRCS)) \
		   arch/x86/crash_test.c vmm/test_guest.c
RELEASE_KERNEL	:= $(BUILD)/release/kernel.elf
RELEASE_ISO	:= $(BUILD)/microhv-release.iso
RELEASE_OBJS	:= $(patsubst %.c,$(BUILD)/%.o,$(filter-out $(TEST_ONLY_SRCS),$(C_SRCS))) \
		   $(patsubst %.asm,$(BUILD)/%.asm.o,$(ASM_SRCS)) $(GEN_OBJS)

# Debian packages the build and the emulator runs need.
DEPS_PKGS	:= nasm grub-pc-bin grub-efi-amd64-bin grub-common xorriso mtools \
		   qemu-system-x86 ovmf \
		   bochs bochsbios vgabios bochs-sdl python3

# Test guests (tests/guests/): freestanding ELF64 programs on the guest
# library, and a Multiboot v1 kernel built as ELF32 and as a flat a.out-
# kludge image. Their own flags: they are not the kernel.
GUEST_NAMES	:= hello smp cpuid_msr_io hostile roundtrip mmu_faults mmu_seed000 mmu_huge \
		   pc_legacy apic nested_vmx_insn nested_vmx_entry nested_vmx_l2 \
		   nested_ept nested_unsync async_pf apf_tasks
GUEST_CFLAGS	:= -std=gnu11 -m64 -O2 -g -ffreestanding -nostdlib -fno-pic \
		   -fno-pie -mno-red-zone -mgeneral-regs-only \
		   -fno-stack-protector -fno-asynchronous-unwind-tables \
		   -fno-strict-aliasing -fno-builtin -Wall -Wextra -Werror \
		   -Wno-unused-parameter -I. -MMD -MP
GUEST_LDFLAGS	:= -nostdlib -n -z max-page-size=0x1000 --no-warn-rwx-segments \
		   -z noexecstack
GUEST_LIB_OBJS	:= $(patsubst tests/guests/lib/%.c,$(BUILD)/guests/lib/%.o,\
		     $(wildcard tests/guests/lib/*.c)) $(BUILD)/guests/lib/entry.o \
		   $(BUILD)/guests/lib/string.o
GUEST_IMAGES	:= $(patsubst %,$(BUILD)/guests/%.elf,$(GUEST_NAMES)) \
		   $(BUILD)/guests/mb1_elf32.elf $(BUILD)/guests/mb1_flat.bin
MB1_CFLAGS	:= -std=gnu11 -m32 -O2 -ffreestanding -nostdlib -fno-pic \
		   -fno-pie -mgeneral-regs-only -fno-stack-protector \
		   -fno-asynchronous-unwind-tables -Wall -Wextra -Werror -MMD -MP


# make run GUESTS="path:cmdline ...": boot those guests instead of the set.
GUESTS		?=

.PHONY: image-sizes help all iso run run-kvm run-qemu guests bench-guests bench-mmu test stress bench mutants check-deps clean
all: check-deps $(KERNEL) $(BUILD)/microhv.iso $(RELEASE_ISO) guests image-sizes
guests: $(GUEST_IMAGES)
# Keep the guests' objects between builds.
.SECONDARY:

$(BUILD)/guests/lib/%.o: tests/guests/lib/%.c
	@mkdir -p $(dir $@)
	@echo "  CC  $<"; $(CC) $(GUEST_CFLAGS) -c $< -o $@
# The guests use the kernel's own string functions (plain C, no kernel
# state), compiled with the guests' flags.
$(BUILD)/guests/lib/string.o: arch/x86/string.c
	@mkdir -p $(dir $@)
	@echo "  CC  $< (guest)"; $(CC) $(GUEST_CFLAGS) -c $< -o $@
$(BUILD)/guests/lib/entry.o: tests/guests/lib/entry.S
	@mkdir -p $(dir $@)
	@echo "  AS  $<"; $(CC) $(GUEST_CFLAGS) -c $< -o $@
$(BUILD)/guests/%.o: tests/guests/%.c
	@mkdir -p $(dir $@)
	@echo "  CC  $<"; $(CC) $(GUEST_CFLAGS) -c $< -o $@
$(BUILD)/guests/%.elf: $(BUILD)/guests/%.o $(GUEST_LIB_OBJS) tests/guests/lib/guest.ld
	@echo "  LD  $@"; $(LD) $(GUEST_LDFLAGS) -T tests/guests/lib/guest.ld \
		-o $@ $< $(GUEST_LIB_OBJS)

$(BUILD)/guests/mb1/%.o: tests/guests/mb1/%.c
	@mkdir -p $(dir $@)
	@echo "  CC  $<"; $(CC) $(MB1_CFLAGS) -c $< -o $@
$(BUILD)/guests/mb1/entry_elf.o: tests/guests/mb1/entry.S
	@mkdir -p $(dir $@)
	@echo "  AS  $<"; $(CC) $(MB1_CFLAGS) -c $< -o $@
$(BUILD)/guests/mb1/entry_aout.o: tests/guests/mb1/entry.S
	@mkdir -p $(dir $@)
	@echo "  AS  $<"; $(CC) $(MB1_CFLAGS) -DMB1_AOUT_KLUDGE -c $< -o $@
$(BUILD)/guests/mb1_elf32.elf: $(BUILD)/guests/mb1/entry_elf.o $(BUILD)/guests/mb1/mb1.o tests/guests/mb1/mb1.ld
	@echo "  LD  $@"; $(LD) -m elf_i386 $(GUEST_LDFLAGS) -T tests/guests/mb1/mb1.ld \
		-o $@ $(filter %.o,$^)
$(BUILD)/guests/mb1_flat.bin: $(BUILD)/guests/mb1/entry_aout.o $(BUILD)/guests/mb1/mb1.o tests/guests/mb1/mb1.ld
	@echo "  LD  $@"; $(LD) -m elf_i386 $(GUEST_LDFLAGS) -T tests/guests/mb1/mb1.ld \
		-o $@.elf $(filter %.o,$^) && objcopy -O binary $@.elf $@

$(KERNEL): $(OBJS) linker.ld
	@echo "  LD  $@"; $(LD) $(LDFLAGS) -o $@ $(OBJS)

$(RELEASE_KERNEL): $(RELEASE_OBJS) linker.ld
	@mkdir -p $(dir $@)
	@echo "  LD  $@"; $(LD) $(LDFLAGS) -o $@ $(RELEASE_OBJS)

$(RELEASE_ISO): $(RELEASE_KERNEL) iso/mkiso.sh iso/grub.cfg.in
	KERNEL=$(RELEASE_KERNEL) iso/mkiso.sh $@ "$(CMDLINE)"

# What each image weighs (text + data + bss of the ELF, and the file).
image-sizes: $(KERNEL) $(RELEASE_KERNEL)
	@for k in $(KERNEL) $(RELEASE_KERNEL); do \
		size $$k | awk -v k=$$k -v f=$$(stat -c %s $$k) 'NR == 2 { \
		printf "  SIZE %-26s text %7d  data %6d  bss %7d  (file %d KiB)\n", \
		k, $$1, $$2, $$3, f / 1024 }'; done

$(BUILD)/gen/screen_font.c: arch/x86/screen_font.py $(FONT_PF2)
	@mkdir -p $(dir $@)
	@echo "  GEN $@"; python3 arch/x86/screen_font.py $(FONT_PF2) > $@.tmp && mv $@.tmp $@
$(BUILD)/gen/screen_font.o: $(BUILD)/gen/screen_font.c
	@echo "  CC  $<"; $(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC  $<"; $(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/%.asm.o: %.asm
	@mkdir -p $(dir $@)
	@echo "  AS  $<"; $(NASM) $(ASFLAGS) -MD $(BUILD)/$*.asm.d -MP $< -o $@

$(BUILD)/microhv.iso: $(KERNEL) iso/mkiso.sh iso/grub.cfg.in
	KERNEL=$(KERNEL) iso/mkiso.sh $@ "$(CMDLINE)"

# An ISO variant: make iso ISO=build/x.iso CMDLINE="..." MODULES="p:c ..."
# (a module's command line may have several words: iso/iso_modules.sh)
# ISO_KERNEL=release takes the release kernel.
ISO_KERNEL	?= test
ISO_KERNEL_ELF	:= $(if $(filter release,$(ISO_KERNEL)),$(RELEASE_KERNEL),$(KERNEL))
iso: $(ISO_KERNEL_ELF)
	KERNEL=$(ISO_KERNEL_ELF) iso/iso_modules.sh $(ISO) "$(CMDLINE)" "$(MODULES)"

run: all
	GUESTS='$(GUESTS)' tests/guests/run_demo.sh

# Every target, one line each.
help:
	@echo "make              the test kernel (build/kernel.elf, build/microhv.iso), the release kernel"
	@echo "                  (build/release/kernel.elf, build/microhv-release.iso) and the test guests"
	@echo "make run          boot the demonstration guests in Bochs (2 CPUs, VMX); summary at the end"
	@echo "                  GUESTS=\"build/guests/hello.elf:name=hello mem=2M ...\" boots those instead"
	@echo "make run-qemu     boot the kernel alone in QEMU TCG (4 CPUs, no VMX: no guests)"
	@echo "make run-kvm      the tests and guests nested under QEMU/KVM (says which requirement is missing)"
	@echo "make test         the whole test suite (hosted, QEMU and Bochs boots): N passed, N failed"
	@echo "make stress       the hosted tests again, long (HOST_STRESS=1)"
	@echo "make bench        every benchmark: tables on stdout, JSON under build/bench/"
	@echo "make bench-mmu    TDP MMU fault-in (with its breakdown) and seed 000 zap figures in Bochs"
	@echo "make bench-guests VMCALL/CPUID round trips measured by a guest in Bochs"
	@echo "make mutants      break the MMU on purpose and check the hosted tests notice"
	@echo "make iso          an ISO variant: ISO=build/x.iso CMDLINE=\"...\" MODULES=\"path:cmdline ...\" [ISO_KERNEL=release]"
	@echo "make check-deps   install (as root) or name the Debian packages the build needs"
	@echo "make clean        remove build/"
	@echo "make help         this list"

bench-guests: all
	tests/guests/bench_roundtrip.sh
	tests/guests/bench_apic.sh
	tests/guests/bench_nested.sh
	tests/guests/bench_apf.sh

# Nested under QEMU/KVM (needs /dev/kvm, Intel VMX, kvm_intel nested=1).
run-kvm: all
	tests/boot/run_kvm.sh

run-qemu: all
	timeout 120 qemu-system-x86_64 -M pc -m $(QEMU_MEM) -smp $(QEMU_SMP) \
		-cdrom $(BUILD)/microhv.iso -display none -serial stdio \
		-no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04; \
		rc=$$?; [ $$rc -eq 1 ] || [ $$rc -eq 0 ]

test: all
	@if [ -x tests/run_tests.sh ]; then tests/run_tests.sh; \
	else echo "make test: tests/run_tests.sh is missing (harness not landed)"; exit 1; fi

# The TDP MMU in the hypervisor, in Bochs (tests/boot/bench_mmu.sh).
bench-mmu: all
	tests/boot/bench_mmu.sh
bench: bench-mmu bench-guests

stress bench:
	@if [ -f tests/host/Makefile ]; then $(MAKE) -C tests/host $@; \
	else echo "make $@: tests/host/Makefile is missing (hosted tests not landed)"; exit 1; fi

# Break the MMU on purpose and check the hosted tests notice
# (tests/mutants/mutants.txt; MUTANTS_TRIES, MUTANTS_MIN_KILL, HOST_STRESS).
mutants:
	tests/mutants/run.sh

# Install what is missing when root, otherwise say exactly what to run.
check-deps:
	@missing=""; for p in $(DEPS_PKGS); do \
		dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "check-deps: installing$$missing"; \
			DEBIAN_FRONTEND=noninteractive apt-get update && \
			DEBIAN_FRONTEND=noninteractive apt-get install -y $$missing; \
		else \
			echo "check-deps: missing packages; run:"; \
			echo "  sudo apt-get install -y$$missing"; exit 1; \
		fi; \
	fi

clean:
	rm -rf $(BUILD)

-include $(OBJS:.o=.d) $(wildcard $(BUILD)/guests/*.d $(BUILD)/guests/*/*.d)
