/*
 * csv.c -- CSV and JSON text for exported series, and the text buffer the
 * read API writes its JSON answers into.
 *
 * Owns the escaping rules for both formats, including the guard against
 * spreadsheet formula injection.  It fetches nothing (rrd/export.c does)
 * and reads no clock.
 */
#include "csv.h"

#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../rrd/export.h"

/* Make room for n more bytes plus a NUL; 0 or -1. */
static int
csv_reserve(struct csv_buf *b, size_t n)
{
	size_t cap;
	char  *p;

	if (b->failed)
		return -1;
	if (b->len + n + 1 <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 1024;
	while (cap < b->len + n + 1)
		cap *= 2;
	if ((p = realloc(b->data, cap)) == NULL) {
		b->failed = 1;
		return -1;
	}
	b->data = p;
	b->cap = cap;
	return 0;
}

/* Append n bytes. */
static void
csv_append(struct csv_buf *b, const char *s, size_t n)
{
	if (csv_reserve(b, n) == -1)
		return;
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

/* Append formatted text. */
void
csv_printf(struct csv_buf *b, const char *fmt, ...)
{
	va_list ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || csv_reserve(b, (size_t)n) == -1)
		return;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* Append a JSON string literal. */
void
csv_json_string(struct csv_buf *b, const char *s)
{
	unsigned char c;
	char	      esc[8];

	csv_append(b, "\"", 1);
	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			csv_append(b, esc, 2);
		} else if (c < 0x20 || c == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			csv_append(b, esc, 6);
		} else
			csv_append(b, s, 1);
	}
	csv_append(b, "\"", 1);
}

/* Append one CSV text cell. */
void
csv_cell(struct csv_buf *b, const char *s)
{
	int quote = strpbrk(s, ",\"\r\n") != NULL;

	if (quote)
		csv_append(b, "\"", 1);
	if (strchr("=+-@\t\r", s[0]) != NULL && s[0] != '\0')
		csv_append(b, "'", 1);
	for (; *s != '\0'; s++) {
		if (*s == '"')
			csv_append(b, "\"\"", 2);
		else
			csv_append(b, s, 1);
	}
	if (quote)
		csv_append(b, "\"", 1);
}

/* Hand the text over to the caller. */
char *
csv_take(struct csv_buf *b, size_t *len)
{
	char *p;

	if (b->failed || csv_reserve(b, 0) == -1) {
		csv_buf_free(b);
		return NULL;
	}
	p = b->data;
	*len = b->len;
	memset(b, 0, sizeof(*b));
	return p;
}

/* Free the buffer's text. */
void
csv_buf_free(struct csv_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

/* Format t as an ISO 8601 UTC time (civil-from-days, no libc time zone). */
void
csv_iso8601(int64_t t, char *out, size_t len)
{
	int64_t days, secs, z, era, doe, yoe, y, doy, mp, d, m;

	days = t / 86400;
	secs = t % 86400;
	if (secs < 0) {
		secs += 86400;
		days--;
	}
	z = days + 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	if (m <= 2)
		y++;
	snprintf(out, len, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lldZ",
	    (long long)y, (long long)m, (long long)d, (long long)(secs / 3600),
	    (long long)(secs / 60 % 60), (long long)(secs % 60));
}

/*
 * Append prefix and row's coverage (reported seconds per second, six
 * significant digits), or prefix and unknown when the file has none.
 */
void
csv_coverage(struct csv_buf *b, const struct series *s, size_t row,
    const char *prefix, const char *unknown)
{
	double c = s->coverage != NULL ? s->coverage[row] : NAN;

	if (isnan(c))
		csv_printf(b, "%s%s", prefix, unknown);
	else
		csv_printf(b, "%s%.6g", prefix, c);
}

/* Write the series as CSV. */
int
csv_series(struct csv_buf *b, const struct series *s)
{
	char	 iso[32];
	size_t	 row;
	unsigned c;
	int64_t	 t, v;

	csv_printf(b, "time,iso8601");
	for (c = 0; c < s->ncat; c++) {
		csv_append(b, ",", 1);
		csv_cell(b, s->names[c]);
	}
	csv_append(b, ",coverage\r\n", 11);
	for (row = 0; row < s->nrows && !b->failed; row++) {
		t = s->first + (int64_t)row * s->step;
		csv_iso8601(t, iso, sizeof(iso));
		csv_printf(b, "%lld,", (long long)t);
		csv_cell(b, iso);
		for (c = 0; c < s->ncat; c++) {
			v = s->counts[row * s->ncat + c];
			if (v == SERIES_UNKNOWN)
				csv_append(b, ",", 1);
			else
				csv_printf(b, ",%lld", (long long)v);
		}
		csv_coverage(b, s, row, ",", "");
		csv_append(b, "\r\n", 2);
	}
	return b->failed ? -1 : 0;
}

/* Write the series as JSON. */
int
csv_series_json(struct csv_buf *b, const struct series *s)
{
	char	 iso[32];
	size_t	 row;
	unsigned c;
	int64_t	 t, v;

	csv_printf(b, "{\"source\":");
	csv_json_string(b, s->source);
	csv_printf(b,
	    ",\"step\":%u,\"complete_through\":%lld,"
	    "\"categories\":[",
	    s->step, (long long)s->complete_through);
	for (c = 0; c < s->ncat; c++) {
		if (c > 0)
			csv_append(b, ",", 1);
		csv_json_string(b, s->names[c]);
	}
	csv_printf(b, "],\"rows\":[");
	for (row = 0; row < s->nrows && !b->failed; row++) {
		t = s->first + (int64_t)row * s->step;
		csv_iso8601(t, iso, sizeof(iso));
		csv_printf(b, "%s{\"time\":%lld,\"iso8601\":\"%s\"",
		    row > 0 ? "," : "", (long long)t, iso);
		for (c = 0; c < s->ncat; c++) {
			csv_append(b, ",", 1);
			csv_json_string(b, s->names[c]);
			v = s->counts[row * s->ncat + c];
			if (v == SERIES_UNKNOWN)
				csv_printf(b, ":null");
			else
				csv_printf(b, ":%lld", (long long)v);
		}
		csv_coverage(b, s, row, ",\"coverage\":", "null");
		csv_append(b, "}", 1);
	}
	csv_printf(b, "]}");
	return b->failed ? -1 : 0;
}
