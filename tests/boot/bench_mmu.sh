#!/usr/bin/env bash
# Benchmark: the TDP MMU in the real hypervisor, measured in Bochs (2 CPUs)
# where under clock sync=none the TSC counts emulated instructions, so
# "ticks" are host+guest instructions.
#  - fault-in: ticks per 4K EPT-violation fault-in (a guest touching N
#    fresh pages, minus touching them again mapped), from mmu_seed000's
#    fault_pages= run, with and without the zero pool, and the host's
#    breakdown of it by phase (profile=1);
#  - seed 000: for defunct roots of 256K, 1M and 4M 4K SPTEs (an aliased
#    memslot), the longest host run between two scheduling points of the
#    zap (TSC at every sched_point / sched_point_done of vm_mmu_ops), the
#    number of points and the whole zap+free time. It should stay flat as
#    the root grows.
# Needs a built tree (make). Prints a table and writes
# build/bench/tdp_mmu_kernel.json.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 1
sizes=${SIZES:-262144,1048576,4194304}
alias=${ALIAS:-4194304}
fault_pages=${FAULT_PAGES:-256}
name=bench-mmu
mkdir -p build/bench

# The fault-in figures come from boots of their own with one vCPU, so
# that no other vCPU or guest shares its host CPU (Bochs runs the emulated
# CPUs in lockstep quanta and the TSC advances with them: time a vCPU
# spends switched out counts). Measured both ways the figure is the same
# within 0.2% with one idle-spinning vCPU on the other CPU. Three boots:
#   pool   the default: the first touch takes a page the idle CPU zeroed
#          ahead (mm/page_alloc.c's zero pool);
#   nopool zero_pool=0: the page is zeroed on the fault path (a pool that
#          ran dry; in Bochs a 4K clear is 512 "rep stosq" ticks);
#   prof   profile=1: the host stamps each phase of every fault (the
#          stamps cost ~10 ticks each, so its sum exceeds the pool figure).
fault_boot() {	# fault_boot <tag> <kernel options> <host options>
	tests/boot/boot_test.sh --name "$name-fault-$1" --emu bochs --cpus 2 \
		--mem 128 --timeout 300 --cmdline "exit=bochs ktest=guests.modules $2" \
		--module build/guests/mmu_seed000.elf \
		"name=mmu_fault_in vcpus=1 mem=4M test_hooks=1 $3 -- fault_pages=$fault_pages" \
		> "build/test-logs/$name-fault-$1.tap" 2>&1
}
fault_boot pool "" "" & p1=$!
fault_boot nopool "zero_pool=0" "" & p2=$!
fault_boot prof "" "profile=1" & p3=$!
rc1=0
for p in $p1 $p2 $p3; do wait $p || rc1=1; done
tests/boot/boot_test.sh --name "$name" --emu bochs --cpus 2 --mem 128 \
	--timeout 1500 --cmdline "exit=bochs ktest=guests.modules" \
	--module build/guests/mmu_seed000.elf \
	"name=mmu_seed000 vcpus=2 mem=4M alias=$alias timeout=3600 test_hooks=1 -- alias=$alias sizes=$sizes" \
	> "build/test-logs/$name.tap" 2>&1
rc=$?
log=build/test-logs/$name.log
ticks() { grep -a -o 'fault-in: [0-9]* pages: [0-9]* ticks per fault' \
	"build/test-logs/$name-fault-$1.log" | awk '{ print $4 }'; }
fault=$(ticks pool)
fault_nopool=$(ticks nopool)
fault_prof=$(ticks prof)
prof=$(grep -a -o 'EPT fault-in profile over .*' "build/test-logs/$name-fault-prof.log")
if [ $rc != 0 ] || [ $rc1 != 0 ] || [ -z "$fault" ] || [ -z "$fault_nopool" ] ||
   [ -z "$prof" ]; then
	echo "bench_mmu: a run failed (rc $rc1, $rc); see build/test-logs/$name*.{tap,log}" >&2
	exit 1
fi
printf '%-52s %8s\n' "4K EPT-violation fault-in, ticks/fault (guest view):" ""
printf '  %-50s %8s\n' "page from the zero pool (default)" "$fault" \
	"page zeroed on the fault path (zero_pool=0)" "$fault_nopool" \
	"profiled run (profile=1)" "$fault_prof"
printf '%s\n' "  where the profiled run's host time goes (ticks per fault):"
phases_json=""
sep=""
# "... ticks each: exit_to_mmu 101 faultin_pfn 353 ...; host total N"
set -- $(echo "$prof" | sed -E 's/.*ticks each: //; s/; host total/ host_total/')
while [ $# -ge 2 ]; do
	printf '    %-48s %8s\n' "$1" "$2"
	phases_json="$phases_json$sep\"$1\": $2"
	sep=", "
	shift 2
done
printf '    %-48s %8s\n' "guest, VM exit/entry and the exit stubs (rest)" \
	"$((fault_prof - $(echo "$prof" | sed -E 's/.*host total ([0-9]+).*/\1/')))"
printf '%-10s %10s %12s %14s %10s %16s\n' "root SPTEs" "pt pages" \
	"prefault" "zap+free" "points" "longest run"
json="{\"fault_in_ticks\": $fault, \"fault_in_ticks_no_zero_pool\": $fault_nopool, \"fault_in_ticks_profiled\": $fault_prof, \"fault_in_profile\": {$phases_json}, \"seed000\": ["
sep=""
while read -r n pt pf zap pts gap; do
	printf '%-10s %10s %12s %14s %10s %16s\n' "$n" "$pt" "$pf" "$zap" \
		"$pts" "$gap"
	json="$json$sep{\"sptes\": $n, \"pt_pages\": $pt, \"prefault_ticks\": $pf, \"zap_ticks\": $zap, \"sched_points\": $pts, \"longest_run_ticks\": $gap}"
	sep=", "
done < <(grep -a 'seed000: [0-9]* SPTEs' "$log" | sed -E \
	's/.*seed000: ([0-9]+) SPTEs: ([0-9]+) pt pages, prefault ([0-9]+) ticks, zap\+free ([0-9]+) ticks, ([0-9]+) sched points, longest run between two: ([0-9]+) ticks.*/\1 \2 \3 \4 \5 \6/')
echo "$json]}" > build/bench/tdp_mmu_kernel.json
grep -a -q 'not ok' "build/test-logs/$name.tap" build/test-logs/"$name"-fault-*.tap && { echo "bench_mmu: a check failed" >&2; exit 1; }
exit 0
