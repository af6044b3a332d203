/* SPDX-License-Identifier: MIT */
/*
 * Minimal TAP producer for tests/host programs.
 *
 *   tap_plan(n);  tap_ok(cond, "name %d", i);  tap_diag("...");
 *   return tap_done();   // exit status: 0 iff all planned tests passed
 *
 * Names must not contain '#'. Output goes to stdout, one line per call
 * (logs from the core go to stderr).
 */
#ifndef TESTS_HOST_TAP_H
#define TESTS_HOST_TAP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

static int tap_planned, tap_run, tap_failed;

/* tests/host/platform_host.c: WARN/BUG reports nobody announced. */
long host_unexpected_reports(void);

static inline void tap_plan(int n)
{
	tap_planned = n;
	printf("TAP version 13\n1..%d\n", n);
	fflush(stdout);
}

__attribute__((format(printf, 2, 3)))
static inline bool tap_ok(bool cond, const char *fmt, ...)
{
	va_list ap;

	tap_run++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - ", cond ? "" : "not ", tap_run);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	return cond;
}

__attribute__((format(printf, 1, 2)))
static inline void tap_diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static inline void tap_skip(const char *name, const char *why)
{
	tap_run++;
	printf("ok %d - %s # SKIP %s\n", tap_run, name, why);
	fflush(stdout);
}

static inline int tap_done(void)
{
	long unexpected = host_unexpected_reports();

	if (tap_run != tap_planned) {
		printf("# planned %d tests but ran %d\n", tap_planned, tap_run);
		return 1;
	}
	/* Any WARN or BUG report that no test asked for fails the program. */
	if (unexpected) {
		printf("# %ld WARN/BUG report(s) that no test announced "
		       "(see stderr)\n", unexpected);
		return 1;
	}
	return tap_failed ? 1 : 0;
}

#endif
