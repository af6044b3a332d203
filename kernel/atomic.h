/* SPDX-License-Identifier: MIT */
/*
 * atomic_t / atomic64_t with Linux names, on GCC __atomic builtins.
 *
 * Ordering follows Linux: plain read/set and the non-returning operations
 * are relaxed; operations that return a value (add_return, xchg,
 * try_cmpxchg...) are fully ordered. ThreadSanitizer understands all of
 * them, so the hosted build checks the orderings we claim.
 */
#ifndef KERNEL_ATOMIC_H
#define KERNEL_ATOMIC_H

#include "kernel/compiler.h"

typedef struct { int counter; } atomic_t;
typedef struct { s64 counter; } atomic64_t;

#define ATOMIC_INIT(i)	{ (i) }

#define __ATOMIC_OPS(pfx, t, vt)					\
static inline vt pfx##_read(const t *v)					\
{ return __atomic_load_n(&v->counter, __ATOMIC_RELAXED); }		\
static inline vt pfx##_read_acquire(const t *v)				\
{ return __atomic_load_n(&v->counter, __ATOMIC_ACQUIRE); }		\
static inline void pfx##_set(t *v, vt i)				\
{ __atomic_store_n(&v->counter, i, __ATOMIC_RELAXED); }			\
static inline void pfx##_set_release(t *v, vt i)			\
{ __atomic_store_n(&v->counter, i, __ATOMIC_RELEASE); }			\
static inline void pfx##_add(vt i, t *v)				\
{ __atomic_fetch_add(&v->counter, i, __ATOMIC_RELAXED); }		\
static inline void pfx##_sub(vt i, t *v)				\
{ __atomic_fetch_sub(&v->counter, i, __ATOMIC_RELAXED); }		\
static inline void pfx##_inc(t *v) { pfx##_add(1, v); }			\
static inline void pfx##_dec(t *v) { pfx##_sub(1, v); }			\
static inline vt pfx##_add_return(vt i, t *v)				\
{ return __atomic_add_fetch(&v->counter, i, __ATOMIC_SEQ_CST); }	\
static inline vt pfx##_sub_return(vt i, t *v)				\
{ return __atomic_sub_fetch(&v->counter, i, __ATOMIC_SEQ_CST); }	\
static inline vt pfx##_fetch_add(vt i, t *v)				\
{ return __atomic_fetch_add(&v->counter, i, __ATOMIC_SEQ_CST); }	\
static inline vt pfx##_inc_return(t *v) { return pfx##_add_return(1, v); } \
static inline vt pfx##_dec_return(t *v) { return pfx##_sub_return(1, v); } \
static inline bool pfx##_dec_and_test(t *v)				\
{ return pfx##_sub_return(1, v) == 0; }					\
static inline vt pfx##_xchg(t *v, vt n)					\
{ return __atomic_exchange_n(&v->counter, n, __ATOMIC_SEQ_CST); }	\
/* On failure *old is updated to the current value, as in Linux. */	\
static inline bool pfx##_try_cmpxchg(t *v, vt *old, vt n)		\
{ return __atomic_compare_exchange_n(&v->counter, old, n, false,	\
				     __ATOMIC_SEQ_CST, __ATOMIC_RELAXED); } \
static inline vt pfx##_cmpxchg(t *v, vt old, vt n)			\
{ pfx##_try_cmpxchg(v, &old, n); return old; }

__ATOMIC_OPS(atomic, atomic_t, int)
__ATOMIC_OPS(atomic64, atomic64_t, s64)

#undef __ATOMIC_OPS

/* Full barriers around a relaxed RMW, for code ported from Linux. */
#define smp_mb__before_atomic()	smp_mb()
#define smp_mb__after_atomic()	smp_mb()

#endif
