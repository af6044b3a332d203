// SPDX-License-Identifier: MIT
/*
 * Guest module command lines (see vmm/loader/guest_cmdline.h).
 *
 * The host words are a table: each entry parses its value into struct
 * guest_config and says what is wrong when it cannot. A word that is not
 * in the table is an error for this guest, never silently passed on: a
 * typo such as "vcpu=4" must not start a guest with one vCPU.
 */
#include "vmm/loader/guest_cmdline.h"
#include "kernel/cmdline.h"
#include "kernel/log.h"
#include "kernel/string.h"
#include "vmm/mmu/memslot.h"

#define WORD_MAX	128
#define STR_(x)		#x
#define STR(x)		STR_(x)

struct host_word {
	const char *key;
	/* Returns NULL when @val is good, else what is wrong with it. */
	const char *(*parse)(struct guest_config *cfg, const char *val);
	const char *syntax;
};

static const char *parse_name(struct guest_config *cfg, const char *val)
{
	size_t len = strlen(val);

	if (!len || len >= sizeof(cfg->name))
		return "must be 1 to 31 characters";
	for (size_t i = 0; i < len; i++) {
		char c = val[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return "may hold only letters, digits, '_' and '-'";
	}
	memcpy(cfg->name, val, len + 1);
	return NULL;
}

static const char *parse_vcpus(struct guest_config *cfg, const char *val)
{
	unsigned long long n;

	if (!cmdline_parse_uint(val, &n))
		return "is not a number";
	if (n < 1 || n > GUEST_MAX_VCPUS)
		return "is outside 1.." STR(GUEST_MAX_VCPUS) " (GUEST_MAX_VCPUS)";
	cfg->nr_vcpus = n;
	return NULL;
}

/* "16M", "0x200000", "1G": bytes with an optional binary suffix. */
static bool parse_size(const char *val, u64 *out)
{
	char num[WORD_MAX];
	size_t len = strlen(val);
	unsigned int shift = 0;
	unsigned long long v;

	if (!len || len >= sizeof(num))
		return false;
	switch (val[len - 1]) {
	case 'k': case 'K': shift = 10; break;
	case 'm': case 'M': shift = 20; break;
	case 'g': case 'G': shift = 30; break;
	}
	if (shift)
		len--;
	memcpy(num, val, len);
	num[len] = 0;
	if (!cmdline_parse_uint(num, &v) || v > (~0ULL >> shift))
		return false;
	*out = v << shift;
	return true;
}

static const char *parse_mem(struct guest_config *cfg, const char *val)
{
	u64 size;

	if (!parse_size(val, &size))
		return "is not a size (bytes, or a number with K, M or G)";
	if (size < GUEST_MIN_MEM)
		return "is below the 2M minimum";
	if (size > GUEST_MAX_MEM)
		return "is above the 1G maximum";
	if (size & (PAGE_SIZE - 1))
		return "is not a multiple of 4K";
	cfg->mem_size = size;
	return NULL;
}

static const char *parse_expect(struct guest_config *cfg, const char *val)
{
	if (!strcmp(val, "exit"))
		cfg->expect = GUEST_EXPECT_EXIT;
	else if (!strcmp(val, "triple_fault"))
		cfg->expect = GUEST_EXPECT_TRIPLE_FAULT;
	else
		return "must be 'exit' or 'triple_fault'";
	return NULL;
}

static const char *parse_timeout(struct guest_config *cfg, const char *val)
{
	unsigned long long n;

	if (!cmdline_parse_uint(val, &n) || n < 1 || n > 3600)
		return "must be 1..3600 seconds";
	cfg->timeout_s = n;
	return NULL;
}

static const char *parse_alias(struct guest_config *cfg, const char *val)
{
	u64 n;

	/* 16M pages: GUEST_MAX_ALIAS_PAGES (vmm/tdp_kernel.h). */
	if (!parse_size(val, &n) || n < 1 || n > (1ULL << 24))
		return "must be 1..16M pages (K and M suffixes allowed)";
	cfg->alias_pages = n;
	return NULL;
}

static const char *parse_flag(bool *flag, const char *val)
{
	if (strcmp(val, "0") && strcmp(val, "1"))
		return "must be 0 or 1";
	*flag = val[0] == '1';
	return NULL;
}

static const char *parse_pressure(struct guest_config *cfg, const char *val)
{
	cfg->pressure_swap = !strcmp(val, "swap");
	if (cfg->pressure_swap) {
		cfg->mmu_pressure = true;
		return NULL;
	}
	return parse_flag(&cfg->mmu_pressure, val) ? "must be 0, 1 or swap"
						    : NULL;
}

/* A decimal in [0, @max]. */
static const char *parse_u32_max(u32 *out, const char *val, u32 max,
				 const char *why)
{
	u64 n = 0;

	if (!*val)
		return why;
	for (; *val; val++) {
		if (*val < '0' || *val > '9')
			return why;
		n = n * 10 + (u64)(*val - '0');
		if (n > max)
			return why;
	}
	*out = (u32)n;
	return NULL;
}

static const char *parse_apf(struct guest_config *cfg, const char *val)
{
	return parse_flag(&cfg->apf, val);
}

static const char *parse_swap_latency(struct guest_config *cfg,
				      const char *val)
{
	return parse_u32_max(&cfg->swap_latency_us, val, 10000000,
			     "must be 0..10000000 (microseconds)");
}

static const char *parse_swap_jitter(struct guest_config *cfg,
				     const char *val)
{
	return parse_u32_max(&cfg->swap_jitter_us, val, 10000000,
			     "must be 0..10000000 (microseconds)");
}

static const char *parse_apf_race(struct guest_config *cfg, const char *val)
{
	return parse_u32_max(&cfg->apf_race, val, 1000000,
			     "must be 0..1000000 (every Nth async PF; 0: off)");
}

static const char *parse_profile(struct guest_config *cfg, const char *val)
{
	return parse_flag(&cfg->fault_profile, val);
}

static const char *parse_test_hooks(struct guest_config *cfg, const char *val)
{
	return parse_flag(&cfg->test_hooks, val);
}

static const char *parse_strict_io(struct guest_config *cfg, const char *val)
{
	return parse_flag(&cfg->strict_io, val);
}

static const char *parse_testdev(struct guest_config *cfg, const char *val)
{
	return parse_flag(&cfg->testdev, val);
}

static const char *parse_nested(struct guest_config *cfg, const char *val)
{
	return parse_flag(&cfg->nested, val);
}

static const char *parse_hugepages(struct guest_config *cfg, const char *val)
{
	if (!strcmp(val, "4k"))
		cfg->hugepages = 0;
	else if (!strcmp(val, "2m"))
		cfg->hugepages = MEMSLOT_HUGE_2M;
	else if (!strcmp(val, "1g"))
		cfg->hugepages = MEMSLOT_HUGE_1G;
	else
		return "must be 4k, 2m or 1g";
	return NULL;
}

static const struct host_word host_words[] = {
	{ "name", parse_name, "name=NAME" },
	{ "vcpus", parse_vcpus, "vcpus=N" },
	{ "mem", parse_mem, "mem=SIZE" },
	{ "expect", parse_expect, "expect=exit|triple_fault" },
	{ "timeout", parse_timeout, "timeout=SECONDS" },
	{ "alias", parse_alias, "alias=PAGES" },
	{ "pressure", parse_pressure, "pressure=0|1|swap" },
	{ "profile", parse_profile, "profile=0|1" },
	{ "test_hooks", parse_test_hooks, "test_hooks=0|1" },
	{ "strict_io", parse_strict_io, "strict_io=0|1" },
	{ "testdev", parse_testdev, "testdev=0|1" },
	{ "hugepages", parse_hugepages, "hugepages=4k|2m|1g" },
	{ "nested", parse_nested, "nested=0|1" },
	{ "apf", parse_apf, "apf=0|1" },
	{ "swap_latency_us", parse_swap_latency, "swap_latency_us=N" },
	{ "swap_jitter_us", parse_swap_jitter, "swap_jitter_us=N" },
	{ "apf_race", parse_apf_race, "apf_race=N" },
};

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* Copy the next word of *@s into @buf; false at the end of the line. */
static bool next_word(const char **s, char *buf, size_t size, bool *too_long)
{
	const char *p = *s;
	size_t len = 0;

	while (is_space(*p))
		p++;
	if (!*p)
		return false;
	*too_long = false;
	for (; *p && !is_space(*p); p++) {
		if (len + 1 < size)
			buf[len++] = *p;
		else
			*too_long = true;
	}
	buf[len] = 0;
	*s = p;
	return true;
}

/* Is there a host word (before "--") starting with @prefix? */
static bool has_host_word(const char *s, const char *prefix)
{
	char word[WORD_MAX];
	bool too_long;

	while (s && next_word(&s, word, sizeof(word), &too_long)) {
		if (!strcmp(word, "--"))
			break;
		if (!strncmp(word, prefix, strlen(prefix)))
			return true;
	}
	return false;
}

bool guest_cmdline_is_guest(const char *s)
{
	return has_host_word(s, "name=") && !has_host_word(s, "module_for=");
}

bool guest_cmdline_is_module(const char *s)
{
	return has_host_word(s, "module_for=");
}

/* The text after "--" (spaces after it skipped) into @out, or false. */
static bool copy_guest_text(const char *s, char *out, size_t size,
			    char *err, size_t errlen)
{
	while (is_space(*s))
		s++;
	if (strlen(s) >= size) {
		ksnprintf(err, errlen, "text after '--' is longer than %zu bytes",
			  size - 1);
		return false;
	}
	memcpy(out, s, strlen(s) + 1);
	return true;
}

bool guest_module_parse(const char *s, struct guest_module_line *ml,
			char *err, size_t errlen)
{
	struct guest_config cfg;	/* only for parse_name() */
	char word[WORD_MAX];
	bool too_long, seen = false;

	memset(ml, 0, sizeof(*ml));
	err[0] = 0;
	while (next_word(&s, word, sizeof(word), &too_long)) {
		const char *why;

		if (!strcmp(word, "--")) {
			if (!copy_guest_text(s, ml->string, sizeof(ml->string),
					     err, errlen))
				return false;
			break;
		}
		if (too_long || strncmp(word, "module_for=", 11)) {
			ksnprintf(err, errlen,
				  "'%.40s' on a module line: only module_for=NAME [-- MODULE STRING]",
				  word);
			return false;
		}
		if (seen) {
			ksnprintf(err, errlen, "module_for= given twice");
			return false;
		}
		why = parse_name(&cfg, word + 11);
		if (why) {
			ksnprintf(err, errlen, "module_for=NAME: '%s' %s",
				  word + 11, why);
			return false;
		}
		memcpy(ml->guest, cfg.name, sizeof(ml->guest));
		seen = true;
	}
	if (!seen)
		ksnprintf(err, errlen, "no module_for=NAME in the module line");
	return seen;
}

static const struct host_word *find_word(const char *key, size_t len)
{
	for (size_t i = 0; i < ARRAY_SIZE(host_words); i++)
		if (strlen(host_words[i].key) == len &&
		    !strncmp(host_words[i].key, key, len))
			return &host_words[i];
	return NULL;
}

bool guest_cmdline_parse(const char *s, struct guest_config *cfg,
			 char *err, size_t errlen)
{
	char word[WORD_MAX];
	bool too_long, seen_name = false;
	unsigned int seen = 0;

	memset(cfg, 0, sizeof(*cfg));
	cfg->nr_vcpus = 1;
	cfg->mem_size = GUEST_DEFAULT_MEM;
	cfg->expect = GUEST_EXPECT_EXIT;
	cfg->timeout_s = GUEST_DEFAULT_TIMEOUT_S;
	cfg->apf = true;
	cfg->swap_latency_us = GUEST_DEFAULT_SWAP_LATENCY_US;
	err[0] = 0;

	/* The name first, so that every later error can carry it. */
	for (const char *p = s; next_word(&p, word, sizeof(word), &too_long);) {
		if (!strcmp(word, "--"))
			break;
		if (!strncmp(word, "name=", 5) && !too_long &&
		    !parse_name(cfg, word + 5))
			break;
	}

	while (next_word(&s, word, sizeof(word), &too_long)) {
		const struct host_word *w;
		const char *eq, *why;

		if (!strcmp(word, "--")) {
			while (is_space(*s))
				s++;
			if (strlen(s) >= sizeof(cfg->guest_cmdline)) {
				ksnprintf(err, errlen,
					  "guest options after '--' are longer than %u bytes",
					  HV_CMDLINE_MAX - 1);
				return false;
			}
			memcpy(cfg->guest_cmdline, s, strlen(s) + 1);
			break;
		}
		if (too_long) {
			ksnprintf(err, errlen, "option '%.32s...' is too long",
				  word);
			return false;
		}
		eq = strchr(word, '=');
		w = find_word(word, eq ? (size_t)(eq - word) : strlen(word));
		if (!w) {
			ksnprintf(err, errlen,
				  "unknown option '%s' (host options: name= vcpus= mem= expect= timeout= alias= pressure= profile= test_hooks= strict_io= testdev= hugepages= nested= apf= swap_latency_us= swap_jitter_us= apf_race=; guest options go after '--')",
				  word);
			return false;
		}
		if (!eq) {
			ksnprintf(err, errlen, "option '%s' needs a value: %s",
				  word, w->syntax);
			return false;
		}
		if (seen & BIT(w - host_words)) {
			ksnprintf(err, errlen, "option '%s' given twice", w->key);
			return false;
		}
		seen |= BIT(w - host_words);
		why = w->parse(cfg, eq + 1);
		if (why) {
			ksnprintf(err, errlen, "%s: '%s' %s", w->syntax, eq + 1,
				  why);
			return false;
		}
		if (w->parse == parse_name)
			seen_name = true;
	}
	if (!seen_name) {
		ksnprintf(err, errlen, "no name=NAME in the module command line");
		return false;
	}
	return true;
}
