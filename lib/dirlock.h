/*
 * dirlock.h -- the data directory's lock: one writer at a time, be it the
 * daemon or `spamtrendd import`.
 *
 * The lock is flock(2) on <dir>/.lock, held for as long as the descriptor
 * is open, and released by the kernel however the process ends.
 */
#ifndef ST_DIRLOCK_H
#define ST_DIRLOCK_H

#include "error.h"

/*
 * Create dir (mode 0750) when it does not exist, and take its lock without
 * waiting.  Returns the descriptor that holds the lock, or -1 with e
 * filled: ERR_CONFLICT "data_dir_in_use" when another process holds it,
 * ERR_INTERNAL "data_dir" when the directory or the lock file cannot be
 * made or opened (the lock file is never followed through a symbolic link).
 */
int dirlock_take(const char *dir, struct st_error *e);

/* Give the lock back (fd from dirlock_take; -1 is ignored). */
void dirlock_release(int fd);

#endif
