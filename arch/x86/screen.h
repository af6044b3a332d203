/* SPDX-License-Identifier: MIT */
/*
 * The screen console beside COM1, so a machine without a serial port
 * shows the log and the final summary: VGA text mode when the loader left
 * the screen in EGA text (BIOS), the loader's linear framebuffer with an
 * 8x16 bitmap font otherwise (UEFI's GOP). Best effort: a write that
 * finds the screen busy on another CPU (a crash report racing a log line)
 * skips the screen, never the serial line.
 *
 * Text mode scrolls. The framebuffer wraps instead (each line overwrites
 * the oldest, with the row below cleared as a cursor): scrolling a
 * framebuffer redraws every pixel per line, far too slow for a log of
 * thousands of lines in an emulator.
 */
#ifndef ARCH_X86_SCREEN_H
#define ARCH_X86_SCREEN_H

#include "kernel/compiler.h"

#define SCREEN_FONT_W	8
#define SCREEN_FONT_H	16

struct boot_info;

/* 8x16 glyphs of ASCII, bit 7 leftmost (generated: screen_font.py). */
extern const u8 screen_font[128][SCREEN_FONT_H];

/* Take over the screen the loader describes; false if there is none. */
bool screen_init(const struct boot_info *bi);
void screen_write(const char *s, size_t len);

/* For tests: what the screen shows. */
struct screen_info {
	bool active, framebuffer;
	unsigned int cols, rows;
	unsigned int row;	/* where the next line goes */
};
void screen_get_info(struct screen_info *si);
/*
 * The text of screen row @row into @buf (NUL-terminated, trailing blanks
 * dropped), read back from video memory - text cells, or framebuffer
 * pixels matched against the font.
 */
void screen_read_row(unsigned int row, char *buf, size_t size);

#endif
