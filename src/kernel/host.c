/* host.c - this host's addresses (getifaddrs) and one snapshot of what
 * the kernel says about the host, read once per report: addresses,
 * sockets, their owners and the conntrack table. */
#include "kparse.h"

#include <errno.h>
#include <ifaddrs.h>
#include <linux/if_packet.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "wirestat/kernel.h"

void kernel_addrs_init(struct kernel_addrs *a, size_t max)
{
	memset(a, 0, sizeof(*a));
	a->max = max;
}

void kernel_addrs_free(struct kernel_addrs *a)
{
	free(a->v);
	free(a->links);
	a->v = NULL;
	a->links = NULL;
	a->n = a->alloc = a->nlinks = a->links_alloc = 0;
}

/* An interface name as getifaddrs() gives it (an alias "eth0:1" keeps
 * its base name's length); false if it does not fit. */
static bool copy_name(const char *name, char out[KERNEL_IFNAMSIZ])
{
	size_t len = name ? strlen(name) : 0;
	if (len == 0 || len >= KERNEL_IFNAMSIZ)
		return false;
	memcpy(out, name, len + 1);
	return true;
}

bool kernel_addrs_add(struct kernel_addrs *a, const struct addr *addr,
		      uint8_t prefix_len, const char *iface)
{
	struct kernel_addr *v = kroom(a->v, &a->alloc, a->n, a->max,
				      sizeof(*a->v), a->counters);
	if (!v)
		return false;
	a->v = v;
	memset(&a->v[a->n], 0, sizeof(a->v[0]));
	a->v[a->n].addr = *addr;
	a->v[a->n].prefix_len = prefix_len;
	if (!copy_name(iface, a->v[a->n].iface))
		a->counters[KR_BAD_NAME]++;
	a->n++;
	a->counters[KR_RECORDS]++;
	return true;
}

static int addr_entry_cmp(const void *x, const void *y)
{
	const struct kernel_addr *a = x, *b = y;
	int c = addr_cmp(&a->addr, &b->addr);
	return c ? c : strcmp(a->iface, b->iface);
}

void kernel_addrs_sort(struct kernel_addrs *a)
{
	if (a->n)
		qsort(a->v, a->n, sizeof(a->v[0]), addr_entry_cmp);
}

/* The prefix length of a netmask sockaddr (ones counted up to the first
 * zero bit). */
static uint8_t mask_bits(const struct sockaddr *m, size_t bytes)
{
	const uint8_t *b;
	uint8_t n = 0;
	if (!m)
		return 0;
	b = m->sa_family == AF_INET
		    ? (const uint8_t *)&((const struct sockaddr_in *)(const void *)m)->sin_addr
		    : ((const struct sockaddr_in6 *)(const void *)m)->sin6_addr.s6_addr;
	while (n < bytes * 8 && (b[n / 8] & (0x80 >> n % 8)))
		n++;
	return n;
}

static void add_link(struct kernel_addrs *a, const struct ifaddrs *ifa)
{
	const struct sockaddr_ll *ll =
		(const struct sockaddr_ll *)(const void *)ifa->ifa_addr;
	if (ll->sll_hatype != ARPHRD_ETHER || ll->sll_halen != 6)
		return;
	struct kernel_link *v = kroom(a->links, &a->links_alloc, a->nlinks,
				      a->max, sizeof(*a->links), a->counters);
	if (!v)
		return;
	a->links = v;
	memset(&v[a->nlinks], 0, sizeof(v[0]));
	if (!copy_name(ifa->ifa_name, v[a->nlinks].name)) {
		a->counters[KR_BAD_NAME]++;
		return;
	}
	memcpy(v[a->nlinks].mac, ll->sll_addr, 6);
	a->nlinks++;
}

int kernel_read_addrs(struct kernel_addrs *a, char *errbuf)
{
	struct ifaddrs *list;
	a->n = a->nlinks = 0;
	memset(a->counters, 0, sizeof(a->counters));
	if (getifaddrs(&list) != 0)
		return ws_error(errbuf, "getifaddrs: %s", strerror(errno));
	for (const struct ifaddrs *ifa = list; ifa; ifa = ifa->ifa_next) {
		struct addr x;
		if (!ifa->ifa_addr)
			continue;
		memset(&x, 0, sizeof(x));
		switch (ifa->ifa_addr->sa_family) {
		case AF_INET:
			x.family = ADDR_V4;
			memcpy(x.bytes,
			       &((const struct sockaddr_in *)(const void *)
					 ifa->ifa_addr)->sin_addr,
			       4);
			kernel_addrs_add(a, &x, mask_bits(ifa->ifa_netmask, 4),
					 ifa->ifa_name);
			break;
		case AF_INET6:
			x.family = ADDR_V6;
			memcpy(x.bytes,
			       ((const struct sockaddr_in6 *)(const void *)
					ifa->ifa_addr)->sin6_addr.s6_addr,
			       16);
			kernel_addrs_add(a, &x,
					 mask_bits(ifa->ifa_netmask, 16),
					 ifa->ifa_name);
			break;
		case AF_PACKET:
			add_link(a, ifa);
			break;
		default:
			break;
		}
	}
	freeifaddrs(list);
	kernel_addrs_sort(a);
	return 0;
}

bool kernel_addrs_has(const struct kernel_addrs *a, const struct addr *x)
{
	size_t lo = 0, hi = a ? a->n : 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = addr_cmp(&a->v[mid].addr, x);
		if (c == 0)
			return true;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

const uint8_t *kernel_addrs_mac(const struct kernel_addrs *a,
				const char *iface)
{
	for (size_t i = 0; i < a->nlinks; i++)
		if (strcmp(a->links[i].name, iface) == 0)
			return a->links[i].mac;
	return NULL;
}

void kernel_host_init(struct kernel_host *h)
{
	memset(h, 0, sizeof(*h));
	kernel_addrs_init(&h->addrs, KERNEL_MAX_ADDRS);
	kernel_sockets_init(&h->sockets, KERNEL_MAX_SOCKETS);
	kernel_owners_init(&h->owners, KERNEL_MAX_OWNERS, KERNEL_MAX_PROCS);
	kernel_conntrack_init(&h->ct, KERNEL_MAX_CONNTRACK);
}

void kernel_host_free(struct kernel_host *h)
{
	kernel_addrs_free(&h->addrs);
	kernel_sockets_free(&h->sockets);
	kernel_owners_free(&h->owners);
	kernel_conntrack_free(&h->ct);
}

int kernel_host_read(struct kernel_host *h, const char *root, unsigned what,
		     char *errbuf)
{
	char err[WS_ERRBUF_SIZE];
	h->have = 0;
	h->sockets.n = h->owners.n = h->ct.n = 0;
	memset(h->sockets.counters, 0, sizeof(h->sockets.counters));
	memset(h->owners.counters, 0, sizeof(h->owners.counters));
	memset(h->ct.counters, 0, sizeof(h->ct.counters));
	if (what & KH_ADDRS) {
		if (kernel_read_addrs(&h->addrs, errbuf) < 0)
			return -1;
		h->have |= KH_ADDRS;
	}
	if (what & KH_SOCKETS) {
		if (kernel_read_sockets(root, 0, &h->sockets, errbuf) < 0)
			return -1;
		h->have |= KH_SOCKETS;
	}
	if (what & KH_OWNERS) {
		if (kernel_read_owners(root, &h->owners, err) < 0) {
			snprintf(h->owners_error, sizeof(h->owners_error), "%s",
				 err);
			h->owners.n = 0;
		} else {
			h->owners_error[0] = '\0';
			h->have |= KH_OWNERS;
		}
	}
	if (what & KH_CONNTRACK) {
		if (kernel_conntrack_dump(&h->ct, err) < 0) {
			snprintf(h->ct_error, sizeof(h->ct_error), "%s", err);
			h->ct.n = 0;
		} else {
			h->ct_error[0] = '\0';
			h->have |= KH_CONNTRACK;
		}
	}
	return 0;
}
