/* stream.c - the views printed as they happen (--conn, --events): fixed
 * columns, each row written at once, and flushed after each when live so
 * that a reader of the pipe sees it then. */
#include <stdio.h>

#include "hosts.h"

int report_stream_begin(struct report_stream *s, FILE *out,
			const struct report_options *o, bool flush_each,
			struct emit_field *fields, size_t n, size_t pid,
			size_t program, const char *title)
{
	s->out = out;
	s->o = *o;
	s->flush_each = flush_each;
	s->failed = false;
	report_owner_fields(o, &fields[pid], &fields[program]);
	s->em = emit_begin(out, o->format, fields, n, title);
	if (!s->em || emit_fixed(s->em) < 0) {
		emit_end(s->em);
		return -1;
	}
	return 0;
}

void report_stream_row(struct report_stream *s, const struct emit_value *v)
{
	if (emit_row(s->em, v) < 0)
		s->failed = true;
	if (s->flush_each)
		fflush(s->out);
}

int report_stream_end(struct report_stream *s)
{
	int r = emit_end(s->em);
	return s->failed ? -1 : r;
}
