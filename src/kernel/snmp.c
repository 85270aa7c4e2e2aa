/* snmp.c - /proc/net/snmp and /proc/net/netstat (pairs of "Sec: names" and
 * "Sec: values" lines, matched by name) and /proc/net/snmp6 ("Name value"
 * lines), into one table looked up by (section, name).  Formats:
 * net/ipv4/proc.c snmp_seq_show(), netstat_seq_show(), net/ipv6/proc.c
 * snmp6_seq_show_item(). */
#include "kparse.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "wirestat/kernel.h"

void kernel_snmp_init(struct kernel_snmp *s, size_t max)
{
	memset(s, 0, sizeof(*s));
	s->max = max;
}

void kernel_snmp_free(struct kernel_snmp *s)
{
	free(s->v);
	s->v = NULL;
	s->n = s->alloc = 0;
}

static bool is_alpha(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* A section or counter name: a letter, then letters, digits or '_'. */
static bool good_name(const char *s, size_t len, size_t size)
{
	if (len == 0 || len >= size || !is_alpha(s[0]))
		return false;
	for (size_t i = 1; i < len; i++)
		if (!is_alpha(s[i]) && !is_digit(s[i]) && s[i] != '_')
			return false;
	return true;
}

static int counter_key_cmp(const struct kernel_counter *x,
			   const struct kernel_counter *y)
{
	int c = strcmp(x->section, y->section);
	return c ? c : strcmp(x->name, y->name);
}

static int counter_cmp(const void *a, const void *b)
{
	const struct kernel_counter *x = a, *y = b;
	int c = counter_key_cmp(x, y);
	if (c)
		return c;
	return x->value < y->value ? -1 : x->value > y->value;
}

/* Sort and drop repeated names (the smallest value stays): the table is
 * then ready for lookups. */
static void finish(struct kernel_snmp *s, size_t before)
{
	if (s->n > 1) {
		size_t out = 0;
		qsort(s->v, s->n, sizeof(s->v[0]), counter_cmp);
		for (size_t i = 1; i < s->n; i++) {
			if (counter_key_cmp(&s->v[i], &s->v[out]) == 0) {
				s->counters[KR_DUPLICATE]++;
				continue;
			}
			s->v[++out] = s->v[i];
		}
		s->n = out + 1;
	}
	if (s->n > before)
		s->counters[KR_RECORDS] += s->n - before;
}

static void add(struct kernel_snmp *s, const char *section, const char *name,
		uint64_t value)
{
	struct kernel_counter *v = kroom(s->v, &s->alloc, s->n, s->max,
					 sizeof(*s->v), s->counters);
	if (!v)
		return;
	s->v = v;
	struct kernel_counter *c = &s->v[s->n++];
	memset(c, 0, sizeof(*c));
	/* lengths were checked against both buffers by good_name() */
	memcpy(c->section, section, strlen(section) + 1);
	memcpy(c->name, name, strlen(name) + 1);
	c->value = value;
}

/* "Sec: a b c": the section (NUL-terminated in place) and the rest. */
static bool split_section(char *line, char **section, char **rest)
{
	char *colon = strchr(line, ':');
	if (!colon || (colon[1] != ' ' && colon[1] != '\0') ||
	    !good_name(line, (size_t)(colon - line), KERNEL_SECTION_LEN))
		return false;
	*colon = '\0';
	*section = line;
	*rest = colon + 1;
	return true;
}

/* The state of one parse: the names of a section are kept in hbuf while
 * its values are read (lines can be long: TcpExt has over a hundred). */
struct snmp_work {
	char buf[KLINE_LONG], hbuf[KLINE_LONG];
	char section[KERNEL_SECTION_LEN];
	char *names[KLINE_LONG / 2];
	char *vals[KLINE_LONG / 2];
	size_t n;
	bool valid; /* a header is waiting for its values */
};

static void values(struct kernel_snmp *s, struct snmp_work *w, char *rest)
{
	size_t n = ktok_split(rest, w->vals, WS_ARRAY_SIZE(w->vals));
	if (n != w->n) {
		s->counters[KR_FIELD_COUNT]++;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t v;
		if (!good_name(w->names[i], strlen(w->names[i]),
			       KERNEL_COUNTER_LEN))
			s->counters[KR_BAD_NAME]++;
		else if (!kparse_dec_signed(w->vals[i], &v))
			s->counters[KR_BAD_NUMBER]++;
		else
			add(s, w->section, w->names[i], v);
	}
}

static void snmp_line(struct kernel_snmp *s, struct snmp_work *w)
{
	char *section, *rest;
	if (!split_section(w->buf, &section, &rest)) {
		if (w->valid)
			s->counters[KR_MISMATCH]++; /* names only */
		w->valid = false;
		s->counters[KR_BAD_NAME]++;
		return;
	}
	if (w->valid && strcmp(section, w->section) == 0) {
		values(s, w, rest);
		w->valid = false;
		return;
	}
	if (w->valid)
		s->counters[KR_MISMATCH]++; /* names without values */
	/* a header line: the names stay in hbuf until the values come */
	memcpy(w->hbuf, rest, strlen(rest) + 1);
	memcpy(w->section, section, strlen(section) + 1);
	w->n = ktok_split(w->hbuf, w->names, WS_ARRAY_SIZE(w->names));
	w->valid = true;
	if (w->n > 0 && !is_alpha(w->names[0][0])) {
		s->counters[KR_MISMATCH]++; /* values without names */
		w->valid = false;
	}
}

int kernel_parse_snmp(FILE *f, struct kernel_snmp *s, char *errbuf)
{
	struct kline l;
	size_t before = s->n;
	struct snmp_work *w = malloc(sizeof(*w));
	if (!w)
		return ws_error(errbuf, "out of memory");
	w->valid = false;
	kline_init(&l, f, w->buf, sizeof(w->buf), s->counters);
	while (kline_next(&l))
		snmp_line(s, w);
	if (w->valid)
		s->counters[KR_MISMATCH]++;
	free(w);
	finish(s, before);
	if (kline_failed(&l))
		return ws_error(errbuf, "read error");
	return 0;
}

static enum kernel_reason snmp6_line(char *line, struct kernel_snmp *s)
{
	char *tok[3];
	char section[KERNEL_SECTION_LEN];
	uint64_t v;
	if (ktok_split(line, tok, 2) != 2)
		return KR_FIELD_COUNT;
	const char *name = tok[0];
	size_t i = 0;
	while (is_alpha(name[i]))
		i++;
	while (is_digit(name[i]))
		i++;
	if (i == 0 || !is_digit(name[i - 1]) ||
	    !good_name(name, i, sizeof(section)) ||
	    !good_name(name + i, strlen(name + i), KERNEL_COUNTER_LEN))
		return KR_BAD_NAME;
	if (!kparse_dec(tok[1], UINT64_MAX, &v))
		return KR_BAD_NUMBER;
	memcpy(section, name, i);
	section[i] = '\0';
	add(s, section, name + i, v);
	return KR_RECORDS;
}

int kernel_parse_snmp6(FILE *f, struct kernel_snmp *s, char *errbuf)
{
	char buf[KLINE_SHORT];
	struct kline l;
	size_t before = s->n;
	kline_init(&l, f, buf, sizeof(buf), s->counters);
	while (kline_next(&l)) {
		enum kernel_reason why = snmp6_line(l.buf, s);
		if (why != KR_RECORDS)
			s->counters[why]++;
	}
	finish(s, before);
	if (kline_failed(&l))
		return ws_error(errbuf, "read error");
	return 0;
}

int kernel_read_snmp(const char *root, struct kernel_snmp *s, char *errbuf)
{
	static const struct {
		const char *rel;
		int (*parse)(FILE *, struct kernel_snmp *, char *);
		bool required;
	} files[] = {
		{"net/snmp", kernel_parse_snmp, true},
		{"net/netstat", kernel_parse_snmp, false},
		{"net/snmp6", kernel_parse_snmp6, false},
	};
	char path[4096], err[WS_ERRBUF_SIZE];
	for (size_t i = 0; i < WS_ARRAY_SIZE(files); i++) {
		FILE *f = kopen(root, files[i].rel, path, sizeof(path));
		if (!f && errno == ENOENT && !files[i].required) {
			s->counters[KR_FILE_MISSING]++;
			continue;
		}
		if (!f)
			return ws_error(errbuf, "%s: %s", path,
					strerror(errno));
		int rc = files[i].parse(f, s, err);
		fclose(f);
		if (rc < 0)
			return ws_error(errbuf, "%s: %s", path, err);
	}
	return 0;
}

static const struct kernel_counter *find(const struct kernel_snmp *s,
					 const struct kernel_counter *key)
{
	size_t lo = 0, hi = s->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = counter_key_cmp(key, &s->v[mid]);
		if (c == 0)
			return &s->v[mid];
		if (c > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

bool kernel_snmp_get(const struct kernel_snmp *s, const char *section,
		     const char *name, uint64_t *value)
{
	struct kernel_counter key;
	size_t sl = strlen(section), nl = strlen(name);
	if (sl >= sizeof(key.section) || nl >= sizeof(key.name))
		return false;
	memset(&key, 0, sizeof(key));
	memcpy(key.section, section, sl + 1);
	memcpy(key.name, name, nl + 1);
	const struct kernel_counter *c = find(s, &key);
	if (c)
		*value = c->value;
	return c != NULL;
}

int kernel_snmp_delta(const struct kernel_snmp *before,
		      const struct kernel_snmp *after,
		      struct kernel_snmp *delta, char *errbuf)
{
	size_t i = 0, j = 0;
	uint64_t oom = delta->counters[KR_NO_MEMORY];
	delta->n = 0;
	while (i < before->n || j < after->n) {
		int c = i == before->n	 ? 1
			: j == after->n ? -1
					: counter_key_cmp(&before->v[i],
							  &after->v[j]);
		if (c != 0) {
			delta->counters[KR_UNPAIRED]++;
			if (c < 0)
				i++;
			else
				j++;
			continue;
		}
		add(delta, after->v[j].section, after->v[j].name,
		    after->v[j].value - before->v[i].value);
		i++;
		j++;
	}
	delta->counters[KR_RECORDS] += delta->n;
	if (delta->counters[KR_NO_MEMORY] != oom)
		return ws_error(errbuf, "out of memory for counter deltas");
	return 0;
}
