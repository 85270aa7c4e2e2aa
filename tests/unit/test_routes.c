/* test_routes.c - -r's formatting: route -n's layout for IPv4 and IPv6,
 * the flag letters, a gateway or none, the kernel's -1 metric, -p
 * choosing a family, and the same routes as JSON Lines and CSV. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wirestat/kernel.h"
#include "wirestat/report.h"

/* /proc/net/route and /proc/net/ipv6_route as a little-endian host
 * writes them. */
static const char route4[] =
	"Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
	"eth0\t00000000\t0100000A\t0003\t0\t0\t100\t00000000\t0\t0\t0\n"
	"eth0\t0000000A\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0\n"
	"eth0\t0900000A\t00000000\t0205\t1\t7\t-1\tFFFFFFFF\t0\t0\t0\n";
static const char route6[] =
	"fd000000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0\n"
	"00000000000000000000000000000000 00 00000000000000000000000000000000 00 fe800000000000000000000000000001 00000400 00000002 00000003 00040003     eth0\n";

static bool little_endian(void)
{
	const uint16_t one = 1;
	uint8_t b;
	memcpy(&b, &one, 1);
	return b == 1;
}

static void load(struct kernel_routes *r)
{
	char err[WS_ERRBUF_SIZE];
	FILE *f = fmemopen((void *)(uintptr_t)route4, strlen(route4), "r");
	assert_non_null(f);
	kernel_routes_init(r, 64);
	assert_int_equal(kernel_parse_route(f, r, err), 0);
	fclose(f);
	f = fmemopen((void *)(uintptr_t)route6, strlen(route6), "r");
	assert_non_null(f);
	assert_int_equal(kernel_parse_ipv6_route(f, r, err), 0);
	fclose(f);
	assert_int_equal(r->n, 5);
}

static char *render(const struct kernel_routes *r, enum emit_format fmt,
		    unsigned protos)
{
	char *buf = NULL;
	size_t len = 0;
	struct report_options o;
	memset(&o, 0, sizeof(o));
	o.format = fmt;
	o.protos = protos;
	FILE *out = open_memstream(&buf, &len);
	assert_non_null(out);
	assert_int_equal(report_routes(out, r, &o), 0);
	fclose(out);
	return buf;
}

static void test_table(void **state)
{
	struct kernel_routes r;
	(void)state;
	if (!little_endian())
		skip();
	load(&r);
	char *t = render(&r, EMIT_TABLE, 0);
	assert_string_equal(
		t,
		"\nKernel IP routing table\n\n"
		"  Destination      Gateway          Genmask          Flags  Metric  Ref     Use  Iface\n"
		"  0.0.0.0          10.0.0.1         0.0.0.0          UG        100    0       0  eth0\n"
		"  10.0.0.0         0.0.0.0          255.255.255.0    U         100    0       0  eth0\n"
		"  10.0.0.9         0.0.0.0          255.255.255.255  UH!        -1    1       7  eth0\n"
		"\nKernel IPv6 routing table\n\n"
		"  Destination      Next Hop         Flags  Metric  Ref     Use  Iface\n"
		"  fd00::/64        ::               U         256    1       0  eth0\n"
		"  ::/0             fe80::1          UGA      1024    2       3  eth0\n");
	free(t);
	t = render(&r, EMIT_TABLE, REPORT_IP6);
	assert_null(strstr(t, "Kernel IP routing"));
	assert_non_null(strstr(t, "fe80::1"));
	free(t);
	kernel_routes_free(&r);
}

static void test_data(void **state)
{
	struct kernel_routes r;
	(void)state;
	if (!little_endian())
		skip();
	load(&r);
	char *t = render(&r, EMIT_JSON, REPORT_IP);
	assert_string_equal(
		t,
		"{\"kind\":\"route\",\"family\":\"inet\",\"destination\":\"0.0.0.0\",\"prefix_len\":0,\"gateway\":\"10.0.0.1\",\"genmask\":\"0.0.0.0\",\"flags\":\"UG\",\"metric\":100,\"ref\":0,\"use\":0,\"iface\":\"eth0\"}\n"
		"{\"kind\":\"route\",\"family\":\"inet\",\"destination\":\"10.0.0.0\",\"prefix_len\":24,\"gateway\":null,\"genmask\":\"255.255.255.0\",\"flags\":\"U\",\"metric\":100,\"ref\":0,\"use\":0,\"iface\":\"eth0\"}\n"
		"{\"kind\":\"route\",\"family\":\"inet\",\"destination\":\"10.0.0.9\",\"prefix_len\":32,\"gateway\":null,\"genmask\":\"255.255.255.255\",\"flags\":\"UH!\",\"metric\":-1,\"ref\":1,\"use\":7,\"iface\":\"eth0\"}\n");
	free(t);
	t = render(&r, EMIT_CSV, REPORT_IP6);
	assert_string_equal(
		t,
		"kind,family,destination,prefix_len,gateway,genmask,flags,metric,ref,use,iface\n"
		"route,inet6,fd00::,64,,,U,256,1,0,eth0\n"
		"route,inet6,::,0,fe80::1,,UGA,1024,2,3,eth0\n");
	free(t);
	kernel_routes_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_data),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
