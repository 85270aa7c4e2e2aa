/* fuzz_packet.c - libFuzzer target: the decoder, flow table, TCP machine
 * and Zeek view fed one packet at a time, then every report.
 *
 * Input: byte 0 picks the link type (low 3 bits), the output format,
 * whether hosts are named from the DNS answers fed (bit 4: not -n, and
 * -f), and whether connection records and events are on (bits 6 and 7);
 * then records of a 2-byte big-endian length followed by that many bytes,
 * each fed as one packet 1 ms after the previous (a high bit in the length
 * moves the clock 61 s instead, to reach the timers).  A small flow cap
 * makes eviction happen. */
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
	struct addr_prefix host;
	char err[WS_ERRBUF_SIZE];
	if (size < 1)
		return 0;
	addr_prefix_parse("10.0.0.0/8", &host, err, sizeof(err));
	struct engine_config cfg = {
		.max_flows = 64,
		.conn = data[0] & 0x40,
		.hosts = &host,
		.nhosts = (data[0] >> 5) & 1,
	};
	if (engine_init(&e, &cfg, err) < 0)
		return 0;
	FILE *null = fopen("/dev/null", "w");
	if (!null) {
		engine_free(&e);
		return 0;
	}
	struct report_options o = {.all = true,
				   .numeric = !(data[0] & 0x10),
				   .fqdn = data[0] & 0x10,
				   .time_in_state = true,
				   .format = (enum emit_format)(data[0] % 3)};
	struct engine *one = &e;
	struct conn_printer *cp = NULL;
	struct event_printer *ep = NULL;
	if (cfg.conn && (cp = report_conn_begin(null, &o, false))) {
		report_conn_names(cp, &one, 1);
		engine_on_conn(&e, report_conn, cp);
	}
	if ((data[0] & 0x80) && (ep = report_events_begin(null, &o, false)))
		engine_on_event(&e, report_event, ep);

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
	engine_finish(&e);
	if (!stats_balanced(&e.stats))
		abort(); /* a packet not accounted for */
	report_sockets(null, &one, 1, &o);
	report_stats(null, &one, 1, &o);
	report_names(null, &one, 1, &o);
	const char *name = "fuzz";
	report_interfaces(null, &one, 1, &o, &name, 1);
	report_conn_end(cp);
	report_events_end(ep);
	fclose(null);
	engine_free(&e);
	return 0;
}
