/*
 * sources.h -- what the collector knows of every source, in memory, so that
 * a hundred thousand of them can be listed, sorted and paged at once: the
 * first and last step written, and the messages of each of the last
 * SOURCES_HOURS clock hours per category.
 *
 * The writer (flush.c) records every point it writes, late ones too, and
 * in its idle time reads the files (sources_scan.c) to learn what they held
 * before this process, or what other collectors sharing the directory wrote
 * into them.  Sources are never removed.  Thread-safe: one internal lock,
 * a leaf.
 */
#ifndef ST_SOURCES_H
#define ST_SOURCES_H

#include <stddef.h>
#include <stdint.h>

#include "../lib/limits.h"

struct sources;
struct store_point;

#define SOURCES_HOURS 27 /* a day, the hour under way and two more */

/* One source as a listing sees it. */
struct source_row {
	const char *name;  /* the index's own copy, kept until sources_free */
	int64_t	    first; /* start of the first step with data, 0: not known */
	int64_t	    last;  /* last step written (its end) */
	uint64_t    sums[ST_MAX_CATEGORIES]; /* over the hours asked for */
	int	    complete; /* the hours asked for are all known */
};

/* An empty index for steps of step seconds. */
struct sources *sources_create(unsigned ncategories, unsigned step);
void		sources_free(struct sources *s);

/*
 * Points written to name's file (not _total); any steps, late ones too.
 * fresh: the file was made by this write, so nothing came before it.
 */
void sources_written(struct sources *s, const char *name,
    const struct store_point *pts, size_t n, int fresh);

/* A source known by its file's name only, until the file is read. */
void sources_add(struct sources *s, const char *name);

/*
 * What name's file holds now: the start of its first step with data
 * (export_first_seen), its last update,
 * and hourly sums (hours[i] ends at hour_end + i * 3600, counts by
 * category) of the nhours (at most SOURCES_HOURS) hours that end with the
 * one holding last.  They replace what the index had for name: the caller
 * reads the file on the writer's thread, so every write recorded before is
 * in it, and the hours from hour_end - 3600 on are complete.
 */
void sources_learn(struct sources *s, const char *name, int64_t first,
    int64_t last, int64_t hour_end, const uint64_t *hours, size_t nhours);

/*
 * How much the index knows (set by the scan): SOURCES_EMPTY at start-up,
 * SOURCES_NAMED once every file of the directory is named in it,
 * SOURCES_READY once every file has been read.
 */
enum sources_state { SOURCES_EMPTY, SOURCES_NAMED, SOURCES_READY };
void		   sources_set_state(struct sources *s, enum sources_state st);
enum sources_state sources_state(struct sources *s);

/*
 * The rows of every source whose name contains text ("" for all), with
 * sums over the clock hours in (start, end] (multiples of 3600 within the
 * last SOURCES_HOURS hours of the newest one known): a malloc'd array
 * in *out (free()) of *n rows, unsorted.  Returns 0, or -1 when the range
 * is not one the index holds (the caller then reads the files).  With
 * start and end both 0, the rows carry no sums (and none is complete).
 */
int sources_list(struct sources *s, const char *text, int64_t start,
    int64_t end, struct source_row **out, size_t *n);

/*
 * Whether the data directory changed since the last call that said so:
 * mtime is its modification time (nanoseconds); the first call says yes.
 */
int sources_dir_changed(struct sources *s, int64_t mtime);

/* Sources in the index. */
size_t sources_count(struct sources *s);
/* Files read into it (sources_learn calls) since start. */
uint64_t sources_files_read(struct sources *s);

#endif
