/* resolver.h - --resolve=active: reverse lookups through the system
 * resolver (getnameinfo() with NI_NAMEREQD: /etc/hosts, DNS, whatever
 * nsswitch.conf says), off the packet path and off the report's.
 *
 * A report asks resolver_lookup() for the addresses of its rows.  The
 * answer is whatever is known now: a name, or nothing (never asked, still
 * pending, not found, failed, timed out).  An address never asked is
 * queued for one of a few threads; the queue is bounded and an address
 * that finds it full is dropped (counted) and asked again at the next
 * report.  Results are cached, positive and negative, up to a cap; the
 * oldest entry makes room (counted).
 *
 * Timeout: getnameinfo() cannot be interrupted.  A lookup not answered
 * within the timeout (queueing included) is given up: counted, cached as
 * a failure, and asked again after the negative TTL.  Its thread stays
 * busy until the system resolver returns (resolv.conf's timeout and
 * attempts bound that); an answer that comes late is still kept.  With
 * every thread stuck, addresses wait in the queue, then are dropped:
 * nothing ever blocks the caller beyond a short mutex.
 *
 * Time here is the monotonic clock, not packet time: the timeout and the
 * TTLs measure the resolver's own waiting, even when reading a file.
 */
#ifndef WIRESTAT_RESOLVER_H
#define WIRESTAT_RESOLVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wirestat/addr.h"
#include "wirestat/common.h"

#define RESOLVER_DEFAULT_THREADS 2
#define RESOLVER_DEFAULT_QUEUE 256
#define RESOLVER_DEFAULT_CACHE 16384
#define RESOLVER_DEFAULT_TIMEOUT WS_SEC(2)
#define RESOLVER_DEFAULT_POSITIVE_TTL WS_SEC(3600)
#define RESOLVER_DEFAULT_NEGATIVE_TTL WS_SEC(60)

/* What a lookup function returns. */
enum resolver_result {
	RESOLVER_FOUND,	    /* name filled */
	RESOLVER_NOT_FOUND, /* the address has no name (EAI_NONAME) */
	RESOLVER_FAILED,    /* anything else (EAI_AGAIN, EAI_FAIL, ...) */
};

/* The system boundary: one blocking reverse lookup of a into name[size].
 * Called on a resolver thread, never while the resolver's lock is held. */
typedef enum resolver_result (*resolver_fn)(void *ctx, const struct addr *a,
					    char *name, size_t size);

/* Longest name kept, NUL included (the passive cache's NAMES_NAME_MAX). */
#define RESOLVER_NAME_MAX 256

/* The real one: getnameinfo(NI_NAMEREQD).  The name is made printable
 * as the DNS parser prints names (lower case, "\DDD" for bytes outside
 * '!'..'~', no trailing dot), so a hostile PTR record cannot break a
 * table, a JSON line or a terminal. */
enum resolver_result resolver_system(void *ctx, const struct addr *a,
				     char *name, size_t size);

/* in as the DNS parser prints names, into out[size]: ASCII letters in
 * lower case, a byte outside '!'..'~' or a backslash as "\DDD", one
 * trailing dot dropped; cut before an escape that would not fit. */
void resolver_printable(const char *in, char *out, size_t size);

struct resolver_config {
	unsigned threads;      /* 0: RESOLVER_DEFAULT_THREADS */
	size_t queue_max;      /* 0: RESOLVER_DEFAULT_QUEUE */
	size_t cache_max;      /* 0: RESOLVER_DEFAULT_CACHE */
	ws_time timeout;       /* 0: RESOLVER_DEFAULT_TIMEOUT */
	ws_time positive_ttl;  /* 0: RESOLVER_DEFAULT_POSITIVE_TTL */
	ws_time negative_ttl;  /* 0: RESOLVER_DEFAULT_NEGATIVE_TTL */
	resolver_fn fn;	       /* NULL: resolver_system */
	void *fn_ctx;
	ws_time (*clock)(void); /* NULL: CLOCK_MONOTONIC */
};

/* X(enum, counter name) */
#define RESOLVER_COUNTERS(X)                                                  \
	X(RSV_QUEUED, "resolve_queued")	     /* handed to a thread */         \
	X(RSV_FOUND, "resolve_found")	     /* answered with a name */       \
	X(RSV_NOT_FOUND, "resolve_not_found") /* answered: no name */          \
	X(RSV_FAILED, "resolve_failed")	     /* answered: an error */         \
	X(RSV_TIMED_OUT, "resolve_timed_out") /* not answered in time */       \
	X(RSV_LATE, "resolve_late")	     /* answered after its timeout */ \
	X(RSV_DROPPED, "resolve_dropped")     /* the queue was full */         \
	X(RSV_EVICTED, "resolve_evicted")     /* cap reached: oldest dropped */

enum resolver_counter {
#define RESOLVER_X_ENUM(e, name) e,
	RESOLVER_COUNTERS(RESOLVER_X_ENUM)
#undef RESOLVER_X_ENUM
	RSV_MAX
};

extern const char *const resolver_counter_names[RSV_MAX];

struct resolver;

/* Starts the threads; NULL with errbuf filled on failure. */
struct resolver *resolver_new(const struct resolver_config *cfg,
			      char *errbuf);

/* Stops the threads.  Idle ones end at once; one stuck in the system
 * resolver is left to finish on its own (it then frees what is shared),
 * so this never waits long for it. */
void resolver_free(struct resolver *r);

/* A report's view: answers completed after this mark are left out, so
 * that a report that looks at its rows twice (a table is measured, then
 * printed) sees the same names both times. */
uint64_t resolver_mark(struct resolver *r);

/* The name of a, copied to name[size], if one is known as of mark;
 * false otherwise.  Queues a for lookup when it was never asked, or when
 * its answer is older than its TTL (the old name is still given). */
bool resolver_lookup(struct resolver *r, const struct addr *a, uint64_t mark,
		     char *name, size_t size);

/* Counters (copied), and the cache's size and cap. */
void resolver_counters(struct resolver *r, uint64_t out[RSV_MAX]);
size_t resolver_count(struct resolver *r);
size_t resolver_capacity(const struct resolver *r);

/* For tests: wait up to max (monotonic time) until no lookup is queued
 * or running.  Returns true if that happened. */
bool resolver_wait_idle(struct resolver *r, ws_time max);

#endif
