/* emit.c - rendering rows as a table, JSON Lines or CSV. */
#include "wirestat/emit.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct emit {
	FILE *out;
	enum emit_format fmt;
	const struct emit_field *fields;
	size_t nfields;
	const char *title;
	/* table mode: rows of cells, nfields cells per row */
	char **cells;
	size_t nrows, cap;
	bool failed;
};

int emit_format_parse(const char *s)
{
	if (strcmp(s, "table") == 0)
		return EMIT_TABLE;
	if (strcmp(s, "json") == 0)
		return EMIT_JSON;
	if (strcmp(s, "csv") == 0)
		return EMIT_CSV;
	return -1;
}

static void value_text(const struct emit_value *v, char *buf, size_t size)
{
	switch (v->type) {
	case EV_STRING:
		snprintf(buf, size, "%s", v->s);
		break;
	case EV_INT:
		snprintf(buf, size, "%" PRId64, v->i);
		break;
	case EV_BOOL:
		snprintf(buf, size, "%s", v->b ? "true" : "false");
		break;
	case EV_FLOAT:
		snprintf(buf, size, "%.*f", v->decimals, v->f);
		break;
	default:
		buf[0] = '\0';
		break;
	}
}

/* JSON string escaping (RFC 8259 section 7): every control byte too, so
 * hostile names cannot break a line. */
static void json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", out);
			break;
		case '\\':
			fputs("\\\\", out);
			break;
		case '\n':
			fputs("\\n", out);
			break;
		case '\r':
			fputs("\\r", out);
			break;
		case '\t':
			fputs("\\t", out);
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(out, "\\u%04x", *p);
			else
				fputc(*p, out);
		}
	}
	fputc('"', out);
}

static void csv_string(FILE *out, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (const char *p = s; *p; p++) {
		if (*p == '"')
			fputc('"', out);
		fputc(*p, out);
	}
	fputc('"', out);
}

struct emit *emit_begin(FILE *out, enum emit_format fmt,
			const struct emit_field *fields, size_t nfields,
			const char *title)
{
	struct emit *e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->out = out;
	e->fmt = fmt;
	e->fields = fields;
	e->nfields = nfields;
	e->title = title;
	if (fmt == EMIT_CSV) {
		bool first = true;
		for (size_t i = 0; i < nfields; i++) {
			if (!(fields[i].where & EMIT_IN_DATA))
				continue;
			if (!first)
				fputc(',', out);
			fputs(fields[i].key, out);
			first = false;
		}
		fputc('\n', out);
	}
	return e;
}

static int table_row(struct emit *e, const struct emit_value *values)
{
	if (e->nrows == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 64;
		char **cells = realloc(e->cells, cap * e->nfields * sizeof(*cells));
		if (!cells)
			return -1;
		e->cells = cells;
		e->cap = cap;
	}
	char **row = &e->cells[e->nrows * e->nfields];
	for (size_t i = 0; i < e->nfields; i++) {
		char buf[512];
		row[i] = NULL;
		if (!(e->fields[i].where & EMIT_IN_TABLE))
			continue;
		value_text(&values[i], buf, sizeof(buf));
		row[i] = strdup(buf);
		if (!row[i]) {
			for (size_t j = 0; j < i; j++)
				free(row[j]);
			return -1;
		}
	}
	e->nrows++;
	return 0;
}

int emit_row(struct emit *e, const struct emit_value *values)
{
	bool first = true;
	char buf[64];
	if (e->fmt == EMIT_TABLE)
		return table_row(e, values);
	if (e->fmt == EMIT_JSON)
		fputc('{', e->out);
	for (size_t i = 0; i < e->nfields; i++) {
		const struct emit_value *v = &values[i];
		if (!(e->fields[i].where & EMIT_IN_DATA))
			continue;
		if (!first)
			fputc(',', e->out);
		first = false;
		if (e->fmt == EMIT_JSON) {
			json_string(e->out, e->fields[i].key);
			fputc(':', e->out);
			if (v->type == EV_STRING)
				json_string(e->out, v->s);
			else if (v->type == EV_NULL ||
				 (v->type == EV_FLOAT && !isfinite(v->f)))
				fputs("null", e->out); /* JSON has no NaN */
			else {
				value_text(v, buf, sizeof(buf));
				fputs(buf, e->out);
			}
		} else if (v->type == EV_STRING) {
			csv_string(e->out, v->s);
		} else {
			value_text(v, buf, sizeof(buf));
			fputs(buf, e->out);
		}
	}
	fputs(e->fmt == EMIT_JSON ? "}\n" : "\n", e->out);
	return 0;
}

/* Padding is written only before the next non-empty cell, so a line
 * never ends in spaces. */
static void print_padded(FILE *out, const char *s, size_t width,
			 enum emit_align align, size_t *owed)
{
	size_t len = strlen(s);
	size_t pad = width > len ? width - len : 0;
	if (len == 0) {
		*owed += width;
		return;
	}
	if (align == EMIT_RIGHT)
		*owed += pad;
	fprintf(out, "%*s%s", (int)*owed, "", s);
	*owed = align == EMIT_RIGHT ? 0 : pad;
}

static void table_print(struct emit *e)
{
	size_t *width = calloc(e->nfields, sizeof(*width));
	size_t lastcol = 0;
	if (!width) {
		e->failed = true;
		return;
	}
	for (size_t i = 0; i < e->nfields; i++) {
		if (!(e->fields[i].where & EMIT_IN_TABLE))
			continue;
		lastcol = i;
		width[i] = strlen(e->fields[i].heading);
		if (width[i] < e->fields[i].min_width)
			width[i] = e->fields[i].min_width;
		for (size_t r = 0; r < e->nrows; r++) {
			size_t len = strlen(e->cells[r * e->nfields + i]);
			if (len > width[i])
				width[i] = len;
		}
	}
	if (e->title)
		fprintf(e->out, "\n%s\n\n", e->title);
	for (size_t r = 0; r <= e->nrows; r++) {
		size_t owed = 2; /* the indent */
		for (size_t i = 0; i < e->nfields; i++) {
			if (!(e->fields[i].where & EMIT_IN_TABLE))
				continue;
			const char *s = r == 0 ? e->fields[i].heading
					       : e->cells[(r - 1) * e->nfields + i];
			print_padded(e->out, s, width[i], e->fields[i].align,
				     &owed);
			if (i != lastcol)
				owed += 2;
		}
		fputc('\n', e->out);
	}
	free(width);
}

int emit_end(struct emit *e)
{
	if (!e)
		return -1;
	if (e->fmt == EMIT_TABLE)
		table_print(e);
	for (size_t i = 0; i < e->nrows * e->nfields; i++)
		free(e->cells[i]);
	free(e->cells);
	int failed = e->failed || fflush(e->out) != 0 || ferror(e->out);
	free(e);
	return failed ? -1 : 0;
}
