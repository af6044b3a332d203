// SPDX-License-Identifier: MIT
/*
 * apf_tasks: async page faults in a guest that has something else to do
 * (seed 003). On the library's task kernel (lib/task.h) and KVM async-PF
 * client (lib/kvm_apf.h), "faulter" tasks read back pages the host put
 * in swap (HC_MMU_SWAP_OUT) while "compute" tasks count loop iterations:
 *
 *  - a faulter that takes "not present" sleeps on its token and the
 *    compute tasks run meanwhile (every such wait is checked to have let
 *    one in);
 *  - a fault taken with preemption off or inside an RCU read-side section
 *    halts the vCPU instead, and nothing else runs until it is woken;
 *  - disabling async PF with waiters asleep: they are woken, retry, and
 *    the host serves them synchronously; nothing is left on either side;
 *  - a guest that never ACKs still gets its completions (the slot frees
 *    them, KVM's rule); one that never frees the slot gets no more after
 *    the first, and disabling frees what the host kept for it;
 *  - the guest dies with faults in flight (the host's leak checks and
 *    WARNs judge what happens next).
 *
 * Modes (mode=): default (all of the above, in that order), race (with
 * the host's apf_race=N: "page ready" before "not present", dummies made
 * and consumed, none left), off (apf=0 on the host: every fault slept
 * through by the host), progress (the compute rate in a window of guest
 * time without and with faults going on: the bench, with apf=0 and
 * apf=1; window_us=, default 100000).
 */
#include "tests/guests/lib/kvm_apf.h"
#include "tests/guests/mmu_common.h"

#define NR_FAULTERS	3
#define NR_COMPUTE	2
#define PAGES		4
#define TICK_US		10000

static u64 bufs[NR_FAULTERS][PAGES][512] __attribute__((aligned(4096)));
static u64 spare[2][512] __attribute__((aligned(4096)));
/* Iterations inside the window; all of them (what waits compare). */
static volatile u64 compute_iters[NR_COMPUTE], compute_spins[NR_COMPUTE];
static volatile u64 deadline;		/* TSC: the window ends, 0: none */
static volatile unsigned int rounds_left[NR_FAULTERS];
/* Tasks alive; faulters alive (the compute tasks outlive them). */
static unsigned int nr_alive, nr_faulters;

/* Faulters' tallies (interrupts off or one task at a time). */
static struct {
	u64 touches, async_touches, touches_with_progress, bad;
	u64 progress_while_waiting;
} fs;

static u64 khz;

/*
 * STI, then one instruction in its shadow: an access right after STI is
 * in the interrupt shadow, where the host (rightly) sends no async PF.
 */
static inline void sti_nop(void)
{
	asm volatile("sti; nop" ::: "memory");
}

static u64 us_to_tsc(u64 us)
{
	return khz * us / 1000;
}

static u64 pattern(unsigned int f, unsigned int p, unsigned int i, u64 r)
{
	return 0x5a00000000000000ULL | r << 40 | (u64)f << 32 | p << 16 | i;
}

static u64 gfn_of(const void *p)
{
	return (u64)(uintptr_t)p >> 12;
}

static u64 sum(volatile u64 *v)
{
	u64 n = 0;

	for (unsigned int i = 0; i < NR_COMPUTE; i++)
		n += v[i];
	return n;
}

static bool time_up(void)
{
	return deadline && rdtsc() >= deadline;
}

/* A faulter that never wakes: say what each side has, and end. */
static u64 hang_at = ~0ULL;

static void hang_report(void)
{
	cli();
	ktap_diag("hang: %u asleep, %u dummies; guest: %llu not present, %llu page ready, %llu wake-all, %llu made, %llu consumed, %llu dropped; token slot %#x; host: %llu not present, %llu page ready, %llu work alive",
		  kvm_apf_sleepers(), kvm_apf_dummies(),
		  (unsigned long long)kvm_apf_stats.not_present,
		  (unsigned long long)kvm_apf_stats.page_ready,
		  (unsigned long long)kvm_apf_stats.wake_all,
		  (unsigned long long)kvm_apf_stats.dummies_made,
		  (unsigned long long)kvm_apf_stats.dummies_consumed,
		  (unsigned long long)kvm_apf_stats.dummies_dropped,
		  READ_ONCE(apf_data.token),
		  (unsigned long long)mmu_stat(HV_MMU_STAT_apf_not_present),
		  (unsigned long long)mmu_stat(HV_MMU_STAT_apf_page_ready),
		  (unsigned long long)mmu_stat(HV_MMU_STAT_apf_work_alive));
	ktap_result(false, "no_faulter_sleeps_for_ever");
	hc_exit(1);
}

static void compute_fn(void *arg)
{
	unsigned int i = (unsigned int)(uintptr_t)arg;
	u64 x = i + 1;

	/* Until the window ends and no faulter is left to watch. */
	while ((deadline && !time_up()) || READ_ONCE(nr_faulters)) {
		if (i == 0 && (compute_spins[0] & 0xfff) == 0 &&
		    rdtsc() > hang_at)
			hang_report();
		for (unsigned int k = 0; k < 64; k++)
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		compute_spins[i]++;
		if (deadline && !time_up())
			compute_iters[i]++;
	}
	if (x == 42)		/* keep the loop's work */
		printf("# %llu\n", (unsigned long long)x);
	__atomic_fetch_sub(&nr_alive, 1, __ATOMIC_RELAXED);
}

static struct task *compute_tasks[NR_COMPUTE];

/* How often the compute tasks were switched in (interrupts off). */
static u64 compute_runs(void)
{
	u64 n = 0;

	for (unsigned int i = 0; i < NR_COMPUTE; i++)
		if (compute_tasks[i])
			n += compute_tasks[i]->nr_switches_in;
	return n;
}

/*
 * Read one page back. If it went async, did a compute task get the CPU
 * while we waited (switched in, however briefly: a page ready preempts
 * it at once), and how far did they count?
 */
static void touch_page(unsigned int f, unsigned int p, u64 round)
{
	u64 c0, r0, np0, v;

	cli();
	c0 = sum(compute_spins);
	r0 = compute_runs();
	np0 = kvm_apf_stats.not_present;
	sti_nop();
	v = READ_ONCE(bufs[f][p][0]);
	cli();
	fs.touches++;
	if (kvm_apf_stats.not_present != np0) {
		fs.async_touches++;
		fs.progress_while_waiting += sum(compute_spins) - c0;
		fs.touches_with_progress += compute_runs() != r0;
	}
	sti();
	fs.bad += v != pattern(f, p, 0, round);
	for (unsigned int i = 1; i < 512; i += 97)
		fs.bad += READ_ONCE(bufs[f][p][i]) != pattern(f, p, i, round);
}

static void faulter_fn(void *arg)
{
	unsigned int f = (unsigned int)(uintptr_t)arg;

	/* Until the window ends, or for the rounds asked without one. */
	for (u64 r = 1; deadline ? !time_up() : READ_ONCE(rounds_left[f]);
	     r++) {
		for (unsigned int p = 0; p < PAGES; p++)
			for (unsigned int i = 0; i < 512; i++)
				bufs[f][p][i] = pattern(f, p, i, r);
		hc_mmu_swap_out(gfn_of(bufs[f]), PAGES);
		for (unsigned int p = 0; p < PAGES; p++)
			touch_page(f, p, r);
		if (!deadline)
			rounds_left[f]--;
	}
	__atomic_fetch_sub(&nr_faulters, 1, __ATOMIC_RELAXED);
	__atomic_fetch_sub(&nr_alive, 1, __ATOMIC_RELAXED);
}

/* The three faulters, for a run without compute tasks. */
static void start_faulters(void)
{
	for (unsigned int f = 0; f < NR_FAULTERS; f++)
		task_create("faulter", faulter_fn, (void *)(uintptr_t)f);
}

static bool all_done(void)
{
	return !READ_ONCE(nr_alive);
}

/* Run @nc compute tasks and @nf faulters until they end. */
static void run_tasks(unsigned int nc, unsigned int nf, u64 window_us,
		      unsigned int rounds)
{
	static const char *const cnames[] = { "compute0", "compute1" };
	static const char *const fnames[] = { "faulter0", "faulter1",
					      "faulter2" };

	deadline = window_us ? rdtsc() + us_to_tsc(window_us) : 0;
	for (unsigned int i = 0; i < NR_COMPUTE; i++)
		compute_iters[i] = compute_spins[i] = 0;
	for (unsigned int f = 0; f < NR_FAULTERS; f++)
		rounds_left[f] = rounds;
	nr_alive = nc + nf;
	nr_faulters = nf;
	for (unsigned int i = 0; i < NR_COMPUTE; i++)
		compute_tasks[i] = i < nc ? task_create(cnames[i], compute_fn,
						       (void *)(uintptr_t)i)
					  : NULL;
	for (unsigned int f = 0; f < nf; f++)
		task_create(fnames[f], faulter_fn, (void *)(uintptr_t)f);
	task_run_idle(all_done);
}

/* ---- the compute rate with and without faults ---------------------- */

/*
 * Correctness, whatever the load: faulters read their pages back for a
 * few rounds while the compute tasks run; every async wait must have let
 * a compute task in.
 */
static void test_wait_schedule(void)
{
	task_reset();
	fs = (typeof(fs)){ 0 };
	run_tasks(NR_COMPUTE, NR_FAULTERS, 0, 2);
	ktap_diag("wait_schedule: %llu touches, %llu async, %llu compute spins while waiting",
		  (unsigned long long)fs.touches,
		  (unsigned long long)fs.async_touches,
		  (unsigned long long)fs.progress_while_waiting);
	ktap_result(EXPECT_EQ(fs.bad, 0) &&
		    EXPECT_EQ(fs.async_touches, fs.touches) &&
		    EXPECT_EQ(fs.touches_with_progress, fs.async_touches) &&
		    EXPECT(fs.progress_while_waiting > 0) &&
		    EXPECT_EQ(kvm_apf_sleepers(), 0),
		    "faulters_wait_on_tokens_while_compute_tasks_run_contents_kept");
}

/*
 * The measurement (mode=progress, the bench): compute iterations in a
 * window of guest time without faults, then with the faulters going.
 * Guest time is emulated time in Bochs: only meaningful in a boot of its
 * own, which the bench is.
 */
static void test_progress(u64 window_us, bool apf_on)
{
	u64 base, with, pm;

	task_reset();
	run_tasks(NR_COMPUTE, 0, window_us, 0);
	base = sum(compute_iters);
	task_reset();
	fs = (typeof(fs)){ 0 };
	run_tasks(NR_COMPUTE, NR_FAULTERS, window_us, 0);
	with = sum(compute_iters);
	pm = base ? with * 1000 / base : 0;
	ktap_diag("apf_progress: apf=%u window_us=%llu baseline=%llu with_faults=%llu permille=%llu faults=%llu async=%llu",
		  apf_on, (unsigned long long)window_us,
		  (unsigned long long)base, (unsigned long long)with,
		  (unsigned long long)pm, (unsigned long long)fs.touches,
		  (unsigned long long)fs.async_touches);
	ktap_result(EXPECT_EQ(fs.bad, 0) && EXPECT(fs.touches > 0) &&
		    (apf_on ? EXPECT_EQ(fs.async_touches, fs.touches)
			    : EXPECT_EQ(fs.async_touches, 0)),
		    apf_on ? "progress_window_faults_async_contents_kept"
			   : "progress_window_faults_slept_through_by_host_contents_kept");
}

/* ---- the halt path ---------------------------------------------------- */

static int halt_ok;

static bool one_halt_touch(bool rcu)
{
	u64 halts0 = kvm_apf_stats.waits_halt, sw0, c0, bad;
	u64 np0 = kvm_apf_stats.not_present, sync0 = mmu_stat(HV_MMU_STAT_apf_sync_waits);
	long moved;

	for (unsigned int i = 0; i < 512; i++)
		spare[0][i] = pattern(7, 0, i, 9);
	moved = hc_mmu_swap_out(gfn_of(spare[0]), 1);
	if (rcu)
		rcu_read_lock();
	else
		preempt_disable();
	cli();
	sw0 = task_nr_switches;
	c0 = sum(compute_spins);
	sti_nop();
	/* Two ticks go by with the compute tasks runnable: no switch. */
	for (u64 t0 = READ_ONCE(task_ticks); READ_ONCE(task_ticks) < t0 + 2;)
		cpu_relax();
	bad = READ_ONCE(spare[0][0]) != pattern(7, 0, 0, 9);
	cli();
	/* Nothing ran: no switch, no compute progress, one halt wait. */
	bad += task_nr_switches != sw0;
	bad += sum(compute_spins) != c0;
	sti();
	if (rcu)
		rcu_read_unlock();
	else
		preempt_enable();
	if (bad || kvm_apf_stats.waits_halt != halts0 + 1)
		ktap_diag("halt path (%s): moved %ld, %llu not present, %llu host sync waits, %llu bad, %llu halt waits (want 1), %llu switches, %llu compute spins meanwhile",
			  rcu ? "rcu_read_lock" : "preempt_disable", moved,
			  (unsigned long long)(kvm_apf_stats.not_present - np0),
			  (unsigned long long)(mmu_stat(HV_MMU_STAT_apf_sync_waits) - sync0),
			  (unsigned long long)bad,
			  (unsigned long long)(kvm_apf_stats.waits_halt - halts0),
			  (unsigned long long)(task_nr_switches - sw0),
			  (unsigned long long)(sum(compute_spins) - c0));
	return !bad && kvm_apf_stats.waits_halt == halts0 + 1;
}

static void halter_fn(void *arg)
{
	(void)arg;
	/* Let the compute tasks get going, so that they could run. */
	for (unsigned int i = 0; i < 4; i++)
		task_yield();
	halt_ok = one_halt_touch(false) ? 1 : -1;
	if (halt_ok > 0)
		halt_ok = one_halt_touch(true) ? 2 : -2;
	__atomic_fetch_sub(&nr_faulters, 1, __ATOMIC_RELAXED);
	__atomic_fetch_sub(&nr_alive, 1, __ATOMIC_RELAXED);
}

static void test_halt_path(void)
{
	task_reset();
	deadline = rdtsc();	/* the compute tasks run while the halter does */
	nr_alive = NR_COMPUTE + 1;
	nr_faulters = 1;
	compute_tasks[0] = task_create("compute0", compute_fn, (void *)0);
	compute_tasks[1] = task_create("compute1", compute_fn, (void *)1);
	task_create("halter", halter_fn, NULL);
	task_run_idle(all_done);
	ktap_result(EXPECT_EQ(halt_ok, 2),
		    "fault_with_preemption_off_or_in_rcu_read_side_halts_nothing_else_runs");
}

/* ---- disabling with waiters asleep ------------------------------------ */

static bool disabled_at_2;
static u64 np_at_disable;

static bool disable_when_two_sleep(void)
{
	if (!disabled_at_2 && kvm_apf_sleepers() >= 2) {
		np_at_disable = kvm_apf_stats.not_present;
		disabled_at_2 = kvm_apf_disable() < 0;
	}
	return all_done();
}

static void test_disable_halfway(void)
{
	unsigned int sleepers;

	task_reset();
	fs = (typeof(fs)){ 0 };
	deadline = 0;
	compute_tasks[0] = compute_tasks[1] = NULL;
	for (unsigned int f = 0; f < NR_FAULTERS; f++)
		rounds_left[f] = 3;
	nr_alive = nr_faulters = NR_FAULTERS;
	start_faulters();
	task_run_idle(disable_when_two_sleep);
	sleepers = kvm_apf_sleepers();
	ktap_result(EXPECT(disabled_at_2) && EXPECT_EQ(fs.bad, 0) &&
		    EXPECT_EQ(kvm_apf_stats.not_present, np_at_disable) &&
		    EXPECT_EQ(sleepers, 0) && EXPECT_EQ(kvm_apf_dummies(), 0) &&
		    EXPECT_EQ(mmu_stat(HV_MMU_STAT_apf_work_alive), 0),
		    "disable_with_two_waiters_asleep_wakes_them_host_serves_retries_nothing_left");
}

/* ---- never ACK; never free the slot ----------------------------------- */

static u64 give_up_at;

/* Time's up with tasks still asleep: disabling wakes them (they retry). */
static bool done_or_rescue(void)
{
	if (all_done())
		return true;
	if (rdtsc() >= give_up_at && kvm_apf_enabled())
		kvm_apf_disable();
	return false;
}

static void run_misbehaving(u64 bound_us, unsigned int rounds)
{
	task_reset();
	fs = (typeof(fs)){ 0 };
	deadline = 0;
	compute_tasks[0] = compute_tasks[1] = NULL;
	give_up_at = rdtsc() + us_to_tsc(bound_us);
	for (unsigned int f = 0; f < NR_FAULTERS; f++)
		rounds_left[f] = rounds;
	nr_alive = nr_faulters = NR_FAULTERS;
	start_faulters();
	task_run_idle(done_or_rescue);
}

static void test_never_ack(void)
{
	u64 ready0, np0;
	bool rescued;

	kvm_apf_no_ack = true;
	ready0 = mmu_stat(HV_MMU_STAT_apf_page_ready);
	np0 = kvm_apf_stats.not_present;
	ktap_result(EXPECT_EQ(kvm_apf_enable(true), -1), "reenable_without_ack");
	run_misbehaving(10000000, 2);
	rescued = !kvm_apf_enabled();
	ktap_diag("never ACK: %llu not present, %llu page ready delivered, rescued by disabling: %s",
		  (unsigned long long)(kvm_apf_stats.not_present - np0),
		  (unsigned long long)(mmu_stat(HV_MMU_STAT_apf_page_ready) - ready0),
		  rescued ? "yes" : "no");
	if (!rescued)
		kvm_apf_disable();
	/*
	 * Completions that found the slot free went in without any ACK:
	 * more than the wake-all (an ACK-gated host stops after it). One
	 * that found it busy waits for the next; the last may wait for ever
	 * (KVM's rule too), which the rescue by disabling ends.
	 */
	ktap_result(EXPECT_EQ(fs.bad, 0) &&
		    EXPECT(mmu_stat(HV_MMU_STAT_apf_page_ready) - ready0 >=
			   1 + NR_FAULTERS) &&
		    EXPECT_EQ(mmu_stat(HV_MMU_STAT_apf_work_alive), 0) &&
		    EXPECT_EQ(kvm_apf_sleepers(), 0),
		    "never_ack_completions_still_delivered_when_slot_free_nothing_left");
	kvm_apf_no_ack = false;

	/* Worse: the slot keeps the wake-all's token for ever. */
	kvm_apf_no_free_slot = true;
	ready0 = mmu_stat(HV_MMU_STAT_apf_page_ready);
	np0 = kvm_apf_stats.not_present;
	kvm_apf_enable(true);
	run_misbehaving(1000000, 1);
	ktap_result(EXPECT_EQ(fs.bad, 0) && EXPECT(!kvm_apf_enabled()) &&
		    EXPECT(kvm_apf_stats.not_present - np0 >= NR_FAULTERS) &&
		    EXPECT_EQ(mmu_stat(HV_MMU_STAT_apf_page_ready) - ready0, 1) &&
		    EXPECT_EQ(mmu_stat(HV_MMU_STAT_apf_work_alive), 0) &&
		    EXPECT_EQ(kvm_apf_sleepers(), 0),
		    "slot_never_freed_one_page_ready_then_none_disable_frees_the_rest");
	kvm_apf_no_free_slot = false;
	apf_data.token = 0;
}

/* ---- the race hook ------------------------------------------------------ */

static void test_race(void)
{
	task_reset();
	fs = (typeof(fs)){ 0 };
	run_tasks(NR_COMPUTE, NR_FAULTERS, 0, 6);
	ktap_diag("race: %llu not present, %llu page ready, dummies %llu made, %llu consumed, %llu dropped",
		  (unsigned long long)kvm_apf_stats.not_present,
		  (unsigned long long)kvm_apf_stats.page_ready,
		  (unsigned long long)kvm_apf_stats.dummies_made,
		  (unsigned long long)kvm_apf_stats.dummies_consumed,
		  (unsigned long long)kvm_apf_stats.dummies_dropped);
	ktap_result(EXPECT_EQ(fs.bad, 0) &&
		    EXPECT(kvm_apf_stats.dummies_made > 0) &&
		    EXPECT_EQ(kvm_apf_stats.dummies_made,
			      kvm_apf_stats.dummies_consumed) &&
		    EXPECT_EQ(kvm_apf_stats.dummy_pool_empty, 0) &&
		    EXPECT_EQ(kvm_apf_dummies(), 0) &&
		    EXPECT_EQ(kvm_apf_sleepers(), 0),
		    "wake_before_wait_with_tasks_dummies_made_and_consumed_none_left");
}

/* ---- dying with faults in flight -------------------------------------- */

/*
 * Called by the idle loop with interrupts off: with two or more faulters
 * asleep on their tokens, report and die right here (no page ready can
 * slip in between the count and the end).
 */
static bool die_when_two_in_flight(void)
{
	unsigned int asleep = kvm_apf_sleepers();
	u64 alive;

	if (asleep < 2 && !all_done())
		return false;
	alive = mmu_stat(HV_MMU_STAT_apf_work_alive);
	ktap_diag("dying: %u asleep, %llu schedule waits, %llu halt waits so far",
		  asleep, (unsigned long long)kvm_apf_stats.waits_schedule,
		  (unsigned long long)kvm_apf_stats.waits_halt);
	ktap_result(EXPECT(asleep >= 2) && EXPECT(alive >= 2),
		    "dying_with_%llu_faults_in_flight", (unsigned long long)alive);
	/* Gone, with tasks asleep and page-ins queued. */
	hc_exit(ktap_nr_failed() ? 1 : 0);
}

static void test_die_in_flight(void)
{
	task_reset();
	deadline = 0;
	compute_tasks[0] = compute_tasks[1] = NULL;
	for (unsigned int f = 0; f < NR_FAULTERS; f++)
		rounds_left[f] = 1000;
	nr_alive = nr_faulters = NR_FAULTERS;
	start_faulters();
	task_run_idle(die_when_two_in_flight);
}

int main(void)
{
	char mode[16], val[24];
	u64 window_us = 100000;
	bool offered;

	if (!guest_option("mode", mode, sizeof(mode)))
		mode[0] = 0;
	if (guest_option("window_us", val, sizeof(val))) {
		window_us = 0;
		for (const char *p = val; *p >= '0' && *p <= '9'; p++)
			window_us = window_us * 10 + (*p - '0');
	}
	{
		u32 a, b, c, d;

		cpuid(HV_CPUID_TIMING, 0, &a, &b, &c, &d);
		khz = a ? a : 1000000;
	}
	hang_at = rdtsc() + us_to_tsc(40000000);	/* the host kills at 60 s */
	task_kernel_init(TICK_US);
	offered = kvm_apf_offered();

	if (!strcmp(mode, "off")) {
		ktap_plan(2);
		ktap_result(EXPECT(!offered) &&
			    EXPECT_EQ(kvm_apf_enable(true), X86_GP),
			    "apf_off_not_offered_msrs_gp");
		test_progress(window_us, false);
	} else if (!strcmp(mode, "progress")) {
		ktap_plan(2);
		ktap_result(!offered || EXPECT_EQ(kvm_apf_enable(true), -1),
			    "enable_where_offered");
		test_progress(window_us, offered);
	} else if (!strcmp(mode, "race")) {
		ktap_plan(2);
		ktap_result(EXPECT(offered) &&
			    EXPECT_EQ(kvm_apf_enable(true), -1), "enable");
		test_race();
	} else {
		ktap_plan(9);
		ktap_result(EXPECT(offered) &&
			    EXPECT_EQ(kvm_apf_enable(true), -1), "enable");
		test_wait_schedule();
		test_halt_path();
		test_disable_halfway();
		test_never_ack();
		ktap_result(EXPECT_EQ(kvm_apf_enable(true), -1), "reenable");
		test_die_in_flight();
	}
	task_kernel_stop_tick();
	return ktap_nr_failed() ? 1 : 0;
}
