// SPDX-License-Identifier: MIT
/* Kernel command-line parsing (see kernel/cmdline.h). */
#include "kernel/cmdline.h"
#include "arch/x86/lapic.h"
#include "kernel/exit.h"
#include "kernel/log.h"
#include "kernel/string.h"

char cmdline_ktest_filter[CMDLINE_STR_MAX];
unsigned int cmdline_cpus;
unsigned int cmdline_watchdog_thresh;
unsigned int cmdline_hardlockup_thresh;
unsigned int cmdline_expect_mem_mb;
unsigned int cmdline_expect_cpus;
unsigned int cmdline_zero_pool = CMDLINE_ZERO_POOL_AUTO;
char cmdline_crash_test[CMDLINE_STR_MAX];
char cmdline_calibrate[CMDLINE_STR_MAX];
unsigned int cmdline_expect_vmx;

static const char *boot_cmdline = "";

static const struct cmdline_option kernel_options[] = {
	{ "log_level", CMDLINE_LOG_LEVEL, &log_level },
	{ "ktest", CMDLINE_STR, cmdline_ktest_filter },
	{ "cpus", CMDLINE_UINT, &cmdline_cpus },
	{ "watchdog_thresh", CMDLINE_UINT, &cmdline_watchdog_thresh },
	{ "hardlockup_thresh", CMDLINE_UINT, &cmdline_hardlockup_thresh },
	{ "exit", CMDLINE_EXIT_MODE, &exit_mode },
	{ "timer_hz", CMDLINE_UINT, &timer_hz },
	{ "expect_mem_mb", CMDLINE_UINT, &cmdline_expect_mem_mb },
	{ "expect_cpus", CMDLINE_UINT, &cmdline_expect_cpus },
	{ "crash_test", CMDLINE_STR, cmdline_crash_test },
	{ "expect_vmx", CMDLINE_UINT, &cmdline_expect_vmx },
	{ "zero_pool", CMDLINE_UINT, &cmdline_zero_pool },
	{ "calibrate", CMDLINE_STR, cmdline_calibrate },
};

static const char *const log_level_names[] = {
	[LOG_ERR] = "err", [LOG_WARN] = "warn", [LOG_INFO] = "info",
	[LOG_DEBUG] = "debug",
};

bool cmdline_parse_uint(const char *s, unsigned long long *out)
{
	unsigned long long v = 0;
	unsigned int base = 10;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!*s)
		return false;
	for (; *s; s++) {
		unsigned int d;

		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			return false;
		if (v > (~0ULL - d) / base)
			return false;
		v = v * base + d;
	}
	*out = v;
	return true;
}

static bool apply(const struct cmdline_option *o, const char *val)
{
	unsigned long long v;

	switch (o->type) {
	case CMDLINE_UINT:
		if (!val || !cmdline_parse_uint(val, &v) || v > 0xffffffffULL)
			return false;
		*(unsigned int *)o->dst = v;
		return true;
	case CMDLINE_STR:
		if (!val || strlen(val) >= CMDLINE_STR_MAX)
			return false;
		memcpy(o->dst, val, strlen(val) + 1);
		return true;
	case CMDLINE_LOG_LEVEL:
		for (unsigned int i = 0; val && i < ARRAY_SIZE(log_level_names); i++) {
			if (!strcmp(val, log_level_names[i])) {
				*(int *)o->dst = i;
				return true;
			}
		}
		return false;
	case CMDLINE_EXIT_MODE:
		return val && exit_mode_parse(val, o->dst);
	case CMDLINE_FLAG:
		if (val)
			return false;
		*(bool *)o->dst = true;
		return true;
	}
	return false;
}

/*
 * Copy the next word of @*s into @tok (at most @size bytes with the NUL)
 * and advance @*s past it. Words are separated by blanks; a backslash
 * takes the next character literally and double quotes group blanks into
 * the word, which is how GRUB's multiboot2 passes a quote or a blank that
 * grub.cfg had quoted ("fr'x" arrives as "fr\'x"). Returns the word's
 * length, 0 at the end, or -1 when it does not fit (then skipped whole).
 */
static int next_word(const char **s, char *tok, size_t size)
{
	const char *p = *s;
	size_t len = 0;
	bool quoted = false, fits = true;

	while (*p == ' ' || *p == '\t')
		p++;
	if (!*p) {
		*s = p;
		return 0;
	}
	while (*p && (quoted || (*p != ' ' && *p != '\t'))) {
		char c = *p++;

		if (c == '"') {
			quoted = !quoted;
			continue;
		}
		if (c == '\\' && *p)
			c = *p++;
		if (len + 1 < size)
			tok[len++] = c;
		else
			fits = false;
	}
	tok[len] = '\0';
	*s = p;
	return fits ? (int)len : -1;
}

unsigned int cmdline_parse(const char *s, const struct cmdline_option *opts,
			   unsigned int nr_opts)
{
	unsigned int problems = 0;
	char tok[256];
	int len;

	while ((len = next_word(&s, tok, sizeof(tok))) != 0) {
		char *val;
		unsigned int i;

		if (len < 0) {
			pr_err("cmdline: option too long ('%.32s...')\n", tok);
			problems++;
			continue;
		}
		val = strchr(tok, '=');
		if (val)
			*val++ = '\0';
		for (i = 0; i < nr_opts; i++)
			if (!strcmp(tok, opts[i].name))
				break;
		if (i == nr_opts) {
			pr_err("cmdline: unknown option '%s'\n", tok);
			problems++;
		} else if (!apply(&opts[i], val)) {
			pr_err("cmdline: bad value '%s' for option '%s'\n",
			       val ? val : "", tok);
			problems++;
		}
	}
	return problems;
}

unsigned int cmdline_parse_kernel(const char *s)
{
	boot_cmdline = s;
	return cmdline_parse(s, kernel_options, ARRAY_SIZE(kernel_options));
}

