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

struct store_settings {
	const char *data_dir;
	unsigned    step; /* seconds; fixed when a file is created */
	const char (*categories)[ST_CATEGORY_MAX + 1];
	unsigned    ncategories;
	const char *rrdcached; /* "unix:/path" or "host:port", or NULL */
};

/*
 * Open the store on an existing, writable data directory.  Returns NULL with
 * err filled.  The settings' strings are copied.
 */
struct store *store_create(
    const struct store_settings *s, char *err, size_t errlen);
void store_free(struct store *st);

/*
 * Write one step of counts (messages in [step_end - step, step_end), by
 * category index) to <data-dir>/<source>.rrd, creating the file if needed.
 * A step at or before the file's last update is skipped (returns 1): this is
 * what makes journal replay idempotent.  A gap since the last update is
 * written as unknown, never interpolated.  A corrupt or foreign file is moved
 * aside to <source>.rrd.corrupt and recreated.  source must already be
 * validated (source_is_valid_name).  Returns 0 written, 1 skipped, -1 error.
 * Takes the store lock.
 */
int store_write(struct store *st, const char *source, int64_t step_end,
    const uint64_t *counts, char *err, size_t errlen);

/* The last update time of source's file into *last (0 if no file). Takes the lock. */
int store_last(struct store *st, const char *source, int64_t *last);

/*
 * Make everything written so far durable on disk (and flushed out of
 * rrdcached when one is used).  Takes the lock.
 */
int store_sync(struct store *st, char *err, size_t errlen);

/* The store lock, for the other rrd/ modules only. */
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
