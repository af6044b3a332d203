/* SPDX-License-Identifier: MIT */
/*
 * The hosted benchmarks' report: each figure is printed as a table row
 * when measured and kept, so that the run ends by writing all of them as
 * JSON (build/bench/<bench>.json) with the machine's core count and load,
 * without which a figure from a shared machine cannot be judged.
 */
#ifndef TESTS_HOST_HOST_BENCH_REPORT_H
#define TESTS_HOST_HOST_BENCH_REPORT_H

/* Record a figure: @unit, its value, and a printf-style name. */
void bench_add(const char *unit, double value, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Print "# <bench>: N cores online, load average a b c<suffix>". */
void bench_header(const char *bench, const char *suffix);

/* Write every recorded figure to @path as JSON; no-op when NULL. */
void bench_write_json(const char *path);

#endif
