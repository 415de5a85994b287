/*
 * http.h -- the HTTP server: listening, routing, request limits, bodies,
 * responses and deferred answers.
 *
 * The only module that includes <microhttpd.h>.  Handlers elsewhere see an
 * opaque struct http_request and answer through the functions below.
 *
 * Threads: handlers run on the server's polling thread and must not block.
 * Slow work (journal sync, rendering) is handed to another thread after
 * http_defer(); that thread answers with http_respond*() and then calls
 * http_resume().
 */
#ifndef ST_HTTP_H
#define ST_HTTP_H

#include <stddef.h>
#include <stdint.h>

struct http;
struct http_request;

/* A route handler; runs once the whole body has been received. */
typedef void (*http_handler_fn)(struct http_request *req, void *arg);

/* Server settings, taken from the configuration at start-up. */
struct http_settings {
	const char *listen;   /* "ADDR:PORT"; port 0 picks a free one */
	size_t	    max_body; /* bytes on the wire */
	unsigned    max_connections;
	unsigned    max_per_ip;
	unsigned    idle_timeout;    /* seconds without a byte */
	unsigned    request_timeout; /* seconds for a whole request */
	unsigned    threads;	     /* polling threads */
	int	    epoll;	     /* 1: epoll, 0: poll */
	const char *tls_cert;	     /* PEM file or NULL */
	const char *tls_key;
};

/* Create a server (not yet listening).  Returns NULL with err filled. */
struct http *http_create(
    const struct http_settings *s, char *err, size_t errlen);

/*
 * Register handler fn for method + path.  A path ending in '*' matches every
 * path with that prefix.  A known path with another method answers 405 with
 * Allow; an unknown path 404.  Call before http_start().
 */
void http_route(struct http *h, const char *method, const char *path,
    http_handler_fn fn, void *arg);

/*
 * Set a gate run before every GET/HEAD handler except /healthz: when it
 * returns -1 it has answered (401) and the handler is skipped.
 */
void http_set_read_gate(
    struct http *h, int (*gate)(struct http_request *r, void *arg), void *arg);

/* Start listening.  Returns the bound port, or -1 with err filled. */
int http_start(struct http *h, char *err, size_t errlen);

/*
 * Stop accepting new connections and running handlers (later requests get
 * 503); returns once no handler runs.  Deferred requests can still be
 * answered and resumed.
 */
void http_quiesce(struct http *h);

/* Stop the server and free it.  No request may be deferred any more. */
void http_free(struct http *h);

/* Request accessors; returned strings live as long as the request. */
const char *http_method(struct http_request *r);
const char *http_path(struct http_request *r);
const char *http_header(struct http_request *r, const char *name);
const char *http_query(struct http_request *r, const char *name);
/* Call fn for every query argument, in order; stops when fn returns non-zero. */
int	    http_query_each(struct http_request *r,
	    int (*fn)(void *arg, const char *key, const char *value), void *arg);
const char *http_body(struct http_request *r, size_t *len);
/* 1 when the peer address is loopback (127.0.0.0/8 or ::1). */
int http_peer_is_loopback(struct http_request *r);
/* The peer address as text ("127.0.0.1"), for logs. */
const char *http_peer(struct http_request *r);

/* Add a response header; call before http_respond*(). Copies both strings. */
void http_add_header(
    struct http_request *r, const char *name, const char *value);

/*
 * Answer with status and body.  With own = 1 the malloc'd body becomes the
 * server's and is freed after sending; with own = 0 it is copied.
 */
void http_respond(struct http_request *r, int status, const char *ctype,
    void *body, size_t len, int own);
/* Answer with a JSON text (copied). */
void http_respond_json(struct http_request *r, int status, const char *json);
/*
 * Answer an error as {"error":code,"field":field,"detail":detail}.  The HTTP
 * layer's own refusals (framing, routing, size) come from here; the API
 * layer maps a struct st_error to a status first (api_fail in api.h).
 */
void http_fail(struct http_request *r, int status, const char *code,
    const char *field, const char *detail);

/*
 * Suspend the request: the handler returns without answering, and another
 * thread answers later with http_respond*() followed by http_resume().
 * Call http_defer() before the request is visible to any other thread.
 */
void http_defer(struct http_request *r);
void http_resume(struct http_request *r);

/* Counters for /metrics. */
struct http_stats {
	uint64_t requests;
	uint64_t responses_by_class[6]; /* index status / 100 */
	uint64_t connections_refused;
	uint64_t timeouts;
};
void http_get_stats(struct http *h, struct http_stats *out);

#endif
