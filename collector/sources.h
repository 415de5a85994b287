/*
 * sources.h -- what the collector knows of every source, in memory, so that
 * a hundred thousand of them can be listed, sorted and paged at once: the
 * first and last step written, and the messages of each of the last
 * SOURCES_HOURS clock hours per category.
 *
 * The writer (flush.c) records every point it writes, late ones too; at
 * start-up the files are read once, in the background, to learn what they
 * held before.  Thread-safe: one internal lock, a leaf.
 */
#ifndef ST_SOURCES_H
#define ST_SOURCES_H

#include <stddef.h>
#include <stdint.h>

#include "../lib/limits.h"

struct sources;
struct store_point;

#define SOURCES_HOURS 26 /* a day, the hour under way and one more */

/* One source as a listing sees it. */
struct source_row {
	char	 name[ST_SOURCE_MAX + 1];
	int64_t	 first; /* first step with data, 0 when not known yet */
	int64_t	 last;	/* last step written */
	uint64_t sums[ST_MAX_CATEGORIES]; /* over the hours asked for */
	int	 complete; /* the hours asked for are all known */
};

struct sources *sources_create(unsigned ncategories);
void		sources_free(struct sources *s);

/*
 * Points written to name's file (not _total); any steps, late ones too.
 * fresh: the file was made by this write, so nothing came before it.
 */
void sources_written(struct sources *s, const char *name,
    const struct store_point *pts, size_t n, int fresh);

/*
 * What name's file held before this process: its first step with data,
 * its last update, and hourly sums (hours[i] ends at hour_end + i * 3600,
 * counts by category) for the hours the file holds.  Hours recorded since
 * (sources_written) are added to, not replaced.
 */
void sources_learn(struct sources *s, const char *name, int64_t first,
    int64_t last, int64_t hour_end, const uint64_t *hours, size_t nhours);

/*
 * The rows of every source whose name contains text ("" for all), with
 * sums over the clock hours in (start, end] (multiples of 3600 within the
 * last SOURCES_HOURS - 1 hours of the newest one known): a malloc'd array
 * in *out (free()) of *n rows, unsorted.  Returns 0, or -1 when the range
 * is not one the index holds (the caller then reads the files).
 */
int sources_list(struct sources *s, const char *text, int64_t start,
    int64_t end, struct source_row **out, size_t *n);

/* Sources in the index. */
size_t sources_count(struct sources *s);

#endif
