/* names.c - the passive name cache: address -> name, from DNS answers
 * seen on the wire (Zeek's and passivedns' idea), bounded, LRU-evicted.
 *
 * Each message is parsed once into a preallocated scratch list; the
 * address records are then named by following the message's CNAME
 * records back to the name that was asked.  Names are compared through a
 * seeded hash first, so a message full of look-alike names costs no more
 * than a few hundred integer compares per record.
 */
#include "../flow/hash_config.h"

#include "wirestat/dns.h"
#include "wirestat/lru.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

const char *const names_counter_names[NC_MAX] = {
#define NAMES_X_NAME(e, name) [e] = (name),
	NAMES_COUNTERS(NAMES_X_NAME)
#undef NAMES_X_NAME
};

const char *const names_source_names[NAMES_SRC_MAX] = {
	[NAMES_SRC_A] = "a",
	[NAMES_SRC_AAAA] = "aaaa",
	[NAMES_SRC_PTR] = "ptr",
	[NAMES_SRC_MDNS] = "mdns",
};

enum {
	NAMES_SLAB = 1024,
	TCP_MESSAGES_MAX = 16, /* messages read from one TCP segment */
	RANK_PTR = 1,	       /* a reverse name */
	RANK_FORWARD = 2,      /* the name a client asked for */
};

struct name_node {
	struct names_entry e; /* first: iteration hands out &node->e */
	struct addr key;      /* zeroed, then the address */
	uint8_t rank;	      /* RANK_* of the name held */
	struct name_node *prev, *next; /* LRU by last answer, or free list */
	UT_hash_handle hh;
};

/* One record of the message being learned, with its names' hashes. */
struct scratch {
	struct dns_answer a;
	uint32_t name_hash, target_hash;
};

struct names {
	struct name_node *hash;
	struct name_node *head, *tail; /* head: least recently learned */
	struct name_node *free_list;
	struct name_node **slabs;
	size_t nslabs, slab_cap;
	size_t allocated; /* nodes carved from slabs so far */
	size_t count, max;
	uint64_t counters[NC_MAX];
	uint64_t dns[DNS_R_MAX];
	/* the message being learned */
	bool mdns;
	size_t nrec;
	struct scratch rec[NAMES_MAX_ANSWERS];
	struct dns_message msg;
};

struct names *names_new(size_t max_entries, char *errbuf)
{
	struct names *n = calloc(1, sizeof(*n));
	if (!n) {
		ws_error(errbuf, "out of memory for the name cache");
		return NULL;
	}
	n->max = max_entries ? max_entries : NAMES_DEFAULT_MAX;
	return n;
}

void names_free(struct names *n)
{
	if (!n)
		return;
	HASH_CLEAR(hh, n->hash);
	for (size_t i = 0; i < n->nslabs; i++)
		free(n->slabs[i]);
	free(n->slabs);
	free(n);
}

static void unlink_node(struct names *n, struct name_node *x)
{
	WS_LRU_UNLINK(n, x);
}

static void append_node(struct names *n, struct name_node *x)
{
	WS_LRU_APPEND(n, x);
}

/* Carve a slab of nodes when the free list is empty and the cap allows. */
static bool grow(struct names *n)
{
	if (n->allocated >= n->max)
		return false;
	size_t k = n->max - n->allocated;
	if (k > NAMES_SLAB)
		k = NAMES_SLAB;
	if (n->nslabs == n->slab_cap) {
		size_t cap = n->slab_cap ? n->slab_cap * 2 : 16;
		struct name_node **s =
			realloc(n->slabs, cap * sizeof(struct name_node *));
		if (!s)
			return false;
		n->slabs = s;
		n->slab_cap = cap;
	}
	struct name_node *slab = calloc(k, sizeof(*slab));
	if (!slab)
		return false;
	n->slabs[n->nslabs++] = slab;
	n->allocated += k;
	for (size_t i = k; i-- > 0;) {
		slab[i].next = n->free_list;
		n->free_list = &slab[i];
	}
	return true;
}

/* A free node: from the free list, a new slab, or the least recently
 * learned entry (evicted and counted). */
static struct name_node *alloc_node(struct names *n)
{
	if (!n->free_list && !grow(n)) {
		if (!n->head)
			return NULL;
		WS_LRU_EVICT_TO_FREE(n, struct name_node, NC_EVICTED);
	}
	struct name_node *x = n->free_list;
	n->free_list = x->next;
	memset(x, 0, sizeof(*x));
	return x;
}

static void set_name(struct names *n, struct name_node *x, const char *name,
		     const char *canonical)
{
	size_t len = strlen(name);
	memcpy(x->e.name, name, len + 1);
	len = strlen(canonical);
	if (len < sizeof(x->e.canonical)) {
		memcpy(x->e.canonical, canonical, len + 1);
	} else {
		x->e.canonical[0] = '\0';
		n->counters[NC_TOO_LONG]++;
	}
}

/* What one answer teaches: address a is called name. */
struct lesson {
	const struct addr *addr;
	const char *name, *canonical;
	uint8_t source, rank;
	uint32_t ttl;
};

static void learn(struct names *n, const struct lesson *l, ws_time now)
{
	struct addr key;
	struct name_node *x = NULL;
	if (strlen(l->name) >= NAMES_NAME_MAX) {
		n->counters[NC_TOO_LONG]++;
		return;
	}
	memset(&key, 0, sizeof(key));
	key.family = l->addr->family;
	memcpy(key.bytes, l->addr->bytes, sizeof(key.bytes));
	HASH_FIND(hh, n->hash, &key, sizeof(key), x);
	if (x) {
		if (strcmp(x->e.name, l->name) == 0) {
			n->counters[NC_REFRESHED]++;
			if (l->rank >= x->rank) {
				x->rank = l->rank;
				x->e.source = l->source;
			}
			if (l->canonical[0])
				set_name(n, x, l->name, l->canonical);
			if (now > x->e.last_ts)
				x->e.last_ts = now; /* captures can go back */
		} else if (l->rank >= x->rank || now >= x->e.expires) {
			n->counters[NC_REPLACED]++;
			x->rank = l->rank;
			x->e.source = l->source;
			x->e.first_ts = x->e.last_ts = now;
			set_name(n, x, l->name, l->canonical);
		} else {
			n->counters[NC_KEPT]++;
			return;
		}
		x->e.ttl = l->ttl;
		x->e.expires = x->e.last_ts + WS_SEC(l->ttl);
		if (x != n->tail) {
			unlink_node(n, x);
			append_node(n, x);
		}
		return;
	}
	x = alloc_node(n);
	if (!x) {
		n->counters[NC_NOT_RECORDED]++;
		return;
	}
	x->key = key;
	x->rank = l->rank;
	x->e.addr = key;
	x->e.source = l->source;
	x->e.ttl = l->ttl;
	x->e.first_ts = x->e.last_ts = now;
	x->e.expires = now + WS_SEC(l->ttl);
	set_name(n, x, l->name, l->canonical);
	HASH_ADD(hh, n->hash, key, sizeof(key), x);
	if (!x->hh.tbl) { /* HASH_NONFATAL_OOM: the add failed */
		x->next = n->free_list;
		n->free_list = x;
		n->counters[NC_NOT_RECORDED]++;
		return;
	}
	append_node(n, x);
	n->count++;
	n->counters[NC_LEARNED]++;
}

static uint32_t name_hash(const char *s)
{
	return flow_hash(s, strlen(s));
}

/* dns_parse()'s callback: keep the records this cache may use. */
static void collect(void *ctx, const struct dns_message *m,
		    const struct dns_answer *a)
{
	struct names *n = ctx;
	(void)m;
	if (a->section == DNS_SEC_AUTHORITY ||
	    (a->section == DNS_SEC_ADDITIONAL && !n->mdns))
		return;
	if (n->nrec == NAMES_MAX_ANSWERS) {
		n->counters[NC_OVER_SCRATCH]++;
		return;
	}
	struct scratch *s = &n->rec[n->nrec++];
	s->a = *a;
	s->name_hash = name_hash(a->name);
	s->target_hash = a->target[0] ? name_hash(a->target) : 0;
}

/* Follow the CNAME records back from name (alias <- target) until the
 * question's name or the start of the chain; at most one hop per record
 * kept, so a CNAME loop ends too. */
static const char *chain_start(const struct names *n, const char *name,
			       uint32_t h, uint32_t qhash)
{
	const struct dns_message *m = &n->msg;
	for (size_t hop = 0; hop < n->nrec; hop++) {
		if (m->has_qname && h == qhash && strcmp(name, m->qname) == 0)
			break;
		const struct scratch *from = NULL;
		for (size_t i = 0; i < n->nrec && !from; i++) {
			const struct scratch *s = &n->rec[i];
			if (s->a.type == DNS_TYPE_CNAME &&
			    s->target_hash == h &&
			    strcmp(s->a.target, name) == 0)
				from = s;
		}
		if (!from)
			break;
		name = from->a.name;
		h = from->name_hash;
	}
	return name;
}

static void learn_records(struct names *n, ws_time now)
{
	uint32_t qhash = n->msg.has_qname ? name_hash(n->msg.qname) : 0;
	for (size_t i = 0; i < n->nrec; i++) {
		const struct dns_answer *a = &n->rec[i].a;
		const char *start =
			chain_start(n, a->name, n->rec[i].name_hash, qhash);
		struct lesson l = {.ttl = a->ttl};
		struct addr rev;
		switch (a->type) {
		case DNS_TYPE_A:
		case DNS_TYPE_AAAA:
			l.addr = &a->addr;
			l.name = start;
			l.canonical = start == a->name ? "" : a->name;
			l.rank = RANK_FORWARD;
			l.source = a->type == DNS_TYPE_A ? NAMES_SRC_A
							 : NAMES_SRC_AAAA;
			break;
		case DNS_TYPE_PTR:
			if (start != a->name && dns_reverse_name(start, &rev))
				l.addr = &rev;
			else if (a->addr.family != ADDR_NONE)
				l.addr = &a->addr;
			else {
				n->counters[NC_PTR_NOT_ADDR]++;
				continue;
			}
			l.name = a->target;
			l.canonical = "";
			l.rank = RANK_PTR;
			l.source = NAMES_SRC_PTR;
			break;
		default:
			continue; /* CNAME: only links a chain */
		}
		if (strcmp(l.name, ".") == 0)
			continue; /* the root names nothing */
		if (n->mdns)
			l.source = NAMES_SRC_MDNS;
		learn(n, &l, now);
	}
}

enum dns_reason names_learn_message(struct names *n, const uint8_t *buf,
				    size_t cap, size_t wire, unsigned flags,
				    ws_time now)
{
	n->nrec = 0;
	n->mdns = flags & DNS_F_MDNS;
	enum dns_reason r = dns_parse(buf, cap, wire, flags, &n->msg,
				      collect, n);
	n->dns[r]++;
	uint8_t cls = dns_reason_class[r];
	if (cls == DNS_CLASS_USED || cls == DNS_CLASS_TRUNCATED)
		learn_records(n, now);
	return r;
}

void names_learn_packet(struct names *n, const struct decoded *d,
			ws_time now)
{
	unsigned flags;
	if (d->payload_len == 0)
		return;
	if (d->proto == IPPROTO_UDP) {
		if (d->sport == NAMES_MDNS_PORT || d->dport == NAMES_MDNS_PORT)
			flags = DNS_F_MDNS;
		else if (d->sport == NAMES_DNS_PORT || d->dport == NAMES_DNS_PORT)
			flags = 0;
		else
			return;
	} else if (d->proto == IPPROTO_TCP) {
		if (d->sport != NAMES_DNS_PORT && d->dport != NAMES_DNS_PORT)
			return;
		flags = DNS_F_TCP;
	} else {
		return;
	}
	const uint8_t *p = d->payload;
	size_t cap = d->payload ? d->payload_cap : 0;
	size_t wire = d->payload_len;
	if (cap > wire)
		cap = wire;
	for (int i = 0; i < TCP_MESSAGES_MAX; i++) {
		enum dns_reason r = names_learn_message(n, p, cap, wire,
							flags, now);
		if (!(flags & DNS_F_TCP) || r == DNS_R_TRUNC_SEGMENT ||
		    dns_reason_class[r] == DNS_CLASS_MALFORMED)
			return;
		size_t used = n->msg.length;
		if (used == 0 || used >= wire || used >= cap)
			return; /* nothing, or nothing captured, follows */
		p += used;
		cap -= used;
		wire -= used;
	}
}

const struct names_entry *names_lookup(const struct names *n,
				       const struct addr *a, ws_time now,
				       unsigned flags)
{
	struct addr key;
	struct name_node *x = NULL;
	memset(&key, 0, sizeof(key));
	key.family = a->family;
	memcpy(key.bytes, a->bytes, sizeof(key.bytes));
	HASH_FIND(hh, n->hash, &key, sizeof(key), x);
	if (!x || ((flags & NAMES_FRESH_ONLY) && now >= x->e.expires))
		return NULL;
	return &x->e;
}

char *names_short(const char *name, char *buf, size_t size)
{
	size_t len = strcspn(name, ".");
	if (size == 0)
		return buf;
	if (len == 0 && name[0] == '.')
		len = 1; /* the root stays "." */
	if (len >= size)
		len = size - 1;
	memcpy(buf, name, len);
	buf[len] = '\0';
	return buf;
}

size_t names_count(const struct names *n)
{
	return n->count;
}

size_t names_capacity(const struct names *n)
{
	return n->max;
}

const struct names_entry *names_first(const struct names *n)
{
	return n->head ? &n->head->e : NULL;
}

const struct names_entry *names_next(const struct names_entry *e)
{
	const struct name_node *x = (const struct name_node *)(const void *)e;
	return x->next ? &x->next->e : NULL;
}

const uint64_t *names_counters(const struct names *n)
{
	return n->counters;
}

const uint64_t *names_dns_counters(const struct names *n)
{
	return n->dns;
}
