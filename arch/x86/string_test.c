// SPDX-License-Identifier: MIT
/*
 * The kernel's own C string functions: the edge cases the callers rely
 * on (glibc's behaviour, since hosted builds get glibc's versions).
 */
#include "kernel/ktest.h"
#include "kernel/string.h"

KTEST(string, strstr)
{
	static const char s[] = "vmx: refusing VMX: missing: EPT, VPID";

	KTEST_EXPECT(t, strstr(s, "") == s);
	KTEST_EXPECT(t, strstr(s, "vmx") == s);
	KTEST_EXPECT(t, strstr(s, "VMX") == s + 14);
	KTEST_EXPECT(t, strstr(s, "VPID") == s + 33);
	KTEST_EXPECT(t, strstr(s, "VPIDX") == NULL);
	KTEST_EXPECT(t, strstr(s, "missing: EPT, VPID!") == NULL);
	KTEST_EXPECT(t, strstr("", "a") == NULL);
	KTEST_EXPECT(t, strstr("aab", "ab") != NULL);
}

KTEST(string, strchr_and_compare)
{
	static const char s[] = "name=a,b";

	KTEST_EXPECT(t, strchr(s, ',') == s + 6);
	KTEST_EXPECT(t, strchr(s, '\0') == s + 8);
	KTEST_EXPECT(t, strchr(s, 'z') == NULL);
	KTEST_EXPECT(t, strncmp("abc", "abd", 2) == 0);
	KTEST_EXPECT(t, strncmp("abc", "abd", 3) < 0);
	KTEST_EXPECT(t, strcmp("b", "a") > 0);
	KTEST_EXPECT(t, strlen(s) == 8);
}

KTEST(string, memmove_overlap)
{
	char buf[16] = "0123456789";

	memmove(buf + 2, buf, 8);
	KTEST_EXPECT(t, !memcmp(buf, "0101234567", 10));
	memmove(buf, buf + 2, 8);
	KTEST_EXPECT(t, !memcmp(buf, "0123456767", 10));
}
