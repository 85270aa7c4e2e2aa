/* lru.h - the intrusive doubly linked list every bounded table keeps in
 * least-recently-used order (flows, ports, next hops, names, resolver
 * answers): the list has head and tail, each node prev and next.  Macros,
 * as uthash's, so that one definition serves every node type. */
#ifndef WIRESTAT_LRU_H
#define WIRESTAT_LRU_H

#include <stddef.h>
#include <string.h>

/* Take node n out of list l (anything with head and tail). */
#define WS_LRU_UNLINK(l, n)                                 \
	do {                                                \
		if ((n)->prev)                              \
			(n)->prev->next = (n)->next;        \
		else                                        \
			(l)->head = (n)->next;              \
		if ((n)->next)                              \
			(n)->next->prev = (n)->prev;        \
		else                                        \
			(l)->tail = (n)->prev;              \
		(n)->prev = (n)->next = NULL;               \
	} while (0)

/* Put node n at the tail (the most recently used end) of list l. */
#define WS_LRU_APPEND(l, n)                                 \
	do {                                                \
		(n)->prev = (l)->tail;                      \
		(n)->next = NULL;                           \
		if ((l)->tail)                              \
			(l)->tail->next = (n);              \
		else                                        \
			(l)->head = (n);                    \
		(l)->tail = (n);                            \
	} while (0)

/* Table t has no free node: evict its least recently used one (the
 * head, of type node_t) onto its free list, counting it in
 * t->counters[evicted]; does nothing when the table is empty.  t has
 * hash (uthash, handle hh), head, tail, free_list, count and counters. */
#define WS_LRU_EVICT_TO_FREE(t, node_t, evicted)            \
	do {                                                \
		/* a type: cannot be parenthesized */       \
		node_t *old_ = (t)->head; /* NOLINT(bugprone-macro-parentheses) */ \
		if (!old_)                                  \
			break;                              \
		WS_LRU_UNLINK(t, old_);                     \
		HASH_DELETE(hh, (t)->hash, old_);           \
		(t)->count--;                               \
		(t)->counters[evicted]++;                   \
		old_->next = (t)->free_list;                \
		(t)->free_list = old_;                      \
	} while (0)

/* A node for table t: a pool node never used yet, else one from the free
 * list, else the least recently used one evicted (counted); NULL (into
 * out) only when the table holds nothing to evict.  A reused node is
 * zeroed (the pool is calloc'd).  t also has pool, used and max. */
#define WS_LRU_POOL_TAKE(t, node_t, evicted, out)                    \
	do {                                                         \
		if (!(t)->free_list && (t)->used < (t)->max) {       \
			(out) = &(t)->pool[(t)->used++];             \
			break;                                       \
		}                                                    \
		if (!(t)->free_list)                                 \
			WS_LRU_EVICT_TO_FREE(t, node_t, evicted);    \
		(out) = (t)->free_list;                              \
		if (!(out))                                          \
			break;                                       \
		(t)->free_list = (out)->next;                        \
		memset((out), 0, sizeof(*(out)));                    \
	} while (0)

#endif
