// SPDX-License-Identifier: MIT
/*
 * The VMX decision (vmx_caps_decide()) fed synthetic CPUID/MSR values: a
 * Skylake-like part is accepted with its optional features noted, and
 * each missing requirement refuses VMX with a reason naming it. Pure, so
 * these run on any CPU (QEMU TCG too); the live path is checked by the
 * Bochs boots with older CPU models (tests/boot/configs.sh).
 */
#include "vmm/vmx/vmx_caps.h"
#include "arch/x86/vmx.h"
#include "kernel/ktest.h"
#include "kernel/string.h"

/* Values as a Skylake server reports them (the TRUE_* MSRs clear CR3 exiting). */
static void skylake_raw(struct vmx_caps_raw *r)
{
	memset(r, 0, sizeof(*r));
	r->cpuid1_ecx = 0x7ffefbff;
	r->feature_control = FEAT_CTL_LOCKED | FEAT_CTL_VMX_OUTSIDE_SMX;
	r->basic = 0xda040000000004ULL;
	r->misc = 0x7004c1e7ULL;
	r->cr0_fixed0 = 0x80000021ULL;
	r->cr0_fixed1 = 0xffffffffULL;
	r->cr4_fixed0 = 0x2000ULL;
	r->cr4_fixed1 = 0x3727ffULL;
	r->pin = 0x7f00000016ULL;
	r->proc = 0xfff9fffe0401e172ULL;
	r->exit = 0x1ffffff00036dffULL;
	r->entry = 0x3ffff000011ffULL;
	r->has_true_ctls = true;
	r->true_pin = 0x7f00000016ULL;
	r->true_proc = 0xfff9fffe04006172ULL;
	r->true_exit = 0x1ffffff00036dfbULL;
	r->true_entry = 0x3ffff000011fbULL;
	r->has_proc2 = true;
	r->proc2 = 0x5ffcff00000000ULL;
	r->has_ept_vpid = true;
	r->ept_vpid = 0xf0106734141ULL;
}

/* Decide, and check the verdict and the exact reason (NULL: none). */
static void expect_verdict(struct ktest *t, const struct vmx_caps_raw *r,
			   struct vmx_caps *c, enum vmx_caps_verdict want,
			   const char *want_why)
{
	char why[VMX_REFUSAL_MAX];
	enum vmx_caps_verdict v = vmx_caps_decide(r, c, why, sizeof(why));

	ktest_diag(t, "verdict %d: '%s'", v, why);
	KTEST_EXPECT_EQ(t, v, want);
	if (!want_why)
		KTEST_EXPECT(t, why[0] == '\0');
	else if (!KTEST_EXPECT(t, !strcmp(why, want_why)))
		ktest_diag(t, "wanted '%s'", want_why);
}

KTEST(vmx_caps, skylake_accepted)
{
	struct vmx_caps_raw r;
	struct vmx_caps c;

	skylake_raw(&r);
	expect_verdict(t, &r, &c, VMX_CAPS_OK, NULL);
	KTEST_EXPECT(t, c.true_ctls);
	KTEST_EXPECT_EQ(t, c.revision, 4);
	KTEST_EXPECT_EQ(t, c.proc_msr, r.true_proc);
	KTEST_EXPECT_EQ(t, c.proc2_ctl & (CPU2_ENABLE_EPT | CPU2_ENABLE_VPID |
					  CPU2_UNRESTRICTED_GUEST),
			CPU2_ENABLE_EPT | CPU2_ENABLE_VPID |
			CPU2_UNRESTRICTED_GUEST);
	KTEST_EXPECT(t, c.pin_ctl & PIN_PREEMPTION_TIMER);
	KTEST_EXPECT(t, c.proc_ctl & CPU_SECONDARY_CONTROLS);
	KTEST_EXPECT(t, !(c.proc_ctl & (CPU_CR3_LOAD_EXITING |
					CPU_CR3_STORE_EXITING)));
	KTEST_EXPECT(t, c.exit_ctl & EXIT_SAVE_PREEMPTION_TIMER);
	KTEST_EXPECT(t, c.entry_ctl & ENTRY_LOAD_EFER);
	KTEST_EXPECT(t, !(c.entry_ctl & ENTRY_IA32E_MODE_GUEST));
	/* The optional features a Skylake has are noted. */
	KTEST_EXPECT(t, c.ept_ad);
	KTEST_EXPECT(t, c.ept_2m);
	KTEST_EXPECT(t, c.ept_1g);
	KTEST_EXPECT(t, c.pml);
	KTEST_EXPECT(t, c.mtf);
	KTEST_EXPECT(t, c.rdtscp);
	KTEST_EXPECT(t, c.invept_single);
	KTEST_EXPECT(t, c.invvpid_single);
	KTEST_EXPECT_EQ(t, c.preempt_shift, 7);

	/* Without them it is still accepted, and they read as absent. */
	r.proc2 &= ~((u64)CPU2_ENABLE_PML << 32);
	r.true_proc &= ~((u64)CPU_MONITOR_TRAP_FLAG << 32);
	r.ept_vpid &= ~(EPT_CAP_AD_BITS | EPT_CAP_1G_PAGE);
	expect_verdict(t, &r, &c, VMX_CAPS_OK, NULL);
	KTEST_EXPECT(t, !c.ept_ad && !c.ept_1g && !c.pml && !c.mtf);
	KTEST_EXPECT(t, c.ept_2m);
}

KTEST(vmx_caps, no_vmx_in_cpuid)
{
	struct vmx_caps_raw r;
	struct vmx_caps c;

	skylake_raw(&r);
	r.cpuid1_ecx &= ~CPUID_1_ECX_VMX;
	expect_verdict(t, &r, &c, VMX_CAPS_NO_VMX,
		       "no VMX: CPUID.1:ECX.VMX[5] = 0 (QEMU TCG has none; "
		       "Bochs emulates it)");
	KTEST_EXPECT_EQ(t, c.proc2_ctl, 0);
}

KTEST(vmx_caps, feature_control_locked_off)
{
	struct vmx_caps_raw r;
	struct vmx_caps c;

	skylake_raw(&r);
	r.feature_control = FEAT_CTL_LOCKED | FEAT_CTL_VMX_INSIDE_SMX;
	expect_verdict(t, &r, &c, VMX_CAPS_LOCKED_OFF,
		       "VMX disabled: IA32_FEATURE_CONTROL 0x3 is locked with "
		       "VMX outside SMX off; enable VT-x in the firmware "
		       "setup");
	/* Unlocked: vmx_feature_control_enable() turns VMX on and locks. */
	r.feature_control = 0;
	expect_verdict(t, &r, &c, VMX_CAPS_OK, NULL);
}

KTEST(vmx_caps, no_secondary_controls)
{
	struct vmx_caps_raw r;
	struct vmx_caps c;

	skylake_raw(&r);
	r.true_proc &= ~((u64)CPU_SECONDARY_CONTROLS << 32);
	r.has_proc2 = false;
	r.has_ept_vpid = false;
	/* Values of MSRs that do not exist are never looked at. */
	expect_verdict(t, &r, &c, VMX_CAPS_MISSING,
		       "missing: secondary processor-based controls, EPT, "
		       "VPID, unrestricted guest");
	KTEST_EXPECT_EQ(t, c.proc2_msr, 0);
	KTEST_EXPECT_EQ(t, c.ept_vpid, 0);
	KTEST_EXPECT(t, !c.ept_ad && !c.pml);
	/* A has_ flag the capability bit contradicts is not believed. */
	r.has_proc2 = true;
	r.has_ept_vpid = true;
	expect_verdict(t, &r, &c, VMX_CAPS_MISSING,
		       "missing: secondary processor-based controls, EPT, "
		       "VPID, unrestricted guest");
	KTEST_EXPECT_EQ(t, c.proc2_msr, 0);
}

KTEST(vmx_caps, no_ept)
{
	struct vmx_caps_raw r;
	struct vmx_caps c;

	skylake_raw(&r);
	r.proc2 &= ~((u64)CPU2_ENABLE_EPT << 32);
	expect_verdict(t, &r, &c, VMX_CAPS_MISSING, "missing: EPT");
	KTEST_EXPECT(t, !(c.proc2_ctl & CPU2_ENABLE_EPT));
}

KTEST(vmx_caps, no_vpid)
{
	struct vmx_caps_raw r;
	struct vmx_caps c;

	skylake_raw(&r);
	r.proc2 &= ~((u64)CPU2_ENABLE_VPID << 32);
	expect_verdict(t, &r, &c, VMX_CAPS_MISSING, "missing: VPID");
}

KTEST(vmx_caps, no_unrestricted_guest)
{
	struct vmx_caps_raw r;
	struct vmx_caps c;

	skylake_raw(&r);
	r.proc2 &= ~((u64)CPU2_UNRESTRICTED_GUEST << 32);
	expect_verdict(t, &r, &c, VMX_CAPS_MISSING,
		       "missing: unrestricted guest");
}

KTEST(vmx_caps, no_preemption_timer)
{
	struct vmx_caps_raw r;
	struct vmx_caps c;

	skylake_raw(&r);
	r.true_pin &= ~((u64)PIN_PREEMPTION_TIMER << 32);
	expect_verdict(t, &r, &c, VMX_CAPS_MISSING,
		       "missing: VMX-preemption timer");
	/* Only the TRUE_* MSR counts when it exists. */
	skylake_raw(&r);
	r.pin &= ~((u64)PIN_PREEMPTION_TIMER << 32);
	expect_verdict(t, &r, &c, VMX_CAPS_OK, NULL);
}

KTEST(vmx_caps, ept_vpid_capabilities)
{
	struct vmx_caps_raw r;
	struct vmx_caps c;

	skylake_raw(&r);
	r.ept_vpid &= ~(EPT_CAP_INVEPT_ALL | VPID_CAP_INVVPID);
	expect_verdict(t, &r, &c, VMX_CAPS_MISSING,
		       "missing: INVEPT all-context, INVVPID");
	skylake_raw(&r);
	r.has_ept_vpid = false;		/* announced but unread: all missing */
	expect_verdict(t, &r, &c, VMX_CAPS_MISSING,
		       "missing: EPT 4-level page walk, EPT write-back "
		       "memory type, INVEPT, INVEPT all-context, INVVPID, "
		       "INVVPID all-context");
}

/* Without TRUE_* MSRs the legacy ones decide, default-1 bits included. */
KTEST(vmx_caps, true_msrs_absent)
{
	struct vmx_caps_raw r;
	struct vmx_caps c;

	skylake_raw(&r);
	r.basic &= ~VMX_BASIC_TRUE_CTLS;
	r.has_true_ctls = false;
	r.true_pin = r.true_proc = r.true_exit = r.true_entry = 0;
	expect_verdict(t, &r, &c, VMX_CAPS_MISSING,
		       "cannot clear: CR3-load exiting, CR3-store exiting");
	KTEST_EXPECT(t, !c.true_ctls);
	KTEST_EXPECT_EQ(t, c.proc_msr, r.proc);
	KTEST_EXPECT_EQ(t, c.pin_msr, r.pin);
	/* Legacy MSRs that let CR3 exiting be cleared: accepted. */
	r.proc = 0xfff9fffe04006172ULL;
	expect_verdict(t, &r, &c, VMX_CAPS_OK, NULL);
	KTEST_EXPECT(t, !c.true_ctls);
	KTEST_EXPECT_EQ(t, c.exit_msr, r.exit);
	KTEST_EXPECT_EQ(t, c.entry_msr, r.entry);
	KTEST_EXPECT(t, c.proc2_ctl & CPU2_UNRESTRICTED_GUEST);
}

/* A Core 2 (Bochs core2_penryn_t9600): every missing feature is named. */
KTEST(vmx_caps, many_missing_named_and_bounded)
{
	struct vmx_caps_raw r;
	struct vmx_caps c;
	char small[24];

	skylake_raw(&r);
	r.true_pin = 0x3f00000016ULL;
	r.true_exit = 0x3ffff00036dfbULL;
	r.true_entry = 0x3fff000011fbULL;
	r.proc2 = 0x4100000000ULL;
	r.has_ept_vpid = false;
	expect_verdict(t, &r, &c, VMX_CAPS_MISSING,
		       "missing: VMX-preemption timer, EPT, VPID, unrestricted "
		       "guest, save IA32_EFER (exit control), load IA32_EFER "
		       "(exit control), load IA32_EFER (entry control)");
	/* A short buffer is cut, terminated and says so. */
	KTEST_EXPECT_EQ(t, vmx_caps_decide(&r, &c, small, sizeof(small)),
			VMX_CAPS_MISSING);
	KTEST_EXPECT_EQ(t, strlen(small), sizeof(small) - 1);
	KTEST_EXPECT(t, !strcmp(small + sizeof(small) - 4, "..."));
	KTEST_EXPECT(t, strstr(small, "missing: VMX-pre") != NULL);
}
