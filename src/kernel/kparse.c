/* kparse.c - the line reader, splitter and number parsers the /proc
 * readers share.  Modelled on ss's generic_record_read(): a line counts
 * only if it ends in a newline and fits the buffer. */
#include "kparse.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

const char *const kernel_reason_names[KR_MAX] = {
#define KERNEL_X_NAME(e, name) [e] = (name),
	KERNEL_REASONS(KERNEL_X_NAME)
#undef KERNEL_X_NAME
};

void kline_init(struct kline *l, FILE *f, char *buf, size_t size,
		uint64_t *counters)
{
	l->f = f;
	l->buf = buf;
	l->size = size;
	l->len = 0;
	l->counters = counters;
	buf[0] = '\0';
}

int kline_next(struct kline *l)
{
	for (;;) {
		size_t n = 0;
		bool too_long = false, nul = false;
		int c;
		while ((c = getc_unlocked(l->f)) != EOF && c != '\n') {
			if (c == '\0')
				nul = true;
			if (n < l->size - 1)
				l->buf[n++] = (char)c;
			else
				too_long = true;
		}
		if (c == EOF) {
			if (n > 0 || too_long || nul)
				l->counters[KR_NO_NEWLINE]++;
			l->buf[0] = '\0';
			l->len = 0;
			return 0;
		}
		if (nul) {
			l->counters[KR_NUL_BYTE]++;
			continue;
		}
		if (too_long) {
			l->counters[KR_LONG_LINE]++;
			continue;
		}
		l->buf[n] = '\0';
		l->len = n;
		return 1;
	}
}

bool kline_failed(const struct kline *l)
{
	return ferror(l->f) != 0;
}

int kline_missing(const struct kline *l, char *errbuf, const char *what)
{
	return ws_error(errbuf, "%s", kline_failed(l) ? "read error" : what);
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

size_t ktok_split(char *s, char **tok, size_t max)
{
	size_t n = 0;
	for (;;) {
		while (is_space(*s))
			*s++ = '\0';
		if (*s == '\0')
			return n;
		if (n == max)
			return max + 1;
		tok[n++] = s;
		while (*s != '\0' && !is_space(*s))
			s++;
	}
}

bool kparse_hex(const char *s, size_t min_digits, size_t max_digits,
		uint64_t *out)
{
	uint64_t v = 0;
	size_t n = 0;
	for (; s[n] != '\0'; n++) {
		int d = ws_hex_digit(s[n]);
		if (d < 0 || n >= max_digits || n >= 16)
			return false;
		v = v << 4 | (uint64_t)d;
	}
	if (n == 0 || n < min_digits)
		return false;
	*out = v;
	return true;
}

bool kparse_dec(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return false;
		uint64_t d = (uint64_t)(*s - '0');
		if (v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

bool kparse_int32(const char *s, uint32_t *out)
{
	uint64_t v;
	if (*s == '-') {
		if (!kparse_dec(s + 1, UINT64_C(0x80000000), &v))
			return false;
		*out = (uint32_t)(UINT64_C(0x100000000) - v);
		return true;
	}
	if (!kparse_dec(s, UINT32_MAX, &v))
		return false;
	*out = (uint32_t)v;
	return true;
}

bool kparse_dec_signed(const char *s, uint64_t *out)
{
	uint64_t v;
	if (*s == '-') {
		if (!kparse_dec(s + 1, UINT64_C(1) << 63, &v))
			return false;
		*out = (uint64_t)0 - v;
		return true;
	}
	return kparse_dec(s, UINT64_MAX, out);
}

bool kparse_addr_words(const char *s, size_t len, struct addr *a)
{
	if ((len != 8 && len != 32) || strlen(s) != len)
		return false;
	memset(a, 0, sizeof(*a));
	for (size_t w = 0; w < len / 8; w++) {
		uint32_t word = 0;
		for (size_t i = 0; i < 8; i++) {
			int d = ws_hex_digit(s[w * 8 + i]);
			if (d < 0)
				return false;
			word = word << 4 | (uint32_t)d;
		}
		memcpy(a->bytes + w * 4, &word, 4);
	}
	a->family = len == 8 ? ADDR_V4 : ADDR_V6;
	return true;
}

bool kname_iface(const char *s, size_t len, char out[KERNEL_IFNAMSIZ])
{
	if (len == 0 || len >= KERNEL_IFNAMSIZ)
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] <= ' ' || s[i] > '~' || s[i] == '/' || s[i] == ':')
			return false;
	memcpy(out, s, len);
	out[len] = '\0';
	return true;
}

FILE *kopen(const char *root, const char *rel, char *path, size_t size)
{
	int n = snprintf(path, size, "%s/%s", root ? root : KERNEL_PROC_ROOT,
			 rel);
	if (n < 0 || (size_t)n >= size) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	return fopen(path, "re");
}

void *kroom(void *v, size_t *alloc, size_t n, size_t max, size_t elsize,
	    uint64_t *counters)
{
	if (n >= max) {
		counters[KR_OVER_CAP]++;
		return NULL;
	}
	if (n < *alloc)
		return v;
	size_t want = *alloc ? *alloc * 2 : 64;
	if (want > max || want <= *alloc)
		want = max;
	void *p = want <= SIZE_MAX / elsize ? realloc(v, want * elsize) : NULL;
	if (!p) {
		counters[KR_NO_MEMORY]++;
		return NULL;
	}
	*alloc = want;
	return p;
}
