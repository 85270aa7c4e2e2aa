/* test_kernel.c - the kernel readers on fixture trees: a clean host
 * (fixtures/proc) and one with every kind of malformed line between good
 * ones (fixtures/proc-bad), plus in-memory files for what a text fixture
 * cannot hold (NUL bytes, overlong lines, caps) and ctnetlink messages
 * built with libnetfilter_conntrack.
 *
 * The fixtures were written on a little-endian host: the socket and IPv4
 * route tests that check addresses skip on a big-endian one (the kernel
 * there writes the words the other way round). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <linux/netlink.h>

#include "wirestat/kernel.h"
#include "wirestat/tcp.h"

static char fixtures[4096];

static const char *fx(const char *sub)
{
	static char path[8192];
	snprintf(path, sizeof(path), "%s/%s", fixtures, sub);
	return path;
}

static FILE *fx_open(const char *sub)
{
	FILE *f = fopen(fx(sub), "r");
	if (!f)
		fail_msg("cannot open fixture %s: %s", fx(sub),
			 strerror(errno));
	return f;
}

/* An in-memory file of exactly len bytes (NUL bytes allowed). */
static FILE *mem(const char *text, size_t len)
{
	FILE *f = fmemopen((void *)(uintptr_t)text, len, "r");
	if (!f)
		fail_msg("fmemopen: %s", strerror(errno));
	return f;
}

static FILE *memstr(const char *text)
{
	return mem(text, strlen(text));
}

static bool little_endian(void)
{
	const uint16_t one = 1;
	uint8_t b;
	memcpy(&b, &one, 1);
	return b == 1;
}

#define assert_addr(a, text)                                        \
	do {                                                        \
		struct addr want_ = A(text);                        \
		assert_true(addr_equal(&(a), &want_));              \
	} while (0)

/* Every counter of c[] is zero but those listed: pairs of (reason,
 * value), ended by KR_MAX. */
static void expect_counters(const uint64_t *c, ...)
{
	uint64_t want[KR_MAX] = {0};
	va_list ap;
	va_start(ap, c);
	for (;;) {
		int r = va_arg(ap, int);
		if (r == KR_MAX)
			break;
		want[r] = va_arg(ap, uint64_t);
	}
	va_end(ap);
	for (int r = 0; r < KR_MAX; r++)
		if (c[r] != want[r])
			fail_msg("%s: %llu, expected %llu",
				 kernel_reason_names[r],
				 (unsigned long long)c[r],
				 (unsigned long long)want[r]);
}

#define C(r, v) (int)(r), (uint64_t)(v)
#define END (int)KR_MAX

/* ---- sockets ---- */

static const struct kernel_socket *find_sock(const struct kernel_sockets *s,
					     const char *proto, uint16_t port,
					     uint16_t rport)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(kernel_socket_proto(&s->v[i]), proto) == 0 &&
		    s->v[i].local_port == port && s->v[i].remote_port == rport)
			return &s->v[i];
	fail_msg("no %s socket %u -> %u", proto, port, rport);
	return NULL;
}

static void test_sockets_fixture(void **state)
{
	struct kernel_sockets s;
	char err[WS_ERRBUF_SIZE] = "";
	(void)state;
	if (!little_endian())
		skip();
	kernel_sockets_init(&s, KERNEL_MAX_SOCKETS);
	assert_int_equal(kernel_read_sockets(fx("proc"), 0, &s, err), 0);
	assert_int_equal(s.n, 7 + 3 + 2 + 1);
	expect_counters(s.counters, C(KR_RECORDS, 13), END);

	const struct kernel_socket *k = find_sock(&s, "tcp", 8080, 0);
	assert_addr(k->local, "127.0.0.1");
	assert_addr(k->remote, "0.0.0.0");
	assert_int_equal(k->state, TCP_LISTENING);
	assert_int_equal(k->kstate, 0x0A);
	assert_int_equal(k->proto, IPPROTO_TCP);
	assert_int_equal(k->uid, 1000);
	assert_int_equal(k->inode, 41001);

	k = find_sock(&s, "tcp", 22, 50000);
	assert_addr(k->local, "10.0.0.2");
	assert_addr(k->remote, "10.0.0.1");
	assert_int_equal(k->state, TCP_ESTABLISHED);
	assert_int_equal(k->timer, KTIMER_KEEPALIVE);
	assert_int_equal(k->timer_ticks, 0xA7D4B);

	k = find_sock(&s, "tcp", 54321, 443);
	assert_int_equal(k->state, TCP_TIME_WAIT);
	assert_int_equal(k->timer, KTIMER_TIME_WAIT);
	assert_int_equal(k->inode, 0);

	k = find_sock(&s, "tcp", 22, 57345); /* a request socket: 03 */
	assert_int_equal(k->state, TCP_SYN_RECEIVED);
	assert_int_equal(k->retransmits, 2);
	k = find_sock(&s, "tcp", 22, 40000); /* NEW_SYN_RECV: 0C */
	assert_int_equal(k->state, TCP_SYN_RECEIVED);
	assert_int_equal(k->kstate, 12);

	k = find_sock(&s, "tcp", 49152, 80);
	assert_int_equal(k->state, TCP_SYN_SENT);
	assert_int_equal(k->tx_queue, 1);
	assert_int_equal(k->retransmits, 3);

	k = find_sock(&s, "tcp", 5432, 33000);
	assert_addr(k->local, "192.168.1.10");
	assert_int_equal(k->state, TCP_CLOSE_WAIT);
	assert_int_equal(k->tx_queue, 0x10);
	assert_int_equal(k->rx_queue, 0x200);

	k = find_sock(&s, "tcp6", 22, 0);
	assert_addr(k->local, "::");
	assert_int_equal(k->local.family, ADDR_V6);
	k = find_sock(&s, "tcp6", 443, 40001);
	assert_addr(k->local, "fd00::2");
	assert_addr(k->remote, "fd00::9");
	assert_int_equal(k->tx_queue, 0x20);
	assert_int_equal(k->timer, KTIMER_RETRANSMIT);
	k = find_sock(&s, "tcp6", 8443, 41000);
	assert_addr(k->local, "::ffff:10.0.0.2");
	assert_addr(k->remote, "::ffff:10.0.0.8");
	assert_int_equal(k->state, TCP_FIN_WAIT_1);

	k = find_sock(&s, "udp", 68, 0);
	assert_int_equal(k->proto, IPPROTO_UDP);
	assert_int_equal(k->state, TCP_CLOSED); /* 07: not connected */
	assert_int_equal(k->inode, 42001);
	k = find_sock(&s, "udp", 45000, 53);
	assert_int_equal(k->state, TCP_ESTABLISHED); /* 01: connected */
	assert_addr(k->remote, "10.0.0.53");
	assert_int_equal(k->uid, 101);
	assert_int_equal(k->rx_queue, 0x300);
	k = find_sock(&s, "udp6", 546, 0);
	assert_int_equal(k->inode, 52001);
	kernel_sockets_free(&s);
}

static void test_sockets_malformed(void **state)
{
	struct kernel_sockets s;
	char err[WS_ERRBUF_SIZE] = "";
	(void)state;
	if (!little_endian())
		skip();
	kernel_sockets_init(&s, 100);
	FILE *f = fx_open("proc-bad/net/tcp");
	assert_int_equal(kernel_parse_sockets(f, KSF_TCP, &s, err), 0);
	fclose(f);
	/* the good lines around the bad ones */
	assert_int_equal(s.n, 3);
	assert_int_equal(s.v[0].inode, 41001);
	assert_int_equal(s.v[1].inode, UINT64_MAX);
	assert_int_equal(s.v[2].timer, 7); /* an unknown kind, kept */
	expect_counters(s.counters, C(KR_RECORDS, 3), C(KR_FIELD_COUNT, 2),
			C(KR_BAD_ADDRESS, 5), C(KR_BAD_STATE, 2),
			C(KR_BAD_NUMBER, 10), C(KR_NO_NEWLINE, 1), END);
	kernel_sockets_free(&s);

	kernel_sockets_init(&s, 100);
	f = fx_open("proc-bad/net/tcp6");
	assert_int_equal(kernel_parse_sockets(f, KSF_TCP6, &s, err), 0);
	fclose(f);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.v[0].inode, 51001);
	expect_counters(s.counters, C(KR_RECORDS, 1), C(KR_BAD_ADDRESS, 2),
			END);
	kernel_sockets_free(&s);

	kernel_sockets_init(&s, 100);
	f = fx_open("proc-bad/net/udp");
	assert_int_equal(kernel_parse_sockets(f, KSF_UDP, &s, err), 0);
	fclose(f);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.v[0].state, TCP_CLOSED);
	expect_counters(s.counters, C(KR_RECORDS, 1), C(KR_BAD_STATE, 1),
			C(KR_FIELD_COUNT, 1), END);
	kernel_sockets_free(&s);
}

static const char tcp_header[] =
	"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when "
	"retrnsmt   uid  timeout inode\n";
static const char tcp_line[] =
	"   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 "
	"00000000  1000        0 41001 1 0000000000000000 100 0 0 10 0\n";

/* What a text fixture cannot hold: a NUL byte, a line longer than the
 * buffer; and the good lines either side still read. */
static void test_sockets_nul_and_long_lines(void **state)
{
	struct kernel_sockets s;
	char err[WS_ERRBUF_SIZE];
	static char buf[8192];
	(void)state;
	size_t n = 0;
	memcpy(buf + n, tcp_header, strlen(tcp_header));
	n += strlen(tcp_header);
	memcpy(buf + n, tcp_line, strlen(tcp_line));
	n += strlen(tcp_line);
	memcpy(buf + n, tcp_line, strlen(tcp_line)); /* with a NUL */
	buf[n + 10] = '\0';
	n += strlen(tcp_line);
	memset(buf + n, 'A', 3000); /* an overlong line */
	n += 3000;
	buf[n++] = '\n';
	memcpy(buf + n, tcp_line, strlen(tcp_line));
	n += strlen(tcp_line);
	kernel_sockets_init(&s, 100);
	FILE *f = mem(buf, n);
	assert_int_equal(kernel_parse_sockets(f, KSF_TCP, &s, err), 0);
	fclose(f);
	assert_int_equal(s.n, 2);
	expect_counters(s.counters, C(KR_RECORDS, 2), C(KR_NUL_BYTE, 1),
			C(KR_LONG_LINE, 1), END);
	kernel_sockets_free(&s);
}

static void test_sockets_headers(void **state)
{
	static const struct {
		const char *text;
		const char *error; /* a part of the message */
	} cases[] = {
		{"", "no header line"},
		{"  sl  local_address rem_address   st tx_queue rx_queue tr "
		 "tm->when retrnsmt   uid  timeout\n",
		 "no 'inode' column"},
		{"  sl  local_address st tx_queue rx_queue tr tm->when "
		 "retrnsmt uid timeout inode\n",
		 "no 'rem_address' column"},
		{"  sl  local_address rem_address st rx_queue tx_queue tr "
		 "tm->when retrnsmt uid timeout inode\n",
		 "'rx_queue' out of place"},
		{"  sl  local_address rem_address st tx_queue rx_queue tr "
		 "tm->when retrnsmt uid uid timeout inode\n",
		 "names 'uid' twice"},
		{"a b c d e f g h i j k l m n o p q r s t u v w x y z "
		 "a b c d e f g h i j k l m n o p q r s t u v w x y z\n",
		 "more than"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct kernel_sockets s;
		char err[WS_ERRBUF_SIZE] = "";
		kernel_sockets_init(&s, 100);
		FILE *f = mem(cases[i].text, strlen(cases[i].text));
		assert_int_equal(kernel_parse_sockets(f, KSF_TCP, &s, err), -1);
		fclose(f);
		if (!strstr(err, cases[i].error))
			fail_msg("case %zu: '%s' lacks '%s'", i, err,
				 cases[i].error);
		kernel_sockets_free(&s);
	}

	/* Columns the reader does not know, between known ones. */
	struct kernel_sockets s;
	char err[WS_ERRBUF_SIZE] = "";
	static const char odd[] =
		"sl local_address extra rem_address st tx_queue rx_queue tr "
		"tm->when retrnsmt uid timeout inode\n"
		"0: 0100007F:1F90 zzz 00000000:0000 0A 00000000:00000000 "
		"00:00000000 00000000 1000 0 41001\n";
	kernel_sockets_init(&s, 100);
	FILE *f = memstr(odd);
	assert_int_equal(kernel_parse_sockets(f, KSF_TCP, &s, err), 0);
	fclose(f);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.v[0].inode, 41001);
	assert_int_equal(s.v[0].local_port, 8080);
	kernel_sockets_free(&s);
}

static void test_sockets_cap(void **state)
{
	struct kernel_sockets s;
	char err[WS_ERRBUF_SIZE];
	static char buf[4096];
	(void)state;
	snprintf(buf, sizeof(buf), "%s%s%s%s%s", tcp_header, tcp_line,
		 tcp_line, tcp_line, tcp_line);
	kernel_sockets_init(&s, 3);
	FILE *f = memstr(buf);
	assert_int_equal(kernel_parse_sockets(f, KSF_TCP, &s, err), 0);
	fclose(f);
	assert_int_equal(s.n, 3);
	expect_counters(s.counters, C(KR_RECORDS, 3), C(KR_OVER_CAP, 1), END);
	kernel_sockets_free(&s);

	kernel_sockets_init(&s, 0);
	f = memstr(buf);
	assert_int_equal(kernel_parse_sockets(f, KSF_TCP, &s, err), 0);
	fclose(f);
	assert_int_equal(s.n, 0);
	expect_counters(s.counters, C(KR_OVER_CAP, 4), END);
	kernel_sockets_free(&s);
}

static void test_sockets_files(void **state)
{
	struct kernel_sockets s;
	char err[WS_ERRBUF_SIZE] = "";
	(void)state;
	/* proc-bad has tcp, tcp6 and udp but no udp6: counted */
	kernel_sockets_init(&s, 100);
	assert_int_equal(kernel_read_sockets(fx("proc-bad"),
					     1u << KSF_UDP | 1u << KSF_UDP6,
					     &s, err),
			 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.counters[KR_FILE_MISSING], 1);
	kernel_sockets_free(&s);

	kernel_sockets_init(&s, 100);
	assert_int_equal(kernel_read_sockets(fx("no-such-dir"), 0, &s, err),
			 -1);
	assert_non_null(strstr(err, "no socket tables under"));
	assert_int_equal(s.counters[KR_FILE_MISSING], 4);
	kernel_sockets_free(&s);

	/* a header the reader cannot use: the path is in the message */
	kernel_sockets_init(&s, 100);
	assert_int_equal(kernel_read_sockets(fx("proc-noheader"), 0, &s, err),
			 -1);
	assert_non_null(strstr(err, "proc-noheader/net/tcp: header has no"));
	kernel_sockets_free(&s);
}

/* ---- owners ---- */

/* ---- this host's addresses and the per-report snapshot ---- */

static void test_addrs(void **state)
{
	struct kernel_addrs a;
	char err[WS_ERRBUF_SIZE];
	const char *const text[] = {"fd00::1", "10.0.0.2", "127.0.0.1",
				    "10.0.0.1"};
	(void)state;
	kernel_addrs_init(&a, 3);
	for (size_t i = 0; i < 4; i++) {
		struct addr x = A(text[i]);
		assert_int_equal(kernel_addrs_add(&a, &x, 24, "eth0"), i < 3);
	}
	kernel_addrs_sort(&a);
	expect_counters(a.counters, C(KR_RECORDS, 3), C(KR_OVER_CAP, 1), END);
	struct addr x = A("10.0.0.2");
	assert_true(kernel_addrs_has(&a, &x));
	x = A("10.0.0.1"); /* over the cap */
	assert_false(kernel_addrs_has(&a, &x));
	x = A("::ffff:10.0.0.2"); /* another family */
	assert_false(kernel_addrs_has(&a, &x));
	x = A("fd00::1");
	assert_true(kernel_addrs_has(&a, &x));
	assert_null(kernel_addrs_mac(&a, "eth0"));
	/* the calling process's own: whatever they are, each is found */
	kernel_addrs_free(&a);
	kernel_addrs_init(&a, KERNEL_MAX_ADDRS);
	assert_int_equal(kernel_read_addrs(&a, err), 0);
	for (size_t i = 0; i < a.n; i++)
		assert_true(kernel_addrs_has(&a, &a.v[i].addr));
	kernel_addrs_free(&a);
}

static void test_host_snapshot(void **state)
{
	struct kernel_host h;
	char err[WS_ERRBUF_SIZE] = "";
	(void)state;
	kernel_host_init(&h);
	assert_int_equal(kernel_host_read(&h, fx("proc"),
					  KH_SOCKETS | KH_OWNERS, err),
			 0);
	assert_int_equal(h.have, KH_SOCKETS | KH_OWNERS);
	assert_int_equal(h.sockets.n, 7 + 3 + 2 + 1);
	const struct kernel_owner *o = kernel_owner_find(&h.owners, 41002);
	assert_non_null(o);
	assert_int_equal(o->pid, 100);
	assert_int_equal(o->npids, 2);
	/* read again: the tables start over, they do not grow */
	assert_int_equal(kernel_host_read(&h, fx("proc"),
					  KH_SOCKETS | KH_OWNERS, err),
			 0);
	assert_int_equal(h.sockets.n, 7 + 3 + 2 + 1);
	assert_int_equal(h.sockets.counters[KR_RECORDS], 13);
	/* no socket tables: an error */
	assert_int_equal(kernel_host_read(&h, fx("no-such-root"), KH_SOCKETS,
					  err),
			 -1);
	assert_non_null(strstr(err, "no-such-root"));
	kernel_host_free(&h);
}

static void test_socket_links(void **state)
{
	uint64_t inode = 0;
	static const char *const bad[] = {
		"socket:[]",	  "socket:[12x]", "socket:[-1]",
		"socket:12",	  "socket:[12",   "pipe:[12]",
		"socket:[ 12]",	  "socket:[18446744073709551616]",
		"anon_inode:[eventpoll]", "",
	};
	(void)state;
	assert_true(kernel_parse_socket_link("socket:[41001]", 14, &inode));
	assert_int_equal(inode, 41001);
	assert_true(kernel_parse_socket_link("socket:[18446744073709551615]",
					     29, &inode));
	assert_int_equal(inode, UINT64_MAX);
	/* only len bytes count */
	assert_true(kernel_parse_socket_link("socket:[7]xyz", 10, &inode));
	assert_int_equal(inode, 7);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (kernel_parse_socket_link(bad[i], strlen(bad[i]), &inode))
			fail_msg("accepted '%s'", bad[i]);
}

static void test_comm(void **state)
{
	char comm[KERNEL_COMM_LEN];
	(void)state;
	assert_true(kernel_parse_comm("sshd\n", 5, comm));
	assert_string_equal(comm, "sshd");
	assert_true(kernel_parse_comm("a\001b\377\n", 5, comm));
	assert_string_equal(comm, "a?b?");
	assert_true(kernel_parse_comm("\n", 1, comm));
	assert_string_equal(comm, "");
	assert_true(kernel_parse_comm("123456789012345\n", 16, comm));
	assert_string_equal(comm, "123456789012345");
	assert_false(kernel_parse_comm("1234567890123456\n", 17, comm));
	assert_false(kernel_parse_comm("sshd", 4, comm));
	assert_string_equal(comm, "");
	assert_false(kernel_parse_comm("a\nb\n", 4, comm));
	assert_false(kernel_parse_comm("", 0, comm));
}

static void test_owners_fixture(void **state)
{
	struct kernel_owners o;
	char err[WS_ERRBUF_SIZE] = "";
	(void)state;
	kernel_owners_init(&o, KERNEL_MAX_OWNERS, KERNEL_MAX_PROCS);
	assert_int_equal(kernel_read_owners(fx("proc"), &o, err), 0);
	assert_int_equal(o.n, 5);
	/* 400 has no fd directory, 500's fd is a file: both vanished */
	expect_counters(o.counters, C(KR_RECORDS, 5), C(KR_PROC_VANISHED, 2),
			END);
	for (size_t i = 1; i < o.n; i++)
		assert_true(o.v[i - 1].inode < o.v[i].inode);

	const struct kernel_owner *w = kernel_owner_find(&o, 41001);
	assert_non_null(w);
	assert_int_equal(w->pid, 100);
	assert_int_equal(w->npids, 1);
	assert_string_equal(w->comm, "sshd");
	/* held by 100 (twice: fds 4 and 6) and by 200 */
	w = kernel_owner_find(&o, 41002);
	assert_non_null(w);
	assert_int_equal(w->pid, 100);
	assert_int_equal(w->npids, 2);
	assert_string_equal(w->comm, "sshd");
	w = kernel_owner_find(&o, 42001);
	assert_non_null(w);
	assert_int_equal(w->pid, 200);
	assert_string_equal(w->comm, "worker");
	w = kernel_owner_find(&o, 51001);
	assert_non_null(w);
	assert_int_equal(w->pid, 300);
	assert_string_equal(w->comm, "b?d?name");
	w = kernel_owner_find(&o, 52001); /* no comm file */
	assert_non_null(w);
	assert_int_equal(w->pid, 600);
	assert_string_equal(w->comm, "");
	assert_null(kernel_owner_find(&o, 99999)); /* "0123" is no pid */
	assert_null(kernel_owner_find(&o, 12));
	assert_null(kernel_owner_find(&o, 0));
	kernel_owners_free(&o);

	assert_int_equal(kernel_read_owners(fx("no-such-dir"), &o, err), -1);
	assert_non_null(strstr(err, "no-such-dir"));
}

static void test_owners_caps(void **state)
{
	struct kernel_owners o;
	char err[WS_ERRBUF_SIZE] = "";
	(void)state;
	/* two processes walked, the rest counted */
	kernel_owners_init(&o, KERNEL_MAX_OWNERS, 2);
	assert_int_equal(kernel_read_owners(fx("proc"), &o, err), 0);
	assert_int_equal(o.counters[KR_PROC_OVER_CAP], 4);
	kernel_owners_free(&o);
	/* three (inode, pid) pairs kept, the other four counted */
	kernel_owners_init(&o, 3, KERNEL_MAX_PROCS);
	assert_int_equal(kernel_read_owners(fx("proc"), &o, err), 0);
	assert_int_equal(o.counters[KR_OVER_CAP], 4);
	assert_true(o.n <= 3);
	kernel_owners_free(&o);
}

/* A process whose fd directory cannot be read: a tree made here, walked
 * by a child that is not root (root reads everything). */
static void test_owners_not_permitted(void **state)
{
	char root[] = "/tmp/wskr-owners-XXXXXX";
	char path[256];
	(void)state;
	assert_non_null(mkdtemp(root));
	snprintf(path, sizeof(path), "%s/10", root);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/10/fd", root);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/10/fd/3", root);
	assert_int_equal(symlink("socket:[77]", path), 0);
	snprintf(path, sizeof(path), "%s/11", root);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/11/fd", root);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/11/fd/4", root);
	assert_int_equal(symlink("socket:[78]", path), 0);
	assert_int_equal(chmod(root, 0755), 0);
	snprintf(path, sizeof(path), "%s/10/fd", root);
	assert_int_equal(chmod(path, geteuid() == 0 ? 0700 : 0), 0);

	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		struct kernel_owners o;
		char err[WS_ERRBUF_SIZE];
		if (geteuid() == 0 &&
		    (setgid(65534) != 0 || setuid(65534) != 0))
			_exit(77); /* no such uid here: skipped */
		kernel_owners_init(&o, 100, 100);
		if (kernel_read_owners(root, &o, err) != 0)
			_exit(11);
		if (o.counters[KR_PROC_NOT_PERMITTED] != 1)
			_exit(12);
		if (o.n != 1 || o.v[0].inode != 78 || o.v[0].pid != 11)
			_exit(13);
		kernel_owners_free(&o);
		_exit(0);
	}
	int status = 0;
	assert_int_equal(waitpid(child, &status, 0), child);
	snprintf(path, sizeof(path), "%s/10/fd", root);
	chmod(path, 0700);
	snprintf(path, sizeof(path), "%s/10/fd/3", root);
	unlink(path);
	snprintf(path, sizeof(path), "%s/10/fd", root);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/10", root);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/11/fd/4", root);
	unlink(path);
	snprintf(path, sizeof(path), "%s/11/fd", root);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/11", root);
	rmdir(path);
	rmdir(root);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77)
		skip();
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---- routes ---- */

static void test_routes_fixture(void **state)
{
	struct kernel_routes r;
	char err[WS_ERRBUF_SIZE] = "";
	(void)state;
	if (!little_endian())
		skip();
	kernel_routes_init(&r, KERNEL_MAX_ROUTES);
	assert_int_equal(kernel_read_routes(fx("proc"), &r, err), 0);
	assert_int_equal(r.n, 4 + 6);
	expect_counters(r.counters, C(KR_RECORDS, 10), END);

	const struct kernel_route *rt = &r.v[0]; /* default via 10.0.0.1 */
	assert_addr(rt->dst, "0.0.0.0");
	assert_int_equal(rt->dst_len, 0);
	assert_addr(rt->gateway, "10.0.0.1");
	assert_int_equal(rt->flags, KERNEL_RTF_UP | KERNEL_RTF_GATEWAY);
	assert_int_equal(rt->metric, 100);
	assert_string_equal(rt->iface, "eth0");
	rt = &r.v[1];
	assert_addr(rt->dst, "10.0.0.0");
	assert_int_equal(rt->dst_len, 24);
	assert_addr(rt->gateway, "0.0.0.0");
	rt = &r.v[2];
	assert_addr(rt->dst, "192.168.50.7");
	assert_int_equal(rt->dst_len, 32);
	assert_int_equal(rt->flags & KERNEL_RTF_HOST, KERNEL_RTF_HOST);
	assert_int_equal(rt->mtu, 1420);
	assert_string_equal(rt->iface, "wg0");
	rt = &r.v[3];
	assert_addr(rt->dst, "172.16.0.0");
	assert_int_equal(rt->dst_len, 12);
	assert_addr(rt->gateway, "10.0.0.254");
	assert_int_equal(rt->metric, UINT32_MAX); /* printed as -1 */
	assert_int_equal(rt->refcnt, 1);
	assert_int_equal(rt->use, 7);

	rt = &r.v[4];
	assert_addr(rt->dst, "fd00::");
	assert_int_equal(rt->dst_len, 64);
	assert_int_equal(rt->metric, 256);
	assert_string_equal(rt->iface, "eth0");
	rt = &r.v[6];
	assert_addr(rt->dst, "::");
	assert_int_equal(rt->dst_len, 0);
	assert_addr(rt->gateway, "fd00::1");
	assert_int_equal(rt->metric, 1024);
	assert_int_equal(rt->flags, 0x00450003);
	rt = &r.v[7];
	assert_addr(rt->dst, "2001:db8:1::");
	assert_int_equal(rt->dst_len, 48);
	assert_addr(rt->src, "2001:db8:9::");
	assert_int_equal(rt->src_len, 56);
	assert_addr(rt->gateway, "fe80::1");
	assert_int_equal(rt->use, 5);
	assert_string_equal(rt->iface, "eth1");
	rt = &r.v[9];
	assert_int_equal(rt->metric, UINT32_MAX);
	assert_string_equal(rt->iface, "lo");
	kernel_routes_free(&r);
}

static void test_routes_malformed(void **state)
{
	struct kernel_routes r;
	char err[WS_ERRBUF_SIZE] = "";
	(void)state;
	if (!little_endian())
		skip();
	kernel_routes_init(&r, 100);
	FILE *f = fx_open("proc-bad/net/route");
	assert_int_equal(kernel_parse_route(f, &r, err), 0);
	fclose(f);
	assert_int_equal(r.n, 2);
	assert_string_equal(r.v[0].iface, "eth0");
	assert_string_equal(r.v[1].iface, "eth1");
	assert_int_equal(r.v[1].metric, UINT32_MAX);
	expect_counters(r.counters, C(KR_RECORDS, 2), C(KR_BAD_NAME, 1),
			C(KR_BAD_ADDRESS, 2), C(KR_BAD_NUMBER, 3),
			C(KR_FIELD_COUNT, 2), END);
	kernel_routes_free(&r);

	kernel_routes_init(&r, 100);
	f = fx_open("proc-bad/net/ipv6_route");
	assert_int_equal(kernel_parse_ipv6_route(f, &r, err), 0);
	fclose(f);
	assert_int_equal(r.n, 2);
	assert_string_equal(r.v[0].iface, "eth0");
	assert_string_equal(r.v[1].iface, "eth1");
	expect_counters(r.counters, C(KR_RECORDS, 2), C(KR_FIELD_COUNT, 1),
			C(KR_BAD_ADDRESS, 3), C(KR_BAD_NUMBER, 1),
			C(KR_BAD_NAME, 1), END);
	kernel_routes_free(&r);

	static const char *const headers[] = {
		"",
		"Iface\tDestination\tGateway\tFlags\tMetric\n",
		"Iface Destination Gateway Flags Mask Iface\n",
	};
	for (size_t i = 0; i < sizeof(headers) / sizeof(headers[0]); i++) {
		kernel_routes_init(&r, 100);
		f = memstr(headers[i]);
		assert_int_equal(kernel_parse_route(f, &r, err), -1);
		fclose(f);
		kernel_routes_free(&r);
	}
	/* a minimal header: the optional columns stay zero */
	if (!little_endian())
		return;
	kernel_routes_init(&r, 100);
	f = memstr("Mask Iface Gateway Flags Destination\n"
		   "00FFFFFF eth0 00000000 1 0000000A\n");
	assert_int_equal(kernel_parse_route(f, &r, err), 0);
	fclose(f);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.v[0].dst_len, 24);
	assert_int_equal(r.v[0].metric, 0);
	kernel_routes_free(&r);
}

/* ---- interface counters ---- */

static void test_dev_fixture(void **state)
{
	struct kernel_ifaces d;
	char err[WS_ERRBUF_SIZE] = "";
	(void)state;
	kernel_ifaces_init(&d, KERNEL_MAX_IFACES);
	assert_int_equal(kernel_read_dev(fx("proc"), &d, err), 0);
	assert_int_equal(d.n, 3);
	expect_counters(d.counters, C(KR_RECORDS, 3), END);
	assert_string_equal(d.v[0].name, "lo");
	const struct kernel_iface *e = kernel_iface_find(&d, "eth0");
	assert_non_null(e);
	assert_int_equal(e->have, (1u << KDEV_MAX) - 1);
	assert_int_equal(e->c[KDEV_RX_BYTES], 25287361);
	assert_int_equal(e->c[KDEV_RX_PACKETS], 704);
	assert_int_equal(e->c[KDEV_RX_ERRS], 1);
	assert_int_equal(e->c[KDEV_RX_DROP], 2);
	assert_int_equal(e->c[KDEV_RX_FIFO], 3);
	assert_int_equal(e->c[KDEV_RX_FRAME], 4);
	assert_int_equal(e->c[KDEV_RX_COMPRESSED], 5);
	assert_int_equal(e->c[KDEV_RX_MULTICAST], 6);
	assert_int_equal(e->c[KDEV_TX_BYTES], 44269);
	assert_int_equal(e->c[KDEV_TX_PACKETS], 480);
	assert_int_equal(e->c[KDEV_TX_ERRS], 7);
	assert_int_equal(e->c[KDEV_TX_DROP], 8);
	assert_int_equal(e->c[KDEV_TX_FIFO], 9);
	assert_int_equal(e->c[KDEV_TX_COLLS], 10);
	assert_int_equal(e->c[KDEV_TX_CARRIER], 11);
	assert_int_equal(e->c[KDEV_TX_COMPRESSED], 12);
	e = kernel_iface_find(&d, "eth1");
	assert_non_null(e);
	assert_int_equal(e->c[KDEV_RX_BYTES], UINT64_MAX);
	assert_null(kernel_iface_find(&d, "eth2"));
	kernel_ifaces_free(&d);
}

static void test_dev_malformed(void **state)
{
	struct kernel_ifaces d;
	char err[WS_ERRBUF_SIZE] = "";
	(void)state;
	kernel_ifaces_init(&d, 100);
	FILE *f = fx_open("proc-bad/net/dev");
	assert_int_equal(kernel_parse_dev(f, &d, err), 0);
	fclose(f);
	assert_int_equal(d.n, 2);
	assert_string_equal(d.v[0].name, "eth0");
	assert_int_equal(d.v[0].c[KDEV_RX_BYTES], 100); /* the first eth0 */
	assert_string_equal(d.v[1].name, "eth4");
	expect_counters(d.counters, C(KR_RECORDS, 2), C(KR_BAD_NAME, 2),
			C(KR_FIELD_COUNT, 1), C(KR_BAD_NUMBER, 2),
			C(KR_DUPLICATE, 1), END);
	kernel_ifaces_free(&d);

	static const struct {
		const char *text, *error;
	} cases[] = {
		{"", "no header line"},
		{"Inter-  Receive\n", "not 'Inter-|...'"},
		{"Inter-|\n", "no second header line"},
		{"Inter-|\n face |bytes packets\n", "not 'face |receive"},
		{"Inter-|\n face |bytes|bytes packets\n",
		 "no 'rx_packets' column"},
		{"Inter-|\n face |bytes packets bytes|bytes packets\n",
		 "'rx_bytes' twice"},
		{"Inter-|\n face |a|b|c\n", "not 'face |receive"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		kernel_ifaces_init(&d, 100);
		f = memstr(cases[i].text);
		assert_int_equal(kernel_parse_dev(f, &d, err), -1);
		fclose(f);
		if (!strstr(err, cases[i].error))
			fail_msg("case %zu: '%s' lacks '%s'", i, err,
				 cases[i].error);
		kernel_ifaces_free(&d);
	}

	/* an old kernel's fewer columns, and one we do not know */
	kernel_ifaces_init(&d, 100);
	f = memstr("Inter-|\n face |bytes packets novel|bytes packets\n"
		   "  eth0: 1 2 3 4 5\n");
	assert_int_equal(kernel_parse_dev(f, &d, err), 0);
	fclose(f);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.v[0].c[KDEV_TX_PACKETS], 5);
	assert_int_equal(d.v[0].have,
			 1u << KDEV_RX_BYTES | 1u << KDEV_RX_PACKETS |
				 1u << KDEV_TX_BYTES | 1u << KDEV_TX_PACKETS);
	kernel_ifaces_free(&d);

	assert_int_equal(kernel_read_dev(fx("no-such-dir"), &d, err), -1);
}

static void test_dev_delta(void **state)
{
	struct kernel_iface a, b;
	uint64_t delta[KDEV_MAX];
	(void)state;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.c[KDEV_RX_BYTES] = 1000;
	b.c[KDEV_RX_BYTES] = 1500;
	a.c[KDEV_TX_PACKETS] = UINT64_MAX; /* wrapped */
	b.c[KDEV_TX_PACKETS] = 4;
	a.c[KDEV_RX_DROP] = 9; /* reset */
	b.c[KDEV_RX_DROP] = 2;
	kernel_iface_delta(&a, &b, delta);
	assert_int_equal(delta[KDEV_RX_BYTES], 500);
	assert_int_equal(delta[KDEV_TX_PACKETS], 5);
	assert_int_equal((int64_t)delta[KDEV_RX_DROP], -7);
	assert_int_equal(delta[KDEV_TX_BYTES], 0);
}

/* ---- SNMP ---- */

static uint64_t get(const struct kernel_snmp *s, const char *sec,
		    const char *name)
{
	uint64_t v = 0;
	if (!kernel_snmp_get(s, sec, name, &v))
		fail_msg("no %s %s", sec, name);
	return v;
}

static void test_snmp_fixture(void **state)
{
	struct kernel_snmp s;
	char err[WS_ERRBUF_SIZE] = "";
	uint64_t v;
	(void)state;
	kernel_snmp_init(&s, KERNEL_MAX_COUNTERS);
	assert_int_equal(kernel_read_snmp(fx("proc"), &s, err), 0);
	assert_int_equal(s.n, 312 + 90);
	expect_counters(s.counters, C(KR_RECORDS, 402), END);
	assert_int_equal(get(&s, "Tcp", "RtoMin"), 200);
	assert_int_equal(get(&s, "Tcp", "ActiveOpens"), 15);
	assert_int_equal((int64_t)get(&s, "Tcp", "MaxConn"), -1);
	assert_int_equal(get(&s, "Ip", "DefaultTTL"), 64);
	assert_int_equal(get(&s, "IcmpMsg", "InType3"), 1);
	assert_int_equal(get(&s, "TcpExt", "TW"), 13);
	assert_int_equal(get(&s, "IpExt", "InOctets"), 25280532);
	assert_int_equal(get(&s, "Udp6", "InDatagrams"), 4242);
	assert_int_equal(get(&s, "Ip6", "InReceives"), 1);
	assert_int_equal(get(&s, "Icmp6", "InMsgs"), 1);
	assert_int_equal(get(&s, "UdpLite6", "InDatagrams"), 0);
	assert_false(kernel_snmp_get(&s, "Tcp", "NoSuchCounter", &v));
	assert_false(kernel_snmp_get(&s, "Nope", "ActiveOpens", &v));
	char longname[200];
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_false(kernel_snmp_get(&s, longname, "ActiveOpens", &v));
	assert_false(kernel_snmp_get(&s, "Tcp", longname, &v));
	for (size_t i = 1; i < s.n; i++) {
		int c = strcmp(s.v[i - 1].section, s.v[i].section);
		assert_true(c < 0 || (c == 0 && strcmp(s.v[i - 1].name,
						       s.v[i].name) < 0));
	}
	kernel_snmp_free(&s);
}

static void test_snmp_malformed(void **state)
{
	struct kernel_snmp s;
	char err[WS_ERRBUF_SIZE] = "";
	uint64_t v;
	(void)state;
	kernel_snmp_init(&s, 100);
	assert_int_equal(kernel_read_snmp(fx("proc-bad"), &s, err), 0);
	/* snmp: Ip 3, Udp 2, Tcp 3, IpExt 1, Udp InErrors 1;
	 * snmp6: Ip6InReceives, Udp6InDatagrams, Icmp6InType133 */
	assert_int_equal(s.n, 13);
	expect_counters(s.counters, C(KR_RECORDS, 13), C(KR_FIELD_COUNT, 3),
			C(KR_MISMATCH, 3), C(KR_BAD_NAME, 5),
			C(KR_BAD_NUMBER, 3), C(KR_DUPLICATE, 2),
			C(KR_FILE_MISSING, 1), END);
	assert_int_equal(get(&s, "Ip", "InReceives"), 728);
	assert_false(kernel_snmp_get(&s, "Icmp", "InMsgs", &v));
	assert_false(kernel_snmp_get(&s, "Tcp", "RtoMin", &v));
	assert_int_equal(get(&s, "Udp", "InDatagrams"), 5);
	assert_int_equal(get(&s, "Udp", "NoPorts"), 6);
	assert_int_equal(get(&s, "Tcp", "MaxConn"), UINT64_MAX);
	assert_int_equal(get(&s, "Tcp", "ActiveOpens"), 9);
	assert_int_equal(get(&s, "Tcp", "CurrEstab"), 3);
	assert_int_equal(get(&s, "IpExt", "InOctets"), 12);
	assert_false(kernel_snmp_get(&s, "IpExt", "OutOctets", &v));
	assert_int_equal(get(&s, "Udp", "InErrors"), 1); /* the smaller */
	assert_false(kernel_snmp_get(&s, "UdpLite", "InDatagrams", &v));
	assert_int_equal(get(&s, "Ip6", "InReceives"), 5);
	assert_int_equal(get(&s, "Udp6", "InDatagrams"), 11);
	assert_int_equal(get(&s, "Icmp6", "InType133"), 4);
	kernel_snmp_free(&s);

	/* a required file missing is an error */
	kernel_snmp_init(&s, 100);
	assert_int_equal(kernel_read_snmp(fx("no-such-dir"), &s, err), -1);
	assert_non_null(strstr(err, "net/snmp"));
	kernel_snmp_free(&s);
}

static void test_snmp_long_lines_and_cap(void **state)
{
	struct kernel_snmp s;
	char err[WS_ERRBUF_SIZE];
	static char buf[80000];
	(void)state;
	/* a header line past the 32 KiB buffer: it and the value line after
	 * it go (the values then have no names); the next pair reads */
	size_t n = 0;
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "Big:");
	for (int i = 0; i < 5000; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, " Name%d", i);
	n += (size_t)snprintf(buf + n, sizeof(buf) - n,
			      "\nBig: 1 2 3\nTcp: A B C\nTcp: 1 2 3\n");
	kernel_snmp_init(&s, 2);
	FILE *f = mem(buf, n);
	assert_int_equal(kernel_parse_snmp(f, &s, err), 0);
	fclose(f);
	assert_int_equal(s.n, 2);
	expect_counters(s.counters, C(KR_RECORDS, 2), C(KR_LONG_LINE, 1),
			C(KR_MISMATCH, 1), C(KR_OVER_CAP, 1), END);
	kernel_snmp_free(&s);

	/* overlong names */
	kernel_snmp_init(&s, 100);
	f = memstr("SectionNameLongerThanThirtyOneBytes: A\n"
		   "SectionNameLongerThanThirtyOneBytes: 1\n"
		   "Tcp: CounterNameLongerThanSixtyThreeBytesCounterNameLonger"
		   "ThanSixtyThree OK\nTcp: 1 2\n");
	assert_int_equal(kernel_parse_snmp(f, &s, err), 0);
	fclose(f);
	assert_int_equal(s.n, 1);
	assert_int_equal(get(&s, "Tcp", "OK"), 2);
	expect_counters(s.counters, C(KR_RECORDS, 1), C(KR_BAD_NAME, 3), END);
	kernel_snmp_free(&s);
}

static void test_snmp_delta(void **state)
{
	struct kernel_snmp a, b, d;
	char err[WS_ERRBUF_SIZE];
	(void)state;
	kernel_snmp_init(&a, 100);
	kernel_snmp_init(&b, 100);
	kernel_snmp_init(&d, 100);
	FILE *f = memstr("Tcp: ActiveOpens CurrEstab OutSegs Gone\n"
			 "Tcp: 10 5 18446744073709551615 1\n");
	assert_int_equal(kernel_parse_snmp(f, &a, err), 0);
	fclose(f);
	f = memstr("Tcp: ActiveOpens CurrEstab OutSegs New\n"
		   "Tcp: 25 2 3 7\n");
	assert_int_equal(kernel_parse_snmp(f, &b, err), 0);
	fclose(f);
	f = memstr("Udp6InDatagrams 40\n");
	assert_int_equal(kernel_parse_snmp6(f, &a, err), 0);
	fclose(f);
	f = memstr("Udp6InDatagrams 42\n");
	assert_int_equal(kernel_parse_snmp6(f, &b, err), 0);
	fclose(f);
	assert_int_equal(kernel_snmp_delta(&a, &b, &d, err), 0);
	assert_int_equal(d.n, 4);
	assert_int_equal(get(&d, "Tcp", "ActiveOpens"), 15);
	assert_int_equal((int64_t)get(&d, "Tcp", "CurrEstab"), -3);
	assert_int_equal(get(&d, "Tcp", "OutSegs"), 4); /* wrapped */
	assert_int_equal(get(&d, "Udp6", "InDatagrams"), 2);
	assert_int_equal(d.counters[KR_UNPAIRED], 2); /* Gone, New */
	/* a delta table too small: counted, and an error only when memory
	 * ran out */
	struct kernel_snmp small;
	kernel_snmp_init(&small, 1);
	assert_int_equal(kernel_snmp_delta(&a, &b, &small, err), 0);
	assert_int_equal(small.n, 1);
	assert_int_equal(small.counters[KR_OVER_CAP], 3);
	kernel_snmp_free(&small);
	kernel_snmp_free(&a);
	kernel_snmp_free(&b);
	kernel_snmp_free(&d);
}

/* ---- conntrack ---- */

struct ct_seen {
	size_t n;
	enum kernel_ct_event type[8];
	struct kernel_ct_entry e[8];
};

static void ct_collect(enum kernel_ct_event type,
		       const struct kernel_ct_entry *e, void *arg)
{
	struct ct_seen *s = arg;
	if (s->n < 8) {
		s->type[s->n] = type;
		s->e[s->n] = *e;
	}
	s->n++;
}

/* One ctnetlink message for ct, as the kernel would send it, appended at
 * buf + off; returns the new offset. */
static size_t ct_msg(uint8_t *buf, size_t off, const struct nf_conntrack *ct,
		     uint8_t msg, uint16_t flags, uint8_t family)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)(void *)(buf + off);
	memset(nlh, 0, 64);
	nlh->nlmsg_len = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct nfgenmsg));
	nlh->nlmsg_type = (uint16_t)(NFNL_SUBSYS_CTNETLINK << 8 | msg);
	nlh->nlmsg_flags = flags;
	struct nfgenmsg *g = (struct nfgenmsg *)(void *)(buf + off +
							 NLMSG_HDRLEN);
	g->nfgen_family = family;
	g->version = NFNETLINK_V0;
	assert_int_equal(nfct_nlmsg_build(nlh, ct), 0);
	return off + NLMSG_ALIGN(nlh->nlmsg_len);
}

static struct nf_conntrack *ct_v4_tcp(void)
{
	struct nf_conntrack *ct = nfct_new();
	assert_non_null(ct);
	nfct_set_attr_u8(ct, ATTR_L3PROTO, AF_INET);
	nfct_set_attr_u32(ct, ATTR_IPV4_SRC, inet_addr("10.0.0.1"));
	nfct_set_attr_u32(ct, ATTR_IPV4_DST, inet_addr("192.0.2.7"));
	nfct_set_attr_u8(ct, ATTR_L4PROTO, IPPROTO_TCP);
	nfct_set_attr_u16(ct, ATTR_PORT_SRC, htons(40000));
	nfct_set_attr_u16(ct, ATTR_PORT_DST, htons(443));
	nfct_set_attr_u8(ct, ATTR_REPL_L3PROTO, AF_INET);
	nfct_set_attr_u32(ct, ATTR_REPL_IPV4_SRC, inet_addr("192.0.2.7"));
	nfct_set_attr_u32(ct, ATTR_REPL_IPV4_DST, inet_addr("203.0.113.5"));
	nfct_set_attr_u8(ct, ATTR_REPL_L4PROTO, IPPROTO_TCP);
	nfct_set_attr_u16(ct, ATTR_REPL_PORT_SRC, htons(443));
	nfct_set_attr_u16(ct, ATTR_REPL_PORT_DST, htons(61000));
	nfct_set_attr_u8(ct, ATTR_TCP_STATE, KCT_TCP_ESTABLISHED);
	nfct_set_attr_u32(ct, ATTR_STATUS,
			  KCT_SEEN_REPLY | KCT_ASSURED | KCT_CONFIRMED |
				  KCT_SRC_NAT | KCT_SRC_NAT_DONE);
	nfct_set_attr_u32(ct, ATTR_MARK, 0x2a);
	nfct_set_attr_u32(ct, ATTR_TIMEOUT, 431999);
	nfct_set_attr_u16(ct, ATTR_ZONE, 3);
	return ct;
}

static void test_ct_messages(void **state)
{
	static uint8_t buf[8192] __attribute__((aligned(8)));
	uint64_t counters[KR_MAX] = {0};
	struct ct_seen seen;
	(void)state;
	memset(&seen, 0, sizeof(seen));

	struct nf_conntrack *tcp = ct_v4_tcp();
	struct nf_conntrack *udp = nfct_new();
	struct in6_addr s6, d6;
	inet_pton(AF_INET6, "fd00::1", &s6);
	inet_pton(AF_INET6, "fd00::2", &d6);
	nfct_set_attr_u8(udp, ATTR_L3PROTO, AF_INET6);
	nfct_set_attr(udp, ATTR_IPV6_SRC, &s6);
	nfct_set_attr(udp, ATTR_IPV6_DST, &d6);
	nfct_set_attr_u8(udp, ATTR_L4PROTO, IPPROTO_UDP);
	nfct_set_attr_u16(udp, ATTR_PORT_SRC, htons(5353));
	nfct_set_attr_u16(udp, ATTR_PORT_DST, htons(53));
	nfct_set_attr_u32(udp, ATTR_TIMEOUT, 29);

	size_t off = 0;
	off = ct_msg(buf, off, tcp, IPCTNL_MSG_CT_NEW,
		     NLM_F_CREATE | NLM_F_EXCL, AF_INET);
	off = ct_msg(buf, off, udp, IPCTNL_MSG_CT_NEW, 0, AF_INET6);
	off = ct_msg(buf, off, tcp, IPCTNL_MSG_CT_DELETE, 0, AF_INET);
	assert_int_equal(kernel_ct_parse_messages(buf, off, ct_collect, &seen,
						  counters),
			 3);
	assert_int_equal(counters[KR_BAD_MESSAGE], 0);
	assert_int_equal(seen.type[0], KCT_EVENT_NEW);
	assert_int_equal(seen.type[1], KCT_EVENT_UPDATE);
	assert_int_equal(seen.type[2], KCT_EVENT_DESTROY);

	const struct kernel_ct_entry *e = &seen.e[0];
	assert_addr(e->orig.src, "10.0.0.1");
	assert_addr(e->orig.dst, "192.0.2.7");
	assert_int_equal(e->orig.sport, 40000);
	assert_int_equal(e->orig.dport, 443);
	assert_int_equal(e->orig.l4proto, IPPROTO_TCP);
	assert_addr(e->reply.src, "192.0.2.7");
	assert_addr(e->reply.dst, "203.0.113.5");
	assert_int_equal(e->reply.sport, 443);
	assert_int_equal(e->reply.dport, 61000);
	assert_int_equal(e->tcp_state, KCT_TCP_ESTABLISHED);
	assert_string_equal(kernel_ct_tcp_state_names[e->tcp_state],
			    "ESTABLISHED");
	assert_int_equal(e->status & (KCT_SEEN_REPLY | KCT_ASSURED |
				      KCT_SRC_NAT),
			 KCT_SEEN_REPLY | KCT_ASSURED | KCT_SRC_NAT);
	assert_int_equal(e->status & KCT_DST_NAT, 0);
	assert_int_equal(e->mark, 0x2a);
	assert_int_equal(e->timeout, 431999);
	assert_int_equal(e->zone, 3);
	assert_string_equal(kernel_ct_status_names[2], "ASSURED");

	e = &seen.e[1];
	assert_addr(e->orig.src, "fd00::1");
	assert_addr(e->orig.dst, "fd00::2");
	assert_int_equal(e->orig.sport, 5353);
	assert_int_equal(e->orig.l4proto, IPPROTO_UDP);
	assert_int_equal(e->reply.src.family, ADDR_NONE);
	assert_int_equal(e->timeout, 29);

	/* Malformed: each message counted, the good ones still read. */
	size_t one = ct_msg(buf, 0, tcp, IPCTNL_MSG_CT_NEW, 0, AF_INET);
	static uint8_t bad[8192] __attribute__((aligned(8)));
	size_t boff = 0;
	struct nlmsghdr h;
	/* 1: the first attribute claims more bytes than the message has */
	memcpy(bad + boff, buf, one);
	uint16_t huge = 0xfff0;
	memcpy(bad + boff + NLMSG_HDRLEN + 4, &huge, 2);
	boff += one;
	/* 2: a message without its nfgenmsg */
	memset(&h, 0, sizeof(h));
	h.nlmsg_len = NLMSG_HDRLEN + 2;
	h.nlmsg_type = NFNL_SUBSYS_CTNETLINK << 8 | IPCTNL_MSG_CT_NEW;
	memcpy(bad + boff, &h, sizeof(h));
	boff += NLMSG_ALIGN(h.nlmsg_len);
	/* 3: no original tuple */
	memset(&h, 0, sizeof(h));
	h.nlmsg_len = NLMSG_HDRLEN + 4;
	h.nlmsg_type = NFNL_SUBSYS_CTNETLINK << 8 | IPCTNL_MSG_CT_DELETE;
	memcpy(bad + boff, &h, sizeof(h));
	memset(bad + boff + NLMSG_HDRLEN, 0, 4);
	boff += NLMSG_ALIGN(h.nlmsg_len);
	/* another subsystem and a conntrack GET: skipped, not counted */
	h.nlmsg_type = 2 << 8 | IPCTNL_MSG_CT_NEW;
	memcpy(bad + boff, &h, sizeof(h));
	boff += NLMSG_ALIGN(h.nlmsg_len);
	h.nlmsg_type = NFNL_SUBSYS_CTNETLINK << 8 | IPCTNL_MSG_CT_GET;
	memcpy(bad + boff, &h, sizeof(h));
	boff += NLMSG_ALIGN(h.nlmsg_len);
	/* a good one */
	memcpy(bad + boff, buf, one);
	boff += one;
	/* 4: a message longer than the datagram ends the walk */
	memcpy(bad + boff, buf, one);
	h.nlmsg_len = (uint32_t)one + 64;
	memcpy(bad + boff, &h.nlmsg_len, sizeof(h.nlmsg_len));
	boff += one;

	memset(&seen, 0, sizeof(seen));
	memset(counters, 0, sizeof(counters));
	assert_int_equal(kernel_ct_parse_messages(bad, boff, ct_collect, &seen,
						  counters),
			 1);
	assert_int_equal(seen.type[0], KCT_EVENT_UPDATE);
	assert_int_equal(seen.e[0].orig.dport, 443);
	assert_int_equal(counters[KR_BAD_MESSAGE], 4);

	/* every truncation of a good message: never a crash, never more
	 * than one event */
	for (size_t len = 0; len <= one; len++) {
		memset(&seen, 0, sizeof(seen));
		memset(counters, 0, sizeof(counters));
		memcpy(bad, buf, one);
		uint32_t l32 = (uint32_t)len;
		if (len >= 4)
			memcpy(bad, &l32, 4);
		assert_true(kernel_ct_parse_messages(bad, len, ct_collect,
						     &seen, counters) <= 1);
	}
	nfct_destroy(tcp);
	nfct_destroy(udp);
}

/* The dump and the event socket on this machine: either they work or
 * they say why (no conntrack, not permitted); tests/netns/conntrack-
 * test.sh checks the contents against conntrack -L. */
static void test_ct_live_or_clean_error(void **state)
{
	struct kernel_conntrack ct;
	char err[WS_ERRBUF_SIZE] = "";
	(void)state;
	kernel_conntrack_init(&ct, 1000);
	int rc = kernel_conntrack_dump(&ct, err);
	if (rc < 0)
		assert_non_null(strstr(err, "conntrack"));
	else
		assert_int_equal(ct.n, ct.counters[KR_RECORDS]);
	kernel_conntrack_free(&ct);

	err[0] = '\0';
	struct kernel_ct_events *ev = kernel_ct_events_open(err);
	if (!ev) {
		assert_non_null(strstr(err, "conntrack"));
		return;
	}
	struct ct_seen seen;
	memset(&seen, 0, sizeof(seen));
	assert_true(kernel_ct_events_fd(ev) >= 0);
	assert_true(kernel_ct_events_read(ev, ct_collect, &seen, err) >= 0);
	assert_non_null(kernel_ct_events_counters(ev));
	kernel_ct_events_close(ev);
}

int main(void)
{
	unit_fixtures(fixtures, sizeof(fixtures), __FILE__);
	if (access(fx("proc/net/tcp"), R_OK) != 0) {
		fprintf(stderr,
			"no fixtures at %s: run from the build directory "
			"(meson test) or set KERNEL_FIXTURES\n",
			fixtures);
		return 1;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sockets_fixture),
		cmocka_unit_test(test_sockets_malformed),
		cmocka_unit_test(test_sockets_nul_and_long_lines),
		cmocka_unit_test(test_sockets_headers),
		cmocka_unit_test(test_sockets_cap),
		cmocka_unit_test(test_sockets_files),
		cmocka_unit_test(test_socket_links),
		cmocka_unit_test(test_addrs),
		cmocka_unit_test(test_host_snapshot),
		cmocka_unit_test(test_comm),
		cmocka_unit_test(test_owners_fixture),
		cmocka_unit_test(test_owners_caps),
		cmocka_unit_test(test_owners_not_permitted),
		cmocka_unit_test(test_routes_fixture),
		cmocka_unit_test(test_routes_malformed),
		cmocka_unit_test(test_dev_fixture),
		cmocka_unit_test(test_dev_malformed),
		cmocka_unit_test(test_dev_delta),
		cmocka_unit_test(test_snmp_fixture),
		cmocka_unit_test(test_snmp_malformed),
		cmocka_unit_test(test_snmp_long_lines_and_cap),
		cmocka_unit_test(test_snmp_delta),
		cmocka_unit_test(test_ct_messages),
		cmocka_unit_test(test_ct_live_or_clean_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
