/* emit.h - one emission layer for every report.
 *
 * A report declares its fields once: the JSON/CSV key, the table heading,
 * where the field appears and how a table cell aligns.  Each row is an
 * array of values, one per field, rendered as a table cell, a JSON member
 * or a CSV field (iproute2's print_*(PRINT_ANY, ...) idea).  Tables are
 * buffered to size their columns; JSON Lines and CSV stream.
 */
#ifndef WIRESTAT_EMIT_H
#define WIRESTAT_EMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum emit_format { EMIT_TABLE, EMIT_JSON, EMIT_CSV };

/* The most fields a view has (emit_rows_end's row buffer). */
#define EMIT_MAX_FIELDS 64

enum {
	EMIT_IN_TABLE = 0x1, /* a column of the table */
	EMIT_IN_DATA = 0x2,  /* a JSON member and a CSV field */
	EMIT_IN_ALL = 0x3,
};

enum emit_align { EMIT_LEFT, EMIT_RIGHT };

struct emit_field {
	const char *key;     /* JSON/CSV name */
	const char *heading; /* table heading */
	uint8_t where;	     /* EMIT_IN_* */
	uint8_t align;	     /* enum emit_align */
	uint8_t min_width;   /* table column width before the 2-space gap */
};

enum emit_type { EV_NULL, EV_STRING, EV_INT, EV_BOOL, EV_FLOAT };

/* A value; strings are copied by emit_row(), so they may be temporary. */
struct emit_value {
	int64_t i;
	double f;
	const char *s;
	uint8_t type; /* enum emit_type */
	bool b;
	uint8_t decimals; /* EV_FLOAT: digits after the point */
};

static inline struct emit_value ev_str(const char *s)
{
	struct emit_value v = {.type = s ? EV_STRING : EV_NULL, .s = s};
	return v;
}

static inline struct emit_value ev_int(int64_t i)
{
	struct emit_value v = {.type = EV_INT, .i = i};
	return v;
}

static inline struct emit_value ev_bool(bool b)
{
	struct emit_value v = {.type = EV_BOOL, .b = b};
	return v;
}

static inline struct emit_value ev_float(double f, uint8_t decimals)
{
	struct emit_value v = {.type = EV_FLOAT, .f = f, .decimals = decimals};
	return v;
}

static inline struct emit_value ev_null(void)
{
	struct emit_value v = {.type = EV_NULL};
	return v;
}

struct emit;

/* title: printed above a table ("Active Connections"), NULL for none. */
struct emit *emit_begin(FILE *out, enum emit_format fmt,
			const struct emit_field *fields, size_t nfields,
			const char *title);

/* Table mode without buffering: pass every row to emit_measure() first
 * (column widths), then to emit_row(), which then prints it at once.
 * Other formats ignore it.  -1 if out of memory or called too late. */
int emit_measure(struct emit *e, const struct emit_value *values);

/* Table mode that prints each row as it comes, the columns as wide as
 * the headings and minimum widths say (a longer cell pushes the rest of
 * its line): for output that has to appear as it happens.  Call before
 * the first row.  -1 if out of memory. */
int emit_fixed(struct emit *e);

/* values[nfields]; returns -1 if out of memory (table mode). */
int emit_row(struct emit *e, const struct emit_value *values);

/* Print what is buffered and free; returns -1 if a write failed. */
int emit_end(struct emit *e);

/* Fill values for row i; false leaves the row out.  At most
 * EMIT_MAX_FIELDS values. */
typedef bool (*emit_fill_fn)(void *ctx, size_t i, struct emit_value *values);

/* Rows 0..n-1 as fill() makes them, then emit_end(): a table is measured
 * in a first pass (fill() is called twice per row), so that no row is
 * kept.  Returns 0, or -1 if a write failed (e is freed either way). */
int emit_rows_end(struct emit *e, size_t n, emit_fill_fn fill, void *ctx);

/* A JSON string, quoted, every control byte escaped (RFC 8259 7). */
void emit_json_string(FILE *out, const char *s);

/* Parse "table", "json" or "csv"; -1 if none. */
int emit_format_parse(const char *s);

#endif
