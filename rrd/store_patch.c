/*
 * store_patch.c -- adding late counts to rows a file already holds.
 *
 * A patch never edits a file in place: the whole image is read, the late
 * counts are added (rrdfile_patch), its patch generation in the header is
 * raised by one, and the copy is written to .patch.<pid>.tmp (blocks of
 * zeros reserved, not written), synced, renamed over the file and the
 * directory synced.  After a crash a file holds all of a patch or none of
 * it, and its generation tells which (replay.c reads it).  The temporary
 * name is per process, since collectors sharing a data directory may patch
 * at once.  Two collectors never patch one file at once: each patch holds a
 * lock on one byte of .patch.lock chosen by the file's name.  Another
 * process may still write the file during a patch (rrdcached, or another
 * collector appending): the old file is read again after the rename, and
 * when it changed meanwhile the patch is made again from what it now
 * holds; once a patched copy is in place the counts are in.
 *
 * Part of the store (store_int.h joins it to store.c and store_file.c).
 */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/fault.h"
#include "../lib/log.h"
#include "../lib/siphash.h"
#include "rrdfile.h"
#include "store_int.h"

#define STORE_PATCH_LOCK    ".patch.lock" /* one byte per stripe of names */
#define STORE_PATCH_STRIPES 4096

/*
 * Open the lock file of patches at the first patch (so that a directory
 * that is never patched, such as that of an import, gets none); -1 in
 * st->patch_fd, logged once, when it cannot be.
 */
static void
store_file_open_lock(struct store *st)
{
	char path[PATH_MAX + 32];

	st->patch_tried = 1;
	snprintf(path, sizeof(path), "%s/" STORE_PATCH_LOCK, st->data_dir);
	if ((st->patch_fd = open(
		 path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640)) == -1)
		log_warn("%s: %s; patches are not locked against other "
			 "collectors",
		    path, strerror(errno));
}

/*
 * Take (F_WRLCK) or give back (F_UNLCK) name's patch lock: one byte of
 * STORE_PATCH_LOCK chosen by a hash of the name, so that two collectors
 * sharing the data directory never patch one file at once (the later would
 * build on the copy the earlier replaced, and undo its counts).  fcntl
 * locks are per process; the store lock orders the threads of this one.
 */
static void
store_file_patch_lock(struct store *st, const char *name, short type)
{
	static const uint8_t key[SIPHASH_KEY_LEN]; /* every collector's */
	struct flock	     fl;

	if (st->patch_fd == -1 && !st->patch_tried)
		store_file_open_lock(st);
	if (st->patch_fd == -1)
		return;
	memset(&fl, 0, sizeof(fl));
	fl.l_type = type;
	fl.l_whence = SEEK_SET;
	fl.l_start =
	    (off_t)(siphash24(key, name, strlen(name)) % STORE_PATCH_STRIPES);
	fl.l_len = 1;
	while (fcntl(st->patch_fd, F_SETLKW, &fl) == -1 && errno == EINTR)
		;
}

/*
 * 1 when the file behind fd no longer holds orig[0..len): another process
 * (a second collector's rrdcached) wrote it while it was being patched.
 */
static int
store_file_changed(int fd, const unsigned char *orig, size_t len)
{
	unsigned char *now;
	size_t	       n;
	char	       err[64];
	int	       changed;

	if ((now = store_file_read(fd, "", &n, err, sizeof(err))) == NULL)
		return 1;
	changed = n != len || memcmp(now, orig, len) != 0;
	free(now);
	return changed;
}

/*
 * Write img to a temporary file beside path, sync it and rename it over
 * path, then sync the directory: the file is replaced whole or not at all.
 */
static int
store_file_replace(struct store *st, const char *path, const unsigned char *img,
    size_t len, char *err, size_t errlen)
{
	char tmp[PATH_MAX + 32];
	int  dfd, saved;

	if (store_file_write_tmp(st, img, len, len, 1, tmp, sizeof(tmp)) == -1)
		goto fail;
	if (rename(tmp, path) == -1)
		goto fail_unlink;
	if ((dfd = open(st->data_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) !=
	    -1) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
fail_unlink:
	saved = errno;
	unlink(tmp);
	errno = saved;
fail:
	snprintf(err, errlen, "patch %s: %s", path, strerror(errno));
	return -1;
}

/* Add points to the image img of a file; -1 with err on failure. */
static int
store_file_patch_image(struct store *st, unsigned char *img, size_t len,
    const struct store_point *pts, size_t n, int *inexact, char *err,
    size_t errlen)
{
	struct rrdfile_layout l;
	double		      delta[RRDFILE_MAX_DS];
	int		      col[ST_MAX_CATEGORIES + 1], cov, bad;
	size_t		      i;
	unsigned	      c;

	if (rrdfile_parse(img, len, &l, err, errlen) == -1)
		return -1;
	for (c = 0; c < st->ncategories; c++)
		col[c] = rrdfile_ds_index(&l, st->categories[c]);
	cov = rrdfile_ds_index(&l, STORE_COVERAGE_DS);
	for (i = 0; i < n; i++) {
		memset(delta, 0, sizeof(delta));
		for (c = 0; c < st->ncategories; c++)
			if (col[c] >= 0)
				delta[col[c]] =
				    (double)pts[i].counts[c] / (double)st->step;
		if (cov >= 0)
			delta[cov] = (double)pts[i].cover / (double)st->step;
		if (rrdfile_patch(
			img, &l, pts[i].step, delta, &bad, err, errlen) == -1)
			return -1;
		*inexact |= bad;
	}
	return 0;
}

/*
 * Add late points to a file; see store.h.  With rrdcached, another
 * collector sharing the data directory may write the same file: the old
 * file is read again after the rename, and when something wrote it in the
 * meantime the patch is made again from what it now holds.
 */
int
store_patch(struct store *st, const char *name, const struct store_point *pts,
    size_t n, int *inexact, char *err, size_t errlen)
{
	struct store_entry *e;
	unsigned char	   *orig = NULL, *img = NULL;
	char		    path[PATH_MAX];
	size_t		    len = 0;
	uint64_t	    gen = 0;
	int		    fd = -1, rc = -1, attempt, locked = 0;

	*inexact = 0;
	if (store_path(st, name, path, sizeof(path)) == -1) {
		snprintf(err, errlen, "refusing file name for '%s'", name);
		return -1;
	}
	store_lock(st);
	if ((e = store_learn(st, name, path, err, errlen)) == NULL)
		goto done;
	if (e->inode == 0) {
		snprintf(
		    err, errlen, "%s: no file to add late counts to", path);
		goto done;
	}
	if ((errno = fault_at("store_write", name)) != 0) {
		snprintf(err, errlen, "patch %s: %s", path, strerror(errno));
		goto done;
	}
	if (store_rrdcached_same(st, err, errlen) == -1)
		goto done;
	store_file_patch_lock(st, name, F_WRLCK);
	locked = 1;
	if (store_flush_locked(st, path) == -1) {
		snprintf(err, errlen, "%s: rrdcached could not flush it", path);
		goto done;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto done;
	}
	/*
	 * Once a patched copy is in place the counts are in the file: a later
	 * try (to keep an update another process wrote into the old file
	 * meanwhile) that fails must not report failure, or the caller would
	 * add the same counts again.
	 */
	for (attempt = 0;; attempt++) {
		free(orig);
		free(img);
		img = NULL;
		if ((orig = store_file_read(fd, path, &len, err, errlen)) ==
		    NULL)
			goto retried;
		if ((img = malloc(len + 1)) == NULL)
			abort();
		memcpy(img, orig, len);
		*inexact = 0;
		gen = rrdfile_generation(orig, len) + 1;
		rrdfile_set_generation(img, gen);
		if (store_file_patch_image(
			st, img, len, pts, n, inexact, err, errlen) == -1 ||
		    store_file_replace(st, path, img, len, err, errlen) == -1)
			goto retried;
		/*
		 * Another process may write the file: rrdcached, or another
		 * collector sharing the directory (with or without rrdcached).
		 */
		if (st->rrdcached == NULL && !st->shared)
			break; /* this process is the only writer */
		usleep(2000);  /* a write begun before the rename ends */
		if (!store_file_changed(fd, orig, len))
			break;
		if (attempt == 3) {
			snprintf(err, errlen,
			    "written by another process during every try");
			goto retried;
		}
	}
	goto patched;
retried:
	if (attempt == 0)
		goto done; /* nothing was replaced: the file is unchanged */
	log_warn("%s: the late counts are in, but an update another process "
		 "wrote while they were added may be missing: %s",
	    path, err);
	/* gen: every try makes the old file's generation plus one. */
patched:
	store_check_path(path, &e->inode, err, errlen);
	e->gen = gen;
	rc = 0;
done:
	if (locked)
		store_file_patch_lock(st, name, F_UNLCK);
	store_unlock(st);
	if (fd != -1)
		close(fd);
	free(orig);
	free(img);
	return rc;
}
