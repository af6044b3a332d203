/* SPDX-License-Identifier: MIT */
/*
 * Leveled log, panic and WARN/BUG, shared by the kernel and the hosted build.
 *
 * Every line is prefixed with the CPU that printed it ("[cpu1] ..."), so
 * interleaved output from several CPUs stays readable on one serial line.
 * Lines below the current level (log_level=, kernel command line) are
 * dropped. Output goes through plat_console_write().
 */
#ifndef KERNEL_LOG_H
#define KERNEL_LOG_H

#include "kernel/compiler.h"

enum log_level {
	LOG_ERR = 0,
	LOG_WARN = 1,
	LOG_INFO = 2,
	LOG_DEBUG = 3,
};

extern int log_level;

int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int ksnprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);

void log_printf(int level, const char *fmt, ...) __printf(2, 3);
/* Raw output without prefix or level filter (KTAP lines, banners). */
void log_raw(const char *fmt, ...) __printf(1, 2);

#define pr_err(...)	log_printf(LOG_ERR, __VA_ARGS__)
#define pr_warn(...)	log_printf(LOG_WARN, __VA_ARGS__)
#define pr_info(...)	log_printf(LOG_INFO, __VA_ARGS__)
#define pr_debug(...)	log_printf(LOG_DEBUG, __VA_ARGS__)

__noreturn void panic(const char *fmt, ...) __printf(1, 2);

/* Counts every WARN that fired, so tests can assert "no warnings". */
extern unsigned long warn_count;
/* Counts every "BUG: ..." report printed (see log_vemit). */
extern unsigned long bug_count;
void warn_slowpath(const char *file, int line, const char *cond);

#define WARN_ON(cond) ({						\
	bool __c = !!(cond);						\
	if (unlikely(__c))						\
		warn_slowpath(__FILE__, __LINE__, #cond);		\
	unlikely(__c);							\
})

#define WARN_ON_ONCE(cond) ({						\
	static bool __warned;						\
	bool __c = !!(cond);						\
	if (unlikely(__c) && !__atomic_exchange_n(&__warned, true,	\
						  __ATOMIC_RELAXED))	\
		warn_slowpath(__FILE__, __LINE__, #cond);		\
	unlikely(__c);							\
})

#define BUG_ON(cond) do {						\
	if (unlikely(cond))						\
		panic("BUG at %s:%d: %s", __FILE__, __LINE__, #cond);	\
} while (0)

#endif
