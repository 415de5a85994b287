/*
 * store.h -- the RRD files of a data directory: creating, updating, finding.
 *
 * Every librrd call in the process goes through rrd/ and holds the store
 * lock (librrd is not thread-safe everywhere, and its fcntl locks do not
 * exclude threads of one process).  Lock order: the store lock is a leaf;
 * take no other lock while holding it.
 */
#ifndef ST_STORE_H
#define ST_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "../lib/limits.h"

struct store;

/*
 * The data source every file holds besides the categories: the seconds of
 * each step that reports covered, stored as a rate (seconds per second), so
 * 1 means the whole step was reported and 0 that nothing was; in _total it
 * adds up over the sources.  Files made before it existed lack it until
 * their next write adds it.
 */
#define STORE_COVERAGE_DS "_cov"

struct store_settings {
	const char *data_dir;
	unsigned    step; /* seconds; fixed when a file is created */
	const char (*categories)[ST_CATEGORY_MAX + 1];
	unsigned    ncategories;
	const char *rrdcached; /* "unix:/path" or "host:port", or NULL */
	int	    holes;  /* leave unwritten rows as holes (reserve_disk 0) */
	int	    shared; /* other collectors write this directory too */
};

/*
 * Open the store on an existing, writable data directory.  Returns NULL with
 * err filled.  The settings' strings are copied.
 */
struct store *store_create(
    const struct store_settings *s, char *err, size_t errlen);
void store_free(struct store *st);

/* One step of counts for one file. */
struct store_point {
	int64_t	 step; /* label: the end of [step - step_seconds, step) */
	uint64_t counts[ST_MAX_CATEGORIES]; /* by category index */
	uint64_t cover; /* seconds of the step that reports covered */
};

/* What the store knows of one file. */
struct store_file {
	int	 exists;
	int64_t	 last; /* its last update (0 when it does not exist) */
	uint64_t inode;
	uint64_t gen; /* grows with every patch (rrdfile_generation) */
};

/*
 * Look up name's file (<data-dir>/<name>.rrd): learn its last update, move a
 * corrupt or foreign file aside, and bring a file of the older layout (no
 * coverage data source, a heartbeat of two steps) up to date.  name must
 * already be validated (source_is_valid_name).  Returns 0 with *out filled,
 * or -1 with err filled (a symlink or another non-file in the way, an I/O
 * error).  Takes the store lock.
 */
int store_info(struct store *st, const char *name, struct store_file *out,
    char *err, size_t errlen);

/*
 * Append points (increasing steps, each after the file's last update) to
 * name's file, creating it when needed.  A gap before a point is written as
 * zeros with zero coverage, never left unknown nor interpolated, so every
 * coarse row sums exactly what its steps hold; a new file starts with such
 * zeros over the span of the finest archive, so that late counts always
 * find known rows to add to.  Returns 0, or -1 with err filled (nothing of
 * a refused update is written).  Takes the store lock.
 */
int store_update(struct store *st, const char *name,
    const struct store_point *pts, size_t n, char *err, size_t errlen);

/*
 * Add points whose steps are at or before the file's last update (late
 * counts) to name's file, in every archive (rrd/rrdfile.c).  The file is
 * replaced as a whole (a patched copy is synced and renamed over it), so
 * after a crash it holds all of these points or none, and its generation
 * (one more than before) tells which.  *inexact is set when a row of an older file could not be made
 * exact.  Returns 0, or -1 with err filled (the file is unchanged).  Takes
 * the store lock.
 */
int store_patch(struct store *st, const char *name,
    const struct store_point *pts, size_t n, int *inexact, char *err,
    size_t errlen);

/*
 * Write one step: store_update when it is after the last update (returns
 * 0), nothing when it is not (returns 1), -1 with err on failure.  For
 * history import and tests.
 */
int store_write(struct store *st, const char *name, int64_t step_end,
    const uint64_t *counts, uint64_t cover, char *err, size_t errlen);

/*
 * The last update time of name's file into *last (0 if no file); for
 * "_total", the latest of the partial totals.  Takes the lock.
 */
int store_last(struct store *st, const char *name, int64_t *last);

/*
 * The files a series is read from, summed: name's own file, or for
 * "_total" every partial total of the data directory ("_total.rrd" and the
 * "_total.<id>.rrd" of collectors that share it), sorted.  Up to max
 * names into names[]; returns how many (0: none yet).  The list is looked
 * up in the directory at most every few seconds.  Takes the lock.
 */
#define STORE_MAX_PARTS 64
size_t store_parts(struct store *st, const char *name,
    char (*names)[ST_SOURCE_MAX + 1], size_t	 max);

/* 1 when name's file has the coverage data source.  Takes the lock. */
int store_has_coverage(struct store *st, const char *name);

/*
 * Make everything written so far durable on disk (and flushed out of
 * rrdcached when one is used).  Takes the lock.
 */
int store_sync(struct store *st, char *err, size_t errlen);

/* The store lock, for the other rrd/ modules only; taken in turn (FIFO). */
void store_lock(struct store *st);
void store_unlock(struct store *st);

/* The archives every file holds: consolidation in steps and row count. */
#define STORE_ARCHIVES 4
struct store_archive {
	unsigned pdp; /* steps per row */
	unsigned rows;
	unsigned resolution; /* seconds per row: pdp * step */
	int64_t	 retention;  /* seconds: rows * resolution */
};

/*
 * Fill out with the archive layout for step (pure; no lock).  Returns the
 * number of archives (at most STORE_ARCHIVES), finest first; coarser ones
 * that would repeat a finer resolution are left out.
 */
unsigned store_layout(unsigned step, struct store_archive *out);

/* The configured step and categories (valid as long as the store). */
unsigned store_step(const struct store *st);
const char (*store_categories(
    const struct store *st, unsigned *n))[ST_CATEGORY_MAX + 1];

/*
 * Build <data-dir>/<source>.rrd into buf.  Returns 0, or -1 when the name is
 * not valid or too long.  No lock.
 */
int store_path(
    const struct store *st, const char *source, char *buf, size_t len);

/*
 * With the store lock held: check that source's file may be read (a regular
 * file, not a symlink) and flush it out of rrdcached.  Returns 1 when it is
 * there, 0 when there is no file, -1 when the path is not a regular file.
 */
int store_prepare_read_locked(struct store *st, const char *path);

/*
 * The sources that have files, sorted, without "_total": a malloc'd array of
 * malloc'd names in *names (free with store_names_free).  Names that do not
 * pass source_is_valid_name are skipped.  No lock (reads the directory only).
 */
int  store_list_sources(struct store *st, char ***names, size_t *n);
void store_names_free(char **names, size_t n);

#endif
