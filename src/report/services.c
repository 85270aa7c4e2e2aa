/* services.c - a services(5) reader: "name port/proto [aliases] [# ...]".
 * The first name given for a port and protocol wins, as getservbyport()
 * returns it. */
#include "wirestat/services.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wirestat/common.h"

struct service {
	uint32_t seq; /* line order, so the first name of a port sorts first */
	uint16_t port;
	uint8_t udp;
	char name[33]; /* longer names are skipped */
};

struct services {
	struct service *v;
	size_t n, cap, skipped;
};

static int service_cmp(const void *a, const void *b)
{
	const struct service *x = a, *y = b;
	if (x->udp != y->udp)
		return x->udp - y->udp;
	return (int)x->port - (int)y->port;
}

static int service_order(const void *a, const void *b)
{
	const struct service *x = a, *y = b;
	int c = service_cmp(a, b);
	if (c)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int add(struct services *s, const char *name, unsigned long port,
	       int udp)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 512;
		struct service *v = realloc(s->v, cap * sizeof(*v));
		if (!v)
			return -1;
		s->v = v;
		s->cap = cap;
	}
	struct service *e = &s->v[s->n];
	e->seq = (uint32_t)s->n++;
	e->port = (uint16_t)port;
	e->udp = (uint8_t)udp;
	snprintf(e->name, sizeof(e->name), "%s", name);
	return 0;
}

/* Parse one line; 1 if it held an entry, 0 if blank or a comment, -1 if
 * it does not parse. */
static int parse_line(char *line, char **name, unsigned long *port,
		      int *udp)
{
	char *hash = strchr(line, '#');
	if (hash)
		*hash = '\0';
	char *save = NULL;
	*name = strtok_r(line, " \t\r\n", &save);
	if (!*name)
		return 0;
	char *pp = strtok_r(NULL, " \t\r\n", &save);
	if (!pp || strlen(*name) >= sizeof(((struct service *)0)->name))
		return -1;
	char *slash = strchr(pp, '/');
	if (!slash || slash == pp)
		return -1;
	*slash = '\0';
	char *end;
	*port = strtoul(pp, &end, 10);
	if (*end != '\0' || *port > 65535)
		return -1;
	if (strcmp(slash + 1, "tcp") == 0)
		*udp = 0;
	else if (strcmp(slash + 1, "udp") == 0)
		*udp = 1;
	else
		return 0; /* sctp, ddp, ...: not ours */
	return 1;
}

struct services *services_load(const char *path, char *errbuf)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	if (!f) {
		ws_error(errbuf, "cannot read %s for port names", path);
		return NULL;
	}
	struct services *s = calloc(1, sizeof(*s));
	if (!s)
		goto out_close;
	while (fgets(line, sizeof(line), f)) {
		char *name;
		unsigned long port;
		int udp;
		if (!strchr(line, '\n') && !feof(f)) {
			int ch; /* an over-long line: skip the rest of it */
			while ((ch = fgetc(f)) != EOF && ch != '\n')
				;
			s->skipped++;
			continue;
		}
		int r = parse_line(line, &name, &port, &udp);
		if (r < 0)
			s->skipped++;
		else if (r > 0 && add(s, name, port, udp) < 0)
			goto out_free;
	}
	fclose(f);
	if (s->n)
		qsort(s->v, s->n, sizeof(*s->v), service_order);
	return s;
out_free:
	services_free(s);
out_close:
	fclose(f);
	ws_error(errbuf, "out of memory reading %s", path);
	return NULL;
}

void services_free(struct services *s)
{
	if (!s)
		return;
	free(s->v);
	free(s);
}

const char *services_name(const struct services *s, uint16_t port,
			  const char *proto)
{
	if (!s || s->n == 0)
		return NULL;
	struct service key = {.port = port, .udp = strcmp(proto, "udp") == 0};
	size_t lo = 0, hi = s->n;
	while (lo < hi) { /* first entry not less than key */
		size_t mid = lo + (hi - lo) / 2;
		if (service_cmp(&s->v[mid], &key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < s->n && service_cmp(&s->v[lo], &key) == 0)
		return s->v[lo].name;
	return NULL;
}

size_t services_count(const struct services *s)
{
	return s->n;
}

size_t services_skipped(const struct services *s)
{
	return s->skipped;
}
