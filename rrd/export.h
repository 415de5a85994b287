/*
 * export.h -- reading a source's stored series back as exact counts.
 *
 * The rows come from rrd_fetch (AVERAGE) under the store lock, after the
 * file has been flushed out of rrdcached.  Values are turned back from rates
 * into whole counts per row; an unknown row stays unknown.
 */
#ifndef ST_EXPORT_H
#define ST_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include "../lib/error.h"
#include "../lib/limits.h"

struct store;

#define SERIES_UNKNOWN INT64_MIN

/*
 * A fetched series: row i is labelled first + i * step (the end of its
 * span).  A row's counts are exactly what was submitted for its span; a row
 * nothing was reported for is unknown.  coverage[i] is the seconds of the
 * row that reports covered, per second: 0..1 for a source (more when two
 * reporters cover the same time), the number of reporting sources for
 * _total; NAN for rows of files older than the coverage data source.
 */
struct series {
	char	 source[ST_SOURCE_MAX + 1];
	int64_t	 first; /* label of row 0 */
	unsigned step;	/* seconds per row */
	size_t	 nrows;
	unsigned ncat;
	char	 names[ST_MAX_CATEGORIES][ST_CATEGORY_MAX + 1];
	int64_t *counts;	   /* nrows * ncat, SERIES_UNKNOWN if unknown */
	double	*coverage;	   /* nrows */
	int64_t	 complete_through; /* rows labelled later are still filling */
};

/*
 * Fetch source's rows in (start, end] at resolution (seconds; librrd may
 * give a coarser one when the fine archive does not reach back) for the
 * categories cats (indices into the store's categories).  start and end are
 * widened to whole rows.  The coarse row still being consolidated is summed
 * from the finest archive, so every row is exact up to the file's last
 * update.  With missing = 1, a source without a file gives an all-unknown
 * series instead of an error.  Returns 0, or -1 with e filled (not found,
 * internal).  Free with series_free.  Takes the lock.
 */
int export_fetch(struct store *st, const char *source, int64_t start,
    int64_t end, unsigned resolution, const unsigned *cats, unsigned ncats,
    int missing, struct series *out, struct st_error *e);

/* Free the rows of s (s itself is the caller's). */
void series_free(struct series *s);

/* Sum the known counts of column c into *sum; returns the number known. */
size_t series_total(const struct series *s, unsigned c, int64_t *sum);

/*
 * The first row with data of source (searching the archives from fine to
 * coarse) into *first; 0 when the file holds no data.  Takes the lock.
 */
int export_first_seen(struct store *st, const char *source, int64_t *first);

#endif
