// SPDX-License-Identifier: MIT
/* The boot guests' pass/fail rule (vmm_boot.c's judge) on made-up reports. */
#include "vmm/loader/vmm_boot_internal.h"
#include "vmm/vcpu.h"
#include "vmm/vmx/vmx_names.h"
#include "kernel/ktest.h"
#include "kernel/log.h"
#include "kernel/string.h"

/* The pass/fail rule on made-up reports: no guest needs to run. */
KTEST(guests, judge_outcomes)
{
	static const struct {
		enum guest_expect expect;
		struct guest_report r;
		bool pass;
		const char *why;
	} cases[] = {
		{ GUEST_EXPECT_EXIT, { .planned = 3, .passed = 3, .exited = true }, true, "" },
		{ GUEST_EXPECT_EXIT, { .planned = 0, .exited = true }, true, "" },
		{ GUEST_EXPECT_EXIT, { .planned = 3, .passed = 2, .skipped = 1, .exited = true }, true, "" },
		{ GUEST_EXPECT_EXIT, { .planned = 3, .passed = 2, .exited = true }, false, "2 results for a plan of 3" },
		{ GUEST_EXPECT_EXIT, { .planned = 2, .passed = 1, .failed = 1, .exited = true }, false, "1 of its tests failed" },
		{ GUEST_EXPECT_EXIT, { .planned = 1, .passed = 1, .exited = true, .exit_status = 3 }, false, "exit status 3" },
		{ GUEST_EXPECT_EXIT, { .planned = 1, .passed = 1 }, false, "exit status 0" },
		{ GUEST_EXPECT_EXIT, { .planned = 1, .passed = 1, .died = true, .death = "triple fault", .death_exit_reason = EXIT_REASON_TRIPLE_FAULT }, false, "died: triple fault" },
		{ GUEST_EXPECT_TRIPLE_FAULT, { .planned = 1, .passed = 1, .died = true, .death = "triple fault", .death_exit_reason = EXIT_REASON_TRIPLE_FAULT }, true, "" },
		{ GUEST_EXPECT_TRIPLE_FAULT, { .planned = 1, .passed = 1, .exited = true }, false, "expected a triple fault, but it exited" },
		{ GUEST_EXPECT_TRIPLE_FAULT, { .planned = 1, .passed = 1, .died = true, .death = "timed out", .death_exit_reason = GUEST_DEATH_NOT_AN_EXIT }, false, "died: timed out" },
		{ GUEST_EXPECT_TRIPLE_FAULT, { .planned = 2, .passed = 1, .died = true, .death = "triple fault", .death_exit_reason = EXIT_REASON_TRIPLE_FAULT }, false, "1 results for a plan of 2" },
	};
	/* struct guest holds the MMU's tables of pointers: too big for a stack. */
	static struct guest g;
	struct boot_guest bg;
	char why[GUEST_ERR_LEN + 32];

	for (unsigned int i = 0; i < ARRAY_SIZE(cases); i++) {
		bool pass;

		memset(&bg, 0, sizeof(bg));
		memset(&g, 0, sizeof(g));
		g.report = cases[i].r;
		bg.g = &g;
		bg.cfg.expect = cases[i].expect;
		why[0] = 0;
		pass = judge(&bg, why, sizeof(why));
		if (!KTEST_EXPECT_EQ(t, pass, cases[i].pass) ||
		    !KTEST_EXPECT(t, strstr(why, cases[i].why) != NULL))
			ktest_diag(t, "case %u: %s, '%s'", i,
				   pass ? "pass" : "fail", why);
	}
	/* A guest refused at load time fails with the loader's words. */
	memset(&bg, 0, sizeof(bg));
	memset(&g, 0, sizeof(g));
	bg.g = &g;
	ksnprintf(bg.err, sizeof(bg.err), "no end after 5 s");
	KTEST_EXPECT(t, !judge(&bg, why, sizeof(why)));
	KTEST_EXPECT(t, strstr(why, "no end after 5 s") != NULL);
}
