/* SPDX-License-Identifier: MIT */
/*
 * vmm_boot.c's per-guest record and its pass/fail rule, shared with its
 * in-kernel test (vmm_boot_ktest.c) only.
 */
#ifndef VMM_VMM_BOOT_INTERNAL_H
#define VMM_VMM_BOOT_INTERNAL_H

#include "kernel/multiboot2.h"
#include "vmm/loader/guest_cmdline.h"
#include "vmm/loader/loader.h"

enum boot_guest_state {
	BG_ERROR,	/* refused before it ran: err says why */
	BG_LOADED,	/* loaded, not started (no VMX runtime) */
	BG_STARTED,
	BG_FINISHED,
	BG_HUNG,	/* did not stop even after guest_kill(): leaked */
};

struct boot_guest {
	const struct boot_module *mod;
	struct guest_config cfg;
	struct loader_image img;
	struct guest *g;
	/* Its Multiboot modules (module_for= lines), in GRUB order. */
	struct mb1_module_src mods[BOOT_MAX_MODULES];
	unsigned int nr_mods;
	enum boot_guest_state state;
	u64 t_start, t_end;
	char label[GUEST_NAME_LEN + 4];	/* name, "name(2)", "moduleN" */
	char err[GUEST_ERR_LEN];
};

/* Did the guest end as its config says? false with the reason in @why. */
bool judge(struct boot_guest *bg, char *why, size_t size);

#endif
