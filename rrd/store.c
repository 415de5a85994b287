/*
 * store.c -- the RRD files of a data directory: one per source and one for
 * _total, appended to once per step and written through rrdcached when one
 * is configured.
 *
 * Owns the store lock (every librrd call in the process holds it), the
 * in-memory table of what is known of each file (its last update, inode,
 * patch generation), learning a file when it is first used or was replaced,
 * and appending steps.  Making whole files -- creating them, moving corrupt
 * ones aside, migrating older layouts -- is store_file.c's; patching late
 * counts in is store_patch.c's; flushing rrdcached and syncing is
 * store_sync.c's (store_int.h joins the four).  It does not aggregate counts (the ingest
 * side does), does not decide what is late (flush.c does), nor read series
 * back (export.c and render.c do, under this lock).
 *
 * Exactness.  Every data source is a GAUGE of rates (count / step) with a
 * heartbeat of ten years, and a gap is written as zeros with zero coverage,
 * so every primary point is known and an AVERAGE row of any archive times
 * its length is exactly the sum of its steps; coverage (STORE_COVERAGE_DS)
 * keeps "nothing was reported" apart from "zero was reported".
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* sync_file_range */
#endif

#include "store.h"

#include <rrd.h>
#include <rrd_client.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../lib/clock.h"
#include "../lib/fault.h"
#include "../lib/log.h"
#include "../lib/source.h"
#include "../lib/strmap.h"
#include "store_int.h"

/* The entry of name, created (unknown: last 0, inode 0) when missing. */
static struct store_entry *
store_entry(struct store *st, const char *name)
{
	struct store_entry *e = strmap_get(st->files, name);

	if (e == NULL) {
		if ((e = calloc(1, sizeof(*e))) == NULL)
			abort();
		strmap_put(st->files, name, e);
	}
	return e;
}

/* Open the store on data_dir; connects to rrdcached when one is named. */
struct store *
store_create(const struct store_settings *s, char *err, size_t errlen)
{
	struct store *st;
	char	      real[PATH_MAX];
	struct stat   sb;
	unsigned      i;

	if (s->step == 0 || s->ncategories == 0 ||
	    s->ncategories > ST_MAX_CATEGORIES) {
		snprintf(err, errlen, "store: bad step or categories");
		return NULL;
	}
	if (realpath(s->data_dir, real) == NULL || stat(real, &sb) == -1) {
		snprintf(err, errlen, "data directory %s: %s", s->data_dir,
		    strerror(errno));
		return NULL;
	}
	if (!S_ISDIR(sb.st_mode) || access(real, W_OK | X_OK) == -1) {
		snprintf(err, errlen,
		    "data directory %s: not a writable directory", s->data_dir);
		return NULL;
	}
	if ((st = calloc(1, sizeof(*st))) == NULL ||
	    (st->data_dir = strdup(real)) == NULL)
		abort();
	pthread_mutex_init(&st->lock, NULL);
	pthread_cond_init(&st->turn, NULL);
	st->patch_fd = -1;
	st->step = s->step;
	st->holes = s->holes;
	st->shared = s->shared;
	st->ncategories = s->ncategories;
	for (i = 0; i < s->ncategories; i++)
		snprintf(st->categories[i], sizeof(st->categories[i]), "%s",
		    s->categories[i]);
	st->files = strmap_create();
	store_file_clean_tmp(st);
	if (s->rrdcached != NULL && *s->rrdcached != '\0') {
		if ((st->rrdcached = strdup(s->rrdcached)) == NULL)
			abort();
		rrd_clear_error();
		if (rrdc_connect(st->rrdcached) != 0) {
			snprintf(err, errlen, "rrdcached %s: %s", st->rrdcached,
			    rrd_get_error());
			store_free(st);
			return NULL;
		}
		store_rrdcached_same(st, err, errlen); /* its socket now */
	}
	if (store_file_check_layout(st, err, errlen) == -1) {
		store_free(st);
		return NULL;
	}
	return st;
}

/* Sweep callback freeing one entry. */
static int
store_free_entry(void *arg, const char *name, void *value)
{
	free(value);
	return 1;
}

/* Free the store; disconnects from rrdcached. */
void
store_free(struct store *st)
{
	if (st == NULL)
		return;
	if (st->rrdcached != NULL) {
		if (st->files != NULL)
			store_flush_dirty(st, 0);
		rrdc_disconnect();
	}
	if (st->files != NULL) {
		strmap_sweep(st->files, store_free_entry, NULL);
		strmap_free(st->files);
	}
	if (st->patch_fd != -1)
		close(st->patch_fd);
	free(st->data_dir);
	free(st->rrdcached);
	free(st->tmpl);
	pthread_mutex_destroy(&st->lock);
	pthread_cond_destroy(&st->turn);
	free(st);
}

/* Take the store lock. */
void
store_lock(struct store *st)
{
	uint64_t me;

	pthread_mutex_lock(&st->lock);
	me = st->tickets++;
	while (me != st->serving)
		pthread_cond_wait(&st->turn, &st->lock);
	pthread_mutex_unlock(&st->lock);
}

/* Release the store lock. */
void
store_unlock(struct store *st)
{
	pthread_mutex_lock(&st->lock);
	st->serving++;
	pthread_cond_broadcast(&st->turn);
	pthread_mutex_unlock(&st->lock);
}

/* The step files are created with. */
unsigned
store_step(const struct store *st)
{
	return st->step;
}

/* The configured categories, in DS order. */
const char (
    *store_categories(const struct store *st, unsigned *n))[ST_CATEGORY_MAX + 1]
{
	*n = st->ncategories;
	return st->categories;
}

/* Build the file path for a validated source name. */
int
store_path(const struct store *st, const char *source, char *buf, size_t len)
{
	int n;

	if (!source_is_valid_name(source))
		return -1;
	n = snprintf(buf, len, "%s/%s.rrd", st->data_dir, source);
	if (n < 0 || (size_t)n >= len)
		return -1;
	return 0;
}

/* lstat path: 1 regular file, 0 absent, -1 anything else (symlink, dir...). */
int
store_check_path(const char *path, uint64_t *inode, char *err, size_t errlen)
{
	struct stat sb;

	*inode = 0;
	if (lstat(path, &sb) == -1) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file%s", path,
		    S_ISLNK(sb.st_mode) ? " (a symlink)" : "");
		return -1;
	}
	*inode = (uint64_t)sb.st_ino;
	return 1;
}

/* Check a file may be read and flush it out of rrdcached; lock held. */
int
store_prepare_read_locked(struct store *st, const char *path)
{
	char	 err[256];
	uint64_t ino;
	int	 r;

	if ((r = store_check_path(path, &ino, err, sizeof(err))) == -1) {
		log_warn("%s", err);
		return -1;
	}
	if (r == 1)
		store_flush_locked(st, path);
	return r;
}

/*
 * Learn name's file: its last update and inode, moving a corrupt or
 * foreign file aside and migrating an older one.  Lock held.  Returns the
 * entry, or NULL with err filled.
 */
struct store_entry *
store_learn(struct store *st, const char *name, const char *path, char *err,
    size_t errlen)
{
	struct store_entry *e = store_entry(st, name);
	struct store_kind   k;
	char		    why[256];
	uint64_t	    ino;
	int		    r, tries;

	if ((r = store_check_path(path, &ino, err, errlen)) == -1)
		return NULL;
	if (r == 0) {
		e->last = 0;
		e->inode = 0;
		e->dirty = 0; /* gone: nothing of it is left to flush */
		return e;
	}
	if (e->inode == ino && e->last > 0)
		return e; /* known, and nobody replaced it */
	store_flush_locked(st, path);
	for (tries = 0;
	     (r = store_file_inspect(st, path, &k, why, sizeof(why))) == -1 &&
	     store_file_intact(path);
	     tries++) {
		/* librrd refused it: another process holds it for a moment. */
		if (tries == 10) {
			snprintf(err, errlen, "%s: %s", path, why);
			return NULL;
		}
		usleep(2000);
	}
	if (r == -1 || !k.ours) {
		if (store_file_move_aside(path, why, err, errlen) == -1)
			return NULL;
		/* What rrdcached still holds for it is for that file. */
		if (st->rrdcached != NULL) {
			rrd_clear_error();
			rrdc_forget(path);
			rrd_clear_error();
		}
		e->last = 0;
		e->inode = 0;
		e->dirty = 0; /* nothing of it is left to flush */
		return e;
	}
	if (!k.has_cover || k.short_heart) {
		if (store_file_migrate(st, path, &k, err, errlen) == -1)
			return NULL;
		if (store_check_path(path, &ino, err, errlen) != 1)
			return NULL;
	}
	/* A file made with holes (an older version) gets its blocks now. */
	if (!st->holes && store_file_fill_holes(st, path, err, errlen) == -1)
		return NULL;
	e->last = k.last;
	e->inode = ino;
	e->gen = store_file_generation(path);
	e->cover = 1; /* migrated above when it had none */
	return e;
}

/* Look up a file; see store.h. */
int
store_info(struct store *st, const char *name, struct store_file *out,
    char *err, size_t errlen)
{
	struct store_entry *e;
	char		    path[PATH_MAX];

	memset(out, 0, sizeof(*out));
	if (store_path(st, name, path, sizeof(path)) == -1) {
		snprintf(err, errlen, "refusing file name for '%s'", name);
		return -1;
	}
	store_lock(st);
	e = store_learn(st, name, path, err, errlen);
	if (e != NULL) {
		out->exists = e->inode != 0;
		out->last = e->last;
		out->inode = e->inode;
		out->gen = e->gen;
	}
	store_unlock(st);
	return e != NULL ? 0 : -1;
}

/* The last update of name's file (0 when there is none). */
int
store_last(struct store *st, const char *name, int64_t *last)
{
	char		  parts[STORE_MAX_PARTS][ST_SOURCE_MAX + 1];
	struct store_file f;
	char		  err[256];
	size_t		  n, i;

	*last = 0;
	n = store_parts(st, name, parts, STORE_MAX_PARTS);
	for (i = 0; i < n; i++) {
		if (store_info(st, parts[i], &f, err, sizeof(err)) == -1)
			return -1;
		if (f.last > *last)
			*last = f.last;
	}
	return 0;
}

/* Order names for qsort. */
static int
store_part_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Look the partial totals up in the directory; lock held. */
static void
store_look_parts(struct store *st)
{
	DIR	      *d;
	struct dirent *de;
	char	       name[ST_SOURCE_MAX + 1];
	size_t	       len;

	st->nparts = 0;
	st->parts_looked = clock_mono();
	if ((d = opendir(st->data_dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL && st->nparts < STORE_MAX_PARTS) {
		len = strlen(de->d_name);
		if (strncmp(de->d_name, ST_TOTAL_SOURCE, 6) != 0 || len <= 4 ||
		    len - 4 > ST_SOURCE_MAX ||
		    strcmp(de->d_name + len - 4, ".rrd") != 0)
			continue;
		memcpy(name, de->d_name, len - 4);
		name[len - 4] = '\0';
		if (source_is_total(name))
			snprintf(
			    st->parts[st->nparts++], sizeof(name), "%s", name);
	}
	closedir(d);
	qsort(st->parts, st->nparts, sizeof(st->parts[0]), store_part_cmp);
}

/* The files a series is read from. */
size_t
store_parts(struct store *st, const char    *name,
    char (*names)[ST_SOURCE_MAX + 1], size_t max)
{
	size_t n, i;

	if (strcmp(name, ST_TOTAL_SOURCE) != 0) {
		snprintf(names[0], ST_SOURCE_MAX + 1, "%s", name);
		return max > 0;
	}
	store_lock(st);
	if (st->nparts == 0 || clock_mono() - st->parts_looked >= 5)
		store_look_parts(st);
	n = st->nparts < max ? st->nparts : max;
	for (i = 0; i < n; i++)
		memcpy(names[i], st->parts[i], sizeof(names[i]));
	store_unlock(st);
	return n;
}

/* Whether name's file has the coverage data source. */
int
store_has_coverage(struct store *st, const char *name)
{
	struct store_entry *e;
	char		    path[PATH_MAX], err[256];
	int		    r = 0;

	if (store_path(st, name, path, sizeof(path)) == -1)
		return 0;
	store_lock(st);
	if ((e = store_learn(st, name, path, err, sizeof(err))) != NULL)
		r = e->inode != 0 && e->cover;
	store_unlock(st);
	return r;
}

/*
 * Start writing a file out now rather than leaving a megabyte of dirty
 * pages for the journal's next fdatasync to wait behind (on ext4 a sync
 * commits the data of newly allocated blocks).
 */
static void
store_write_out(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd != -1) {
		sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
		close(fd);
	}
}

/* Format "T:v1:...:vn:cover" (rates) into buf. */
static void
store_format(const struct store *st, char *buf, size_t len, int64_t t,
    const uint64_t *counts, uint64_t cover)
{
	size_t	 off;
	unsigned i;

	off = (size_t)snprintf(buf, len, "%lld", (long long)t);
	for (i = 0; i < st->ncategories && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, ":%.17g",
		    counts != NULL ? (double)counts[i] / (double)st->step
				   : 0.0);
	if (off < len)
		snprintf(buf + off, len - off, ":%.17g",
		    (double)cover / (double)st->step);
}

/* Send argv[0..argc) as one update of path; lock held. */
static int
store_send(struct store *st, const char *path, int argc, const char **argv,
    char *err, size_t errlen)
{
	int r;

	if (store_rrdcached_same(st, err, errlen) == -1)
		return -1;
	rrd_clear_error();
	if (st->rrdcached != NULL) {
		if (!rrdc_is_connected(st->rrdcached) &&
		    rrdc_connect(st->rrdcached) != 0)
			r = -1;
		else
			r = rrdc_update(path, argc, argv);
	} else
		r = rrd_update_r(path, NULL, argc, argv);
	if (r != 0) {
		snprintf(err, errlen, "update %s: %s", path, rrd_get_error());
		rrd_clear_error();
		return -1;
	}
	return 0;
}

#define STORE_VALUE_LEN (32 + 26 * (ST_MAX_CATEGORIES + 1))

/* Append points to a file whose entry is e; lock held. */
static int
store_update_locked(struct store *st, const char *name, const char *path,
    struct store_entry *e, const struct store_point *pts, size_t n, char *err,
    size_t errlen)
{
	char(*vals)[STORE_VALUE_LEN];
	const char **argv;
	int64_t	     last = e->last, start;
	size_t	     i, argc = 0;
	int	     created = 0, rc = -1;

	if (n == 0)
		return 0;
	if ((errno = fault_at("store_write", name)) != 0) {
		snprintf(err, errlen, "update %s: %s", path, strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++)
		if (pts[i].step % st->step != 0 || pts[i].step <= 0 ||
		    pts[i].step <= (i == 0 ? last : pts[i - 1].step)) {
			snprintf(err, errlen,
			    "%s: step %lld is not after %lld or not aligned to "
			    "%u",
			    name, (long long)pts[i].step,
			    (long long)(i == 0 ? last : pts[i - 1].step),
			    st->step);
			return -1;
		}
	if (e->inode == 0) {
		/*
		 * A new file's rows are zeros from the start, so a late count
		 * for any step still in the finest archive finds known rows.
		 */
		start = pts[0].step - st->step;
		switch (store_file_create(st, path, start, err, errlen)) {
		case -1:
			return -1;
		case 1:
			/* Another collector made it just now: append to it. */
			if ((e = store_learn(st, name, path, err, errlen)) ==
			    NULL)
				return -1;
			return store_update_locked(
			    st, name, path, e, pts, n, err, errlen);
		}
		last = start;
		created = 1;
	}
	if ((vals = calloc(2 * n, sizeof(*vals))) == NULL ||
	    (argv = calloc(2 * n, sizeof(*argv))) == NULL)
		abort();
	for (i = 0; i < n; i++) {
		int64_t prev = i == 0 ? last : pts[i - 1].step;

		if (pts[i].step - (int64_t)st->step > prev) {
			/* A gap: zeros, nothing covered (one value fills it). */
			store_format(st, vals[argc], sizeof(vals[0]),
			    pts[i].step - st->step, NULL, 0);
			argv[argc] = vals[argc];
			argc++;
		}
		store_format(st, vals[argc], sizeof(vals[0]), pts[i].step,
		    pts[i].counts, pts[i].cover);
		argv[argc] = vals[argc];
		argc++;
	}
	if (store_send(st, path, (int)argc, argv, err, errlen) == 0) {
		e->last = pts[n - 1].step;
		e->dirty = st->rrdcached != NULL;
		if (created) {
			uint64_t ino;

			store_check_path(path, &ino, err, errlen);
			e->inode = ino;
			e->gen = 0;
			e->cover = 1;
			if (st->rrdcached == NULL)
				store_write_out(path);
		}
		rc = 0;
	} else {
		/*
		 * Another collector may have written it since: learn it again.
		 * A file made here stays (its rows say "nothing reported"): by
		 * now another collector may be writing it too.
		 */
		e->last = 0;
		e->inode = created ? 0 : e->inode;
	}
	free(vals);
	free(argv);
	return rc;
}

/* Append points; see store.h. */
int
store_update(struct store *st, const char *name, const struct store_point *pts,
    size_t n, char *err, size_t errlen)
{
	struct store_entry *e;
	char		    path[PATH_MAX];
	int		    rc = -1;

	if (store_path(st, name, path, sizeof(path)) == -1) {
		snprintf(err, errlen, "refusing file name for '%s'", name);
		return -1;
	}
	store_lock(st);
	if ((e = store_learn(st, name, path, err, errlen)) != NULL)
		rc =
		    store_update_locked(st, name, path, e, pts, n, err, errlen);
	store_unlock(st);
	return rc;
}

/* Write one step when it is after the file's last update; see store.h. */
int
store_write(struct store *st, const char *name, int64_t step_end,
    const uint64_t *counts, uint64_t cover, char *err, size_t errlen)
{
	struct store_entry *e;
	struct store_point  p;
	char		    path[PATH_MAX];
	int		    rc = -1;

	if (store_path(st, name, path, sizeof(path)) == -1) {
		snprintf(err, errlen, "refusing file name for '%s'", name);
		return -1;
	}
	memset(&p, 0, sizeof(p));
	p.step = step_end;
	memcpy(p.counts, counts, st->ncategories * sizeof(p.counts[0]));
	p.cover = cover;
	store_lock(st);
	if ((e = store_learn(st, name, path, err, errlen)) != NULL) {
		if (e->inode != 0 && step_end <= e->last)
			rc = 1;
		else
			rc = store_update_locked(
			    st, name, path, e, &p, 1, err, errlen);
	}
	store_unlock(st);
	return rc;
}

/* Order names for qsort. */
static int
store_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* List the sources that have a regular .rrd file. */
int
store_list_sources(struct store *st, char ***names, size_t *n)
{
	DIR	      *d;
	struct dirent *de;
	char	     **v = NULL, **nv, name[ST_SOURCE_MAX + 1];
	size_t	       len, cnt = 0, cap = 0;

	*names = NULL;
	*n = 0;
	if ((d = opendir(st->data_dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len <= 4 || len - 4 > ST_SOURCE_MAX ||
		    strcmp(de->d_name + len - 4, ".rrd") != 0)
			continue;
		if (de->d_type != DT_REG && de->d_type != DT_UNKNOWN)
			continue;
		memcpy(name, de->d_name, len - 4);
		name[len - 4] = '\0';
		if (source_is_total(name) || !source_is_valid_name(name))
			continue;
		if (cnt == cap) {
			cap = cap ? cap * 2 : 16;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL)
				goto fail;
			v = nv;
		}
		if ((v[cnt] = strdup(name)) == NULL)
			goto fail;
		cnt++;
	}
	closedir(d);
	if (cnt > 0)
		qsort(v, cnt, sizeof(*v), store_name_cmp);
	*names = v;
	*n = cnt;
	return 0;
fail:
	closedir(d);
	store_names_free(v, cnt);
	return -1;
}

/* Free a list from store_list_sources. */
void
store_names_free(char **names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}
