/* SPDX-License-Identifier: MIT */
/*
 * Circular doubly linked lists with Linux names, plus RCU-safe variants.
 *
 * RCU rules: writers serialise among themselves (a lock); readers walk
 * with list_for_each_entry_rcu() inside rcu_read_lock(). list_add_rcu()
 * publishes the fully initialised entry with a release store of the one
 * pointer readers follow; list_del_rcu() leaves the entry's `next` intact
 * so a reader standing on it can continue, and the entry may be freed only
 * after a grace period (call_rcu/synchronize_rcu).
 */
#ifndef KERNEL_LIST_H
#define KERNEL_LIST_H

#include "kernel/compiler.h"
#include "kernel/rcu.h"

struct list_head {
	struct list_head *next, *prev;
};

#define LIST_HEAD_INIT(name) { &(name), &(name) }
#define LIST_HEAD(name) struct list_head name = LIST_HEAD_INIT(name)

/* Written into a deleted entry's prev so a stale use faults. */
#define LIST_POISON_PREV ((struct list_head *)0x122)
#define LIST_POISON_NEXT ((struct list_head *)0x100)

static inline void INIT_LIST_HEAD(struct list_head *l)
{
	WRITE_ONCE(l->next, l);
	l->prev = l;
}

static inline void __list_add(struct list_head *new, struct list_head *prev,
			      struct list_head *next)
{
	next->prev = new;
	new->next = next;
	new->prev = prev;
	WRITE_ONCE(prev->next, new);
}

static inline void list_add(struct list_head *new, struct list_head *head)
{
	__list_add(new, head, head->next);
}

static inline void list_add_tail(struct list_head *new, struct list_head *head)
{
	__list_add(new, head->prev, head);
}

static inline void __list_del(struct list_head *prev, struct list_head *next)
{
	next->prev = prev;
	WRITE_ONCE(prev->next, next);
}

static inline void list_del(struct list_head *e)
{
	__list_del(e->prev, e->next);
	e->next = LIST_POISON_NEXT;
	e->prev = LIST_POISON_PREV;
}

static inline void list_del_init(struct list_head *e)
{
	__list_del(e->prev, e->next);
	INIT_LIST_HEAD(e);
}

static inline bool list_empty(const struct list_head *head)
{
	return READ_ONCE(head->next) == head;
}

#define list_entry(ptr, type, member) container_of(ptr, type, member)
#define list_first_entry(head, type, member) \
	list_entry((head)->next, type, member)
#define list_first_entry_or_null(head, type, member) ({			\
	struct list_head *__h = (head), *__n = READ_ONCE(__h->next);	\
	__n != __h ? list_entry(__n, type, member) : NULL;		\
})
#define list_next_entry(pos, member) \
	list_entry((pos)->member.next, __typeof__(*(pos)), member)

#define list_for_each(pos, head) \
	for (pos = (head)->next; pos != (head); pos = pos->next)

#define list_for_each_entry(pos, head, member)				\
	for (pos = list_first_entry(head, __typeof__(*pos), member);	\
	     &pos->member != (head);					\
	     pos = list_next_entry(pos, member))

#define list_for_each_entry_safe(pos, n, head, member)			\
	for (pos = list_first_entry(head, __typeof__(*pos), member),	\
	     n = list_next_entry(pos, member);				\
	     &pos->member != (head);					\
	     pos = n, n = list_next_entry(n, member))

/* ---- RCU variants ---- */

static inline void __list_add_rcu(struct list_head *new,
				  struct list_head *prev,
				  struct list_head *next)
{
	new->next = next;
	new->prev = prev;
	/* Readers must see new's fields before they can reach new. */
	rcu_assign_pointer(prev->next, new);
	next->prev = new;
}

static inline void list_add_rcu(struct list_head *new, struct list_head *head)
{
	__list_add_rcu(new, head, head->next);
}

static inline void list_add_tail_rcu(struct list_head *new,
				     struct list_head *head)
{
	__list_add_rcu(new, head->prev, head);
}

static inline void list_del_rcu(struct list_head *e)
{
	/*
	 * A release store, though `next` was published long ago: a reader
	 * that reaches `next` through this store must also see what was
	 * written to it before. Under C11 only a release store gives that
	 * ordering (a relaxed one orders nothing; TSan caught a reader
	 * racing with the entry's initialisation this way).
	 */
	e->next->prev = e->prev;
	rcu_assign_pointer(e->prev->next, e->next);
	e->prev = LIST_POISON_PREV;	/* next stays valid for readers on e */
}

static inline void list_replace_rcu(struct list_head *old,
				    struct list_head *new)
{
	new->next = old->next;
	new->prev = old->prev;
	rcu_assign_pointer(new->prev->next, new);
	new->next->prev = new;
	old->prev = LIST_POISON_PREV;
}

#define list_entry_rcu(ptr, type, member) \
	container_of(rcu_dereference(ptr), type, member)

/* Walk under rcu_read_lock() (or with the writers' lock held). */
#define list_for_each_entry_rcu(pos, head, member)			\
	for (pos = list_entry_rcu((head)->next, __typeof__(*pos), member); \
	     &pos->member != (head);					\
	     pos = list_entry_rcu(pos->member.next, __typeof__(*pos), member))

#endif
