/* addr.h - IPv4/IPv6 addresses as plain values: compare, format, match. */
#ifndef WIRESTAT_ADDR_H
#define WIRESTAT_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum addr_family { ADDR_NONE = 0, ADDR_V4 = 4, ADDR_V6 = 6 };

/* An IPv4 address uses bytes[0..3]; the rest stays zero so that memcmp
 * and hashing over the whole struct are well defined. */
struct addr {
	uint8_t family; /* enum addr_family */
	uint8_t bytes[16];
};

/* A prefix, as given to --host ADDR[/LEN]. */
struct addr_prefix {
	struct addr addr;
	uint8_t len; /* prefix length in bits */
};

/* Longest text addr_format() writes, with brackets, plus NUL. */
#define ADDR_STRLEN 48

int addr_cmp(const struct addr *a, const struct addr *b);
bool addr_equal(const struct addr *a, const struct addr *b);

/* Plain text ("10.0.0.1", "fd00::1"); returns buf. */
char *addr_format(const struct addr *a, char *buf, size_t size);

/* As it appears before ":port" in a table: IPv6 in brackets. */
char *addr_format_bracketed(const struct addr *a, char *buf, size_t size);

/* Parse "ADDR" or "ADDR/LEN" (IPv4 or IPv6). 0, or -1 with errbuf filled. */
int addr_prefix_parse(const char *text, struct addr_prefix *out,
		      char *errbuf, size_t errlen);

bool addr_prefix_match(const struct addr_prefix *p, const struct addr *a);

#endif
