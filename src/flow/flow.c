/* flow.c - the flow table: uthash over a capped pool, LRU lists per idle
 * timeout, expiry on packet time and eviction by policy.
 */
#include "hash_config.h"

#include "wirestat/flow.h"
#include "wirestat/lru.h"
#include "wirestat/zeek.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

const char *const flow_counter_names[FC_MAX] = {
#define FLOW_X_NAME(e, name) [e] = (name),
	FLOW_COUNTERS(FLOW_X_NAME)
#undef FLOW_X_NAME
};

/* Idle timeouts per list.  TCP_SHORT outlasts every timed TCP state
 * (tcp_state_timeout[], at most 131 s after the last segment), so no
 * socket a kernel would still show is dropped.  Established TCP keeps
 * netfilter conntrack's 5 days and replied UDP its 120 s
 * (nf_conntrack_udp_timeout_stream); unreplied UDP and ICMP last Zeek's
 * 60 s (udp_inactivity_timeout, icmp_inactivity_timeout), so the
 * connection view's records are never cut short by the table. */
static const ws_time flow_lru_timeout[FLOW_LRU_MAX] = {
	[FLOW_LRU_TCP_SHORT] = WS_SEC(131),
	[FLOW_LRU_UDP_UNREPLIED] = WS_SEC(60),
	[FLOW_LRU_OTHER] = WS_SEC(60),
	[FLOW_LRU_UDP_REPLIED] = WS_SEC(120),
	[FLOW_LRU_TCP_LONG] = WS_SEC(5 * 24 * 3600),
};

/* Lists an eviction may take from first, before established flows. */
#define FLOW_LRU_SHORT_LAST FLOW_LRU_OTHER

enum { FLOW_SLAB = 4096 };

struct flow_list {
	struct flow *head, *tail;
};

struct flow_table {
	struct flow *hash; /* uthash head */
	struct flow_list lru[FLOW_LRU_MAX];
	struct flow *free_list;
	struct flow **slabs;
	size_t nslabs, slab_cap;
	size_t allocated; /* flows carved from slabs so far */
	size_t count, peak, max;
	size_t stride; /* bytes per flow: struct flow and its extension */
	uint64_t counters[FC_MAX];
	flow_end_fn on_end;
	void *on_end_ctx;
};

static uint64_t hash_seed;

static inline uint64_t mix64(uint64_t a, uint64_t b)
{
	unsigned __int128 r = (unsigned __int128)a * b;
	return (uint64_t)(r >> 64) ^ (uint64_t)r;
}

/* A seeded multiply-fold hash over 8-byte words: the words are mixed
 * independently (the multiplications overlap) and folded once. */
uint32_t flow_hash(const void *key, size_t len)
{
	const uint8_t *p = key;
	uint64_t h = hash_seed ^ (len * UINT64_C(0x9e3779b97f4a7c15));
	uint64_t acc = 0;
	static const uint64_t k[2] = {UINT64_C(0xa0761d6478bd642f),
				      UINT64_C(0xe7037ed1a0b428db)};
	unsigned i = 0;
	while (len >= 16) {
		uint64_t a, b;
		memcpy(&a, p, 8);
		memcpy(&b, p + 8, 8);
		acc ^= mix64(a ^ h ^ k[i & 1], b ^ k[(i + 1) & 1]);
		p += 16;
		len -= 16;
		i++;
	}
	if (len) {
		uint64_t a = 0, b = 0;
		memcpy(&a, p, len > 8 ? 8 : len);
		if (len > 8)
			memcpy(&b, p + 8, len - 8);
		acc ^= mix64(a ^ h ^ k[0], b ^ k[1] ^ len);
	}
	h = mix64(acc ^ h, UINT64_C(0x8ebc6af09c88c6e3));
	return (uint32_t)(h ^ (h >> 32));
}

static void seed_hash(void)
{
	uint64_t s = 0;
	if (hash_seed)
		return;
	if (getrandom(&s, sizeof(s), GRND_NONBLOCK) != (ssize_t)sizeof(s))
		s = (uint64_t)time(NULL) * UINT64_C(0x2545f4914f6cdd1d);
	hash_seed = s | 1;
}

struct flow_table *flow_table_new(size_t max_flows, char *errbuf)
{
	return flow_table_new_ext(max_flows, 0, errbuf);
}

struct flow_table *flow_table_new_ext(size_t max_flows, size_t ext_size,
				      char *errbuf)
{
	if (max_flows == 0) {
		ws_error(errbuf, "the flow table needs room for at least one flow");
		return NULL;
	}
	struct flow_table *t = calloc(1, sizeof(*t));
	if (!t) {
		ws_error(errbuf, "out of memory for the flow table");
		return NULL;
	}
	t->max = max_flows;
	t->stride = (sizeof(struct flow) + ext_size + 7) & ~(size_t)7;
	seed_hash();
	return t;
}

void flow_table_on_end(struct flow_table *t, flow_end_fn fn, void *ctx)
{
	t->on_end = fn;
	t->on_end_ctx = ctx;
}

static void list_unlink(struct flow_list *l, struct flow *f)
{
	WS_LRU_UNLINK(l, f);
}

static void list_append(struct flow_list *l, struct flow *f)
{
	WS_LRU_APPEND(l, f);
}

static void flow_release(struct flow_table *t, struct flow *f,
			 enum flow_end why)
{
	if (t->on_end)
		t->on_end(t->on_end_ctx, f, why);
	list_unlink(&t->lru[f->lru], f);
	/* f is in the table, so t->hash is not NULL; clang-analyzer cannot
	 * follow uthash's lists and says otherwise. */
	HASH_DELETE(hh, t->hash, f); // NOLINT(clang-analyzer-core.NullDereference)
	t->count--;
	f->next = t->free_list;
	t->free_list = f;
}

void flow_table_free(struct flow_table *t)
{
	if (!t)
		return;
	/* Without a callback nothing needs to see the flows go: free the
	 * slabs whole instead of unlinking 10^6 flows one by one. */
	for (int l = 0; t->on_end && l < FLOW_LRU_MAX; l++)
		while (t->lru[l].head)
			flow_release(t, t->lru[l].head, FLOW_END_FORCED);
	HASH_CLEAR(hh, t->hash);
	for (size_t i = 0; i < t->nslabs; i++)
		free(t->slabs[i]);
	free(t->slabs);
	free(t);
}

/* Carve a new slab of flows when the free list is empty and the cap
 * allows; at most once per FLOW_SLAB new flows. */
static bool grow(struct flow_table *t)
{
	if (t->allocated >= t->max)
		return false;
	size_t n = t->max - t->allocated;
	if (n > FLOW_SLAB)
		n = FLOW_SLAB;
	if (t->nslabs == t->slab_cap) {
		size_t cap = t->slab_cap ? t->slab_cap * 2 : 16;
		struct flow **s = realloc(t->slabs, cap * sizeof(struct flow *));
		if (!s)
			return false;
		t->slabs = s;
		t->slab_cap = cap;
	}
	char *slab = calloc(n, t->stride);
	if (!slab)
		return false;
	t->slabs[t->nslabs++] = (struct flow *)(void *)slab;
	t->allocated += n;
	for (size_t i = n; i-- > 0;) {
		struct flow *f = (struct flow *)(void *)(slab + i * t->stride);
		f->next = t->free_list;
		t->free_list = f;
	}
	return true;
}

/* The eviction policy: the least recently active of the short-lived
 * lists (half-open, closing, unreplied), else the oldest replied UDP
 * flow, else the oldest established TCP flow. */
static bool evict_one(struct flow_table *t)
{
	struct flow *victim = NULL;
	for (int l = 0; l <= FLOW_LRU_SHORT_LAST; l++) {
		struct flow *h = t->lru[l].head;
		if (h && (!victim || h->last_ts < victim->last_ts))
			victim = h;
	}
	for (int l = FLOW_LRU_SHORT_LAST + 1; !victim && l < FLOW_LRU_MAX; l++)
		victim = t->lru[l].head;
	if (!victim)
		return false;
	t->counters[victim->lru <= FLOW_LRU_SHORT_LAST ? FC_EVICTED_SHORT
						       : FC_EVICTED_LONG]++;
	flow_release(t, victim, FLOW_END_EVICTED);
	return true;
}

static struct flow *flow_alloc(struct flow_table *t)
{
	if (!t->free_list && !grow(t) && !evict_one(t))
		return NULL;
	struct flow *f = t->free_list;
	t->free_list = f->next;
	memset(f, 0, t->stride);
	return f;
}

/* Order two (address, port) endpoints as memcmp over the address, then
 * the port, would: addresses compare as big-endian words. */
static int endpoint_cmp(const uint8_t *a, uint16_t pa, const uint8_t *b,
			uint16_t pb, size_t alen)
{
	for (size_t i = 0; i < alen; i += 4) {
		uint32_t x = (uint32_t)a[i] << 24 | (uint32_t)a[i + 1] << 16 |
			     (uint32_t)a[i + 2] << 8 | a[i + 3];
		uint32_t y = (uint32_t)b[i] << 24 | (uint32_t)b[i + 1] << 16 |
			     (uint32_t)b[i + 2] << 8 | b[i + 3];
		if (x != y)
			return x < y ? -1 : 1;
	}
	return pa < pb ? -1 : pa > pb;
}

size_t flow_key_make(const struct decoded *d, struct flow_key *k, int *side)
{
	size_t alen = d->src.family == ADDR_V6 ? 16 : 4;
	memset(k, 0, sizeof(*k));
	k->vlan = d->vlan;
	k->inner_vlan = d->inner_vlan;
	k->proto = d->proto;
	k->family = d->src.family;
	uint16_t sport = d->sport, dport = d->dport;
	bool one_way = false;
	if (d->proto == 1 || d->proto == 58) {
		/* ICMP flows are Zeek's: the message type as the sender's
		 * "port", its counterpart (echo request <-> reply) or the
		 * code as the other's, so a request and its reply meet. */
		sport = d->icmp_type;
		dport = zeek_icmp_counterpart(d->proto == 58, d->icmp_type,
					      d->icmp_code, &one_way);
	}
	/* one-way ICMP messages keep their direction (Zeek's is_one_way:
	 * IPBasedConnKey::InitTuple() skips the canonical order) */
	int c = one_way ? -1
			: endpoint_cmp(d->src.bytes, sport, d->dst.bytes, dport,
				       alen);
	const struct addr *lo = c <= 0 ? &d->src : &d->dst;
	const struct addr *hi = c <= 0 ? &d->dst : &d->src;
	memcpy(k->addrs, lo->bytes, alen);
	memcpy(k->addrs + alen, hi->bytes, alen);
	k->port[0] = c <= 0 ? sport : dport;
	k->port[1] = c <= 0 ? dport : sport;
	*side = c <= 0 ? 0 : 1;
	return alen == 16 ? FLOW_KEY_LEN_V6 : FLOW_KEY_LEN_V4;
}

void flow_prepare(struct flow_table *t, const struct decoded *d,
		  struct flow_ref *ref)
{
	unsigned hv;
	ref->klen = (uint32_t)flow_key_make(d, &ref->key, &ref->side);
	HASH_VALUE(&ref->key, ref->klen, hv);
	ref->hv = hv;
	if (t->hash) {
		const UT_hash_table *tbl = t->hash->hh.tbl;
		__builtin_prefetch(&tbl->buckets[hv & (tbl->num_buckets - 1)]);
	}
}

void flow_prefetch(struct flow_table *t, const struct flow_ref *ref)
{
	if (t->hash) {
		const UT_hash_table *tbl = t->hash->hh.tbl;
		const UT_hash_handle *h =
			tbl->buckets[ref->hv & (tbl->num_buckets - 1)].hh_head;
		if (h) { /* the whole flow: its handle, key and state */
			const char *f = (const char *)h - tbl->hho;
			for (size_t off = 0; off < sizeof(struct flow); off += 64)
				__builtin_prefetch(f + off);
		}
	}
}

struct flow *flow_lookup(struct flow_table *t, const struct decoded *d,
			 ws_time now, int *side, bool *created)
{
	struct flow_ref ref;
	flow_prepare(t, d, &ref);
	*side = ref.side;
	return flow_lookup_ref(t, &ref, now, created);
}

struct flow *flow_lookup_ref(struct flow_table *t, const struct flow_ref *ref,
			     ws_time now, bool *created)
{
	const struct flow_key *k = &ref->key;
	size_t klen = ref->klen;
	unsigned hv = ref->hv;
	struct flow *f = NULL;
	*created = false;
	HASH_FIND_BYHASHVALUE(hh, t->hash, k, klen, hv, f);
	if (f) {
		/* Moved to its list's tail at most once per second of packet
		 * time (the expiry pass's own granularity): a move touches
		 * two other flows, which costs more than the lookup. */
		uint8_t sec = (uint8_t)(now / WS_NS_PER_SEC);
		if (sec != f->moved) {
			list_unlink(&t->lru[f->lru], f);
			list_append(&t->lru[f->lru], f);
			f->moved = sec;
		}
		f->prev_ts = f->last_ts;
		f->last_ts = now > f->last_ts ? now : f->last_ts;
		return f;
	}
	f = flow_alloc(t);
	if (!f) {
		t->counters[FC_ALLOC_FAILED]++;
		return NULL;
	}
	f->key = *k;
	HASH_ADD_KEYPTR_BYHASHVALUE(hh, t->hash, &f->key, klen, hv, f);
	if (!f->hh.tbl) { /* uthash could not grow its buckets */
		f->next = t->free_list;
		t->free_list = f;
		t->counters[FC_ALLOC_FAILED]++;
		return NULL;
	}
	/* uthash grows its buckets only when one chain reaches 10 items,
	 * which leaves ~3 flows per bucket, each a cache miss to walk.
	 * Keep at most one per bucket on average (16 bytes a flow). */
	UT_hash_table *tbl = f->hh.tbl;
	if (tbl->num_items > (tbl->num_buckets << 0) && !tbl->noexpand) {
		int oomed = 0;
		HASH_EXPAND_BUCKETS(&f->hh, tbl, oomed);
		(void)oomed; /* on failure the table keeps its old buckets */
	}
	f->orig = (uint8_t)ref->side;
	f->first_ts = f->last_ts = f->prev_ts = now;
	f->moved = (uint8_t)(now / WS_NS_PER_SEC);
	f->lru = FLOW_LRU_TCP_SHORT;
	list_append(&t->lru[f->lru], f);
	t->count++;
	if (t->count > t->peak)
		t->peak = t->count;
	t->counters[FC_CREATED]++;
	*created = true;
	return f;
}

struct flow *flow_find(struct flow_table *t, const struct decoded *d,
		       int *side)
{
	struct flow_key k;
	size_t klen = flow_key_make(d, &k, side);
	struct flow *f = NULL;
	HASH_FIND(hh, t->hash, &k, klen, f);
	return f;
}

void flow_set_lru(struct flow_table *t, struct flow *f, enum flow_lru lru)
{
	if (f->lru == lru)
		return;
	list_unlink(&t->lru[f->lru], f);
	f->lru = (uint8_t)lru;
	list_append(&t->lru[lru], f);
}

void flow_expire(struct flow_table *t, ws_time now)
{
	for (int l = 0; l < FLOW_LRU_MAX; l++) {
		struct flow *f;
		while ((f = t->lru[l].head) &&
		       f->last_ts + flow_lru_timeout[l] <= now) {
			t->counters[FC_EXPIRED]++;
			flow_release(t, f, FLOW_END_IDLE);
		}
	}
}

void flow_endpoint(const struct flow *f, int side, struct addr *a,
		   uint16_t *port)
{
	size_t alen = f->key.family == ADDR_V6 ? 16 : 4;
	memset(a, 0, sizeof(*a));
	a->family = f->key.family;
	memcpy(a->bytes, f->key.addrs + (side ? alen : 0), alen);
	*port = f->key.port[side];
}

size_t flow_count(const struct flow_table *t)
{
	return t->count;
}

size_t flow_capacity(const struct flow_table *t)
{
	return t->max;
}

size_t flow_peak(const struct flow_table *t)
{
	return t->peak;
}

const uint64_t *flow_counters(const struct flow_table *t)
{
	return t->counters;
}

struct flow *flow_first(struct flow_table *t)
{
	return t->hash;
}

struct flow *flow_next(struct flow *f)
{
	return f->hh.next;
}

ws_time flow_prev_ts(const struct flow *f)
{
	return f->prev_ts;
}
