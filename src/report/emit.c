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
	/* table mode: column widths; once emit_measure() has seen every row
	 * they are final and emit_row() prints at once instead of keeping
	 * the row (line and vbuf: one line's cells) */
	size_t *width;
	const char **line;
	char (*vbuf)[64];
	bool measured, head_done;
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
void emit_json_string(FILE *out, const char *s)
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

static void print_padded(FILE *out, const char *s, size_t width,
			 enum emit_align align, size_t *owed);

static int table_init(struct emit *e)
{
	if (e->width)
		return 0;
	e->width = calloc(e->nfields, sizeof(*e->width));
	e->line = calloc(e->nfields, sizeof(*e->line));
	e->vbuf = calloc(e->nfields, sizeof(*e->vbuf));
	if (!e->width || !e->line || !e->vbuf)
		return -1;
	for (size_t i = 0; i < e->nfields; i++) {
		if (!(e->fields[i].where & EMIT_IN_TABLE))
			continue;
		e->width[i] = strlen(e->fields[i].heading);
		if (e->width[i] < e->fields[i].min_width)
			e->width[i] = e->fields[i].min_width;
	}
	return 0;
}

/* The table cells of one row into e->line. */
static void table_cells(struct emit *e, const struct emit_value *values)
{
	for (size_t i = 0; i < e->nfields; i++) {
		if (!(e->fields[i].where & EMIT_IN_TABLE))
			continue;
		if (values[i].type == EV_STRING) {
			e->line[i] = values[i].s;
		} else {
			value_text(&values[i], e->vbuf[i], sizeof(e->vbuf[i]));
			e->line[i] = e->vbuf[i];
		}
	}
}

static void table_line(struct emit *e)
{
	size_t owed = 2, lastcol = 0; /* the indent */
	for (size_t i = 0; i < e->nfields; i++)
		if (e->fields[i].where & EMIT_IN_TABLE)
			lastcol = i;
	for (size_t i = 0; i < e->nfields; i++) {
		if (!(e->fields[i].where & EMIT_IN_TABLE))
			continue;
		print_padded(e->out, e->line[i], e->width[i],
			     e->fields[i].align, &owed);
		if (i != lastcol)
			owed += 2;
	}
	fputc('\n', e->out);
}

static void table_head(struct emit *e)
{
	e->head_done = true;
	if (e->title)
		fprintf(e->out, "\n%s\n\n", e->title);
	for (size_t i = 0; i < e->nfields; i++)
		e->line[i] = e->fields[i].heading;
	table_line(e);
}

int emit_fixed(struct emit *e)
{
	if (e->fmt != EMIT_TABLE)
		return 0;
	if (e->nrows || (!e->measured && table_init(e) < 0))
		return -1;
	e->measured = true;
	return 0;
}

int emit_measure(struct emit *e, const struct emit_value *values)
{
	if (e->fmt != EMIT_TABLE)
		return 0;
	if (e->nrows || table_init(e) < 0)
		return -1; /* every row is measured before the first is emitted */
	table_cells(e, values);
	for (size_t i = 0; i < e->nfields; i++) {
		if (!(e->fields[i].where & EMIT_IN_TABLE))
			continue;
		size_t len = strlen(e->line[i]);
		if (len > e->width[i])
			e->width[i] = len;
	}
	e->measured = true;
	return 0;
}

int emit_row(struct emit *e, const struct emit_value *values)
{
	bool first = true;
	char buf[64];
	if (e->fmt == EMIT_TABLE && e->measured) {
		if (!e->head_done)
			table_head(e);
		table_cells(e, values);
		table_line(e);
		e->nrows++;
		return 0;
	}
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
			emit_json_string(e->out, e->fields[i].key);
			fputc(':', e->out);
			if (v->type == EV_STRING)
				emit_json_string(e->out, v->s);
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
	for (; *owed > 0; (*owed)--)
		putc(' ', out);
	fputs(s, out);
	*owed = align == EMIT_RIGHT ? 0 : pad;
}

/* Rows kept by emit_row(): widths from every cell, then the lines. */
static void table_print(struct emit *e)
{
	if (table_init(e) < 0) {
		e->failed = true;
		return;
	}
	for (size_t r = 0; r < e->nrows; r++)
		for (size_t i = 0; i < e->nfields; i++) {
			const char *c = e->cells[r * e->nfields + i];
			size_t len = c ? strlen(c) : 0;
			if (len > e->width[i])
				e->width[i] = len;
		}
	table_head(e);
	for (size_t r = 0; r < e->nrows; r++) {
		for (size_t i = 0; i < e->nfields; i++)
			e->line[i] = e->cells[r * e->nfields + i];
		table_line(e);
	}
}

int emit_end(struct emit *e)
{
	if (!e)
		return -1;
	if (e->fmt == EMIT_TABLE && !e->measured)
		table_print(e);
	else if (e->fmt == EMIT_TABLE && !e->head_done)
		table_head(e);
	if (!e->measured)
		for (size_t i = 0; i < e->nrows * e->nfields; i++)
			free(e->cells[i]);
	free(e->cells);
	free(e->width);
	free(e->line);
	free(e->vbuf);
	int failed = e->failed || fflush(e->out) != 0 || ferror(e->out);
	free(e);
	return failed ? -1 : 0;
}

int emit_rows_end(struct emit *e, size_t n, emit_fill_fn fill, void *ctx)
{
	struct emit_value v[EMIT_MAX_FIELDS];
	int r = 0;
	if (e->nfields > EMIT_MAX_FIELDS)
		r = -1;
	for (size_t i = 0; r == 0 && e->fmt == EMIT_TABLE && i < n; i++)
		if (fill(ctx, i, v) && emit_measure(e, v) < 0)
			r = -1;
	for (size_t i = 0; r == 0 && i < n; i++)
		if (fill(ctx, i, v) && emit_row(e, v) < 0)
			r = -1;
	return emit_end(e) < 0 ? -1 : r;
}
