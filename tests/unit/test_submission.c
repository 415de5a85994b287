/*
 * test_submission.c -- decoding and validating count submissions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/api.h"
#include "collector/submission.h"
#include "tap.h"

#define NOW 1226448060LL

static const char cats[4][ST_CATEGORY_MAX + 1] = {
    "spam", "ham", "virus", "rejected"};

static struct submission_rules rules = {
    cats, 4, 60, 3600, 4, 8, 300, 86400, 1000000000ULL};

/* One body that must be refused, and how. */
struct refusal {
	const char *body;
	int	    status;
	const char *code;
	const char *field;
};

static const struct refusal refusals[] = {
    /* Malformed JSON. */
    {"", 400, "bad_json", "body"},
    {"{", 400, "bad_json", "body"},
    {"[{\"source\":\"a\",\"counts\":{}},", 400, "bad_json", "body"},
    {"\"mx1\"", 400, "bad_json", "body"},
    {"42", 400, "bad_json", "body"},
    {"{\"source\":\"a\",\"counts\":{}} x", 400, "bad_json", "body"},
    {"{\"source\":\"a\",\"source\":\"b\",\"counts\":{}}", 400, "bad_json",
	"body"},
    {"{\"source\":\"a\",\"counts\":{\"spam\":1,\"spam\":2}}", 400, "bad_json",
	"body"},
    {"{\"source\":\"\xff\",\"counts\":{}}", 400, "bad_json", "body"},
    {"{\"source\":\"a\\u0000b\",\"counts\":{}}", 400, "bad_json", "body"},
    {"{\"source\":\"a\",\"counts\":{\"spam\":1e309}}", 400, "bad_json", "body"},
    {"{\"source\":\"a\",\"counts\":{\"spam\":18446744073709551616}}", 400,
	"bad_json", "body"},
    {"{'source':'a'}", 400, "bad_json", "body"},
    /* Nesting: the top level is depth 1, max_depth is 8. */
    {"{\"source\":\"a\",\"counts\":{},\"x\":[[[[[[[[1]]]]]]]]}", 400,
	"too_deep", "body"},
    {"[{\"source\":\"a\",\"counts\":{\"spam\":{\"a\":{\"b\":{\"c\":{\"d\":"
     "{\"e\":{\"f\":1}}}}}}}}]",
	400, "too_deep", "body"},
    /* Batch shape. */
    {"[]", 422, "empty_batch", "body"},
    {"[{},{},{},{},{}]", 413, "batch_too_large", "body"},
    {"[{\"source\":\"a\",\"counts\":{}},3]", 422, "bad_submission", "[1]"},
    {"[[]]", 422, "bad_submission", "[0]"},
    {"[{\"source\":\"a\",\"counts\":{}},null]", 422, "bad_submission", "[1]"},
    /* Fields. */
    {"{\"source\":\"a\",\"counts\":{},\"bogus\":1}", 422, "unknown_field",
	"bogus"},
    {"[{\"source\":\"a\",\"counts\":{},\"Source\":\"b\"}]", 422,
	"unknown_field", "[0].Source"},
    {"{\"counts\":{}}", 422, "missing_field", "source"},
    {"{\"source\":\"a\"}", 422, "missing_field", "counts"},
    {"[{\"source\":\"a\",\"counts\":{}},{\"source\":\"b\"}]", 422,
	"missing_field", "[1].counts"},
    {"{\"source\":\"a..b\",\"counts\":{}}", 422, "bad_source", "source"},
    {"{\"source\":\"_total\",\"counts\":{}}", 422, "bad_source", "source"},
    {"{\"source\":\"x/y\",\"counts\":{}}", 422, "bad_source", "source"},
    {"{\"source\":5,\"counts\":{}}", 422, "bad_source", "source"},
    {"{\"source\":null,\"counts\":{}}", 422, "bad_source", "source"},
    {"[{\"source\":\"a\",\"counts\":{}},{\"source\":\"\",\"counts\":{}}]", 422,
	"bad_source", "[1].source"},
    /* Time. */
    {"{\"source\":\"a\",\"time\":0,\"counts\":{}}", 422, "bad_time", "time"},
    {"{\"source\":\"a\",\"time\":-5,\"counts\":{}}", 422, "bad_time", "time"},
    {"{\"source\":\"a\",\"time\":1226448060.5,\"counts\":{}}", 422, "bad_time",
	"time"},
    {"{\"source\":\"a\",\"time\":\"1226448060\",\"counts\":{}}", 422,
	"bad_time", "time"},
    {"{\"source\":\"a\",\"time\":null,\"counts\":{}}", 422, "bad_time", "time"},
    {"{\"source\":\"a\",\"time\":1226448361,\"counts\":{}}", 422,
	"time_in_future", "time"},
    {"[{\"source\":\"a\",\"time\":9223372036854775807,\"counts\":{}}]", 422,
	"time_in_future", "[0].time"},
    {"{\"source\":\"a\",\"time\":1226361659,\"counts\":{}}", 422,
	"time_too_old", "time"},
    /* Interval. */
    {"{\"source\":\"a\",\"interval\":0,\"counts\":{}}", 422, "bad_interval",
	"interval"},
    {"{\"source\":\"a\",\"interval\":-60,\"counts\":{}}", 422, "bad_interval",
	"interval"},
    {"{\"source\":\"a\",\"interval\":3601,\"counts\":{}}", 422, "bad_interval",
	"interval"},
    {"{\"source\":\"a\",\"interval\":60.0,\"counts\":{}}", 422, "bad_interval",
	"interval"},
    {"{\"source\":\"a\",\"interval\":\"60\",\"counts\":{}}", 422,
	"bad_interval", "interval"},
    /* Counts. */
    {"{\"source\":\"a\",\"counts\":{\"eggs\":1}}", 422, "unknown_category",
	"counts.eggs"},
    {"[{\"source\":\"a\",\"counts\":{}},{\"source\":\"a\",\"counts\":{}},"
     "{\"source\":\"a\",\"counts\":{\"Spam\":1}}]",
	422, "unknown_category", "[2].counts.Spam"},
    {"{\"source\":\"a\",\"counts\":{\"spam\":1.5}}", 422, "bad_count",
	"counts.spam"},
    {"{\"source\":\"a\",\"counts\":{\"spam\":1.0}}", 422, "bad_count",
	"counts.spam"},
    {"{\"source\":\"a\",\"counts\":{\"ham\":1e3}}", 422, "bad_count",
	"counts.ham"},
    {"{\"source\":\"a\",\"counts\":{\"spam\":-1}}", 422, "bad_count",
	"counts.spam"},
    {"{\"source\":\"a\",\"counts\":{\"spam\":1000000001}}", 422, "bad_count",
	"counts.spam"},
    {"{\"source\":\"a\",\"counts\":{\"spam\":9223372036854775807}}", 422,
	"bad_count", "counts.spam"},
    {"{\"source\":\"a\",\"counts\":{\"virus\":\"5\"}}", 422, "bad_count",
	"counts.virus"},
    {"{\"source\":\"a\",\"counts\":{\"virus\":null}}", 422, "bad_count",
	"counts.virus"},
    {"{\"source\":\"a\",\"counts\":{\"virus\":true}}", 422, "bad_count",
	"counts.virus"},
    {"{\"source\":\"a\",\"counts\":[1,2]}", 422, "bad_count", "counts"},
    {"{\"source\":\"a\",\"counts\":7}", 422, "bad_count", "counts"},
    /* Id. */
    {"{\"source\":\"a\",\"counts\":{},\"id\":\"\"}", 422, "bad_id", "id"},
    {"{\"source\":\"a\",\"counts\":{},\"id\":\"a b\"}", 422, "bad_id", "id"},
    {"{\"source\":\"a\",\"counts\":{},\"id\":\"\\u00e9\"}", 422, "bad_id",
	"id"},
    {"{\"source\":\"a\",\"counts\":{},\"id\":\"a\\u007f\"}", 422, "bad_id",
	"id"},
    {"{\"source\":\"a\",\"counts\":{},\"id\":5}", 422, "bad_id", "id"},
    {"[{\"source\":\"a\",\"counts\":{},\"id\":\"x\\ty\"}]", 422, "bad_id",
	"[0].id"},
};
#define NREFUSALS (sizeof(refusals) / sizeof(refusals[0]))

/* Parse body with rules at NOW; returns the result code. */
static int
parse(const char *body, struct submission **s, size_t *n, struct st_error *e)
{
	memset(e, 0, sizeof(*e));
	return submission_parse(body, strlen(body), &rules, NOW, s, n, e);
}

/* Copy at most 60 bytes of body to buf with unprintable bytes as '?'. */
static const char *
shown(const char *body, char *buf)
{
	size_t i;

	for (i = 0; body[i] != '\0' && i < 60; i++)
		buf[i] = (unsigned char)body[i] < 0x20 ||
			(unsigned char)body[i] > 0x7e
		    ? '?'
		    : body[i];
	buf[i] = '\0';
	return buf;
}

/* Check one refusal row. */
static void
check_refusal(const struct refusal *r)
{
	struct submission *s = (struct submission *)1;
	struct st_error	   e;
	char		   buf[61];
	size_t		   n = 7;
	int		   rc;

	rc = parse(r->body, &s, &n, &e);
	if (!ok(rc == -1 && api_error_status(e.kind) == r->status &&
		    strcmp(e.code, r->code) == 0 &&
		    strcmp(e.field, r->field) == 0 && e.detail[0] != '\0' &&
		    s == NULL && n == 0,
		"%d %s %s: %s", r->status, r->code, r->field,
		shown(r->body, buf)))
		diag("  rc %d status %d code '%s' field '%s' detail '%s'", rc,
		    api_error_status(e.kind), e.code, e.field, e.detail);
}

/* Return 1 if every byte of s is printable ASCII. */
static int
printable(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

/* Parse body, which must be valid, and return its hash. */
static uint64_t
hash_of(const char *body, long long now)
{
	struct submission *s;
	struct st_error	   e;
	uint64_t	   h = 0;
	size_t		   n;

	if (submission_parse(body, strlen(body), &rules, now, &s, &n, &e) ==
	    0) {
		h = s[0].hash;
		free(s);
	} else
		diag("  unexpected refusal %s: %s", e.code, e.detail);
	return h;
}

int
main(void)
{
	struct submission *s = NULL, copy;
	struct st_error	   e;
	char		   body[2048], id[ST_KEY_MAX + 2];
	size_t		   n, i;
	int		   rc;
	uint64_t	   h1, h2;

	plan((int)NREFUSALS + 42);

	for (i = 0; i < NREFUSALS; i++)
		check_refusal(&refusals[i]);

	/* A full valid object. */
	rc = parse("{\"source\":\"MX1.Example.COM.\",\"time\":1226448000,"
		   "\"interval\":120,\"counts\":{\"spam\":120,\"ham\":300,"
		   "\"rejected\":0},\"id\":\"retry-7\"}",
	    &s, &n, &e);
	ok(rc == 0 && n == 1, "a full submission is accepted (%s)", e.detail);
	if (rc == 0) {
		is_str(
		    s[0].source, "mx1.example.com", "the source is normalised");
		is_int(s[0].time, 1226448000, "the time is kept");
		is_int(s[0].interval, 120, "the interval is kept");
		ok(s[0].counts[0] == 120 && s[0].counts[1] == 300 &&
			s[0].counts[2] == 0 && s[0].counts[3] == 0,
		    "counts land by category index");
		is_str(s[0].id, "retry-7", "the id is kept");
		free(s);
	} else {
		for (i = 0; i < 5; i++)
			ok(0, "skipped after a refusal");
	}

	/* Defaults. */
	rc = parse("{\"source\":\"a\",\"counts\":{}}", &s, &n, &e);
	ok(rc == 0 && n == 1, "source and an empty counts object suffice");
	if (rc == 0) {
		is_int(s[0].time, NOW, "time defaults to now");
		is_int(s[0].interval, 60, "interval defaults to one step");
		ok(s[0].counts[0] == 0 && s[0].counts[3] == 0 &&
			s[0].id[0] == '\0',
		    "absent counts are 0, the id empty");
		copy = s[0];
		copy.time = 0;
		copy.interval = 0;
		ok(submission_hash(&copy, 4) == s[0].hash,
		    "submission_hash over the given time and interval matches");
		ok(submission_hash(&s[0], 4) != s[0].hash,
		    "submission_hash over the defaulted values differs");
		free(s);
	} else {
		for (i = 0; i < 5; i++)
			ok(0, "skipped after a refusal");
	}

	/* Bounds that are just inside. */
	ok(parse("{\"source\":\"a\",\"time\":1226448360,\"counts\":{}}", &s, &n,
	       &e) == 0,
	    "a time exactly max_future ahead is accepted");
	free(s);
	ok(parse("{\"source\":\"a\",\"time\":1226361660,\"counts\":{}}", &s, &n,
	       &e) == 0,
	    "a time exactly max_past behind is accepted");
	free(s);
	ok(parse("{\"source\":\"a\",\"interval\":3600,\"counts\":{"
		 "\"spam\":1000000000,\"ham\":-0}}",
	       &s, &n, &e) == 0 &&
		s[0].counts[0] == 1000000000ULL && s[0].counts[1] == 0,
	    "max_interval, max_count and -0 are accepted");
	free(s);
	rules.max_past = 0;
	ok(parse("{\"source\":\"a\",\"time\":1,\"counts\":{}}", &s, &n, &e) ==
		0,
	    "max_past 0 means no lower bound on time");
	free(s);
	rules.max_past = 86400;

	memset(id, 'k', ST_KEY_MAX);
	id[ST_KEY_MAX] = '\0';
	snprintf(body, sizeof(body),
	    "{\"source\":\"a\",\"counts\":{},"
	    "\"id\":\"%s\"}",
	    id);
	ok(parse(body, &s, &n, &e) == 0 && strlen(s[0].id) == ST_KEY_MAX,
	    "a %d-byte id is accepted", ST_KEY_MAX);
	free(s);
	snprintf(body, sizeof(body),
	    "{\"source\":\"a\",\"counts\":{},"
	    "\"id\":\"%sk\"}",
	    id);
	ok(parse(body, &s, &n, &e) == -1 && strcmp(e.code, "bad_id") == 0,
	    "a %d-byte id is refused", ST_KEY_MAX + 1);
	ok(parse("{\"source\":\"a\",\"counts\":{},\"id\":\"!~\"}", &s, &n,
	       &e) == 0 &&
		strcmp(s[0].id, "!~") == 0,
	    "ids use 0x21..0x7e");
	free(s);

	/* Depth exactly at the limit parses (and then fails on the field). */
	ok(parse("{\"source\":\"a\",\"counts\":{},\"x\":[[[[[[[1]]]]]]]}", &s,
	       &n, &e) == -1 &&
		strcmp(e.code, "unknown_field") == 0,
	    "nesting of exactly max_depth is not too deep (%s)", e.code);

	/* Batches. */
	rc = parse(
	    "[{\"source\":\"a\",\"counts\":{\"spam\":1}},"
	    "{\"source\":\"B\",\"time\":1226448000,\"counts\":{\"virus\":2}},"
	    "{\"source\":\"c\",\"counts\":{}},{\"source\":\"d\",\"counts\":{}}"
	    "]",
	    &s, &n, &e);
	ok(rc == 0 && n == 4, "a batch of max_batch objects is accepted");
	if (rc == 0) {
		ok(strcmp(s[1].source, "b") == 0 && s[1].counts[2] == 2 &&
			s[1].time == 1226448000 && s[0].counts[0] == 1 &&
			strcmp(s[3].source, "d") == 0,
		    "each element is decoded");
		free(s);
	} else
		ok(0, "skipped after a refusal");
	s = (struct submission *)1;
	rc = parse("[{\"source\":\"a\",\"counts\":{}},{\"source\":\"b\","
		   "\"counts\":{\"spam\":-1}}]",
	    &s, &n, &e);
	ok(rc == -1 && s == NULL && n == 0 &&
		strcmp(e.field, "[1].counts.spam") == 0,
	    "a batch is all or nothing");

	/* Untrusted names in fields stay short and printable. */
	rc =
	    parse("{\"source\":\"a\",\"counts\":{\"\\u0001\\u001b[31m\\n\":1}}",
		&s, &n, &e);
	ok(rc == -1 && strcmp(e.code, "unknown_category") == 0 &&
		printable(e.field) && strncmp(e.field, "counts.", 7) == 0,
	    "control characters are escaped in the field ('%s')", e.field);
	ok(strstr(e.field, "\\x1b") != NULL, "ESC is shown as \\x1b");
	memset(body, 0, sizeof(body));
	strcpy(body, "{\"source\":\"a\",\"counts\":{\"");
	memset(body + strlen(body), 'z', 1500);
	strcat(body, "\":1}}");
	rc = parse(body, &s, &n, &e);
	ok(rc == -1 && strcmp(e.code, "unknown_category") == 0 &&
		strlen(e.field) < 60 && strstr(e.field, "...") != NULL,
	    "a long category name is cut in the field ('%s')", e.field);
	rc = parse("{\"source\":\"a\",\"counts\":{},\"\\u00e9\\u00e9\":1}", &s,
	    &n, &e);
	ok(rc == -1 && strcmp(e.field, "\\xc3\\xa9\\xc3\\xa9") == 0,
	    "non-ASCII field names are shown as bytes ('%s')", e.field);

	/* Details. */
	parse("{\"source\":\"a\",\n\"counts\":{]}", &s, &n, &e);
	ok(strstr(e.detail, "line 2") != NULL &&
		strstr(e.detail, "column") != NULL,
	    "bad_json names the position ('%s')", e.detail);
	parse("{\"source\":\"a\",\"counts\":{}\x01}", &s, &n, &e);
	ok(strcmp(e.code, "bad_json") == 0 && printable(e.detail),
	    "raw control bytes are escaped in the detail ('%s')", e.detail);
	parse("{\"source\":\xc3\xa9}", &s, &n, &e);
	ok(strcmp(e.code, "bad_json") == 0 && printable(e.detail) &&
		strstr(e.detail, "\\xc3\\xa9") != NULL,
	    "non-ASCII bytes are escaped in the detail ('%s')", e.detail);
	parse("{\"source\":\"a\",\"counts\":{},\"source\":\"b\"}", &s, &n, &e);
	ok(strstr(e.detail, "duplicate") != NULL,
	    "a duplicate key says so ('%s')", e.detail);
	parse("{\"source\":\"a-\",\"counts\":{}}", &s, &n, &e);
	ok(strstr(e.detail, "'-'") != NULL,
	    "bad_source says what is wrong "
	    "('%s')",
	    e.detail);

	/* The retry hash. */
	h1 = hash_of("{\"source\":\"a\",\"counts\":{\"spam\":3}}", NOW);
	h2 = hash_of("{\"source\":\"A.\",\"counts\":{\"spam\":3}}", NOW + 50);
	ok(h1 != 0 && h1 == h2, "a retry without time hashes the same later");
	h2 = hash_of(
	    "{\"counts\":{\"spam\":3},\"source\":\"a\",\"id\":\"k\"}", NOW);
	ok(h1 == h2, "key order and the id do not change the hash");
	h2 = hash_of(
	    "{\"source\":\"a\",\"counts\":{\"spam\":3,\"ham\":0}}", NOW);
	ok(h1 == h2, "an explicit zero count hashes like an absent one");
	h2 = hash_of("{\"source\":\"a\",\"counts\":{\"spam\":4}}", NOW);
	ok(h1 != h2, "a different count changes the hash");
	h2 = hash_of("{\"source\":\"a\",\"counts\":{\"ham\":3}}", NOW);
	ok(h1 != h2, "the same count in another category changes the hash");
	h2 = hash_of("{\"source\":\"b\",\"counts\":{\"spam\":3}}", NOW);
	ok(h1 != h2, "a different source changes the hash");
	h2 = hash_of("{\"source\":\"a\",\"time\":1226448060,"
		     "\"counts\":{\"spam\":3}}",
	    NOW);
	ok(h1 != h2, "an explicit time changes the hash");
	h1 = hash_of("{\"source\":\"a\",\"time\":1226448000,"
		     "\"counts\":{\"spam\":3}}",
	    NOW);
	ok(h1 != h2, "a different time changes the hash");
	h2 = hash_of("{\"source\":\"a\",\"interval\":60,"
		     "\"counts\":{\"spam\":3}}",
	    NOW);
	h1 = hash_of("{\"source\":\"a\",\"interval\":120,"
		     "\"counts\":{\"spam\":3}}",
	    NOW);
	ok(h1 != h2, "a different interval changes the hash");

	/* Categories beyond the configured ones are unknown. */
	rules.ncategories = 2;
	rc = parse("{\"source\":\"a\",\"counts\":{\"virus\":1}}", &s, &n, &e);
	ok(rc == -1 && strcmp(e.code, "unknown_category") == 0,
	    "only the configured categories are known");
	rules.ncategories = 4;

	return tap_done();
}
