/*
 * api.h -- the HTTP API's route tables.
 *
 * Each api_*.c file owns one family of endpoints and registers its routes
 * with the server; handlers get the struct spamtrend as their argument.
 */
#ifndef ST_API_H
#define ST_API_H

#include <stddef.h>
#include <stdint.h>

#include "events.h"

struct http;
struct http_request;
struct spamtrend;
struct st_error;

/* POST /api/v1/counts */
void api_counts_routes(struct http *h, struct spamtrend *st);
/* /healthz, /metrics, static UI files */
void api_misc_routes(struct http *h, struct spamtrend *st);
/* graphs, exports, sources, series, config (the table in api_read.c) */
void api_read_routes(struct http *h, struct spamtrend *st);
/* Free what api_read_routes made; after http_free and workers_free. */
void api_read_free(struct spamtrend *st);
/* drops and events; opens <data-dir>/events.json (-1 when it cannot) */
int api_events_routes(struct http *h, struct spamtrend *st);
/*
 * POST /api/v1/collectd; reads back the counters' previous values of the last
 * clean stop; -1 (logged) on a bad collectd_map or when they cannot be read.
 * Free after http_free and ingest_free: it keeps them for the next start.
 */
int  api_collectd_routes(struct http *h, struct spamtrend *st);
void api_collectd_free(struct spamtrend *st);

#define EVENTS_MARK_TEXT (EVENT_TEXT_MAX + 64)

struct render_mark;

/*
 * The marks of a graph of source over [start, end] in the categories cats
 * (api_events.c): the drops found there (when drops is set; a rule at the
 * start, labelled like "spam -66.4% from 2008-11-11 21:00 UTC", and the
 * drop's end in marks[].end when it has one) and the events of that source
 * and of every source.  Fills at most max marks, whose texts point into
 * texts[]; returns how many.  Runs on a worker thread: it takes the store
 * lock and the events mutex, one after the other.
 */
unsigned api_events_marks(struct spamtrend *st, const char *source,
    const unsigned *cats, unsigned ncats, int64_t start, int64_t end, int drops,
    struct render_mark *marks, char (*texts)[EVENTS_MARK_TEXT], unsigned max);

/*
 * Parse a read request's query parameters (source, categories, start, end,
 * step, ...) received at now into q (api_read.c).  -1 with e filled: 400
 * naming the parameter.  api_query takes the shared parameters,
 * api_query_accept those in accept (QUERY_BIT()s).
 */
struct query;
int api_query(struct http_request *req, const struct spamtrend *st, int64_t now,
    struct query *q, struct st_error *e);
int api_query_accept(struct http_request *req, const struct spamtrend *st,
    int64_t now, unsigned accept, struct query *q, struct st_error *e);

/* Shared by every handler (api_common.c). */
struct conf;
struct ingest_result;
struct submission_rules;
struct workers;
enum err_kind;

/* The HTTP status an error kind is answered with: the one mapping. */
int api_error_status(enum err_kind kind);
/* Answer r with e: api_error_status(e->kind) and the JSON error body. */
void api_fail(struct http_request *r, const struct st_error *e);
/* 1 when a Content-Type value names want (parameters such as charset allowed). */
int api_media_is(const char *ctype, const char *want);

/*
 * The request body, gunzipped when Content-Encoding says gzip: *body and
 * *len point at it; *plain is the malloc'd decoded copy to free (or NULL).
 * -1 with e filled (unknown encoding, too large, bad gzip).
 */
int api_body(struct http_request *r, const struct conf *c, const char **body,
    size_t *len, char **plain, struct st_error *e);
/* The submission rules that the configuration sets. */
void api_submission_rules(const struct conf *c, struct submission_rules *rules);

/* The header that names the source of a request, for routing by a proxy. */
#define API_SOURCE_HEADER "X-Spamtrend-Source"

/*
 * When the request names its source in API_SOURCE_HEADER, every
 * submission of the body must be for that source (422 source_mismatch
 * otherwise); without it, a collector that is one of several
 * (collector_id) takes one source per request (422 mixed_sources).
 */
struct submission;
int api_source_header(struct http_request *r, const struct conf *c,
    const struct submission *subs, size_t n, struct st_error *e);
/*
 * The ingest_done_fn of a deferred request (arg is the request): answers
 * 202 with what was accepted, 200 for repeats only, or the error; resumes.
 */
void api_ingest_done(void *arg, const struct ingest_result *res);
/*
 * Defer r and run fn(job) on the worker pool, which answers and resumes r.
 * When the queue is full, answers 503 and returns -1; job stays the caller's.
 */
int api_defer(
    struct workers *w, struct http_request *r, void (*fn)(void *), void *job);

#endif
