/*
 * http_answer.c -- a request's answer: stored by a handler (on any thread,
 * for a deferred request), then handed to libmicrohttpd with the headers
 * every response carries.
 *
 * Owns the answer's parts (status, media type, body, extra headers), the
 * one JSON error body ({"error":code,"field":field,"detail":detail}), the
 * security headers, Cache-Control: no-store unless a handler set its own,
 * closing the connection after an answer that leaves the body unread
 * (408, 413, a framing 400), and the count of answers per status class.
 * It decides no status: handlers, http.c and http_framing.c do (http_int.h
 * joins them).
 */
#include "http.h"

#include <microhttpd.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/jsonstr.h"
#include "http_int.h"

/* Headers every response carries. */
static const struct {
	const char *name;
	const char *value;
} http_security_headers[] = {
    {"X-Content-Type-Options", "nosniff"},
    {"X-Frame-Options", "DENY"},
    {"Referrer-Policy", "no-referrer"},
    {"Content-Security-Policy",
	"default-src 'self'; img-src 'self' data: "
	"blob:; style-src 'self'; script-src 'self'; object-src 'none'; "
	"base-uri 'none'; form-action 'self'; frame-ancestors 'none'"},
};

/* Free the stored answer of r. */
void
http_clear_answer(struct http_request *r)
{
	size_t i;

	free(r->resp_body);
	r->resp_body = NULL;
	for (i = 0; i < r->nhdr; i++) {
		free(r->hdr_name[i]);
		free(r->hdr_value[i]);
	}
	r->nhdr = 0;
}

/* Hand r's stored answer to MHD. */
enum MHD_Result
http_queue(struct http_request *r)
{
	struct MHD_Response *resp;
	enum MHD_Result	     ret;
	size_t		     i;

	resp = MHD_create_response_from_buffer(
	    r->resp_len, r->resp_body, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL)
		return MHD_NO;
	r->resp_body = NULL;
	if (r->ctype[0] != '\0')
		MHD_add_response_header(resp, "Content-Type", r->ctype);
	for (i = 0; i <
	     sizeof(http_security_headers) / sizeof(http_security_headers[0]);
	     i++)
		MHD_add_response_header(resp, http_security_headers[i].name,
		    http_security_headers[i].value);
	for (i = 0; i < r->nhdr; i++)
		MHD_add_response_header(resp, r->hdr_name[i], r->hdr_value[i]);
	if (MHD_get_response_header(resp, "Cache-Control") == NULL)
		MHD_add_response_header(resp, "Cache-Control", "no-store");
	if (r->status == 413 || r->status == 408 ||
	    (r->status == 400 && !r->checked))
		MHD_add_response_header(resp, "Connection", "close");
	ret = MHD_queue_response(r->conn, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	if (r->status >= 100 && r->status < 600)
		atomic_fetch_add(&r->h->by_class[r->status / 100], 1);
	return ret;
}

/* Answer 413 for a body over max_body; field names what told us. */
void
http_too_large(struct http_request *r, const char *field)
{
	char detail[96];

	snprintf(detail, sizeof(detail),
	    "the body is larger than the limit of %zu bytes", r->h->s.max_body);
	http_fail(r, 413, "body_too_large", field, detail);
}

/* Add a response header. */
void
http_add_header(struct http_request *r, const char *name, const char *value)
{
	if (r->nhdr == MAX_HEADERS)
		return;
	if ((r->hdr_name[r->nhdr] = strdup(name)) == NULL ||
	    (r->hdr_value[r->nhdr] = strdup(value)) == NULL)
		abort();
	r->nhdr++;
}

/* Store the answer. */
void
http_respond(struct http_request *r, int status, const char *ctype, void *body,
    size_t len, int own)
{
	free(r->resp_body);
	if (own)
		r->resp_body = body;
	else {
		if ((r->resp_body = malloc(len ? len : 1)) == NULL)
			abort();
		if (len > 0)
			memcpy(r->resp_body, body, len);
	}
	r->resp_len = len;
	r->status = status;
	snprintf(r->ctype, sizeof(r->ctype), "%s", ctype != NULL ? ctype : "");
	r->answered = 1;
}

/* Answer with a JSON text. */
void
http_respond_json(struct http_request *r, int status, const char *json)
{
	size_t len = strlen(json);
	char  *b;

	if ((b = malloc(len + 2)) == NULL)
		abort();
	memcpy(b, json, len);
	b[len] = '\n';
	http_respond(r, status, "application/json", b, len + 1, 1);
}

/* Answer an error as {"error":code,"field":field,"detail":detail}. */
void
http_fail(struct http_request *r, int status, const char *code,
    const char *field, const char *detail)
{
	char c[128], f[384], d[1024], body[1600];

	if (field == NULL)
		field = "";
	/* Each part is cut, if at all, between characters and stays valid. */
	jsonstr_quote(c, sizeof(c), code, strlen(code));
	jsonstr_quote(f, sizeof(f), field, strlen(field));
	jsonstr_quote(d, sizeof(d), detail, strlen(detail));
	snprintf(body, sizeof(body),
	    "{\"error\":%s,\"field\":%s,\"detail\":%s}", c, f, d);
	http_respond_json(r, status, body);
}
