/*
 * store.c -- the RRD files of a data directory: one per source, created with
 * a fixed archive layout, updated once per step with exact rates, moved
 * aside when corrupt, and written through rrdcached when one is configured.
 *
 * Owns the store lock (every librrd call in the process holds it) and the
 * in-memory table of each file's last update.  It does not aggregate counts
 * (the ingest side does), nor read series back (export.c and render.c do,
 * under this lock).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* syncfs */
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
#include <unistd.h>

#include "../lib/log.h"
#include "../lib/source.h"

#define STORE_XFF "0.5"
#define STORE_DAY 86400LL

/* One file's last update, chained in a hash bucket. */
struct store_entry {
	struct store_entry *next;
	int64_t		    last;
	int		    dirty; /* updated through rrdcached, not flushed */
	char		    name[];
};

struct store {
	pthread_mutex_t	     lock;
	char		    *data_dir;
	unsigned	     step;
	char		     categories[ST_MAX_CATEGORIES][ST_CATEGORY_MAX + 1];
	unsigned	     ncategories;
	char		    *rrdcached;
	struct store_entry **buckets;
	size_t		     nbuckets;
	size_t		     nentries;
};

/* The retention each archive is sized for, and the resolution it aims at. */
static const struct {
	int64_t	 keep;	     /* seconds */
	unsigned resolution; /* seconds per row wanted */
} store_plan[STORE_ARCHIVES] = {
    {2 * STORE_DAY, 0}, /* one step per row */
    {14 * STORE_DAY, 300},
    {395 * STORE_DAY, 3600},
    {3660 * STORE_DAY, 86400},
};

/* Compute the archive layout for step; the finest archive is one step per row. */
unsigned
store_layout(unsigned step, struct store_archive *out)
{
	unsigned i, n = 0, pdp, prev = 0;
	int64_t	 res;

	if (step == 0)
		return 0;
	for (i = 0; i < STORE_ARCHIVES; i++) {
		pdp = store_plan[i].resolution == 0
		    ? 1
		    : (store_plan[i].resolution + step / 2) / step;
		if (pdp < 1)
			pdp = 1;
		if (n > 0 && pdp <= prev) {
			/* Same resolution: keep the longer retention. */
			res = (int64_t)pdp * step;
			out[n - 1].rows =
			    (unsigned)((store_plan[i].keep + res - 1) / res);
			out[n - 1].retention = (int64_t)out[n - 1].rows * res;
			continue;
		}
		res = (int64_t)pdp * step;
		out[n].pdp = pdp;
		out[n].resolution = (unsigned)res;
		out[n].rows = (unsigned)((store_plan[i].keep + res - 1) / res);
		out[n].retention = (int64_t)out[n].rows * res;
		prev = pdp;
		n++;
	}
	return n;
}

/* Hash a name (FNV-1a). */
static size_t
store_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	while (*s != '\0') {
		h ^= (unsigned char)*s++;
		h *= 1099511628211ULL;
	}
	return (size_t)h;
}

/* Find name's entry, or NULL. */
static struct store_entry *
store_entry_find(struct store *st, const char *name)
{
	struct store_entry *e;

	for (e = st->buckets[store_hash(name) % st->nbuckets]; e != NULL;
	     e = e->next)
		if (strcmp(e->name, name) == 0)
			return e;
	return NULL;
}

/* Double the bucket array once the table is loaded. */
static void
store_entry_grow(struct store *st)
{
	struct store_entry **nb, *e, *next;
	size_t		     i, n = st->nbuckets * 2, h;

	if ((nb = calloc(n, sizeof(*nb))) == NULL)
		return;
	for (i = 0; i < st->nbuckets; i++) {
		for (e = st->buckets[i]; e != NULL; e = next) {
			next = e->next;
			h = store_hash(e->name) % n;
			e->next = nb[h];
			nb[h] = e;
		}
	}
	free(st->buckets);
	st->buckets = nb;
	st->nbuckets = n;
}

/* Add name with last update last; returns the entry or NULL on no memory. */
static struct store_entry *
store_entry_add(struct store *st, const char *name, int64_t last)
{
	struct store_entry *e;
	size_t		    len = strlen(name), h;

	if (st->nentries >= st->nbuckets)
		store_entry_grow(st);
	if ((e = malloc(sizeof(*e) + len + 1)) == NULL)
		return NULL;
	memcpy(e->name, name, len + 1);
	e->last = last;
	h = store_hash(name) % st->nbuckets;
	e->next = st->buckets[h];
	st->buckets[h] = e;
	st->nentries++;
	return e;
}

/*
 * Refuse a data directory whose _total.rrd is a valid RRD made with another
 * step or other categories: the configuration changed, and writing on would
 * move every file aside as foreign.
 */
static int store_inspect(
    struct store *, const char *, int64_t *, char *, size_t);

static int
store_check_layout(struct store *st, char *err, size_t errlen)
{
	char	    path[PATH_MAX], why[256];
	rrd_info_t *info;
	int64_t	    last;
	struct stat sb;

	snprintf(
	    path, sizeof(path), "%s/%s.rrd", st->data_dir, ST_TOTAL_SOURCE);
	if (lstat(path, &sb) == -1 || !S_ISREG(sb.st_mode))
		return 0;
	rrd_clear_error();
	if ((info = rrd_info_r(path)) == NULL) {
		rrd_clear_error();
		return 0; /* not an RRD at all: moved aside when written */
	}
	rrd_info_free(info);
	if (store_inspect(st, path, &last, why, sizeof(why)))
		return 0;
	snprintf(err, errlen,
	    "data directory %s was made with another step or "
	    "other categories (%s: %s); start with the step and categories it "
	    "was made with, or use a new data directory",
	    st->data_dir, path, why);
	return -1;
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
		    "data directory %s: not a writable "
		    "directory",
		    s->data_dir);
		return NULL;
	}
	if ((st = calloc(1, sizeof(*st))) == NULL)
		goto nomem;
	pthread_mutex_init(&st->lock, NULL);
	st->step = s->step;
	st->ncategories = s->ncategories;
	for (i = 0; i < s->ncategories; i++)
		snprintf(st->categories[i], sizeof(st->categories[i]), "%s",
		    s->categories[i]);
	st->nbuckets = 256;
	if ((st->data_dir = strdup(real)) == NULL ||
	    (st->buckets = calloc(st->nbuckets, sizeof(*st->buckets))) == NULL)
		goto nomem;
	if (s->rrdcached != NULL && *s->rrdcached != '\0') {
		if ((st->rrdcached = strdup(s->rrdcached)) == NULL)
			goto nomem;
		rrd_clear_error();
		if (rrdc_connect(st->rrdcached) != 0) {
			snprintf(err, errlen, "rrdcached %s: %s", st->rrdcached,
			    rrd_get_error());
			store_free(st);
			return NULL;
		}
	}
	if (store_check_layout(st, err, errlen) == -1) {
		store_free(st);
		return NULL;
	}
	return st;
nomem:
	snprintf(err, errlen, "out of memory");
	store_free(st);
	return NULL;
}

/* The path of source's file without validation; the name came from the table. */
static void
store_entry_path(
    const struct store *st, const struct store_entry *e, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s.rrd", st->data_dir, e->name);
}

/*
 * Flush every file updated through rrdcached since its last flush (librrd
 * 1.7.2 has no client call for FLUSHALL, and FLUSHALL does not wait for the
 * writes anyway).  Lock held.  Returns the number of failures.
 */
static int
store_flush_dirty(struct store *st)
{
	struct store_entry *e;
	char		    path[PATH_MAX];
	size_t		    i;
	int		    failed = 0;

	for (i = 0; i < st->nbuckets; i++) {
		for (e = st->buckets[i]; e != NULL; e = e->next) {
			if (!e->dirty)
				continue;
			store_entry_path(st, e, path, sizeof(path));
			rrd_clear_error();
			if (rrdc_flush_if_daemon(st->rrdcached, path) != 0) {
				log_warn("rrdcached flush %s: %s", path,
				    rrd_get_error());
				failed++;
			} else
				e->dirty = 0;
			rrd_clear_error();
		}
	}
	return failed;
}

/* Free the store; disconnects from rrdcached. */
void
store_free(struct store *st)
{
	struct store_entry *e, *next;
	size_t		    i;

	if (st == NULL)
		return;
	if (st->rrdcached != NULL) {
		if (st->buckets != NULL)
			store_flush_dirty(st);
		rrdc_disconnect();
	}
	for (i = 0; st->buckets != NULL && i < st->nbuckets; i++) {
		for (e = st->buckets[i]; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
	}
	free(st->buckets);
	free(st->data_dir);
	free(st->rrdcached);
	pthread_mutex_destroy(&st->lock);
	free(st);
}

/* Take the store lock. */
void
store_lock(struct store *st)
{
	pthread_mutex_lock(&st->lock);
}

/* Release the store lock. */
void
store_unlock(struct store *st)
{
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
static int
store_check_path(const char *path, char *err, size_t errlen)
{
	struct stat sb;

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
	return 1;
}

/* Ask rrdcached (if used) to write out path's pending updates; lock held. */
static void
store_flush_locked(struct store *st, const char *path)
{
	if (st->rrdcached == NULL)
		return;
	rrd_clear_error();
	if (rrdc_flush_if_daemon(st->rrdcached, path) != 0)
		log_debug("rrdcached flush %s: %s", path, rrd_get_error());
	rrd_clear_error();
}

/* Check a file may be read and flush it out of rrdcached; lock held. */
int
store_prepare_read_locked(struct store *st, const char *path)
{
	char err[256];
	int  r;

	if ((r = store_check_path(path, err, sizeof(err))) == -1) {
		log_warn("%s", err);
		return -1;
	}
	if (r == 1)
		store_flush_locked(st, path);
	return r;
}

/*
 * Read path's header: 1 and *last when it is one of ours (same step, the
 * configured categories in order), 0 when it is corrupt or foreign.
 */
static int
store_inspect(
    struct store *st, const char *path, int64_t *last, char *why, size_t whylen)
{
	rrd_info_t   *info, *i;
	unsigned      nds = 0, k, matched = 0;
	unsigned long step = 0;
	int64_t	      lu = -1;
	char	      key[64];
	int	      ok = 0;

	rrd_clear_error();
	if ((info = rrd_info_r(path)) == NULL) {
		snprintf(why, whylen, "%s", rrd_get_error());
		rrd_clear_error();
		return 0;
	}
	for (i = info; i != NULL; i = i->next) {
		if (strcmp(i->key, "step") == 0 && i->type == RD_I_CNT)
			step = i->value.u_cnt;
		else if (strcmp(i->key, "last_update") == 0 &&
		    i->type == RD_I_CNT)
			lu = (int64_t)i->value.u_cnt;
		else if (strncmp(i->key, "ds[", 3) == 0 &&
		    strstr(i->key, "].index") != NULL && i->type == RD_I_CNT) {
			nds++;
			for (k = 0; k < st->ncategories; k++) {
				snprintf(key, sizeof(key), "ds[%s].index",
				    st->categories[k]);
				if (strcmp(i->key, key) == 0 &&
				    i->value.u_cnt == k)
					matched++;
			}
		}
	}
	rrd_info_free(info);
	if (step != st->step)
		snprintf(why, whylen, "step %lu, want %u", step, st->step);
	else if (nds != st->ncategories || matched != st->ncategories)
		snprintf(why, whylen,
		    "data sources differ from the "
		    "configured categories");
	else if (lu < 0)
		snprintf(why, whylen, "no last update");
	else {
		*last = lu;
		ok = 1;
	}
	return ok;
}

/* Move a corrupt or foreign file aside to <path>.corrupt[.N]. */
static int
store_move_aside(const char *path, const char *why, char *err, size_t errlen)
{
	char	    dst[PATH_MAX + 32];
	struct stat sb;
	int	    n;

	for (n = 0; n < 1000; n++) {
		if (n == 0)
			snprintf(dst, sizeof(dst), "%s.corrupt", path);
		else
			snprintf(dst, sizeof(dst), "%s.corrupt.%d", path, n);
		if (lstat(dst, &sb) == -1 && errno == ENOENT)
			break;
	}
	if (n == 1000 || rename(path, dst) == -1) {
		snprintf(err, errlen, "%s: cannot move aside: %s", path,
		    n == 1000 ? "too many corrupt copies" : strerror(errno));
		return -1;
	}
	log_warn("%s: %s; moved to %s and recreated", path, why, dst);
	return 0;
}

/* Create path with the store's layout, starting at start; lock held. */
static int
store_create_file(
    struct store *st, const char *path, int64_t start, char *err, size_t errlen)
{
	struct store_archive ar[STORE_ARCHIVES];
	char		     defs[ST_MAX_CATEGORIES + 2 * STORE_ARCHIVES][64];
	const char	    *argv[ST_MAX_CATEGORIES + 2 * STORE_ARCHIVES];
	unsigned	     i, n, argc = 0;

	for (i = 0; i < st->ncategories; i++)
		snprintf(defs[argc++], sizeof(defs[0]), "DS:%s:GAUGE:%u:0:U",
		    st->categories[i], 2 * st->step);
	n = store_layout(st->step, ar);
	for (i = 0; i < n; i++)
		snprintf(defs[argc++], sizeof(defs[0]), "RRA:AVERAGE:%s:%u:%u",
		    STORE_XFF, ar[i].pdp, ar[i].rows);
	for (i = 1; i < n; i++)
		snprintf(defs[argc++], sizeof(defs[0]), "RRA:MAX:%s:%u:%u",
		    STORE_XFF, ar[i].pdp, ar[i].rows);
	for (i = 0; i < argc; i++)
		argv[i] = defs[i];
	if (st->rrdcached != NULL) {
		rrd_clear_error();
		rrdc_forget(path);
	}
	rrd_clear_error();
	if (rrd_create_r(path, st->step, (time_t)start, (int)argc, argv) != 0) {
		snprintf(err, errlen, "create %s: %s", path, rrd_get_error());
		rrd_clear_error();
		return -1;
	}
	/*
	 * Start writing the new file out now rather than leaving a megabyte
	 * of dirty pages per file for the journal's next fdatasync to wait
	 * behind (on ext4 a sync commits the data of newly allocated blocks).
	 */
	{
		int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

		if (fd != -1) {
			sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
			close(fd);
		}
	}
	return 0;
}

/* Send one update (a gap marker first when needed); lock held. */
static int
store_update_file(struct store *st, const char *path, int64_t last,
    int64_t step_end, const uint64_t *counts, char *err, size_t errlen)
{
	char gap[32 + 3 * ST_MAX_CATEGORIES], val[32 + 26 * ST_MAX_CATEGORIES];
	const char *argv[2];
	size_t	    off;
	unsigned    i;
	int	    argc = 0, r;

	if (last > 0 && last < step_end - (int64_t)st->step) {
		off = (size_t)snprintf(
		    gap, sizeof(gap), "%lld", (long long)(step_end - st->step));
		for (i = 0; i < st->ncategories; i++)
			off += (size_t)snprintf(
			    gap + off, sizeof(gap) - off, ":U");
		argv[argc++] = gap;
	}
	off = (size_t)snprintf(val, sizeof(val), "%lld", (long long)step_end);
	for (i = 0; i < st->ncategories; i++)
		off += (size_t)snprintf(val + off, sizeof(val) - off, ":%.17g",
		    (double)counts[i] / (double)st->step);
	argv[argc++] = val;
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

/*
 * Find (or learn) the last update of source's file; lock held.  Returns 1
 * with *last when the file exists and is ours, 0 when there is no file
 * (moved aside or never made), -1 on error.
 */
static int
store_learn_last(struct store *st, const char *source, const char *path,
    struct store_entry **ep, char *err, size_t errlen)
{
	struct store_entry *e;
	char		    why[256];
	int64_t		    last = 0;
	int		    r;

	if ((e = store_entry_find(st, source)) != NULL) {
		*ep = e;
		if ((r = store_check_path(path, err, errlen)) == -1)
			return -1;
		if (r == 0)
			e->last = 0;
		return r;
	}
	if ((r = store_check_path(path, err, errlen)) == -1)
		return -1;
	if (r == 1) {
		store_flush_locked(st, path);
		if (!store_inspect(st, path, &last, why, sizeof(why))) {
			if (store_move_aside(path, why, err, errlen) == -1)
				return -1;
			last = 0;
			r = 0;
		}
	}
	if ((e = store_entry_add(st, source, last)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	*ep = e;
	return r;
}

/* Write one step of counts to source's file, creating it when needed. */
int
store_write(struct store *st, const char *source, int64_t step_end,
    const uint64_t *counts, char *err, size_t errlen)
{
	struct store_entry *e;
	char		    path[PATH_MAX], why[256];
	int64_t		    last;
	int		    r, ret = -1;

	if (store_path(st, source, path, sizeof(path)) == -1) {
		snprintf(err, errlen, "refusing source name");
		return -1;
	}
	if (step_end <= (int64_t)st->step || step_end % st->step != 0) {
		snprintf(err, errlen, "step end %lld not aligned to %u",
		    (long long)step_end, st->step);
		return -1;
	}
	store_lock(st);
	if ((r = store_learn_last(st, source, path, &e, err, errlen)) == -1)
		goto done;
	if (r == 1 && step_end <= e->last) {
		ret = 1;
		goto done;
	}
	if (r == 0) {
		if (store_create_file(
			st, path, step_end - st->step, err, errlen) == -1)
			goto done;
		e->last = step_end - st->step;
	}
	if (store_update_file(
		st, path, e->last, step_end, counts, err, errlen) == 0) {
		e->last = step_end;
		e->dirty = st->rrdcached != NULL;
		ret = 0;
		goto done;
	}
	/* The update failed: a damaged file is moved aside and remade. */
	store_flush_locked(st, path);
	if (store_inspect(st, path, &last, why, sizeof(why))) {
		/* The file is fine; the failure was something else. */
		e->last = last;
		goto done;
	}
	if (store_move_aside(path, why, err, errlen) == -1 ||
	    store_create_file(st, path, step_end - st->step, err, errlen) == -1)
		goto done;
	e->last = step_end - st->step;
	if (store_update_file(
		st, path, e->last, step_end, counts, err, errlen) == -1)
		goto done;
	e->last = step_end;
	e->dirty = st->rrdcached != NULL;
	ret = 0;
done:
	store_unlock(st);
	return ret;
}

/* The last update of source's file (0 when there is none). */
int
store_last(struct store *st, const char *source, int64_t *last)
{
	struct store_entry *e;
	char		    path[PATH_MAX], err[256];
	int		    r;

	*last = 0;
	if (store_path(st, source, path, sizeof(path)) == -1)
		return -1;
	store_lock(st);
	r = store_learn_last(st, source, path, &e, err, sizeof(err));
	if (r == 1)
		*last = e->last;
	store_unlock(st);
	return r == -1 ? -1 : 0;
}

/* Flush rrdcached and sync the data directory's file system. */
int
store_sync(struct store *st, char *err, size_t errlen)
{
	int fd, ret = 0;

	store_lock(st);
	if (st->rrdcached != NULL && store_flush_dirty(st) > 0) {
		snprintf(err, errlen,
		    "rrdcached: some files could not be "
		    "flushed");
		ret = -1;
	}
	store_unlock(st);
	if (ret == -1)
		return -1;
	if ((fd = open(st->data_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
	    -1) {
		snprintf(err, errlen, "%s: %s", st->data_dir, strerror(errno));
		return -1;
	}
	if (syncfs(fd) == -1) {
		snprintf(err, errlen, "syncfs %s: %s", st->data_dir,
		    strerror(errno));
		ret = -1;
	}
	close(fd);
	return ret;
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
		if (strcmp(name, ST_TOTAL_SOURCE) == 0 ||
		    !source_is_valid_name(name))
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
