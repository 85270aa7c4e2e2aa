/* sockets.c - /proc/net/tcp, tcp6, udp and udp6.
 *
 * The header names the columns; "tx_queue rx_queue" and "tr tm->when"
 * each name the two halves of one "a:b" field.  A line needs at least
 * the fields the header names (TCP writes more, unnamed, after them).
 * Formats: net/ipv4/tcp_ipv4.c get_tcp4_sock(), net/ipv4/udp.c
 * udp4_format_sock(), and their IPv6 twins.
 */
#include "kparse.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "wirestat/kernel.h"
#include "wirestat/tcp.h"

const char *const kernel_sock_file_names[KSF_MAX] = {
	[KSF_TCP] = "net/tcp",
	[KSF_TCP6] = "net/tcp6",
	[KSF_UDP] = "net/udp",
	[KSF_UDP6] = "net/udp6",
};

const char *const kernel_timer_names[KTIMER_MAX] = {
	[KTIMER_NONE] = "off",
	[KTIMER_RETRANSMIT] = "on",
	[KTIMER_KEEPALIVE] = "keepalive",
	[KTIMER_TIME_WAIT] = "timewait",
	[KTIMER_PROBE] = "probe",
};

/* The kernel's TCP states (include/net/tcp_states.h) as wirestat's;
 * TCP_STATE_MAX marks a value that is not a state. */
static const uint8_t tcp_from_kernel[] = {
	[0] = TCP_STATE_MAX,
	[1] = TCP_ESTABLISHED,
	[2] = TCP_SYN_SENT,
	[3] = TCP_SYN_RECEIVED,
	[4] = TCP_FIN_WAIT_1,
	[5] = TCP_FIN_WAIT_2,
	[6] = TCP_TIME_WAIT,
	[7] = TCP_CLOSED,
	[8] = TCP_CLOSE_WAIT,
	[9] = TCP_LAST_ACK,
	[10] = TCP_LISTENING,
	[11] = TCP_CLOSING,
	[12] = TCP_SYN_RECEIVED, /* NEW_SYN_RECV: a request socket */
};

/* UDP uses two of the same numbers: connected or not. */
enum { KSTATE_ESTABLISHED = 1, KSTATE_CLOSE = 7 };

enum sock_col {
	SC_SL,
	SC_LOCAL,
	SC_REMOTE,
	SC_ST,
	SC_TXQ,
	SC_RXQ,
	SC_TR,
	SC_WHEN,
	SC_RETR,
	SC_UID,
	SC_TIMEOUT,
	SC_INODE,
	SC_MAX
};

/* Header names; `joined` names the second half of the previous name's
 * field and must follow it. */
static const struct {
	const char *name;
	uint8_t col;
	bool joined;
	bool required;
} sock_headers[] = {
	{"sl", SC_SL, false, false},
	{"local_address", SC_LOCAL, false, true},
	{"rem_address", SC_REMOTE, false, true},
	{"remote_address", SC_REMOTE, false, true},
	{"st", SC_ST, false, true},
	{"tx_queue", SC_TXQ, false, true},
	{"rx_queue", SC_RXQ, true, true},
	{"tr", SC_TR, false, true},
	{"tm->when", SC_WHEN, true, true},
	{"retrnsmt", SC_RETR, false, true},
	{"uid", SC_UID, false, true},
	{"timeout", SC_TIMEOUT, false, false},
	{"inode", SC_INODE, false, true},
};

/* The partner a joined column follows. */
static const uint8_t joined_to[SC_MAX] = {[SC_RXQ] = SC_TXQ,
					  [SC_WHEN] = SC_TR};

struct sock_layout {
	int tok[SC_MAX]; /* data field index of each column, or -1 */
	size_t need;	 /* data fields the header names */
};

static int sock_header(char *line, struct sock_layout *lay, char *errbuf)
{
	char *tok[KTOK_MAX];
	size_t n = ktok_split(line, tok, KTOK_MAX);
	int prev = -1, field = -1;
	lay->need = 0;
	for (size_t c = 0; c < SC_MAX; c++)
		lay->tok[c] = -1;
	if (n > KTOK_MAX)
		return ws_error(errbuf, "header has more than %d columns",
				KTOK_MAX);
	for (size_t i = 0; i < n; i++) {
		size_t h;
		for (h = 0; h < WS_ARRAY_SIZE(sock_headers); h++)
			if (strcmp(tok[i], sock_headers[h].name) == 0)
				break;
		if (h == WS_ARRAY_SIZE(sock_headers)) {
			field++; /* a column we do not read */
			prev = -1;
			continue;
		}
		uint8_t col = sock_headers[h].col;
		if (lay->tok[col] >= 0)
			return ws_error(errbuf, "header names '%s' twice",
					tok[i]);
		if (sock_headers[h].joined) {
			if (prev != joined_to[col])
				return ws_error(errbuf, "header column '%s' "
						"out of place", tok[i]);
		} else {
			field++;
		}
		lay->tok[col] = field;
		prev = col;
	}
	for (size_t h = 0; h < WS_ARRAY_SIZE(sock_headers); h++) {
		uint8_t col = sock_headers[h].col;
		if (sock_headers[h].required && lay->tok[col] < 0 &&
		    col != SC_REMOTE)
			return ws_error(errbuf, "header has no '%s' column",
					sock_headers[h].name);
	}
	if (lay->tok[SC_REMOTE] < 0)
		return ws_error(errbuf, "header has no 'rem_address' column");
	lay->need = (size_t)field + 1; /* field >= -1 */
	return 0;
}

/* "a:b", each side checked by the caller: split at the one colon. */
static bool split_pair(char *s, char **b)
{
	char *colon = strchr(s, ':');
	if (!colon || strchr(colon + 1, ':'))
		return false;
	*colon = '\0';
	*b = colon + 1;
	return true;
}

/* "0100007F:0035": address words, then the port as 4 hex digits. */
static bool endpoint(char *s, size_t addr_digits, struct addr *a,
		     uint16_t *port)
{
	char *p;
	uint64_t v;
	if (!split_pair(s, &p) || strlen(s) != addr_digits ||
	    !kparse_addr_words(s, addr_digits, a) ||
	    !kparse_hex(p, 4, 4, &v))
		return false;
	*port = (uint16_t)v;
	return true;
}

static bool hex_pair(char *s, size_t max_a, size_t max_b, uint64_t *a,
		     uint64_t *b)
{
	char *second;
	return split_pair(s, &second) && kparse_hex(s, 1, max_a, a) &&
	       kparse_hex(second, 1, max_b, b);
}

/* The sl column: "12:". */
static bool slot(const char *s)
{
	size_t n = strlen(s);
	uint64_t v;
	char digits[24];
	if (n < 2 || n > sizeof(digits) || s[n - 1] != ':')
		return false;
	memcpy(digits, s, n - 1);
	digits[n - 1] = '\0';
	return kparse_dec(digits, UINT64_MAX, &v);
}

/* One data line to k: KR_RECORDS if usable, else the reason to skip. */
static enum kernel_reason sock_line(char *line, const struct sock_layout *lay,
				    enum kernel_sock_file which,
				    struct kernel_socket *k)
{
	char *tok[KTOK_MAX];
	size_t n = ktok_split(line, tok, KTOK_MAX);
	bool v6 = which == KSF_TCP6 || which == KSF_UDP6;
	bool tcp = which == KSF_TCP || which == KSF_TCP6;
	size_t digits = v6 ? 32 : 8;
	uint64_t a, b;
	if (n < lay->need || n > KTOK_MAX)
		return KR_FIELD_COUNT;
	memset(k, 0, sizeof(*k));
	k->proto = tcp ? IPPROTO_TCP : IPPROTO_UDP;
	k->file = (uint8_t)which;
	if (lay->tok[SC_SL] >= 0 && !slot(tok[lay->tok[SC_SL]]))
		return KR_BAD_NUMBER;
	if (!endpoint(tok[lay->tok[SC_LOCAL]], digits, &k->local,
		      &k->local_port) ||
	    !endpoint(tok[lay->tok[SC_REMOTE]], digits, &k->remote,
		      &k->remote_port))
		return KR_BAD_ADDRESS;
	if (!kparse_hex(tok[lay->tok[SC_ST]], 1, 2, &a))
		return KR_BAD_NUMBER;
	k->kstate = (uint8_t)a;
	if (tcp) {
		if (a >= WS_ARRAY_SIZE(tcp_from_kernel) ||
		    tcp_from_kernel[a] == TCP_STATE_MAX)
			return KR_BAD_STATE;
		k->state = tcp_from_kernel[a];
	} else if (a == KSTATE_ESTABLISHED) {
		k->state = TCP_ESTABLISHED;
	} else if (a == KSTATE_CLOSE) {
		k->state = TCP_CLOSED;
	} else {
		return KR_BAD_STATE;
	}
	if (!hex_pair(tok[lay->tok[SC_TXQ]], 8, 8, &a, &b))
		return KR_BAD_NUMBER;
	k->tx_queue = (uint32_t)a;
	k->rx_queue = (uint32_t)b;
	if (!hex_pair(tok[lay->tok[SC_TR]], 2, 16, &a, &k->timer_ticks))
		return KR_BAD_NUMBER;
	k->timer = (uint8_t)a; /* kinds past KTIMER_MAX kept as they are */
	if (!kparse_hex(tok[lay->tok[SC_RETR]], 1, 8, &a))
		return KR_BAD_NUMBER;
	k->retransmits = (uint32_t)a;
	if (!kparse_dec(tok[lay->tok[SC_UID]], UINT32_MAX, &a))
		return KR_BAD_NUMBER;
	k->uid = (uint32_t)a;
	if (!kparse_dec(tok[lay->tok[SC_INODE]], UINT64_MAX, &k->inode))
		return KR_BAD_NUMBER;
	return KR_RECORDS;
}

void kernel_sockets_init(struct kernel_sockets *s, size_t max)
{
	memset(s, 0, sizeof(*s));
	s->max = max;
}

void kernel_sockets_free(struct kernel_sockets *s)
{
	free(s->v);
	s->v = NULL;
	s->n = s->alloc = 0;
}

int kernel_parse_sockets(FILE *f, enum kernel_sock_file which,
			 struct kernel_sockets *s, char *errbuf)
{
	char buf[KLINE_SHORT];
	struct kline l;
	struct sock_layout lay;
	struct kernel_socket k;
	if ((unsigned)which >= KSF_MAX)
		return ws_error(errbuf, "no such socket table");
	kline_init(&l, f, buf, sizeof(buf), s->counters);
	if (!kline_next(&l))
		return kline_missing(&l, errbuf, "no header line");
	if (sock_header(l.buf, &lay, errbuf) < 0)
		return -1;
	while (kline_next(&l)) {
		enum kernel_reason r = sock_line(l.buf, &lay, which, &k);
		if (r != KR_RECORDS) {
			s->counters[r]++;
			continue;
		}
		struct kernel_socket *v = kroom(s->v, &s->alloc, s->n, s->max,
						sizeof(*s->v), s->counters);
		if (!v)
			continue;
		s->v = v;
		s->v[s->n++] = k;
		s->counters[KR_RECORDS]++;
	}
	if (kline_failed(&l))
		return ws_error(errbuf, "read error");
	return 0;
}

int kernel_read_sockets(const char *root, unsigned files,
			struct kernel_sockets *s, char *errbuf)
{
	char path[4096], err[WS_ERRBUF_SIZE];
	int opened = 0;
	if (files == 0)
		files = (1u << KSF_MAX) - 1;
	for (int i = 0; i < KSF_MAX; i++) {
		if (!(files & (1u << i)))
			continue;
		FILE *f = kopen(root, kernel_sock_file_names[i], path,
				sizeof(path));
		if (!f && errno == ENOENT) {
			s->counters[KR_FILE_MISSING]++;
			continue;
		}
		if (!f)
			return ws_error(errbuf, "%s: %s", path,
					strerror(errno));
		opened++;
		int rc = kernel_parse_sockets(f, (enum kernel_sock_file)i, s,
					      err);
		fclose(f);
		if (rc < 0)
			return ws_error(errbuf, "%s: %s", path, err);
	}
	if (opened == 0)
		return ws_error(errbuf, "no socket tables under %s/net",
				root ? root : KERNEL_PROC_ROOT);
	return 0;
}

const char *kernel_socket_proto(const struct kernel_socket *k)
{
	if (k->file >= KSF_MAX)
		return "?";
	return kernel_sock_file_names[k->file] + 4; /* after "net/" */
}
