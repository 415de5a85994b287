/*
 * api_read.c -- the read side of the HTTP API: the table of read endpoints,
 * their dispatch, graphs (/graph.png, /graph.svg) and exports (/export.csv,
 * /export.json); the JSON the UI reads is in api_read_json.c.
 *
 * Owns the endpoint table, the dispatch and a small cache of rendered
 * graphs.  Parameters are parsed on the polling thread (query.c); the work
 * itself (librrd, under the store lock) runs on the worker pool, which
 * answers and resumes the request.  It does not draw or fetch
 * (rrd/render.c, rrd/export.c do) nor format CSV (csv.c does).
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
#include "api_read.h"
#include "conf.h"
#include "csv.h"
#include "http.h"
#include "query.h"
#include "spamtrend.h"
#include "workers.h"

#define READ_CACHE_ENTRIES 64
#define READ_CACHE_BYTES   (16 * 1024 * 1024)

static void read_graph(struct read_job *j);
static void read_export(struct read_job *j);

/* The read endpoints: path, handler, parameters taken, flags. */
static const struct read_endpoint read_endpoints[] = {
    {"/graph.png", read_graph, QUERY_IMAGE, READ_CACHED},
    {"/graph.svg", read_graph, QUERY_IMAGE, READ_CACHED | READ_SVG},
    {"/export.csv", read_export, QUERY_SHARED, 0},
    {"/export.json", read_export, QUERY_SHARED, READ_JSON},
    {"/api/v1/series", read_series, QUERY_SHARED, 0},
    {"/api/v1/sources", read_sources, QUERY_LISTING, 0},
    {"/api/v1/config", read_config, 0, 0},
};
#define READ_ENDPOINTS (sizeof(read_endpoints) / sizeof(read_endpoints[0]))

/* What a graph's headers tell besides the image. */
struct read_meta {
	struct render_area area;
	char		   totals[ST_MAX_CATEGORIES * (ST_CATEGORY_MAX + 24)];
};

/* One cached graph: valid while the step it was drawn in is current. */
struct read_cached {
	char		 key[READ_KEY_MAX];
	int64_t		 bucket;
	struct read_meta meta;
	unsigned char	*data;
	size_t		 len;
	uint64_t	 used;
};

struct read_cache {
	pthread_mutex_t	   lock;
	struct read_cached entries[READ_CACHE_ENTRIES];
	size_t		   bytes;
	uint64_t	   clock;
};

/* The route arguments: one per endpoint, sharing the context. */
struct read_route {
	struct spamtrend	   *st;
	const struct read_endpoint *ep;
};

/* The read side's state, hung off struct spamtrend. */
struct api_read {
	struct read_cache cache;
	struct read_route routes[READ_ENDPOINTS];
};

/* Find key in the cache for the current step; copies the bytes out. */
static int
read_cache_get(struct read_cache *c, const char *key, int64_t bucket,
    unsigned char **data, size_t *len, struct read_meta *meta)
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
			*meta = e->meta;
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
    const unsigned char *data, size_t len, const struct read_meta *meta)
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
	victim->meta = *meta;
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

/* Parse the query parameters in accept into q (settings in s). */
static int
read_query(struct http_request *req, const struct spamtrend *st, int64_t now,
    unsigned accept, struct query *q, struct query_settings *s,
    struct st_error *e)
{
	struct read_parse p;

	read_settings(st, now, s);
	s->accept = accept;
	query_init(q, s);
	memset(e, 0, sizeof(*e));
	p.q = q;
	p.s = s;
	p.e = e;
	if (http_query_each(req, read_parse_arg, &p) != 0 ||
	    query_finish(q, s, e) == -1)
		return -1;
	return 0;
}

/* Parse a read request's query parameters; see api.h. */
int
api_query_accept(struct http_request *req, const struct spamtrend *st,
    int64_t now, unsigned accept, struct query *q, struct st_error *e)
{
	struct query_settings s;

	return read_query(req, st, now, accept, q, &s, e);
}

/* The shared parameters; see api.h. */
int
api_query(struct http_request *req, const struct spamtrend *st, int64_t now,
    struct query *q, struct st_error *e)
{
	return api_query_accept(req, st, now, QUERY_SHARED, q, e);
}

/* Refuse any query parameter (an endpoint without any). */
static int
read_no_arg(void *arg, const char *key, const char *value)
{
	struct st_error *e = arg;

	(void)value;
	err_set(e, ERR_BAD_INPUT, "bad_parameter", "",
	    "this endpoint takes no parameters");
	if (strlen(key) < sizeof(e->field) &&
	    strspn(key, "abcdefghijklmnopqrstuvwxyz_") == strlen(key))
		snprintf(e->field, sizeof(e->field), "%s", key);
	return 1;
}

/* The end of a source's data; the automatic step chosen against it. */
int64_t
read_data_end(struct read_job *j, const char *source)
{
	int64_t last = 0;

	store_last(j->st->store, source, &last);
	query_resolve_step(&j->q, &j->s, last);
	return last;
}

/* Answer a finished text buffer, or 500 when it ran out of memory. */
void
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
 * Answer with an image, telling where its plot area lies (so a drag across
 * it maps to times) and the exact totals its legend prints.  Takes
 * ownership of img.
 */
static void
read_graph_respond(struct http_request *req, int svg, unsigned char *img,
    size_t len, const struct read_meta *meta)
{
	const struct render_area *area = &meta->area;
	char			  v[96];

	if (area->width > 0) {
		snprintf(v, sizeof(v), "%u,%u,%u,%u", area->left, area->top,
		    area->width, area->height);
		http_add_header(req, "X-Graph-Area", v);
		snprintf(v, sizeof(v), "%lld,%lld", (long long)area->start,
		    (long long)area->end);
		http_add_header(req, "X-Graph-Range", v);
	}
	if (meta->totals[0] != '\0')
		http_add_header(req, "X-Graph-Totals", meta->totals);
	http_respond(
	    req, 200, svg ? "image/svg+xml" : "image/png", img, len, 1);
}

/*
 * The exact totals of the range the graph shows, from the same rows as the
 * export of the same query (the ratio view: spam, then ham), into totals;
 * RENDER_NO_TOTAL where no row is known.
 */
static void
read_graph_totals(struct read_job *j, int64_t *totals)
{
	const char(*names)[ST_CATEGORY_MAX + 1];
	unsigned	cats[ST_MAX_CATEGORIES], ncats, i, n;
	struct series	s;
	struct st_error e;

	ncats = j->q.ncats;
	memcpy(cats, j->q.cats, sizeof(cats));
	if (j->q.view == QUERY_RATIO) {
		int spam = -1, ham = -1;

		names = store_categories(j->st->store, &n);
		for (i = 0; i < n; i++) {
			if (strcmp(names[i], "spam") == 0)
				spam = (int)i;
			else if (strcmp(names[i], "ham") == 0)
				ham = (int)i;
		}
		ncats = spam < 0 || ham < 0 ? 0 : 2;
		cats[0] = (unsigned)spam;
		cats[1] = (unsigned)ham;
	}
	for (i = 0; i < ST_MAX_CATEGORIES; i++)
		totals[i] = RENDER_NO_TOTAL;
	if (ncats == 0 ||
	    export_fetch(j->st->store, j->q.source, j->q.start, j->q.end,
		j->q.step, cats, ncats, 1, &s, &e) == -1)
		return;
	for (i = 0; i < ncats; i++)
		if (series_total(&s, i, &totals[i]) == 0)
			totals[i] = RENDER_NO_TOTAL;
	series_free(&s);
}

/* "spam=26061,ham=2682": the totals a graph's legend prints, for tools. */
static void
read_graph_totals_text(
    const struct read_job *j, const int64_t *totals, char *out, size_t len)
{
	const char(*names)[ST_CATEGORY_MAX + 1];
	const char *name;
	unsigned    i, n, ncats;

	out[0] = '\0';
	if (totals == NULL)
		return;
	names = store_categories(j->st->store, &n);
	ncats = j->q.view == QUERY_RATIO ? 2 : j->q.ncats;
	for (i = 0; i < ncats; i++) {
		if (totals[i] == RENDER_NO_TOTAL)
			continue;
		name = j->q.view == QUERY_RATIO ? (i == 0 ? "spam" : "ham")
						: names[j->q.cats[i]];
		snprintf(out + strlen(out), len - strlen(out), "%s%s=%lld",
		    out[0] != '\0' ? "," : "", name, (long long)totals[i]);
	}
}

/* Draw a graph. */
static void
read_graph(struct read_job *j)
{
	struct render_request r;
	struct render_mark    marks[RENDER_MAX_MARKS];
	char		      texts[RENDER_MAX_MARKS][EVENTS_MARK_TEXT];
	int64_t		      totals[ST_MAX_CATEGORIES], data_end;
	struct read_meta      meta;
	struct st_error	      e;
	unsigned char	     *img;
	size_t		      len;

	memset(&r, 0, sizeof(r));
	memset(marks, 0, sizeof(marks));
	data_end = read_data_end(j, j->q.source);
	r.source = j->q.source;
	r.cats = j->q.cats;
	r.ncats = j->q.ncats;
	r.start = j->q.start;
	r.end = j->q.end;
	r.width = j->q.width;
	r.height = j->q.height;
	r.scale = j->q.scale;
	r.view = j->q.view == QUERY_STACKED ? RENDER_STACKED
	    : j->q.view == QUERY_RATIO	    ? RENDER_RATIO
					    : RENDER_LINES;
	r.compare = j->q.compare;
	r.svg = (j->ep->flags & READ_SVG) != 0;
	if (data_end > 0 &&
	    j->now - data_end <= (int64_t)j->st->conf->stale_after)
		r.filling_from = data_end;
	if (r.start >= RENDER_MIN_TIME && r.height >= 100) {
		read_graph_totals(j, totals);
		r.totals = totals;
	}
	r.marks = marks;
	r.nmarks = api_events_marks(j->st, r.source, r.cats, r.ncats, r.start,
	    r.end, j->q.drops, marks, texts, RENDER_MAX_MARKS);
	if (render_graph(j->st->store, &r, &img, &len, &meta.area, &e) == -1) {
		api_fail(j->req, &e);
		return;
	}
	read_graph_totals_text(j, r.totals, meta.totals, sizeof(meta.totals));
	read_cache_put(&j->st->read->cache, j->key, j->now / j->st->conf->step,
	    img, len, &meta);
	read_graph_respond(j->req, r.svg, img, len, &meta);
}

/* Export rows as CSV or JSON. */
static void
read_export(struct read_job *j)
{
	struct csv_buf	b = {0};
	struct series	s;
	struct st_error e;
	char		disp[ST_SOURCE_MAX + 96];

	read_data_end(j, j->q.source);
	if (export_fetch(j->st->store, j->q.source, j->q.start, j->q.end,
		j->q.step, j->q.cats, j->q.ncats,
		strcmp(j->q.source, ST_TOTAL_SOURCE) == 0, &s, &e) == -1) {
		api_fail(j->req, &e);
		return;
	}
	if (!(j->ep->flags & READ_JSON)) {
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

/* Run one read job on a worker thread, answer and resume the request. */
static void
read_run(void *arg)
{
	struct read_job *j = arg;

	j->ep->run(j);
	http_resume(j->req);
	free(j);
}

/* Parse the query, answer from the cache or hand the work to a worker. */
static void
read_handle(struct http_request *req, void *arg)
{
	struct read_route	   *rt = arg;
	const struct read_endpoint *ep = rt->ep;
	struct spamtrend	   *st = rt->st;
	struct st_error		    e;
	struct read_job		   *j;
	struct read_meta	    meta;
	unsigned char		   *img;
	size_t			    len;

	if ((j = calloc(1, sizeof(*j))) == NULL) {
		http_fail(req, 500, "internal", NULL, "out of memory");
		return;
	}
	j->st = st;
	j->req = req;
	j->ep = ep;
	j->now = clock_now(st->clock);
	memset(&e, 0, sizeof(e));
	if ((ep->accept == 0 && http_query_each(req, read_no_arg, &e) != 0) ||
	    (ep->accept != 0 &&
		read_query(req, st, j->now, ep->accept, &j->q, &j->s, &e) ==
		    -1)) {
		api_fail(req, &e);
		free(j);
		return;
	}
	if (ep->accept == 0)
		read_settings(st, j->now, &j->s);
	if (http_query(req, "drops") == NULL)
		j->q.drops = 1; /* graphs mark drops unless drops=0 */
	if (ep->flags & READ_CACHED) {
		snprintf(j->key, sizeof(j->key), "%s|", ep->path);
		query_key(&j->q, j->key + strlen(j->key),
		    sizeof(j->key) - strlen(j->key));
		if (read_cache_get(&st->read->cache, j->key,
			j->now / st->conf->step, &img, &len, &meta)) {
			read_graph_respond(
			    req, (ep->flags & READ_SVG) != 0, img, len, &meta);
			free(j);
			return;
		}
	}
	if (api_defer(st->workers, req, read_run, j) == -1)
		free(j);
}

/* Register the read endpoints, one route per row of the table. */
void
api_read_routes(struct http *h, struct spamtrend *st)
{
	struct api_read *ar;
	size_t		 i;

	if ((ar = calloc(1, sizeof(*ar))) == NULL)
		abort();
	pthread_mutex_init(&ar->cache.lock, NULL);
	st->read = ar;
	for (i = 0; i < READ_ENDPOINTS; i++) {
		ar->routes[i].st = st;
		ar->routes[i].ep = &read_endpoints[i];
		http_route(h, "GET", read_endpoints[i].path, read_handle,
		    &ar->routes[i]);
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
