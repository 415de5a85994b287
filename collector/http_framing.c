/*
 * http_framing.c -- the checks of a request's framing, made once its
 * headers are in and before any of its body is read: header names that are
 * tokens, values without control bytes, every line ending in CRLF (no bare
 * LF, no folded lines), at most one Content-Length and a decimal one within
 * the body cap, no Content-Length beside Transfer-Encoding, and no
 * Transfer-Encoding but chunked.  A request that breaks one is answered at
 * once and its connection closed, so nothing smuggled behind it is read as
 * a request of its own.
 *
 * Owns these rules only.  The server, routes and limits are http.c's and
 * the answers http_answer.c's (http_int.h joins them); like them, this
 * file is behind http.h, and no other module includes <microhttpd.h>.
 */
#include "http.h"

#include <microhttpd.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "../lib/number.h"
#include "http_int.h"

/*
 * Header iterator state for the framing checks.
 *
 * libmicrohttpd 0.9.75 hides the raw header text but parses it in place:
 * each line's name and value stay where they arrived, with a NUL over the
 * colon and over each line terminator.  So the distance from the end of
 * one line's text (its first NUL) to the start of the next line's name is
 * the length of that terminator: 2 for CRLF, 1 for a bare LF.  The header
 * block's length (MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE) gives the last
 * line's terminator and the empty line's the same way (4 bytes).  A folded
 * line (obs-fold) makes the library move the name out of the block.  The
 * request line's version, passed to the access handler, anchors the walk:
 * when it is not inside the block the layout is not the one described
 * here and line endings are not judged.  Only the versions whose layout
 * was checked take this path (HTTP_INPLACE_HEADERS); the other checks
 * (names, values, framing headers) need no layout.
 */
#if MHD_VERSION >= 0x00097500 && MHD_VERSION < 0x00097600

#define HTTP_INPLACE_HEADERS 1

#else

#define HTTP_INPLACE_HEADERS 0

#endif

struct header_scan {
	int	    content_length;
	int	    transfer_encoding;
	int	    bad_te;
	const char *bad_name;  /* a name that is not an RFC 9110 token */
	const char *bad_value; /* the name of a value holding a control byte */
	int	    bad_line;  /* a bare LF or a folded line */
	const char *start;     /* the request line, in the library's buffer */
	const char *end;       /* one past the header block */
	const char *line_end;  /* the first NUL after the last line's text */
};

/* 1 when the name is an RFC 9110 token: no space, colon or control byte. */
static int
http_token(const char *s)
{
	static const char extra[] = "!#$%&'*+-.^_`|~";

	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
			(*s >= '0' && *s <= '9') || strchr(extra, *s) != NULL))
			return 0;
	return 1;
}

/*
 * Check the terminator of the line whose text ends at hs->line_end against
 * want bytes, the next line starting at next.  Does nothing when the walk
 * has no anchor.
 */
static void
http_line_ending(struct header_scan *hs, const char *next, ptrdiff_t want)
{
	if (hs->line_end == NULL)
		return;
	if (next < hs->line_end || next > hs->end ||
	    next - hs->line_end != want)
		hs->bad_line = 1;
}

/* Check one header's shape and count the framing headers. */
static enum MHD_Result
http_scan_header(
    void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct header_scan *hs = cls;
	const char	   *p;

	if (!http_token(key) && hs->bad_name == NULL)
		hs->bad_name = key;
	for (p = value; p != NULL && *p != '\0'; p++)
		if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f) {
			if (hs->bad_value == NULL)
				hs->bad_value = key;
			break;
		}
	http_line_ending(hs, key, 2);
	if (hs->line_end != NULL) {
		if (value >= key && value < hs->end)
			hs->line_end = value + strlen(value);
		else
			hs->bad_line = 1;
	}
	if (strcasecmp(key, "Content-Length") == 0)
		hs->content_length++;
	else if (strcasecmp(key, "Transfer-Encoding") == 0) {
		hs->transfer_encoding++;
		if (strcasecmp(value, "chunked") != 0)
			hs->bad_te = 1;
	}
	return MHD_YES;
}

/* A refusal decided from the headers alone. */
struct http_refusal {
	int	    status;
	const char *code;
	const char *field;
	const char *detail;
};

/* The first framing rule the headers break (0, f filled), or -1 for none. */
static int
http_framing(const struct header_scan *hs, struct http_refusal *f)
{
	if (hs->bad_name != NULL)
		*f = (struct http_refusal){400, "bad_header", "",
		    "a header name holds a space, a colon or a control "
		    "character (RFC 9112: no space before the colon)"};
	else if (hs->bad_value != NULL)
		*f = (struct http_refusal){400, "bad_header", hs->bad_value,
		    "a header value holds a control character (a bare CR?)"};
	else if (hs->bad_line)
		*f = (struct http_refusal){400, "bad_framing", "",
		    "every header line ends in CRLF (no bare LF, no folded "
		    "lines)"};
	else if (hs->content_length > 1)
		*f = (struct http_refusal){400, "bad_framing", "Content-Length",
		    "more than one Content-Length header"};
	else if (hs->transfer_encoding > 0 && hs->content_length > 0)
		*f = (struct http_refusal){400, "bad_framing",
		    "Transfer-Encoding",
		    "Content-Length together with Transfer-Encoding"};
	else if (hs->transfer_encoding > 1 || hs->bad_te)
		*f = (struct http_refusal){501, "bad_framing",
		    "Transfer-Encoding",
		    "only Transfer-Encoding: chunked is understood"};
	else
		return -1;
	return 0;
}

/*
 * Check the framing of r's headers once they are in; see http_int.h.
 * version is the request line's last word, as the library passed it.
 */
int
http_framing_check(struct http_request *r, const char *version)
{
	struct header_scan		hs;
	struct http_refusal		f;
	const union MHD_ConnectionInfo *ci;
	const char		       *cl;
	uint64_t			len;

	memset(&hs, 0, sizeof(hs));
	ci = MHD_get_connection_info(
	    r->conn, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
	hs.start = r->method;
	hs.end = ci != NULL ? r->method + ci->header_size : NULL;
	if (HTTP_INPLACE_HEADERS && hs.end != NULL && version > hs.start &&
	    version < hs.end)
		hs.line_end = version + strlen(version);
	MHD_get_connection_values(
	    r->conn, MHD_HEADER_KIND, http_scan_header, &hs);
	/* The last line's CRLF and the empty line's: four bytes. */
	http_line_ending(&hs, hs.end, 4);
	if (http_framing(&hs, &f) == 0) {
		http_fail(r, f.status, f.code, f.field, f.detail);
		return -1;
	}
	cl = MHD_lookup_connection_value(
	    r->conn, MHD_HEADER_KIND, "Content-Length");
	if (cl != NULL &&
	    number_parse_str(cl, 0, r->h->s.max_body, &len) == -1) {
		/* Digits only, then it is a number past the cap. */
		if (cl[0] != '\0' && cl[strspn(cl, "0123456789")] == '\0')
			http_too_large(r, "Content-Length");
		else
			http_fail(r, 400, "bad_framing", "Content-Length",
			    "Content-Length is not a decimal number");
		return -1;
	}
	return 0;
}
