/*
 * api_common.c -- what every API handler shares: the one mapping from an
 * error kind to an HTTP status, request bodies (gzip, size), media types,
 * the hand-over of slow work to another thread, and the answer of the
 * ingest pipeline.
 *
 * This is the only place that turns a struct st_error into a status line;
 * the core below (ingest, journal, aggregate, detect, rrd/) reports kinds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../lib/source.h"
#include "api.h"
#include "conf.h"
#include "http.h"
#include "inflate.h"
#include "ingest.h"
#include "submission.h"
#include "workers.h"

/* Error kinds and the HTTP status each one is answered with. */
static const struct {
	enum err_kind kind;
	int	      status;
} api_statuses[] = {
    {ERR_BAD_INPUT, 400},
    {ERR_UNAUTHENTICATED, 401},
    {ERR_FORBIDDEN, 403},
    {ERR_NOT_FOUND, 404},
    {ERR_CONFLICT, 409},
    {ERR_TOO_LARGE, 413},
    {ERR_UNSUPPORTED, 415},
    {ERR_INVALID, 422},
    {ERR_LIMITED, 429},
    {ERR_INTERNAL, 500},
    {ERR_UNAVAILABLE, 503},
    {ERR_NO_SPACE, 507},
};

/* The HTTP status for an error kind (500 for one not in the table). */
int
api_error_status(enum err_kind kind)
{
	size_t i;

	for (i = 0; i < sizeof(api_statuses) / sizeof(api_statuses[0]); i++)
		if (api_statuses[i].kind == kind)
			return api_statuses[i].status;
	return 500;
}

/* Answer r with the error e. */
void
api_fail(struct http_request *r, const struct st_error *e)
{
	http_fail(r, api_error_status(e->kind), e->code, e->field, e->detail);
}

/* 1 when a Content-Type value names want (parameters such as charset allowed). */
int
api_media_is(const char *ctype, const char *want)
{
	size_t n = strlen(want);

	if (ctype == NULL || strncasecmp(ctype, want, n) != 0)
		return 0;
	return ctype[n] == '\0' || ctype[n] == ';' || ctype[n] == ' ';
}

/* The body, gunzipped when it says so; see api.h. */
int
api_body(struct http_request *r, const struct conf *c, const char **body,
    size_t *len, char **plain, struct st_error *e)
{
	const char *enc = http_header(r, "Content-Encoding");
	size_t	    plen;

	*plain = NULL;
	*body = http_body(r, len);
	if (enc != NULL &&
	    (strcasecmp(enc, "gzip") == 0 || strcasecmp(enc, "x-gzip") == 0)) {
		if (inflate_gzip(
			*body, *len, c->max_inflated, plain, &plen, e) == -1)
			return -1;
		*body = *plain;
		*len = plen;
		return 0;
	}
	if (enc != NULL && strcasecmp(enc, "identity") != 0)
		return err_set(e, ERR_UNSUPPORTED, "unsupported_encoding",
		    "Content-Encoding",
		    "only gzip and identity are understood");
	if (*len > c->max_inflated)
		return err_set(e, ERR_TOO_LARGE, "body_too_large", "body",
		    "the body is larger than the limit of %llu bytes",
		    c->max_inflated);
	return 0;
}

/*
 * Check the X-Spamtrend-Source header against the parsed body; see api.h.
 */
int
api_source_header(struct http_request *r, const struct conf *c,
    const struct submission *subs, size_t n, struct st_error *e)
{
	const char *h = http_header(r, API_SOURCE_HEADER);
	char	    want[ST_SOURCE_MAX + 1], field[32];
	size_t	    i;

	if (h != NULL) {
		if (source_normalise(
			h, strlen(h), want, API_SOURCE_HEADER, e) == -1)
			return -1;
		/*
		 * nginx routes by the header's bytes: "MX1.example.com" and
		 * "mx1.example.com" would go to two collectors at once.
		 */
		if (c->collector_id[0] != '\0' && strcmp(h, want) != 0)
			return err_set(e, ERR_INVALID, "bad_source",
			    API_SOURCE_HEADER,
			    "this collector is one of several, routed by this "
			    "header: it must be the source's name as stored, "
			    "'%s'",
			    want);
		for (i = 0; i < n; i++)
			if (strcmp(subs[i].source, want) != 0) {
				if (n == 1)
					snprintf(
					    field, sizeof(field), "source");
				else
					snprintf(field, sizeof(field),
					    "[%zu].source", i);
				return err_set(e, ERR_INVALID,
				    "source_mismatch", field,
				    "the body reports for another source than "
				    "the " API_SOURCE_HEADER " header names");
			}
		return 0;
	}
	/* In a cluster a request is routed by its one source. */
	if (c->collector_id[0] != '\0')
		for (i = 1; i < n; i++)
			if (strcmp(subs[i].source, subs[0].source) != 0)
				return err_set(e, ERR_INVALID, "mixed_sources",
				    "body",
				    "this collector is one of several: a "
				    "request holds the counts of one source, "
				    "named in the " API_SOURCE_HEADER
				    " header");
	return 0;
}

/* The submission rules that the configuration sets. */
void
api_submission_rules(const struct conf *c, struct submission_rules *rules)
{
	memset(rules, 0, sizeof(*rules));
	rules->categories = (const char(*)[ST_CATEGORY_MAX + 1]) c->categories;
	rules->ncategories = c->ncategories;
	rules->step = c->step;
	rules->max_interval = c->max_interval;
	rules->max_batch = c->max_batch;
	rules->max_depth = c->max_depth;
	rules->max_future = c->max_future;
	rules->max_past = 0;
	rules->max_count = c->max_count;
}

/*
 * The ingest pipeline's result for a deferred request: map it to a status
 * and a JSON body, answer, and wake the connection.
 */
void
api_ingest_done(void *arg, const struct ingest_result *res)
{
	struct http_request *r = arg;
	char		     body[160];

	if (res->error.kind != ERR_NONE) {
		api_fail(r, &res->error);
	} else if (res->accepted == 0) {
		snprintf(body, sizeof(body),
		    "{\"accepted\":0,\"duplicates\":%zu,\"duplicate\":true}",
		    res->duplicates);
		http_respond_json(r, 200, body);
	} else {
		snprintf(body, sizeof(body),
		    "{\"accepted\":%zu,\"duplicates\":%zu}", res->accepted,
		    res->duplicates);
		http_respond_json(r, 202, body);
	}
	http_resume(r);
}

/*
 * Defer r and run fn(job) on the worker pool, which answers and resumes r.
 * When the queue is full, answers 503 at once and returns -1: the caller
 * still owns job.
 */
int
api_defer(
    struct workers *w, struct http_request *r, void (*fn)(void *), void *job)
{
	http_defer(r);
	if (workers_submit(w, fn, job) == 0)
		return 0;
	http_fail(r, 503, "busy", NULL,
	    "too many requests are waiting; try again shortly");
	http_resume(r);
	return -1;
}
