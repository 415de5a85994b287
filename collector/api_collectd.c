/*
 * api_collectd.c -- POST /api/v1/collectd: collectd's write_http plugin as
 * a reporter.
 *
 * Owns the endpoint's HTTP checks (media type picks the format: JSON or
 * PUTVAL text), the map and the previous-value state behind one lock, and
 * the hand-over to the same ingest pipeline as POST /api/v1/counts, with
 * the same reporter auth.  Parsing lives in collectd.c.
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
#include "conf.h"
#include "http.h"
#include "ingest.h"
#include "../lib/log.h"
#include "spamtrend.h"
#include "submission.h"

#define CD_KEYS_PER_SOURCE 8 /* remembered values per allowed source */

struct collectd_api {
	struct spamtrend      *st;
	struct collectd_map    map;
	pthread_mutex_t	       lock; /* guards state */
	struct collectd_state *state;
};

/* Who is asking, for the auth check inside the parse. */
struct collectd_who {
	struct http_request *r;
	struct auth	    *auth;
};

/* May this request's token report for every host of the body? */
static int
collectd_allow(
    void *arg, const struct submission *subs, size_t n, struct st_error *e)
{
	struct collectd_who *w = arg;

	return auth_reporter(w->auth, http_header(w->r, "Authorization"),
	    http_peer_is_loopback(w->r), subs, n, e);
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
	pthread_mutex_lock(&ca->lock);
	rc = collectd_parse(body, len, putval, &ca->map, &rules, ca->state, now,
	    collectd_allow, &who, &subs, &n, &res, &e);
	pthread_mutex_unlock(&ca->lock);
	free(plain);
	plain = NULL;
	if (rc == -1 || (n > 0 && api_source_header(r, c, subs, n, &e) == -1))
		goto refuse;
	if (res.resets > 0)
		log_info("collectd: %zu counter(s) went backwards (a restart); "
			 "counted from zero",
		    res.resets);
	if (n == 0) {
		snprintf(answer, sizeof(answer),
		    "{\"accepted\":0,\"duplicates\":0,"
		    "\"values\":%zu,\"mapped\":%zu,\"primed\":%zu}",
		    res.values, res.mapped, res.primed);
		http_respond_json(r, 200, answer);
		return;
	}
	http_defer(r);
	ingest_submit(st->ingest, subs, n, NULL, now, api_ingest_done, r);
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
	const struct conf   *c = st->conf;
	struct collectd_api *ca;
	char		     err[512];

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
	ca->state =
	    collectd_state_create((size_t)c->max_sources * CD_KEYS_PER_SOURCE);
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
	collectd_state_free(ca->state);
	pthread_mutex_destroy(&ca->lock);
	free(ca);
	st->collectd = NULL;
}
