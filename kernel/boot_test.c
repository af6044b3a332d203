// SPDX-License-Identifier: MIT
/* Boot-information tests: command-line parsing, memory map, test module. */
#include "kernel/cmdline.h"
#include "kernel/ktest.h"
#include "kernel/multiboot2.h"
#include "kernel/string.h"

KTEST(boot, cmdline_parse)
{
	unsigned int n = 7;
	char s[CMDLINE_STR_MAX] = "";
	const struct cmdline_option opts[] = {
		{ "n", CMDLINE_UINT, &n }, { "s", CMDLINE_STR, s },
	};

	KTEST_EXPECT_EQ(t, cmdline_parse("n=0x10  s=a*b,c", opts, 2), 0);
	KTEST_EXPECT_EQ(t, n, 16);
	KTEST_EXPECT(t, !strcmp(s, "a*b,c"));
	KTEST_EXPECT_EQ(t, cmdline_parse("n=12x", opts, 2), 1);
	KTEST_EXPECT_EQ(t, n, 16);		/* bad value keeps the old one */
	KTEST_EXPECT_EQ(t, cmdline_parse("bogus n=3", opts, 2), 1);
	KTEST_EXPECT_EQ(t, n, 3);
	KTEST_EXPECT_EQ(t, cmdline_parse("", opts, 2), 0);
	/* GRUB's escapes: backslash-quoted characters, "..." grouping. */
	KTEST_EXPECT_EQ(t, cmdline_parse("s=fr\\'$x;\\\"q", opts, 2), 0);
	KTEST_EXPECT(t, !strcmp(s, "fr'$x;\"q"));
	KTEST_EXPECT_EQ(t, cmdline_parse(" s=\"a b\"c n=4 ", opts, 2), 0);
	KTEST_EXPECT(t, !strcmp(s, "a bc"));
	KTEST_EXPECT_EQ(t, n, 4);
	KTEST_EXPECT(t, ktest_filter_match("x86.*,smp.a*", "smp.all"));
	KTEST_EXPECT(t, !ktest_filter_match("x86.*", "smp.all"));
}

KTEST(boot, memory_map)
{
	u64 mb = boot_info.usable_bytes >> 20;

	KTEST_EXPECT(t, boot_info.have_mmap);
	KTEST_EXPECT(t, boot_info.nr_usable > 0);
	if (!cmdline_expect_mem_mb) {
		ktest_skip(t, "no expect_mem_mb= on the command line");
		return;
	}
	/* Firmware keeps a little below 1 MiB and at the top of RAM. */
	KTEST_EXPECT(t, mb <= cmdline_expect_mem_mb);
	KTEST_EXPECT(t, mb >= cmdline_expect_mem_mb * 9 / 10);
}

static u32 crc32(const u8 *p, u64 len)
{
	u32 crc = ~0u;

	while (len--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
	}
	return ~crc;
}

KTEST(boot, test_module)
{
	bool found = false;

	for (unsigned int i = 0; i < boot_info.nr_modules; i++) {
		const struct boot_module *m = &boot_info.modules[i];
		const char *c = strchr(m->cmdline, 'c');
		const char *z;
		unsigned long long want_crc, want_size;
		char buf[32];
		size_t l;

		if (strncmp(m->cmdline, "testmod ", 8) || !c)
			continue;
		found = true;
		c = m->cmdline + 8;
		if (!KTEST_EXPECT(t, !strncmp(c, "crc32=", 6)))
			continue;
		l = 0;
		while (c[6 + l] && c[6 + l] != ' ' && l < sizeof(buf) - 3)
			l++;
		buf[0] = '0', buf[1] = 'x';
		memcpy(buf + 2, c + 6, l);
		buf[2 + l] = '\0';
		z = c + 6 + l;
		KTEST_EXPECT(t, cmdline_parse_uint(buf, &want_crc));
		KTEST_EXPECT(t, !strncmp(z, " size=", 6) &&
				cmdline_parse_uint(z + 6, &want_size));
		KTEST_EXPECT_EQ(t, m->end - m->start, want_size);
		KTEST_EXPECT_EQ(t, crc32((const u8 *)(unsigned long)m->start,
					 m->end - m->start), want_crc);
	}
	if (!found)
		ktest_skip(t, "no 'testmod crc32=... size=...' module given");
}
