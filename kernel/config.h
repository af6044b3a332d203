/* SPDX-License-Identifier: MIT */
/*
 * Build-time configuration as compile-time constants.
 *
 * Code tests these with a plain `if (CONFIG_X)`, never with #ifdef, so both
 * variants are always compiled (and type-checked) and the optimiser drops
 * the dead one. Override on the command line: -DCONFIG_DEBUG=0.
 */
#ifndef KERNEL_CONFIG_H
#define KERNEL_CONFIG_H

/*
 * Debug checks: lock owner tracking, recursion / double-unlock / non-owner
 * unlock detection, "yield while holding a lock" and RCU read-side balance
 * checks, lockdep_assert_held*() assertions.
 */
#ifndef CONFIG_DEBUG
#define CONFIG_DEBUG 1
#endif

#endif
