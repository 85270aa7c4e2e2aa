/* hash_config.h - private: how wirestat's tables configure uthash.
 * Include it before any header that includes <uthash.h>.
 *
 * - The hash is flow_hash(), seeded at start, so that crafted traffic
 *   cannot predict which flows share a bucket.
 * - Allocation failures are not fatal: the add fails, the caller sees the
 *   item missing from the table and counts it (HASH_NONFATAL_OOM).
 */
#ifndef WIRESTAT_FLOW_HASH_CONFIG_H
#define WIRESTAT_FLOW_HASH_CONFIG_H

#include <stddef.h>
#include <stdint.h>

uint32_t flow_hash(const void *key, size_t len);

#define HASH_FUNCTION(keyptr, keylen, hashv) \
	((hashv) = flow_hash((keyptr), (size_t)(keylen)))
#define HASH_NONFATAL_OOM 1

/* Keys are a few words long: compare inline instead of calling memcmp. */
static inline int ws_key_cmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;
	uint64_t d = 0;
	for (; n >= 8; n -= 8, x += 8, y += 8) {
		uint64_t u, v;
		__builtin_memcpy(&u, x, 8);
		__builtin_memcpy(&v, y, 8);
		d |= u ^ v;
	}
	for (; n; n--)
		d |= (uint64_t)(*x++ ^ *y++);
	return d != 0;
}
#define HASH_KEYCMP(a, b, n) ws_key_cmp((a), (b), (size_t)(n))

#include <uthash.h>

#endif
