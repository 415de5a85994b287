/*
 * api_read_json.c -- the JSON the UI reads: the configuration it builds
 * itself from (/api/v1/config), a series with its totals and the period it
 * is compared with (/api/v1/series), and the sources with their totals,
 * sorted, filtered and a page at a time (/api/v1/sources).
 *
 * Owns those three answers.  Every total is the sum of the rows the export
 * of the same range and step gives, so the page and /export.csv agree.  It
 * runs on the worker pool like every read handler (api_read.c dispatches)
 * and does not fetch (rrd/export.c does) nor pick colours (rrd/render.c
 * holds the one palette).
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "../rrd/export.h"
#include "../rrd/render.h"
#include "../rrd/store.h"
#include "api.h"
#include "api_read.h"
#include "conf.h"
#include "csv.h"
#include "http.h"
#include "ingest.h"
#include "sources.h"
#include "spamtrend.h"

/* Append {"cat":N,...}: the known sum of each column, null when none. */
static void
read_json_totals(
    struct csv_buf *b, const struct series *s, int64_t *sums, size_t *known)
{
	unsigned c;

	csv_printf(b, "{");
	for (c = 0; c < s->ncat; c++) {
		known[c] = series_total(s, c, &sums[c]);
		if (c > 0)
			csv_printf(b, ",");
		csv_json_string(b, s->names[c]);
		csv_printf(b, ":%lld", (long long)sums[c]);
	}
	csv_printf(b, "}");
}

/* Append ,"known_rows":{"cat":N,...}: how many rows of each are known. */
static void
read_json_known(struct csv_buf *b, const struct series *s, const size_t *known)
{
	unsigned c;

	csv_printf(b, ",\"known_rows\":{");
	for (c = 0; c < s->ncat; c++) {
		csv_printf(b, "%s", c > 0 ? "," : "");
		csv_json_string(b, s->names[c]);
		csv_printf(b, ":%zu", known[c]);
	}
	csv_printf(b, "}");
}

/* Append the rows of s as [[time, n|null, ...], ...], times moved by shift. */
static void
read_json_rows(struct csv_buf *b, const struct series *s, int64_t shift)
{
	size_t	 row;
	unsigned c;
	int64_t	 v;

	csv_printf(b, "[");
	for (row = 0; row < s->nrows && !b->failed; row++) {
		csv_printf(b, "%s[%lld", row > 0 ? "," : "",
		    (long long)(s->first + (int64_t)row * s->step + shift));
		for (c = 0; c < s->ncat; c++) {
			v = s->counts[row * s->ncat + c];
			if (v == SERIES_UNKNOWN)
				csv_printf(b, ",null");
			else
				csv_printf(b, ",%lld", (long long)v);
		}
		csv_printf(b, "]");
	}
	csv_printf(b, "]");
}

/* Append ,"coverage":[c|null,...]: each row's reported share of its span. */
static void
read_json_coverage(struct csv_buf *b, const struct series *s)
{
	size_t row;

	csv_printf(b, ",\"coverage\":[");
	for (row = 0; row < s->nrows && !b->failed; row++)
		csv_coverage(b, s, row, row > 0 ? "," : "", "null");
	csv_printf(b, "]");
}

/*
 * Rows, totals and the change against an earlier period: the comparison
 * shift when one is asked for (the same weekdays with 1w, 5w, 1y), else
 * the period of equal length just before.  With a shift the earlier rows
 * come too, moved onto the range's times.
 */
void
read_series(struct read_job *j)
{
	struct csv_buf	b = {0};
	struct series	cur, prev;
	struct st_error e;
	int64_t		span, pstart, pend, data_end, sums[ST_MAX_CATEGORIES];
	int64_t		psums[ST_MAX_CATEGORIES];
	size_t		known[ST_MAX_CATEGORIES], pknown[ST_MAX_CATEGORIES];
	int		missing = strcmp(j->q.source, ST_TOTAL_SOURCE) == 0;
	unsigned	c;

	data_end = read_data_end(j, j->q.source);
	span = j->q.end - j->q.start;
	pstart =
	    j->q.compare > 0 ? j->q.start - j->q.compare : j->q.start - span;
	pend = j->q.compare > 0 ? j->q.end - j->q.compare : j->q.start;
	if (export_fetch(j->st->store, j->q.source, j->q.start, j->q.end,
		j->q.step, j->q.cats, j->q.ncats, missing, &cur, &e) == -1) {
		api_fail(j->req, &e);
		return;
	}
	if (export_fetch(j->st->store, j->q.source, pstart, pend, cur.step,
		j->q.cats, j->q.ncats, 1, &prev, &e) == -1) {
		series_free(&cur);
		api_fail(j->req, &e);
		return;
	}
	csv_printf(&b, "{\"source\":");
	csv_json_string(&b, cur.source);
	csv_printf(&b,
	    ",\"start\":%lld,\"end\":%lld,\"step\":%u,\"data_end\":%lld,"
	    "\"complete_through\":%lld,\"categories\":[",
	    (long long)j->q.start, (long long)j->q.end, cur.step,
	    (long long)data_end, (long long)cur.complete_through);
	for (c = 0; c < cur.ncat; c++) {
		if (c > 0)
			csv_printf(&b, ",");
		csv_json_string(&b, cur.names[c]);
	}
	csv_printf(&b, "],\"rows\":");
	read_json_rows(&b, &cur, 0);
	read_json_coverage(&b, &cur);
	csv_printf(&b, ",\"totals\":");
	read_json_totals(&b, &cur, sums, known);
	read_json_known(&b, &cur, known);
	csv_printf(&b,
	    ",\"previous\":{\"start\":%lld,\"end\":%lld,\"shift\":%lld,"
	    "\"step\":%u,\"totals\":",
	    (long long)pstart, (long long)pend,
	    (long long)(j->q.start - pstart), prev.step);
	read_json_totals(&b, &prev, psums, pknown);
	read_json_known(&b, &prev, pknown);
	if (j->q.compare > 0) {
		csv_printf(&b, ",\"rows\":");
		read_json_rows(&b, &prev, j->q.compare);
		read_json_coverage(&b, &prev);
	}
	csv_printf(&b, "},\"change_pct\":{");
	for (c = 0; c < cur.ncat; c++) {
		if (c > 0)
			csv_printf(&b, ",");
		csv_json_string(&b, cur.names[c]);
		/* No change against a period without data, nor against 0. */
		if (psums[c] == 0 || pknown[c] == 0 || known[c] == 0)
			csv_printf(&b, ":null");
		else
			csv_printf(&b, ":%.1f",
			    100.0 * (double)(sums[c] - psums[c]) /
				(double)psums[c]);
	}
	csv_printf(&b, "}}");
	series_free(&cur);
	series_free(&prev);
	read_answer(j->req, &b, "application/json");
}

/* One source of the list. */
struct read_source {
	const char *name;
	int64_t	    last, first;
	int64_t	    sums[ST_MAX_CATEGORIES];
	int	    fetched; /* sums filled */
};

/* How a list is sorted: a key and a direction. */
struct read_order {
	int	 key; /* -1 name, -2 last_seen, -3 stale, or a column */
	int	 dir; /* 1 ascending, -1 descending */
	int64_t	 now;
	unsigned stale_after;
};

/* Compare two sources by the order, then by name. */
static int
read_source_cmp(const void *a, const void *b, void *arg)
{
	const struct read_source *x = a, *y = b;
	const struct read_order	 *o = arg;
	int64_t			  u, v;

	switch (o->key) {
	case -1:
		u = v = 0;
		break;
	case -2:
		u = x->last;
		v = y->last;
		break;
	case -3:
		u = o->now - x->last > (int64_t)o->stale_after;
		v = o->now - y->last > (int64_t)o->stale_after;
		break;
	default:
		u = x->sums[o->key];
		v = y->sums[o->key];
	}
	if (u != v)
		return u < v ? -o->dir : o->dir;
	return o->dir * strcmp(x->name, y->name);
}

/* Move v[i] down the heap v[0..n) (the last in order on top). */
static void
read_sift(struct read_source *v, size_t n, size_t i, const struct read_order *o)
{
	struct read_source tmp;
	size_t		   c;

	while ((c = 2 * i + 1) < n) {
		if (c + 1 < n &&
		    read_source_cmp(&v[c + 1], &v[c], (void *)o) > 0)
			c++;
		if (read_source_cmp(&v[c], &v[i], (void *)o) <= 0)
			break;
		tmp = v[i];
		v[i] = v[c];
		v[c] = tmp;
		i = c;
	}
}

/*
 * Put the first k of v[0..m) in order, sorted, at v[0..k): a page near
 * the top of 100,000 sources needs one comparison for most of them (with
 * the last of the k kept so far), not a whole sort.
 */
static void
read_first(
    struct read_source *v, size_t m, size_t k, const struct read_order *o)
{
	struct read_source tmp;
	size_t		   i;

	if (k == 0 || k >= m / 4) {
		qsort_r(v, m, sizeof(*v), read_source_cmp, (void *)o);
		return;
	}
	for (i = k / 2; i-- > 0;)
		read_sift(v, k, i, o);
	for (i = k; i < m; i++) {
		if (read_source_cmp(&v[i], &v[0], (void *)o) >= 0)
			continue;
		tmp = v[0];
		v[0] = v[i];
		v[i] = tmp;
		read_sift(v, k, 0, o);
	}
	qsort_r(v, k, sizeof(*v), read_source_cmp, (void *)o);
}

/* Fill x's sums over the query's range; 0 where nothing is known. */
static void
read_source_sums(struct read_job *j, struct read_source *x)
{
	struct series	s;
	struct st_error e;
	unsigned	c;

	x->fetched = 1;
	memset(x->sums, 0, sizeof(x->sums));
	if (export_fetch(j->st->store, x->name, j->q.start, j->q.end, j->q.step,
		j->q.cats, j->q.ncats, 1, &s, &e) == -1)
		return;
	for (c = 0; c < s.ncat; c++)
		series_total(&s, c, &x->sums[c]);
	series_free(&s);
}

/* Append {"cat":N,...} from sums. */
static void
read_json_sums(struct csv_buf *b, const struct read_job *j, const int64_t *sums)
{
	const char(*names)[ST_CATEGORY_MAX + 1];
	unsigned n, c;

	names = store_categories(j->st->store, &n);
	csv_printf(b, "{");
	for (c = 0; c < j->q.ncats; c++) {
		csv_printf(b, "%s", c > 0 ? "," : "");
		csv_json_string(b, names[j->q.cats[c]]);
		csv_printf(b, ":%lld", (long long)sums[c]);
	}
	csv_printf(b, "}");
}

/* The order a sort parameter asks for. */
static void
read_source_order(const struct read_job *j, struct read_order *o)
{
	const char(*names)[ST_CATEGORY_MAX + 1];
	const char *key = j->q.sort[0] == '-' ? j->q.sort + 1 : j->q.sort;
	unsigned    n, c;

	o->dir = j->q.sort[0] == '-' ? -1 : 1;
	o->now = j->now;
	o->stale_after = j->st->conf->stale_after;
	o->key = strcmp(key, "last_seen") == 0 ? -2
	    : strcmp(key, "stale") == 0	       ? -3
					       : -1;
	if (o->key != -1 || strcmp(key, "name") == 0)
		return;
	names = store_categories(j->st->store, &n);
	for (c = 0; c < j->q.ncats; c++)
		if (strcmp(names[j->q.cats[c]], key) == 0)
			o->key = (int)c;
	/* A category that is not among those asked for sorts by name. */
}

/*
 * The text the names must contain: source='s name (the exact match is
 * kept afterwards), else q's.
 */
static const char *
read_sources_filter(const struct read_job *j)
{
	return j->q.seen & QUERY_BIT(QP_SOURCE) ? j->q.source : j->q.text;
}

/*
 * The candidates from the data directory: every file's name and last
 * update; with a sort by a count, every one's sums read from its file
 * (slow with very many sources: the index below is for them).
 */
static int
read_sources_files(struct read_job *j, const struct read_order *o,
    struct read_source **out, size_t *m, char ***names, size_t *nnames)
{
	struct read_source *v;
	size_t		    i, n;

	if (store_list_sources(j->st->store, names, nnames) == -1)
		return -1;
	n = *nnames;
	if ((v = calloc(n + 1, sizeof(*v))) == NULL)
		abort();
	*m = 0;
	for (i = 0; i < n; i++) {
		if (read_sources_filter(j)[0] != '\0' &&
		    strstr((*names)[i], read_sources_filter(j)) == NULL)
			continue;
		v[*m].name = (*names)[i];
		store_last(j->st->store, (*names)[i], &v[*m].last);
		(*m)++;
	}
	if (o->key >= 0)
		for (i = 0; i < *m; i++)
			read_source_sums(j, &v[i]);
	*out = v;
	return 0;
}

/*
 * The candidates from the index of sources (sources.h): names, first and
 * last steps, and with a sort by a count the sums of the clock hours that
 * cover the range.  Those sums order the list; they are the answer's own
 * only where they are exact (a range on whole hours, a source whose hours
 * are all known, one collector writing); the rows of the page are read
 * from their files otherwise.  With collectors sharing the directory, the
 * others' files are read again only every few minutes: the directory is
 * listed for new names whenever it changed, and the page's last steps are
 * read from the files.  Returns -1 when the index cannot order the list (a
 * range further back than it holds).
 */
static int
read_sources_index(struct read_job *j, const struct read_order *o,
    struct sources *idx, struct read_source **out, size_t *m)
{
	struct source_row  *rows;
	struct read_source *v;
	int64_t		    ws = j->q.start / 3600 * 3600;
	int64_t		    we = (j->q.end + 3599) / 3600 * 3600;
	int		    alone = j->st->conf->collector_id[0] == '\0';
	int		    exact;
	struct stat	    sb;
	char		  **names;
	size_t		    i, n;
	unsigned	    c;

	/*
	 * Exact where the range is whole hours and the export's rows are no
	 * longer than an hour (a daily step widens the range to whole days).
	 */
	exact =
	    alone && ws == j->q.start && we == j->q.end && j->q.step <= 3600;
	/*
	 * Files the other collectors made since the index read the directory
	 * (which they change by making one).
	 */
	if (!alone && stat(j->st->conf->data_dir, &sb) == 0 &&
	    sources_dir_changed(idx,
		(int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec) &&
	    store_list_sources(j->st->store, &names, &n) == 0) {
		for (i = 0; i < n; i++)
			sources_add(idx, names[i]);
		store_names_free(names, n);
	}
	if (o->key < 0)
		ws = we = 0;
	if (sources_list(idx, read_sources_filter(j), ws, we, &rows, &n) == -1)
		return -1;
	if ((v = calloc(n + 1, sizeof(*v))) == NULL)
		abort();
	for (i = 0; i < n; i++) {
		v[i].name = rows[i].name;
		v[i].first = rows[i].first;
		v[i].last = rows[i].last;
		for (c = 0; o->key >= 0 && c < j->q.ncats; c++)
			v[i].sums[c] = (int64_t)rows[i].sums[j->q.cats[c]];
		v[i].fetched = o->key >= 0 && exact && rows[i].complete;
	}
	free(rows);
	*out = v;
	*m = n;
	return 0;
}

/*
 * The sources with first and last seen, the stale flag and their totals
 * over the range (the last day by default, then also as "last_day" as the
 * first version of this answer had it); filtered by q, sorted by sort, a
 * page of limit rows from offset; "total" is how many matched and "all" the
 * totals of every source together (for shares).  The list comes from the
 * index of sources once it names every file ("partial" while it has not
 * read them all yet), from the data directory before.
 */
void
read_sources(struct read_job *j)
{
	struct spamtrend *st = j->st;
	struct sources	 *idx = st->ingest ? ingest_sources(st->ingest) : NULL;
	struct csv_buf	  b = {0};
	struct read_source *v = NULL, all;
	struct read_order   o;
	char		  **names = NULL;
	size_t		    nnames = 0, m = 0, i, lo, hi, limit;
	int		    default_range, state = SOURCES_EMPTY, listed = -1;

	default_range = !(j->q.seen &
	    (QUERY_BIT(QP_START) | QUERY_BIT(QP_END) | QUERY_BIT(QP_STEP)));
	read_data_end(j, ST_TOTAL_SOURCE);
	read_source_order(j, &o);
	if (idx != NULL && (state = sources_state(idx)) != SOURCES_EMPTY)
		listed = read_sources_index(j, &o, idx, &v, &m);
	if (listed == -1 &&
	    read_sources_files(j, &o, &v, &m, &names, &nnames) == -1) {
		http_fail(j->req, 500, "store_error", NULL,
		    "cannot read the data directory");
		return;
	}
	/* source=: that one source, by its exact name (a source page). */
	if (j->q.seen & QUERY_BIT(QP_SOURCE)) {
		size_t k = 0;

		for (i = 0; i < m; i++)
			if (strcmp(v[i].name, j->q.source) == 0)
				v[k++] = v[i];
		m = k;
	}
	lo = j->q.offset < m ? j->q.offset : m;
	/* Without limit, the first QUERY_MAX_LIMIT: each row reads a file. */
	limit = j->q.limit > 0 ? j->q.limit : QUERY_MAX_LIMIT;
	hi = m - lo > limit ? lo + limit : m;
	read_first(v, m, hi, &o);
	memset(&all, 0, sizeof(all));
	all.name = ST_TOTAL_SOURCE;
	read_source_sums(j, &all);

	csv_printf(&b,
	    "{\"now\":%lld,\"stale_after\":%u,\"start\":%lld,\"end\":%lld,"
	    "\"step\":%u,\"total\":%zu,\"offset\":%zu,\"limit\":%zu,"
	    "\"partial\":%s,\"sort\":",
	    (long long)j->now, st->conf->stale_after, (long long)j->q.start,
	    (long long)j->q.end, j->q.step, m, lo, limit,
	    listed == 0 && state != SOURCES_READY ? "true" : "false");
	csv_json_string(&b, j->q.sort);
	csv_printf(&b, ",\"all\":");
	read_json_sums(&b, j, all.sums);
	csv_printf(&b, ",\"sources\":[");
	for (i = lo; i < hi; i++) {
		if (!v[i].fetched)
			read_source_sums(j, &v[i]);
		if (v[i].first == 0)
			export_first_seen(st->store, v[i].name, &v[i].first);
		if (v[i].last == 0 || st->conf->collector_id[0] != '\0')
			store_last(st->store, v[i].name, &v[i].last);
		csv_printf(&b, "%s{\"name\":", i > lo ? "," : "");
		csv_json_string(&b, v[i].name);
		csv_printf(&b,
		    ",\"first_seen\":%lld,\"last_seen\":%lld,"
		    "\"stale\":%s,\"totals\":",
		    (long long)v[i].first, (long long)v[i].last,
		    j->now - v[i].last > (int64_t)st->conf->stale_after
			? "true"
			: "false");
		read_json_sums(&b, j, v[i].sums);
		if (default_range) {
			csv_printf(&b, ",\"last_day\":");
			read_json_sums(&b, j, v[i].sums);
		}
		csv_printf(&b, "}");
	}
	csv_printf(&b, "]}");
	free(v);
	store_names_free(names, nnames);
	read_answer(j->req, &b, "application/json");
}

/*
 * What the UI builds itself from: the configured categories with their
 * colours and unit, the step, the archives, when a source turns stale,
 * the time zones, the end of the stored data, who may change events.
 */
void
read_config(struct read_job *j)
{
	const struct conf   *c = j->st->conf;
	struct csv_buf	     b = {0};
	struct store_archive ar[STORE_ARCHIVES];
	struct tm	     tm;
	time_t		     now = (time_t)j->now;
	int64_t		     data_end = 0;
	char		     zone[64];
	unsigned	     i, n;

	store_last(j->st->store, ST_TOTAL_SOURCE, &data_end);
	localtime_r(&now, &tm);
	strftime(zone, sizeof(zone), "%Z", &tm);
	csv_printf(&b, "{\"version\":\"%s\",\"now\":%lld,\"data_end\":%lld,",
	    PACKAGE_VERSION, (long long)j->now, (long long)data_end);
	csv_printf(&b,
	    "\"step\":%u,\"rate_seconds\":3600,\"rate_unit\":"
	    "\"hour\",\"categories\":[",
	    c->step);
	for (i = 0; i < c->ncategories; i++) {
		csv_printf(&b, "%s{\"name\":", i > 0 ? "," : "");
		csv_json_string(&b, c->categories[i]);
		csv_printf(&b, ",\"colour\":\"#%s\",\"unit\":\"messages\"}",
		    render_colour(c->categories[i], i));
	}
	csv_printf(&b, "],\"archives\":[");
	n = store_layout(c->step, ar);
	for (i = 0; i < n; i++)
		csv_printf(&b, "%s{\"resolution\":%u,\"retention\":%lld}",
		    i > 0 ? "," : "", ar[i].resolution,
		    (long long)ar[i].retention);
	csv_printf(&b,
	    "],\"stale_after\":%u,\"time_zone\":{\"server\":", c->stale_after);
	csv_json_string(&b, zone);
	csv_printf(&b,
	    ",\"default\":\"local\"},\"graph_min_time\":%lld,"
	    "\"max_rows\":%d,\"max_span\":%lld,\"events\":{\"write\":\"%s\"}}",
	    (long long)RENDER_MIN_TIME, QUERY_MAX_ROWS,
	    (long long)QUERY_MAX_SPAN,
	    c->admin_token[0] != '\0' ? "token" : "loopback");
	read_answer(j->req, &b, "application/json");
}
