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
