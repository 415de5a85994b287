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

#include "../lib/clock.h"
#include "api.h"
#include "auth.h"
#include "conf.h"
#include "http.h"
#include "ingest.h"
#include "spamtrend.h"
#include "submission.h"

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

/* Answer from a filled st_error and free what the request allocated. */
static void
counts_refuse(struct http_request *r, const struct st_error *e, char *plain,
    struct submission *subs)
{
	api_fail(r, e);
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
	int64_t			now = clock_now(st->clock);

	/* Strangers learn nothing about the body's shape: check the token first. */
	if (auth_reporter(st->auth, http_header(r, "Authorization"),
		http_peer_is_loopback(r), NULL, 0, &e) == -1)
		return counts_refuse(r, &e, NULL, NULL);
	if (!api_media_is(http_header(r, "Content-Type"), "application/json")) {
		err_set(&e, ERR_UNSUPPORTED, "unsupported_media_type",
		    "Content-Type", "send Content-Type: application/json");
		return counts_refuse(r, &e, NULL, NULL);
	}
	if (api_body(r, c, &body, &len, &plain, &e) == -1)
		return counts_refuse(r, &e, NULL, NULL);
	if (len == 0) {
		err_set(
		    &e, ERR_BAD_INPUT, "bad_json", "body", "the body is empty");
		return counts_refuse(r, &e, plain, NULL);
	}
	key = http_header(r, "Idempotency-Key");
	if (key != NULL && !counts_key_ok(key)) {
		err_set(&e, ERR_BAD_INPUT, "bad_header", "Idempotency-Key",
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
		http_peer_is_loopback(r), subs, n, &e) == -1 ||
	    api_source_header(r, c, subs, n, &e) == -1)
		return counts_refuse(r, &e, NULL, subs);
	http_defer(r);
	ingest_submit(st->ingest, subs, n, key, now, api_ingest_done, r);
}

/* Register the ingest route. */
void
api_counts_routes(struct http *h, struct spamtrend *st)
{
	http_route(h, "POST", "/api/v1/counts", counts_post, st);
}
