// SPDX-License-Identifier: MIT
/*
 * Per-CPU held-lock stacks and misuse reports (see kernel/lockdep.h).
 *
 * A CPU's stack is touched only by that CPU (IRQ handlers on it push and
 * pop in LIFO order around the interrupted code), so it needs no lock.
 */
#include "kernel/lockdep.h"
#include "kernel/log.h"
#include "kernel/platform.h"
#include "kernel/rcu.h"

struct held_lock {
	const void *lock;
	const char *name;
	enum lock_mode mode;
};

struct lockdep_cpu {
	unsigned int depth;
	struct held_lock held[LOCKDEP_MAX_HELD];
} __cacheline_aligned;

static struct lockdep_cpu lockdep_cpus[MAX_CPUS];
static unsigned long nr_reports;

static const char *const mode_name[] = {
	[LOCK_MODE_SPIN] = "spin", [LOCK_MODE_READ] = "read",
	[LOCK_MODE_WRITE] = "write",
};

unsigned long lockdep_nr_reports(void)
{
	return __atomic_load_n(&nr_reports, __ATOMIC_RELAXED);
}

void lockdep_report(const char *what, const char *name, int cpu, int owner)
{
	__atomic_add_fetch(&nr_reports, 1, __ATOMIC_RELAXED);
	pr_err("BUG: %s (lock '%s', cpu %d, owner %d)\n", what,
	       name ? name : "?", cpu, owner);
}

void lockdep_report_fmt(const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	kvsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	__atomic_add_fetch(&nr_reports, 1, __ATOMIC_RELAXED);
	pr_err("BUG: %s\n", msg);
}

void lockdep_acquire(const void *lock, const char *name, enum lock_mode mode)
{
	struct lockdep_cpu *c = &lockdep_cpus[plat_cpu_id()];

	if (c->depth == LOCKDEP_MAX_HELD) {
		/* Stop tracking rather than overflow; say so once per event. */
		lockdep_report("lockdep held-lock stack overflow", name,
			       plat_cpu_id(), -1);
		return;
	}
	c->held[c->depth++] = (struct held_lock){ lock, name, mode };
}

bool lockdep_acquire_new(const void *lock, const char *name,
			 enum lock_mode mode)
{
	struct lockdep_cpu *c = &lockdep_cpus[plat_cpu_id()];
	unsigned int i;

	for (i = 0; i < c->depth; i++)
		if (c->held[i].lock == lock)
			return false;
	if (c->depth == LOCKDEP_MAX_HELD) {
		lockdep_report("lockdep held-lock stack overflow", name,
			       plat_cpu_id(), -1);
		return true;
	}
	c->held[c->depth++] = (struct held_lock){ lock, name, mode };
	return true;
}

bool lockdep_release_mode(const void *lock, enum lock_mode mode)
{
	struct lockdep_cpu *c = &lockdep_cpus[plat_cpu_id()];
	int i;

	for (i = (int)c->depth - 1; i >= 0; i--) {
		if (c->held[i].lock != lock)
			continue;
		if (c->held[i].mode != mode)
			return false;
		for (; i + 1 < (int)c->depth; i++)
			c->held[i] = c->held[i + 1];
		c->depth--;
		return true;
	}
	return false;
}

bool lockdep_release(const void *lock)
{
	struct lockdep_cpu *c = &lockdep_cpus[plat_cpu_id()];
	int i;

	/* Usually the top entry; out-of-order release is legal. */
	for (i = (int)c->depth - 1; i >= 0; i--) {
		if (c->held[i].lock != lock)
			continue;
		for (; i + 1 < (int)c->depth; i++)
			c->held[i] = c->held[i + 1];
		c->depth--;
		return true;
	}
	return false;
}

bool lockdep_is_held(const void *lock, int mode)
{
	struct lockdep_cpu *c = &lockdep_cpus[plat_cpu_id()];
	unsigned int i;

	for (i = 0; i < c->depth; i++)
		if (c->held[i].lock == lock &&
		    (mode < 0 || c->held[i].mode == (enum lock_mode)mode))
			return true;
	return false;
}

unsigned int lockdep_depth(void)
{
	return lockdep_cpus[plat_cpu_id()].depth;
}

void lockdep_assert_failed(const char *name, const char *mode,
			   const char *file, int line)
{
	lockdep_report_fmt("lock '%s' expected %s at %s:%d (cpu %u)",
			   name ? name : "?", mode, file, line, plat_cpu_id());
}

bool sched_debug_check(const char *what)
{
	struct lockdep_cpu *c = &lockdep_cpus[plat_cpu_id()];
	int nest;

	if (c->depth) {
		const struct held_lock *h = &c->held[c->depth - 1];
		char msg[96];

		ksnprintf(msg, sizeof(msg), "%s while holding a %s lock", what,
			  mode_name[h->mode]);
		lockdep_report(msg, h->name, plat_cpu_id(), plat_cpu_id());
		return false;
	}
	nest = rcu_read_lock_nesting();
	if (nest) {
		lockdep_report_fmt("%s inside RCU read-side critical section "
				   "(cpu %u, nesting %d)", what, plat_cpu_id(),
				   nest);
		return false;
	}
	return true;
}
