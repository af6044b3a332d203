/* SPDX-License-Identifier: MIT */
/*
 * The one error vocabulary of the kernel and the hypervisor: functions
 * that can fail return 0 (or a count, or a RET_PF_* outcome) and a
 * negative E* on failure. The values are Linux's, so the hosted tests,
 * which also see the C library's <errno.h>, get the same numbers; the
 * guest ABI (include/uapi/hv_abi.h) reuses them for HV_E*.
 */
#ifndef KERNEL_ERRNO_H
#define KERNEL_ERRNO_H

#define EPERM		1	/* not allowed for this caller */
#define ENOENT		2	/* no such thing (option, module, guest) */
#define EIO		5	/* a check in the host failed */
#define EAGAIN		11	/* gave up for now: try again (a merge lost a race) */
#define ENOEXEC		8	/* not an image we can load */
#define ENOMEM		12	/* the host is out of memory */
#define EFAULT		14	/* an address outside what it may touch */
#define EBUSY		16	/* in use, or contended past retrying */
#define EEXIST		17	/* already there (overlapping ranges) */
#define ENODEV		19	/* the hardware lacks it (no VMX, ...) */
#define EINVAL		22	/* a bad argument */
#define ENOSPC		28	/* a fixed-size table is full */
#define ERANGE		34	/* a value outside the range it must be in */
#define ENOSYS		38	/* no such call */
#define ETIMEDOUT	110	/* still not done at the deadline */

#endif
