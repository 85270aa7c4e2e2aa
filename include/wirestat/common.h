/* common.h - small definitions every wirestat module shares. */
#ifndef WIRESTAT_COMMON_H
#define WIRESTAT_COMMON_H

#include <stddef.h>
#include <stdint.h>

/* Time is packet time in nanoseconds since the epoch (int64 lasts to 2262). */
typedef int64_t ws_time;

#define WS_NS_PER_SEC INT64_C(1000000000)
#define WS_SEC(s) ((ws_time)(s) * WS_NS_PER_SEC)

#define WS_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Size of the error buffer setup functions fill (like PCAP_ERRBUF_SIZE). */
#define WS_ERRBUF_SIZE 512

#if defined(__GNUC__)
#define ws_likely(x) __builtin_expect(!!(x), 1)
#define ws_unlikely(x) __builtin_expect(!!(x), 0)
#define WS_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define ws_likely(x) (x)
#define ws_unlikely(x) (x)
#define WS_PRINTF(f, a)
#endif

/* Fill an error buffer; returns -1 so callers can "return ws_error(...)". */
int ws_error(char *errbuf, const char *fmt, ...) WS_PRINTF(2, 3);

/* The value of a hexadecimal digit, either case; -1 for anything else. */
static inline int ws_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif
