/*
 * csv.h -- formatting fetched series as CSV and JSON text, and the small
 * growable text buffer the read API builds its answers in.  Pure: no I/O.
 */
#ifndef ST_CSV_H
#define ST_CSV_H

#include <stddef.h>
#include <stdint.h>

struct series;

/* A growable text buffer; failed is set (and text kept short) on no memory. */
struct csv_buf {
	char  *data;
	size_t len;
	size_t cap;
	int    failed;
};

/* Append formatted text. */
void csv_printf(struct csv_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Append s as a JSON string literal, quotes included (bytes >= 0x80 kept). */
void csv_json_string(struct csv_buf *b, const char *s);
/*
 * Append s as one CSV cell: a cell that could start a spreadsheet formula
 * (= + - @ tab CR) gets a leading single quote; a cell holding a comma,
 * quote or line break is quoted with "" for ".
 */
void csv_cell(struct csv_buf *b, const char *s);
/* Take the text (NUL terminated, caller frees); the buffer is emptied. */
char *csv_take(struct csv_buf *b, size_t *len);
void  csv_buf_free(struct csv_buf *b);

/* Write t as "YYYY-MM-DDTHH:MM:SSZ" (21 bytes with the NUL). */
void csv_iso8601(int64_t t, char *out, size_t len);

/*
 * Append prefix and row's coverage (or prefix and unknown when the file
 * has no coverage data source).
 */
void csv_coverage(struct csv_buf *b, const struct series *s, size_t row,
    const char *prefix, const char *unknown);

/*
 * The series as CSV: header "time,iso8601,<category>...,coverage", one row
 * per step labelled with the end of its span, exact integers, empty cells
 * for unknown (nothing reported), and the row's coverage.  Returns 0, or -1
 * when out of memory.
 */
int csv_series(struct csv_buf *b, const struct series *s);

/*
 * The series as JSON: {"source":..,"step":S,"complete_through":T,
 * "categories":[..],"rows":[{"time":T,"iso8601":"..","<category>":N|null,
 * ...,"coverage":C|null}]}.  Returns 0 or -1.
 */
int csv_series_json(struct csv_buf *b, const struct series *s);

#endif
