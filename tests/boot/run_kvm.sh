#!/usr/bin/env bash
# make run-kvm: boot the test image nested under QEMU/KVM (-enable-kvm
# -cpu host) with the demonstration guests, so the VMX suite and the
# guests run on a real VMX CPU (the nested use case Bochs cannot give).
#
#   tests/boot/run_kvm.sh           check, then boot and judge (TAP)
#   tests/boot/run_kvm.sh --check   only say whether it can run (exit 0)
#                                   or which requirement is missing (1)
#
# Needs: /dev/kvm usable by this user, an Intel CPU with VMX, and
# kvm_intel loaded with nested=1 (otherwise the guest CPU has no VMX).
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 1

why_not() {
	if [ ! -e /dev/kvm ]; then
		echo "no /dev/kvm (no KVM on this host, or the module is not loaded)"
	elif [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
		echo "/dev/kvm is not readable and writable by $(id -un) (add it to group kvm)"
	elif ! grep -q '^vendor_id.*GenuineIntel' /proc/cpuinfo; then
		echo "the CPU is not Intel ($(grep -m1 '^vendor_id' /proc/cpuinfo | cut -d: -f2 | tr -d ' ')): nested VMX needs kvm_intel"
	elif ! grep -qw vmx /proc/cpuinfo; then
		echo "the CPU shows no vmx flag (VMX off in the firmware, or we are a guest without nested VMX)"
	elif [ ! -r /sys/module/kvm_intel/parameters/nested ]; then
		echo "kvm_intel is not loaded (modprobe kvm_intel nested=1)"
	else
		case $(cat /sys/module/kvm_intel/parameters/nested) in
		Y|y|1) return 1 ;;
		*) echo "kvm_intel nested=0: reload with 'modprobe -r kvm_intel; modprobe kvm_intel nested=1'" ;;
		esac
	fi
	return 0
}

if reason=$(why_not); then
	echo "run-kvm: cannot run: $reason" >&2
	exit 1
fi
[ "${1:-}" = --check ] && exit 0

. tests/boot/configs.sh
exec tests/boot/boot_test.sh --name kvm-nested --emu qemu --cpus 4 \
	--mem 1024 --timeout 300 --qemu-arg -enable-kvm --qemu-arg -cpu \
	--qemu-arg host --cmdline "exit=qemu expect_vmx=1" "${guest_set[@]}"
