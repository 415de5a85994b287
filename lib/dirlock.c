/*
 * dirlock.c -- taking and giving back the data directory's lock.
 *
 * Owns the lock file's name and the way it is opened.  It does not decide
 * what a second writer should do: callers word the refusal.
 */
#include "dirlock.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* Create dir if needed and lock it; the descriptor, or -1 with e filled. */
int
dirlock_take(const char *dir, struct st_error *e)
{
	char path[PATH_MAX];
	int  fd;

	if (mkdir(dir, 0750) == -1 && errno != EEXIST)
		return err_set(e, ERR_INTERNAL, "data_dir", "data_dir",
		    "%s: %s", dir, strerror(errno));
	if ((size_t)snprintf(path, sizeof(path), "%s/.lock", dir) >=
	    sizeof(path))
		return err_set(e, ERR_INTERNAL, "data_dir", "data_dir",
		    "%s: the path is too long", dir);
	if ((fd = open(
		 path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) == -1)
		return err_set(e, ERR_INTERNAL, "data_dir", "data_dir",
		    "%s: %s", path, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		int busy = errno == EWOULDBLOCK;

		close(fd);
		if (busy)
			return err_set(e, ERR_CONFLICT, "data_dir_in_use",
			    "data_dir", "%s is in use by another spamtrendd",
			    dir);
		return err_set(e, ERR_INTERNAL, "data_dir", "data_dir",
		    "%s: %s", path, strerror(errno));
	}
	return fd;
}

/* Close the lock's descriptor. */
void
dirlock_release(int fd)
{
	if (fd != -1)
		close(fd);
}
