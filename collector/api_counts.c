/*
 * api_counts.c -- POST /api/v1/counts: the ingest endpoint.
 *
 * Owns the HTTP-facing checks of a submission (media type, encoding,
 * idempotency header, who may submit) and the hand-over to the ingest
 * pipeline.  Parsing lives in submission.c, durability in ingest.c.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "api.h"
#include "auth.h"
#include "conf.h"
#include "http.h"
#include "inflate.h"
#include "ingest.h"
#include "spamtrend.h"
#include "submission.h"

/* 1 when a media type value names JSON (parameters such as charset allowed). */
static int
counts_is_json(const char *ctype)
{
	size_t n = strlen("application/json");

	if (ctype == NULL || strncasecmp(ctype, "application/json", n) != 0)
		return 0;
	return ctype[n] == '\0' || ctype[n] == ';' || ctype[n] == ' ';
}

/* 1 when an Idempotency-Key value is usable: 1..120 printable ASCII. */
static int
counts_key_ok(const char *key)
{
	size_t n = strlen(key), i;

	if (n == 0 || n > ST_KEY_MAX - 8)
		return 0;
	for (i = 0; i < n; i++)
		if (key[i] < 0x21 || key[i] > 0x7e)
			return 0;
	return 1;
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
		return err_set(e, 415, "unsupported_encoding",
		    "Content-Encoding",
		    "only gzip and identity are understood");
	if (*len > c->max_inflated)
		return err_set(e, 413, "body_too_large", "body",
		    "the body is "
		    "larger than the limit of %llu bytes",
		    c->max_inflated);
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

/* The ingest pipeline's answer: store it and wake the connection. */
static void
counts_done(void *arg, int status, const char *json)
{
	struct http_request *r = arg;

	http_respond_json(r, status, json);
	http_resume(r);
}

/* Answer from a filled st_error and free what the request allocated. */
static void
counts_refuse(struct http_request *r, const struct st_error *e, char *plain,
    struct submission *subs)
{
	http_respond_error(r, e);
	free(plain);
	free(subs);
}

/* POST /api/v1/counts */
static void
counts_post(struct http_request *r, void *arg)
{
	struct spamtrend       *st = arg;
	const struct conf      *c = st->conf;
	struct submission_rules rules;
	struct submission      *subs = NULL;
	struct st_error		e;
	const char	       *key, *body;
	char		       *plain = NULL;
	size_t			len, n = 0;
	int64_t			now = time(NULL);

	/* Strangers learn nothing about the body's shape: check the token first. */
	if (auth_reporter(st->auth, http_header(r, "Authorization"),
		http_peer_is_loopback(r), NULL, 0, &e) == -1)
		return counts_refuse(r, &e, NULL, NULL);
	if (!counts_is_json(http_header(r, "Content-Type"))) {
		err_set(&e, 415, "unsupported_media_type", "Content-Type",
		    "send Content-Type: application/json");
		return counts_refuse(r, &e, NULL, NULL);
	}
	if (api_body(r, c, &body, &len, &plain, &e) == -1)
		return counts_refuse(r, &e, NULL, NULL);
	if (len == 0) {
		err_set(&e, 400, "bad_json", "body", "the body is empty");
		return counts_refuse(r, &e, plain, NULL);
	}
	key = http_header(r, "Idempotency-Key");
	if (key != NULL && !counts_key_ok(key)) {
		err_set(&e, 400, "bad_header", "Idempotency-Key",
		    "an "
		    "idempotency key is 1 to %d printable ASCII characters",
		    ST_KEY_MAX - 8);
		return counts_refuse(r, &e, plain, NULL);
	}
	api_submission_rules(c, &rules);
	if (submission_parse(body, len, &rules, now, &subs, &n, &e) == -1)
		return counts_refuse(r, &e, plain, NULL);
	free(plain);
	if (auth_reporter(st->auth, http_header(r, "Authorization"),
		http_peer_is_loopback(r), subs, n, &e) == -1)
		return counts_refuse(r, &e, NULL, subs);
	http_defer(r);
	ingest_submit(st->ingest, subs, n, key, now, counts_done, r);
}

/* Register the ingest route. */
void
api_counts_routes(struct http *h, struct spamtrend *st)
{
	http_route(h, "POST", "/api/v1/counts", counts_post, st);
}
