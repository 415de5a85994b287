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

/* Open dir/name and flock it with op; the descriptor or -1 with e filled. */
static int
dirlock_one(const char *dir, const char *name, int op, struct st_error *e)
{
	char path[PATH_MAX];
	int  fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    sizeof(path))
		return err_set(e, ERR_INTERNAL, "data_dir", "data_dir",
		    "%s: the path is too long", dir);
	if ((fd = open(
		 path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) == -1)
		return err_set(e, ERR_INTERNAL, "data_dir", "data_dir",
		    "%s: %s", path, strerror(errno));
	if (flock(fd, op | LOCK_NB) == -1) {
		int busy = errno == EWOULDBLOCK;

		close(fd);
		if (busy)
			return err_set(e, ERR_CONFLICT, "data_dir_in_use",
			    "data_dir", "%s is in use by another spamtrendd%s",
			    dir, op == LOCK_SH ? " that runs alone there" : "");
		return err_set(e, ERR_INTERNAL, "data_dir", "data_dir",
		    "%s: %s", path, strerror(errno));
	}
	return fd;
}

/* Create dir if needed and take its locks. */
int
dirlock_take(
    const char *dir, const char *id, struct dirlock *l, struct st_error *e)
{
	char name[64];

	l->fd = l->idfd = -1;
	if (mkdir(dir, 0750) == -1 && errno != EEXIST)
		return err_set(e, ERR_INTERNAL, "data_dir", "data_dir",
		    "%s: %s", dir, strerror(errno));
	if (id == NULL || *id == '\0')
		return (l->fd = dirlock_one(dir, ".lock", LOCK_EX, e)) == -1
		    ? -1
		    : 0;
	if ((l->fd = dirlock_one(dir, ".lock", LOCK_SH, e)) == -1)
		return -1;
	snprintf(name, sizeof(name), ".lock.%s", id);
	if ((l->idfd = dirlock_one(dir, name, LOCK_EX, e)) == -1) {
		dirlock_release(l);
		return -1;
	}
	return 0;
}

/* Close the locks' descriptors. */
void
dirlock_release(struct dirlock *l)
{
	if (l->fd != -1)
		close(l->fd);
	if (l->idfd != -1)
		close(l->idfd);
	l->fd = l->idfd = -1;
}
