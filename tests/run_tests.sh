#!/usr/bin/env bash
# Run every test suite in order and print one TAP stream:
#   1. the boot-log judge's self-test,
#   2. hosted tests (make -C tests/host tap) when tests/host/Makefile exists,
#   3. the boot configurations of tests/boot/configs.sh.
# Every result line is renumbered into one sequence; a suite that exits
# non-zero without reporting a failure, lacks its plan or reports fewer
# results than planned adds a "not ok". Ends with exactly one line
# "N passed, N failed"; exits non-zero on any failure. Needs no tty/stdin.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1
exec < /dev/null
logdir=build/test-logs
mkdir -p "$logdir"

n=0 passed=0 failed=0
emit() {	# emit "ok|not ok" DESC
	n=$((n + 1))
	if [ "$1" = ok ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
	echo "$1 $n $2"
}

# ingest SUITE STATUS FILE [show_comments]
ingest() {
	local suite=$1 status=$2 file=$3 show=${4:-1} line plan=0 seen_plan=0
	local results=0 bad=0
	while IFS= read -r line; do
		line=${line%$'\r'}
		if [[ $line =~ ^1\.\.([0-9]+) ]]; then
			plan=$((plan + BASH_REMATCH[1])); seen_plan=1
		elif [[ $line =~ ^(not\ )?ok\ [0-9]+\ ?(.*)$ ]]; then
			results=$((results + 1))
			if [ -n "${BASH_REMATCH[1]}" ]; then
				bad=$((bad + 1)); emit "not ok" "${BASH_REMATCH[2]}"
			else
				emit ok "${BASH_REMATCH[2]}"
			fi
		elif [ "$show" = 1 ] && [[ $line == "#"* ]]; then
			echo "$line"
		fi
	done < "$file"
	if [ $seen_plan = 0 ]; then
		emit "not ok" "$suite: no TAP plan (see $file)"
	elif [ $results -lt $plan ]; then
		emit "not ok" "$suite: only $results of $plan planned results (see $file)"
	fi
	if [ "$status" != 0 ] && [ $bad = 0 ]; then
		emit "not ok" "$suite: exited with status $status without a failing result (see $file)"
	fi
}

t_start=$SECONDS
suite_time() { echo "# suite $1: $(( SECONDS - $2 ))s"; }

# 1. the judge itself
t=$SECONDS
tests/boot/judge_selftest.sh > "$logdir/judge.tap" 2>&1
ingest judge $? "$logdir/judge.tap"
suite_time judge $t

# 1b. the layout: no include cycle among vmm/'s rooms, headers, modules
if command -v python3 > /dev/null; then
	if tests/tools/include_graph.py > "$logdir/include_graph.log" 2>&1; then
		emit ok "layout: vmm/ has no include cycle (rooms, headers, modules)"
	else
		emit "not ok" "layout: include cycles in vmm/ (see $logdir/include_graph.log)"
	fi
else
	emit "not ok" "layout: python3 is needed for tests/tools/include_graph.py"
fi

# 2. hosted tests under sanitizers
if [ -f tests/host/Makefile ]; then
	t=$SECONDS
	make -s --no-print-directory -C tests/host tap > "$logdir/host.tap" 2>&1
	ingest host $? "$logdir/host.tap" 0
	suite_time host $t
else
	echo "# suite host: skipped, tests/host/Makefile does not exist yet"
fi

# 3. boot configurations
t=$SECONDS
if [ -z "${MAKELEVEL:-}" ] && [ -f Makefile ]; then
	make -s -j2 all > "$logdir/build.log" 2>&1 ||
		emit "not ok" "build: make all failed (see $logdir/build.log)"
fi
mod=build/test-iso/testmod.bin badmod=build/test-iso/testmod-garbled.bin
modcmd=$(tests/boot/mktestmod.sh "$mod") || emit "not ok" "boot: mktestmod failed"
badcmd=$(tests/boot/mktestmod.sh "$badmod" 65537 garble) ||
	emit "not ok" "boot: mktestmod (garbled) failed"
boot() {
	local name=$1 tb=$SECONDS
	shift
	if [ ! -f build/kernel.elf ]; then
		emit "not ok" "$name: no build/kernel.elf"
		return
	fi
	tests/boot/boot_test.sh --name "$name" "$@" > "$logdir/$name.tap" 2>&1
	ingest "$name" $? "$logdir/$name.tap"
	suite_time "$name" $tb
}
. tests/boot/configs.sh
boot_configs
suite_time boot $t

# 4. nested under QEMU/KVM, where this host allows it
t=$SECONDS
if reason=$(tests/boot/run_kvm.sh --check 2>&1); then
	tests/boot/run_kvm.sh > "$logdir/kvm-nested.tap" 2>&1
	ingest kvm-nested $? "$logdir/kvm-nested.tap"
else
	emit ok "kvm-nested # SKIP ${reason#run-kvm: cannot run: }"
fi
suite_time kvm-nested $t

echo "# total: $(( SECONDS - t_start ))s"
echo "1..$n"
echo "$passed passed, $failed failed"
[ $failed = 0 ]
