#!/usr/bin/env bash
# make run: boot the demonstration set of guests (tests/boot/configs.sh,
# guest_set) under Bochs with 2 CPUs - the only emulator here with VMX -
# show the serial console on the terminal as it comes, and end with a
# summary: one line per result and "N passed, N failed".
#
# GUESTS="PATH:CMDLINE ..." (make run GUESTS=...) boots those guests
# instead, in the same form as make iso's MODULES (iso/iso_modules.sh):
#   make run GUESTS="build/guests/hello.elf:name=hello mem=2M"
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 1
. tests/boot/configs.sh
if [ -n "${GUESTS:-}" ]; then
	mapfile -d '' split < <(iso/iso_modules.sh --split "$GUESTS") &&
		[ ${#split[@]} -gt 0 ] || { echo "make run: GUESTS= names no module" >&2; exit 2; }
	guest_set=()
	for ((i = 0; i < ${#split[@]}; i += 2)); do
		guest_set+=(--module "${split[i]}" "${split[i + 1]}")
	done
fi
logdir=build/test-logs
mkdir -p "$logdir"
serial=$logdir/run.log
: > "$serial"

tail -n +1 -F "$serial" 2> /dev/null &
tailpid=$!
tests/boot/boot_test.sh --name run --emu bochs --cpus 2 --mem 128 \
	--cmdline "exit=bochs ktest=guests.modules" "${guest_set[@]}" \
	> "$logdir/run.tap" 2>&1
status=$?
sleep 0.5
kill "$tailpid" 2> /dev/null
wait "$tailpid" 2> /dev/null

echo
echo "==== make run: summary (serial log: $serial) ===="
grep -a -E '# (vmcall|cpuid) round trip' "$serial" | sed 's/^/  /'
grep -E '^(not )?ok ' "$logdir/run.tap"
passed=$(grep -c '^ok ' "$logdir/run.tap")
failed=$(grep -c '^not ok ' "$logdir/run.tap")
echo "$passed passed, $failed failed"
exit $status
