#!/usr/bin/env bash
# Benchmark: the virtual local APIC as a guest measures it in Bochs (2 host
# CPUs, corei7_skylake_x; the apic guest with 4 vCPUs and -- bench=N):
# host path per xAPIC MMIO read/write and x2APIC RDMSR/WRMSR (TSC ticks;
# Bochs' TSC counts instructions under clock sync=none), APIC timer
# delivery latency from its programmed expiry to the handler (vCPU running,
# and halted), port I/O to nothing and to the POST port, and an IPI
# round trip between two vCPUs (target spinning,
# and halted). Exits per second (wall) come from two boots that differ
# only in N: each iteration of the six access loops is one exit.
# Needs a built tree (make). Prints a table, writes build/bench/apic.json.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 1
small=${N_SMALL:-2000}
big=${N_BIG:-20000}
mkdir -p build/bench

run() {	# run NAME ITERS -> the log's path; the wall time in NAME.time
	tests/boot/boot_test.sh --name "$1" --emu bochs --cpus 2 --mem 128 \
		--timeout 600 --cmdline "exit=bochs ktest=guests.modules" \
		--module build/guests/apic.elf \
		"name=apic vcpus=4 mem=4M test_hooks=1 timeout=600 -- bench=$2" \
		> /dev/null 2>&1 || { echo "bench_apic: boot $1 failed; see build/test-logs/$1.log" >&2; exit 1; }
}
wall() { sed -n 's/.*total_s=\([0-9.]*\).*/\1/p' "build/test-logs/$1.time"; }
val() {	# val LOG METRIC [FIELD]: the number after "bench: METRIC" (or after FIELD)
	grep -a -o "bench: $2 .*" "build/test-logs/$1.log" | head -1 |
		sed -n "s/.*${3:-$2} \([0-9]*\).*/\1/p"
}

run bench-apic-small "$small"
run bench-apic-big "$big"
w1=$(wall bench-apic-small) w2=$(wall bench-apic-big)
eps=$(awk -v a="$w1" -v b="$w2" -v s="$small" -v g="$big" \
	'BEGIN { printf "%.0f", 6 * (g - s) / (b - a) }')
L=bench-apic-big
printf '%-36s %10s\n' metric value
declare -A m
for k in xapic_mmio_read xapic_mmio_write inl_port_nothing inb_post_port \
	 x2apic_rdmsr x2apic_wrmsr \
	 ipi_round_trip_spinning ipi_round_trip_halted; do
	m[$k]=$(val $L $k)
	printf '%-36s %10s\n' "$k (ticks)" "${m[$k]}"
done
for k in timer_latency_running timer_latency_halted; do
	m[$k]=$(val $L $k avg)
	printf '%-36s %10s\n' "$k avg (ticks)" "${m[$k]}"
done
printf '%-36s %10s\n' "LAPIC exits per second (wall)" "$eps"
printf '%-36s %10s\n' "boot wall s (N=$small / N=$big)" "$w1 / $w2"
{
	printf '{'
	for k in "${!m[@]}"; do printf '"%s_ticks": %s, ' "$k" "${m[$k]:-null}"; done
	printf '"exits_per_second": %s, "n_small": %s, "n_big": %s}\n' "$eps" "$small" "$big"
} > build/bench/apic.json
