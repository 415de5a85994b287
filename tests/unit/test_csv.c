/*
 * test_csv.c -- CSV and JSON formatting of exported series.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/csv.h"
#include "rrd/export.h"
#include "tap.h"

int
main(void)
{
	struct csv_buf b = {0};
	struct series  s;
	int64_t	       counts[6] = {
		   120, 300, SERIES_UNKNOWN, SERIES_UNKNOWN, 1000000000007LL, 0};
	double coverage[3] = {1, 0, 0.25};
	char   iso[32], *text;
	size_t len;

	plan(16);

	csv_iso8601(1226448000, iso, sizeof(iso));
	is_str(iso, "2008-11-12T00:00:00Z", "ISO 8601 of a known instant");
	csv_iso8601(951825599, iso, sizeof(iso));
	is_str(iso, "2000-02-29T11:59:59Z", "a leap day");
	csv_iso8601(0, iso, sizeof(iso));
	is_str(iso, "1970-01-01T00:00:00Z", "the epoch");

	memset(&s, 0, sizeof(s));
	snprintf(s.source, sizeof(s.source), "mx1.example.com");
	s.first = 1226448060;
	s.step = 60;
	s.nrows = 3;
	s.ncat = 2;
	snprintf(s.names[0], sizeof(s.names[0]), "spam");
	snprintf(s.names[1], sizeof(s.names[1]), "ham");
	s.counts = counts;
	s.coverage = coverage;
	s.complete_through = 1226448180;

	is_int(csv_series(&b, &s), 0, "CSV formats");
	text = csv_take(&b, &len);
	is_str(text,
	    "time,iso8601,spam,ham,coverage\r\n"
	    "1226448060,2008-11-12T00:01:00Z,120,300,1\r\n"
	    "1226448120,2008-11-12T00:02:00Z,,,0\r\n"
	    "1226448180,2008-11-12T00:03:00Z,1000000000007,0,0.25\r\n",
	    "CSV rows: exact integers, empty cells for unknown, coverage");
	is_int(len, strlen(text), "length matches");
	free(text);

	is_int(csv_series_json(&b, &s), 0, "JSON formats");
	text = csv_take(&b, &len);
	is_str(text,
	    "{\"source\":\"mx1.example.com\",\"step\":60,"
	    "\"complete_through\":1226448180,"
	    "\"categories\":[\"spam\",\"ham\"],\"rows\":["
	    "{\"time\":1226448060,\"iso8601\":\"2008-11-12T00:01:00Z\","
	    "\"spam\":120,\"ham\":300,\"coverage\":1},"
	    "{\"time\":1226448120,\"iso8601\":\"2008-11-12T00:02:00Z\","
	    "\"spam\":null,\"ham\":null,\"coverage\":0},"
	    "{\"time\":1226448180,\"iso8601\":\"2008-11-12T00:03:00Z\","
	    "\"spam\":1000000000007,\"ham\":0,\"coverage\":0.25}]}",
	    "JSON rows with null for unknown, and coverage");
	free(text);

	csv_cell(&b, "=HYPERLINK(\"x\")");
	text = csv_take(&b, &len);
	is_str(text, "\"'=HYPERLINK(\"\"x\"\")\"",
	    "a formula cell is quoted and defused");
	free(text);
	csv_cell(&b, "+1");
	csv_cell(&b, "@x");
	csv_cell(&b, "\tx");
	csv_cell(&b, "plain");
	text = csv_take(&b, &len);
	is_str(text, "'+1'@x'\txplain",
	    "+, @ and tab are defused, plain "
	    "text is not");
	free(text);
	csv_cell(&b, "-5");
	text = csv_take(&b, &len);
	is_str(text, "'-5", "a leading minus in a text cell is defused");
	free(text);

	csv_json_string(&b, "a\"b\\c\n\x01");
	text = csv_take(&b, &len);
	is_str(text, "\"a\\\"b\\\\c\\u000a\\u0001\"", "JSON string escapes");
	free(text);

	s.nrows = 0;
	csv_series(&b, &s);
	text = csv_take(&b, &len);
	is_str(
	    text, "time,iso8601,spam,ham,coverage\r\n", "no rows: header only");
	free(text);
	csv_series_json(&b, &s);
	text = csv_take(&b, &len);
	ok(text != NULL && strstr(text, "\"rows\":[]}") != NULL,
	    "no rows: an empty JSON array");
	free(text);

	csv_printf(&b, "%s", "");
	text = csv_take(&b, &len);
	ok(text != NULL && len == 0 && text[0] == '\0',
	    "an empty buffer gives an empty string");
	free(text);
	csv_buf_free(&b);
	ok(b.data == NULL, "free leaves the buffer empty");
	return tap_done();
}
