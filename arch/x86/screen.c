// SPDX-License-Identifier: MIT
/* The screen console (see screen.h). */
#include "arch/x86/screen.h"
#include "kernel/log.h"
#include "kernel/multiboot2.h"
#include "kernel/platform.h"
#include "kernel/string.h"
#include "mm/paging.h"

#define MB2_FB_RGB		1
#define MB2_FB_EGA_TEXT		2
#define TEXT_ATTR		0x07	/* light grey on black */
#define FG			0x00c0c0c0u
#define BG			0x00000000u

static struct {
	/*
	 * Held (a try-lock: see screen.h) by the CPU drawing. Protects
	 * everything below after screen_init(), which runs before SMP.
	 */
	int owner;
	bool active, fb;
	u8 *base;
	u32 pitch, width, height, bpp;
	unsigned int cols, rows, row, col;
} scr = { .owner = -1 };

static void clear_row(unsigned int row);

bool screen_init(const struct boot_info *bi)
{
	if (!bi->have_framebuffer)
		return false;
	scr.base = (u8 *)(uintptr_t)bi->fb_addr;
	scr.pitch = bi->fb_pitch;
	scr.width = bi->fb_width;
	scr.height = bi->fb_height;
	scr.bpp = bi->fb_bpp;
	if (bi->fb_type == MB2_FB_EGA_TEXT && bi->fb_addr < (1ULL << 20)) {
		scr.cols = scr.width;
		scr.rows = scr.height;
	} else if (bi->fb_type == MB2_FB_RGB && (scr.bpp == 32 || scr.bpp == 24)) {
		u64 len = (u64)scr.pitch * scr.height;

		/* Above RAM the identity map has nothing: map it (uncached). */
		for (u64 off = 0; off < len; off += PAGE_SIZE)
			if (!paging_is_mapped(bi->fb_addr + off) &&
			    paging_map_4k(bi->fb_addr + off, bi->fb_addr + off,
					  PTE_P | PTE_RW | PTE_PCD)) {
				pr_warn("screen: cannot map the framebuffer at %#llx\n",
					(unsigned long long)(bi->fb_addr + off));
				return false;
			}
		scr.fb = true;
		scr.cols = scr.width / SCREEN_FONT_W;
		scr.rows = scr.height / SCREEN_FONT_H;
	} else {
		pr_info("screen: framebuffer type %u, %u bpp: not drawn\n",
			bi->fb_type, bi->fb_bpp);
		return false;
	}
	if (!scr.cols || !scr.rows)
		return false;
	scr.active = true;
	for (unsigned int r = 0; r < scr.rows; r++)
		clear_row(r);
	pr_info("screen: %s console, %ux%u characters\n",
		scr.fb ? "framebuffer" : "VGA text", scr.cols, scr.rows);
	return true;
}

static void put_pixel_row(unsigned int x, unsigned int y, u8 bits)
{
	u8 *p = scr.base + (u64)y * scr.pitch + (u64)x * (scr.bpp / 8);

	for (unsigned int i = 0; i < SCREEN_FONT_W; i++, p += scr.bpp / 8) {
		u32 c = (bits & (0x80 >> i)) ? FG : BG;

		if (scr.bpp == 32)
			*(volatile u32 *)p = c;
		else {
			p[0] = c;
			p[1] = c >> 8;
			p[2] = c >> 16;
		}
	}
}

static void draw_char(unsigned int row, unsigned int col, char ch)
{
	unsigned char c = (unsigned char)ch < 128 ? (unsigned char)ch : '?';

	if (!scr.fb) {
		volatile u16 *cell = (volatile u16 *)scr.base + row * scr.cols + col;

		*cell = (u16)(TEXT_ATTR << 8 | c);
		return;
	}
	for (unsigned int y = 0; y < SCREEN_FONT_H; y++)
		put_pixel_row(col * SCREEN_FONT_W, row * SCREEN_FONT_H + y,
			      screen_font[c][y]);
}

static void clear_row(unsigned int row)
{
	for (unsigned int c = 0; c < scr.cols; c++)
		draw_char(row, c, ' ');
}

static void new_line(void)
{
	scr.col = 0;
	if (scr.fb) {
		/* Wrap; the row after the new one is blank, a cursor gap. */
		scr.row = (scr.row + 1) % scr.rows;
		clear_row(scr.row);
		clear_row((scr.row + 1) % scr.rows);
		return;
	}
	if (scr.row + 1 < scr.rows) {
		scr.row++;
		return;
	}
	memmove(scr.base, scr.base + scr.cols * 2,
		(size_t)(scr.rows - 1) * scr.cols * 2);
	clear_row(scr.rows - 1);
}

void screen_write(const char *s, size_t len)
{
	int me = (int)plat_cpu_id(), expected = -1;

	if (!scr.active ||
	    !__atomic_compare_exchange_n(&scr.owner, &expected, me, false,
					 __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (c == '\n') {
			new_line();
		} else if (c == '\r') {
			scr.col = 0;
		} else if (c == '\t') {
			do
				draw_char(scr.row, scr.col++, ' ');
			while (scr.col % 8 && scr.col < scr.cols);
		} else if ((unsigned char)c >= 0x20) {
			if (scr.col == scr.cols)
				new_line();
			draw_char(scr.row, scr.col++, c);
		}
		if (scr.col > scr.cols)
			new_line();
	}
	__atomic_store_n(&scr.owner, -1, __ATOMIC_RELEASE);
}

void screen_get_info(struct screen_info *si)
{
	*si = (struct screen_info){
		.active = scr.active, .framebuffer = scr.fb,
		.cols = scr.cols, .rows = scr.rows, .row = scr.row,
	};
}

/* The glyph drawn at a cell, by its pixels; '?' if no glyph matches. */
static char read_char(unsigned int row, unsigned int col)
{
	u8 bits[SCREEN_FONT_H];

	if (!scr.fb)
		return (char)(((volatile u16 *)scr.base)[row * scr.cols + col] & 0xff);
	for (unsigned int y = 0; y < SCREEN_FONT_H; y++) {
		const u8 *p = scr.base + (u64)(row * SCREEN_FONT_H + y) * scr.pitch +
			      (u64)col * SCREEN_FONT_W * (scr.bpp / 8);

		bits[y] = 0;
		for (unsigned int x = 0; x < SCREEN_FONT_W; x++, p += scr.bpp / 8)
			if (p[0] | p[1] | p[2])
				bits[y] |= 0x80 >> x;
	}
	for (unsigned int c = 0x20; c < 127; c++)
		if (!memcmp(bits, screen_font[c], SCREEN_FONT_H))
			return (char)c;
	return '?';
}

void screen_read_row(unsigned int row, char *buf, size_t size)
{
	size_t n = 0;

	if (!size)
		return;
	for (unsigned int c = 0; scr.active && row < scr.rows && c < scr.cols &&
	     n + 1 < size; c++)
		buf[n++] = read_char(row, c);
	while (n && buf[n - 1] == ' ')
		n--;
	buf[n] = 0;
}
