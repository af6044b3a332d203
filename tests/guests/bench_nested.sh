#!/usr/bin/env bash
# Benchmark: nested VMX with shadow EPT as an L1 hypervisor measures it in
# Bochs (2 host CPUs; the nested_ept guest with -- bench=N), in TSC ticks
# (Bochs' TSC counts instructions under clock sync=none): an L1 VMWRITE
# (each exits to the host: no VMCS shadowing), an L2 VMCALL reflected to
# L1 and resumed, an L2 EPT violation filled by the shadow MMU (L2's first
# touch of a page, less a touch of a mapped one), and L1's write to a
# synced leaf EPT12 table (write fault + unsync mark) beside a write to an
# unsync one. Needs a built tree (make). Prints a table, writes
# build/bench/nested.json.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 1
iters=${N_ITERS:-2000}
mkdir -p build/bench
log=build/test-logs/bench-nested.log

tests/boot/boot_test.sh --name bench-nested --emu bochs --cpus 2 --mem 128 \
	--timeout 600 --cmdline "exit=bochs ktest=guests.modules" \
	--module build/guests/nested_ept.elf \
	"name=nested_ept mem=8M nested=1 test_hooks=1 timeout=600 -- bench=$iters" \
	> /dev/null 2>&1 || { echo "bench_nested: boot failed; see $log" >&2; exit 1; }
val() {	# val METRIC [FIELD]: the number after "bench: METRIC" (or after FIELD)
	grep -a -o "bench: $1 .*" "$log" | head -1 |
		sed -n "s/.*${2:-$1} \([0-9]*\).*/\1/p"
}
declare -A m
m[l1_vmwrite]=$(val l1_vmwrite)
m[l2_vmcall_round_trip]=$(val l2_vmcall_round_trip)
m[l2_ept_fault]=$(val l2_ept_fault)
m[l2_touch_mapped_page]=$(val l2_ept_fault page)
m[l1_write_synced_ept12]=$(val l1_write_synced_ept12)
m[l1_write_unsync_ept12]=$(val l1_write_synced_ept12 table:)
printf '%-44s %10s\n' metric ticks
for k in l1_vmwrite l2_vmcall_round_trip l2_ept_fault l2_touch_mapped_page \
	 l1_write_synced_ept12 l1_write_unsync_ept12; do
	printf '%-44s %10s\n' "$k" "${m[$k]}"
done
{
	printf '{'
	for k in "${!m[@]}"; do printf '"%s_ticks": %s, ' "$k" "${m[$k]:-null}"; done
	printf '"iters": %s}\n' "$iters"
} > build/bench/nested.json
