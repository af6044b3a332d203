#!/bin/sh
# Run every hosted test binary under each sanitizer and merge their TAP
# output into one stream: "ok N - tsan/test_rcu: <name>", plus one line
# per binary that fails if it crashed, timed out, exited non-zero or
# missed its plan. Usage: run_tap.sh BUILD_DIR TEST...
B=$1
shift
T=${HOST_TIMEOUT:-60}
n=0
fail=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT
echo "TAP version 13"
for v in tsan asan; do
	for t in "$@"; do
		bin=$B/$v/$t
		export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1"
		export ASAN_OPTIONS="detect_leaks=1 abort_on_error=1"
		export UBSAN_OPTIONS="print_stacktrace=1 halt_on_error=1"
		timeout -k 5 "$T" "$bin" >"$out" 2>"$out.err"
		rc=$?
		# Re-number each binary's results into the merged stream.
		while IFS= read -r line; do
			case $line in
			"ok "*|"not ok "*)
				n=$((n + 1))
				st=${line%% [0-9]*}
				rest=${line#"$st "}
				rest=${rest#* }
				rest=${rest#"- "}
				case $st in "not ok") fail=$((fail + 1)) ;; esac
				echo "$st $n - $v/$t: $rest" ;;
			"#"*) echo "$line" ;;
			esac
		done <"$out"
		planned=$(sed -n 's/^1\.\.\([0-9]*\).*/\1/p' "$out" | head -1)
		ran=$(grep -cE '^(not )?ok ' "$out")
		n=$((n + 1))
		if [ "$rc" -eq 0 ] && [ -n "$planned" ] && [ "$planned" -eq "$ran" ]; then
			echo "ok $n - $v/$t (exit 0, $ran/$planned)"
		else
			fail=$((fail + 1))
			echo "not ok $n - $v/$t (exit $rc, ran ${ran:-0} of ${planned:-?})"
			tail -n 40 "$out.err" | sed 's/^/# stderr: /'
		fi
		rm -f "$out.err"
	done
done
echo "1..$n"
[ "$fail" -eq 0 ]
