/* test_resolver.c - --resolve=active's machinery with the system
 * resolver replaced at its boundary (resolver_fn): a mock that answers
 * from a table, counts its calls and can be held at a gate, so that
 * lookups are slow, stuck or time out on demand; and a clock the test
 * moves.  Checked: answers reach the cache and nothing blocks the
 * caller; positive and negative caching and their TTLs; the bounded
 * queue and its drops; the cap and its evictions; the timeout, and an
 * answer that comes after it; the mark that keeps a report's two passes
 * alike; resolver_free() with a thread stuck; the printable form.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wirestat/resolver.h"

#include "unit.h"

/* ---- the mock system resolver ---- */

struct mock {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool gate_closed;  /* lookups wait here until it opens */
	unsigned calls;	   /* lookups started */
	unsigned inside;   /* lookups waiting at the gate */
	unsigned returned; /* lookups finished */
};

static struct mock mock = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
			   false, 0, 0, 0};

static void mock_reset(bool closed)
{
	pthread_mutex_lock(&mock.lock);
	mock.gate_closed = closed;
	mock.calls = mock.inside = mock.returned = 0;
	pthread_mutex_unlock(&mock.lock);
}

static void gate(bool closed)
{
	pthread_mutex_lock(&mock.lock);
	mock.gate_closed = closed;
	pthread_cond_broadcast(&mock.cond);
	pthread_mutex_unlock(&mock.lock);
}

static void nap_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* Wait (up to 5 s) until n lookups wait at the gate, or returned. */
static void wait_mock(unsigned *field, unsigned n)
{
	for (int i = 0; i < 5000; i++) {
		pthread_mutex_lock(&mock.lock);
		unsigned v = *field;
		pthread_mutex_unlock(&mock.lock);
		if (v >= n)
			return;
		nap_ms(1);
	}
	fail_msg("the mock never reached %u", n);
}

/* 10.0.0.x is named hX.example; 10.0.1.x has no name; 10.0.2.x fails;
 * the name of 10.0.3.1 is hostile; IPv6 ...:x is v6-X.example. */
static enum resolver_result mock_fn(void *ctx, const struct addr *a,
				    char *name, size_t size)
{
	(void)ctx;
	pthread_mutex_lock(&mock.lock);
	mock.calls++;
	mock.inside++;
	while (mock.gate_closed)
		pthread_cond_wait(&mock.cond, &mock.lock);
	mock.inside--;
	pthread_mutex_unlock(&mock.lock);
	enum resolver_result r = RESOLVER_FOUND;
	if (a->family == ADDR_V6)
		snprintf(name, size, "v6-%u.example", a->bytes[15]);
	else if (a->bytes[2] == 0)
		snprintf(name, size, "h%u.example", a->bytes[3]);
	else if (a->bytes[2] == 1)
		r = RESOLVER_NOT_FOUND;
	else if (a->bytes[2] == 3)
		resolver_printable("Evil\tName\x1b[31m.", name, size);
	else
		r = RESOLVER_FAILED;
	pthread_mutex_lock(&mock.lock);
	mock.returned++;
	pthread_mutex_unlock(&mock.lock);
	return r;
}

/* ---- the test clock ---- */

static ws_time fake_now = WS_SEC(1000);

static ws_time fake_clock(void)
{
	return __atomic_load_n(&fake_now, __ATOMIC_SEQ_CST);
}

static void advance(ws_time d)
{
	__atomic_add_fetch(&fake_now, d, __ATOMIC_SEQ_CST);
}

static struct resolver *new_resolver(unsigned threads, size_t queue,
				     size_t cache)
{
	char err[WS_ERRBUF_SIZE];
	struct resolver_config cfg = {
		.threads = threads,
		.queue_max = queue,
		.cache_max = cache,
		.timeout = WS_SEC(2),
		.positive_ttl = WS_SEC(100),
		.negative_ttl = WS_SEC(10),
		.fn = mock_fn,
		.clock = fake_clock,
	};
	struct resolver *r = resolver_new(&cfg, err);
	assert_non_null(r);
	return r;
}

static bool look(struct resolver *r, const char *addr, char *name)
{
	struct addr a = A(addr);
	return resolver_lookup(r, &a, resolver_mark(r), name,
			       RESOLVER_NAME_MAX);
}

static uint64_t counter(struct resolver *r, enum resolver_counter c)
{
	uint64_t v[RSV_MAX];
	resolver_counters(r, v);
	return v[c];
}

/* The first look queues; once answered, the name is there, for good
 * (no second lookup within the TTL); after the TTL it is asked again
 * while the old name is still given. */
static void test_found_and_cached(void **state)
{
	char name[RESOLVER_NAME_MAX];
	(void)state;
	mock_reset(false);
	struct resolver *r = new_resolver(2, 8, 16);
	assert_false(look(r, "10.0.0.7", name));
	assert_true(resolver_wait_idle(r, WS_SEC(5)));
	assert_true(look(r, "10.0.0.7", name));
	assert_string_equal(name, "h7.example");
	assert_true(look(r, "10.0.0.7", name));
	assert_int_equal(mock.calls, 1);
	/* IPv6 too */
	assert_false(look(r, "2001:db8::1", name));
	assert_true(resolver_wait_idle(r, WS_SEC(5)));
	assert_true(look(r, "2001:db8::1", name));
	assert_string_equal(name, "v6-1.example");
	/* positive TTL over: asked again, the old name meanwhile */
	advance(WS_SEC(101));
	gate(true);
	assert_true(look(r, "10.0.0.7", name));
	assert_string_equal(name, "h7.example");
	wait_mock(&mock.inside, 1);
	assert_int_equal(mock.calls, 3);
	gate(false);
	assert_true(resolver_wait_idle(r, WS_SEC(5)));
	assert_int_equal(counter(r, RSV_QUEUED), 3);
	assert_int_equal(counter(r, RSV_FOUND), 3);
	assert_int_equal(resolver_count(r), 2);
	resolver_free(r);
}

/* No name, or a failure: cached negatively, asked again only after the
 * negative TTL. */
static void test_negative(void **state)
{
	char name[RESOLVER_NAME_MAX];
	(void)state;
	mock_reset(false);
	struct resolver *r = new_resolver(1, 8, 16);
	assert_false(look(r, "10.0.1.1", name));
	assert_false(look(r, "10.0.2.1", name));
	assert_true(resolver_wait_idle(r, WS_SEC(5)));
	for (int i = 0; i < 5; i++) {
		assert_false(look(r, "10.0.1.1", name));
		assert_false(look(r, "10.0.2.1", name));
	}
	assert_true(resolver_wait_idle(r, WS_SEC(5)));
	assert_int_equal(mock.calls, 2);
	assert_int_equal(counter(r, RSV_NOT_FOUND), 1);
	assert_int_equal(counter(r, RSV_FAILED), 1);
	advance(WS_SEC(10));
	assert_false(look(r, "10.0.1.1", name));
	assert_true(resolver_wait_idle(r, WS_SEC(5)));
	assert_int_equal(mock.calls, 3);
	resolver_free(r);
}

/* One thread, held at the gate; a queue of 4: the fifth waiting address
 * is dropped, counted, not cached, and asked at the next look. */
static void test_queue_bound(void **state)
{
	char name[RESOLVER_NAME_MAX], addr[32];
	(void)state;
	mock_reset(true);
	struct resolver *r = new_resolver(1, 4, 64);
	assert_false(look(r, "10.0.0.1", name));
	wait_mock(&mock.inside, 1); /* the thread holds it: queue empty */
	for (int i = 2; i <= 7; i++) {
		snprintf(addr, sizeof(addr), "10.0.0.%d", i);
		assert_false(look(r, addr, name));
	}
	assert_int_equal(counter(r, RSV_QUEUED), 5);
	assert_int_equal(counter(r, RSV_DROPPED), 2);
	assert_int_equal(resolver_count(r), 5);
	gate(false);
	assert_true(resolver_wait_idle(r, WS_SEC(5)));
	assert_true(look(r, "10.0.0.5", name));
	assert_false(look(r, "10.0.0.6", name)); /* dropped: asked now */
	assert_true(resolver_wait_idle(r, WS_SEC(5)));
	assert_true(look(r, "10.0.0.6", name));
	assert_string_equal(name, "h6.example");
	assert_int_equal(mock.calls, 6);
	resolver_free(r);
}

/* The cap: the oldest entry makes room, counted. */
static void test_cap(void **state)
{
	char name[RESOLVER_NAME_MAX], addr[32];
	(void)state;
	mock_reset(false);
	struct resolver *r = new_resolver(2, 16, 3);
	for (int i = 1; i <= 5; i++) {
		snprintf(addr, sizeof(addr), "10.0.0.%d", i);
		look(r, addr, name);
		assert_true(resolver_wait_idle(r, WS_SEC(5)));
	}
	assert_int_equal(resolver_count(r), 3);
	assert_int_equal(resolver_capacity(r), 3);
	assert_int_equal(counter(r, RSV_EVICTED), 2);
	assert_false(look(r, "10.0.0.1", name)); /* evicted: asked again */
	assert_true(resolver_wait_idle(r, WS_SEC(5)));
	assert_true(look(r, "10.0.0.5", name));
	assert_int_equal(mock.calls, 6);
	resolver_free(r);
}

/* A lookup stuck past the timeout is given up (counted, negative); its
 * late answer is still kept. */
static void test_timeout_and_late_answer(void **state)
{
	char name[RESOLVER_NAME_MAX];
	(void)state;
	mock_reset(true);
	struct resolver *r = new_resolver(1, 4, 16);
	assert_false(look(r, "10.0.0.9", name));
	wait_mock(&mock.inside, 1);
	advance(WS_SEC(1));
	assert_false(look(r, "10.0.0.9", name));
	assert_int_equal(counter(r, RSV_TIMED_OUT), 0);
	advance(WS_SEC(1));
	assert_false(look(r, "10.0.0.9", name));
	assert_int_equal(counter(r, RSV_TIMED_OUT), 1);
	/* given up: not asked again within the negative TTL */
	assert_false(look(r, "10.0.0.9", name));
	assert_int_equal(counter(r, RSV_QUEUED), 1);
	/* a second address waits in the queue behind the stuck one and
	 * times out there: its job is skipped, never looked up */
	assert_false(look(r, "10.0.0.10", name));
	advance(WS_SEC(3));
	assert_false(look(r, "10.0.0.10", name));
	assert_int_equal(counter(r, RSV_TIMED_OUT), 2);
	gate(false);
	assert_true(resolver_wait_idle(r, WS_SEC(5)));
	assert_int_equal(counter(r, RSV_LATE), 1);
	assert_int_equal(mock.calls, 1);
	assert_true(look(r, "10.0.0.9", name));
	assert_string_equal(name, "h9.example");
	assert_false(look(r, "10.0.0.10", name));
	resolver_free(r);
}

/* An answer completed after a report's mark is not seen by that
 * report, so both passes over a table see the same names. */
static void test_mark(void **state)
{
	char name[RESOLVER_NAME_MAX];
	struct addr a = A("10.0.0.3");
	(void)state;
	mock_reset(false);
	struct resolver *r = new_resolver(1, 4, 16);
	uint64_t mark = resolver_mark(r);
	assert_false(resolver_lookup(r, &a, mark, name, sizeof(name)));
	assert_true(resolver_wait_idle(r, WS_SEC(5)));
	assert_false(resolver_lookup(r, &a, mark, name, sizeof(name)));
	assert_true(resolver_lookup(r, &a, resolver_mark(r), name,
				    sizeof(name)));
	resolver_free(r);
}

/* With every thread stuck in the system resolver, lookups still return
 * at once, and so does resolver_free(); the stuck thread frees the
 * shared state when it comes back. */
static void test_never_blocks(void **state)
{
	char name[RESOLVER_NAME_MAX], addr[32];
	struct timespec t0, t1;
	(void)state;
	mock_reset(true);
	struct resolver *r = new_resolver(2, 8, 1024);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 1000; i++) {
		snprintf(addr, sizeof(addr), "10.0.%d.%d", 4 + i / 250,
			 i % 250);
		assert_false(look(r, addr, name));
	}
	wait_mock(&mock.inside, 2);
	resolver_free(r);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) +
		      (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	assert_true(secs < 2.0);
	gate(false);
	wait_mock(&mock.returned, 2);
	nap_ms(50); /* the threads leave and free */
}

/* Names are made printable; a hostile one cannot carry control bytes. */
static void test_printable(void **state)
{
	char out[RESOLVER_NAME_MAX], small[8];
	(void)state;
	resolver_printable("WWW.Example.COM.", out, sizeof(out));
	assert_string_equal(out, "www.example.com");
	resolver_printable("a b\\c\x7f\xff", out, sizeof(out));
	assert_string_equal(out, "a\\032b\\092c\\127\\255");
	resolver_printable(".", out, sizeof(out));
	assert_string_equal(out, ".");
	resolver_printable("abcd\x01", small, sizeof(small));
	assert_string_equal(small, "abcd"); /* no half escape */
	resolver_printable("abcdefghij", small, sizeof(small));
	assert_string_equal(small, "abcdefg");
	mock_reset(false);
	struct resolver *r = new_resolver(1, 4, 16);
	assert_false(look(r, "10.0.3.1", out));
	assert_true(resolver_wait_idle(r, WS_SEC(5)));
	assert_true(look(r, "10.0.3.1", out));
	assert_string_equal(out, "evil\\009name\\027[31m");
	resolver_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_found_and_cached),
		cmocka_unit_test(test_negative),
		cmocka_unit_test(test_queue_bound),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_timeout_and_late_answer),
		cmocka_unit_test(test_mark),
		cmocka_unit_test(test_never_blocks),
		cmocka_unit_test(test_printable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
