/*
 * drops.h -- sustained falls and rises in a source's stored series: the
 * hourly counts fetched through the store, run through collector/detect.
 */
#ifndef ST_DROPS_H
#define ST_DROPS_H

#include <stddef.h>
#include <stdint.h>

#include "detect.h"
#include "../lib/error.h"
#include "../lib/limits.h"

struct store;
struct csv_buf;

/* One finding, named by source and category. */
struct drop {
	char		      source[ST_SOURCE_MAX + 1];
	char		      category[ST_CATEGORY_MAX + 1];
	struct detect_finding f;
};

/*
 * Find the shifts of source (a validated name or "_total") in each of the
 * categories cats (indices into the store's categories) that overlap
 * [start, end): a finding lasts from its start to its end, or to now while
 * ongoing.  The whole hourly archive is read, up to the latest data,
 * whatever the range: each finding's numbers are the same for every range
 * that holds it.  p may be NULL for the defaults.  *out is a malloc'd
 * array of *n findings sorted by start (NULL when none; the caller frees
 * it).  A source without a file has no findings ("_total") or is a 404.
 * Returns 0, or -1 with e filled.  Takes the store lock while librrd runs.
 */
int drops_find(struct store *st, const char *source, const unsigned *cats,
    unsigned ncats, int64_t start, int64_t end, const struct detect_params *p,
    struct drop **out, size_t *n, struct st_error *e);

/*
 * Append the fields of d to b as the members of one JSON object (without
 * the braces): source, category, kind, state, start, confirmed, end,
 * return (each with an _iso8601 twin, null when none), baseline, level,
 * change_pct, recovered_pct, threshold_pct (null when not numbers).  The
 * one form of a finding: /api/v1/drops and notifications both use it.
 */
void drops_json(struct csv_buf *b, const struct drop *d);

#endif
