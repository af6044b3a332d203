/* SPDX-License-Identifier: MIT */
/*
 * Hosted platform: a Linux process where each registered pthread plays a
 * CPU (implements kernel/platform.h for tests/host/).
 *
 * Rules for test writers
 *  - Every thread that calls core code must be a CPU: host_cpu_register()
 *    first, host_cpu_unregister() before it exits (that runs its pending
 *    call_rcu callbacks). The main thread is CPU 0 from startup.
 *    Easiest: host_run_cpus(n, fn, arg) runs fn on n fresh CPUs and
 *    parks the caller in an RCU extended quiescent state while it waits.
 *  - A registered CPU must pass quiescent states regularly
 *    (cond_resched(), schedule(), rcu_note_quiescent_state()) or be in an
 *    EQS (host_cpu_idle_enter()/_exit(), e.g. around a blocking wait),
 *    otherwise synchronize_rcu()/rcu_barrier() on other CPUs wait forever
 *    (and print the RCU stall warning after rcu_stall_timeout_ms).
 *  - need_resched() is true at random, one call in HOST_RESCHED (env,
 *    default 64; 0 = never), from a per-CPU PRNG seeded by HOST_SEED (env;
 *    random if unset). The seed is printed as "# HOST_SEED=..." so a
 *    failing run can be replayed (thread interleavings still vary).
 *  - schedule() = debug checks + RCU quiescent state + sched_yield().
 *  - Pages come from aligned_alloc and are zeroed; freed pages are
 *    poisoned with 0x6b and kept in a quarantine of HOST_QUARANTINE pages
 *    before really being freed, so a use-after-free reads poison.
 */
#ifndef TESTS_HOST_PLATFORM_HOST_H
#define TESTS_HOST_PLATFORM_HOST_H

#include "kernel/types.h"

#define HOST_POISON_BYTE	0x6b

unsigned int host_cpu_register(void);
void host_cpu_unregister(void);
void host_cpu_idle_enter(void);
void host_cpu_idle_exit(void);

/* Run fn(arg, i) for i in [0, n) on n new CPU threads; waits for all. */
void host_run_cpus(unsigned int n, void (*fn)(void *arg, unsigned int i),
		   void *arg);

u64 host_seed(void);
/* Per-CPU PRNG (xorshift64*), seeded from HOST_SEED and the CPU id. */
u64 host_rand(void);
void host_set_resched_rate(unsigned int one_in_n);
/* Make this CPU's next need_resched() return true. */
void host_set_need_resched(void);
/*
 * Time slices: need_resched() also becomes true once @ns have passed since
 * this CPU's last schedule(), as a scheduler tick would make it (0: off).
 */
void host_set_resched_slice_ns(u64 ns);

u64 host_nr_pages_live(void);

/*
 * Every WARN and every "BUG:" report fails the program (tap_done) unless
 * the test announced it: a test that provokes @n reports on purpose calls
 * host_expect_reports(n) once it has checked them.
 */
void host_expect_reports(unsigned long n);
/* Reports printed minus reports announced (tap_done fails if non-zero). */
long host_unexpected_reports(void);

/* The last console line this CPU wrote (tests check reports by name). */
const char *host_last_console(void);

#endif
