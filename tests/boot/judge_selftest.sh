#!/usr/bin/env bash
# Self-test of the boot-log judge (tests/boot/judge_ktap.awk): canned serial
# logs, each with the verdict the judge must reach. A judge that passes a
# crashed, truncated or hung run would make every boot test meaningless, so
# this runs first in tests/run_tests.sh. Prints TAP.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
crash_re='Kernel panic|BUG:|\*\*\* EXCEPTION|\*\*\* nested|Triple fault|triple fault'
esc=$'\033'
n=0 failed=0

# check DESC EXPECT_NOT_OK MUST_MATCH [awk -v assignments...] <<< LOG
# EXPECT_NOT_OK: how many "not ok" lines the judge must print;
# MUST_MATCH: a regex one of its lines must match ("" for none).
check() {
	local desc=$1 want_bad=$2 must=$3 out bad ok=1
	shift 3
	out=$(awk -v name=t -v expect_done=pass -v crash_re="$crash_re" "$@" \
		-f "$here/judge_ktap.awk")
	bad=$(grep -c '^not ok' <<< "$out")
	[ "$bad" = "$want_bad" ] || ok=0
	if [ -n "$must" ] && ! grep -Eq "$must" <<< "$out"; then ok=0; fi
	n=$((n + 1))
	if [ $ok = 1 ]; then
		echo "ok $n judge: $desc"
	else
		failed=1
		echo "not ok $n judge: $desc"
		echo "# wanted $want_bad 'not ok' and /$must/, judge said:"
		sed 's/^/#   /' <<< "$out"
	fi
}

good="${esc}[H${esc}[J  Booting \`microhv'
KTAP version 1
1..3
# diag
ok 1 a.one
ok 2 a.two # SKIP no second CPU
ok 3 exceptions.gp
# ktest: 3 passed, 0 failed, 0 skipped
KTEST DONE: pass"

check "a clean run passes" 0 '^ok t: run complete' <<< "$good"
check "GRUB escapes on the KTAP line are tolerated" 0 '^ok t: a.one' \
	<<< "${esc}[1;1H${good//$'\n'/$'\r\n'}"
check "a failing test is reported" 2 '^not ok t: a.two' <<< "KTAP version 1
1..2
ok 1 a.one
not ok 2 a.two
KTEST DONE: fail"
check "missing results are a failure" 2 'only 1 of 3' <<< "KTAP version 1
1..3
ok 1 a.one"
check "no KTAP at all is a failure" 2 'never reached' <<< "GRUB loading"
check "no plan is a failure" 1 'no KTAP plan' <<< "KTAP version 1
ok 1 a.one
KTEST DONE: pass"
check "a panic is a failure" 1 'Kernel panic' <<< "KTAP version 1
1..1
Kernel panic: oops
ok 1 a.one
KTEST DONE: pass"
check "an exception report is a failure" 1 'EXCEPTION' <<< "KTAP version 1
1..1
*** EXCEPTION #PF (vector 14) on cpu0, error code 0x0
ok 1 a.one
KTEST DONE: pass"
check "an unexpected BUG: is a failure" 1 'BUG: soft lockup' <<< "KTAP version 1
1..1
BUG: soft lockup - CPU#1 stuck for 3s!
ok 1 a.one
KTEST DONE: pass"
check "a BUG: announced by its test is fine" 0 'run complete' <<< "KTAP version 1
1..2
# expecting BUG: soft lockup
BUG: soft lockup - CPU#1 stuck for 3s!
ok 1 watchdog.fires
ok 2 a.two
KTEST DONE: pass"
check "the announcement covers only its own test" 1 'BUG: again' <<< "KTAP version 1
1..2
# expecting BUG: soft lockup
BUG: soft lockup - CPU#1 stuck for 3s!
ok 1 watchdog.fires
BUG: again
ok 2 a.two
KTEST DONE: pass"
check "a missing final marker is a failure" 1 'KTEST DONE' <<< "KTAP version 1
1..1
ok 1 a.one"
check "a fail marker on a pass run is a failure" 1 "KTEST DONE: fail" <<< "KTAP version 1
1..1
ok 1 a.one
KTEST DONE: fail"
check "broken numbering is a failure" 1 'numbering' <<< "KTAP version 1
1..2
ok 1 a.one
ok 3 a.two
KTEST DONE: pass"
check "a test name is not a crash report" 0 'BUG' <<< "KTAP version 1
1..1
ok 1 lockdep.BUG:reports
KTEST DONE: pass"
check "an expected message is found" 0 "prints 'cmdline: unknown" \
	-v msgs="cmdline: unknown option 'xyz'" <<< "cmdline: unknown option 'xyz'
$good"
check "a missing expected message is a failure" 1 "not ok t: prints" \
	-v msgs="cmdline: unknown option 'xyz'" <<< "$good"
check "an expected failure passes" 0 'failed as expected' \
	-v expect_fail='^boot\.module' -v expect_done=fail <<< "KTAP version 1
1..2
ok 1 a.one
not ok 2 boot.module_intact
KTEST DONE: fail"
check "an expected failure that passes is a failure" 2 'must make it fail' \
	-v expect_fail='^boot\.module' -v expect_done=fail <<< "KTAP version 1
1..1
ok 1 boot.module_intact
KTEST DONE: pass"
crashed="KTAP version 1
1..1
*** EXCEPTION #PF page fault (vector 14) on cpu0, error code 0x0
KTEST DONE: fail"
check "an intended crash passes" 0 'crashed as intended' \
	-v expect_crash=1 -v expect_done=fail <<< "$crashed"
check "an intended crash that does not happen is a failure" 2 \
	'no crash report' -v expect_crash=1 -v expect_done=fail <<< "KTAP version 1
1..1
ok 1 crash.on_purpose # SKIP no crash_test=
KTEST DONE: pass"
check "an intended crash that hangs is a failure" 1 'KTEST DONE' \
	-v expect_crash=1 -v expect_done=fail <<< "${crashed%KTEST*}"

sub_log="KTAP version 1
1..2
ok 1 a.one
[hello] KTAP version 1
[hello] ok 1 boot_info
[cpu1] guest hostile: killed: triple fault
[hostile] # expecting triple fault: empty IDT, then ud2
    # Subtest: guests.modules
    KTAP version 1
    1..3
    # hello: 3/3 passed
    ok 1 hello
    not ok 2 badopt
    ok 3 hostile
not ok 2 guests.modules
KTEST DONE: fail"
check "guest subtests are reported one by one" 2 '^not ok t: guests.modules.badopt$' \
	-v expect_done=fail <<< "$sub_log"
check "an expected bad guest fails as expected, good ones must pass" 0 \
	'^ok t: guests.modules.hello$' -v expect_done=fail \
	-v expect_fail='^guests[.]modules([.]bad.*)?$' <<< "$sub_log"
check "a good guest that fails is not hidden by the expected failures" 1 \
	'^not ok t: guests.modules.hello$' -v expect_done=fail \
	-v expect_fail='^guests[.]modules([.]bad.*)?$' <<< "${sub_log/ok 1 hello/not ok 1 hello}"
check "missing guest results are a failure" 1 'only 1 of 3 subtest results' \
	<<< "KTAP version 1
1..1
    # Subtest: guests.modules
    1..3
    ok 1 hello
ok 1 guests.modules
KTEST DONE: pass"
check "a triple fault outside a guest is still a crash" 1 'Triple fault' \
	<<< "KTAP version 1
1..1
[cpu0] Triple fault in the host
ok 1 a.one
KTEST DONE: pass"

echo "1..$n"
exit $failed
