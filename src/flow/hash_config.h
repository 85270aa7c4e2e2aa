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

#include <uthash.h>

#endif
