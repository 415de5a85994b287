/*
 * test_query.c -- parsing and checking the read API's query parameters.
 */
#include <stdio.h>
#include <string.h>

#include "collector/query.h"
#include "tap.h"

static const char cats[4][ST_CATEGORY_MAX + 1] = {
    "spam", "ham", "virus", "rejected"};
static const int64_t now = 1226448000; /* 2008-11-12T00:00:00Z */

/* Settings as a daemon with step 60 would fill them. */
static void
settings(struct query_settings *s)
{
	static const unsigned res[4] = {60, 300, 3600, 86400};
	static const int64_t  keep[4] = {
	     2 * 86400, 14 * 86400, 395 * 86400, 3660 * 86400LL};
	unsigned i;

	memset(s, 0, sizeof(*s));
	s->now = now;
	s->categories = cats;
	s->ncategories = 4;
	s->narchives = 4;
	for (i = 0; i < 4; i++) {
		s->resolutions[i] = res[i];
		s->retentions[i] = keep[i];
	}
}

/* Parse "k=v&k=v" (no decoding) into q; returns 0 or -1 with e filled. */
static int
parse(const char *text, struct query *q, struct st_error *e)
{
	struct query_settings s;
	char		      buf[1024], *p, *amp, *eq;

	settings(&s);
	query_init(q, &s);
	memset(e, 0, sizeof(*e));
	snprintf(buf, sizeof(buf), "%s", text);
	for (p = buf; *p != '\0'; p = amp + 1) {
		amp = strchr(p, '&');
		if (amp != NULL)
			*amp = '\0';
		if ((eq = strchr(p, '=')) != NULL)
			*eq++ = '\0';
		if (query_set(q, &s, p, eq, e) == -1)
			return -1;
		if (amp == NULL)
			break;
	}
	return query_finish(q, &s, e);
}

/* Expect text to fail on field. */
static void
bad(const char *text, const char *field)
{
	struct query	q;
	struct st_error e;
	int		r = parse(text, &q, &e);

	ok(r == -1 && e.kind == ERR_BAD_INPUT &&
		strcmp(e.code, "bad_parameter") == 0 &&
		strcmp(e.field, field) == 0,
	    "'%s' is refused on %s", text, field);
	if (r != -1 || strcmp(e.field, field) != 0)
		diag("  got r=%d field '%s' detail '%s'", r, e.field, e.detail);
}

int
main(void)
{
	struct query	q, q2;
	struct st_error e;
	char		k1[256], k2[256];
	int64_t		t;

	plan(71);

	is_int(parse("", &q, &e), 0, "no parameters is fine");
	is_str(q.source, "_total", "default source is _total");
	is_int(q.ncats, 4, "default is every category");
	is_int(q.end, now, "default end is now");
	is_int(q.start, now - 86400, "default start is a day before end");
	is_int(q.step, 60, "a day back picks the minute archive");
	ok(q.width == 800 && q.height == 250, "default size");

	is_int(parse("source=MX1.Example.COM.", &q, &e), 0,
	    "source is lowercased and the root dot dropped");
	is_str(q.source, "mx1.example.com", "normalised source");
	bad("source=../etc/passwd", "source");
	bad("source=", "source");
	bad("source=a_b.example", "source");
	bad("source=_other", "source");

	is_int(parse("categories=ham,spam", &q, &e), 0, "a category list");
	ok(q.ncats == 2 && q.cats[0] == 1 && q.cats[1] == 0,
	    "categories kept in the order asked");
	bad("categories=spam,eggs", "categories");
	bad("categories=spam,,ham", "categories");
	bad("categories=spam,spam", "categories");
	bad("categories=", "categories");

	is_int(parse("start=-3h&end=now", &q, &e), 0, "relative start");
	is_int(q.start, now - 3 * 3600, "-3h is three hours back");
	is_int(parse("start=-2w", &q, &e), 0, "weeks");
	is_int(q.start, now - 14 * 86400, "-2w");
	ok(q.step == 300, "two weeks back picks the 5-minute archive (%u)",
	    q.step);
	is_int(parse("start=-1y", &q, &e), 0, "a year");
	is_int(q.step, 3600, "a year back picks the hourly archive");
	is_int(parse("start=-10y", &q, &e), 0, "ten years");
	is_int(q.step, 86400, "ten years back picks the daily archive");
	is_int(parse("start=2008-11-01&end=2008-11-20T12:30Z", &q, &e), 0,
	    "UTC dates");
	is_int(q.start, 1225497600, "2008-11-01 is 1225497600");
	is_int(q.end, 1227184200, "2008-11-20T12:30Z");
	is_int(query_parse_time("-90min", now, &t), 0, "minutes");
	is_int(t, now - 5400, "-90min");
	bad("start=yesterday", "start");
	is_int(parse("start=-15m", &q, &e), 0, "-15m is minutes");
	is_int(q.start, now - 900, "-15m is a quarter of an hour back");
	bad("start=-1q", "start");
	bad("start=2008-02-30", "start");
	bad("start=100&end=100", "start");
	bad("start=1&end=1000000000", "start");
	bad("end=99999999999", "end");

	is_int(parse("step=1&start=-1y", &q, &e), -1,
	    "minute rows over a year are too many");
	is_int(parse("step=3000&start=-1y", &q, &e), 0, "a step is snapped");
	is_int(q.step, 3600, "3000 s snaps up to the hourly archive");
	bad("step=0", "step");
	bad("step=abc", "step");

	is_int(parse("width=10&height=5000", &q, &e), 0, "sizes clamp");
	ok(q.width == 200 && q.height == 1000, "clamped to 200 x 1000");
	bad("width=-5", "width");

	is_int(parse("compare=1w&view=stacked&drops=1", &q, &e), 0,
	    "compare, view, drops");
	ok(q.compare == 7 * 86400 && q.view == QUERY_STACKED && q.drops == 1,
	    "parsed as a week, stacked, drops on");
	is_int(parse("compare=5w", &q, &e), 0, "any span compares");
	is_int(q.compare, 35 * 86400, "5w is five weeks");
	is_int(parse("compare=1y", &q, &e), 0, "a year");
	is_int(q.compare, 364 * 86400, "1y is 52 weeks (the same weekdays)");
	bad("compare=2x", "compare");
	bad("compare=3y", "compare");
	bad("scale=2", "scale");
	bad("offset=10", "offset");
	bad("view=pie", "view");
	bad("colour=red", "colour");
	bad("source=a.example&source=b.example", "source");

	{
		struct query_settings s;

		settings(&s);
		s.accept = QUERY_LISTING;
		query_init(&q, &s);
		ok(query_set(&q, &s, "limit", "25", &e) == 0 &&
			query_set(&q, &s, "offset", "50", &e) == 0 &&
			query_set(&q, &s, "sort", "-spam", &e) == 0 &&
			query_set(&q, &s, "q", "MX1", &e) == 0 &&
			query_finish(&q, &s, &e) == 0 && q.limit == 25 &&
			q.offset == 50 && strcmp(q.sort, "-spam") == 0 &&
			strcmp(q.text, "mx1") == 0,
		    "a listing takes limit, offset, sort and q");
		query_init(&q, &s);
		ok(query_set(&q, &s, "sort", "-eggs", &e) == -1 &&
			strcmp(e.field, "sort") == 0,
		    "sort by something unknown is refused");
		query_init(&q, &s);
		ok(query_set(&q, &s, "limit", "0", &e) == -1 &&
			strcmp(e.field, "limit") == 0,
		    "limit 0 is refused");
		query_init(&q, &s);
		ok(query_set(&q, &s, "limit", "1001", &e) == -1 &&
			strstr(e.detail, "1 to 1000") != NULL,
		    "limit is 1 to 1000");
		s.accept = QUERY_IMAGE;
		query_init(&q, &s);
		ok(query_set(&q, &s, "scale", "2", &e) == 0 && q.scale == 2 &&
			query_set(&q, &s, "limit", "2", &e) == -1,
		    "an image takes scale but not limit");
		/* Imported history: the data ends long before now. */
		s.accept = 0;
		query_init(&q, &s);
		query_set(&q, &s, "start", "1225497600", &e);
		query_set(&q, &s, "end", "1225584000", &e);
		query_finish(&q, &s, &e);
		is_int(q.step, 300, "a day 11 days back: 5-minute rows");
		s.now = now + 10 * 365 * 86400LL;
		query_init(&q, &s);
		query_set(&q, &s, "start", "1225497600", &e);
		query_set(&q, &s, "end", "1225584000", &e);
		query_finish(&q, &s, &e);
		is_int(q.step, 86400, "the same day ten years on: days");
		query_resolve_step(&q, &s, now);
		is_int(q.step, 300,
		    "with the data ending 11 days after it, 5 minutes again");
	}

	parse("source=mx1.example.com&start=-1d", &q, &e);
	parse("start=-1d&source=MX1.example.com", &q2, &e);
	query_key(&q, k1, sizeof(k1));
	query_key(&q2, k2, sizeof(k2));
	is_str(k1, k2, "the cache key ignores order and case");
	return tap_done();
}
