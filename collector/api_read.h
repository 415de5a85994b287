/*
 * api_read.h -- the read endpoints' table and what their handlers share
 * (api_read.c dispatches and draws, api_read_json.c answers the JSON the UI
 * reads).  Internal to those two files.
 *
 * Adding a read endpoint is one row in read_endpoints (api_read.c) and one
 * function of type read_fn: the row names the path, the parameters taken
 * and whether the answer is an image that may be cached; the function runs
 * on a worker thread, answers, and leaves the resumption to the caller.
 */
#ifndef ST_API_READ_H
#define ST_API_READ_H

#include <stdint.h>

#include "query.h"

#define READ_KEY_MAX 512

struct http_request;
struct spamtrend;
struct series;
struct read_job;

typedef void (*read_fn)(struct read_job *j);

/* One read endpoint: a row of the table. */
struct read_endpoint {
	const char *path;
	read_fn	    run;
	unsigned    accept; /* QUERY_BIT()s taken; 0: no parameter at all */
	unsigned    flags;
};
#define READ_CACHED (1U << 0) /* an image, cached for the current step */
#define READ_SVG    (1U << 1) /* SVG rather than PNG; JSON rather than CSV */
#define READ_JSON   READ_SVG

/* Per-request state handed to a worker. */
struct read_job {
	struct spamtrend	   *st;
	struct http_request	   *req;
	const struct read_endpoint *ep;
	struct query		    q;
	struct query_settings	    s;
	int64_t			    now;
	char			    key[READ_KEY_MAX];
};

/* api_read_json.c: GET /api/v1/series, /api/v1/sources, /api/v1/config. */
void read_series(struct read_job *j);
void read_sources(struct read_job *j);
void read_config(struct read_job *j);

/* api_read.c: helpers the handlers share. */

/*
 * The end of source's stored data (its file's last update; 0 without a
 * file), and the automatic step of j chosen again against it.  Takes the
 * store lock.
 */
int64_t read_data_end(struct read_job *j, const char *source);
/* Answer a finished text buffer, or 500 when it ran out of memory. */
struct csv_buf;
void read_answer(
    struct http_request *req, struct csv_buf *b, const char *ctype);

#endif
