/*
 * api_events.c -- the change endpoints of the HTTP API: the drops found in
 * a series (GET /api/v1/drops) and the event annotations (GET and POST
 * /api/v1/events, DELETE /api/v1/events/<id>).
 *
 * Owns the process's events list (opened from the data directory when the
 * routes are registered), the admin rule for changing it, and the JSON of
 * both.  Detection runs on the worker pool (drops.c under the store
 * lock), as does every write of events.json, so the polling thread never
 * waits on librrd or fsync.  It does not detect (collector/detect.c) nor
 * store events (collector/events.c).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "drops.h"
#include "../rrd/render.h"
#include "../rrd/store.h"
#include "../lib/clock.h"
#include "api.h"
#include "auth.h"
#include "conf.h"
#include "csv.h"
#include "events.h"
#include "http.h"
#include "../lib/log.h"
#include "../lib/number.h"
#include "query.h"
#include "../lib/source.h"
#include "spamtrend.h"
#include "workers.h"

#define DROPS_DEFAULT_SPAN (90LL * 86400)
#define EVENTS_PREFIX	   "/api/v1/events/"
#define EVENTS_MAX_ID	   999999999999999999ULL /* 18 digits */

enum events_kind { JOB_DROPS, JOB_ADD, JOB_DELETE };

/* Per-request state handed to a worker. */
struct events_job {
	struct spamtrend    *st;
	struct http_request *req;
	enum events_kind     kind;
	struct query	     q;
	struct event	     ev; /* to add; ev.id to delete */
	int64_t		     now;
};

/*
 * The text of a drop's mark: its start ("spam -63.7% from 2008-11-11 21:00
 * UTC"), or with back set its return.
 */
static void
events_mark_text(const struct drop *d, int back, char *buf, size_t len)
{
	char iso[32];

	csv_iso8601(back ? d->f.ret : d->f.start, iso, sizeof(iso));
	iso[16] = '\0'; /* YYYY-MM-DDTHH:MM */
	iso[10] = ' ';
	if (d->f.kind == DETECT_OUTAGE)
		snprintf(buf, len, "%s %s reporting from %s UTC", d->category,
		    back ? "back to usual" : "outage in", iso);
	else if (back)
		snprintf(buf, len, "%s back (was %+.1f%%) from %s UTC",
		    d->category, d->f.change_pct, iso);
	else
		snprintf(buf, len, "%s %+.1f%% from %s UTC", d->category,
		    d->f.change_pct, iso);
}

/*
 * Fill the marks of a graph: the start and return of each drop (not
 * learning or coverage spans, which the API lists), then events.
 */
unsigned
api_events_marks(struct spamtrend *st, const char *source, const unsigned *cats,
    unsigned ncats, int64_t start, int64_t end, int drops,
    struct render_mark *marks, char (*texts)[EVENTS_MARK_TEXT], unsigned max)
{
	struct st_error e;
	struct drop    *d = NULL;
	struct event   *v = NULL;
	size_t		n = 0, i;
	unsigned	k = 0;
	int		back;

	if (drops &&
	    drops_find(st->store, source, cats, ncats, start, end, NULL, &d, &n,
		&e) == 0) {
		for (i = 0; i < n && k < max; i++) {
			if (d[i].f.kind == DETECT_LEARNING ||
			    d[i].f.kind == DETECT_COVERAGE)
				continue;
			for (back = 0; back < 2 && k < max; back++) {
				int64_t t = back ? d[i].f.ret : d[i].f.start;

				if (t == 0 || t < start || t >= end)
					continue;
				events_mark_text(
				    &d[i], back, texts[k], EVENTS_MARK_TEXT);
				marks[k].time = t;
				/* The drop's span is shaded up to its end. */
				marks[k].end = back ? 0 : d[i].f.end;
				marks[k].kind = RENDER_MARK_DROP;
				marks[k].text = texts[k];
				k++;
			}
		}
		free(d);
	}
	if (st->events != NULL &&
	    events_list(st->events, start, end,
		strcmp(source, ST_TOTAL_SOURCE) == 0 ? NULL : source, &v,
		&n) == 0) {
		for (i = 0; i < n && k < max; i++, k++) {
			snprintf(texts[k], EVENTS_MARK_TEXT, "%s", v[i].text);
			marks[k].time = v[i].time;
			marks[k].end = 0;
			marks[k].kind = RENDER_MARK_EVENT;
			marks[k].text = texts[k];
		}
		free(v);
	}
	return k;
}

/* Find the drops on a worker and answer with a JSON array. */
static void
events_run_drops(struct events_job *j)
{
	struct csv_buf	b = {0};
	struct st_error e;
	struct drop    *d = NULL;
	size_t		n = 0, i, len;
	char	       *text;

	memset(&e, 0, sizeof(e));
	if (drops_find(j->st->store, j->q.source, j->q.cats, j->q.ncats,
		j->q.start, j->q.end, NULL, &d, &n, &e) == -1) {
		api_fail(j->req, &e);
		return;
	}
	csv_printf(&b, "[");
	for (i = 0; i < n; i++) {
		csv_printf(&b, "%s{", i > 0 ? "," : "");
		drops_json(&b, &d[i]);
		csv_printf(&b, "}");
	}
	csv_printf(&b, "]");
	free(d);
	if ((text = csv_take(&b, &len)) == NULL) {
		http_fail(j->req, 500, "internal", NULL, "out of memory");
		return;
	}
	http_respond(j->req, 200, "application/json", text, len, 1);
}

/* Add or delete an event on a worker (events.json is fsync'd). */
static void
events_run_change(struct events_job *j)
{
	struct st_error e;
	struct event	out;
	char		loc[64], *s;

	memset(&e, 0, sizeof(e));
	if (j->kind == JOB_DELETE) {
		if (events_delete(j->st->events, j->ev.id, &e) == -1)
			api_fail(j->req, &e);
		else
			http_respond(j->req, 204, "text/plain", NULL, 0, 0);
		return;
	}
	if (events_add(j->st->events, j->ev.time, j->ev.source, j->ev.text,
		j->now, &out, &e) == -1) {
		api_fail(j->req, &e);
		return;
	}
	log_info("event %lld added at %lld: %s", (long long)out.id,
	    (long long)out.time, out.text);
	if ((s = events_to_json(&out)) == NULL) {
		http_fail(j->req, 500, "internal", NULL, "out of memory");
		return;
	}
	snprintf(loc, sizeof(loc), EVENTS_PREFIX "%lld", (long long)out.id);
	http_add_header(j->req, "Location", loc);
	http_respond(j->req, 201, "application/json", s, strlen(s), 1);
}

/* Run one job on a worker thread, answer and resume the request. */
static void
events_run(void *arg)
{
	struct events_job *j = arg;

	if (j->kind == JOB_DROPS)
		events_run_drops(j);
	else
		events_run_change(j);
	http_resume(j->req);
	free(j);
}

/* Hand j to the worker pool; answers 503 when the queue is full. */
static void
events_defer(struct events_job *j)
{
	if (api_defer(j->st->workers, j->req, events_run, j) == -1)
		free(j);
}

/* GET /api/v1/drops?source=&category=&start=&end= */
static void
events_handle_drops(struct http_request *req, void *arg)
{
	struct spamtrend  *st = arg;
	struct st_error	   e;
	struct events_job *j;

	if ((j = calloc(1, sizeof(*j))) == NULL) {
		http_fail(req, 500, "internal", NULL, "out of memory");
		return;
	}
	j->st = st;
	j->req = req;
	j->kind = JOB_DROPS;
	j->now = clock_now(st->clock);
	if (api_query(req, st, j->now, &j->q, &e) == -1) {
		api_fail(req, &e);
		free(j);
		return;
	}
	if (http_query(req, "start") == NULL)
		j->q.start = j->q.end - DROPS_DEFAULT_SPAN;
	events_defer(j);
}

/*
 * May this client change events?  With an admin_token configured it must
 * be presented; without one only loopback clients may.  Answers and
 * returns -1 when not.
 */
static int
events_admin(struct spamtrend *st, struct http_request *req)
{
	struct st_error e;

	if (st->conf->admin_token[0] != '\0') {
		if (auth_admin(
			st->auth, http_header(req, "Authorization"), &e) == 0)
			return 0;
		api_fail(req, &e);
		return -1;
	}
	if (http_peer_is_loopback(req))
		return 0;
	http_fail(req, 403, "forbidden", "",
	    "without an admin_token only "
	    "loopback clients may change events");
	return -1;
}

/* POST /api/v1/events {"time":T,"text":"...","source":"..."} */
static void
events_handle_post(struct http_request *req, void *arg)
{
	struct spamtrend  *st = arg;
	struct events_job *j;
	struct st_error	   e;
	const char	  *body;
	size_t		   len;
	int64_t		   now = clock_now(st->clock);

	if (events_admin(st, req) == -1)
		return;
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		http_fail(req, 500, "internal", NULL, "out of memory");
		return;
	}
	body = http_body(req, &len);
	if (events_parse(body, len, now, &j->ev, &e) == -1) {
		api_fail(req, &e);
		free(j);
		return;
	}
	j->st = st;
	j->req = req;
	j->kind = JOB_ADD;
	j->now = now;
	events_defer(j);
}

/* DELETE /api/v1/events/<id> */
static void
events_handle_delete(struct http_request *req, void *arg)
{
	struct spamtrend  *st = arg;
	struct events_job *j;
	uint64_t	   id;

	if (events_admin(st, req) == -1)
		return;
	if (number_parse_str(http_path(req) + strlen(EVENTS_PREFIX), 0,
		EVENTS_MAX_ID, &id) == -1) {
		http_fail(req, 404, "not_found", "id", "no such event");
		return;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		http_fail(req, 500, "internal", NULL, "out of memory");
		return;
	}
	j->st = st;
	j->req = req;
	j->kind = JOB_DELETE;
	j->ev.id = (int64_t)id;
	events_defer(j);
}

/* The filters of GET /api/v1/events. */
struct events_filter {
	int64_t		 now, start, end;
	char		 source[ST_SOURCE_MAX + 1];
	struct st_error *e;
};

/* Apply one argument of GET /api/v1/events; non-zero stops on an error. */
static int
events_filter_arg(void *arg, const char *key, const char *value)
{
	struct events_filter *f = arg;

	if (strcmp(key, "start") == 0 || strcmp(key, "end") == 0) {
		if (query_parse_time(value, f->now,
			strcmp(key, "start") == 0 ? &f->start : &f->end) ==
		    -1) {
			err_set(f->e, ERR_BAD_INPUT, "bad_parameter", key,
			    "%s must be "
			    "unix seconds, now, -3h or YYYY-MM-DD[THH:MM]",
			    key);
			return 1;
		}
		return 0;
	}
	if (strcmp(key, "source") == 0) {
		if (strcmp(value, ST_TOTAL_SOURCE) == 0) {
			snprintf(f->source, sizeof(f->source), "%s", value);
			return 0;
		}
		if (source_normalise(value, strlen(value), f->source, "source",
			f->e) == -1) {
			f->e->kind = ERR_BAD_INPUT;
			return 1;
		}
		return 0;
	}
	err_set(f->e, ERR_BAD_INPUT, "bad_parameter", key,
	    "unknown parameter (start, "
	    "end and source are known)");
	return 1;
}

/* GET /api/v1/events?start=&end=&source= */
static void
events_handle_get(struct http_request *req, void *arg)
{
	struct events_filter f;
	struct st_error	     e;
	struct event	    *v = NULL;
	struct csv_buf	     b = {0};
	size_t		     n = 0, i, len;
	char		    *s;

	memset(&f, 0, sizeof(f));
	memset(&e, 0, sizeof(e));
	f.now = clock_now(((struct spamtrend *)arg)->clock);
	f.start = INT64_MIN;
	f.end = INT64_MAX;
	f.e = &e;
	if (http_query_each(req, events_filter_arg, &f) != 0) {
		api_fail(req, &e);
		return;
	}
	if (events_list(((struct spamtrend *)arg)->events, f.start, f.end,
		f.source, &v, &n) == -1) {
		http_fail(req, 500, "internal", NULL, "out of memory");
		return;
	}
	csv_printf(&b, "[");
	for (i = 0; i < n; i++) {
		if ((s = events_to_json(&v[i])) == NULL) {
			b.failed = 1;
			break;
		}
		csv_printf(&b, "%s%s", i > 0 ? "," : "", s);
		free(s);
	}
	csv_printf(&b, "]");
	free(v);
	if (b.failed || (s = csv_take(&b, &len)) == NULL) {
		csv_buf_free(&b);
		http_fail(req, 500, "internal", NULL, "out of memory");
		return;
	}
	http_respond(req, 200, "application/json", s, len, 1);
}

/* Open the events list and register the change endpoints. */
int
api_events_routes(struct http *h, struct spamtrend *st)
{
	char err[512];

	if ((st->events = events_open(st->conf->data_dir, err, sizeof(err))) ==
	    NULL) {
		log_error("%s", err);
		return -1;
	}
	http_route(h, "GET", "/api/v1/drops", events_handle_drops, st);
	http_route(h, "GET", "/api/v1/events", events_handle_get, st);
	http_route(h, "POST", "/api/v1/events", events_handle_post, st);
	http_route(h, "DELETE", EVENTS_PREFIX "*", events_handle_delete, st);
	return 0;
}
