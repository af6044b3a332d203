/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the in-kernel tests that run the built-in guests of
 * vmm/test_guest.c (vcpu_ktest.c, vcpu_halt_ktest.c).
 */
#ifndef VMM_VCPU_KTEST_H
#define VMM_VCPU_KTEST_H

#include "vmm/test_guest.h"
#include "kernel/ktest.h"

/* Emulated time is slow in Bochs: generous, but a hang still ends. */
#define TG_TIMEOUT_NS	(60ULL * 1000000000ULL)

/*
 * True when VMX is usable; otherwise the test is skipped with the reason,
 * or failed when the command line says expect_vmx=1.
 */
bool tg_need_vmx(struct ktest *t);
/* A diagnostic line with how @g ended. */
void tg_diag_report(struct ktest *t, struct guest *g);
/* Sleep until the guest's result word at @off reaches @min (or time out). */
bool tg_wait_result(struct guest *g, u64 off, u64 min);
/* How many exits of @reason vCPU @vcpu of @g took. */
static inline u64 tg_exits(struct guest *g, unsigned int vcpu,
			   unsigned int reason)
{
	return g->vcpus[vcpu]->exits_by_reason[reason];
}

/* Tell a TG_SPIN-style guest loop to stop. */
void tg_stop_spin(struct guest *g);

#endif
