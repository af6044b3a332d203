# Judge one boot from its serial log: turn the kernel's KTAP into result
# lines for the overall TAP stream and add a "not ok" for every way the run
# can go wrong without the kernel saying so itself.
#
# Output lines are TAP results without a number ("ok DESC" / "not ok DESC");
# boot_test.sh numbers them. Variables (awk -v):
#   name        config name, prefixed to every description
#   expect_done "pass" or "fail": the final marker this run must print
#   expect_fail regex of test names that must report "not ok" (bad input);
#               such a result becomes "ok ... (failed as expected)"
#   allow_bug   1: "BUG:" reports are expected anywhere in this run
#   crash_re    regex of console text that means the kernel crashed
#   msgs        expected messages separated by "\034"; each must occur
#
# KTAP subtests (indented, "# Subtest: NAME" then a plan and results) are
# reported as "NAME.SUB" lines, so a boot's guests appear one by one
# (vmm/vmm_boot.h); expect_fail applies to them as to top-level names. A
# subtest block with fewer results than its plan adds a "not ok".
#
# Guest console lines ("[NAME] text", NAME not cpuN) and a guest's death
# ("guest NAME: killed: ...") are no host crash: the guest's own result
# judges them.
#   expect_crash 1: the run must crash on purpose (a crash_test= boot): the
#               crash report is the expected outcome, the test that crashed
#               never reports a result, and the run must still end with
#               "KTEST DONE: fail" (expect_done) instead of hanging
#
# GRUB writes ANSI escapes and the kernel may share a line with GRUB's
# leftovers, so markers are found anywhere in a line, after escapes and
# carriage returns are removed. A "BUG:" is expected inside a test when one
# of that test's diagnostics (since the previous result line) says
# "expect ... BUG" - e.g. "# expecting BUG: soft lockup" - which is how a
# KTEST_F_EXPECTS_BUG test announces it.

function emit(ok, desc) {
	printf "%s %s: %s\n", ok ? "ok" : "not ok", name, desc
}

function judge_result(ok, rest,    tname) {
	tname = rest
	sub(/ *#.*/, "", tname)
	if (expect_fail != "" && tname ~ expect_fail) {
		if (ok)
			emit(0, rest " (passed, but this run must make it fail)")
		else
			emit(1, rest " (failed as expected)")
		expected_failures++
	} else {
		emit(ok, rest)
	}
}

# The subtest block just ended (its parent's result arrived, or the log).
function close_subtest() {
	if (sub_name != "" && sub_plan >= 0 && sub_results < sub_plan)
		emit(0, sprintf("%s: only %d of %d subtest results", sub_name,
				sub_results, sub_plan))
	sub_name = ""
	sub_plan = -1
	sub_results = 0
}

function note_crash(text,    t) {
	if (nr_crash >= 5)
		return
	t = text
	if (length(t) > 100)
		t = substr(t, 1, 100) "..."
	crash[++nr_crash] = sprintf("unexpected '%s' at serial line %d", t, NR)
}

BEGIN {
	nr_msgs = (msgs == "") ? 0 : split(msgs, msg, "\034")
	for (i = 1; i <= nr_msgs; i++)
		msg_seen[i] = 0
	plan = -1
	nr_results = 0
	next_nr = 1
	done = ""
	bug_expected = 0
	sub_name = ""
	sub_plan = -1
}

{
	line = $0
	gsub(/\r/, "", line)
	gsub(/\033\[[0-9;?]*[A-Za-z]/, "", line)
	gsub(/\033[()][A-Za-z0-9]/, "", line)
	gsub(/\033./, "", line)

	for (i = 1; i <= nr_msgs; i++)
		if (!msg_seen[i] && index(line, msg[i]))
			msg_seen[i] = NR

	if (match(line, /KTEST DONE: (pass|fail)/) && done == "")
		done = substr(line, RSTART + 12, 4)

	if (!ktap_seen && index(line, "KTAP version")) {
		ktap_seen = NR
		next
	}

	if (ktap_seen && match(line, /^[ \t]+# Subtest: /)) {
		close_subtest()
		sub_name = substr(line, RLENGTH + 1)
		sub(/[ \t]+$/, "", sub_name)
		next
	}
	if (sub_name != "" && line ~ /^[ \t]+1\.\.[0-9]+[ \t]*$/) {
		t = line
		sub(/^[ \t]+1\.\./, "", t)
		sub_plan = t + 0
		next
	}
	if (sub_name != "" && line ~ /^[ \t]+(not )?ok [0-9]+( |$)/) {
		t = line
		sub(/^[ \t]+/, "", t)
		ok = (substr(t, 1, 3) != "not")
		t = substr(t, ok ? 4 : 8)
		sub(/^[0-9]+ ?/, "", t)
		sub_results++
		judge_result(ok, sub_name "." t)
		next
	}

	if (line ~ /^[ \t]*#/) {
		if (line ~ /[Ee]xpect[a-z]*[^#]*BUG/)
			bug_expected = 1
		next
	}

	# A result line may name a test "exceptions.gp"; it is no crash report.
	is_result = (line ~ /^(not )?ok [0-9]+( |$)/)
	is_guest = (line ~ /^\[[A-Za-z0-9_-]+\] / && line !~ /^\[cpu[0-9]+\] /) ||
		   line ~ /guest [A-Za-z0-9_-]+: killed: /
	if (!is_result && !is_guest && crash_re != "" && line ~ crash_re) {
		if (expect_crash) {
			if (!crash_seen)
				crash_seen = line
		} else if (!(line ~ /BUG:/ && (allow_bug || bug_expected))) {
			note_crash(line)
		}
	}

	if (!ktap_seen)
		next

	if (plan < 0 && line ~ /^1\.\.[0-9]+[ \t]*$/) {
		plan = substr(line, 4) + 0
		next
	}

	# Top-level results only: KTAP nests subtests by indentation.
	if (is_result) {
		ok = (substr(line, 1, 3) != "not")
		rest = substr(line, ok ? 4 : 8)
		nr = rest + 0
		sub(/^[0-9]+ ?/, "", rest)
		if (rest == "")
			rest = "(unnamed test " nr ")"
		if (nr != next_nr && !misnumbered)
			misnumbered = sprintf("result %d arrived where %d was due",
					      nr, next_nr)
		next_nr = nr + 1
		nr_results++
		last_result = rest
		close_subtest()
		judge_result(ok, rest)
		bug_expected = 0
	}
}

END {
	problems = 0
	close_subtest()
	if (!ktap_seen) {
		emit(0, "no 'KTAP version' line: the kernel never reached the test runner")
		problems++
	} else if (plan < 0) {
		emit(0, "no KTAP plan line '1..N'")
		problems++
	} else if (expect_crash) {
		# The crashing test cannot report; the crash must have happened.
		if (crash_seen == "") {
			emit(0, "no crash report although this run must crash")
			problems++
		} else {
			emit(1, "crashed as intended: " substr(crash_seen, 1, 100))
		}
	} else if (nr_results < plan) {
		emit(0, sprintf("only %d of %d planned results (last: %s)",
				nr_results, plan,
				nr_results ? last_result : "none"))
		problems++
	} else if (nr_results > plan) {
		emit(0, sprintf("%d results for a plan of %d", nr_results, plan))
		problems++
	}
	if (misnumbered) {
		emit(0, "KTAP numbering broken: " misnumbered)
		problems++
	}
	if (expect_fail != "" && ktap_seen && !expected_failures) {
		emit(0, "no test matching /" expect_fail "/ ran")
		problems++
	}
	if (done == "") {
		emit(0, "no final 'KTEST DONE' marker (crash, hang or cut-off output)")
		problems++
	} else if (done != expect_done) {
		emit(0, "final marker 'KTEST DONE: " done "', expected '" expect_done "'")
		problems++
	}
	for (i = 1; i <= nr_crash; i++) {
		emit(0, crash[i])
		problems++
	}
	for (i = 1; i <= nr_msgs; i++)
		emit(msg_seen[i] > 0, "prints '" msg[i] "'")
	if (!problems)
		emit(1, sprintf("run complete (%d results, KTEST DONE: %s)",
				nr_results, done))
}
