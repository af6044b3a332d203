// SPDX-License-Identifier: MIT
/*
 * The two calibration clocks agree: the TSC rate measured against the PIT
 * and against the ACPI PM timer is the same within 10% (a machine whose
 * PIT is missing is calibrated by the PM timer alone, so it must be right).
 */
#include "arch/x86/acpi.h"
#include "arch/x86/lapic.h"
#include "kernel/ktest.h"

KTEST(lapic, calibration_clocks_agree)
{
	u64 pit = 0, pm = 0;
	bool close = false;

	if (!acpi_info.pm_tmr_port) {
		ktest_skip(t, "no ACPI PM timer in the FADT");
		return;
	}
	/* An emulator may stall one window: three tries. */
	for (int i = 0; i < 3 && !close; i++) {
		pit = lapic_measure_tsc_hz(LAPIC_CALIB_PIT);
		pm = lapic_measure_tsc_hz(LAPIC_CALIB_PMTIMER);
		close = pit && pm && pit * 10 < pm * 11 && pm * 10 < pit * 11;
	}
	ktest_diag(t, "TSC %llu kHz by the PIT, %llu kHz by the PM timer (port %#x, %s)",
		   (unsigned long long)pit / 1000, (unsigned long long)pm / 1000,
		   acpi_info.pm_tmr_port, acpi_info.pm_tmr_32bit ? "32-bit" : "24-bit");
	KTEST_EXPECT(t, pit != 0);
	KTEST_EXPECT(t, pm != 0);
	KTEST_EXPECT(t, close);
}
