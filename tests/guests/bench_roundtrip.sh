#!/usr/bin/env bash
# Benchmark: VMCALL and CPUID round trips as a guest measures them in
# Bochs (2 CPUs, corei7_skylake_x). Under clock sync=none the TSC counts
# emulated instructions, so "ticks" is the software path length of one
# exit + entry (guest loop overhead subtracted). Wall time per exit comes
# from two boots that differ only in the iteration count:
#   (wall(N_BIG) - wall(N_SMALL)) / (2 * (N_BIG - N_SMALL))
# (each iteration makes one VMCALL and one CPUID exit). Needs a built tree
# (make). Prints a table and writes build/bench/roundtrip.json.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 1
small=${N_SMALL:-2000}
big=${N_BIG:-50000}
mkdir -p build/bench

run() {	# run NAME ITERS -> prints "wall_s vmcall_ticks cpuid_ticks"
	local name=$1 n=$2 log t
	tests/boot/boot_test.sh --name "$name" --emu bochs --cpus 2 --mem 128 \
		--timeout 600 --cmdline "exit=bochs ktest=guests.modules" \
		--module build/guests/roundtrip.elf \
		"name=roundtrip mem=2M timeout=600 -- iters=$n" > /dev/null 2>&1
	log=build/test-logs/$name.log
	t=$(sed -n 's/.*total_s=\([0-9.]*\).*/\1/p' "build/test-logs/$name.time")
	printf '%s %s %s\n' "$t" \
		"$(grep -a -o 'vmcall round trip: [0-9]*' "$log" | grep -o '[0-9]*$')" \
		"$(grep -a -o 'cpuid round trip: [0-9]*' "$log" | grep -o '[0-9]*$')"
}

read -r w1 v1 c1 < <(run bench-rt-small "$small")
read -r w2 v2 c2 < <(run bench-rt-big "$big")
if [ -z "${v2:-}" ] || [ -z "${w1:-}" ]; then
	echo "bench_roundtrip: a run failed; see build/test-logs/bench-rt-*.log" >&2
	exit 1
fi
us=$(awk -v a="$w1" -v b="$w2" -v s="$small" -v g="$big" \
	'BEGIN { printf "%.2f", (b - a) * 1e6 / (2 * (g - s)) }')
printf '%-28s %10s\n' "metric" "value"
printf '%-28s %10s\n' "vmcall round trip (ticks)" "$v2"
printf '%-28s %10s\n' "cpuid round trip (ticks)" "$c2"
printf '%-28s %10s\n' "wall time per exit (us)" "$us"
printf '%-28s %10s\n' "boot wall s (iters=$small)" "$w1"
printf '%-28s %10s\n' "boot wall s (iters=$big)" "$w2"
printf '{"vmcall_ticks": %s, "cpuid_ticks": %s, "wall_us_per_exit": %s, "goal_vmcall_ticks": 250}\n' \
	"$v2" "$c2" "$us" > build/bench/roundtrip.json
