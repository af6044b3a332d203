// SPDX-License-Identifier: MIT
/* The RTC and CMOS memory (see rtc_cmos.h). */
#include "vmm/dev/rtc_cmos.h"
#include "vmm/dev/dev_host.h"

#define NS_PER_S	1000000000ULL
#define UIP_NS		244000ULL	/* UIP is set this long before an update */
#define A_DIV_MASK	0x70
#define A_DIV_NORMAL	0x20		/* 32.768 kHz time base, running */
#define A_RATE_MASK	0x0f
#define DAY_S		86400ULL
#define KIB		1024ULL
#define MIB		(1024 * KIB)

/* Howard Hinnant's algorithms: days since 1970-01-01 <-> y/m/d. */
s64 rtc_days_from_civil(int y, unsigned int m, unsigned int d)
{
	s64 era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void rtc_civil_from_days(s64 z, int *y, unsigned int *m, unsigned int *d)
{
	s64 era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = yoe + era * 400 + (*m <= 2);
}

static u64 rtc_time_ns(const struct rtc_cmos *r, u64 now)
{
	return r->base_ns + now + r->offset_ns;
}

static bool rtc_binary(const struct rtc_cmos *r)
{
	return r->ram[RTC_REG_B] & RTC_B_DM_BINARY;
}

static u8 to_reg(const struct rtc_cmos *r, unsigned int v)
{
	return rtc_binary(r) ? v : (v / 10) << 4 | v % 10;
}

static unsigned int from_reg(const struct rtc_cmos *r, u8 v)
{
	return rtc_binary(r) ? v : (v >> 4) * 10 + (v & 0xf);
}

static u8 hour_to_reg(const struct rtc_cmos *r, unsigned int h)
{
	if (r->ram[RTC_REG_B] & RTC_B_24H)
		return to_reg(r, h);
	return to_reg(r, h % 12 ? h % 12 : 12) | (h >= 12 ? 0x80 : 0);
}

static unsigned int hour_from_reg(const struct rtc_cmos *r, u8 v)
{
	unsigned int h;

	if (r->ram[RTC_REG_B] & RTC_B_24H)
		return from_reg(r, v);
	h = from_reg(r, v & 0x7f) % 12;
	return (v & 0x80) ? h + 12 : h;
}

/* Registers 0, 2, 4, 6-9 and the century from the running time. */
static void rtc_fill_time(struct rtc_cmos *r, u64 now)
{
	u64 s = rtc_time_ns(r, now) / NS_PER_S, days = s / DAY_S;
	unsigned int m, d, sod = s % DAY_S;
	int y;

	rtc_civil_from_days(days, &y, &m, &d);
	r->ram[0] = to_reg(r, sod % 60);
	r->ram[2] = to_reg(r, sod / 60 % 60);
	r->ram[4] = hour_to_reg(r, sod / 3600);
	r->ram[6] = to_reg(r, (days + 4) % 7 + 1);	/* 1970-01-01: Thursday */
	r->ram[7] = to_reg(r, d);
	r->ram[8] = to_reg(r, m);
	r->ram[9] = to_reg(r, y % 100);
	r->ram[RTC_CENTURY] = to_reg(r, y / 100);
}

/* The guest set the clock: the time registers become the running time. */
static void rtc_set_from_regs(struct rtc_cmos *r, u64 now)
{
	int y = from_reg(r, r->ram[RTC_CENTURY]) * 100 + from_reg(r, r->ram[9]);
	unsigned int mon = from_reg(r, r->ram[8]), day = from_reg(r, r->ram[7]);
	s64 s;

	/* Nonsense dates are clamped (a real chip would count them on). */
	mon = mon < 1 ? 1 : mon > 12 ? 12 : mon;
	day = day < 1 ? 1 : day > 31 ? 31 : day;
	s = rtc_days_from_civil(y, mon, day) * (s64)DAY_S +
	    hour_from_reg(r, r->ram[4]) % 24 * 3600 +
	    from_reg(r, r->ram[2]) % 60 * 60 + from_reg(r, r->ram[0]) % 60;
	r->offset_ns = (u64)s * NS_PER_S - r->base_ns - now;
	r->accounted_ns = rtc_time_ns(r, now);
}

/*
 * The periodic interrupt runs at 2^k Hz (k = 16 - rate select) from the
 * same divider chain as the seconds, so its ticks are aligned to them:
 * tick i is at i / 2^k s. 0 when off.
 */
static unsigned int rtc_periodic_k(u8 a)
{
	unsigned int rs = a & A_RATE_MASK;

	if (!rs || (a & A_DIV_MASK) != A_DIV_NORMAL)
		return 0;
	if (rs <= 2)
		rs += 7;	/* 1, 2 are 3.90625 and 7.8125 ms, as 8 and 9 */
	return 16 - rs;
}

static u64 rtc_periodic_index(u64 t, unsigned int k)
{
	return (t / NS_PER_S << k) + ((t % NS_PER_S) << k) / NS_PER_S;
}

/* RTC time of periodic tick @i (rounded up to whole ns). */
static u64 rtc_periodic_time(u64 i, unsigned int k)
{
	u64 frac = i & ((1ULL << k) - 1);

	return (i >> k) * NS_PER_S + ((frac * NS_PER_S) + (1ULL << k) - 1) / (1ULL << k);
}

/* Does second @s of the RTC match the alarm (0xC0-0xFF: don't care)? */
static bool rtc_alarm_matches(const struct rtc_cmos *r, u64 s)
{
	u64 sod = s % DAY_S;
	u8 as = r->ram[1], am = r->ram[3], ah = r->ram[5];

	return ((as & 0xc0) == 0xc0 || from_reg(r, as) == sod % 60) &&
	       ((am & 0xc0) == 0xc0 || from_reg(r, am) == sod / 60 % 60) &&
	       ((ah & 0xc0) == 0xc0 || hour_from_reg(r, ah) == sod / 3600);
}

/* Set the flags of what happened up to now; true when IRQF rose. */
static bool rtc_catch_up(struct rtc_cmos *r, u64 now)
{
	u64 t = rtc_time_ns(r, now), last = r->accounted_ns;
	unsigned int k = rtc_periodic_k(r->ram[RTC_REG_A]);
	u8 b = r->ram[RTC_REG_B], c = r->ram[RTC_REG_C], was = c;

	if (t <= last)
		return false;
	if (k && rtc_periodic_index(t, k) > rtc_periodic_index(last, k))
		c |= RTC_C_PF;
	if (!(b & RTC_B_SET) && t / NS_PER_S > last / NS_PER_S) {
		u64 s0 = last / NS_PER_S + 1, s1 = t / NS_PER_S;

		c |= RTC_C_UF;
		/* Every alarm pattern matches within a day. */
		if (s1 - s0 >= DAY_S)
			s0 = s1 - DAY_S + 1;
		for (u64 s = s0; s <= s1 && !(c & RTC_C_AF); s++)
			if (rtc_alarm_matches(r, s))
				c |= RTC_C_AF;
	}
	if (c & b & (RTC_C_PF | RTC_C_AF | RTC_C_UF))
		c |= RTC_C_IRQF;
	r->ram[RTC_REG_C] = c;
	r->accounted_ns = t;
	return (c & RTC_C_IRQF) && !(was & RTC_C_IRQF);
}

/* Drive IRQ 8 to IRQF, outside the lock. */
static void rtc_unlock(struct rtc_cmos *r, unsigned long flags)
{
	bool level = r->ram[RTC_REG_C] & RTC_C_IRQF, change = level != r->irq_level;

	r->irq_level = level;
	spin_unlock_irqrestore(&r->lock, flags);
	if (change)
		guest_set_irq(r->guest, RTC_IRQ, level);
	if (change && !level)
		guest_timer_changed(r->guest);	/* deadlines are back */
}

static u8 rtc_read_reg(struct rtc_cmos *r, unsigned int reg, u64 now)
{
	u8 v;

	switch (reg) {
	case RTC_REG_A:
		v = r->ram[RTC_REG_A] & ~RTC_A_UIP;
		if ((v & A_DIV_MASK) == A_DIV_NORMAL &&
		    !(r->ram[RTC_REG_B] & RTC_B_SET) &&
		    rtc_time_ns(r, now) % NS_PER_S >= NS_PER_S - UIP_NS)
			v |= RTC_A_UIP;
		return v;
	case RTC_REG_C:
		v = r->ram[RTC_REG_C];
		r->ram[RTC_REG_C] = 0;	/* reading clears every flag */
		return v;
	case 0: case 2: case 4: case 6: case 7: case 8: case 9: case RTC_CENTURY:
		if (!(r->ram[RTC_REG_B] & RTC_B_SET))
			rtc_fill_time(r, now);
		return r->ram[reg];
	default:
		return r->ram[reg];
	}
}

static void rtc_write_reg(struct rtc_cmos *r, unsigned int reg, u8 val,
			  u64 now)
{
	bool set = r->ram[RTC_REG_B] & RTC_B_SET;

	switch (reg) {
	case RTC_REG_A:		/* UIP is read-only */
		r->ram[RTC_REG_A] = val & ~RTC_A_UIP;
		break;
	case RTC_REG_B:
		if ((val & RTC_B_SET) && !set) {
			rtc_fill_time(r, now);	/* frozen as it reads now */
			val &= ~RTC_B_UIE;	/* SET clears UIE (datasheet) */
		}
		if (!(val & RTC_B_SET) && set) {
			r->ram[RTC_REG_B] = val;
			rtc_set_from_regs(r, now);
		}
		/* A new format: the running time is shown in it. */
		r->ram[RTC_REG_B] = val;
		break;
	case RTC_REG_C:
	case RTC_REG_D:		/* read-only */
		break;
	case 0: case 2: case 4: case 6: case 7: case 8: case 9: case RTC_CENTURY:
		if (!set)
			rtc_fill_time(r, now);
		r->ram[reg] = val;
		if (!set)
			rtc_set_from_regs(r, now);
		break;
	default:
		r->ram[reg] = val;
		break;
	}
}

static int rtc_write(void *dev, u64 offset, unsigned int size, u64 val)
{
	struct rtc_cmos *r = dev;
	unsigned long flags = spin_lock_irqsave(&r->lock);
	u64 now = r->clock_ns();
	unsigned int reg = r->index;

	if (offset == 0) {
		r->index = val & 0x7f;
		r->nmi_masked = val & 0x80;
		spin_unlock_irqrestore(&r->lock, flags);
		return 0;
	}
	rtc_catch_up(r, now);
	rtc_write_reg(r, reg, (u8)val, now);
	rtc_catch_up(r, now);
	rtc_unlock(r, flags);
	/* New enables, rate or time: new deadlines. */
	if (reg <= RTC_REG_B || reg == RTC_CENTURY)
		guest_timer_changed(r->guest);
	return 0;
}

static int rtc_read(void *dev, u64 offset, unsigned int size, u64 *val)
{
	struct rtc_cmos *r = dev;
	unsigned long flags;
	u64 now;

	if (offset == 0) {	/* the index port is write-only (QEMU: 0xff) */
		*val = 0xff;
		return 0;
	}
	flags = spin_lock_irqsave(&r->lock);
	now = r->clock_ns();
	rtc_catch_up(r, now);
	*val = rtc_read_reg(r, r->index, now);
	rtc_unlock(r, flags);
	return 0;
}

const struct io_dev_ops rtc_cmos_ops = {
	.read = rtc_read, .write = rtc_write, .byte_regs = true,
};

u64 rtc_cmos_timer(struct rtc_cmos *r, u64 now)
{
	unsigned long flags = spin_lock_irqsave(&r->lock);
	u8 b = r->ram[RTC_REG_B];
	u64 t, next = 0;
	unsigned int k;

	rtc_catch_up(r, now);
	t = rtc_time_ns(r, now);
	/* While IRQF is up nothing new can be signalled until C is read. */
	if (!(r->ram[RTC_REG_C] & RTC_C_IRQF)) {
		k = rtc_periodic_k(r->ram[RTC_REG_A]);
		if ((b & RTC_B_PIE) && k)
			next = rtc_periodic_time(rtc_periodic_index(t, k) + 1, k);
		if ((b & (RTC_B_UIE | RTC_B_AIE)) && !(b & RTC_B_SET)) {
			u64 sec = (t / NS_PER_S + 1) * NS_PER_S;

			next = next && next < sec ? next : sec;
		}
		if (next)
			next = now + (next - t);
	}
	rtc_unlock(r, flags);
	return next;
}

static void nvram_set16(struct rtc_cmos *r, unsigned int at, u64 v)
{
	v = v > 0xffff ? 0xffff : v;
	r->ram[at] = v;
	r->ram[at + 1] = v >> 8;
}

void rtc_cmos_init(struct rtc_cmos *r, struct guest *g,
		   u64 (*clock_ns)(void), u64 base_s, u64 mem_size,
		   unsigned int nr_cpus)
{
	u64 below_4g = mem_size < (4ULL << 30) ? mem_size : 4ULL << 30;
	u64 above_4g = mem_size - below_4g, ext, sum = 0;

	*r = (struct rtc_cmos){ .guest = g, .clock_ns = clock_ns,
				.base_ns = base_s * NS_PER_S };
	spin_lock_init(&r->lock, "rtc_cmos");
	r->ram[RTC_REG_A] = A_DIV_NORMAL | 0x06;	/* 1024 Hz, as a BIOS */
	r->ram[RTC_REG_B] = RTC_B_24H;
	r->ram[RTC_REG_D] = RTC_D_VRT;
	r->ram[0x14] = 0x06;		/* equipment: FPU, PS/2 mouse; no floppy */
	nvram_set16(r, 0x15, 640);	/* base memory, KiB */
	ext = below_4g > MIB ? (below_4g - MIB) / KIB : 0;
	nvram_set16(r, 0x17, ext);	/* extended memory, KiB, at most 65535 */
	nvram_set16(r, 0x30, ext);
	nvram_set16(r, 0x34, below_4g > 16 * MIB ?
			     (below_4g - 16 * MIB) / (64 * KIB) : 0);
	above_4g /= 64 * KIB;		/* three bytes of 64 KiB units */
	r->ram[0x5b] = above_4g;
	r->ram[0x5c] = above_4g >> 8;
	r->ram[0x5d] = above_4g >> 16;
	r->ram[0x5f] = nr_cpus ? nr_cpus - 1 : 0;
	/* The standard checksum of 0x10-0x2D, big-endian at 0x2E. */
	for (unsigned int i = 0x10; i <= 0x2d; i++)
		sum += r->ram[i];
	r->ram[0x2e] = sum >> 8;
	r->ram[0x2f] = sum;
	r->accounted_ns = rtc_time_ns(r, clock_ns());
	rtc_fill_time(r, clock_ns());
}
