/* fuzz_packet.c - libFuzzer target: the decoder, flow table and TCP
 * machine fed one packet at a time, then the report.
 *
 * Input: byte 0 picks the link type; then records of a 2-byte big-endian
 * length followed by that many bytes, each fed as one packet 1 ms after
 * the previous (a high bit in the length moves the clock 61 s instead, to
 * reach the timers).  A small flow cap makes eviction happen. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <pcap/dlt.h>

#include "wirestat/engine.h"
#include "wirestat/report.h"

static const int dlts[] = {DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2,
			   DLT_RAW,    DLT_IPV4,      DLT_IPV6,
			   DLT_NULL,   DLT_LOOP};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct engine e;
	struct engine_config cfg = {.max_flows = 64};
	char err[WS_ERRBUF_SIZE];
	if (size < 1 || engine_init(&e, &cfg, err) < 0)
		return 0;
	int dlt = dlts[data[0] % (sizeof(dlts) / sizeof(dlts[0]))];
	size_t off = 1;
	ws_time t = WS_SEC(1700000000);
	while (size - off >= 2) {
		uint16_t hdr = (uint16_t)(data[off] << 8 | data[off + 1]);
		size_t len = hdr & 0x7fff;
		off += 2;
		if (len > size - off)
			len = size - off;
		t += (hdr & 0x8000) ? WS_SEC(61) : WS_SEC(1) / 1000;
		engine_packet(&e, 0, dlt, t, data + off, (uint32_t)len,
			      (uint32_t)len + (data[0] >> 7) * 100);
		off += len;
	}
	if (!stats_balanced(&e.stats))
		abort(); /* a packet not accounted for */
	FILE *null = fopen("/dev/null", "w");
	if (null) {
		struct report_options o = {.all = true, .numeric = true,
					   .format = (enum emit_format)(data[0] % 3)};
		report_sockets(null, &e, &o);
		fclose(null);
	}
	engine_free(&e);
	return 0;
}
