/* kparse.h - private to src/kernel: a bounded line reader over a FILE *,
 * a whitespace splitter and checked number parsers.  Nothing here
 * allocates. */
#ifndef WIRESTAT_KPARSE_H
#define WIRESTAT_KPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "wirestat/addr.h"
#include "wirestat/kernel.h"

/* Line buffers: the socket, route and dev files write lines of about 150
 * to 250 bytes; /proc/net/netstat's TcpExt names run past 2000. */
#define KLINE_SHORT 1024
#define KLINE_LONG 32768

/* Most whitespace-separated fields on one line of a table file. */
#define KTOK_MAX 48

struct kline {
	FILE *f;
	char *buf;
	size_t size; /* a line holds at most size - 1 bytes */
	size_t len;
	uint64_t *counters; /* [KR_MAX] */
};

void kline_init(struct kline *l, FILE *f, char *buf, size_t size,
		uint64_t *counters);

/* The next usable line in l->buf, NUL-terminated, newline removed: 1.
 * Overlong lines, lines with a NUL byte and a last line without newline
 * are skipped and counted.  0 at the end of the file. */
int kline_next(struct kline *l);

/* Whether the stream failed (as opposed to ending). */
bool kline_failed(const struct kline *l);

/* The error for a file that ended where a line was needed: "read error"
 * if it failed, else what. */
int kline_missing(const struct kline *l, char *errbuf, const char *what);

/* Split s in place at runs of spaces and tabs.  Returns the number of
 * fields, or max + 1 if there are more than max (tok then holds max). */
size_t ktok_split(char *s, char **tok, size_t max);

/* Whole-string parsers: false for an empty string, a stray character or
 * a value out of range. */
bool kparse_hex(const char *s, size_t min_digits, size_t max_digits,
		uint64_t *out);
bool kparse_dec(const char *s, uint64_t max, uint64_t *out);
/* An int printed with %d or an unsigned with %u, as 32 bits. */
bool kparse_int32(const char *s, uint32_t *out);
/* A decimal that may be negative: its two's complement in 64 bits. */
bool kparse_dec_signed(const char *s, uint64_t *out);

/* n hex digits (8 or 32) as the kernel prints host-order 32-bit words of
 * an address: each word's in-memory bytes are the address bytes. */
bool kparse_addr_words(const char *s, size_t len, struct addr *a);

/* An interface name: 1 to 15 bytes of printable ASCII, no '/' or ':'. */
bool kname_iface(const char *s, size_t len, char out[KERNEL_IFNAMSIZ]);

/* Open root/rel for reading.  NULL with errno set on failure; path gets
 * the full name (for messages). */
FILE *kopen(const char *root, const char *rel, char *path, size_t size);

/* Make room for element n of v (*alloc allocated, at most max): the array,
 * perhaps moved; or NULL, the record past the cap or out of memory and
 * counted as such (v is still valid then). */
void *kroom(void *v, size_t *alloc, size_t n, size_t max, size_t elsize,
	    uint64_t *counters);

#endif
