/*
 * error.h -- the one shape every refusal takes on its way to the client.
 *
 * Modules below the API layer fill a struct st_error with a kind (what went
 * wrong, in the collector's own terms), a stable code and the field at
 * fault.  Only the API layer (collector/api_common.c) maps a kind to an
 * HTTP status; nothing below it speaks HTTP.
 */
#ifndef ST_ERROR_H
#define ST_ERROR_H

#include <stdarg.h>

enum err_kind {
	ERR_NONE = 0,
	ERR_BAD_INPUT,	     /* malformed request, parameter or text */
	ERR_UNAUTHENTICATED, /* no or unknown credentials */
	ERR_FORBIDDEN,	     /* known credentials, not allowed this */
	ERR_NOT_FOUND,	     /* no such thing (source, event) */
	ERR_CONFLICT,	     /* cannot be placed any more (too old) */
	ERR_TOO_LARGE,	     /* over a size or count limit */
	ERR_UNSUPPORTED,     /* media type or encoding not understood */
	ERR_INVALID,	     /* well-formed but not acceptable */
	ERR_LIMITED,	     /* a rate or cardinality limit; retry later */
	ERR_INTERNAL,	     /* a fault of the collector */
	ERR_UNAVAILABLE,     /* temporarily unable (journal, stopping, busy) */
	ERR_NO_SPACE,	     /* the disk is full */
};

struct st_error {
	enum err_kind kind;
	char	      code[40];	 /* stable machine-readable code */
	char	      field[96]; /* JSON path, header or parameter; may be "" */
	char	      detail[256]; /* one human sentence */
};

/* Fill e (which may be NULL) and return -1, so callers can "return err_set(...)". */
int err_set(struct st_error *e, enum err_kind kind, const char *code,
    const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

#endif
