/*
 * dirlock.h -- the data directory's lock: one writer at a time, be it the
 * daemon or `spamtrendd import`.
 *
 * The lock is flock(2) on <dir>/.lock, held for as long as the descriptor
 * is open, and released by the kernel however the process ends.  Several
 * collectors may share a directory (collector_id): each holds .lock shared
 * and its own .lock.<id> exclusively.
 */
#ifndef ST_DIRLOCK_H
#define ST_DIRLOCK_H

#include "error.h"

/*
 * The locks a process holds: <dir>/.lock, and for one collector among
 * several that share the directory, <dir>/.lock.<id>.
 */
struct dirlock {
	int fd;	  /* .lock: exclusive, or shared by the collectors */
	int idfd; /* .lock.<id>, or -1 */
};

/*
 * Create dir (mode 0750) when it does not exist, and take its lock without
 * waiting: exclusively when id is NULL or "" (a collector alone, or
 * `spamtrendd import`), else shared with the other collectors, plus the
 * collector's own lock, exclusively.  Returns 0 with l filled, or -1 with
 * e filled: ERR_CONFLICT "data_dir_in_use" when another process holds what
 * is needed, ERR_INTERNAL "data_dir" when the directory or a lock file
 * cannot be made or opened (a lock file is never followed through a
 * symbolic link).
 */
int dirlock_take(
    const char *dir, const char *id, struct dirlock *l, struct st_error *e);

/* Give the locks back (a struct dirlock of -1s is ignored). */
void dirlock_release(struct dirlock *l);

#endif
