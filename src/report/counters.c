/* counters.c - counter groups as netstat -s prints them, or as data. */
#include <inttypes.h>
#include <string.h>

#include "wirestat/common.h"
#include "wirestat/report.h"

/* Windows netstat's layout: two spaces, the label padded to 35, " = ". */
enum { LABEL_WIDTH = 35 };

/* A table label from a snake_case key: Title Case, protocol names as
 * they are spelled ("truncated_tcp_header" -> "Truncated TCP Header"). */
static void key_label(const char *key, char *buf, size_t size)
{
	static const struct {
		const char *word, *spelled;
	} acronyms[] = {
		{"ip", "IP"},	  {"ipv4", "IPv4"},	{"ipv6", "IPv6"},
		{"tcp", "TCP"},	  {"udp", "UDP"},	{"icmp", "ICMP"},
		{"icmp6", "ICMPv6"}, {"syn", "SYN"},	{"synack", "SYN-ACK"},
		{"ack", "ACK"},	  {"acks", "ACKs"},	{"fin", "FIN"},
		{"rst", "RST"},	  {"vlan", "VLAN"},	{"icmp4", "ICMPv4"},
		{"dns", "DNS"},	  {"ptr", "PTR"},	{"tc", "TC"},
		{"aaaa", "AAAA"}, {"rcode", "RCODE"},	{"rdlength", "RDLENGTH"},
		{"rdata", "RDATA"},
	};
	size_t o = 0;
	const char *p = key;
	while (*p && o + 1 < size) {
		size_t n = strcspn(p, "_");
		const char *spelled = NULL;
		for (size_t i = 0; i < WS_ARRAY_SIZE(acronyms); i++)
			if (strlen(acronyms[i].word) == n &&
			    strncmp(acronyms[i].word, p, n) == 0)
				spelled = acronyms[i].spelled;
		if (o)
			buf[o++] = ' ';
		const char *src = spelled ? spelled : p;
		for (size_t i = 0; i < n && o + 1 < size; i++) {
			char ch = src[i];
			if (!spelled && i == 0 && ch >= 'a' && ch <= 'z')
				ch = (char)(ch - 'a' + 'A');
			buf[o++] = ch;
		}
		if (spelled && strlen(spelled) > n) /* "SYN-ACK" is longer */
			for (size_t i = n; spelled[i] && o + 1 < size; i++)
				buf[o++] = spelled[i];
		p += n;
		if (*p == '_')
			p++;
	}
	buf[o < size ? o : size - 1] = '\0';
}

/* Windows netstat's two-column sections (ICMP): the label padded to 26,
 * then Received and Sent, 12 wide. */
static void group_table2(FILE *out, const struct counter_group *g)
{
	char label[96];
	fprintf(out, "\n%s\n\n  %-26s%-12s%s\n", g->title, "", g->col1,
		g->col2);
	for (size_t i = 0; i < g->n; i++) {
		const struct counter_line *l = &g->lines[i];
		if (l->table == COUNTER_DATA_ONLY)
			continue;
		if (l->label)
			snprintf(label, sizeof(label), "%s", l->label);
		else
			key_label(l->key, label, sizeof(label));
		char a[24] = "n/a", b[24] = "n/a";
		if (l->known)
			snprintf(a, sizeof(a), "%" PRIu64, l->value);
		if (l->known2)
			snprintf(b, sizeof(b), "%" PRIu64, l->value2);
		fprintf(out, "  %-26s%-12s%s\n", label, a, b);
	}
}

static void group_table(FILE *out, const struct counter_group *g)
{
	char label[96];
	if (g->col1) {
		group_table2(out, g);
		return;
	}
	fprintf(out, "\n%s\n\n", g->title);
	for (size_t i = 0; i < g->n; i++) {
		const struct counter_line *l = &g->lines[i];
		if (l->table == COUNTER_DATA_ONLY ||
		    (l->table == COUNTER_HIDE_ZERO && l->known && l->value == 0))
			continue;
		int pad = LABEL_WIDTH - 2 * l->indent;
		if (l->label)
			snprintf(label, sizeof(label), "%s", l->label);
		else
			key_label(l->key, label, sizeof(label));
		fprintf(out, "  %*s%-*s = ", 2 * l->indent, "", pad > 0 ? pad : 0,
			label);
		if (l->known)
			fprintf(out, "%" PRIu64 "\n", l->value);
		else
			fprintf(out, "n/a (%s)\n",
				l->why_unknown ? l->why_unknown
					       : "not visible on the wire");
	}
}

static void group_json(FILE *out, const struct counter_group *g)
{
	fprintf(out, "{\"group\":\"%s\"", g->id);
	if (g->name_key) {
		fprintf(out, ",\"%s\":", g->name_key);
		emit_json_string(out, g->name);
	}
	for (size_t i = 0; i < g->n; i++) {
		const struct counter_line *l = &g->lines[i];
		if (l->known)
			fprintf(out, ",\"%s\":%" PRIu64, l->key, l->value);
		else
			fprintf(out, ",\"%s\":null", l->key);
		if (!l->key2)
			continue;
		if (l->known2)
			fprintf(out, ",\"%s\":%" PRIu64, l->key2, l->value2);
		else
			fprintf(out, ",\"%s\":null", l->key2);
	}
	fputs("}\n", out);
}

static void group_csv(FILE *out, const struct counter_group *g)
{
	if (g->name_key) { /* the name, quoted as CSV wants */
		fprintf(out, "%s,%s,\"", g->id, g->name_key);
		for (const char *p = g->name; *p; p++)
			fputs(*p == '"' ? "\"\"" : (char[2]){*p, 0}, out);
		fputs("\"\n", out);
	}
	for (size_t i = 0; i < g->n; i++) {
		const struct counter_line *l = &g->lines[i];
		if (l->known)
			fprintf(out, "%s,%s,%" PRIu64 "\n", g->id, l->key, l->value);
		else
			fprintf(out, "%s,%s,\n", g->id, l->key);
		if (!l->key2)
			continue;
		if (l->known2)
			fprintf(out, "%s,%s,%" PRIu64 "\n", g->id, l->key2,
				l->value2);
		else
			fprintf(out, "%s,%s,\n", g->id, l->key2);
	}
}

int report_counter_groups(FILE *out, enum emit_format fmt,
			  const struct counter_group *groups, size_t n)
{
	if (fmt == EMIT_CSV)
		fputs("group,counter,value\n", out);
	for (size_t i = 0; i < n; i++) {
		switch (fmt) {
		case EMIT_TABLE:
			group_table(out, &groups[i]);
			break;
		case EMIT_JSON:
			group_json(out, &groups[i]);
			break;
		case EMIT_CSV:
			group_csv(out, &groups[i]);
			break;
		}
	}
	return fflush(out) != 0 || ferror(out) ? -1 : 0;
}
