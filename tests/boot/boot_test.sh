#!/usr/bin/env bash
# Boot one ISO under one emulator configuration and judge its serial log.
#
#   boot_test.sh --name NAME --emu qemu|bochs --cpus N --mem MB
#                [--timeout SECONDS] [--cmdline "KERNEL OPTIONS"]
#                [--module PATH "MODULE CMDLINE"]... [--iso PREBUILT.iso]
#                [--expect-msg "TEXT"]... [--expect-fail REGEX] [--allow-bug]
#                [--expect-crash] [--qemu-arg ARG]... [--cpu-model MODEL]
#                [--firmware bios|uefi] [--boot-from cdrom|usb]
#                [--bochs-ips N]
#
# Builds build/test-iso/NAME.iso with iso/mkiso.sh (unless --iso is given),
# runs the emulator under `timeout`, keeps everything under build/test-logs/:
#   NAME.log         the full serial log (COM1)
#   NAME.emu.log     the emulator's own stdout/stderr
#   NAME.bochs.log   Bochs' log file, NAME.bochsrc its generated config
#   NAME.time        seconds from emulator start to the first KTAP line and
#                    to the end of the run
# and prints TAP for this one run: a plan, numbered results ("ok 3 NAME:
# test") and "#" comments. Exits 0 when every result is ok.
#
# Judging: serial output first (tests/boot/judge_ktap.awk), the emulator's
# exit status second - QEMU's isa-debug-exit gives 1 for pass and 3 for
# fail; Bochs exits 1 after the 0x8900 "Shutdown" port or ACPI power-off
# and 0 after a magic breakpoint, so for Bochs any of those is accepted and
# the serial log decides (EMULATORS.md).
#
# --firmware uefi (QEMU): boot by UEFI with Debian's OVMF on a q35
# machine (a fresh copy of its variable store per run); default: SeaBIOS on
# pc. --boot-from usb (QEMU): attach the image as a USB stick (XHCI +
# usb-storage) instead of a CD - the same hybrid image boots both ways.
#
# --cpu-model: the Bochs CPU model (bochs -help cpu lists them); the
# default, corei7_skylake_x, has everything VMX needs. Older models test
# the refusal of a CPU that lacks something required.
#
# --bochs-ips: Bochs' emulated instructions per emulated second (its
# default 4000000). Under clock sync=none time IS instructions: at 4 MIPS a
# millisecond is 4000 instructions, less than one VM exit's host path, so
# a benchmark of millisecond latencies asks for more (it only changes how
# much work fits into a second, not how fast Bochs runs).
#
# --expect-crash: the kernel must crash on purpose (crash_test=...): its
# exception report is the expected outcome, checked line by line with
# --expect-msg, and the run must still end by itself with a fail status.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root" || exit 1

name="" emu="" cpus=1 mem=256 tmo="" cmdline="" iso=""
allow_bug=0 expect_fail="" expect_crash=0 cpu_model=corei7_skylake_x
firmware=bios boot_from=cdrom bochs_ips=4000000
modules=() msgs=() qemu_args=()

while [ $# -gt 0 ]; do
	case $1 in
	--name) name=$2; shift 2 ;;
	--emu) emu=$2; shift 2 ;;
	--cpus) cpus=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--timeout) tmo=$2; shift 2 ;;
	--cmdline) cmdline=$2; shift 2 ;;
	--module) modules+=("$2" "$3"); shift 3 ;;
	--iso) iso=$2; shift 2 ;;
	--expect-msg) msgs+=("$2"); shift 2 ;;
	--expect-fail) expect_fail=$2; shift 2 ;;
	--allow-bug) allow_bug=1; shift ;;
	--expect-crash) expect_crash=1; shift ;;
	--qemu-arg) qemu_args+=("$2"); shift 2 ;;
	--cpu-model) cpu_model=$2; shift 2 ;;
	--firmware) firmware=$2; shift 2 ;;
	--boot-from) boot_from=$2; shift 2 ;;
	--bochs-ips) bochs_ips=$2; shift 2 ;;
	*) echo "boot_test.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
done
if [ -z "$name" ] || { [ "$emu" != qemu ] && [ "$emu" != bochs ]; }; then
	echo "usage: boot_test.sh --name NAME --emu qemu|bochs [options]" >&2
	exit 2
fi
# Bochs boots GRUB at a few MIPS and slower still per extra CPU.
[ -n "$tmo" ] || { [ "$emu" = qemu ] && tmo=60 || tmo=240; }

logdir=build/test-logs
mkdir -p "$logdir" build/test-iso
serial=$logdir/$name.log
emulog=$logdir/$name.emu.log
timef=$logdir/$name.time
rm -f "$serial" "$emulog" "$timef" "$logdir/$name.bochs.log"

# Results of this run, numbered at the end.
results=()
result() { results+=("$1"); }

finish() {
	local i=0 failed=0 r
	echo "1..${#results[@]}"
	for r in "${results[@]}"; do
		i=$((i + 1))
		case $r in
		"not ok "*) failed=1; echo "not ok $i ${r#not ok }" ;;
		*) echo "ok $i ${r#ok }" ;;
		esac
	done
	exit $failed
}

# --- the image ---------------------------------------------------------
if [ -z "$iso" ]; then
	iso=build/test-iso/$name.iso
	if ! iso/mkiso.sh "$iso" "$cmdline" "${modules[@]}" \
		> "$logdir/$name.mkiso.log" 2>&1; then
		result "not ok $name: building the ISO failed (see $logdir/$name.mkiso.log)"
		finish
	fi
fi
if [ ! -f "$iso" ]; then
	result "not ok $name: no ISO at $iso"
	finish
fi

# --- the run -------------------------------------------------------------
case $emu in
qemu)
	machine=(-M pc)
	if [ "$firmware" = uefi ]; then
		ovmf=/usr/share/OVMF
		if [ ! -f "$ovmf/OVMF_CODE_4M.fd" ]; then
			result "not ok $name: no $ovmf/OVMF_CODE_4M.fd (Debian: apt-get install ovmf)"
			finish
		fi
		cp "$ovmf/OVMF_VARS_4M.fd" "$logdir/$name.ovmf-vars.fd"
		machine=(-M q35
			 -drive "if=pflash,format=raw,readonly=on,file=$ovmf/OVMF_CODE_4M.fd"
			 -drive "if=pflash,format=raw,file=$logdir/$name.ovmf-vars.fd")
	elif [ "$firmware" != bios ]; then
		result "not ok $name: --firmware must be bios or uefi, not '$firmware'"
		finish
	fi
	if [ "$boot_from" = usb ]; then
		media=(-device qemu-xhci,id=xhci
		       -drive "if=none,id=stick,format=raw,readonly=on,file=$iso"
		       -device usb-storage,bus=xhci.0,drive=stick,bootindex=0)
	else
		media=(-cdrom "$iso")
	fi
	cmd=(qemu-system-x86_64 "${machine[@]}" -m "$mem" -smp "$cpus"
	     "${media[@]}" -display none -serial "file:$serial"
	     -monitor none -no-reboot
	     -device isa-debug-exit,iobase=0xf4,iosize=0x04
	     "${qemu_args[@]}")
	;;
bochs)
	rc=$logdir/$name.bochsrc
	cmds=$logdir/$name.bochscmds
	sed -e "s|@CPUS@|$cpus|g" -e "s|@MEM@|$mem|g" -e "s|@MODEL@|$cpu_model|g" -e "s|@IPS@|$bochs_ips|g" -e "s|@ISO@|$iso|g" \
	    -e "s|@SERIAL@|$serial|g" -e "s|@LOG@|$logdir/$name.bochs.log|g" \
	    "$here/bochsrc.in" > "$rc"
	# The binary starts in its debugger: continue, and quit when a magic
	# breakpoint (xchg bx,bx) hands control back to it.
	printf 'continue\nquit\n' > "$cmds"
	cmd=(env SDL_VIDEODRIVER=dummy bochs -q -f "$rc" -rc "$cmds")
	;;
esac

now() { printf '%s' "${EPOCHREALTIME/,/.}"; }
t0=$(now)
timeout --kill-after=5 "$tmo" "${cmd[@]}" < /dev/null > "$emulog" 2>&1 &
pid=$!

# Poll the serial file for the first KTAP line: cheap, and the same for
# both emulators (Bochs flushes COM1 to its file per byte).
t_ktap=""
while kill -0 "$pid" 2> /dev/null; do
	if [ -z "$t_ktap" ] && grep -q "KTAP version" "$serial" 2> /dev/null; then
		t_ktap=$(now)
	fi
	sleep 0.1
done
wait "$pid"
status=$?
t_end=$(now)
if [ -z "$t_ktap" ] && grep -q "KTAP version" "$serial" 2> /dev/null; then
	t_ktap=$t_end
fi

first=$( [ -n "$t_ktap" ] && awk -v a="$t0" -v b="$t_ktap" 'BEGIN{printf "%.1f", b - a}' || echo "-")
total=$(awk -v a="$t0" -v b="$t_end" 'BEGIN{printf "%.1f", b - a}')
printf 'first_ktap_s=%s total_s=%s exit=%s\n' "$first" "$total" "$status" > "$timef"
echo "# $name: first KTAP line after ${first}s, run took ${total}s, exit status $status"

# --- judging --------------------------------------------------------------
expect_done=pass
[ -n "$expect_fail" ] && expect_done=fail
[ "$expect_crash" = 1 ] && expect_done=fail
crash_re='Kernel panic|BUG:|\*\*\* EXCEPTION|\*\*\* nested|Triple fault|triple fault'
msgsep=""
msgstr=""
for m in "${msgs[@]}"; do
	msgstr+="$msgsep$m"
	msgsep=$'\034'
done

[ -f "$serial" ] || : > "$serial"
while IFS= read -r r; do
	result "$r"
done < <(awk -v name="$name" -v expect_done="$expect_done" \
	     -v expect_fail="$expect_fail" -v allow_bug="$allow_bug" \
	     -v expect_crash="$expect_crash" \
	     -v crash_re="$crash_re" -v msgs="$msgstr" \
	     -f "$here/judge_ktap.awk" "$serial")

case $status in
124|137)
	result "not ok $name: timed out after ${tmo}s (hang or too slow)" ;;
*)
	if [ "$emu" = qemu ]; then
		want=1
		[ "$expect_done" = fail ] && want=3
		case $status in
		"$want") result "ok $name: QEMU exit status $status (isa-debug-exit)" ;;
		0) result "not ok $name: QEMU exit status 0: reset/triple fault (-no-reboot) or power-off instead of isa-debug-exit" ;;
		*) result "not ok $name: QEMU exit status $status, expected $want" ;;
		esac
	else
		# Bochs' log records a panic before it quits; the Shutdown port
		# is logged as a panic too but is how the kernel ends a run.
		blog=$logdir/$name.bochs.log
		bpanic=$(grep -a '>>PANIC<<' "$blog" 2> /dev/null |
			 grep -v 'Shutdown port: shutdown requested' | head -1)
		if [ -n "$bpanic" ]; then
			result "not ok $name: Bochs panic: ${bpanic#*>>PANIC<< }"
		elif [ "$status" = 0 ] || [ "$status" = 1 ]; then
			result "ok $name: Bochs exit status $status"
		else
			result "not ok $name: Bochs exit status $status"
		fi
	fi
	;;
esac

finish
