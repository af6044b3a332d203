#!/usr/bin/env bash
# Benchmark: async page faults (issue 15) as the apf_tasks guest and the
# host measure them in Bochs (1 CPU, corei7_skylake_x).
#
#  - Guest-measured progress: two compute tasks count iterations for a
#    window of guest time alone, then again while three faulter tasks
#    read back pages the host swapped out, with page-ins of
#    swap_latency_us=1000 (host tick 1 ms: timer_hz=1000). Two boots:
#    async PF on (the faulters wait on tokens, the compute tasks run) and
#    off (apf=0: the host sleeps the vCPU through each page-in). Goal
#    (issue 15): with it on, >= 90% of the fault-free rate.
#  - Host path lengths (profile=1): TSC ticks from the EPT-violation exit
#    to the entry that injects "not present", and from the page-in's
#    completion (on the swap store's worker) to the entry that injects
#    "page ready".
#
# Bochs runs at --bochs-ips 100000000 here: under clock sync=none its time
# is its instruction count, and at the default 4 MIPS one millisecond
# (4000 instructions) is shorter than one fault's host path, which would
# measure nothing like a disk. At 100 MIPS a millisecond is 100000
# instructions; ticks stay instructions. Needs a built tree (make).
# Prints a table and writes build/bench/apf.json.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 1
window=${WINDOW_US:-200000}
ips=${BOCHS_IPS:-100000000}
mkdir -p build/bench

run() {	# run NAME APF
	tests/boot/boot_test.sh --name "$1" --emu bochs --cpus 1 --mem 128 \
		--bochs-ips "$ips" --timeout 900 \
		--cmdline "exit=bochs ktest=guests.modules timer_hz=1000" \
		--module build/guests/apf_tasks.elf \
		"name=apf_tasks mem=8M test_hooks=1 apf=$2 profile=1 swap_latency_us=1000 timeout=600 -- mode=progress window_us=$window" \
		> /dev/null 2>&1 || { echo "bench_apf: boot $1 failed; see build/test-logs/$1.log" >&2; exit 1; }
}
field() {	# field LOG KEY: the number after KEY= on the apf_progress line
	grep -a -o 'apf_progress: .*' "build/test-logs/$1.log" | head -1 |
		tr -d '\r' | sed -n "s/.* $2=\([0-9]*\).*/\1/p"
}
prof() {	# prof LOG SED-EXPR: from the host's async PF profile line
	grep -a -o 'async PF profile: .*' "build/test-logs/$1.log" | head -1 |
		tr -d '\r' | sed -n "$2"
}

run bench-apf-on 1
run bench-apf-off 0
on_pm=$(field bench-apf-on permille) off_pm=$(field bench-apf-off permille)
on_faults=$(field bench-apf-on faults) off_faults=$(field bench-apf-off faults)
np=$(prof bench-apf-on 's/.*"not present" entry \([0-9]*\) ticks over \([0-9]*\).*/\1/p')
np_n=$(prof bench-apf-on 's/.*"not present" entry [0-9]* ticks over \([0-9]*\).*/\1/p')
rd=$(prof bench-apf-on 's/.*"page ready" entry \([0-9]*\) ticks.*/\1/p')
rd_max=$(prof bench-apf-on 's/.*"page ready" entry [0-9]* ticks (max \([0-9]*\)).*/\1/p')
rd_n=$(prof bench-apf-on 's/.*"page ready" entry .* over \([0-9]*\)$/\1/p')
if [ -z "$on_pm" ] || [ -z "$off_pm" ] || [ -z "$np" ]; then
	echo "bench_apf: a figure is missing; see build/test-logs/bench-apf-*.log" >&2
	exit 1
fi
pct() { awk -v p="$1" 'BEGIN { printf "%.1f", p / 10 }'; }
ms() { awk -v t="$1" -v i="$ips" 'BEGIN { printf "%.3f", t * 1000 / i }'; }
printf '%-52s %12s\n' metric value
printf '%-52s %12s\n' "compute rate with faults, async PF on (% of none)" "$(pct "$on_pm")"
printf '%-52s %12s\n' "compute rate with faults, async PF off (% of none)" "$(pct "$off_pm")"
printf '%-52s %12s\n' "faults in the window (on / off)" "$on_faults / $off_faults"
printf '%-52s %12s\n' "exit -> 'not present' entry (ticks = instr)" "$np"
printf '%-52s %12s\n' "page-in done -> 'page ready' entry, avg (ticks)" "$rd"
printf '%-52s %12s\n' "  the same in guest ms (avg / max)" "$(ms "$rd") / $(ms "$rd_max")"
printf '%-52s %12s\n' "samples (not present / page ready)" "$np_n / $rd_n"
printf '{"progress_on_permille": %s, "progress_off_permille": %s, "goal_progress_on_permille": 900, "faults_on": %s, "faults_off": %s, "exit_to_not_present_ticks": %s, "pagein_to_page_ready_ticks": %s, "pagein_to_page_ready_max_ticks": %s, "samples_not_present": %s, "samples_page_ready": %s, "window_us": %s, "bochs_ips": %s, "swap_latency_us": 1000}\n' \
	"$on_pm" "$off_pm" "$on_faults" "$off_faults" "$np" "$rd" "${rd_max:-null}" "${np_n:-null}" "${rd_n:-null}" \
	"$window" "$ips" > build/bench/apf.json
