/*
 * submission.h -- decoding and validating a POST /api/v1/counts body.
 *
 * The only module that includes <jansson.h> for the ingest path.  Pure: the
 * time of receipt is passed in; nothing here reads a clock or touches a file.
 */
#ifndef ST_SUBMISSION_H
#define ST_SUBMISSION_H

#include <stddef.h>
#include <stdint.h>

#include "../lib/error.h"
#include "../lib/limits.h"

/* One validated submission, normalised. */
struct submission {
	char	 source[ST_SOURCE_MAX + 1]; /* lowercase host name */
	char	 id[ST_KEY_MAX + 1];	    /* "" when absent */
	int64_t	 time;	   /* end of the counted interval, unix s */
	uint32_t interval; /* seconds, >= 1 */
	uint64_t counts[ST_MAX_CATEGORIES]; /* by category index */
	uint64_t hash; /* of the normalised content, for retries */
};

/* What the parser needs to know; filled from the configuration. */
struct submission_rules {
	const char (*categories)[ST_CATEGORY_MAX + 1];
	unsigned ncategories;
	unsigned step;	       /* default interval */
	unsigned max_interval; /* seconds */
	unsigned max_batch;    /* elements in an array */
	unsigned max_depth;    /* JSON nesting */
	unsigned max_future;   /* seconds a time may be ahead of now */
	unsigned max_past;     /* seconds a time may be behind now */
	uint64_t max_count;    /* per category per submission */
};

/*
 * Parse and validate the JSON text body[0..len) (one object or an array of
 * 1..max_batch objects) received at now.  On success *out is a calloc'd
 * array of *n submissions owned by the caller (free()), and 0 is returned.
 * On failure returns -1 with e filled and *out NULL: 400 "bad_json" for
 * malformed text or duplicate keys, 400 "too_deep" for nesting over
 * max_depth, 413 "batch_too_large",
 * 422 for everything well-formed but invalid ("unknown_field",
 * "unknown_category", "bad_count", "bad_source", "bad_time", "bad_interval",
 * "time_in_future", "time_too_old", "bad_id", "empty_batch", ...).  The
 * field names the JSON path ("[3].counts.spam").  A batch is all-or-nothing.
 */
int submission_parse(const char *body, size_t len,
    const struct submission_rules *rules, int64_t now, struct submission **out,
    size_t *n, struct st_error *e);

/*
 * Seed the JSON parser's hash tables (jansson's json_object_seed) with
 * secret random bytes, so the keys of a body's objects cannot be chosen to
 * collide.  The seed is process-wide: call once, before any thread starts.
 */
void submission_seed(void);

/*
 * A stable 64-bit hash of the normalised content of s (FNV-1a over source,
 * time, interval and counts[0..ncategories); the id is not part of it).
 * submission_parse fills s->hash with this hash taken over the time and
 * interval AS GIVEN (0 when absent), so a retry of a body without "time"
 * hashes the same at any clock: callers comparing retries use s->hash, and
 * submission_hash(s) equals s->hash only when s->time and s->interval are
 * set to the given values (0 when absent).  It is a fingerprint compared
 * for equality (a retry under the same source and id), kept in the journal
 * and compared again after a restart, never a table index: so it is not
 * keyed, and a collision can only make a reporter's own reused id pass for
 * a retry of its own earlier submission.
 */
uint64_t submission_hash(const struct submission *s, unsigned ncategories);

#endif
