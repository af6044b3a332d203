// SPDX-License-Identifier: MIT
/*
 * KVM async page faults, guest side (kvm_apf.h): seed 003's queueing,
 * its schedule- and halt-based waits, and the wake that leaves a dummy.
 */
#include "tests/guests/lib/kvm_apf.h"

#define KVM_TASK_SLEEP_HASHBITS	8
#define KVM_TASK_SLEEP_HASHSIZE	(1 << KVM_TASK_SLEEP_HASHBITS)
#define NR_DUMMIES		64

struct kvm_task_sleep_node {
	struct kvm_task_sleep_node *next;
	/* Set while in the hash; the waker clears it (hlist_unhashed). */
	bool hashed;
	u32 token;
	int cpu;
	bool use_halt;
	bool dummy;
	struct task *task;	/* waits_schedule: the one to wake */
};

/* lock protects list, taken with interrupts off (a raw spinlock). */
static struct kvm_task_sleep_head {
	struct guest_lock lock;
	struct kvm_task_sleep_node *list;
} async_pf_sleepers[KVM_TASK_SLEEP_HASHSIZE];

/* The dummies' pool: used[] under dummy_lock, interrupts off. */
static struct guest_lock dummy_lock;
static struct kvm_task_sleep_node dummies[NR_DUMMIES];
static bool dummy_used[NR_DUMMIES];

struct kvm_vcpu_pv_apf_data apf_data __attribute__((aligned(64)));
struct kvm_apf_guest_stats kvm_apf_stats;
bool kvm_apf_no_ack, kvm_apf_no_free_slot;
static bool apf_enabled;

static u32 hash_32(u32 val)
{
	return (val * 0x61c88647U) >> (32 - KVM_TASK_SLEEP_HASHBITS);
}

static struct kvm_task_sleep_head *bucket(u32 token)
{
	return &async_pf_sleepers[hash_32(token)];
}

static void hash_add(struct kvm_task_sleep_head *b,
		     struct kvm_task_sleep_node *n)
{
	n->next = b->list;
	b->list = n;
	WRITE_ONCE(n->hashed, true);
}

static void hash_del(struct kvm_task_sleep_head *b,
		     struct kvm_task_sleep_node *n)
{
	for (struct kvm_task_sleep_node **p = &b->list; *p; p = &(*p)->next)
		if (*p == n) {
			*p = n->next;
			break;
		}
	WRITE_ONCE(n->hashed, false);
}

static struct kvm_task_sleep_node *_find_apf_task(struct kvm_task_sleep_head *b,
						  u32 token)
{
	for (struct kvm_task_sleep_node *n = b->list; n; n = n->next)
		if (n->token == token)
			return n;
	return NULL;
}

static struct kvm_task_sleep_node *dummy_alloc(void)
{
	struct kvm_task_sleep_node *n = NULL;

	guest_lock(&dummy_lock);
	for (unsigned int i = 0; i < NR_DUMMIES; i++)
		if (!dummy_used[i]) {
			dummy_used[i] = true;
			n = &dummies[i];
			break;
		}
	guest_unlock(&dummy_lock);
	return n;
}

static void dummy_free(struct kvm_task_sleep_node *n)
{
	guest_lock(&dummy_lock);
	dummy_used[n - dummies] = false;
	guest_unlock(&dummy_lock);
}

/*
 * Queue @n on @token - or, if a wake came first and left a dummy,
 * consume the dummy and tell the caller not to wait (false).
 */
static bool kvm_async_pf_queue_task(u32 token, bool use_halt,
				    struct kvm_task_sleep_node *n)
{
	struct kvm_task_sleep_head *b = bucket(token);
	struct kvm_task_sleep_node *e;

	guest_lock(&b->lock);
	e = _find_apf_task(b, token);
	if (e) {
		/* The wake-up was delivered ahead of the #PF. */
		hash_del(b, e);
		guest_unlock(&b->lock);
		dummy_free(e);
		kvm_apf_stats.dummies_consumed++;
		return false;
	}
	*n = (struct kvm_task_sleep_node){ .token = token, .cpu = 0,
					   .use_halt = use_halt,
					   .task = current };
	hash_add(b, n);
	guest_unlock(&b->lock);
	return true;
}

/* The task sleeps; the wake puts it back on the run queue. IRQs off. */
static void kvm_async_pf_task_wait_schedule(u32 token)
{
	struct kvm_task_sleep_node n;

	if (!kvm_async_pf_queue_task(token, false, &n))
		return;
	kvm_apf_stats.waits_schedule++;
	for (;;) {
		current->state = TASK_UNINTERRUPTIBLE;
		if (!READ_ONCE(n.hashed))
			break;
		schedule();
	}
	current->state = TASK_RUNNING;
}

/* Nothing else may run here: halt until our token is woken. IRQs off. */
static void kvm_async_pf_task_wait_halt(u32 token)
{
	struct kvm_task_sleep_node n;

	if (!kvm_async_pf_queue_task(token, true, &n))
		return;
	kvm_apf_stats.waits_halt++;
	while (READ_ONCE(n.hashed)) {
		kvm_apf_stats.halts++;
		safe_halt();	/* STI's shadow covers the HLT */
		cli();
	}
}

static void kvm_async_pf_task_wait(u32 token)
{
	/*
	 * Seed 003: schedule only where the interrupted code could have
	 * scheduled itself - preempt count and RCU read-side depth both 0
	 * (the idle task's count is 1). The host sends "not present" only
	 * into interrupts-on code, checked by the caller.
	 */
	if (task_preemptible())
		kvm_async_pf_task_wait_schedule(token);
	else
		kvm_async_pf_task_wait_halt(token);
}

static void apf_task_wake_one(struct kvm_task_sleep_head *b,
			      struct kvm_task_sleep_node *n)
{
	hash_del(b, n);
	if (n->dummy) {		/* a second wake, or wake-all: drop it */
		dummy_free(n);
		kvm_apf_stats.dummies_dropped++;
	} else if (!n->use_halt) {
		wake_up_task(n->task);
	}
	/*
	 * A halted waiter: this interrupt already ended its HLT (one CPU;
	 * the seed sends a reschedule IPI to n->cpu).
	 */
}

static void apf_task_wake_all(void)
{
	for (unsigned int i = 0; i < KVM_TASK_SLEEP_HASHSIZE; i++) {
		struct kvm_task_sleep_head *b = &async_pf_sleepers[i];

		guest_lock(&b->lock);
		while (b->list)
			apf_task_wake_one(b, b->list);
		guest_unlock(&b->lock);
	}
}

static void kvm_async_pf_task_wake(u32 token)
{
	struct kvm_task_sleep_head *b = bucket(token);
	struct kvm_task_sleep_node *n;

	if (token == KVM_APF_WAKE_ALL) {
		kvm_apf_stats.wake_all++;
		apf_task_wake_all();
		return;
	}
	guest_lock(&b->lock);
	n = _find_apf_task(b, token);
	if (n) {
		apf_task_wake_one(b, n);
		guest_unlock(&b->lock);
		return;
	}
	/* The wait has not happened yet: leave a dummy for it. */
	n = dummy_alloc();
	if (n) {
		*n = (struct kvm_task_sleep_node){ .token = token,
						   .dummy = true };
		hash_add(b, n);
		kvm_apf_stats.dummies_made++;
	} else {
		kvm_apf_stats.dummy_pool_empty++;
	}
	guest_unlock(&b->lock);
}

/* The #PF hook: only a #PF whose reason says "not present" is ours. */
static bool kvm_handle_async_pf(u64 cr2, u64 rflags)
{
	u32 reason;

	if (!READ_ONCE(apf_enabled))
		return false;
	reason = READ_ONCE(apf_data.flags);
	if (reason != KVM_PV_REASON_PAGE_NOT_PRESENT)
		return false;
	WRITE_ONCE(apf_data.flags, 0);
	/* Linux panics: the host broke the one rule it must keep. */
	if (!(rflags & (1ULL << 9))) {
		ktap_result(false, "host_injected_async_pf_with_interrupts_off");
		hc_exit(1);
	}
	kvm_apf_stats.not_present++;
	kvm_apf_stats.last_not_present_token = (u32)cr2;
	kvm_async_pf_task_wait((u32)cr2);
	return true;
}

/* sysvec_kvm_asyncpf_interrupt: wake, free the slot, ACK, EOI. */
static void kvm_apf_page_ready_irq(unsigned int vector)
{
	u32 token = READ_ONCE(apf_data.token);

	(void)vector;
	if (READ_ONCE(apf_enabled)) {
		kvm_apf_stats.page_ready++;
		kvm_apf_stats.last_ready_token = token;
		kvm_async_pf_task_wake(token);
		if (!kvm_apf_no_free_slot)
			WRITE_ONCE(apf_data.token, 0);
		if (!kvm_apf_no_ack && !kvm_apf_no_free_slot)
			wrmsr_safe(MSR_KVM_ASYNC_PF_ACK, 1);
	} else {
		/* Raised before we disabled: nobody waits for it now. */
		kvm_apf_stats.ready_ignored++;
		WRITE_ONCE(apf_data.token, 0);
	}
	x2apic_eoi();
	task_irq_exit();
}

bool kvm_apf_offered(void)
{
	u32 a, b, c, d;

	cpuid(0x40000001, 0, &a, &b, &c, &d);
	return (a & ((1u << 4) | (1u << 14))) == ((1u << 4) | (1u << 14));
}

int kvm_apf_enable(bool send_always)
{
	int e;

	x2apic_enable();
	pf_set_handler(kvm_handle_async_pf);
	irq_set_handler(KVM_APF_VECTOR, kvm_apf_page_ready_irq);
	e = wrmsr_safe(MSR_KVM_ASYNC_PF_INT, KVM_APF_VECTOR);
	if (e >= 0)
		return e;
	/* Before the MSR: the wake-all that enabling sends finds us on. */
	WRITE_ONCE(apf_enabled, true);
	e = wrmsr_safe(MSR_KVM_ASYNC_PF_EN, (u64)(uintptr_t)&apf_data |
		       KVM_ASYNC_PF_ENABLED | KVM_ASYNC_PF_DELIVERY_AS_INT |
		       (send_always ? KVM_ASYNC_PF_SEND_ALWAYS : 0));
	if (e >= 0)
		WRITE_ONCE(apf_enabled, false);
	return e;
}

int kvm_apf_disable(void)
{
	u64 flags = local_irq_save();
	int e = wrmsr_safe(MSR_KVM_ASYNC_PF_EN, 0);

	WRITE_ONCE(apf_enabled, false);
	apf_task_wake_all();
	local_irq_restore(flags);
	return e;
}

bool kvm_apf_enabled(void)
{
	return READ_ONCE(apf_enabled);
}

static unsigned int count_nodes(bool dummy)
{
	u64 flags = local_irq_save();
	unsigned int n = 0;

	for (unsigned int i = 0; i < KVM_TASK_SLEEP_HASHSIZE; i++) {
		guest_lock(&async_pf_sleepers[i].lock);
		for (struct kvm_task_sleep_node *e = async_pf_sleepers[i].list;
		     e; e = e->next)
			n += e->dummy == dummy;
		guest_unlock(&async_pf_sleepers[i].lock);
	}
	local_irq_restore(flags);
	return n;
}

unsigned int kvm_apf_sleepers(void)
{
	return count_nodes(false);
}

unsigned int kvm_apf_dummies(void)
{
	return count_nodes(true);
}
