/* nexthop.c - the (IP address, MAC) pairs frames were seen with. */
#include "hash_config.h"

#include "wirestat/nexthop.h"
#include "wirestat/lru.h"

#include <stdlib.h>
#include <string.h>

const char *const nexthop_counter_names[NHC_MAX] = {
#define NEXTHOP_X_NAME(e, name) [e] = (name),
	NEXTHOP_COUNTERS(NEXTHOP_X_NAME)
#undef NEXTHOP_X_NAME
};

struct nexthop_key {
	uint16_t link;
	uint8_t mac[6];
	uint8_t family;
	uint8_t bytes[16]; /* zeroed whole (padding too) before it is filled */
};

struct nexthop_node {
	struct nexthop_entry e; /* first: iteration hands out &node->e */
	struct nexthop_key key;
	struct nexthop_node *prev, *next; /* LRU by last frame */
	UT_hash_handle hh;
};

struct nexthop_table {
	struct nexthop_node *hash;
	struct nexthop_node *head, *tail;
	struct nexthop_node *pool, *free_list;
	size_t used; /* pool nodes handed out so far */
	size_t count, max;
	uint64_t counters[NHC_MAX];
};

struct nexthop_table *nexthop_table_new(size_t max_entries, char *errbuf)
{
	struct nexthop_table *t = calloc(1, sizeof(*t));
	if (!t || max_entries == 0)
		goto fail;
	t->pool = calloc(max_entries, sizeof(*t->pool));
	if (!t->pool)
		goto fail;
	t->max = max_entries;
	return t;
fail:
	free(t);
	ws_error(errbuf, "out of memory for the next-hop table");
	return NULL;
}

void nexthop_table_free(struct nexthop_table *t)
{
	if (!t)
		return;
	HASH_CLEAR(hh, t->hash);
	free(t->pool);
	free(t);
}

static void unlink_node(struct nexthop_table *t, struct nexthop_node *n)
{
	WS_LRU_UNLINK(t, n);
}

static void append_node(struct nexthop_table *t, struct nexthop_node *n)
{
	WS_LRU_APPEND(t, n);
}

static struct nexthop_node *alloc_node(struct nexthop_table *t)
{
	struct nexthop_node *n;
	WS_LRU_POOL_TAKE(t, struct nexthop_node, NHC_EVICTED, n);
	return n;
}

/* Addresses that are never behind a router, or name no host: the
 * unspecified address, link-local (RFC 3927, RFC 4291 2.5.6), multicast
 * and the IPv4 limited broadcast. */
static bool routable_unicast(const struct addr *a)
{
	static const uint8_t zero[16];
	const uint8_t *b = a->bytes;
	if (a->family == ADDR_V4)
		return memcmp(b, zero, 4) != 0 && b[0] < 224 &&
		       !(b[0] == 169 && b[1] == 254);
	if (a->family == ADDR_V6)
		return memcmp(b, zero, 16) != 0 && b[0] != 0xff &&
		       !(b[0] == 0xfe && (b[1] & 0xc0) == 0x80);
	return false;
}

static void note(struct nexthop_table *t, unsigned link, const struct addr *ip,
		 const uint8_t mac[6], uint32_t bytes, ws_time now)
{
	struct nexthop_key k;
	struct nexthop_node *n = NULL;
	if (mac[0] & 1)
		return; /* a group address carries no one's frames */
	memset(&k, 0, sizeof(k));
	k.link = (uint16_t)(link > UINT16_MAX ? UINT16_MAX : link);
	memcpy(k.mac, mac, 6);
	k.family = ip->family;
	memcpy(k.bytes, ip->bytes, sizeof(k.bytes));
	HASH_FIND(hh, t->hash, &k, sizeof(k), n);
	if (n) {
		if (n != t->tail && now / WS_NS_PER_SEC !=
				    n->e.last_ts / WS_NS_PER_SEC) {
			/* moved at most once per second of packet time */
			unlink_node(t, n);
			append_node(t, n);
		}
		if (now > n->e.last_ts)
			n->e.last_ts = now;
		n->e.packets++;
		n->e.bytes += bytes;
		return;
	}
	n = alloc_node(t);
	if (!n) {
		t->counters[NHC_ALLOC_FAILED]++;
		return;
	}
	n->key = k;
	n->e.ip = *ip;
	memcpy(n->e.mac, mac, 6);
	n->e.link = k.link;
	n->e.packets = 1;
	n->e.bytes = bytes;
	n->e.first_ts = n->e.last_ts = now;
	HASH_ADD(hh, t->hash, key, sizeof(k), n);
	if (!n->hh.tbl) {
		n->next = t->free_list;
		t->free_list = n;
		t->counters[NHC_ALLOC_FAILED]++;
		return;
	}
	append_node(t, n);
	t->count++;
	t->counters[NHC_CREATED]++;
}

void nexthop_frame(struct nexthop_table *t, unsigned link,
		   const struct decoded *d, ws_time now)
{
	if ((d->dl_flags & DL_SRC_MAC) && routable_unicast(&d->src))
		note(t, link, &d->src, d->mac_src, d->wire_len, now);
	if ((d->dl_flags & DL_DST_MAC) && routable_unicast(&d->dst))
		note(t, link, &d->dst, d->mac_dst, d->wire_len, now);
}

size_t nexthop_count(const struct nexthop_table *t)
{
	return t->count;
}

size_t nexthop_capacity(const struct nexthop_table *t)
{
	return t->max;
}

const uint64_t *nexthop_counters(const struct nexthop_table *t)
{
	return t->counters;
}

const struct nexthop_entry *nexthop_first(const struct nexthop_table *t)
{
	return t->head ? &t->head->e : NULL;
}

const struct nexthop_entry *nexthop_next(const struct nexthop_entry *e)
{
	const struct nexthop_node *n =
		(const struct nexthop_node *)(const void *)e;
	return n->next ? &n->next->e : NULL;
}
