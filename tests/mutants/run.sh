#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# make mutants: break the MMU on purpose, one mutant at a time, and check
# that the hosted tests notice (tests/mutants/mutants.txt lists them).
#
# The tracked tree is copied to build/mutants/tree and mutated there, never
# in place. A baseline run of every program comes first and must pass. Then
# for each mutant: apply it, build the programs it names (default: every
# tests/host/test_tdp_*.c) under TSan and under ASan+UBSan, and run them
# briefly; the first failing program kills it. A mutant with boot: instead
# builds the test kernel and guests in the copy and boots that one guest
# under Bochs (2 CPUs); a failing boot kills it (a baseline boot of each
# such guest, unmutated, must pass first). A mutant that passes
# MUTANTS_TRIES runs (default 3: some kills are races) survives.
#
#   tests/mutants/run.sh [NAME...]     all mutants, or the ones named
#   MUTANTS_MIN_KILL=90                required kill rate in percent
#   MUTANTS_TRIES=3  HOST_TIMEOUT=60   runs per survivor, seconds per program
#   HOST_STRESS=1                      long runs of each program
#
# Prints one row per mutant and writes build/mutants/mutants.json. Fails if
# an entry is stale (its text is no longer in the code) or does not build,
# if a mutant marked equivalent is killed (the mark is wrong), or if fewer
# than MUTANTS_MIN_KILL percent of the other mutants are killed.
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 1
LIST=tests/mutants/mutants.txt
TOOL="perl tests/mutants/mutant.pl"
OUT=build/mutants
TREE=$OUT/tree
MIN_KILL=${MUTANTS_MIN_KILL:-90}
TRIES=${MUTANTS_TRIES:-3}
TIMEOUT=${HOST_TIMEOUT:-60}
VARIANTS="tsan asan"
DEFAULT_PROGS=$(cd tests/host && ls test_tdp_*.c | sed 's/\.c$//' | tr '\n' ' ')

die() { echo "mutants: $*" >&2; exit 1; }
command -v perl >/dev/null || die "perl is needed (Debian: apt-get install perl-base)"

mapfile -t ENTRIES < <($TOOL list "$LIST") || die "cannot read $LIST"
[ ${#ENTRIES[@]} -gt 0 ] || die "no mutants in $LIST"
if [ $# -gt 0 ]; then
	sel=()
	for want in "$@"; do
		hit=
		for e in "${ENTRIES[@]}"; do
			[ "${e%%|*}" = "$want" ] && sel+=("$e") && hit=1
		done
		[ -n "$hit" ] || die "no mutant named $want"
	done
	ENTRIES=("${sel[@]}")
fi

# A fresh copy of what git tracks (and untracked files it does not ignore).
rm -rf "$TREE" && mkdir -p "$TREE" || die "cannot create $TREE"
git ls-files -co --exclude-standard -z | tar --null -T - -cf - |
	tar -C "$TREE" -xf - || die "cannot copy the tree to $TREE"

build() {	# build <progs...>: the TSan and ASan binaries of each
	local targets=() p v
	for p in "$@"; do
		for v in $VARIANTS; do
			targets+=("$ROOT/$TREE/build/host/$v/$p")
		done
	done
	make -s -C "$TREE/tests/host" -j"$(nproc)" "${targets[@]}" \
		>"$OUT/build.log" 2>&1
}

# run_variant <variant> <progs...>: first failing program, or nothing.
run_variant() {
	local v=$1 p log rc
	shift
	for p in "$@"; do
		log=$OUT/run.$v.$p.log
		HOST_TIMEOUT=$TIMEOUT timeout -k 5 "$TIMEOUT" \
			"$TREE/build/host/$v/$p" >"$log" 2>&1
		rc=$?
		if [ $rc -ne 0 ]; then
			local why
			# A failed TAP line says most; else the first report.
			why=$(grep -m1 '^not ok' "$log" ||
			      grep -m1 -E 'BUG:|WARNING:|ERROR: (Address|Thread|Undefined)|runtime error|Assertion' "$log")
			why=${why:0:110}
			[ $rc -ge 124 ] && [ -z "$why" ] && why="timed out after ${TIMEOUT}s"
			[ -z "$why" ] && why="exit $rc"
			echo "$v/$p: $why"
			return
		fi
	done
}

# run_all <progs...>: both variants in parallel; prints the first failure.
run_all() {
	local v pids=() f
	for v in $VARIANTS; do
		run_variant "$v" "$@" >"$OUT/kill.$v" &
		pids+=($!)
	done
	wait "${pids[@]}"
	for v in $VARIANTS; do
		f=$(cat "$OUT/kill.$v")
		[ -n "$f" ] && { echo "$f"; return; }
	done
}

json_str() { printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g; s/\t/ /g'; }

echo "mutants: baseline (every program, unmutated)"
# shellcheck disable=SC2086
build $DEFAULT_PROGS test_rcu test_rcu_sleep test_page_alloc test_misuse test_mmio_insn ||
	{ cat "$OUT/build.log"; die "the unmutated tree does not build"; }
# shellcheck disable=SC2086
base=$(run_all $DEFAULT_PROGS test_rcu test_rcu_sleep test_page_alloc test_misuse test_mmio_insn)
[ -z "$base" ] || die "the unmutated tree fails: $base (see $OUT/run.*.log)"

# boot_guest <PATH:CMDLINE>: build the copy, boot it with that guest under
# Bochs; prints why it failed, or nothing.
boot_guest() {
	local mod=${1%%:*} cmd=${1#*:} log=$OUT/boot.log
	if ! make -s -C "$TREE" -j2 all >"$OUT/boot-build.log" 2>&1; then
		echo "NOBUILD: the kernel or guests do not build (see $OUT/boot-build.log)"
		return
	fi
	(cd "$TREE" && timeout -k 5 300 tests/boot/boot_test.sh --name mutant \
		--emu bochs --cpus 2 --mem 128 \
		--cmdline "exit=bochs ktest=guests.modules" \
		--module "$mod" "$cmd") >"$log" 2>&1 && return
	grep -a -m1 '^not ok' "$log" | cut -c1-110
	grep -q '^not ok' "$log" || echo "boot failed (see $log)"
}
declare -A boot_base
for e in "${ENTRIES[@]}"; do
	IFS='|' read -r name file progs is_equiv boot <<<"$e"
	[ -n "$boot" ] && [ -z "${boot_base[$boot]:-}" ] || continue
	echo "mutants: baseline boot of ${boot%%:*}"
	boot_base[$boot]=1
	f=$(boot_guest "$boot")
	[ -z "$f" ] || die "the unmutated tree fails the boot of $boot: $f"
done

printf '%-34s %-10s %5s  %s\n' MUTANT RESULT SECS "KILLED BY / WHY"
killed=0 survived=0 equiv=0 bad=0 n=0
json="$OUT/mutants.json.tmp"
echo '{ "mutants": [' >"$json"
for e in "${ENTRIES[@]}"; do
	IFS='|' read -r name file progs is_equiv boot <<<"$e"
	[ -n "$progs" ] || progs=$DEFAULT_PROGS
	t0=$(date +%s)
	result= by=
	if ! $TOOL apply "$LIST" "$name" "$TREE" 2>"$OUT/apply.log"; then
		result=stale by=$(cat "$OUT/apply.log")
	elif [ -n "$boot" ]; then
		by=$(boot_guest "$boot")
		if [[ $by == NOBUILD:* ]]; then result=nobuild
		elif [ -n "$by" ]; then result=killed
		else result=survived
			[ "$is_equiv" = 1 ] && by=$($TOOL field "$LIST" "$name" equivalent)
		fi
	# shellcheck disable=SC2086
	elif ! build $progs; then
		result=nobuild by="$(grep -m1 error "$OUT/build.log" | cut -c1-110)"
	else
		for ((try = 1; try <= TRIES; try++)); do
			# shellcheck disable=SC2086
			by=$(run_all $progs)
			[ -n "$by" ] && break
		done
		if [ -n "$by" ]; then
			result=killed
			[ "$try" -gt 1 ] && by="$by (run $try)"
		else
			result=survived
			[ "$is_equiv" = 1 ] && by=$($TOOL field "$LIST" "$name" equivalent)
		fi
	fi
	cp "$file" "$TREE/$file"	# back to the pristine text
	secs=$(( $(date +%s) - t0 ))
	case "$result,$is_equiv" in
	killed,1) result=MISMARKED bad=$((bad + 1))
		  by="marked equivalent but killed by $by" ;;
	killed,0) killed=$((killed + 1)) ;;
	survived,1) result=equivalent equiv=$((equiv + 1)) ;;
	survived,0) survived=$((survived + 1)) ;;
	*) bad=$((bad + 1)) ;;
	esac
	printf '%-34s %-10s %5s  %s\n' "$name" "$result" "$secs" "${by:0:150}"
	[ $n -gt 0 ] && echo ',' >>"$json"
	printf '  { "name": "%s", "file": "%s", "result": "%s", "seconds": %d, "detail": "%s", "bug": "%s" }' \
		"$name" "$file" "$result" "$secs" "$(json_str "$by")" \
		"$(json_str "$($TOOL field "$LIST" "$name" bug)")" >>"$json"
	n=$((n + 1))
done
counted=$((killed + survived))
rate=0
[ $counted -gt 0 ] && rate=$((100 * killed / counted))
printf '\n], "killed": %d, "survived": %d, "equivalent": %d, "invalid": %d, "kill_rate_percent": %d, "min_kill_percent": %d, "tries": %d, "stress": %s }\n' \
	$killed $survived $equiv $bad $rate "$MIN_KILL" "$TRIES" \
	"$([ -n "${HOST_STRESS:-}" ] && echo true || echo false)" >>"$json"
mv "$json" "$OUT/mutants.json"

echo "mutants: $killed killed, $survived survived, $equiv equivalent, $bad invalid: kill rate $rate% (need $MIN_KILL%); $OUT/mutants.json"
[ $bad -eq 0 ] || die "$bad entries are stale, do not build, or are mismarked"
[ $rate -ge "$MIN_KILL" ] || die "kill rate $rate% is below $MIN_KILL%"
exit 0
