/* SPDX-License-Identifier: MIT */
/*
 * In-kernel tests.
 *
 * A test is a function registered in the .ktests linker section with
 * KTEST(suite, name). At boot the runner (kernel/ktest.c) prints
 * "KTAP version 1" and "1..N", runs every test whose "suite.name" matches
 * the command-line filter (ktest=PATTERN, '*' wildcards, comma-separated),
 * and prints "ok N suite.name" or "not ok N suite.name" with "# " diagnostic
 * lines before it. Afterwards the kernel ends the emulator with a pass/fail
 * status (see kernel/ktest.c).
 *
 * A test fails when any KTEST_EXPECT fails, when it calls ktest_fail(), or
 * when it leaks: the runner compares the free-page and heap counters
 * before and after each test unless the test sets t->allow_leak.
 */
#ifndef KERNEL_KTEST_H
#define KERNEL_KTEST_H

#include "kernel/compiler.h"

struct ktest {
	const char *suite;
	const char *name;
	bool failed;
	bool skipped;		/* set via ktest_skip(): prints "# SKIP reason" */
	bool allow_leak;	/* the test intentionally keeps memory */
	unsigned int nr_expect;	/* checks evaluated, printed as a diagnostic */
};

struct ktest_case {
	const char *suite;
	const char *name;
	void (*fn)(struct ktest *t);
	unsigned int flags;
};

/* The test needs at least two CPUs (skipped with a reason otherwise). */
#define KTEST_F_SMP		BIT(0)
/* The test expects a "BUG:" report on the console (the watchdog tests). */
#define KTEST_F_EXPECTS_BUG	BIT(1)

#define KTEST_FLAGS(suite_, name_, flags_)				\
	static void ktest_##suite_##_##name_(struct ktest *t);		\
	static const struct ktest_case ktest_case_##suite_##_##name_	\
		__used __section(".ktests") __aligned(8) = {		\
		.suite = #suite_, .name = #name_,			\
		.fn = ktest_##suite_##_##name_, .flags = (flags_),	\
	};								\
	static void ktest_##suite_##_##name_(struct ktest *t)

#define KTEST(suite_, name_) KTEST_FLAGS(suite_, name_, 0)

void ktest_fail(struct ktest *t, const char *file, int line,
		const char *fmt, ...) __printf(4, 5);
void ktest_skip(struct ktest *t, const char *reason);
/* Print a "# ..." diagnostic line belonging to the running test. */
void ktest_diag(struct ktest *t, const char *fmt, ...) __printf(2, 3);

/* Run every registered test that the ktest= filter selects; returns failures. */
unsigned int ktest_run_all(void);
/* @filter: comma-separated '*' globs over "suite.name"; "" matches all. */
bool ktest_filter_match(const char *filter, const char *full);

#define KTEST_EXPECT(t, cond) ({					\
	bool __ok = !!(cond);						\
	(t)->nr_expect++;						\
	if (!__ok)							\
		ktest_fail((t), __FILE__, __LINE__, "expected %s", #cond); \
	__ok;								\
})

#define KTEST_EXPECT_EQ(t, a, b) ({					\
	unsigned long long __a = (unsigned long long)(a);		\
	unsigned long long __b = (unsigned long long)(b);		\
	(t)->nr_expect++;						\
	if (__a != __b)							\
		ktest_fail((t), __FILE__, __LINE__,			\
			   "expected %s == %s (0x%llx != 0x%llx)",	\
			   #a, #b, __a, __b);				\
	__a == __b;							\
})

#endif
