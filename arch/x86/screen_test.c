// SPDX-License-Identifier: MIT
/*
 * The screen console shows what is logged: a line logged now is read
 * back from video memory (text cells, or framebuffer pixels matched
 * against the font), and the font itself is sane.
 */
#include "arch/x86/screen.h"
#include "kernel/ktest.h"
#include "kernel/log.h"
#include "kernel/string.h"

KTEST(screen, font_has_every_printable_glyph)
{
	unsigned int empty = 0;

	for (unsigned int c = 0x21; c < 0x7f; c++) {
		bool any = false;

		for (unsigned int y = 0; y < SCREEN_FONT_H; y++)
			any |= screen_font[c][y] != 0;
		empty += !any;
	}
	KTEST_EXPECT_EQ(t, empty, 0);
	for (unsigned int y = 0; y < SCREEN_FONT_H; y++)
		KTEST_EXPECT_EQ(t, screen_font[' '][y], 0);
}

KTEST(screen, logged_line_reads_back)
{
	struct screen_info si;
	char row[256];
	bool seen = false;

	screen_get_info(&si);
	if (!si.active) {
		ktest_skip(t, "no screen the loader described");
		return;
	}
	ktest_diag(t, "%s console, %ux%u", si.framebuffer ? "framebuffer" :
		   "VGA text", si.cols, si.rows);
	/* Other CPUs may log in between: a few tries. */
	for (int i = 0; i < 5 && !seen; i++) {
		pr_info("screen test line %d: The quick brown fox 0123456789\n", i);
		screen_get_info(&si);
		screen_read_row((si.row + si.rows - 1) % si.rows, row, sizeof(row));
		seen = strstr(row, "The quick brown fox 0123456789") != NULL;
	}
	KTEST_EXPECT(t, seen);
	if (!seen)
		ktest_diag(t, "last row reads '%s'", row);
}
