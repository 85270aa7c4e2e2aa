/* stats.c - the accounting of packets. */
#include "wirestat/stats.h"

uint64_t stats_decode_class(const struct stats *s, enum decode_class c)
{
	uint64_t sum = 0;
	for (int r = 0; r < DR_MAX; r++)
		if (decode_reason_class[r] == c)
			sum += s->decode[r];
	return sum;
}

bool stats_balanced(const struct stats *s)
{
	uint64_t sum = 0;
	for (int r = 0; r < DR_MAX; r++)
		sum += s->decode[r];
	return sum == s->packets;
}

static void add_u64(uint64_t *dst, const uint64_t *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dst[i] += src[i];
}

static void link_add(struct link_stats *d, const struct link_stats *s)
{
	add_u64(d->bytes, s->bytes, STATS_DIRS);
	add_u64(d->unicast, s->unicast, STATS_DIRS);
	add_u64(d->nonunicast, s->nonunicast, STATS_DIRS);
	add_u64(d->errors, s->errors, STATS_DIRS);
	add_u64(d->unknown, s->unknown, STATS_DIRS);
	d->saw_direction |= s->saw_direction;
	if (!d->dlt)
		d->dlt = s->dlt;
}

/* struct proto_stats holds nothing but uint64_t counters. */
_Static_assert(sizeof(struct proto_stats) % sizeof(uint64_t) == 0,
	       "proto_stats is an array of uint64_t");

void stats_add(struct stats *dst, const struct stats *src)
{
	dst->packets += src->packets;
	dst->bytes += src->bytes;
	add_u64(dst->decode, src->decode, DR_MAX);
	add_u64(dst->tcp, src->tcp, TR_MAX);
	dst->ts_backwards += src->ts_backwards;
	if (src->packets && (!dst->first_ts || src->first_ts < dst->first_ts))
		dst->first_ts = src->first_ts;
	if (src->last_ts > dst->last_ts)
		dst->last_ts = src->last_ts;
	add_u64((uint64_t *)(void *)&dst->proto,
		(const uint64_t *)(const void *)&src->proto,
		sizeof(src->proto) / sizeof(uint64_t));
	for (unsigned i = 0; i < src->nlinks; i++)
		link_add(&dst->links[i], &src->links[i]);
	if (src->nlinks > dst->nlinks)
		dst->nlinks = src->nlinks;
	link_add(&dst->hosts, &src->hosts);
}
