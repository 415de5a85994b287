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

#include "../collector/limits.h"

struct store;

struct store_settings {
	const char	*data_dir;
	unsigned	 step;		/* seconds; fixed when a file is created */
	const char	(*categories)[ST_CATEGORY_MAX + 1];
	unsigned	 ncategories;
	const char	*rrdcached;	/* "unix:/path" or "host:port", or NULL */
};

/*
 * Open the store on an existing, writable data directory.  Returns NULL with
 * err filled.  The settings' strings are copied.
 */
struct store	*store_create(const struct store_settings *s, char *err, size_t errlen);
void		 store_free(struct store *st);

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
int	 store_write(struct store *st, const char *source, int64_t step_end,
	    const uint64_t *counts, char *err, size_t errlen);

/* The last update time of source's file into *last (0 if no file). Takes the lock. */
int	 store_last(struct store *st, const char *source, int64_t *last);

/*
 * Make everything written so far durable on disk (and flushed out of
 * rrdcached when one is used).  Takes the lock.
 */
int	 store_sync(struct store *st, char *err, size_t errlen);

/* The store lock, for the other rrd/ modules only. */
void	 store_lock(struct store *st);
void	 store_unlock(struct store *st);

#endif
