/* test_services.c - the services(5) reader, over files written here. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wirestat/common.h"
#include "wirestat/services.h"

/* Write text to a fresh temporary file; returns its path (free it). */
static char *write_file(const char *text, size_t len)
{
	const char *dir = getenv("TMPDIR");
	char *path;
	assert_true(asprintf(&path, "%s/wirestat-services-XXXXXX",
			     dir ? dir : "/tmp") > 0);
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
	return path;
}

static struct services *load_text(const char *text, size_t len)
{
	char err[WS_ERRBUF_SIZE] = "";
	char *path = write_file(text, len);
	struct services *s = services_load(path, err);
	unlink(path);
	free(path);
	if (!s)
		fail_msg("services_load: %s", err);
	return s;
}

static void test_parse(void **state)
{
	(void)state;
	char longname[40], longline[2100], fits[1100], text[8192];
	memset(longname, 'n', 33);
	longname[33] = '\0';
	memset(longline, 'x', 2000);
	memcpy(longline, "toolong 88/tcp ", 15);
	longline[2000] = '\0';
	/* 1022 characters and the newline: the longest line that fits. */
	snprintf(fits, sizeof(fits), "fits 87/tcp #%1009s", "");
	assert_int_equal(strlen(fits), 1022);

	int n = snprintf(text, sizeof(text),
		"# /etc/services\n"
		"\n"
		"tcpmux\t\t1/tcp\t\t\t# TCP port service multiplexer\n"
		"echo\t\t7/tcp\n"
		"echo\t\t7/udp\n"
		"http\t\t80/tcp\t\twww\t# WorldWideWeb HTTP\n"
		"www-alt\t\t80/tcp\n"
		"domain\t\t53/udp\n"
		"domain\t\t53/tcp\n"
		"sctp-only\t9/sctp\n"
		"lonely-name\n"
		"noslash\t\t81\n"
		"slashfirst\t/tcp\n"
		"big\t\t70000/tcp\n"
		"negative\t-1/tcp\n"
		"letters\t\t8x/tcp\n"
		"%s 82/tcp\n"
		"%.32s 83/tcp\n"
		"%s\n"
		"after-long\t84/tcp\n"
		"%s\n"
		"   \tindented\t85/udp \t # trailing blanks\n"
		"crlf\t\t86/tcp\r\n"
		"zero\t\t0/tcp\n"
		"max\t\t65535/udp\n"
		"last\t\t9999/tcp",
		longname, longname, longline, fits);
	assert_true(n > 0 && (size_t)n < sizeof(text));
	struct services *s = load_text(text, (size_t)n);

	assert_int_equal(services_count(s), 15);
	/* lonely-name, noslash, slashfirst, big, negative, letters, the
	 * 33-character name and the over-long line. */
	assert_int_equal(services_skipped(s), 8);

	assert_string_equal(services_name(s, 1, "tcp"), "tcpmux");
	assert_string_equal(services_name(s, 7, "tcp"), "echo");
	assert_string_equal(services_name(s, 7, "udp"), "echo");
	/* The first name given for a port wins, as getservbyport(). */
	assert_string_equal(services_name(s, 80, "tcp"), "http");
	assert_null(services_name(s, 80, "udp"));
	assert_string_equal(services_name(s, 53, "udp"), "domain");
	assert_string_equal(services_name(s, 53, "tcp"), "domain");
	assert_null(services_name(s, 9, "tcp"));
	assert_null(services_name(s, 9, "udp"));
	assert_null(services_name(s, 81, "tcp"));
	assert_null(services_name(s, 70000 & 0xffff, "tcp"));
	assert_null(services_name(s, 82, "tcp"));
	assert_string_equal(services_name(s, 83, "tcp"), longname + 1);
	assert_null(services_name(s, 88, "tcp"));
	assert_string_equal(services_name(s, 84, "tcp"), "after-long");
	assert_string_equal(services_name(s, 87, "tcp"), "fits");
	assert_string_equal(services_name(s, 85, "udp"), "indented");
	assert_null(services_name(s, 85, "tcp"));
	assert_string_equal(services_name(s, 86, "tcp"), "crlf");
	assert_string_equal(services_name(s, 0, "tcp"), "zero");
	assert_string_equal(services_name(s, 65535, "udp"), "max");
	assert_string_equal(services_name(s, 9999, "tcp"), "last");
	assert_null(services_name(s, 9998, "tcp"));
	services_free(s);
}

/* Thousands of entries, in no order: every one is found. */
static void test_many(void **state)
{
	(void)state;
	size_t cap = 200000, len = 0;
	char *text = malloc(cap);
	assert_non_null(text);
	for (int i = 0; i < 3000; i++) {
		int port = (i * 7919) % 60000 + 1; /* distinct, shuffled */
		len += (size_t)snprintf(text + len, cap - len,
					"svc%d %d/%s\n", port, port,
					i % 2 ? "udp" : "tcp");
	}
	struct services *s = load_text(text, len);
	free(text);
	assert_int_equal(services_count(s), 3000);
	assert_int_equal(services_skipped(s), 0);
	for (int i = 0; i < 3000; i++) {
		int port = (i * 7919) % 60000 + 1;
		char want[16];
		snprintf(want, sizeof(want), "svc%d", port);
		const char *mine = i % 2 ? "udp" : "tcp";
		const char *other = i % 2 ? "tcp" : "udp";
		const char *got = services_name(s, (uint16_t)port, mine);
		assert_non_null(got);
		assert_string_equal(got, want);
		got = services_name(s, (uint16_t)port, other);
		if (got) /* only if the other protocol has that port too */
			assert_true(strcmp(got, want) == 0);
	}
	services_free(s);
}

static void test_empty_and_missing(void **state)
{
	char err[WS_ERRBUF_SIZE] = "";
	(void)state;
	struct services *s = load_text("", 0);
	assert_int_equal(services_count(s), 0);
	assert_null(services_name(s, 80, "tcp"));
	services_free(s);
	assert_null(services_name(NULL, 80, "tcp"));
	services_free(NULL);

	assert_null(services_load("/nonexistent/wirestat/services", err));
	assert_non_null(strstr(err, "/nonexistent/wirestat/services"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_empty_and_missing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
