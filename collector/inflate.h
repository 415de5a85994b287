/*
 * inflate.h -- gzip request bodies, decoded with a hard cap on the output.
 *
 * The only module that includes <zlib.h>.
 */
#ifndef ST_INFLATE_H
#define ST_INFLATE_H

#include <stddef.h>

#include "../lib/error.h"

/*
 * Decode the gzip stream in[0..inlen) into a new buffer of at most cap bytes.
 * Stops as soon as the output would pass cap (a bomb is never fully inflated).
 * On success *out is malloc'd, NUL terminated (not counted in *outlen), owned
 * by the caller, and 0 is returned.  On failure returns -1 with e filled:
 * 413 "inflated_too_large" or 400 "bad_gzip" (field "Content-Encoding").
 */
int inflate_gzip(const void *in, size_t inlen, size_t cap, char **out,
    size_t *outlen, struct st_error *e);

#endif
