/*
 * query.c -- parsing and checking the query parameters of the read API.
 *
 * Owns the parameter table, the time syntax and the choice of an archive
 * resolution for a range.  It reads no clock (now comes in the settings),
 * does no I/O, and knows nothing of HTTP beyond the error shape.
 */
#include "query.h"

#include <stdio.h>
#include <string.h>

#include "../lib/number.h"
#include "../lib/source.h"

#define QUERY_MAX_NUMBER 999999999999ULL /* 12 digits */

#define QUERY_BAD(e, field, ...) \
	err_set((e), ERR_BAD_INPUT, "bad_parameter", (field), __VA_ARGS__)

static const char *query_names[QP_COUNT] = {"source", "categories", "start",
    "end", "step", "width", "height", "compare", "view", "drops", "scale",
    "offset", "limit", "sort", "q"};

/* Suffixes of relative times and spans, in seconds. */
static const struct {
	const char *suffix;
	int64_t	    seconds;
} query_units[] = {
    {"s", 1},
    {"m", 60},
    {"min", 60},
    {"h", 3600},
    {"d", 86400},
    {"w", 7 * 86400},
    {"mon", 30 * 86400},
    {"y", 365 * 86400},
};

/* Comparison shifts with a name of their own; any other span works too. */
static const struct {
	const char *name;
	int64_t	    seconds;
} query_compares[] = {
    {"none", 0}, {"1y", 364 * 86400}, /* 52 weeks: the same weekdays */
};
#define QUERY_MAX_COMPARE (2 * 366 * 86400LL)

/* Sort keys of a list besides the categories. */
static const char *query_sorts[] = {"name", "last_seen", "stale"};

static const char *query_views[] = {"lines", "stacked", "ratio"};

/* Parse the digits at *p (a value of at most 12 digits) and step past them. */
static int
query_uint(const char **p, int64_t *out)
{
	size_t	 n = strspn(*p, "0123456789");
	uint64_t v;

	if (number_parse(*p, n, 0, QUERY_MAX_NUMBER, &v) == -1)
		return -1;
	*p += n;
	*out = (int64_t)v;
	return 0;
}

/* Parse the whole of text as a decimal of at most 12 digits. */
static int
query_number(const char *text, int64_t *out)
{
	uint64_t v;

	if (number_parse_str(text, 0, QUERY_MAX_NUMBER, &v) == -1)
		return -1;
	*out = (int64_t)v;
	return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t
query_days(int64_t y, int64_t m, int64_t d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* Parse "YYYY-MM-DD[THH:MM[:SS]][Z]". */
static int
query_parse_date(const char *p, int64_t *out)
{
	static const int mdays[] = {
	    31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int64_t y, mo, d, h = 0, mi = 0, sec = 0;

	if (strlen(p) < 10 || p[4] != '-' || p[7] != '-')
		return -1;
	if (query_uint(&p, &y) == -1 || *p++ != '-' ||
	    query_uint(&p, &mo) == -1 || *p++ != '-' ||
	    query_uint(&p, &d) == -1)
		return -1;
	if (*p == 'T' || *p == ' ') {
		p++;
		if (query_uint(&p, &h) == -1 || *p++ != ':' ||
		    query_uint(&p, &mi) == -1)
			return -1;
		if (*p == ':') {
			p++;
			if (query_uint(&p, &sec) == -1)
				return -1;
		}
	}
	if (*p == 'Z')
		p++;
	if (*p != '\0' || y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 ||
	    d > mdays[mo - 1] || h > 23 || mi > 59 || sec > 59)
		return -1;
	if (mo == 2 && d == 29 &&
	    !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return -1;
	*out = query_days(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
	return 0;
}

/* Parse "N<unit>" into seconds. */
static int
query_parse_span(const char *p, int64_t *out)
{
	int64_t n;
	size_t	i;

	if (query_uint(&p, &n) == -1)
		return -1;
	for (i = 0; i < sizeof(query_units) / sizeof(query_units[0]); i++) {
		if (strcmp(p, query_units[i].suffix) == 0) {
			if (n > QUERY_MAX_SPAN / query_units[i].seconds)
				return -1;
			*out = n * query_units[i].seconds;
			return 0;
		}
	}
	return -1;
}

/* Parse a time parameter. */
int
query_parse_time(const char *text, int64_t now, int64_t *out)
{
	int64_t v;

	if (text == NULL || *text == '\0')
		return -1;
	if (strcmp(text, "now") == 0) {
		*out = now;
		return 0;
	}
	if (text[0] == '-') {
		if (query_parse_span(text + 1, &v) == -1)
			return -1;
		*out = now - v;
		return 0;
	}
	if (strlen(text) >= 10 && text[4] == '-')
		return query_parse_date(text, out);
	return query_number(text, out);
}

/* Set the defaults. */
void
query_init(struct query *q, const struct query_settings *s)
{
	unsigned i;

	memset(q, 0, sizeof(*q));
	snprintf(q->source, sizeof(q->source), "%s", ST_TOTAL_SOURCE);
	for (i = 0; i < s->ncategories && i < ST_MAX_CATEGORIES; i++)
		q->cats[i] = i;
	q->ncats = i;
	q->width = 800;
	q->height = 250;
	q->view = QUERY_LINES;
	q->scale = 1;
	snprintf(q->sort, sizeof(q->sort), "name");
}

/* Parse a decimal parameter and clamp it into [lo, hi]. */
static int
query_clamped(const char *name, const char *value, unsigned lo, unsigned hi,
    unsigned *out, struct st_error *e)
{
	int64_t v;

	if (query_number(value, &v) == -1)
		return QUERY_BAD(e, name, "%s must be a whole number", name);
	*out = v < lo ? lo : v > hi ? hi : (unsigned)v;
	return 0;
}

/* Parse a comma-separated list of configured categories. */
static int
query_categories(struct query *q, const struct query_settings *s,
    const char *value, struct st_error *e)
{
	const char *p = value, *comma;
	size_t	    len;
	unsigned    i, j, n = 0;

	for (;;) {
		comma = strchr(p, ',');
		len = comma ? (size_t)(comma - p) : strlen(p);
		if (len == 0)
			return QUERY_BAD(e, "categories",
			    "empty category "
			    "name");
		for (i = 0; i < s->ncategories; i++)
			if (strlen(s->categories[i]) == len &&
			    memcmp(s->categories[i], p, len) == 0)
				break;
		if (i == s->ncategories)
			return QUERY_BAD(e, "categories",
			    "unknown category "
			    "(not one of the configured categories)");
		for (j = 0; j < n; j++)
			if (q->cats[j] == i)
				return QUERY_BAD(e, "categories",
				    "category "
				    "named twice");
		q->cats[n++] = i;
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	q->ncats = n;
	return 0;
}

/* Parse a sort key: [-]name, last_seen, stale or a configured category. */
static int
query_sort(struct query *q, const struct query_settings *s, const char *value,
    struct st_error *e)
{
	const char *key = value[0] == '-' ? value + 1 : value;
	size_t	    i;

	for (i = 0; i < sizeof(query_sorts) / sizeof(query_sorts[0]); i++)
		if (strcmp(key, query_sorts[i]) == 0)
			goto found;
	for (i = 0; i < s->ncategories; i++)
		if (strcmp(key, s->categories[i]) == 0)
			goto found;
	return QUERY_BAD(e, "sort",
	    "sort must be name, last_seen, stale or a "
	    "category, with - for descending");
found:
	snprintf(q->sort, sizeof(q->sort), "%s", value);
	return 0;
}

/* Apply one parameter. */
int
query_set(struct query *q, const struct query_settings *s, const char *name,
    const char *value, struct st_error *e)
{
	char	    lower[ST_SOURCE_MAX + 2];
	const char *p;
	int64_t	    v;
	size_t	    i, len;
	int	    k;

	for (k = 0; k < QP_COUNT; k++)
		if (strcmp(name, query_names[k]) == 0)
			break;
	if (k == QP_COUNT) {
		/* Echo the name only if it is short and plain. */
		for (p = name; *p != '\0' && p - name < 40 &&
		     ((*p >= 'a' && *p <= 'z') || *p == '_' ||
			 (*p >= '0' && *p <= '9'));
		     p++)
			;
		return QUERY_BAD(
		    e, *p == '\0' ? name : "", "unknown query parameter");
	}
	if (!((s->accept ? s->accept : QUERY_SHARED) & QUERY_BIT(k)))
		return QUERY_BAD(
		    e, name, "%s is not a parameter of this endpoint", name);
	if (q->seen & (1U << k))
		return QUERY_BAD(e, name, "%s given twice", name);
	q->seen |= 1U << k;
	if (value == NULL)
		value = "";
	switch (k) {
	case QP_SOURCE:
		len = strlen(value);
		if (len == 0 || len > ST_SOURCE_MAX + 1)
			return QUERY_BAD(e, name, "not a valid source name");
		for (i = 0; i <= len; i++)
			lower[i] = (value[i] >= 'A' && value[i] <= 'Z')
			    ? value[i] - 'A' + 'a'
			    : value[i];
		if (len > 1 && lower[len - 1] == '.')
			lower[--len] = '\0';
		if (len > ST_SOURCE_MAX || !source_is_valid_name(lower))
			return QUERY_BAD(e, name, "not a valid source name");
		memcpy(q->source, lower, len + 1);
		return 0;
	case QP_CATEGORIES:
		return query_categories(q, s, value, e);
	case QP_START:
	case QP_END:
		if (strlen(value) >= sizeof(q->start_text) ||
		    query_parse_time(value, s->now, &v) == -1)
			return QUERY_BAD(e, name,
			    "%s must be unix seconds, "
			    "\"now\", a span back like -1d, or YYYY-MM-DD",
			    name);
		if (k == QP_START) {
			q->start = v;
			snprintf(
			    q->start_text, sizeof(q->start_text), "%s", value);
		} else {
			q->end = v;
			snprintf(q->end_text, sizeof(q->end_text), "%s", value);
		}
		return 0;
	case QP_STEP:
		if (query_number(value, &v) == -1 || v == 0)
			return QUERY_BAD(e, name,
			    "step must be a positive "
			    "number of seconds");
		q->step = v > 100000000 ? 100000000 : (unsigned)v;
		q->step_given = 1;
		return 0;
	case QP_WIDTH:
		return query_clamped(name, value, 200, 2000, &q->width, e);
	case QP_HEIGHT:
		return query_clamped(name, value, 80, 1000, &q->height, e);
	case QP_COMPARE:
		for (i = 0;
		     i < sizeof(query_compares) / sizeof(query_compares[0]);
		     i++) {
			if (strcmp(value, query_compares[i].name) == 0) {
				q->compare = query_compares[i].seconds;
				return 0;
			}
		}
		if (query_parse_span(value, &v) == 0 && v > 0 &&
		    v <= QUERY_MAX_COMPARE) {
			q->compare = v;
			return 0;
		}
		return QUERY_BAD(e, name,
		    "compare must be none or a span back such as 1d, 1w, 5w "
		    "or 1y (at most two years)");
	case QP_VIEW:
		for (i = 0; i < 3; i++) {
			if (strcmp(value, query_views[i]) == 0) {
				q->view = (enum query_view)i;
				return 0;
			}
		}
		return QUERY_BAD(e, name,
		    "view must be lines, stacked or "
		    "ratio");
	case QP_DROPS:
		if (strcmp(value, "0") != 0 && strcmp(value, "1") != 0)
			return QUERY_BAD(e, name, "drops must be 0 or 1");
		q->drops = value[0] == '1';
		return 0;
	case QP_SCALE:
		if (strcmp(value, "1") != 0 && strcmp(value, "2") != 0)
			return QUERY_BAD(e, name,
			    "scale must be 1 or 2 (image "
			    "pixels per CSS pixel)");
		q->scale = (unsigned)(value[0] - '0');
		return 0;
	case QP_OFFSET:
	case QP_LIMIT:
		p = value;
		if (query_uint(&p, &v) == -1 || *p != '\0' ||
		    (k == QP_LIMIT && (v < 1 || v > QUERY_MAX_LIMIT)))
			return QUERY_BAD(e, name,
			    k == QP_LIMIT ? "limit must be 1 to %d"
					  : "offset must be a whole number",
			    QUERY_MAX_LIMIT);
		if (k == QP_LIMIT)
			q->limit = (size_t)v;
		else
			q->offset = (size_t)v;
		return 0;
	case QP_SORT:
		return query_sort(q, s, value, e);
	case QP_TEXT:
		len = strlen(value);
		if (len > QUERY_TEXT_MAX)
			return QUERY_BAD(
			    e, name, "q is at most %d bytes", QUERY_TEXT_MAX);
		for (i = 0; i <= len; i++) {
			if (value[i] != '\0' &&
			    (value[i] < 0x20 || value[i] > 0x7e))
				return QUERY_BAD(
				    e, name, "q may hold printable ASCII only");
			q->text[i] = (value[i] >= 'A' && value[i] <= 'Z')
			    ? value[i] - 'A' + 'a'
			    : value[i];
		}
		return 0;
	}
	return 0;
}

/* Return 1 if name is a configured category. */
static int
query_has(const struct query_settings *s, const char *name)
{
	unsigned i;

	for (i = 0; i < s->ncategories; i++)
		if (strcmp(s->categories[i], name) == 0)
			return 1;
	return 0;
}

/*
 * The finest archive that still holds start, counted back from ref (the
 * end of the stored data, or now), with few enough rows.
 */
static void
query_auto_step(struct query *q, const struct query_settings *s, int64_t ref)
{
	int64_t	 span = q->end - q->start, age = ref - q->start;
	unsigned i;

	for (i = 0; i + 1 < s->narchives; i++)
		if (age <= s->retentions[i] &&
		    span / s->resolutions[i] <= QUERY_AUTO_ROWS)
			break;
	q->step = s->resolutions[i];
}

/* Resolve the range and choose the resolution. */
int
query_finish(
    struct query *q, const struct query_settings *s, struct st_error *e)
{
	unsigned i;
	int64_t	 span;

	if (!(q->seen & (1U << QP_END)))
		q->end = s->now;
	if (!(q->seen & (1U << QP_START)))
		q->start = q->end - 86400;
	if (q->start < 1)
		return QUERY_BAD(e, "start", "start is before 1970");
	if (q->end > s->now + 366 * 86400LL)
		return QUERY_BAD(e, "end", "end is more than a year ahead");
	if (q->start >= q->end)
		return QUERY_BAD(e, "start", "start must be before end");
	if (q->view == QUERY_RATIO &&
	    (!query_has(s, "spam") || !query_has(s, "ham")))
		return QUERY_BAD(e, "view",
		    "the ratio view needs the "
		    "categories spam and ham");
	span = q->end - q->start;
	if (span > QUERY_MAX_SPAN)
		return QUERY_BAD(e, "start",
		    "the range is longer than 20 "
		    "years");
	if (s->narchives == 0)
		return 0;
	if (q->step_given) {
		/* The finest archive whose rows are at least step long. */
		for (i = 0; i + 1 < s->narchives; i++)
			if (s->resolutions[i] >= q->step)
				break;
		q->step = s->resolutions[i];
		if (span / q->step > QUERY_MAX_ROWS)
			return QUERY_BAD(e, "step",
			    "more than %d rows; ask "
			    "for a longer step or a shorter range",
			    QUERY_MAX_ROWS);
		return 0;
	}
	query_auto_step(q, s, s->now);
	return 0;
}

/* Choose the step again against the end of the stored data. */
void
query_resolve_step(
    struct query *q, const struct query_settings *s, int64_t last)
{
	if (q->step_given || s->narchives == 0 || last <= 0)
		return;
	query_auto_step(q, s, last < s->now ? last : s->now);
}

/* Write a canonical description of q for cache keys. */
void
query_key(const struct query *q, char *buf, size_t len)
{
	size_t	 off;
	unsigned i;
	int	 n;

	n = snprintf(buf, len, "%s|%s|%s|%u|%u|%u|%u|%lld|%d|%d|%u|", q->source,
	    q->start_text, q->end_text, q->step_given ? q->step : 0, q->width,
	    q->height, q->scale, (long long)q->compare, (int)q->view, q->drops,
	    q->ncats);
	if (n < 0 || (size_t)n >= len)
		return;
	off = (size_t)n;
	for (i = 0; i < q->ncats && off + 4 < len; i++)
		off +=
		    (size_t)snprintf(buf + off, len - off, "%u,", q->cats[i]);
}
