/*
 * source.h -- validation and normalisation of source (host) names.
 *
 * A source name becomes a file name, a graph argument and HTML text, so it is
 * checked once here, at the edge, and trusted nowhere else.
 */
#ifndef ST_SOURCE_H
#define ST_SOURCE_H

#include <stddef.h>

#include "error.h"
#include "limits.h"

/*
 * Validate the len bytes at in as a DNS host name (RFC 1123: labels of
 * [a-z0-9-], not starting or ending with '-', 1..63 bytes, one optional
 * trailing dot dropped) of at most ST_SOURCE_STORED_MAX (240) bytes, so
 * that it fits a file name with its suffixes and write its lowercase form, NUL
 * terminated, to out (ST_SOURCE_MAX + 1 bytes).  Returns 0, or -1 with e
 * filled (status 422, code "bad_source", field as given).
 */
int source_normalise(const char *in, size_t len, char *out, const char *field,
    struct st_error *e);

/*
 * Return 1 if name is already a normalised source name, "_total", or the
 * partial total "_total.<id>" of one collector among several.
 */
int source_is_valid_name(const char *name);

/* 1 for "_total" and for a partial total "_total.<id>". */
int source_is_total(const char *name);

#endif
