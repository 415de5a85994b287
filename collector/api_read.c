/*
 * api_read.c -- the read side of the HTTP API: graphs (/graph.png,
 * /graph.svg), exports (/export.csv, /export.json) and the JSON the UI reads
 * (/api/v1/sources, /api/v1/series).
 *
 * Owns the read handlers and a small cache of rendered graphs.  Parameters
 * are parsed on the polling thread (query.c); the work itself (librrd, under
 * the store lock) runs on the worker pool, which answers and resumes the
 * request.  It does not draw or fetch (rrd/render.c, rrd/export.c do) nor
 * format CSV (csv.c does).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../rrd/export.h"
#include "../rrd/render.h"
#include "../rrd/store.h"
#include "../lib/clock.h"
#include "api.h"
#include "conf.h"
#include "csv.h"
#include "events.h"
#include "http.h"
#include "query.h"
#include "spamtrend.h"
#include "workers.h"

#define READ_CACHE_ENTRIES 64
#define READ_CACHE_BYTES   (16 * 1024 * 1024)
#define READ_KEY_MAX	   512

enum read_kind {
	READ_PNG,
	READ_SVG,
	READ_CSV,
	READ_JSON,
	READ_SOURCES,
	READ_SERIES
};

/* One cached graph: valid while the step it was drawn in is current. */
struct read_cached {
	char		   key[READ_KEY_MAX];
	int64_t		   bucket;
	struct render_area area;
	unsigned char	  *data;
	size_t		   len;
	uint64_t	   used;
};

struct read_cache {
	pthread_mutex_t	   lock;
	struct read_cached entries[READ_CACHE_ENTRIES];
	size_t		   bytes;
	uint64_t	   clock;
};

/* Per-request state handed to a worker. */
struct read_job {
	struct spamtrend    *st;
	struct http_request *req;
	enum read_kind	     kind;
	struct query	     q;
	int64_t		     now;
	char		     key[READ_KEY_MAX];
};

/* The route arguments: one per endpoint, sharing the context. */
struct read_route {
	struct spamtrend  *st;
	struct read_cache *cache;
	enum read_kind	   kind;
};

/* The read side's state, hung off struct spamtrend. */
struct api_read {
	struct read_cache cache;
	struct read_route routes[6];
};

/* Find key in the cache for the current step; copies the bytes out. */
static int
read_cache_get(struct read_cache *c, const char *key, int64_t bucket,
    unsigned char **data, size_t *len, struct render_area *area)
{
	size_t i;
	int    found = 0;

	pthread_mutex_lock(&c->lock);
	for (i = 0; i < READ_CACHE_ENTRIES; i++) {
		struct read_cached *e = &c->entries[i];

		if (e->data == NULL || e->bucket != bucket ||
		    strcmp(e->key, key) != 0)
			continue;
		if ((*data = malloc(e->len)) != NULL) {
			memcpy(*data, e->data, e->len);
			*len = e->len;
			*area = e->area;
			e->used = ++c->clock;
			found = 1;
		}
		break;
	}
	pthread_mutex_unlock(&c->lock);
	return found;
}

/* Store a copy of a graph, evicting the least recently used entries. */
static void
read_cache_put(struct read_cache *c, const char *key, int64_t bucket,
    const unsigned char *data, size_t len, const struct render_area *area)
{
	struct read_cached *victim;
	unsigned char	   *copy;
	size_t		    i;

	if (len > READ_CACHE_BYTES / 4 || (copy = malloc(len)) == NULL)
		return;
	memcpy(copy, data, len);
	pthread_mutex_lock(&c->lock);
	/* Drop entries of past steps, then the least recently used, until it fits. */
	for (i = 0; i < READ_CACHE_ENTRIES; i++) {
		struct read_cached *e = &c->entries[i];

		if (e->data != NULL && e->bucket != bucket) {
			c->bytes -= e->len;
			free(e->data);
			e->data = NULL;
		}
	}
	for (;;) {
		victim = NULL;
		for (i = 0; i < READ_CACHE_ENTRIES; i++) {
			struct read_cached *e = &c->entries[i];

			if (e->data != NULL &&
			    (victim == NULL || e->used < victim->used))
				victim = e;
		}
		if (victim == NULL || c->bytes + len <= READ_CACHE_BYTES)
			break;
		c->bytes -= victim->len;
		free(victim->data);
		victim->data = NULL;
	}
	/* Take an empty slot, or the least recently used one. */
	victim = &c->entries[0];
	for (i = 0; i < READ_CACHE_ENTRIES; i++) {
		struct read_cached *e = &c->entries[i];

		if (e->data == NULL) {
			victim = e;
			break;
		}
		if (e->used < victim->used)
			victim = e;
	}
	if (victim->data != NULL) {
		c->bytes -= victim->len;
		free(victim->data);
		victim->data = NULL;
	}
	snprintf(victim->key, sizeof(victim->key), "%s", key);
	victim->bucket = bucket;
	victim->area = *area;
	victim->data = copy;
	victim->len = len;
	victim->used = ++c->clock;
	c->bytes += len;
	pthread_mutex_unlock(&c->lock);
}

/* Fill the parser's settings from the configuration. */
static void
read_settings(const struct spamtrend *st, int64_t now, struct query_settings *s)
{
	struct store_archive ar[STORE_ARCHIVES];
	unsigned	     i;

	memset(s, 0, sizeof(*s));
	s->now = now;
	s->categories =
	    (const char(*)[ST_CATEGORY_MAX + 1]) st->conf->categories;
	s->ncategories = st->conf->ncategories;
	s->narchives = store_layout(st->conf->step, ar);
	for (i = 0; i < s->narchives; i++) {
		s->resolutions[i] = ar[i].resolution;
		s->retentions[i] = ar[i].retention;
	}
}

/* The state query_set needs while iterating the arguments. */
struct read_parse {
	struct query		    *q;
	const struct query_settings *s;
	struct st_error		    *e;
};

/* Apply one query argument ("category" is taken for "categories"). */
static int
read_parse_arg(void *arg, const char *key, const char *value)
{
	struct read_parse *p = arg;

	if (strcmp(key, "category") == 0)
		key = "categories";
	return query_set(p->q, p->s, key, value, p->e) == -1;
}

/* Parse a read request's query parameters; see api.h. */
int
api_query(struct http_request *req, const struct spamtrend *st, int64_t now,
    struct query *q, struct st_error *e)
{
	struct query_settings s;
	struct read_parse     p;

	read_settings(st, now, &s);
	query_init(q, &s);
	memset(e, 0, sizeof(*e));
	p.q = q;
	p.s = &s;
	p.e = e;
	if (http_query_each(req, read_parse_arg, &p) != 0 ||
	    query_finish(q, &s, e) == -1)
		return -1;
	return 0;
}

/* Append {"cat":N,...} for totals of a series. */
static void
read_totals(struct csv_buf *b, const struct series *s, int64_t *sums)
{
	unsigned c;

	csv_printf(b, "{");
	for (c = 0; c < s->ncat; c++) {
		series_total(s, c, &sums[c]);
		if (c > 0)
			csv_printf(b, ",");
		csv_json_string(b, s->names[c]);
		csv_printf(b, ":%lld", (long long)sums[c]);
	}
	csv_printf(b, "}");
}

/* Answer a finished text buffer, or 500 when it ran out of memory. */
static void
read_answer(struct http_request *req, struct csv_buf *b, const char *ctype)
{
	size_t len;
	char  *text;

	if ((text = csv_take(b, &len)) == NULL) {
		http_fail(req, 500, "internal", NULL, "out of memory");
		return;
	}
	http_respond(req, 200, ctype, text, len, 1);
}

/*
 * Answer with an image, telling the UI where its plot area lies so a drag
 * across it maps to times.  Takes ownership of img.
 */
static void
read_graph_respond(struct http_request *req, int svg, unsigned char *img,
    size_t len, const struct render_area *area)
{
	char v[96];

	if (area->width > 0) {
		snprintf(v, sizeof(v), "%u,%u,%u,%u", area->left, area->top,
		    area->width, area->height);
		http_add_header(req, "X-Graph-Area", v);
		snprintf(v, sizeof(v), "%lld,%lld", (long long)area->start,
		    (long long)area->end);
		http_add_header(req, "X-Graph-Range", v);
	}
	http_respond(
	    req, 200, svg ? "image/svg+xml" : "image/png", img, len, 1);
}

/* Draw a graph. */
static void
read_graph(struct read_job *j, struct read_cache *c)
{
	struct render_request r;
	struct render_mark    marks[RENDER_MAX_MARKS];
	char		      texts[RENDER_MAX_MARKS][EVENTS_MARK_TEXT];
	struct render_area    area;
	struct st_error	      e;
	unsigned char	     *img;
	size_t		      len;

	memset(&r, 0, sizeof(r));
	r.source = j->q.source;
	r.cats = j->q.cats;
	r.ncats = j->q.ncats;
	r.start = j->q.start;
	r.end = j->q.end;
	r.width = j->q.width;
	r.height = j->q.height;
	r.view = j->q.view == QUERY_STACKED ? RENDER_STACKED
	    : j->q.view == QUERY_RATIO	    ? RENDER_RATIO
					    : RENDER_LINES;
	r.compare = j->q.compare;
	r.svg = j->kind == READ_SVG;
	r.marks = marks;
	r.nmarks = api_events_marks(j->st, r.source, r.cats, r.ncats, r.start,
	    r.end, j->q.drops, marks, texts, RENDER_MAX_MARKS);
	if (render_graph(j->st->store, &r, &img, &len, &area, &e) == -1) {
		api_fail(j->req, &e);
		return;
	}
	read_cache_put(c, j->key, j->now / j->st->conf->step, img, len, &area);
	read_graph_respond(j->req, r.svg, img, len, &area);
}

/* Export rows as CSV or JSON. */
static void
read_export(struct read_job *j)
{
	struct csv_buf	b = {0};
	struct series	s;
	struct st_error e;
	char		disp[ST_SOURCE_MAX + 96];

	if (export_fetch(j->st->store, j->q.source, j->q.start, j->q.end,
		j->q.step, j->q.cats, j->q.ncats,
		strcmp(j->q.source, ST_TOTAL_SOURCE) == 0, &s, &e) == -1) {
		api_fail(j->req, &e);
		return;
	}
	if (j->kind == READ_CSV) {
		csv_series(&b, &s);
		snprintf(disp, sizeof(disp),
		    "attachment; filename=\""
		    "spamtrend-%s-%lld-%lld.csv\"",
		    j->q.source, (long long)j->q.start, (long long)j->q.end);
		http_add_header(j->req, "Content-Disposition", disp);
		series_free(&s);
		read_answer(j->req, &b, "text/csv; charset=utf-8");
		return;
	}
	csv_series_json(&b, &s);
	series_free(&s);
	read_answer(j->req, &b, "application/json");
}

/* List the sources with their first and last update and a day's totals. */
static void
read_sources(struct read_job *j)
{
	struct spamtrend *st = j->st;
	struct csv_buf	  b = {0};
	struct series	  s;
	struct st_error	  e;
	int64_t		  first, last, sums[ST_MAX_CATEGORIES];
	char		**names;
	size_t		  n, i;

	if (store_list_sources(st->store, &names, &n) == -1) {
		http_fail(j->req, 500, "store_error", NULL,
		    "cannot read the data directory");
		return;
	}
	csv_printf(&b, "{\"now\":%lld,\"stale_after\":%u,\"sources\":[",
	    (long long)j->now, st->conf->stale_after);
	for (i = 0; i < n; i++) {
		store_last(st->store, names[i], &last);
		export_first_seen(st->store, names[i], &first);
		csv_printf(&b, "%s{\"name\":", i > 0 ? "," : "");
		csv_json_string(&b, names[i]);
		csv_printf(&b,
		    ",\"first_seen\":%lld,\"last_seen\":%lld,"
		    "\"stale\":%s,\"last_day\":",
		    (long long)first, (long long)last,
		    j->now - last > (int64_t)st->conf->stale_after ? "true"
								   : "false");
		if (export_fetch(st->store, names[i], j->now - 86400, j->now,
			st->conf->step, j->q.cats, j->q.ncats, 1, &s,
			&e) == 0) {
			read_totals(&b, &s, sums);
			series_free(&s);
		} else
			csv_printf(&b, "{}");
		csv_printf(&b, "}");
	}
	csv_printf(&b, "]}");
	store_names_free(names, n);
	read_answer(j->req, &b, "application/json");
}

/* Rows, totals and the change against the period just before. */
static void
read_series(struct read_job *j)
{
	struct csv_buf	b = {0};
	struct series	cur, prev;
	struct st_error e;
	int64_t	 span, sums[ST_MAX_CATEGORIES], psums[ST_MAX_CATEGORIES], v;
	int	 missing = strcmp(j->q.source, ST_TOTAL_SOURCE) == 0;
	size_t	 row;
	unsigned c;

	span = j->q.end - j->q.start;
	if (export_fetch(j->st->store, j->q.source, j->q.start, j->q.end,
		j->q.step, j->q.cats, j->q.ncats, missing, &cur, &e) == -1) {
		api_fail(j->req, &e);
		return;
	}
	if (export_fetch(j->st->store, j->q.source, j->q.start - span,
		j->q.start, cur.step, j->q.cats, j->q.ncats, 1, &prev,
		&e) == -1) {
		series_free(&cur);
		api_fail(j->req, &e);
		return;
	}
	csv_printf(&b, "{\"source\":");
	csv_json_string(&b, cur.source);
	csv_printf(&b,
	    ",\"start\":%lld,\"end\":%lld,\"step\":%u,"
	    "\"categories\":[",
	    (long long)j->q.start, (long long)j->q.end, cur.step);
	for (c = 0; c < cur.ncat; c++) {
		if (c > 0)
			csv_printf(&b, ",");
		csv_json_string(&b, cur.names[c]);
	}
	csv_printf(&b, "],\"rows\":[");
	for (row = 0; row < cur.nrows; row++) {
		csv_printf(&b, "%s[%lld", row > 0 ? "," : "",
		    (long long)(cur.first + (int64_t)row * cur.step));
		for (c = 0; c < cur.ncat; c++) {
			v = cur.counts[row * cur.ncat + c];
			if (v == SERIES_UNKNOWN)
				csv_printf(&b, ",null");
			else
				csv_printf(&b, ",%lld", (long long)v);
		}
		csv_printf(&b, "]");
	}
	csv_printf(&b, "],\"coverage\":[");
	for (row = 0; row < cur.nrows; row++)
		csv_coverage(&b, &cur, row, row > 0 ? "," : "", "null");
	csv_printf(&b, "],\"complete_through\":%lld,\"totals\":",
	    (long long)cur.complete_through);
	read_totals(&b, &cur, sums);
	csv_printf(&b,
	    ",\"previous\":{\"start\":%lld,\"end\":%lld,"
	    "\"totals\":",
	    (long long)(j->q.start - span), (long long)j->q.start);
	read_totals(&b, &prev, psums);
	csv_printf(&b, "},\"change_pct\":{");
	for (c = 0; c < cur.ncat; c++) {
		if (c > 0)
			csv_printf(&b, ",");
		csv_json_string(&b, cur.names[c]);
		if (psums[c] == 0)
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

/* Run one read job on a worker thread, answer and resume the request. */
static void
read_run(void *arg)
{
	struct read_job *j = arg;

	switch (j->kind) {
	case READ_PNG:
	case READ_SVG:
		read_graph(j, &j->st->read->cache);
		break;
	case READ_CSV:
	case READ_JSON:
		read_export(j);
		break;
	case READ_SOURCES:
		read_sources(j);
		break;
	case READ_SERIES:
		read_series(j);
		break;
	}
	http_resume(j->req);
	free(j);
}

/* Parse the query, answer from the cache or hand the work to a worker. */
static void
read_handle(struct http_request *req, void *arg)
{
	struct read_route *rt = arg;
	struct spamtrend  *st = rt->st;
	struct st_error	   e;
	struct read_job	  *j;
	struct render_area area;
	unsigned char	  *img;
	size_t		   len;

	if ((j = calloc(1, sizeof(*j))) == NULL) {
		http_fail(req, 500, "internal", NULL, "out of memory");
		return;
	}
	j->st = st;
	j->req = req;
	j->kind = rt->kind;
	j->now = clock_now(st->clock);
	if (api_query(req, st, j->now, &j->q, &e) == -1) {
		api_fail(req, &e);
		free(j);
		return;
	}
	if (http_query(req, "drops") == NULL)
		j->q.drops = 1; /* graphs mark drops unless drops=0 */
	if (j->kind == READ_PNG || j->kind == READ_SVG) {
		snprintf(j->key, sizeof(j->key), "%d|", (int)j->kind);
		query_key(&j->q, j->key + strlen(j->key),
		    sizeof(j->key) - strlen(j->key));
		if (read_cache_get(rt->cache, j->key, j->now / st->conf->step,
			&img, &len, &area)) {
			read_graph_respond(
			    req, j->kind == READ_SVG, img, len, &area);
			free(j);
			return;
		}
	}
	if (api_defer(st->workers, req, read_run, j) == -1)
		free(j);
}

/* Register the read endpoints. */
void
api_read_routes(struct http *h, struct spamtrend *st)
{
	static const struct {
		const char    *path;
		enum read_kind kind;
	} routes[] = {
	    {"/graph.png", READ_PNG},
	    {"/graph.svg", READ_SVG},
	    {"/export.csv", READ_CSV},
	    {"/export.json", READ_JSON},
	    {"/api/v1/sources", READ_SOURCES},
	    {"/api/v1/series", READ_SERIES},
	};
	struct api_read *ar;
	size_t		 i;

	if ((ar = calloc(1, sizeof(*ar))) == NULL)
		abort();
	pthread_mutex_init(&ar->cache.lock, NULL);
	st->read = ar;
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		struct read_route *rt = &ar->routes[routes[i].kind];

		rt->st = st;
		rt->cache = &ar->cache;
		rt->kind = routes[i].kind;
		http_route(h, "GET", routes[i].path, read_handle, rt);
	}
}

/* Free the read side's state (after the server and the workers stopped). */
void
api_read_free(struct spamtrend *st)
{
	struct api_read *ar = st->read;
	size_t		 i;

	if (ar == NULL)
		return;
	for (i = 0; i < READ_CACHE_ENTRIES; i++)
		free(ar->cache.entries[i].data);
	pthread_mutex_destroy(&ar->cache.lock);
	free(ar);
	st->read = NULL;
}
