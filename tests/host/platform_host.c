// SPDX-License-Identifier: MIT
/*
 * kernel/platform.h for Linux test programs (see platform_host.h).
 */
#define _GNU_SOURCE
#include "tests/host/platform_host.h"
#include "kernel/log.h"
#include "kernel/platform.h"
#include "kernel/lockdep.h"
#include "kernel/rcu.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static __thread int tls_cpu = -1;
static __thread u64 tls_rand;
static __thread bool tls_need_resched;
static __thread u64 tls_slice_start;	/* last schedule() (time slices) */
static __thread unsigned long tls_irq_flags;	/* 1 = "IRQs disabled" */
static __thread unsigned int tls_relax;

static pthread_mutex_t cpu_mutex = PTHREAD_MUTEX_INITIALIZER;
static bool cpu_used[MAX_CPUS];		/* under cpu_mutex */
static unsigned int nr_cpus_hw;		/* high-water mark of ids + 1 */
static u64 seed;
static unsigned int resched_rate = 64;
static u64 resched_slice_ns;		/* 0: no time-slice policy */

static void die(const char *msg)
{
	ssize_t r = write(2, msg, strlen(msg));

	(void)r;
	abort();
}

unsigned int plat_cpu_id(void)
{
	if (tls_cpu < 0)
		die("platform_host: thread calls core code without "
		    "host_cpu_register()\n");
	return tls_cpu;
}

unsigned int plat_nr_cpus(void)
{
	return __atomic_load_n(&nr_cpus_hw, __ATOMIC_ACQUIRE);
}

void cpu_relax(void)
{
	/* More CPU threads than host cores: let a preempted holder run. */
	if ((++tls_relax & 63) == 0)
		sched_yield();
	else
		__builtin_ia32_pause();
}

unsigned long plat_irq_save(void)
{
	unsigned long f = tls_irq_flags;

	tls_irq_flags = 1;
	return f;
}

void plat_irq_restore(unsigned long flags)
{
	tls_irq_flags = flags;
}

bool plat_irqs_disabled(void)
{
	return tls_irq_flags != 0;
}

u64 host_seed(void)
{
	return seed;
}

u64 host_rand(void)
{
	u64 x = tls_rand;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	tls_rand = x;
	return x * 0x2545f4914f6cdd1dULL;
}

void host_set_resched_rate(unsigned int one_in_n)
{
	__atomic_store_n(&resched_rate, one_in_n, __ATOMIC_RELAXED);
}

void host_set_need_resched(void)
{
	__atomic_store_n(&tls_need_resched, true, __ATOMIC_RELAXED);
}

void host_set_resched_slice_ns(u64 ns)
{
	__atomic_store_n(&resched_slice_ns, ns, __ATOMIC_RELAXED);
}

bool need_resched(void)
{
	unsigned int rate = __atomic_load_n(&resched_rate, __ATOMIC_RELAXED);

	u64 slice = __atomic_load_n(&resched_slice_ns, __ATOMIC_RELAXED);

	if (__atomic_load_n(&tls_need_resched, __ATOMIC_RELAXED))
		return true;
	if (slice && plat_now_ns() - tls_slice_start >= slice)
		return true;
	if (rate && host_rand() % rate == 0) {
		/* Sticky until schedule(), like the kernel's (set by the tick). */
		__atomic_store_n(&tls_need_resched, true, __ATOMIC_RELAXED);
		return true;
	}
	return false;
}

void schedule(void)
{
	if (CONFIG_DEBUG && !sched_debug_check("schedule()"))
		return;
	__atomic_store_n(&tls_need_resched, false, __ATOMIC_RELAXED);
	tls_slice_start = plat_now_ns();
	rcu_note_quiescent_state();
	sched_yield();
}

u64 plat_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

u64 plat_cycles(void)
{
	return plat_now_ns();
}

/*
 * ---- the core's sleepers (RCU waiters) ----
 * A CPU-thread that sleeps here is an idle CPU: it enters an RCU EQS for
 * the wait, as the kernel's CPU does when it halts, so it holds up no
 * grace period. cond runs under wait_mutex, which the waker also takes,
 * so a wake-up after cond's last false evaluation is not lost.
 */
static pthread_mutex_t wait_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wait_cond;	/* CLOCK_MONOTONIC, see init */

bool plat_wait_event(bool (*cond)(void *arg), void *arg, u64 timeout_ns)
{
	bool was_eqs = rcu_in_eqs(), ok;
	u64 end = plat_now_ns() + (timeout_ns ? timeout_ns : 1);
	struct timespec ts = { end / 1000000000ULL, end % 1000000000ULL };

	if (!was_eqs)
		rcu_eqs_enter();
	pthread_mutex_lock(&wait_mutex);
	while (!(ok = cond(arg))) {
		if (pthread_cond_timedwait(&wait_cond, &wait_mutex, &ts) ==
		    ETIMEDOUT) {
			ok = cond(arg);
			break;
		}
	}
	pthread_mutex_unlock(&wait_mutex);
	if (!was_eqs)
		rcu_eqs_exit();
	return ok;
}

void plat_wake_waiters(void)
{
	pthread_mutex_lock(&wait_mutex);
	pthread_cond_broadcast(&wait_cond);
	pthread_mutex_unlock(&wait_mutex);
}

void plat_kick_cpu(unsigned int cpu)
{
	(void)cpu;
}

/* ---- pages: zeroed on alloc, poisoned and quarantined on free ---- */

#define QUARANTINE_DEFAULT 256
static pthread_mutex_t page_mutex = PTHREAD_MUTEX_INITIALIZER;
static void **quarantine;		/* ring, under page_mutex */
static unsigned int quarantine_size, quarantine_pos;
static u64 pages_live;

void *plat_alloc_page(void)
{
	void *p = aligned_alloc(PAGE_SIZE, PAGE_SIZE);

	if (!p)
		return NULL;
	memset(p, 0, PAGE_SIZE);
	__atomic_add_fetch(&pages_live, 1, __ATOMIC_RELAXED);
	return p;
}

/*
 * Blocks of plat_alloc_pages(): mmap'ed (untouched pages cost nothing, so
 * a benchmark can back 16 GiB of guest memory it never writes), naturally
 * aligned, and freed a page at a time: each freed page is poisoned, and
 * the mapping goes when its last page does.
 */
#define MAX_HOST_BLOCKS	1024
struct host_block {
	uintptr_t base;
	size_t size;
	u64 live;		/* pages not yet freed */
};
static struct host_block host_blocks[MAX_HOST_BLOCKS];	/* page_mutex */
static unsigned int host_blocks_hw;	/* slots ever used, page_mutex */

void *plat_alloc_pages(unsigned int order)
{
	size_t size = (size_t)PAGE_SIZE << order;
	uintptr_t raw, base;
	unsigned int i;
	void *m;

	if (!order)
		return plat_alloc_page();
	if (order > 18)
		return NULL;
	m = mmap(NULL, 2 * size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	raw = (uintptr_t)m;
	base = (raw + size - 1) & ~(size - 1);
	if (base > raw)
		munmap(m, base - raw);
	munmap((void *)(base + size), raw + 2 * size - (base + size));
	pthread_mutex_lock(&page_mutex);
	for (i = 0; i < MAX_HOST_BLOCKS && host_blocks[i].base; i++)
		;
	if (i == MAX_HOST_BLOCKS) {
		pthread_mutex_unlock(&page_mutex);
		munmap((void *)base, size);
		return NULL;
	}
	host_blocks[i] = (struct host_block){ base, size, 1ULL << order };
	if (i >= host_blocks_hw)
		host_blocks_hw = i + 1;
	pthread_mutex_unlock(&page_mutex);
	__atomic_add_fetch(&pages_live, 1ULL << order, __ATOMIC_RELAXED);
	return (void *)base;
}

/* The block holding @va, or NULL for a page of plat_alloc_page(). */
static struct host_block *host_block_of(const void *va)
{
	uintptr_t a = (uintptr_t)va;
	unsigned int i;

	for (i = 0; i < host_blocks_hw; i++)
		if (host_blocks[i].base && a - host_blocks[i].base <
		    host_blocks[i].size)
			return &host_blocks[i];
	return NULL;
}

void plat_free_pages(void *va, unsigned int order)
{
	struct host_block *b;

	if (!va)
		return;
	pthread_mutex_lock(&page_mutex);
	b = host_block_of(va);
	if (!b || b->base != (uintptr_t)va ||
	    b->size != ((size_t)PAGE_SIZE << order) ||
	    b->live != (1ULL << order)) {
		pthread_mutex_unlock(&page_mutex);
		die("plat_free_pages: not a whole, intact block\n");
	}
	b->base = 0;
	pthread_mutex_unlock(&page_mutex);
	__atomic_sub_fetch(&pages_live, 1ULL << order, __ATOMIC_RELAXED);
	munmap(va, (size_t)PAGE_SIZE << order);
}

void plat_free_page(void *va)
{
	void *old = va;
	struct host_block *b;

	if (!va)
		return;
	pthread_mutex_lock(&page_mutex);
	b = host_block_of(va);
	if (b) {
		memset(va, HOST_POISON_BYTE, PAGE_SIZE);
		if (!--b->live) {
			munmap((void *)b->base, b->size);
			b->base = 0;
		}
		pthread_mutex_unlock(&page_mutex);
		__atomic_sub_fetch(&pages_live, 1, __ATOMIC_RELAXED);
		return;
	}
	pthread_mutex_unlock(&page_mutex);
	memset(va, HOST_POISON_BYTE, PAGE_SIZE);
	__atomic_sub_fetch(&pages_live, 1, __ATOMIC_RELAXED);
	pthread_mutex_lock(&page_mutex);
	if (quarantine_size) {
		old = quarantine[quarantine_pos];
		quarantine[quarantine_pos] = va;
		quarantine_pos = (quarantine_pos + 1) % quarantine_size;
	}
	pthread_mutex_unlock(&page_mutex);
	free(old);
}

static unsigned long reports_expected;

void host_expect_reports(unsigned long n)
{
	__atomic_add_fetch(&reports_expected, n, __ATOMIC_RELAXED);
}

long host_unexpected_reports(void)
{
	return (long)(__atomic_load_n(&warn_count, __ATOMIC_RELAXED) +
		      __atomic_load_n(&bug_count, __ATOMIC_RELAXED)) -
	       (long)__atomic_load_n(&reports_expected, __ATOMIC_RELAXED);
}

u64 host_nr_pages_live(void)
{
	return __atomic_load_n(&pages_live, __ATOMIC_RELAXED);
}

/* Identity: host "physical" addresses are the virtual ones. */
void *plat_zalloc(size_t size)
{
	return calloc(1, size);
}

void plat_free(void *p)
{
	free(p);
}

static __thread char tls_last_line[512];

const char *host_last_console(void)
{
	return tls_last_line;
}

void plat_console_write(const char *s, size_t len)
{
	size_t keep = len < sizeof(tls_last_line) - 1 ? len :
			sizeof(tls_last_line) - 1;

	memcpy(tls_last_line, s, keep);
	tls_last_line[keep] = 0;
	/* One write() per line keeps lines from different CPUs whole. */
	while (len) {
		ssize_t n = write(2, s, len);

		if (n <= 0)
			return;
		s += n;
		len -= n;
	}
}

__attribute__((noreturn)) void plat_halt(void)
{
	abort();
}

/* ---- CPUs ---- */

unsigned int host_cpu_register(void)
{
	unsigned int id;

	pthread_mutex_lock(&cpu_mutex);
	for (id = 0; id < MAX_CPUS && cpu_used[id]; id++)
		;
	if (id == MAX_CPUS)
		die("platform_host: more than MAX_CPUS CPU threads\n");
	cpu_used[id] = true;
	if (id + 1 > nr_cpus_hw)
		__atomic_store_n(&nr_cpus_hw, id + 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&cpu_mutex);
	tls_cpu = id;
	tls_slice_start = plat_now_ns();
	tls_rand = seed ^ ((u64)(id + 1) * 0x9e3779b97f4a7c15ULL);
	if (!tls_rand)
		tls_rand = 1;
	rcu_eqs_exit();
	return id;
}

void host_cpu_unregister(void)
{
	rcu_cpu_drain_callbacks();
	if (lockdep_depth())
		die("platform_host: CPU thread exits holding a lock\n");
	rcu_eqs_enter();
	pthread_mutex_lock(&cpu_mutex);
	cpu_used[tls_cpu] = false;
	pthread_mutex_unlock(&cpu_mutex);
	tls_cpu = -1;
}

void host_cpu_idle_enter(void)
{
	rcu_eqs_enter();
}

void host_cpu_idle_exit(void)
{
	rcu_eqs_exit();
}

struct run_arg {
	void (*fn)(void *arg, unsigned int i);
	void *arg;
	unsigned int idx;
};

static void *run_thread(void *p)
{
	struct run_arg *ra = p;

	host_cpu_register();
	ra->fn(ra->arg, ra->idx);
	host_cpu_unregister();
	return NULL;
}

void host_run_cpus(unsigned int n, void (*fn)(void *arg, unsigned int i),
		   void *arg)
{
	pthread_t th[MAX_CPUS];
	struct run_arg ra[MAX_CPUS];
	unsigned int i;

	if (n >= MAX_CPUS)
		die("platform_host: host_run_cpus: too many CPUs\n");
	host_cpu_idle_enter();
	for (i = 0; i < n; i++) {
		ra[i] = (struct run_arg){ fn, arg, i };
		if (pthread_create(&th[i], NULL, run_thread, &ra[i]))
			die("platform_host: pthread_create failed\n");
	}
	for (i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	host_cpu_idle_exit();
}

__attribute__((constructor)) static void platform_host_init(void)
{
	const char *s = getenv("HOST_SEED");
	const char *r = getenv("HOST_RESCHED");
	const char *q = getenv("HOST_QUARANTINE");
	pthread_condattr_t ca;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&wait_cond, &ca);
	pthread_condattr_destroy(&ca);

	seed = s ? strtoull(s, NULL, 0) : ((u64)time(NULL) << 20) ^ getpid();
	if (r)
		resched_rate = strtoul(r, NULL, 0);
	quarantine_size = q ? strtoul(q, NULL, 0) : QUARANTINE_DEFAULT;
	if (quarantine_size)
		quarantine = calloc(quarantine_size, sizeof(*quarantine));
	printf("# HOST_SEED=%llu\n", (unsigned long long)seed);
	fflush(stdout);
	host_cpu_register();
}
