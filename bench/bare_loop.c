/* bare_loop.c - the baseline wirestat is measured against: libpcap's
 * pcap_next_ex() over a file, touching each packet's first byte and
 * nothing more. */
#include <pcap/pcap.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	unsigned long long n = 0, bytes = 0, sum = 0;
	int r;
	if (argc != 2) {
		fprintf(stderr, "usage: bare_loop file.pcap\n");
		return 2;
	}
	pcap_t *p = pcap_open_offline_with_tstamp_precision(
		argv[1], PCAP_TSTAMP_PRECISION_NANO, err);
	if (!p) {
		fprintf(stderr, "bare_loop: %s\n", err);
		return 2;
	}
	while ((r = pcap_next_ex(p, &h, &data)) == 1) {
		n++;
		bytes += h->len;
		if (h->caplen)
			sum += data[0];
	}
	pcap_close(p);
	printf("%llu packets %llu bytes %llu\n", n, bytes, sum);
	return r == PCAP_ERROR ? 1 : 0;
}
