/* resolver.c - --resolve=active: reverse lookups on a few threads, a
 * bounded queue in front of them and a bounded cache behind them.
 *
 * One mutex guards everything shared; it is never held across a lookup.
 * Each cache entry names at most one outstanding job by its generation
 * number, so an answer for an entry that was evicted, or asked again
 * since, is recognised and dropped.  Threads are detached: the last one
 * to leave after resolver_free() (or resolver_free() itself, when every
 * thread has left) frees the shared state, so a thread stuck in the
 * system resolver never holds up the program's exit.
 */
#include "../flow/hash_config.h"

#include "wirestat/resolver.h"
#include "wirestat/lru.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

const char *const resolver_counter_names[RSV_MAX] = {
#define RESOLVER_X_NAME(e, name) [e] = (name),
	RESOLVER_COUNTERS(RESOLVER_X_NAME)
#undef RESOLVER_X_NAME
};

struct rentry {
	struct addr key; /* zeroed, then the address */
	bool has_name;	 /* name holds an answer */
	bool busy;	 /* a job (gen) is queued or running, in time */
	bool timed_out;	 /* its job (gen) was given up */
	uint64_t gen;	 /* the job this entry waits for */
	uint64_t done;	 /* the answer's completion mark */
	ws_time asked;	 /* when the job was queued */
	ws_time until;	 /* ask again from then on */
	char name[RESOLVER_NAME_MAX];
	struct rentry *prev, *next; /* oldest answer (or ask) first */
	UT_hash_handle hh;
};

struct job {
	struct addr addr;
	uint64_t gen;
};

struct resolver {
	pthread_mutex_t lock;
	pthread_cond_t work; /* a job was queued, or stop */
	pthread_cond_t idle; /* a job ended, or a thread left */
	struct resolver_config cfg;
	struct rentry *hash, *head, *tail;
	struct rentry *pool, *free_list;
	size_t count;
	struct job *queue;
	size_t qhead, qlen;
	unsigned running; /* jobs being looked up */
	unsigned alive;	  /* threads not yet left */
	bool stop;	  /* resolver_free() was called */
	bool owner_gone;  /* ... and has returned: the last thread frees */
	uint64_t gen, completed;
	uint64_t counters[RSV_MAX];
};

static ws_time monotonic(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ws_time)ts.tv_sec * WS_NS_PER_SEC + ts.tv_nsec;
}

/* The absolute CLOCK_MONOTONIC time d from now, for the condition
 * variables (created with that clock). */
static struct timespec deadline_in(ws_time d)
{
	ws_time t = monotonic() + d;
	struct timespec ts = {.tv_sec = (time_t)(t / WS_NS_PER_SEC),
			      .tv_nsec = (long)(t % WS_NS_PER_SEC)};
	return ts;
}

void resolver_printable(const char *in, char *out, size_t size)
{
	size_t o = 0, len = strlen(in);
	if (size == 0)
		return;
	if (len > 1 && in[len - 1] == '.')
		len--; /* the root's dot */
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		if (c > ' ' && c <= '~' && c != '\\') {
			if (o + 1 >= size)
				break;
			out[o++] = (char)c;
			continue;
		}
		if (o + 4 >= size)
			break;
		out[o++] = '\\';
		out[o++] = (char)('0' + c / 100);
		out[o++] = (char)('0' + c / 10 % 10);
		out[o++] = (char)('0' + c % 10);
	}
	out[o] = '\0';
}

enum resolver_result resolver_system(void *ctx, const struct addr *a,
				     char *name, size_t size)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char host[NI_MAXHOST];
	(void)ctx;
	memset(&ss, 0, sizeof(ss));
	if (a->family == ADDR_V4) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)(void *)&ss;
		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, a->bytes, 4);
		len = sizeof(*s4);
	} else if (a->family == ADDR_V6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)(void *)&ss;
		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, a->bytes, 16);
		len = sizeof(*s6);
	} else {
		return RESOLVER_NOT_FOUND;
	}
	int rc = getnameinfo((const struct sockaddr *)(const void *)&ss, len,
			     host, sizeof(host), NULL, 0, NI_NAMEREQD);
	if (rc == 0) {
		resolver_printable(host, name, size);
		return name[0] ? RESOLVER_FOUND : RESOLVER_NOT_FOUND;
	}
	return rc == EAI_NONAME ? RESOLVER_NOT_FOUND : RESOLVER_FAILED;
}

static void unlink_entry(struct resolver *r, struct rentry *x)
{
	WS_LRU_UNLINK(r, x);
}

static void append_entry(struct resolver *r, struct rentry *x)
{
	WS_LRU_APPEND(r, x);
}

static void free_shared(struct resolver *r)
{
	HASH_CLEAR(hh, r->hash);
	pthread_cond_destroy(&r->work);
	pthread_cond_destroy(&r->idle);
	pthread_mutex_destroy(&r->lock);
	free(r->queue);
	free(r->pool);
	free(r);
}

static struct rentry *find(struct resolver *r, const struct addr *a)
{
	struct addr key;
	struct rentry *x = NULL;
	memset(&key, 0, sizeof(key));
	key.family = a->family;
	memcpy(key.bytes, a->bytes, sizeof(key.bytes));
	HASH_FIND(hh, r->hash, &key, sizeof(key), x);
	return x;
}

/* An answer for job j: kept if its entry still waits for it. */
static void answer(struct resolver *r, const struct job *j,
		   enum resolver_result res, const char *name)
{
	ws_time now = r->cfg.clock();
	struct rentry *x = find(r, &j->addr);
	if (res == RESOLVER_FOUND)
		r->counters[RSV_FOUND]++;
	else if (res == RESOLVER_NOT_FOUND)
		r->counters[RSV_NOT_FOUND]++;
	else
		r->counters[RSV_FAILED]++;
	if (!x || x->gen != j->gen)
		return; /* evicted, or asked again since */
	if (x->timed_out)
		r->counters[RSV_LATE]++;
	x->busy = false;
	x->timed_out = false;
	if (res == RESOLVER_FOUND) {
		snprintf(x->name, sizeof(x->name), "%s", name);
		x->has_name = true;
		x->until = now + r->cfg.positive_ttl;
	} else {
		/* "no name" replaces an old name; a failure keeps it */
		if (res == RESOLVER_NOT_FOUND)
			x->has_name = false;
		x->until = now + r->cfg.negative_ttl;
	}
	x->done = ++r->completed;
	unlink_entry(r, x);
	append_entry(r, x);
}

static void *thread_main(void *arg)
{
	struct resolver *r = arg;
	char name[RESOLVER_NAME_MAX];
	pthread_mutex_lock(&r->lock);
	for (;;) {
		while (!r->stop && r->qlen == 0)
			pthread_cond_wait(&r->work, &r->lock);
		if (r->stop)
			break;
		struct job j = r->queue[r->qhead];
		r->qhead = (r->qhead + 1) % r->cfg.queue_max;
		r->qlen--;
		const struct rentry *x = find(r, &j.addr);
		if (!x || x->gen != j.gen || !x->busy) {
			/* evicted, asked again, or given up while queued */
			pthread_cond_broadcast(&r->idle);
			continue;
		}
		r->running++;
		pthread_mutex_unlock(&r->lock);
		name[0] = '\0';
		enum resolver_result res =
			r->cfg.fn(r->cfg.fn_ctx, &j.addr, name, sizeof(name));
		pthread_mutex_lock(&r->lock);
		r->running--;
		answer(r, &j, res, name);
		pthread_cond_broadcast(&r->idle);
	}
	r->alive--;
	bool last = r->alive == 0 && r->owner_gone;
	pthread_cond_broadcast(&r->idle);
	pthread_mutex_unlock(&r->lock);
	if (last)
		free_shared(r);
	return NULL;
}

struct resolver *resolver_new(const struct resolver_config *cfg,
			      char *errbuf)
{
	struct resolver *r = calloc(1, sizeof(*r));
	pthread_condattr_t ca;
	if (!r) {
		ws_error(errbuf, "out of memory for the resolver");
		return NULL;
	}
	r->cfg = *cfg;
	if (!r->cfg.threads)
		r->cfg.threads = RESOLVER_DEFAULT_THREADS;
	if (!r->cfg.queue_max)
		r->cfg.queue_max = RESOLVER_DEFAULT_QUEUE;
	if (!r->cfg.cache_max)
		r->cfg.cache_max = RESOLVER_DEFAULT_CACHE;
	if (!r->cfg.timeout)
		r->cfg.timeout = RESOLVER_DEFAULT_TIMEOUT;
	if (!r->cfg.positive_ttl)
		r->cfg.positive_ttl = RESOLVER_DEFAULT_POSITIVE_TTL;
	if (!r->cfg.negative_ttl)
		r->cfg.negative_ttl = RESOLVER_DEFAULT_NEGATIVE_TTL;
	if (!r->cfg.fn)
		r->cfg.fn = resolver_system;
	if (!r->cfg.clock)
		r->cfg.clock = monotonic;
	r->queue = calloc(r->cfg.queue_max, sizeof(*r->queue));
	r->pool = calloc(r->cfg.cache_max, sizeof(*r->pool));
	if (!r->queue || !r->pool) {
		free(r->queue);
		free(r->pool);
		free(r);
		ws_error(errbuf, "out of memory for the resolver");
		return NULL;
	}
	for (size_t i = r->cfg.cache_max; i-- > 0;) {
		r->pool[i].next = r->free_list;
		r->free_list = &r->pool[i];
	}
	pthread_mutex_init(&r->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&r->work, &ca);
	pthread_cond_init(&r->idle, &ca);
	pthread_condattr_destroy(&ca);

	pthread_attr_t ta;
	pthread_attr_init(&ta);
	pthread_attr_setdetachstate(&ta, PTHREAD_CREATE_DETACHED);
	unsigned want = r->cfg.threads;
	for (unsigned i = 0; i < want; i++) {
		pthread_t t;
		pthread_mutex_lock(&r->lock);
		r->alive++;
		pthread_mutex_unlock(&r->lock);
		if (pthread_create(&t, &ta, thread_main, r) != 0) {
			pthread_mutex_lock(&r->lock);
			r->alive--;
			pthread_mutex_unlock(&r->lock);
			break;
		}
	}
	pthread_attr_destroy(&ta);
	if (r->alive == 0) {
		free_shared(r);
		ws_error(errbuf, "cannot start the resolver's threads");
		return NULL;
	}
	return r;
}

void resolver_free(struct resolver *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	r->stop = true;
	pthread_cond_broadcast(&r->work);
	/* Idle threads leave at once; a stuck one is not waited for. */
	struct timespec until = deadline_in(WS_SEC(1) / 5);
	while (r->alive > r->running &&
	       pthread_cond_timedwait(&r->idle, &r->lock, &until) == 0)
		;
	bool last = r->alive == 0;
	r->owner_gone = true;
	pthread_mutex_unlock(&r->lock);
	if (last)
		free_shared(r);
}

/* A new entry for a: a free one, or the oldest (counted). */
static struct rentry *new_entry(struct resolver *r, const struct addr *a)
{
	struct rentry *x = r->free_list;
	if (x) {
		r->free_list = x->next;
	} else {
		x = r->head;
		unlink_entry(r, x);
		HASH_DELETE(hh, r->hash, x);
		r->count--;
		r->counters[RSV_EVICTED]++;
	}
	memset(x, 0, sizeof(*x));
	x->key.family = a->family;
	memcpy(x->key.bytes, a->bytes, sizeof(x->key.bytes));
	HASH_ADD(hh, r->hash, key, sizeof(x->key), x);
	if (!x->hh.tbl) { /* HASH_NONFATAL_OOM */
		x->next = r->free_list;
		r->free_list = x;
		return NULL;
	}
	append_entry(r, x);
	r->count++;
	return x;
}

/* Queue a lookup of entry x; false (counted) if the queue is full. */
static bool ask(struct resolver *r, struct rentry *x, ws_time now)
{
	if (r->qlen == r->cfg.queue_max) {
		r->counters[RSV_DROPPED]++;
		return false;
	}
	x->gen = ++r->gen;
	x->busy = true;
	x->timed_out = false;
	x->asked = now;
	struct job *j = &r->queue[(r->qhead + r->qlen) % r->cfg.queue_max];
	j->addr = x->key;
	j->gen = x->gen;
	r->qlen++;
	r->counters[RSV_QUEUED]++;
	pthread_cond_signal(&r->work);
	return true;
}

uint64_t resolver_mark(struct resolver *r)
{
	pthread_mutex_lock(&r->lock);
	uint64_t m = r->completed;
	pthread_mutex_unlock(&r->lock);
	return m;
}

bool resolver_lookup(struct resolver *r, const struct addr *a, uint64_t mark,
		     char *name, size_t size)
{
	bool have = false;
	if (a->family != ADDR_V4 && a->family != ADDR_V6)
		return false;
	pthread_mutex_lock(&r->lock);
	ws_time now = r->cfg.clock();
	struct rentry *x = find(r, a);
	if (!x) {
		/* a full queue: not cached, so the next report asks again */
		if (r->qlen < r->cfg.queue_max && (x = new_entry(r, a)))
			ask(r, x, now);
		else
			r->counters[RSV_DROPPED]++;
		pthread_mutex_unlock(&r->lock);
		return false;
	}
	if (x->busy && now - x->asked >= r->cfg.timeout) {
		x->busy = false;
		x->timed_out = true;
		x->until = now + r->cfg.negative_ttl;
		r->counters[RSV_TIMED_OUT]++;
	}
	if (x->has_name && x->done <= mark) {
		snprintf(name, size, "%s", x->name);
		have = true;
	}
	if (!x->busy && now >= x->until)
		ask(r, x, now); /* its answer is old, or it failed a while ago */
	pthread_mutex_unlock(&r->lock);
	return have;
}

void resolver_counters(struct resolver *r, uint64_t out[RSV_MAX])
{
	pthread_mutex_lock(&r->lock);
	memcpy(out, r->counters, sizeof(r->counters));
	pthread_mutex_unlock(&r->lock);
}

size_t resolver_count(struct resolver *r)
{
	pthread_mutex_lock(&r->lock);
	size_t n = r->count;
	pthread_mutex_unlock(&r->lock);
	return n;
}

size_t resolver_capacity(const struct resolver *r)
{
	return r->cfg.cache_max;
}

bool resolver_wait_idle(struct resolver *r, ws_time max)
{
	struct timespec until = deadline_in(max);
	bool idle;
	pthread_mutex_lock(&r->lock);
	while (r->qlen + r->running > 0 &&
	       pthread_cond_timedwait(&r->idle, &r->lock, &until) == 0)
		;
	idle = r->qlen + r->running == 0;
	pthread_mutex_unlock(&r->lock);
	return idle;
}
