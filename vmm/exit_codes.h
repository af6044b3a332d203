/* SPDX-License-Identifier: MIT */
/*
 * What an exit handler (and a device model it calls) asks the vCPU run
 * loop to do next. A header of its own so that vmm/dev/ needs nothing
 * else from the VM layer.
 */
#ifndef VMM_EXIT_CODES_H
#define VMM_EXIT_CODES_H

/* What an exit handler asks the run loop to do next. */
enum {
	VCPU_STOP = 0,		/* this vCPU is finished (or its guest died) */
	VCPU_RESUME = 1,	/* enter the guest again */
	VCPU_YIELD = 2,		/* give the host CPU to someone else first */
	VCPU_HALT = 3,		/* HLT: sleep until an interrupt can wake it */
	VCPU_WAIT_SIPI = 4,	/* after INIT: sleep until a start-up IPI */
};

#endif
