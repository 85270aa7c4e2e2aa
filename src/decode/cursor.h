/* cursor.h - private to the decoder: a bounds-checked view of a frame.
 *
 * A cursor knows two lengths: the bytes captured (cap) and the bytes the
 * wire carried (wire) from its position on.  cur_need() says whether n
 * more bytes are there, were cut by snaplen, or never existed; it compares
 * "n <= remaining" and never forms a pointer past the end (see tcpdump's
 * ND_TTEST_LEN).  Readers check again and read byte by byte, so no wire
 * struct is ever cast over packet memory.
 */
#ifndef WIRESTAT_DECODE_CURSOR_H
#define WIRESTAT_DECODE_CURSOR_H

#include <stdint.h>

struct cursor {
	const uint8_t *p;
	uint32_t cap;  /* bytes captured from p on */
	uint32_t wire; /* bytes on the wire from p on; cap <= wire */
};

enum cur_status { CUR_OK, CUR_TRUNCATED, CUR_MALFORMED };

static inline enum cur_status cur_need(const struct cursor *c, uint32_t n)
{
	if (n > c->wire)
		return CUR_MALFORMED;
	if (n > c->cap)
		return CUR_TRUNCATED;
	return CUR_OK;
}

/* Advance by n bytes; the caller has checked cur_need(c, n) == CUR_OK. */
static inline void cur_skip(struct cursor *c, uint32_t n)
{
	if (n > c->cap)
		n = c->cap;
	c->p += n;
	c->cap -= n;
	c->wire -= n;
}

/* Limit the wire length to what an enclosing header says (IP lengths). */
static inline void cur_limit(struct cursor *c, uint32_t wire)
{
	if (wire < c->wire)
		c->wire = wire;
	if (c->cap > c->wire)
		c->cap = c->wire;
}

static inline uint8_t cur_u8(const struct cursor *c, uint32_t off)
{
	return off < c->cap ? c->p[off] : 0;
}

static inline uint16_t cur_be16(const struct cursor *c, uint32_t off)
{
	if (c->cap < 2 || off > c->cap - 2)
		return 0;
	return (uint16_t)((c->p[off] << 8) | c->p[off + 1]);
}

static inline uint32_t cur_be32(const struct cursor *c, uint32_t off)
{
	if (c->cap < 4 || off > c->cap - 4)
		return 0;
	return ((uint32_t)c->p[off] << 24) | ((uint32_t)c->p[off + 1] << 16) |
	       ((uint32_t)c->p[off + 2] << 8) | (uint32_t)c->p[off + 3];
}

/* Little-endian and host-order reads, for BSD loopback headers. */
static inline uint32_t cur_le32(const struct cursor *c, uint32_t off)
{
	if (c->cap < 4 || off > c->cap - 4)
		return 0;
	return ((uint32_t)c->p[off + 3] << 24) |
	       ((uint32_t)c->p[off + 2] << 16) |
	       ((uint32_t)c->p[off + 1] << 8) | (uint32_t)c->p[off];
}

static inline void cur_copy(const struct cursor *c, uint32_t off, uint8_t *dst,
			    uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		dst[i] = cur_u8(c, off + i);
}

#endif
