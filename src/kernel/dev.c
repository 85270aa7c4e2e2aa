/* dev.c - /proc/net/dev: per interface counters, columns named by the
 * second header line (" face |bytes packets ...|bytes packets ...").
 * Format: net/core/net-procfs.c dev_seq_printf_stats(). */
#include "kparse.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "wirestat/kernel.h"

const char *const kernel_dev_counter_names[KDEV_MAX] = {
#define KERNEL_X_DEV_NAME(e, name) [e] = (name),
	KERNEL_DEV_COUNTERS(KERNEL_X_DEV_NAME)
#undef KERNEL_X_DEV_NAME
};

struct dev_layout {
	int col[KTOK_MAX]; /* counter of each value column, or -1 */
	size_t n;
};

/* The names of one half ("rx_" or "tx_"), appended to lay. */
static int dev_names(char *part, const char *dir, struct dev_layout *lay,
		     uint32_t *seen, char *errbuf)
{
	char *tok[KTOK_MAX];
	char name[KERNEL_COUNTER_LEN];
	size_t n = ktok_split(part, tok, KTOK_MAX);
	if (n > KTOK_MAX - lay->n)
		return ws_error(errbuf, "header has more than %d columns",
				KTOK_MAX);
	for (size_t i = 0; i < n; i++) {
		int c = -1;
		snprintf(name, sizeof(name), "%s%s", dir, tok[i]);
		for (int k = 0; k < KDEV_MAX; k++)
			if (strcmp(name, kernel_dev_counter_names[k]) == 0)
				c = k;
		if (c >= 0 && (*seen & (1u << c)))
			return ws_error(errbuf, "header names '%s' twice",
					name);
		if (c >= 0)
			*seen |= 1u << c;
		lay->col[lay->n++] = c;
	}
	return 0;
}

static int dev_header(struct kline *l, struct dev_layout *lay, uint32_t *seen,
		      char *errbuf)
{
	static const int required[] = {KDEV_RX_BYTES, KDEV_RX_PACKETS,
				       KDEV_TX_BYTES, KDEV_TX_PACKETS};
	lay->n = 0;
	*seen = 0;
	if (!kline_next(l))
		return kline_missing(l, errbuf, "no header line");
	if (!strchr(l->buf, '|'))
		return ws_error(errbuf, "first header line is not "
					"'Inter-|...'");
	if (!kline_next(l))
		return kline_missing(l, errbuf, "no second header line");
	char *rx = strchr(l->buf, '|');
	char *tx = rx ? strchr(rx + 1, '|') : NULL;
	if (!tx || strchr(tx + 1, '|'))
		return ws_error(errbuf, "second header line is not "
					"'face |receive|transmit'");
	*rx++ = '\0';
	*tx++ = '\0';
	if (dev_names(rx, "rx_", lay, seen, errbuf) < 0 ||
	    dev_names(tx, "tx_", lay, seen, errbuf) < 0)
		return -1;
	for (size_t i = 0; i < WS_ARRAY_SIZE(required); i++)
		if (!(*seen & (1u << required[i])))
			return ws_error(errbuf, "header has no '%s' column",
					kernel_dev_counter_names[required[i]]);
	return 0;
}

static enum kernel_reason dev_line(char *line, const struct dev_layout *lay,
				   uint32_t seen, struct kernel_iface *ifc)
{
	char *tok[KTOK_MAX];
	char *colon = strchr(line, ':');
	char *name = line;
	if (!colon)
		return KR_BAD_NAME;
	*colon = '\0';
	while (*name == ' ' || *name == '\t')
		name++;
	memset(ifc, 0, sizeof(*ifc));
	if (!kname_iface(name, strlen(name), ifc->name))
		return KR_BAD_NAME;
	size_t n = ktok_split(colon + 1, tok, KTOK_MAX);
	if (n != lay->n)
		return KR_FIELD_COUNT;
	for (size_t i = 0; i < n; i++) {
		uint64_t v;
		if (!kparse_dec(tok[i], UINT64_MAX, &v))
			return KR_BAD_NUMBER;
		if (lay->col[i] >= 0)
			ifc->c[lay->col[i]] = v;
	}
	ifc->have = seen;
	return KR_RECORDS;
}

void kernel_ifaces_init(struct kernel_ifaces *d, size_t max)
{
	memset(d, 0, sizeof(*d));
	d->max = max;
}

void kernel_ifaces_free(struct kernel_ifaces *d)
{
	free(d->v);
	d->v = NULL;
	d->n = d->alloc = 0;
}

int kernel_parse_dev(FILE *f, struct kernel_ifaces *d, char *errbuf)
{
	char buf[KLINE_SHORT];
	struct kline l;
	struct dev_layout lay;
	struct kernel_iface ifc;
	uint32_t seen;
	kline_init(&l, f, buf, sizeof(buf), d->counters);
	if (dev_header(&l, &lay, &seen, errbuf) < 0)
		return -1;
	while (kline_next(&l)) {
		enum kernel_reason why = dev_line(l.buf, &lay, seen, &ifc);
		if (why != KR_RECORDS) {
			d->counters[why]++;
			continue;
		}
		if (kernel_iface_find(d, ifc.name)) {
			d->counters[KR_DUPLICATE]++;
			continue;
		}
		struct kernel_iface *v = kroom(d->v, &d->alloc, d->n, d->max,
					       sizeof(*d->v), d->counters);
		if (!v)
			continue;
		d->v = v;
		d->v[d->n++] = ifc;
		d->counters[KR_RECORDS]++;
	}
	if (kline_failed(&l))
		return ws_error(errbuf, "read error");
	return 0;
}

int kernel_read_dev(const char *root, struct kernel_ifaces *d, char *errbuf)
{
	char path[4096], err[WS_ERRBUF_SIZE];
	FILE *f = kopen(root, "net/dev", path, sizeof(path));
	if (!f)
		return ws_error(errbuf, "%s: %s", path, strerror(errno));
	int rc = kernel_parse_dev(f, d, err);
	fclose(f);
	if (rc < 0)
		return ws_error(errbuf, "%s: %s", path, err);
	return 0;
}

const struct kernel_iface *kernel_iface_find(const struct kernel_ifaces *d,
					     const char *name)
{
	for (size_t i = 0; i < d->n; i++)
		if (strcmp(d->v[i].name, name) == 0)
			return &d->v[i];
	return NULL;
}

void kernel_iface_delta(const struct kernel_iface *before,
			const struct kernel_iface *after,
			uint64_t delta[KDEV_MAX])
{
	for (int i = 0; i < KDEV_MAX; i++)
		delta[i] = after->c[i] - before->c[i];
}
