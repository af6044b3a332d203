// SPDX-License-Identifier: MIT
/*
 * In-kernel test runner (see kernel/ktest.h): KTAP on the console, a
 * per-test leak check, and a final summary line the harness can match.
 */
#include "kernel/ktest.h"
#include "kernel/cmdline.h"
#include "kernel/log.h"
#include "kernel/platform.h"
#include "kernel/string.h"
#include "mm/kmalloc.h"
#include "mm/page_alloc.h"

extern const struct ktest_case __start_ktests[], __stop_ktests[];

/* Shell-style match with '*' only. */
static bool glob_match(const char *pat, size_t plen, const char *s)
{
	while (plen) {
		if (*pat == '*') {
			pat++, plen--;
			if (!plen)
				return true;
			for (; *s; s++)
				if (glob_match(pat, plen, s))
					return true;
			return glob_match(pat, plen, s);
		}
		if (*s != *pat)
			return false;
		pat++, plen--, s++;
	}
	return !*s;
}

/* @filter: comma-separated globs over "suite.name"; empty = everything. */
bool ktest_filter_match(const char *filter, const char *full)
{
	if (!filter || !*filter)
		return true;
	while (*filter) {
		const char *comma = strchr(filter, ',');
		size_t len = comma ? (size_t)(comma - filter) : strlen(filter);

		if (len && glob_match(filter, len, full))
			return true;
		if (!comma)
			break;
		filter = comma + 1;
	}
	return false;
}

static void full_name(const struct ktest_case *c, char *buf, size_t size)
{
	ksnprintf(buf, size, "%s.%s", c->suite, c->name);
}

void ktest_fail(struct ktest *t, const char *file, int line,
		const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	kvsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	t->failed = true;
	log_raw("# %s.%s: %s:%d: %s\n", t->suite, t->name, file, line, msg);
}

static const char *skip_reason;

void ktest_skip(struct ktest *t, const char *reason)
{
	t->skipped = true;
	skip_reason = reason;
}

void ktest_diag(struct ktest *t, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	kvsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_raw("# %s\n", msg);
}

/* Returns the number of failed tests. */
unsigned int ktest_run_all(void)
{
	const char *filter = cmdline_ktest_filter;
	unsigned int total = 0, n = 0, passed = 0, failed = 0, skipped = 0;
	char name[128];

	for (const struct ktest_case *c = __start_ktests; c < __stop_ktests; c++) {
		full_name(c, name, sizeof(name));
		total += ktest_filter_match(filter, name);
	}
	log_raw("KTAP version 1\n");
	log_raw("1..%u\n", total);
	if (*filter)
		log_raw("# filter: %s\n", filter);

	for (const struct ktest_case *c = __start_ktests; c < __stop_ktests; c++) {
		struct ktest t = { .suite = c->suite, .name = c->name };
		u64 pages0, objs0, pages1, objs1, t0;

		full_name(c, name, sizeof(name));
		if (!ktest_filter_match(filter, name))
			continue;
		n++;
		skip_reason = NULL;
		if ((c->flags & KTEST_F_SMP) && plat_nr_cpus() < 2) {
			log_raw("ok %u %s # SKIP needs at least 2 CPUs\n", n, name);
			skipped++;
			continue;
		}
		pages0 = page_alloc_nr_free();
		objs0 = kmalloc_nr_live();
		t0 = plat_now_ns();
		c->fn(&t);
		pages1 = page_alloc_nr_free();
		objs1 = kmalloc_nr_live();
		if (!t.allow_leak && !t.skipped &&
		    (pages1 != pages0 || objs1 != objs0)) {
			log_raw("# %s: leak: free pages %llu -> %llu, live heap objects %llu -> %llu\n",
				name, (unsigned long long)pages0,
				(unsigned long long)pages1,
				(unsigned long long)objs0,
				(unsigned long long)objs1);
			t.failed = true;
		}
		log_raw("# %s: %u checks, %llu us\n", name, t.nr_expect,
			(unsigned long long)((plat_now_ns() - t0) / 1000));
		if (t.failed) {
			log_raw("not ok %u %s\n", n, name);
			failed++;
		} else if (t.skipped) {
			log_raw("ok %u %s # SKIP %s\n", n, name,
				skip_reason ? skip_reason : "");
			skipped++;
		} else {
			log_raw("ok %u %s\n", n, name);
			passed++;
		}
	}
	log_raw("# ktest: %u passed, %u failed, %u skipped\n", passed, failed,
		skipped);
	return failed;
}
