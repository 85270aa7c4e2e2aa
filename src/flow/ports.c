/* ports.c - the table of inferred listening, bound and closed ports. */
#include "hash_config.h"

#include "wirestat/ports.h"
#include "wirestat/lru.h"

#include <stdlib.h>
#include <string.h>

const char *const port_counter_names[PC_MAX] = {
#define PORT_X_NAME(e, name) [e] = (name),
	PORT_COUNTERS(PORT_X_NAME)
#undef PORT_X_NAME
};

struct port_key {
	uint16_t vlan, inner_vlan;
	uint16_t port;
	uint8_t proto;
	uint8_t family;
	uint8_t bytes[16];
};

struct port_node {
	struct port_entry e; /* first: iteration hands out &node->e */
	struct port_key key;
	struct port_node *prev, *next; /* LRU by last evidence */
	UT_hash_handle hh;
};

struct ports_table {
	struct port_node *hash;
	struct port_node *head, *tail;
	struct port_node *pool, *free_list;
	size_t used; /* pool nodes handed out so far (the rest is untouched) */
	size_t count, max;
	uint64_t counters[PC_MAX];
};

struct ports_table *ports_table_new(size_t max_entries, char *errbuf)
{
	struct ports_table *t = calloc(1, sizeof(*t));
	if (!t || max_entries == 0)
		goto fail;
	/* The pool is reserved up front; calloc'd pages are only backed by
	 * memory once a node in them is handed out. */
	t->pool = calloc(max_entries, sizeof(*t->pool));
	if (!t->pool)
		goto fail;
	t->max = max_entries;
	return t;
fail:
	free(t);
	ws_error(errbuf, "out of memory for the ports table");
	return NULL;
}

void ports_table_free(struct ports_table *t)
{
	if (!t)
		return;
	HASH_CLEAR(hh, t->hash);
	free(t->pool);
	free(t);
}

static void unlink_node(struct ports_table *t, struct port_node *n)
{
	WS_LRU_UNLINK(t, n);
}

static void append_node(struct ports_table *t, struct port_node *n)
{
	WS_LRU_APPEND(t, n);
}

static struct port_node *alloc_node(struct ports_table *t)
{
	struct port_node *n;
	WS_LRU_POOL_TAKE(t, struct port_node, PC_EVICTED, n);
	return n;
}

void ports_note(struct ports_table *t, const struct addr *addr, uint16_t port,
		uint8_t proto, uint16_t vlan, uint16_t inner_vlan,
		enum port_state s, ws_time now)
{
	struct port_key k;
	struct port_node *n = NULL;
	memset(&k, 0, sizeof(k));
	k.vlan = vlan;
	k.inner_vlan = inner_vlan;
	k.port = port;
	k.proto = proto;
	k.family = addr->family;
	memcpy(k.bytes, addr->bytes, sizeof(k.bytes));
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
		if (n->e.state != s) {
			n->e.state = (uint8_t)s;
			n->e.since = now;
		}
		return;
	}
	n = alloc_node(t);
	if (!n) {
		t->counters[PC_ALLOC_FAILED]++;
		return;
	}
	n->key = k;
	n->e.addr = *addr;
	n->e.port = port;
	n->e.vlan = vlan;
	n->e.inner_vlan = inner_vlan;
	n->e.proto = proto;
	n->e.state = (uint8_t)s;
	n->e.first_ts = n->e.since = n->e.last_ts = now;
	HASH_ADD(hh, t->hash, key, sizeof(k), n);
	if (!n->hh.tbl) {
		n->next = t->free_list;
		t->free_list = n;
		t->counters[PC_ALLOC_FAILED]++;
		return;
	}
	append_node(t, n);
	t->count++;
	t->counters[PC_ENTRIES_CREATED]++;
}

size_t ports_count(const struct ports_table *t)
{
	return t->count;
}

size_t ports_capacity(const struct ports_table *t)
{
	return t->max;
}

const struct port_entry *ports_first(const struct ports_table *t)
{
	return t->head ? &t->head->e : NULL;
}

const struct port_entry *ports_next(const struct port_entry *e)
{
	const struct port_node *n = (const struct port_node *)(const void *)e;
	return n->next ? &n->next->e : NULL;
}

const uint64_t *ports_counters(const struct ports_table *t)
{
	return t->counters;
}
