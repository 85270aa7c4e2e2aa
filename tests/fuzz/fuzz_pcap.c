/* fuzz_pcap.c - libFuzzer target: a whole capture file through the same
 * path as -R (libpcap's reader, the merge, the engine, the report). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "wirestat/capture.h"
#include "wirestat/engine.h"
#include "wirestat/report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[WS_ERRBUF_SIZE];
	struct engine e;
	struct engine_config cfg = {.max_flows = 256};
	struct capture_packet pkt;
	int r;
	if (size == 0)
		return 0;
	FILE *fp = fmemopen((void *)(uintptr_t)data, size, "rb");
	if (!fp)
		return 0;
	struct capture *cap = capture_open_stream(fp, "fuzz", err);
	if (!cap)
		return 0; /* not a capture: exit 2 in wirestat */
	if (engine_init(&e, &cfg, err) < 0) {
		capture_close(cap);
		return 0;
	}
	while ((r = capture_next(cap, &pkt, err)) != 0)
		if (r > 0)
			engine_packet(&e, pkt.input, pkt.dlt, pkt.ts, pkt.data,
				      pkt.caplen,
				      pkt.len);
	if (!stats_balanced(&e.stats))
		abort();
	FILE *null = fopen("/dev/null", "w");
	if (null) {
		struct report_options o = {.all = true, .format = EMIT_JSON};
		struct engine *one = &e;
		report_sockets(null, &one, 1, &o); /* hosts named, as without -n */
		report_names(null, &one, 1, &o);
		fclose(null);
	}
	engine_free(&e);
	capture_close(cap);
	return 0;
}
