/*
 * api_collectd.c -- POST /api/v1/collectd: collectd's write_http plugin as
 * a reporter.
 *
 * Owns the endpoint's HTTP checks (media type picks the format: JSON or
 * PUTVAL text), the map and the previous-value state behind one lock, and
 * the hand-over to the same ingest pipeline as POST /api/v1/counts, with
 * the same reporter auth.  A body's counter values become the previous
 * values only once ingest has made its submissions durable (collectd_done
 * settles the change, then answers).  Parsing lives in collectd.c, the
 * state in collectd_state.c, keeping it across a clean restart in
 * collectd_values.c.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../lib/clock.h"
#include "api.h"
#include "auth.h"
#include "collectd.h"
#include "collectd_values.h"
#include "conf.h"
#include "http.h"
#include "ingest.h"
#include "../lib/log.h"
#include "spamtrend.h"
#include "submission.h"

struct collectd_api {
	struct spamtrend      *st;
	struct collectd_map    map;
	pthread_mutex_t	       lock; /* guards state; a leaf lock */
	struct collectd_state *state;
};

/* A body handed to ingest, waiting for its answer. */
struct collectd_job {
	struct collectd_api    *ca;
	struct http_request    *r;
	struct collectd_change *change;
};

/* Who is asking, for the checks inside the parse. */
struct collectd_who {
	struct http_request *r;
	struct auth	    *auth;
	const struct conf   *conf;
};

/*
 * May this request's token report for every host of the body, and do the
 * hosts agree with the X-Spamtrend-Source header (one host per request in
 * a cluster)?
 */
static int
collectd_allow(
    void *arg, const struct submission *subs, size_t n, struct st_error *e)
{
	struct collectd_who *w = arg;

	if (auth_reporter(w->auth, http_header(w->r, "Authorization"),
		http_peer_is_loopback(w->r), subs, n, e) == -1)
		return -1;
	return api_source_header(w->r, w->conf, subs, n, e);
}

/* Settle a body's change under the lock. */
static void
collectd_settle_locked(
    struct collectd_api *ca, struct collectd_change *change, int accepted)
{
	pthread_mutex_lock(&ca->lock);
	collectd_settle(ca->state, change, accepted, clock_now(ca->st->clock));
	pthread_mutex_unlock(&ca->lock);
}

/*
 * The ingest_done_fn of a collectd body: the counter values advance only
 * when the submissions were taken (accepted or repeats), then the request
 * is answered as any ingest answer.
 */
static void
collectd_done(void *arg, const struct ingest_result *res)
{
	struct collectd_job *j = arg;

	collectd_settle_locked(j->ca, j->change, res->error.kind == ERR_NONE);
	api_ingest_done(j->r, res);
	free(j);
}

/* POST /api/v1/collectd */
static void
collectd_post(struct http_request *r, void *arg)
{
	struct collectd_api    *ca = arg;
	struct spamtrend       *st = ca->st;
	const struct conf      *c = st->conf;
	struct submission_rules rules;
	struct collectd_result	res;
	struct collectd_who	who;
	struct collectd_job    *j;
	struct collectd_change *change = NULL;
	struct submission      *subs = NULL;
	struct st_error		e;
	const char	       *ctype, *body;
	char		       *plain = NULL, answer[256];
	size_t			len, n = 0;
	int64_t			now = clock_now(st->clock);
	int			putval, rc;

	if (auth_reporter(st->auth, http_header(r, "Authorization"),
		http_peer_is_loopback(r), NULL, 0, &e) == -1)
		goto refuse;
	ctype = http_header(r, "Content-Type");
	if (api_media_is(ctype, "application/json"))
		putval = 0;
	else if (api_media_is(ctype, "text/plain"))
		putval = 1;
	else {
		err_set(&e, ERR_UNSUPPORTED, "unsupported_media_type",
		    "Content-Type",
		    "send application/json (Format \"JSON\") or text/plain "
		    "(Format \"Command\")");
		goto refuse;
	}
	if (api_body(r, c, &body, &len, &plain, &e) == -1)
		goto refuse;
	api_submission_rules(c, &rules);
	who.r = r;
	who.auth = st->auth;
	who.conf = c;
	pthread_mutex_lock(&ca->lock);
	rc = collectd_parse(body, len, putval, &ca->map, &rules, ca->state, now,
	    collectd_allow, &who, &subs, &n, &change, &res, &e);
	pthread_mutex_unlock(&ca->lock);
	free(plain);
	plain = NULL;
	if (rc == -1 || (n > 0 && api_source_header(r, c, subs, n, &e) == -1))
		goto refuse;
	if (res.resets > 0)
		log_info("collectd: %zu counter(s) went backwards (a restart); "
			 "counted from zero",
		    res.resets);
	if (res.jumps > 0 || res.clamped > 0)
		log_warn("collectd: %zu counter(s) grew by more than max_count "
			 "at once (not counted), %zu sum(s) cut to max_count",
		    res.jumps, res.clamped);
	if (n == 0) {
		/* Nothing to make durable: first samples are remembered now. */
		collectd_settle_locked(ca, change, 1);
		snprintf(answer, sizeof(answer),
		    "{\"accepted\":0,\"duplicates\":0,"
		    "\"values\":%zu,\"mapped\":%zu,\"primed\":%zu}",
		    res.values, res.mapped, res.primed);
		http_respond_json(r, 200, answer);
		return;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL)
		abort();
	j->ca = ca;
	j->r = r;
	j->change = change;
	http_defer(r);
	ingest_submit(st->ingest, subs, n, NULL, now, collectd_done, j);
	return;
refuse:
	api_fail(r, &e);
	free(plain);
	free(subs);
}

/* Parse the map, create the state and register the route; -1 on a bad map. */
int
api_collectd_routes(struct http *h, struct spamtrend *st)
{
	const struct conf     *c = st->conf;
	struct collectd_api   *ca;
	struct collectd_limits lim;
	char		       err[512];

	if ((ca = calloc(1, sizeof(*ca))) == NULL)
		abort();
	if (collectd_map_parse(&ca->map, c->collectd_map,
		(const char(*)[ST_CATEGORY_MAX + 1]) c->categories,
		c->ncategories, err, sizeof(err)) == -1) {
		log_error("%s", err);
		free(ca);
		return -1;
	}
	if (ca->map.skipped[0] != '\0')
		log_warn("collectd_map: rules for categories that are not "
			 "configured are ignored: %s",
		    ca->map.skipped);
	ca->st = st;
	lim.max_sources = c->max_sources;
	lim.max_values = c->collectd_max_values;
	lim.idle = c->max_interval;
	ca->state = collectd_state_create(&lim);
	/*
	 * Not in a cluster: while this collector was stopped its hosts went to
	 * another, which counted their growth; restored values would count it
	 * again here.
	 */
	if (c->collector_id[0] == '\0' &&
	    collectd_values_load(
		ca->state, c->data_dir, clock_now(st->clock)) == -1) {
		collectd_state_free(ca->state);
		free(ca);
		return -1;
	}
	pthread_mutex_init(&ca->lock, NULL);
	st->collectd = ca;
	http_route(h, "POST", "/api/v1/collectd", collectd_post, ca);
	return 0;
}

/* Free what api_collectd_routes made (after the server stopped). */
void
api_collectd_free(struct spamtrend *st)
{
	struct collectd_api *ca = st->collectd;

	if (ca == NULL)
		return;
	/* Every body is settled: ingest has answered them all. */
	if (st->conf->collector_id[0] == '\0')
		collectd_values_save(ca->state, st->conf->data_dir);
	collectd_state_free(ca->state);
	pthread_mutex_destroy(&ca->lock);
	free(ca);
	st->collectd = NULL;
}
