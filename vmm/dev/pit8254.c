// SPDX-License-Identifier: MIT
/*
 * The 8254 PIT (see pit8254.h). "d" below is the number of input clocks
 * a counter has counted since its count was loaded (or its gate
 * triggered it); everything a guest can see - the counter, OUT, IRQ 0's
 * edges - is a function of d, per mode, as in the datasheet's waveforms:
 *
 *   mode 0  interrupt on terminal count  OUT low, high from d = N
 *   mode 1  retriggerable one-shot       OUT low from the trigger to d = N
 *   mode 2  rate generator               OUT low while the count is 1
 *                                        (d % N == N-1), period N
 *   mode 3  square wave                  OUT high for ceil(N/2) of N
 *   mode 4  software strobe              OUT low for the clock at d = N
 *   mode 5  hardware strobe              as 4, counted from a gate trigger
 */
#include "vmm/dev/pit8254.h"
#include "vmm/dev/dev_host.h"

#define NS_PER_S	1000000000ULL
#define RW_LSB		1
#define RW_MSB		2
#define RW_WORD0	3	/* LSB then MSB: LSB next */
#define RW_WORD1	4	/* ... MSB next */
#define PIT_CONTROL	3
#define RB_NO_COUNT	0x20	/* read-back: bit clear latches the count */
#define RB_NO_STATUS	0x10	/* ... the status */

u64 pit8254_ns_to_ticks(u64 ns)
{
	return ns / NS_PER_S * PIT8254_HZ + ns % NS_PER_S * PIT8254_HZ / NS_PER_S;
}

u64 pit8254_ticks_to_ns(u64 t)
{
	return t / PIT8254_HZ * NS_PER_S +
	       (t % PIT8254_HZ * NS_PER_S + PIT8254_HZ - 1) / PIT8254_HZ;
}

static u32 bcd_to_bin(u32 v)
{
	return (v & 0xf) + ((v >> 4) & 0xf) * 10 + ((v >> 8) & 0xf) * 100 +
	       ((v >> 12) & 0xf) * 1000;
}

static u32 bin_to_bcd(u32 v)
{
	return v % 10 | (v / 10 % 10) << 4 | (v / 100 % 10) << 8 |
	       (v / 1000 % 10) << 12;
}

static u64 ch_ticks(const struct pit8254_channel *c, u64 now)
{
	if (!c->armed)
		return 0;
	if (c->frozen)
		return c->frozen_ticks;
	return now > c->load_ns ? pit8254_ns_to_ticks(now - c->load_ns) : 0;
}

/* The counting element as a read shows it (BCD converted). */
static u16 ch_value(const struct pit8254_channel *c, u64 now)
{
	u64 d = ch_ticks(c, now), n = c->count, wrap = c->bcd ? 10000 : 0x10000;
	u64 v;

	if (!c->armed)
		v = n;
	else if (c->mode == 2)
		v = n - d % n;
	else if (c->mode == 3)
		v = n - (2 * d) % n;	/* by twos, as QEMU approximates */
	else
		v = (n + wrap - d % wrap) % wrap;	/* wraps past 0 */
	v %= wrap;
	return c->bcd ? bin_to_bcd(v) : v;
}

static bool ch_out(const struct pit8254_channel *c, u64 now)
{
	u64 d = ch_ticks(c, now), n = c->count;

	if (!c->armed)
		return c->mode != 0;	/* the level a control word sets */
	switch (c->mode) {
	case 0:
	case 1:
		return d >= n;
	case 2:
		return c->frozen || d % n != n - 1;
	case 3:
		return c->frozen || d % n < (n + 1) / 2;
	default:	/* 4, 5 */
		return d != n;
	}
}

/* Counter 0: where its OUT next rises, in clocks since load_ns. */
static void ch_plan_edge(struct pit8254_channel *c)
{
	c->edge_pending = c->armed && !c->frozen && c->mode != 1 &&
			  c->mode != 5;
	c->next_edge = c->mode == 4 ? c->count + 1 : c->count;
}

/* Start counting from @now (a count loaded, or a gate trigger). */
static void ch_start(struct pit8254_channel *c, u64 now)
{
	c->armed = true;
	c->load_ns = now;
	c->frozen_ticks = 0;
	/* Modes 0, 2, 3, 4 count only with the gate high. */
	c->frozen = !c->gate && c->mode != 1 && c->mode != 5;
	ch_plan_edge(c);
}

static void ch_load(struct pit8254_channel *c, u32 v, u64 now)
{
	if (c->bcd)
		v = bcd_to_bin(v);
	if (!v)
		v = c->bcd ? 10000 : 0x10000;
	c->count = v;
	c->null_count = false;
	/* Modes 1 and 5 wait for a gate trigger. */
	if (c->mode == 1 || c->mode == 5)
		c->armed = false;
	else
		ch_start(c, now);
}

static void ch_latch_count(struct pit8254_channel *c, u64 now)
{
	if (c->latched_state)
		return;		/* latched already: held until read */
	c->latched_count = ch_value(c, now);
	c->latched_state = c->rw_mode == 3 ? RW_WORD0 : c->rw_mode;
}

static void ch_latch_status(struct pit8254_channel *c, u64 now)
{
	if (c->status_latched)
		return;
	c->status = ch_out(c, now) << 7 | c->null_count << 6 |
		    c->rw_mode << 4 | c->mode << 1 | c->bcd;
	c->status_latched = true;
}

static void pit_control(struct pit8254 *pit, u8 val, u64 now)
{
	unsigned int sel = val >> 6, access = (val >> 4) & 3;
	struct pit8254_channel *c;

	if (sel == 3) {		/* read-back */
		for (unsigned int i = 0; i < PIT8254_NR_CHANNELS; i++) {
			if (!(val & (2u << i)))
				continue;
			if (!(val & RB_NO_COUNT))
				ch_latch_count(&pit->ch[i], now);
			if (!(val & RB_NO_STATUS))
				ch_latch_status(&pit->ch[i], now);
		}
		return;
	}
	c = &pit->ch[sel];
	if (!access) {
		ch_latch_count(c, now);
		return;
	}
	/* A control word resets the counter's logic; modes 6, 7 are 2, 3. */
	c->rw_mode = access;
	c->read_state = c->write_state = access;
	c->mode = (val >> 1) & 7;
	if (c->mode > 5)
		c->mode -= 4;
	c->bcd = val & 1;
	c->armed = c->frozen = c->edge_pending = false;
	c->null_count = true;
	c->latched_state = 0;
	c->status_latched = false;
}

static void pit_data_write(struct pit8254_channel *c, u8 val, u64 now)
{
	switch (c->write_state) {
	case RW_LSB:
		ch_load(c, val, now);
		break;
	case RW_MSB:
		ch_load(c, (u32)val << 8, now);
		break;
	case RW_WORD0:
		c->write_lsb = val;
		c->write_state = RW_WORD1;
		/* Mode 0: the first byte stops the count, OUT goes low. */
		if (c->mode == 0)
			c->armed = c->edge_pending = false;
		break;
	case RW_WORD1:
		ch_load(c, c->write_lsb | (u32)val << 8, now);
		c->write_state = RW_WORD0;
		break;
	default:	/* no control word yet: ignored */
		break;
	}
}

static u8 pit_data_read(struct pit8254_channel *c, u64 now)
{
	u16 v;

	if (c->status_latched) {
		c->status_latched = false;
		return c->status;
	}
	if (c->latched_state) {
		v = c->latched_count;
		switch (c->latched_state) {
		case RW_MSB:
			c->latched_state = 0;
			return v >> 8;
		case RW_WORD0:
			c->latched_state = RW_MSB;
			return v & 0xff;
		default:
			c->latched_state = 0;
			return v & 0xff;
		}
	}
	v = ch_value(c, now);
	switch (c->read_state) {
	case RW_LSB:
		return v & 0xff;
	case RW_MSB:
		return v >> 8;
	case RW_WORD0:
		c->read_state = RW_WORD1;
		return v & 0xff;
	case RW_WORD1:
		c->read_state = RW_WORD0;
		return v >> 8;
	default:
		return 0xff;	/* never programmed */
	}
}

static int pit_write(void *dev, u64 offset, unsigned int size, u64 val)
{
	struct pit8254 *pit = dev;
	unsigned long flags = spin_lock_irqsave(&pit->lock);
	u64 now = pit->clock_ns();
	bool ch0 = offset == 0 ||
		   (offset == PIT_CONTROL && ((val >> 6) & 3) == 0);

	if (offset == PIT_CONTROL)
		pit_control(pit, (u8)val, now);
	else
		pit_data_write(&pit->ch[offset], (u8)val, now);
	spin_unlock_irqrestore(&pit->lock, flags);
	if (ch0)
		guest_timer_changed(pit->guest);
	return 0;
}

static int pit_read(void *dev, u64 offset, unsigned int size, u64 *val)
{
	struct pit8254 *pit = dev;
	unsigned long flags;

	/* The control word register is write-only; QEMU reads it as 0. */
	if (offset == PIT_CONTROL) {
		*val = 0;
		return 0;
	}
	flags = spin_lock_irqsave(&pit->lock);
	*val = pit_data_read(&pit->ch[offset], pit->clock_ns());
	spin_unlock_irqrestore(&pit->lock, flags);
	return 0;
}

const struct io_dev_ops pit8254_ops = {
	.read = pit_read, .write = pit_write, .byte_regs = true,
};

void pit8254_init(struct pit8254 *pit, struct guest *g, u64 (*clock_ns)(void))
{
	*pit = (struct pit8254){ .guest = g, .clock_ns = clock_ns };
	spin_lock_init(&pit->lock, "pit8254");
	/* Gates 0 and 1 are wired high on a PC; 2 is port 0x61 bit 0. */
	for (unsigned int i = 0; i < PIT8254_NR_CHANNELS; i++)
		pit->ch[i] = (struct pit8254_channel){
			.gate = i != 2, .count = 0x10000,
		};
}

void pit8254_set_gate(struct pit8254 *pit, unsigned int channel, bool gate)
{
	unsigned long flags;
	struct pit8254_channel *c;
	u64 now;

	if (channel >= PIT8254_NR_CHANNELS)
		return;
	flags = spin_lock_irqsave(&pit->lock);
	c = &pit->ch[channel];
	now = pit->clock_ns();
	if (gate && !c->gate) {
		switch (c->mode) {
		case 0:
		case 4:		/* resume where the count stopped */
			if (c->armed && c->frozen) {
				c->load_ns = now - pit8254_ticks_to_ns(c->frozen_ticks);
				c->frozen = false;
			}
			break;
		default:	/* 1, 5 trigger; 2, 3 reload and restart */
			if (!c->null_count && (c->armed || c->mode == 1 ||
					       c->mode == 5)) {
				c->gate = true;
				ch_start(c, now);
			}
			break;
		}
	} else if (!gate && c->gate && c->armed && !c->frozen &&
		   c->mode != 1 && c->mode != 5) {
		/* Modes 0, 4 suspend; 2, 3 stop with OUT high. */
		c->frozen_ticks = ch_ticks(c, now);
		c->frozen = true;
	}
	c->gate = gate;
	if (channel == 0)
		ch_plan_edge(c);
	spin_unlock_irqrestore(&pit->lock, flags);
	if (channel == 0)
		guest_timer_changed(pit->guest);
}

bool pit8254_get_out(struct pit8254 *pit, unsigned int channel)
{
	unsigned long flags;
	bool out;

	if (channel >= PIT8254_NR_CHANNELS)
		return false;
	flags = spin_lock_irqsave(&pit->lock);
	out = ch_out(&pit->ch[channel], pit->clock_ns());
	spin_unlock_irqrestore(&pit->lock, flags);
	return out;
}

u64 pit8254_timer(struct pit8254 *pit, u64 now)
{
	unsigned long flags = spin_lock_irqsave(&pit->lock);
	struct pit8254_channel *c = &pit->ch[0];
	bool fire = false;
	u64 next = 0, d;

	if (c->edge_pending) {
		d = ch_ticks(c, now);
		if (d >= c->next_edge) {
			fire = true;
			pit->nr_irqs++;
			if (c->mode == 2 || c->mode == 3) {
				u64 k = d / c->count;

				pit->nr_lost_ticks += k - c->next_edge / c->count;
				c->next_edge = (k + 1) * c->count;
			} else {
				c->edge_pending = false;	/* one-shot */
			}
		}
		if (c->edge_pending)
			next = c->load_ns + pit8254_ticks_to_ns(c->next_edge);
	}
	spin_unlock_irqrestore(&pit->lock, flags);
	if (fire) {
		guest_set_irq(pit->guest, 0, true);
		guest_set_irq(pit->guest, 0, false);
	}
	return next;
}
