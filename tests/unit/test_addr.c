/* test_addr.c - address values: order, text, --host prefixes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit.h"

#include <arpa/inet.h>
#include <string.h>

#include "wirestat/addr.h"
#include "wirestat/common.h"

static void test_format(void **state)
{
	char buf[ADDR_STRLEN];
	(void)state;
	struct addr a = A("10.0.0.1");
	assert_string_equal(addr_format(&a, buf, sizeof(buf)), "10.0.0.1");
	assert_string_equal(addr_format_bracketed(&a, buf, sizeof(buf)),
			    "10.0.0.1");
	a = A("fd00::1");
	assert_string_equal(addr_format(&a, buf, sizeof(buf)), "fd00::1");
	assert_string_equal(addr_format_bracketed(&a, buf, sizeof(buf)),
			    "[fd00::1]");
	a = A("::ffff:192.0.2.1");
	assert_string_equal(addr_format_bracketed(&a, buf, sizeof(buf)),
			    "[::ffff:192.0.2.1]");
	a = A("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	assert_string_equal(addr_format_bracketed(&a, buf, sizeof(buf)),
			    "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]");
	memset(&a, 0, sizeof(a));
	assert_string_equal(addr_format(&a, buf, sizeof(buf)), "?");
	/* The longest text fits ADDR_STRLEN. */
	a = A("::ffff:255.255.255.255");
	memset(a.bytes, 0xff, 12); /* ffff:...:ffff:255.255.255.255-like */
	addr_format_bracketed(&a, buf, sizeof(buf));
	assert_true(strlen(buf) < ADDR_STRLEN);
	assert_int_equal(buf[0], '[');
	assert_int_equal(buf[strlen(buf) - 1], ']');
}

static void test_cmp(void **state)
{
	(void)state;
	struct addr a = A("10.0.0.1"), b = A("10.0.0.2"), c = A("9.255.255.255");
	struct addr v6 = A("::1");
	assert_true(addr_cmp(&a, &b) < 0);
	assert_true(addr_cmp(&b, &a) > 0);
	assert_true(addr_cmp(&c, &a) < 0);
	assert_int_equal(addr_cmp(&a, &a), 0);
	assert_true(addr_equal(&a, &a));
	assert_false(addr_equal(&a, &b));
	/* Every IPv4 address sorts before every IPv6 address. */
	struct addr high4 = A("255.255.255.255");
	assert_true(addr_cmp(&high4, &v6) < 0);
	assert_true(addr_cmp(&v6, &high4) > 0);
	struct addr mapped = A("::ffff:10.0.0.1");
	assert_false(addr_equal(&a, &mapped));
	struct addr x = A("fd00::1:0"), y = A("fd00::2");
	assert_true(addr_cmp(&x, &y) > 0);
}

struct pcase {
	const char *text;
	int ok;
	uint8_t family, len;
};

static void test_prefix_parse(void **state)
{
	static const struct pcase cases[] = {
		{"10.0.0.0/8", 0, ADDR_V4, 8},
		{"10.1.2.3", 0, ADDR_V4, 32},
		{"0.0.0.0/0", 0, ADDR_V4, 0},
		{"192.0.2.1/32", 0, ADDR_V4, 32},
		{"fd00::/64", 0, ADDR_V6, 64},
		{"::/0", 0, ADDR_V6, 0},
		{"fd00::1", 0, ADDR_V6, 128},
		{"fd00::1/128", 0, ADDR_V6, 128},
		{"", -1, 0, 0},
		{"/8", -1, 0, 0},
		{"10.0.0.1/", -1, 0, 0},
		{"10.0.0.1/33", -1, 0, 0},
		{"10.0.0.1/-1", -1, 0, 0},
		{"10.0.0.1/8x", -1, 0, 0},
		{"10.0.0.1/99999999999999999999999", -1, 0, 0},
		{"fd00::/129", -1, 0, 0},
		{"10.0.0.256", -1, 0, 0},
		{"host.example", -1, 0, 0},
		{"[fd00::1]", -1, 0, 0},
		{"10.0.0.1:80", -1, 0, 0},
		{"fd00:0000:0000:0000:0000:0000:0000:0000:0001/128", -1, 0, 0},
	};
	(void)state;
	for (size_t i = 0; i < WS_ARRAY_SIZE(cases); i++) {
		struct addr_prefix p;
		char err[128] = "";
		int r = addr_prefix_parse(cases[i].text, &p, err, sizeof(err));
		if (r != cases[i].ok)
			fail_msg("'%s': %d", cases[i].text, r);
		if (r == 0) {
			assert_int_equal(p.addr.family, cases[i].family);
			assert_int_equal(p.len, cases[i].len);
		} else {
			assert_non_null(strstr(err, cases[i].text));
		}
	}
	struct addr_prefix p;
	assert_int_equal(addr_prefix_parse("10.1.2.3/8", &p, NULL, 0), 0);
	struct addr want = A("10.1.2.3");
	assert_memory_equal(&p.addr, &want, sizeof(want));
}

struct mcase {
	const char *prefix, *addr;
	bool match;
};

static void test_prefix_match(void **state)
{
	static const struct mcase cases[] = {
		{"10.0.0.0/8", "10.1.2.3", true},
		{"10.0.0.0/8", "11.0.0.0", false},
		{"10.0.0.0/8", "::ffff:10.0.0.1", false},
		{"0.0.0.0/0", "203.0.113.9", true},
		{"0.0.0.0/0", "::1", false},
		{"::/0", "10.0.0.1", false},
		{"::/0", "fd00::1", true},
		{"172.16.0.0/12", "172.31.255.255", true},
		{"172.16.0.0/12", "172.32.0.0", false},
		{"172.16.0.0/12", "172.15.255.255", false},
		{"10.1.2.3/8", "10.200.0.1", true}, /* host bits ignored */
		{"192.0.2.1", "192.0.2.1", true},
		{"192.0.2.1", "192.0.2.2", false},
		{"192.0.2.0/31", "192.0.2.1", true},
		{"192.0.2.0/31", "192.0.2.2", false},
		{"fd00::/64", "fd00::1234", true},
		{"fd00::/64", "fd00:0:0:1::1", false},
		{"fd00::/127", "fd00::1", true},
		{"fd00::/127", "fd00::2", false},
		{"fd00::1", "fd00::1", true},
		{"fd00::1", "fd00::1:1", false},
		{"fd00::/8", "fc00::1", false},
		{"fd00::/7", "fc00::1", true}, /* the same prefix as fc00::/7 */
		{"fc00::/7", "fdff::1", true},
	};
	(void)state;
	for (size_t i = 0; i < WS_ARRAY_SIZE(cases); i++) {
		struct addr_prefix p;
		char err[128];
		assert_int_equal(
			addr_prefix_parse(cases[i].prefix, &p, err, sizeof(err)),
			0);
		struct addr a = A(cases[i].addr);
		if (addr_prefix_match(&p, &a) != cases[i].match)
			fail_msg("%s vs %s", cases[i].prefix, cases[i].addr);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_cmp),
		cmocka_unit_test(test_prefix_parse),
		cmocka_unit_test(test_prefix_match),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
