/* error.c - filling a caller's error buffer (libpcap's errbuf style). */
#include <stdarg.h>
#include <stdio.h>

#include "wirestat/common.h"

int ws_error(char *errbuf, const char *fmt, ...)
{
	va_list ap;
	if (!errbuf)
		return -1;
	va_start(ap, fmt);
	vsnprintf(errbuf, WS_ERRBUF_SIZE, fmt, ap);
	va_end(ap);
	return -1;
}
