/* unit.h - helpers the unit tests share.  Include after <cmocka.h>. */
#ifndef WIRESTAT_TESTS_UNIT_H
#define WIRESTAT_TESTS_UNIT_H

#include <arpa/inet.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wirestat/addr.h"

/* An address from its text, IPv4 or IPv6; a test that mistypes one
 * fails. */
static inline struct addr A(const char *text)
{
	struct addr a;
	memset(&a, 0, sizeof(a));
	if (inet_pton(AF_INET, text, a.bytes) == 1)
		a.family = ADDR_V4;
	else if (inet_pton(AF_INET6, text, a.bytes) == 1)
		a.family = ADDR_V6;
	else
		fail_msg("bad address %s", text);
	return a;
}

/* The fixture tree (tests/unit/fixtures) into buf: $KERNEL_FIXTURES, else
 * beside the test's source file (src: __FILE__, as meson compiles it). */
static inline void unit_fixtures(char *buf, size_t size, const char *src)
{
	const char *env = getenv("KERNEL_FIXTURES");
	if (env) {
		snprintf(buf, size, "%s", env);
	} else {
		char dir[4096];
		snprintf(dir, sizeof(dir), "%s", src);
		snprintf(buf, size, "%s/fixtures", dirname(dir));
	}
}

#endif
