/* test_emit.c - the emission layer: each format captured in memory
 * (open_memstream) and compared byte for byte. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wirestat/common.h"
#include "wirestat/emit.h"

enum { F_PROTO, F_LOCAL, F_COUNT, F_NOTE, F_HIDDEN, F_STATE, F_MAX };

/* Note is a table column only, hidden a data field only. */
static const struct emit_field fields[F_MAX] = {
	[F_PROTO] = {"proto", "Proto", EMIT_IN_ALL, EMIT_LEFT, 5},
	[F_LOCAL] = {"local", "Local Address", EMIT_IN_ALL, EMIT_LEFT, 0},
	[F_COUNT] = {"count", "Count", EMIT_IN_ALL, EMIT_RIGHT, 7},
	[F_NOTE] = {"note", "Note", EMIT_IN_TABLE, EMIT_LEFT, 0},
	[F_HIDDEN] = {"hidden", "Hidden", EMIT_IN_DATA, EMIT_LEFT, 0},
	[F_STATE] = {"state", "State", EMIT_IN_ALL, EMIT_LEFT, 0},
};

struct capture {
	FILE *f;
	char *buf;
	size_t len;
};

static void cap_open(struct capture *c)
{
	c->buf = NULL;
	c->len = 0;
	c->f = open_memstream(&c->buf, &c->len);
	assert_non_null(c->f);
}

/* Close the stream and compare everything written with want. */
static void cap_check(struct capture *c, const char *want)
{
	assert_int_equal(fclose(c->f), 0);
	assert_string_equal(c->buf, want);
	assert_int_equal(c->len, strlen(want));
	free(c->buf);
}

/* Two socket-like rows: the second has a wider address, a longer count
 * and a null state. */
static void emit_two_rows(FILE *out, enum emit_format fmt,
			  const char *title)
{
	struct emit *e = emit_begin(out, fmt, fields, F_MAX, title);
	assert_non_null(e);
	struct emit_value v[F_MAX];
	v[F_PROTO] = ev_str("tcp");
	v[F_LOCAL] = ev_str("10.0.0.1:80");
	v[F_COUNT] = ev_int(5);
	v[F_NOTE] = ev_str("x");
	v[F_HIDDEN] = ev_str("h1");
	v[F_STATE] = ev_str("ESTABLISHED");
	assert_int_equal(emit_row(e, v), 0);
	v[F_PROTO] = ev_str("udp6");
	v[F_LOCAL] = ev_str("[fd00::1]:53");
	v[F_COUNT] = ev_int(12345678);
	v[F_NOTE] = ev_str("");
	v[F_HIDDEN] = ev_str("h2");
	v[F_STATE] = ev_null();
	assert_int_equal(emit_row(e, v), 0);
	assert_int_equal(emit_end(e), 0);
}

/* Title with a blank line either side; every line starts with two
 * spaces; columns are as wide as the widest of heading, min_width and
 * cells, two spaces apart; Count is right-aligned (heading too); the
 * last column is not padded and no line ends in spaces, even when its
 * last cells are empty; a data-only field is not a column. */
static void test_table(void **state)
{
	struct capture c;
	(void)state;
	cap_open(&c);
	emit_two_rows(c.f, EMIT_TABLE, "Active Connections");
	cap_check(&c, "\n"
		      "Active Connections\n"
		      "\n"
		      "  Proto  Local Address     Count  Note  State\n"
		      "  tcp    10.0.0.1:80           5  x     ESTABLISHED\n"
		      "  udp6   [fd00::1]:53   12345678\n");
}

static void test_table_no_title_no_rows(void **state)
{
	struct capture c;
	(void)state;
	cap_open(&c);
	struct emit *e = emit_begin(c.f, EMIT_TABLE, fields, F_MAX, NULL);
	assert_non_null(e);
	assert_int_equal(emit_end(e), 0);
	cap_check(&c, "  Proto  Local Address    Count  Note  State\n");
}

/* A right-aligned last column is padded on its left, never after. */
static void test_table_right_last(void **state)
{
	static const struct emit_field f[] = {
		{"name", "Name", EMIT_IN_ALL, EMIT_LEFT, 0},
		{"n", "N", EMIT_IN_ALL, EMIT_RIGHT, 3},
	};
	struct capture c;
	struct emit_value v[2];
	(void)state;
	cap_open(&c);
	struct emit *e = emit_begin(c.f, EMIT_TABLE, f, 2, NULL);
	v[0] = ev_str("a");
	v[1] = ev_int(1);
	emit_row(e, v);
	v[0] = ev_str("bbbbbb");
	v[1] = ev_int(100);
	emit_row(e, v);
	v[0] = ev_str("c");
	v[1] = ev_int(-10000);
	emit_row(e, v);
	assert_int_equal(emit_end(e), 0);
	cap_check(&c, "  Name         N\n"
		      "  a            1\n"
		      "  bbbbbb     100\n"
		      "  c       -10000\n");
}

/* Cells of every type; strings are copied at emit_row() time. */
static void test_table_values_copied(void **state)
{
	static const struct emit_field f[] = {
		{"s", "S", EMIT_IN_ALL, EMIT_LEFT, 0},
		{"b", "B", EMIT_IN_ALL, EMIT_LEFT, 0},
		{"x", "X", EMIT_IN_ALL, EMIT_RIGHT, 0},
		{"z", "Z", EMIT_IN_ALL, EMIT_LEFT, 0},
	};
	struct capture c;
	struct emit_value v[4];
	char tmp[16];
	(void)state;
	cap_open(&c);
	struct emit *e = emit_begin(c.f, EMIT_TABLE, f, 4, NULL);
	strcpy(tmp, "first");
	v[0] = ev_str(tmp);
	v[1] = ev_bool(true);
	v[2] = ev_float(2.5, 2);
	v[3] = ev_null();
	emit_row(e, v);
	strcpy(tmp, "second");
	v[1] = ev_bool(false);
	v[2] = ev_float(10, 0);
	v[3] = ev_str("z");
	emit_row(e, v);
	/* Empty cells before a full one still take their width. */
	v[0] = ev_str("");
	v[1] = ev_null();
	v[2] = ev_int(1);
	v[3] = ev_str("z");
	emit_row(e, v);
	strcpy(tmp, "XXXXXXXX");
	assert_int_equal(emit_end(e), 0);
	cap_check(&c, "  S       B         X  Z\n"
		      "  first   true   2.50\n"
		      "  second  false    10  z\n"
		      "                    1  z\n");
}

static void test_json(void **state)
{
	struct capture c;
	(void)state;
	cap_open(&c);
	emit_two_rows(c.f, EMIT_JSON, "Active Connections");
	cap_check(&c,
		  "{\"proto\":\"tcp\",\"local\":\"10.0.0.1:80\",\"count\":5,"
		  "\"hidden\":\"h1\",\"state\":\"ESTABLISHED\"}\n"
		  "{\"proto\":\"udp6\",\"local\":\"[fd00::1]:53\","
		  "\"count\":12345678,\"hidden\":\"h2\",\"state\":null}\n");
}

static void test_json_values(void **state)
{
	static const struct emit_field f[] = {
		{"s", "", EMIT_IN_DATA, 0, 0},	 {"null", "", EMIT_IN_DATA, 0, 0},
		{"nulls", "", EMIT_IN_DATA, 0, 0}, {"t", "", EMIT_IN_DATA, 0, 0},
		{"f", "", EMIT_IN_DATA, 0, 0},	 {"min", "", EMIT_IN_DATA, 0, 0},
		{"max", "", EMIT_IN_DATA, 0, 0},	 {"x3", "", EMIT_IN_DATA, 0, 0},
		{"x0", "", EMIT_IN_DATA, 0, 0},	 {"nan", "", EMIT_IN_DATA, 0, 0},
		{"inf", "", EMIT_IN_DATA, 0, 0},	 {"k\"ey", "", EMIT_IN_DATA, 0, 0},
	};
	struct emit_value v[WS_ARRAY_SIZE(f)];
	struct capture c;
	(void)state;
	cap_open(&c);
	struct emit *e = emit_begin(c.f, EMIT_JSON, f, WS_ARRAY_SIZE(f), NULL);
	v[0] = ev_str("q\"b\\c/\x01\x1f\n\r\t\x7f \xc3\xa9");
	v[1] = ev_null();
	v[2] = ev_str(NULL);
	v[3] = ev_bool(true);
	v[4] = ev_bool(false);
	v[5] = ev_int(INT64_MIN);
	v[6] = ev_int(INT64_MAX);
	v[7] = ev_float(3.14159, 3);
	v[8] = ev_float(2.0, 0);
	v[9] = ev_float(NAN, 2);
	v[10] = ev_float(-INFINITY, 2);
	v[11] = ev_str("");
	assert_int_equal(emit_row(e, v), 0);
	assert_int_equal(emit_end(e), 0);
	cap_check(&c, "{\"s\":\"q\\\"b\\\\c/\\u0001\\u001f\\n\\r\\t\\u007f "
		      "\xc3\xa9\",\"null\":null,\"nulls\":null,\"t\":true,"
		      "\"f\":false,\"min\":-9223372036854775808,"
		      "\"max\":9223372036854775807,\"x3\":3.142,\"x0\":2,"
		      "\"nan\":null,\"inf\":null,\"k\\\"ey\":\"\"}\n");
}

/* JSON Lines: every row one line, whatever the strings hold. */
static void test_json_one_line_per_row(void **state)
{
	static const struct emit_field f[] = {{"s", "", EMIT_IN_ALL, 0, 0}};
	char s[256];
	struct capture c;
	(void)state;
	for (int i = 0; i < 255; i++)
		s[i] = (char)(i + 1);
	s[255] = '\0';
	cap_open(&c);
	struct emit *e = emit_begin(c.f, EMIT_JSON, f, 1, NULL);
	struct emit_value v = ev_str(s);
	emit_row(e, &v);
	emit_row(e, &v);
	assert_int_equal(emit_end(e), 0);
	assert_int_equal(fclose(c.f), 0);
	size_t lines = 0;
	for (size_t i = 0; i < c.len; i++) {
		if (c.buf[i] == '\n')
			lines++;
		assert_true((unsigned char)c.buf[i] >= 0x20 ||
			    c.buf[i] == '\n');
	}
	assert_int_equal(lines, 2);
	free(c.buf);
}

static void test_csv(void **state)
{
	struct capture c;
	(void)state;
	cap_open(&c);
	emit_two_rows(c.f, EMIT_CSV, "Active Connections");
	cap_check(&c, "proto,local,count,hidden,state\n"
		      "tcp,10.0.0.1:80,5,h1,ESTABLISHED\n"
		      "udp6,[fd00::1]:53,12345678,h2,\n");
}

static void test_csv_quoting(void **state)
{
	static const struct emit_field f[] = {
		{"a", "A", EMIT_IN_ALL, 0, 0},	 {"b", "B", EMIT_IN_ALL, 0, 0},
		{"c", "C", EMIT_IN_ALL, 0, 0},	 {"d", "D", EMIT_IN_ALL, 0, 0},
		{"e", "E", EMIT_IN_ALL, 0, 0},	 {"f", "F", EMIT_IN_ALL, 0, 0},
		{"g", "G", EMIT_IN_TABLE, 0, 0}, {"h", "H", EMIT_IN_ALL, 0, 0},
	};
	struct emit_value v[WS_ARRAY_SIZE(f)];
	struct capture c;
	(void)state;
	cap_open(&c);
	struct emit *e = emit_begin(c.f, EMIT_CSV, f, WS_ARRAY_SIZE(f), NULL);
	v[0] = ev_str("a,b");
	v[1] = ev_str("say \"hi\"");
	v[2] = ev_str("two\nlines");
	v[3] = ev_str("cr\r");
	v[4] = ev_null();
	v[5] = ev_bool(true);
	v[6] = ev_str("table only");
	v[7] = ev_float(0.5, 1);
	assert_int_equal(emit_row(e, v), 0);
	v[0] = ev_str(" plain 'text' ");
	v[1] = ev_str("");
	v[2] = ev_int(-3);
	v[3] = ev_str(NULL);
	v[4] = ev_str("\"");
	v[5] = ev_bool(false);
	v[7] = ev_null();
	assert_int_equal(emit_row(e, v), 0);
	assert_int_equal(emit_end(e), 0);
	cap_check(&c, "a,b,c,d,e,f,h\n"
		      "\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\"cr\r\",,"
		      "true,0.5\n"
		      " plain 'text' ,,-3,,\"\"\"\",false,\n");
}

/* A field only for the table never reaches JSON or CSV and a data-only
 * field never reaches the table, heading included. */
static void test_where(void **state)
{
	struct capture c;
	(void)state;
	static const char *const formats[] = {"table", "json", "csv"};
	for (int i = 0; i < 3; i++) {
		cap_open(&c);
		emit_two_rows(c.f, emit_format_parse(formats[i]), "T");
		assert_int_equal(fclose(c.f), 0);
		bool table = i == 0;
		assert_true((strstr(c.buf, "Note") != NULL) == table);
		assert_true((strstr(c.buf, "note") != NULL) == false);
		assert_true((strstr(c.buf, "x ") != NULL) == table);
		assert_true((strstr(c.buf, "hidden") != NULL) == !table);
		assert_true((strstr(c.buf, "Hidden") != NULL) == false);
		assert_true((strstr(c.buf, "h1") != NULL) == !table);
		assert_true((strstr(c.buf, "\nT\n\n") != NULL) == table);
		free(c.buf);
	}
}

static void test_format_parse(void **state)
{
	(void)state;
	assert_int_equal(emit_format_parse("table"), EMIT_TABLE);
	assert_int_equal(emit_format_parse("json"), EMIT_JSON);
	assert_int_equal(emit_format_parse("csv"), EMIT_CSV);
	assert_int_equal(emit_format_parse("xml"), -1);
	assert_int_equal(emit_format_parse(""), -1);
	assert_int_equal(emit_format_parse("jsonl"), -1);
	assert_int_equal(emit_format_parse("csv "), -1);
}

/* A failed write is reported by emit_end(), in every format. */
static void test_write_error(void **state)
{
	(void)state;
	assert_int_equal(emit_end(NULL), -1);
	for (int fmt = EMIT_TABLE; fmt <= EMIT_CSV; fmt++) {
		FILE *f = fopen("/dev/full", "w");
		if (!f)
			skip();
		struct emit *e = emit_begin(f, (enum emit_format)fmt, fields,
					    F_MAX, "Active Connections");
		assert_non_null(e);
		struct emit_value v[F_MAX];
		for (int i = 0; i < F_MAX; i++)
			v[i] = ev_str("value");
		emit_row(e, v);
		assert_int_equal(emit_end(e), -1);
		fclose(f);
	}
}

/* Many rows: the table buffer grows past its first allocation. */
static void test_table_many_rows(void **state)
{
	static const struct emit_field f[] = {
		{"i", "I", EMIT_IN_ALL, EMIT_RIGHT, 0},
		{"s", "S", EMIT_IN_ALL, EMIT_LEFT, 0},
	};
	struct capture c;
	(void)state;
	cap_open(&c);
	struct emit *e = emit_begin(c.f, EMIT_TABLE, f, 2, NULL);
	for (int i = 0; i < 1000; i++) {
		char s[16];
		snprintf(s, sizeof(s), "r%d", i);
		struct emit_value v[2] = {ev_int(i), ev_str(s)};
		assert_int_equal(emit_row(e, v), 0);
	}
	assert_int_equal(emit_end(e), 0);
	assert_int_equal(fclose(c.f), 0);
	assert_true(strncmp(c.buf, "    I  S\n    0  r0\n", 19) == 0);
	const char *last = "  999  r999\n";
	assert_string_equal(c.buf + c.len - strlen(last), last);
	size_t lines = 0;
	for (size_t i = 0; i < c.len; i++)
		lines += c.buf[i] == '\n';
	assert_int_equal(lines, 1001);
	free(c.buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_table_no_title_no_rows),
		cmocka_unit_test(test_table_right_last),
		cmocka_unit_test(test_table_values_copied),
		cmocka_unit_test(test_table_many_rows),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_json_values),
		cmocka_unit_test(test_json_one_line_per_row),
		cmocka_unit_test(test_csv),
		cmocka_unit_test(test_csv_quoting),
		cmocka_unit_test(test_where),
		cmocka_unit_test(test_format_parse),
		cmocka_unit_test(test_write_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
