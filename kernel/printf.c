// SPDX-License-Identifier: MIT
/*
 * A small vsnprintf for a kernel without libc. It is named kvsnprintf so
 * the hosted build can link it beside glibc and test it against glibc's.
 *
 * Supports what kernel code needs: %d %i %u %x %X %p %s %c %%, the
 * length modifiers l, ll, z and h/hh, flags '-', '0', ' ', '+', '#', field
 * width and precision (also '*'). Output is always NUL-terminated when
 * size > 0, and the return value is the length that would have been
 * written, as in C99, so callers can detect truncation.
 */
#include "kernel/log.h"

struct outbuf {
	char *buf;
	size_t size;
	size_t len;
};

static void out_char(struct outbuf *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void out_pad(struct outbuf *o, char c, int n)
{
	while (n-- > 0)
		out_char(o, c);
}

enum { F_LEFT = 1, F_ZERO = 2, F_SPACE = 4, F_PLUS = 8, F_ALT = 16 };

static void out_number(struct outbuf *o, unsigned long long v, bool negative,
		       unsigned base, bool upper, int flags, int width,
		       int precision)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int n = 0, prefix_len = 0;
	char sign = 0;
	const char *prefix = "";

	do {
		tmp[n++] = digits[v % base];
		v /= base;
	} while (v);
	if (precision == 0 && n == 1 && tmp[0] == '0')
		n = 0;

	if (negative)
		sign = '-';
	else if (flags & F_PLUS)
		sign = '+';
	else if (flags & F_SPACE)
		sign = ' ';
	if ((flags & F_ALT) && base == 16) {
		prefix = upper ? "0X" : "0x";
		prefix_len = 2;
	}

	int zeros = precision > n ? precision - n : 0;
	int body = n + zeros + (sign ? 1 : 0) + prefix_len;
	if (!(flags & F_LEFT) && (flags & F_ZERO) && precision < 0) {
		zeros += width > body ? width - body : 0;
		body = width > body ? width : body;
	}
	if (!(flags & F_LEFT))
		out_pad(o, ' ', width - body);
	if (sign)
		out_char(o, sign);
	for (int i = 0; i < prefix_len; i++)
		out_char(o, prefix[i]);
	out_pad(o, '0', zeros);
	while (n)
		out_char(o, tmp[--n]);
	if (flags & F_LEFT)
		out_pad(o, ' ', width - body);
}

int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct outbuf o = { buf, size, 0 };

	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			out_char(&o, *fmt);
			continue;
		}
		fmt++;
		int flags = 0;
		for (;; fmt++) {
			if (*fmt == '-') flags |= F_LEFT;
			else if (*fmt == '0') flags |= F_ZERO;
			else if (*fmt == ' ') flags |= F_SPACE;
			else if (*fmt == '+') flags |= F_PLUS;
			else if (*fmt == '#') flags |= F_ALT;
			else break;
		}
		int width = 0;
		if (*fmt == '*') {
			width = va_arg(ap, int);
			if (width < 0) {
				flags |= F_LEFT;
				width = -width;
			}
			fmt++;
		} else {
			while (*fmt >= '0' && *fmt <= '9')
				width = width * 10 + (*fmt++ - '0');
		}
		int precision = -1;
		if (*fmt == '.') {
			fmt++;
			precision = 0;
			if (*fmt == '*') {
				precision = va_arg(ap, int);
				fmt++;
			} else {
				while (*fmt >= '0' && *fmt <= '9')
					precision = precision * 10 + (*fmt++ - '0');
			}
		}
		int lng = 0;	/* 0 int, 1 long, 2 long long, -1 short, -2 char */
		for (;; fmt++) {
			if (*fmt == 'l') lng++;
			else if (*fmt == 'z') lng = 1;
			else if (*fmt == 'h') lng--;
			else break;
		}

		unsigned long long uv;
		long long sv;
		switch (*fmt) {
		case 'd':
		case 'i':
			if (lng >= 2) sv = va_arg(ap, long long);
			else if (lng == 1) sv = va_arg(ap, long);
			else sv = va_arg(ap, int);
			if (lng == -1) sv = (short)sv;
			if (lng <= -2) sv = (signed char)sv;
			uv = sv < 0 ? -(unsigned long long)sv : (unsigned long long)sv;
			out_number(&o, uv, sv < 0, 10, false, flags, width, precision);
			break;
		case 'u':
		case 'x':
		case 'X':
			if (lng >= 2) uv = va_arg(ap, unsigned long long);
			else if (lng == 1) uv = va_arg(ap, unsigned long);
			else uv = va_arg(ap, unsigned int);
			if (lng == -1) uv = (unsigned short)uv;
			if (lng <= -2) uv = (unsigned char)uv;
			out_number(&o, uv, false, *fmt == 'u' ? 10 : 16,
				   *fmt == 'X', flags, width, precision);
			break;
		case 'p':
			uv = (uintptr_t)va_arg(ap, void *);
			out_number(&o, uv, false, 16, false, flags | F_ALT,
				   width, precision);
			break;
		case 'c':
			out_pad(&o, ' ', (flags & F_LEFT) ? 0 : width - 1);
			out_char(&o, (char)va_arg(ap, int));
			out_pad(&o, ' ', (flags & F_LEFT) ? width - 1 : 0);
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			if (!s)
				s = "(null)";
			int len = 0;
			while (s[len] && (precision < 0 || len < precision))
				len++;
			if (!(flags & F_LEFT))
				out_pad(&o, ' ', width - len);
			for (int i = 0; i < len; i++)
				out_char(&o, s[i]);
			if (flags & F_LEFT)
				out_pad(&o, ' ', width - len);
			break;
		}
		case '%':
			out_char(&o, '%');
			break;
		case '\0':
			fmt--;	/* a lone '%' at the end: stop at the NUL */
			break;
		default:	/* unknown conversion: print it verbatim */
			out_char(&o, '%');
			out_char(&o, *fmt);
			break;
		}
	}
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return (int)o.len;
}

int ksnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = kvsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
