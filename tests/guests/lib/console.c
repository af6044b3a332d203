// SPDX-License-Identifier: MIT
/*
 * Test-guest console: formatting, the hypercall console and the 16550 at
 * 0x3f8. The string functions come from the kernel's arch/x86/string.c,
 * compiled with the guests' flags (see the Makefile).
 */
#include "tests/guests/lib/guest.h"

#define LINE_MAX	256
#define UART_LSR	5
#define UART_LSR_THRE	0x20

/* One line per hypercall, never interleaved between vCPUs. */
static struct guest_lock console_lock;

void guest_lock(struct guest_lock *l)
{
	while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
		while (READ_ONCE(l->locked))
			cpu_relax();
}

void guest_unlock(struct guest_lock *l)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

struct out {
	char *buf;
	size_t size, len;
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void put_num(struct out *o, unsigned long long v, unsigned int base,
		    bool neg, int width, char pad, bool alt)
{
	char tmp[24];
	int n = 0;

	do {
		tmp[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (alt && base == 16) {
		width -= 2;
		if (pad == '0') {
			put(o, '0');
			put(o, 'x');
		}
	}
	if (neg)
		width--;
	if (neg && pad == '0')
		put(o, '-');
	for (int i = n; i < width; i++)
		put(o, pad);
	if (neg && pad != '0')
		put(o, '-');
	if (alt && base == 16 && pad != '0') {
		put(o, '0');
		put(o, 'x');
	}
	while (n)
		put(o, tmp[--n]);
}

/* %[-0#][width][l|ll|z](d|i|u|x|p|s|c|%) */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { buf, size, 0 };

	for (; *fmt; fmt++) {
		bool left = false, alt = false;
		char pad = ' ';
		int width = 0, lng = 0;
		unsigned long long v;
		const char *s;

		if (*fmt != '%') {
			put(&o, *fmt);
			continue;
		}
		for (fmt++;; fmt++) {
			if (*fmt == '-')
				left = true;
			else if (*fmt == '0')
				pad = '0';
			else if (*fmt == '#')
				alt = true;
			else
				break;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + *fmt++ - '0';
		while (*fmt == 'l' || *fmt == 'z') {
			lng++;
			fmt++;
		}
		switch (*fmt) {
		case 'd':
		case 'i': {
			long long sv = lng ? va_arg(ap, long long) :
					     va_arg(ap, int);

			put_num(&o, sv < 0 ? -(unsigned long long)sv : (unsigned long long)sv, 10,
				sv < 0, width, pad, false);
			break;
		}
		case 'u':
		case 'x':
			v = lng ? va_arg(ap, unsigned long long) :
				  va_arg(ap, unsigned int);
			put_num(&o, v, *fmt == 'u' ? 10 : 16, false, width, pad,
				alt);
			break;
		case 'p':
			put_num(&o, (uintptr_t)va_arg(ap, void *), 16, false,
				width, pad, true);
			break;
		case 'c':
			put(&o, (char)va_arg(ap, int));
			break;
		case 's':
			s = va_arg(ap, const char *);
			if (!s)
				s = "(null)";
			if (!left)
				for (int i = strlen(s); i < width; i++)
					put(&o, ' ');
			for (const char *p = s; *p; p++)
				put(&o, *p);
			if (left)
				for (int i = strlen(s); i < width; i++)
					put(&o, ' ');
			break;
		case '%':
			put(&o, '%');
			break;
		default:
			put(&o, '%');
			if (*fmt)
				put(&o, *fmt);
			else
				fmt--;
		}
	}
	if (size)
		buf[o.len < size ? o.len : size - 1] = 0;
	return o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

int printf(const char *fmt, ...)
{
	char buf[LINE_MAX];
	va_list ap;
	int n;
	u64 flags;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(buf))
		n = sizeof(buf) - 1;
	flags = local_irq_save();
	guest_lock(&console_lock);
	hc_console_write(buf, n);
	guest_unlock(&console_lock);
	local_irq_restore(flags);
	return n;
}

static void uart_putc(char c)
{
	/* Bounded: a host that never reports THR empty must not hang us. */
	for (int i = 0; i < 100000; i++)
		if (inb(HV_PORT_UART + UART_LSR) & UART_LSR_THRE)
			break;
	outb(HV_PORT_UART, c);
}

void uart_puts(const char *s)
{
	guest_lock(&console_lock);
	for (; *s; s++) {
		if (*s == '\n')
			uart_putc('\r');
		uart_putc(*s);
	}
	guest_unlock(&console_lock);
}

int uart_printf(const char *fmt, ...)
{
	char buf[LINE_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	uart_puts(buf);
	return n;
}

const char *guest_option(const char *key, char *buf, size_t size)
{
	const char *s = boot_info->cmdline;
	size_t klen = strlen(key);

	while (*s) {
		const char *w = s;
		size_t n = 0;

		while (*s && *s != ' ')
			s++, n++;
		if (n > klen && w[klen] == '=' && !memcmp(w, key, klen)) {
			size_t vlen = n - klen - 1;

			if (vlen >= size)
				vlen = size - 1;
			memcpy(buf, w + klen + 1, vlen);
			buf[vlen] = 0;
			return buf;
		}
		while (*s == ' ')
			s++;
	}
	return NULL;
}
