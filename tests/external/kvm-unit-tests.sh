#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# kvm-unit-tests' x86 test kernels, on bare Bochs and under the hypervisor
# in Bochs, side by side. Not part of `make test`: the tests are written
# by others and live outside this repository.
#
#   tests/external/kvm-unit-tests.sh DIR [--only REGEX] [--timeout S]
#                                        [--bare-only | --hv-only] [--out D]
#
# DIR is a built kvm-unit-tests checkout (./configure --arch=x86_64 &&
# make). For every test of DIR/x86/unittests.cfg (file, smp, test_args,
# qemu_params' -m, timeout, groups; --only matches a name or a group;
# tests that need KVM, a QEMU device, -cpu host, more than 2 GiB or an
# i386 build are listed as not run, with the reason) it boots:
#  bare  Bochs (corei7_skylake_x, `smp` CPUs) with a GRUB ISO whose
#        Multiboot kernel is the .flat and whose one module is the
#        environment file kvm-unit-tests reads when no fw_cfg is there
#        (NR_CPUS, MEMSIZE, BOOTLOADER=1, TEST_DEVICE=0);
#  hv    Bochs running this repository's release kernel with the .flat as
#        the guest "name=T vcpus=S mem=M [nested=1] -- ARGS" (nested=1 where
#        the cfg asks QEMU for +vmx) and the environment file
#        as its module "module_for=T" (vmm/loader/guest_cmdline.h).
# Each is judged from its serial output: kvm-unit-tests' "SUMMARY: N
# tests[, M unexpected failures][, K skipped]" line (PASS, FAIL, or SKIP
# when every test skipped); under the hypervisor also from the guest's
# exit status in the KTAP report (kvm-unit-tests writes 0 pass, 1 fail,
# 38 skip to port 0xf4; QEMU would exit with (code << 1) | 1).
#
# Bare-Bochs quirk (docs/EMULATORS.md): Bochs 2.7 ignores a write that
# sets IA32_APIC_BASE.EN again after one that cleared it, and
# kvm-unit-tests' start-up (reset_apic) does both, leaving a dead APIC. The
# bare column therefore runs images built from a copy of DIR in
# DIR/bochs-bare/ whose reset_apic skips the disable while the APIC is in
# xAPIC mode (made and built once, here). The hypervisor column runs DIR's
# own, unchanged images: the MSR is ours to virtualize.
#
# Prints one row per test - test, bare result, hv result, bare and hv wall
# seconds, bare and hv Bochs ticks at the end of the run (clock:
# sync=none: emulated instructions; the hv figure includes booting the
# hypervisor) - then the tests skipped with their reason and
# "N tests: X pass bare, Y pass under the hypervisor, Z both". Logs and
# a results.tsv go to --out D (default build/kvm-unit-tests/). --timeout
# is per boot (default 90 s, or twice the cfg's timeout when larger).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

usage() {
	echo "usage: $0 KUT_DIR [--only REGEX] [--timeout SECONDS] [--bare-only|--hv-only] [--out DIR]" >&2
	exit 2
}
[ $# -ge 1 ] || usage
kut=$(cd "$1" 2>/dev/null && pwd) || { echo "kvm-unit-tests: no directory '$1'" >&2; exit 2; }
shift
only="" tmo=90 do_bare=1 do_hv=1 out=$root/build/kvm-unit-tests
while [ $# -gt 0 ]; do
	case $1 in
	--only) only=$2; shift 2 ;;
	--timeout) tmo=$2; shift 2 ;;
	--bare-only) do_hv=0; shift ;;
	--hv-only) do_bare=0; shift ;;
	--out) out=$2; shift 2 ;;
	-j) shift 2 ;;	# accepted, ignored: one Bochs at a time on 2 cores
	*) usage ;;
	esac
done
cfg=$kut/x86/unittests.cfg
[ -f "$cfg" ] || { echo "kvm-unit-tests: $cfg not found (is '$kut' a kvm-unit-tests checkout?)" >&2; exit 2; }
ls "$kut"/x86/*.flat >/dev/null 2>&1 ||
	{ echo "kvm-unit-tests: no x86/*.flat in $kut: run ./configure --arch=x86_64 && make there" >&2; exit 2; }
for tool in bochs grub-mkrescue xorriso timeout; do
	command -v $tool >/dev/null ||
		{ echo "kvm-unit-tests: '$tool' is missing (Debian: bochs bochsbios vgabios bochs-sdl grub-pc-bin grub-common xorriso)" >&2; exit 2; }
done
mkdir -p "$out/logs" "$out/iso" && out=$(cd "$out" && pwd) || exit 2
# KUT_KERNEL: another build of the hypervisor (e.g. build/kernel.elf, the
# test kernel with lockdep and the watchdogs) for the hypervisor column.
release_kernel=${KUT_KERNEL:-$root/build/release/kernel.elf}
if [ $do_hv = 1 ] && [ ! -f "$release_kernel" ]; then
	echo "kvm-unit-tests: $release_kernel missing: run make in $root first" >&2
	exit 2
fi

# The bare images: DIR copied to DIR/bochs-bare, reset_apic patched, built.
bare_dir=$kut/bochs-bare
prepare_bare() {
	local stamp=$bare_dir/.built
	if [ -f "$stamp" ] && [ -z "$(find "$kut/x86" "$kut/lib" -newer "$stamp" -name '*.[chS]' -print -quit)" ]; then
		return 0
	fi
	echo "# building the bare-Bochs images in $bare_dir (reset_apic patched)" >&2
	rm -rf "$bare_dir"
	mkdir -p "$bare_dir"
	(cd "$kut" && tar --exclude=./bochs-bare --exclude=.git --exclude='*.o' \
		--exclude='*.flat' --exclude='*.elf' -cf - .) | tar -C "$bare_dir" -xf - || return 1
	# Bochs-only: keep the APIC enabled (its re-enable is ignored).
	perl -0pi -e 's/void reset_apic\(void\)\n\{\n\tdisable_apic\(\);/void reset_apic(void)\n{\n\t\/* bochs-bare: Bochs ignores re-enabling a disabled APIC *\/\n\tif (rdmsr(MSR_IA32_APICBASE) & APIC_EXTD)\n\t\tdisable_apic();\n\telse\n\t\tthis_cpu_write_apic_ops((void *)&xapic_ops);/' \
		"$bare_dir/lib/x86/apic.c"
	grep -q 'bochs-bare' "$bare_dir/lib/x86/apic.c" ||
		{ echo "kvm-unit-tests: could not patch reset_apic in $bare_dir/lib/x86/apic.c" >&2; return 1; }
	# Bare Bochs has no exit device at 0xf4: print the status we judge.
	perl -0pi -e 's/([ \t]*\/\* test device exit \(with status\) \*\/\n)/\t\/* bochs-bare: no exit device to read the status from *\/\n\tprintf("\\nEXIT: STATUS=%d\\n", code);\n$1/' \
		"$bare_dir/lib/x86/io.c"
	grep -q 'EXIT: STATUS' "$bare_dir/lib/x86/io.c" ||
		{ echo "kvm-unit-tests: could not patch exit() in $bare_dir/lib/x86/io.c" >&2; return 1; }
	(cd "$bare_dir" && ./configure --arch=x86_64 >/dev/null && make -s -j2 >"$out/bare-build.log" 2>&1) ||
		{ echo "kvm-unit-tests: building $bare_dir failed, see $out/bare-build.log" >&2; return 1; }
	touch "$stamp"
}
if [ $do_bare = 1 ]; then
	prepare_bare || exit 1
fi

# unittests.cfg -> one line per test: name|file|smp|test_args|qemu_params|arch|accel|timeout|groups
parse_cfg() {
	awk '
	function flush() {
		if (name != "")
			print name "|" f["file"] "|" f["smp"] "|" f["test_args"] "|" \
			      f["qemu_params"] "|" f["arch"] "|" f["accel"] "|" \
			      f["timeout"] "|" f["groups"]
		delete f
	}
	/^[[:space:]]*#/ { next }
	/^\[.*\]/ { flush(); name = substr($0, 2, index($0, "]") - 2); next }
	/^[a-z_]+[[:space:]]*=/ {
		k = $0; sub(/[[:space:]]*=.*/, "", k)
		v = $0; sub(/^[^=]*=[[:space:]]*/, "", v); gsub(/\|/, " ", v)
		f[k] = v
	}
	END { flush() }' "$cfg"
}

# Why a test cannot be run here, or nothing.
skip_reason() {	# file qemu_params arch accel name
	local file=$1 qp=$2 arch=$3 accel=$4 name=$5 m
	[ "$arch" = i386 ] && { echo "i386 only (this is an x86_64 build)"; return; }
	[ "$accel" = kvm ] && { echo "needs KVM (accel = kvm)"; return; }
	case " $qp " in
	*" -device "*) echo "needs a QEMU device:$(echo "$qp" | grep -o -- '-device [^ ]*' | sed 's/-device//' | tr '\n' ' ')"; return ;;
	*"-cpu host"*) echo "needs -cpu host (KVM)"; return ;;
	*hv_*) echo "Hyper-V enlightenments (KVM)"; return ;;
	esac
	case $name in
	kvmclock_test) echo "KVM's paravirtual clock (needs KVM)"; return ;;
	esac
	m=$(mem_of "$qp")
	[ "$m" -gt 2048 ] && { echo "needs ${m} MiB (-m); Bochs runs here get at most 2048"; return; }
	[ -f "$kut/x86/$file" ] || { echo "x86/$file not built"; return; }
}

# -m N[M|G] from qemu_params, in MiB (kvm-unit-tests' default: 256).
mem_of() {
	local m
	m=$(echo "$1" | grep -o -- '-m [0-9]*[MmGg]\?' | head -1 | sed 's/-m //')
	case $m in
	"") echo 256 ;;
	*[gG]) echo $(( ${m%?} * 1024 )) ;;
	*[mM]) echo "${m%?}" ;;
	*) echo "$m" ;;
	esac
}

# Judge kvm-unit-tests' serial text: PASS, FAIL or SKIP, plus a reason.
# Without a SUMMARY line (sieve, realmode, ... just return from main),
# the exit status decides: @2, or the bare images' "EXIT: STATUS=N".
judge_kut() {	# log [exit status]
	local sum st=${2:-} exc
	sum=$(grep -a -o 'SUMMARY: .*' "$1" | tail -1 | tr -d '\r')
	# realmode.flat reports "--- DONE: <failed> ---" and exits from real
	# mode, which does not reach the Bochs shutdown port.
	if [ -z "$sum" ] && [ -z "$st" ]; then
		st=$(grep -a -o -- '--- DONE: [0-9]* ---' "$1" | tail -1 | sed 's/[^0-9]//g')
		[ -n "$st" ] && [ "$st" != 0 ] && st=1
	fi
	exc=$(grep -a -o -m1 'Unhandled exception [^\r]*' "$1")
	[ -n "$exc" ] && sum="${sum:+$sum; }$exc"
	[ -z "$st" ] && st=$(grep -a -o 'EXIT: STATUS=[0-9]*' "$1" | tail -1 | sed 's/.*=//')
	if ! [[ $sum == SUMMARY* ]]; then
		sum=${sum:+; $sum}
		case $st in
		"") echo "FAIL no SUMMARY line and no exit status$sum" ;;
		0) echo "PASS exit status 0 (no SUMMARY line)$sum" ;;
		38) echo "SKIP exit status 38 (no SUMMARY line)$sum" ;;
		*) echo "FAIL exit status $st (no SUMMARY line)$sum" ;;
		esac
		return
	fi
	case $sum in
	*"unexpected failures"*) echo "FAIL $sum" ;;
	*) local n k
	   n=$(echo "$sum" | sed -n 's/SUMMARY: \([0-9]*\) tests.*/\1/p')
	   k=$(echo "$sum" | sed -n 's/.* \([0-9]*\) skipped.*/\1/p')
	   # Every test skipped, or none run at all (a missing feature: the
	   # test exits 38 where it can): a skip, not a pass.
	   if { [ -n "$k" ] && [ "$k" = "$n" ]; } || [ "$n" = 0 ]; then
		echo "SKIP $sum"
	   else
		echo "PASS $sum"
	   fi ;;
	esac
}

make_env() {	# file smp mem_mb
	printf 'NR_CPUS=%s\nMEMSIZE=%s\nBOOTLOADER=1\nTEST_DEVICE=0\n' "$2" "$3" >"$1"
}

# Bochs config for @cpus CPUs and @mem MiB booting @iso, serial to @serial.
bochsrc() {	# rc iso cpus mem serial log
	sed -e "s|@MODEL@|corei7_skylake_x|" -e "s|@CPUS@|$3|" -e "s|@MEM@|$4|g" \
	    -e "s|@ISO@|$2|" -e "s|@SERIAL@|$5|" -e "s|@LOG@|$6|" \
	    "$root/tests/boot/bochsrc.in" >"$1"
}

run_bochs() {	# rc seconds: sets bochs_rc and bochs_wall (seconds)
	local t0 t1 cmds=$out/bochs.cmds
	printf 'continue\nquit\n' >"$cmds"
	t0=$(date +%s.%N)
	timeout -k 5 "$2" env SDL_VIDEODRIVER=dummy bochs -q -f "$1" -rc "$cmds" \
		</dev/null >"${1%.bochsrc}.emu.log" 2>&1
	bochs_rc=$?
	t1=$(date +%s.%N)
	bochs_wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
	# Emulated ticks when it ended (the log line of the shutdown port).
	bochs_ticks=$(grep -a -o '^[0-9]*[a-z]\[UNMAP *\] >>PANIC<< Shutdown' "${1%.bochsrc}.bochs.log" 2>/dev/null |
		      head -1 | sed 's/[a-z].*//; s/^0*//')
	[ -n "$bochs_ticks" ] || bochs_ticks=-
}

run_bare() {	# name file smp mem args seconds -> "RESULT reason|secs"
	local name=$1 file=$2 smp=$3 mem=$4 args=$5 secs=$6
	local stage iso=$out/iso/bare-$name.iso log=$out/logs/bare-$name.log
	local rc=$out/logs/bare-$name.bochsrc wall verdict
	stage=$(mktemp -d "${TMPDIR:-/tmp}/kut-iso.XXXXXX")
	mkdir -p "$stage/boot/grub"
	cp "$bare_dir/x86/$file" "$stage/boot/$file"
	make_env "$stage/boot/env" "$smp" "$mem"
	cat >"$stage/boot/grub/grub.cfg" <<EOF
set timeout=0
set default=0
menuentry "kvm-unit-tests $name" {
	multiboot /boot/$file $args
	module /boot/env
	boot
}
EOF
	grub-mkrescue -o "$iso" "$stage" >"$out/logs/bare-$name.mkiso.log" 2>&1 ||
		{ rm -rf "$stage"; echo "FAIL grub-mkrescue failed|0|-"; return; }
	rm -rf "$stage"
	rm -f "$log"
	bochsrc "$rc" "$iso" "$smp" "$mem" "$log" "$out/logs/bare-$name.bochs.log"
	run_bochs "$rc" "$secs"
	wall="$bochs_wall|$bochs_ticks"
	touch "$log"
	verdict=$(judge_kut "$log")
	[ $bochs_rc -ge 124 ] && verdict="${verdict%% *} timed out after ${secs}s; ${verdict#* }"
	echo "$verdict|$wall"
}

run_hv() {	# name file smp mem args seconds qemu_params -> "RESULT reason|secs"
	local name=$1 file=$2 smp=$3 mem=$4 args=$5 secs=$6 qparams=$7 nested=
	local gname iso=$out/iso/hv-$name.iso log=$out/logs/hv-$name.log
	local rc=$out/logs/hv-$name.bochsrc env=$out/iso/hv-$name.env
	local wall verdict host_cpus=1 host_mem status guest_log
	gname=$(echo "$name" | tr -c 'A-Za-z0-9_\n-' '_' | cut -c1-31)
	[ "$mem" -gt 1024 ] && { echo "SKIP guests get at most mem=1G (test wants ${mem} MiB)|0|-"; return; }
	[ "$smp" -gt 8 ] && { echo "SKIP guests get at most 8 vCPUs|0|-"; return; }
	[ "$smp" -gt 1 ] && host_cpus=2
	host_mem=$((mem + 128))
	# QEMU's "-cpu ...,+vmx": the guest is an L1 hypervisor (nested=1).
	case $qparams in *+vmx*) nested=" nested=1" ;; esac
	make_env "$env" "$smp" "$mem"
	KERNEL=$release_kernel "$root/iso/mkiso.sh" "$iso" "exit=bochs" \
		"$kut/x86/$file" "name=$gname vcpus=$smp mem=${mem}M timeout=$secs testdev=1$nested -- $args" \
		"$env" "module_for=$gname" >"$out/logs/hv-$name.mkiso.log" 2>&1 ||
		{ echo "FAIL mkiso failed (see $out/logs/hv-$name.mkiso.log)|0|-"; return; }
	rm -f "$log"
	bochsrc "$rc" "$iso" "$host_cpus" "$host_mem" "$log" "$out/logs/hv-$name.bochs.log"
	run_bochs "$rc" $((secs + 60))
	wall="$bochs_wall|$bochs_ticks"
	touch "$log"
	# The guest's UART lines come out as "[NAME] text".
	guest_log=$out/logs/hv-$name.guest.log
	sed -n "s/^.*\[$gname\] //p" "$log" | tr -d '\r' >"$guest_log"
	status=$(grep -a -o "# $gname: .*passed.*, \(exit status [0-9]*\|died\|no exit\)" "$log" | tail -1 | sed 's/.*, //')
	verdict=$(judge_kut "$guest_log" "$(echo "$status" | sed -n 's/exit status //p')")
	if grep -aq "guest $gname: " "$log" && grep -aq "# $gname: refused: " "$log"; then
		verdict="FAIL refused: $(grep -a -o "# $gname: refused: .*" "$log" | head -1 | sed 's/.*refused: //')"
	elif [ -z "$status" ]; then
		verdict="FAIL no guest report from the hypervisor; ${verdict#* }"
	else
		case "${verdict%% *}:$status" in
		PASS:"exit status 0"|SKIP:"exit status 38"|FAIL:*) ;;
		*) verdict="FAIL $status; ${verdict#* }" ;;
		esac
		death=$(grep -a -o "# $gname: death: .*" "$log" | head -1 | sed 's/.*death: //')
		[ -n "$death" ] && verdict="$verdict; died: $death"
	fi
	echo "$verdict|$wall"
}

tsv=$out/results.tsv
printf 'test\tbare\thv\tbare_s\thv_s\tbare_ticks\thv_ticks\tbare_why\thv_why\n' >"$tsv"
skipped=()
n=0 pass_bare=0 pass_hv=0 pass_both=0
printf '%-34s %-6s %-6s %7s %7s %12s %12s\n' TEST BARE HV BARE_S HV_S BARE_TICKS HV_TICKS
while IFS='|' read -r name file smp args qp arch accel ctmo groups; do
	# --only REGEX: the test's name or one of its groups.
	if [ -n "$only" ] && ! [[ $name =~ $only ]]; then
		hit=
		for grp in $groups; do [[ $grp =~ $only ]] && hit=1; done
		[ -n "$hit" ] || continue
	fi
	why=$(skip_reason "$file" "$qp" "$arch" "$accel" "$name")
	if [ -n "$why" ]; then
		skipped+=("$name: $why")
		continue
	fi
	smp=${smp:-1}
	# test_args may be quoted in the cfg; the kernel gets the words.
	args=$(echo "$args" | tr -d "\"'")
	mem=$(mem_of "$qp")
	secs=$tmo
	[ -n "$ctmo" ] && [ $((ctmo * 2)) -gt "$secs" ] && secs=$((ctmo * 2))
	bare="-" bare_s="-" bare_t="-" bare_why="" hv="-" hv_s="-" hv_t="-" hv_why=""
	if [ $do_bare = 1 ]; then
		r=$(run_bare "$name" "$file" "$smp" "$mem" "$args" "$secs")
		bare_t=${r##*|}; r=${r%|*}; bare_s=${r##*|}; r=${r%|*}
		bare=${r%% *}; bare_why=${r#* }
	fi
	if [ $do_hv = 1 ]; then
		r=$(run_hv "$name" "$file" "$smp" "$mem" "$args" "$secs" "$qp")
		hv_t=${r##*|}; r=${r%|*}; hv_s=${r##*|}; r=${r%|*}
		hv=${r%% *}; hv_why=${r#* }
	fi
	n=$((n + 1))
	[ "$bare" = PASS ] && pass_bare=$((pass_bare + 1))
	[ "$hv" = PASS ] && pass_hv=$((pass_hv + 1))
	[ "$bare" = PASS ] && [ "$hv" = PASS ] && pass_both=$((pass_both + 1))
	printf '%-34s %-6s %-6s %7s %7s %12s %12s\n' "$name" "$bare" "$hv" \
		"$bare_s" "$hv_s" "$bare_t" "$hv_t"
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$bare" "$hv" "$bare_s" \
		"$hv_s" "$bare_t" "$hv_t" "$bare_why" "$hv_why" >>"$tsv"
done < <(parse_cfg)
if [ ${#skipped[@]} -gt 0 ]; then
	echo "# not run (${#skipped[@]}):"
	for s in "${skipped[@]}"; do echo "#   $s"; done
fi
echo "# details: $tsv; logs: $out/logs/"
echo "$n tests: $pass_bare pass bare, $pass_hv pass under the hypervisor, $pass_both both"
