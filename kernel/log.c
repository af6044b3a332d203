// SPDX-License-Identifier: MIT
/*
 * Leveled log, WARN and panic (see kernel/log.h).
 *
 * A line is formatted into a stack buffer and handed to the console in one
 * plat_console_write() call; the console serialises whole writes, so lines
 * from different CPUs never interleave mid-line.
 */
#include "kernel/log.h"
#include "kernel/platform.h"

int log_level = LOG_INFO;
unsigned long warn_count;
unsigned long bug_count;

#define LOG_LINE_MAX 512

static const char *const level_tag[] = {
	[LOG_ERR] = "ERR ", [LOG_WARN] = "WARN ", [LOG_INFO] = "", [LOG_DEBUG] = "dbg ",
};

static void log_vemit(int level, bool prefix, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX];
	int n = 0;

	/*
	 * Every report that starts "BUG:" (lockdep, RCU stall, lockups, MMU
	 * invariants) is counted here, in one place, so a test run can fail
	 * on any report it did not ask for.
	 */
	if (fmt[0] == 'B' && fmt[1] == 'U' && fmt[2] == 'G' && fmt[3] == ':')
		__atomic_add_fetch(&bug_count, 1, __ATOMIC_RELAXED);

	if (prefix)
		n = ksnprintf(line, sizeof(line), "[cpu%u] %s", plat_cpu_id(),
			     level >= 0 && level <= LOG_DEBUG ? level_tag[level] : "");
	n += kvsnprintf(line + n, sizeof(line) - n, fmt, ap);
	if (n >= (int)sizeof(line)) {
		/* Truncated: keep the line terminated so the next one starts clean. */
		n = sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	plat_console_write(line, n);
}

void log_printf(int level, const char *fmt, ...)
{
	va_list ap;

	if (level > READ_ONCE(log_level))
		return;
	va_start(ap, fmt);
	log_vemit(level, true, fmt, ap);
	va_end(ap);
}

void log_raw(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vemit(LOG_ERR, false, fmt, ap);
	va_end(ap);
}

void warn_slowpath(const char *file, int line, const char *cond)
{
	__atomic_add_fetch(&warn_count, 1, __ATOMIC_RELAXED);
	pr_warn("WARNING: %s:%d: %s\n", file, line, cond);
}

__noreturn void panic(const char *fmt, ...)
{
	va_list ap;
	char msg[LOG_LINE_MAX];

	va_start(ap, fmt);
	kvsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pr_err("Kernel panic: %s\n", msg);
	plat_halt();
}
