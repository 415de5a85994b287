/*
 * store.c -- the RRD files of a data directory: one per source and one for
 * _total, created with a fixed archive layout, appended to once per step,
 * patched for late counts, moved aside when corrupt, brought up to the
 * current layout when older, and written through rrdcached when one is
 * configured.
 *
 * Owns the store lock (every librrd call in the process holds it) and the
 * in-memory table of each file's last update.  It does not aggregate counts
 * (the ingest side does), does not decide what is late (flush.c does), nor
 * read series back (export.c and render.c do, under this lock).
 *
 * Exactness.  Every data source is a GAUGE of rates (count / step) with a
 * heartbeat of ten years, and a gap is written as zeros with zero coverage,
 * so every primary point is known and an AVERAGE row of any archive times
 * its length is exactly the sum of its steps; coverage (STORE_COVERAGE_DS)
 * keeps "nothing was reported" apart from "zero was reported".
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
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../lib/fault.h"
#include "../lib/log.h"
#include "../lib/siphash.h"
#include "../lib/source.h"
#include "../lib/strmap.h"
#include "rrdfile.h"

#define STORE_XFF	    "0.5"
#define STORE_DAY	    86400LL
#define STORE_HEARTBEAT	    316224000U /* ten years: a gap is ours to fill */
#define STORE_PATCH_TMP	    ".patch.%ld.tmp" /* per process: collectors share */
#define STORE_PATCH_LOCK    ".patch.lock"    /* one byte per stripe of names */
#define STORE_PATCH_STRIPES 4096

/* One file's state; the value of the store's table. */
struct store_entry {
	int64_t	 last;
	uint64_t inode;
	uint64_t gen;	/* patch generation of the file */
	int	 cover; /* it has the coverage data source */
	int	 dirty; /* updated through rrdcached, not flushed */
};

struct store {
	pthread_mutex_t lock;
	char	       *data_dir;
	unsigned	step;
	char		categories[ST_MAX_CATEGORIES][ST_CATEGORY_MAX + 1];
	unsigned	ncategories;
	char	       *rrdcached;
	struct strmap  *files; /* name -> struct store_entry * */
	unsigned char  *tmpl;  /* header of new files (store_template) */
	struct rrdfile_layout tmpl_layout;
	char	    parts[STORE_MAX_PARTS][ST_SOURCE_MAX + 1]; /* _total's */
	size_t	    nparts;
	double	    parts_looked; /* monotonic seconds */
	int	    patch_fd;	  /* STORE_PATCH_LOCK, or -1 */
	struct stat rrdc_sock;	  /* rrdcached's socket when first met */
	int	    rrdc_met;	  /* 0: not yet, or not a unix socket */
	int rrdc_lost; /* it was started anew since: nothing is written */
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

/* What store_inspect learns of a file. */
struct store_kind {
	int64_t last;
	int	ours;	     /* our step and categories, in order */
	int	has_cover;   /* the coverage data source is there */
	int	short_heart; /* a heartbeat shorter than STORE_HEARTBEAT */
};

/*
 * Read path's header into *k.  Returns 0, or -1 with why filled when it is
 * not an RRD file librrd can read.  Lock held.
 */
static int
store_inspect(struct store *st, const char *path, struct store_kind *k,
    char *why, size_t whylen)
{
	rrd_info_t   *info, *i;
	unsigned      nds = 0, j, matched = 0;
	unsigned long step = 0;
	char	      key[64];

	memset(k, 0, sizeof(*k));
	k->last = -1;
	rrd_clear_error();
	if ((info = rrd_info_r(path)) == NULL) {
		snprintf(why, whylen, "%s", rrd_get_error());
		rrd_clear_error();
		return -1;
	}
	for (i = info; i != NULL; i = i->next) {
		if (strcmp(i->key, "step") == 0 && i->type == RD_I_CNT)
			step = i->value.u_cnt;
		else if (strcmp(i->key, "last_update") == 0 &&
		    i->type == RD_I_CNT)
			k->last = (int64_t)i->value.u_cnt;
		else if (strncmp(i->key, "ds[", 3) == 0 &&
		    strstr(i->key, "].index") != NULL && i->type == RD_I_CNT) {
			nds++;
			snprintf(key, sizeof(key), "ds[%s].index",
			    STORE_COVERAGE_DS);
			if (strcmp(i->key, key) == 0 &&
			    i->value.u_cnt == st->ncategories)
				k->has_cover = 1;
			for (j = 0; j < st->ncategories; j++) {
				snprintf(key, sizeof(key), "ds[%s].index",
				    st->categories[j]);
				if (strcmp(i->key, key) == 0 &&
				    i->value.u_cnt == j)
					matched++;
			}
		} else if (strncmp(i->key, "ds[", 3) == 0 &&
		    strstr(i->key, "].minimal_heartbeat") != NULL &&
		    i->type == RD_I_CNT && i->value.u_cnt < STORE_HEARTBEAT)
			k->short_heart = 1;
	}
	rrd_info_free(info);
	if (step != st->step)
		snprintf(why, whylen, "step %lu, want %u", step, st->step);
	else if (matched != st->ncategories ||
	    nds != st->ncategories + (unsigned)k->has_cover)
		snprintf(why, whylen,
		    "data sources differ from the configured categories");
	else if (k->last < 0)
		snprintf(why, whylen, "no last update");
	else
		k->ours = 1;
	return 0;
}

/*
 * Refuse a data directory whose _total.rrd is a valid RRD made with another
 * step or other categories: the configuration changed, and writing on would
 * move every file aside as foreign.
 */
static int
store_check_layout(struct store *st, char *err, size_t errlen)
{
	char		  path[PATH_MAX], why[256];
	struct store_kind k;
	struct stat	  sb;

	snprintf(
	    path, sizeof(path), "%s/%s.rrd", st->data_dir, ST_TOTAL_SOURCE);
	if (lstat(path, &sb) == -1 || !S_ISREG(sb.st_mode))
		return 0;
	if (store_inspect(st, path, &k, why, sizeof(why)) == -1 || k.ours)
		return 0; /* not an RRD at all: moved aside when written */
	snprintf(err, errlen,
	    "data directory %s was made with another step or other categories "
	    "(%s: %s); start with the step and categories it was made with, "
	    "or use a new data directory",
	    st->data_dir, path, why);
	return -1;
}

/*
 * Remove the temporary copies that patches interrupted by a crash left
 * (void: their file was never replaced), but not those of a live process
 * sharing the data directory.
 */
static void
store_clean_tmp(struct store *st)
{
	DIR	      *d;
	struct dirent *de;
	char	       path[PATH_MAX + 300];
	long	       pid;
	int	       n;

	if ((d = opendir(st->data_dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (sscanf(de->d_name, ".patch.%ld.tmp%n", &pid, &n) != 1 ||
		    de->d_name[n] != '\0')
			continue;
		if (pid != (long)getpid() && kill((pid_t)pid, 0) == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", st->data_dir, de->d_name);
		unlink(path);
	}
	closedir(d);
}

/*
 * 0 when rrdcached is still the process this store first wrote through;
 * -1 with err once its unix socket was made anew.  A restarted rrdcached has
 * lost the updates it had taken and not written (its journal is buffered),
 * and librrd reconnects without a word: from then on nothing is written or
 * recorded as written, so the journal keeps every count until a restart of
 * this collector writes again what the files lack.  Lock held.
 */
static int
store_rrdcached_same(struct store *st, char *err, size_t errlen)
{
	const char *sock = st->rrdcached;
	struct stat sb;

	if (sock == NULL)
		return 0;
	if (strncmp(sock, "unix:", 5) == 0)
		sock += 5;
	if (!st->rrdc_lost) {
		if (sock[0] != '/' || stat(sock, &sb) == -1)
			return 0; /* host:port, or down: sending fails */
		if (!st->rrdc_met) {
			st->rrdc_sock = sb;
			st->rrdc_met = 1;
			return 0;
		}
		/* An inode number is soon given out again; a change time not. */
		if (sb.st_dev == st->rrdc_sock.st_dev &&
		    sb.st_ino == st->rrdc_sock.st_ino &&
		    sb.st_ctim.tv_sec == st->rrdc_sock.st_ctim.tv_sec &&
		    sb.st_ctim.tv_nsec == st->rrdc_sock.st_ctim.tv_nsec)
			return 0;
		st->rrdc_lost = 1;
		log_error(
		    "rrdcached at %s was started anew: the updates it had "
		    "not written are lost; nothing is written until this "
		    "collector is restarted, which writes them again from "
		    "its journal",
		    st->rrdcached);
	}
	snprintf(err, errlen,
	    "rrdcached was started anew; restart the collector to write");
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
		    "data directory %s: not a writable directory", s->data_dir);
		return NULL;
	}
	if ((st = calloc(1, sizeof(*st))) == NULL ||
	    (st->data_dir = strdup(real)) == NULL)
		abort();
	pthread_mutex_init(&st->lock, NULL);
	st->patch_fd = -1;
	st->step = s->step;
	st->ncategories = s->ncategories;
	for (i = 0; i < s->ncategories; i++)
		snprintf(st->categories[i], sizeof(st->categories[i]), "%s",
		    s->categories[i]);
	st->files = strmap_create();
	store_clean_tmp(st);
	snprintf(real, sizeof(real), "%s/" STORE_PATCH_LOCK, st->data_dir);
	if ((st->patch_fd = open(
		 real, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640)) == -1)
		log_warn("%s: %s; patches are not locked against other "
			 "collectors",
		    real, strerror(errno));
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
	if (store_check_layout(st, err, errlen) == -1) {
		store_free(st);
		return NULL;
	}
	return st;
}

/* The path of a name that came from the table (validated when it entered). */
static void
store_name_path(const struct store *st, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s.rrd", st->data_dir, name);
}

struct flush_ctx {
	struct store *st;
	int	      failed;
};

/* Sweep callback: flush one dirty file out of rrdcached. */
static int
store_flush_one(void *arg, const char *name, void *value)
{
	struct flush_ctx   *c = arg;
	struct store_entry *e = value;
	char		    path[PATH_MAX];

	if (!e->dirty)
		return 0;
	store_name_path(c->st, name, path, sizeof(path));
	rrd_clear_error();
	if (rrdc_flush_if_daemon(c->st->rrdcached, path) != 0) {
		log_warn("rrdcached flush %s: %s", path, rrd_get_error());
		c->failed++;
	} else
		e->dirty = 0;
	rrd_clear_error();
	return 0;
}

/*
 * Flush every file updated through rrdcached since its last flush (librrd
 * 1.7.2 has no client call for FLUSHALL, and FLUSHALL does not wait for the
 * writes anyway).  Lock held.  Returns the number of failures.
 */
static int
store_flush_dirty(struct store *st)
{
	struct flush_ctx c = {st, 0};

	strmap_sweep(st->files, store_flush_one, &c);
	return c.failed;
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
			store_flush_dirty(st);
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

/* Ask rrdcached (if used) to write out path's pending updates; lock held. */
static int
store_flush_locked(struct store *st, const char *path)
{
	int r = 0;

	if (st->rrdcached == NULL)
		return 0;
	rrd_clear_error();
	if (rrdc_flush_if_daemon(st->rrdcached, path) != 0) {
		log_debug("rrdcached flush %s: %s", path, rrd_get_error());
		r = -1;
	}
	rrd_clear_error();
	return r;
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

/*
 * Add the coverage data source and the long heartbeat to a file of the
 * older layout (rrdtool tune rewrites it under a new inode).  Lock held.
 */
static int
store_migrate(struct store *st, const char *path, const struct store_kind *k,
    char *err, size_t errlen)
{
	char	 args[3 + 2 * (ST_MAX_CATEGORIES + 1)][64];
	char	*argv[3 + 2 * (ST_MAX_CATEGORIES + 1)];
	char	 pathcopy[PATH_MAX];
	int	 argc = 0, i;
	unsigned c;

	snprintf(pathcopy, sizeof(pathcopy), "%s", path);
	snprintf(args[argc++], sizeof(args[0]), "tune");
	argv[argc] = pathcopy;
	argc++;
	if (!k->has_cover)
		snprintf(args[argc++], sizeof(args[0]), "DS:%s:GAUGE:%u:0:U",
		    STORE_COVERAGE_DS, STORE_HEARTBEAT);
	for (c = 0; c < st->ncategories; c++) {
		snprintf(args[argc++], sizeof(args[0]), "-h");
		snprintf(args[argc++], sizeof(args[0]), "%s:%u",
		    st->categories[c], STORE_HEARTBEAT);
	}
	if (k->has_cover) {
		snprintf(args[argc++], sizeof(args[0]), "-h");
		snprintf(args[argc++], sizeof(args[0]), "%s:%u",
		    STORE_COVERAGE_DS, STORE_HEARTBEAT);
	}
	for (i = 0; i < argc; i++)
		if (i != 1)
			argv[i] = args[i];
	rrd_clear_error();
	if (rrd_tune(argc, argv) != 0) {
		snprintf(err, errlen, "%s: cannot add coverage: %s", path,
		    rrd_get_error());
		rrd_clear_error();
		return -1;
	}
	log_info("%s: brought up to the current layout (coverage, gaps "
		 "stored as zeros)",
	    path);
	return 0;
}

/* The patch generation in path's header (0 when it cannot be read). */
static uint64_t
store_read_generation(const char *path)
{
	unsigned char head[256];
	ssize_t	      n;
	int	      fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return 0;
	n = pread(fd, head, sizeof(head), 0);
	close(fd);
	return n > 0 ? rrdfile_generation(head, (size_t)n) : 0;
}

/*
 * Learn name's file: its last update and inode, moving a corrupt or
 * foreign file aside and migrating an older one.  Lock held.  Returns the
 * entry, or NULL with err filled.
 */
static struct store_entry *
store_learn(struct store *st, const char *name, const char *path, char *err,
    size_t errlen)
{
	struct store_entry *e = store_entry(st, name);
	struct store_kind   k;
	char		    why[256];
	uint64_t	    ino;
	int		    r;

	if ((r = store_check_path(path, &ino, err, errlen)) == -1)
		return NULL;
	if (r == 0) {
		e->last = 0;
		e->inode = 0;
		return e;
	}
	if (e->inode == ino && e->last > 0)
		return e; /* known, and nobody replaced it */
	store_flush_locked(st, path);
	if (store_inspect(st, path, &k, why, sizeof(why)) == -1 || !k.ours) {
		if (store_move_aside(path, why, err, errlen) == -1)
			return NULL;
		e->last = 0;
		e->inode = 0;
		return e;
	}
	if (!k.has_cover || k.short_heart) {
		if (store_migrate(st, path, &k, err, errlen) == -1)
			return NULL;
		if (store_check_path(path, &ino, err, errlen) != 1)
			return NULL;
	}
	e->last = k.last;
	e->inode = ino;
	e->gen = store_read_generation(path);
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

/* Seconds on the monotonic clock. */
static double
store_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
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
	st->parts_looked = store_clock();
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
	if (st->nparts == 0 || store_clock() - st->parts_looked >= 5)
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

/* Create path with librrd and the store's layout from start; lock held. */
static int
store_rrd_create(
    struct store *st, const char *path, int64_t start, char *err, size_t errlen)
{
	struct store_archive ar[STORE_ARCHIVES];
	char	    defs[ST_MAX_CATEGORIES + 1 + 2 * STORE_ARCHIVES][64];
	const char *argv[ST_MAX_CATEGORIES + 1 + 2 * STORE_ARCHIVES];
	unsigned    i, n, argc = 0;

	for (i = 0; i < st->ncategories; i++)
		snprintf(defs[argc++], sizeof(defs[0]), "DS:%s:GAUGE:%u:0:U",
		    st->categories[i], STORE_HEARTBEAT);
	snprintf(defs[argc++], sizeof(defs[0]), "DS:%s:GAUGE:%u:0:U",
	    STORE_COVERAGE_DS, STORE_HEARTBEAT);
	n = store_layout(st->step, ar);
	for (i = 0; i < n; i++)
		snprintf(defs[argc++], sizeof(defs[0]), "RRA:AVERAGE:%s:%u:%u",
		    STORE_XFF, ar[i].pdp, ar[i].rows);
	for (i = 1; i < n; i++)
		snprintf(defs[argc++], sizeof(defs[0]), "RRA:MAX:%s:%u:%u",
		    STORE_XFF, ar[i].pdp, ar[i].rows);
	for (i = 0; i < argc; i++)
		argv[i] = defs[i];
	rrd_clear_error();
	if (rrd_create_r(path, st->step, (time_t)start, (int)argc, argv) != 0) {
		snprintf(err, errlen, "create %s: %s", path, rrd_get_error());
		rrd_clear_error();
		return -1;
	}
	return 0;
}

static unsigned char *store_read_fd(
    int fd, const char *path, size_t *len, char *err, size_t errlen);

/*
 * The header every new file starts from: a file librrd makes once per
 * process (beside the data, then removed), kept in memory.  Lock held.
 */
static int
store_template(struct store *st, char *err, size_t errlen)
{
	char	path[PATH_MAX + 64];
	int	fd;
	size_t	len;
	int64_t start;

	if (st->tmpl != NULL)
		return 0;
	snprintf(path, sizeof(path), "%s/.template.%ld.rrd", st->data_dir,
	    (long)getpid());
	unlink(path);
	/* Any start at a day boundary: no row of any archive under way. */
	start = 86400LL * 20000;
	if (store_rrd_create(st, path, start, err, errlen) == -1)
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	unlink(path);
	if (fd == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	st->tmpl = store_read_fd(fd, path, &len, err, errlen);
	close(fd);
	if (st->tmpl == NULL)
		return -1;
	if (rrdfile_parse(st->tmpl, len, &st->tmpl_layout, err, errlen) == -1) {
		free(st->tmpl);
		st->tmpl = NULL;
		return -1;
	}
	return 0;
}

/*
 * Create path with the store's layout and its last update at start; lock
 * held.  Only the header is written: the rows are a hole of zeros (see
 * rrdfile_header), known zeros with zero coverage, "nothing reported".
 */
static int
store_create_file(
    struct store *st, const char *path, int64_t start, char *err, size_t errlen)
{
	unsigned char *hdr;
	size_t	       len, off = 0;
	int	       fd, saved;

	if (st->rrdcached != NULL) {
		rrd_clear_error();
		rrdc_forget(path);
		rrd_clear_error();
	}
	if (store_template(st, err, errlen) == -1)
		return -1;
	len = st->tmpl_layout.data_off;
	if ((hdr = malloc(len)) == NULL)
		abort();
	if (rrdfile_header(
		st->tmpl, &st->tmpl_layout, start, hdr, err, errlen) == -1) {
		free(hdr);
		return -1;
	}
	fd = open(
	    path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd == -1)
		goto fail;
	while (off < len) {
		ssize_t w = write(fd, hdr + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = ENOSPC;
			goto fail_fd;
		}
		off += (size_t)w;
	}
	if (ftruncate(fd, (off_t)st->tmpl_layout.size) == -1)
		goto fail_fd;
	close(fd);
	free(hdr);
	return 0;
fail_fd:
	saved = errno;
	close(fd);
	unlink(path);
	errno = saved;
fail:
	snprintf(err, errlen, "create %s: %s", path, strerror(errno));
	free(hdr);
	return -1;
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
		if (store_create_file(st, path, start, err, errlen) == -1)
			return -1;
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
	} else if (created) {
		unlink(path);
		e->inode = 0;
		e->last = 0;
	} else {
		/* Another collector may have written it since: learn it again. */
		e->last = 0;
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

/* Read all of the open regular file fd into memory. */
static unsigned char *
store_read_fd(int fd, const char *path, size_t *len, char *err, size_t errlen)
{
	struct stat    sb;
	unsigned char *b;
	size_t	       off = 0;

	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if ((b = malloc((size_t)sb.st_size + 1)) == NULL)
		abort();
	while (off < (size_t)sb.st_size) {
		ssize_t r =
		    pread(fd, b + off, (size_t)sb.st_size - off, (off_t)off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		off += (size_t)r;
	}
	if (off != (size_t)sb.st_size) {
		snprintf(err, errlen, "%s: short read", path);
		free(b);
		return NULL;
	}
	*len = off;
	return b;
}

/*
 * 1 when the file behind fd no longer holds orig[0..len): another process
 * (a second collector's rrdcached) wrote it while it was being patched.
 */
static int
store_changed(int fd, const unsigned char *orig, size_t len)
{
	unsigned char *now;
	size_t	       n;
	char	       err[64];
	int	       changed;

	if ((now = store_read_fd(fd, "", &n, err, sizeof(err))) == NULL)
		return 1;
	changed = n != len || memcmp(now, orig, len) != 0;
	free(now);
	return changed;
}

/* 1 when buf[0..len) is all zero bytes. */
static int
store_zero(const unsigned char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (buf[i] != 0)
			return 0;
	return 1;
}

/*
 * Write img to a temporary file beside path, sync it and rename it over
 * path, then sync the directory: the file is replaced whole or not at all.
 */
static int
store_replace(struct store *st, const char *path, const unsigned char *img,
    size_t len, char *err, size_t errlen)
{
	char   tmp[PATH_MAX + 32];
	size_t off = 0;
	int    fd, dfd, saved;

	snprintf(tmp, sizeof(tmp), "%s/" STORE_PATCH_TMP, st->data_dir,
	    (long)getpid());
	fd = open(
	    tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd == -1)
		goto fail;
	/* Blocks of zeros stay holes, as in the file being replaced. */
	while (off < len) {
		size_t	chunk = len - off < 4096 ? len - off : 4096;
		ssize_t w;

		if (store_zero(img + off, chunk)) {
			off += chunk;
			continue;
		}
		w = pwrite(fd, img + off, chunk, (off_t)off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = ENOSPC;
			goto fail_fd;
		}
		off += (size_t)w;
	}
	if (ftruncate(fd, (off_t)len) == -1 || fdatasync(fd) == -1)
		goto fail_fd;
	close(fd);
	if (rename(tmp, path) == -1)
		goto fail_unlink;
	if ((dfd = open(st->data_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) !=
	    -1) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
fail_fd:
	saved = errno;
	close(fd);
	errno = saved;
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
store_patch_image(struct store *st, unsigned char *img, size_t len,
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
 * Take (F_WRLCK) or give back (F_UNLCK) name's patch lock: one byte of
 * STORE_PATCH_LOCK chosen by a hash of the name, so that two collectors
 * sharing the data directory never patch one file at once (the later would
 * build on the copy the earlier replaced, and undo its counts).  fcntl
 * locks are per process; the store lock orders the threads of this one.
 */
static void
store_patch_lock(struct store *st, const char *name, short type)
{
	static const uint8_t key[SIPHASH_KEY_LEN]; /* every collector's */
	struct flock	     fl;

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
	store_patch_lock(st, name, F_WRLCK);
	locked = 1;
	if (store_flush_locked(st, path) == -1) {
		snprintf(err, errlen, "%s: rrdcached could not flush it", path);
		goto done;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto done;
	}
	for (attempt = 0;; attempt++) {
		free(orig);
		free(img);
		img = NULL;
		if ((orig = store_read_fd(fd, path, &len, err, errlen)) == NULL)
			goto done;
		if ((img = malloc(len + 1)) == NULL)
			abort();
		memcpy(img, orig, len);
		*inexact = 0;
		gen = rrdfile_generation(orig, len) + 1;
		rrdfile_set_generation(img, gen);
		if (store_patch_image(
			st, img, len, pts, n, inexact, err, errlen) == -1 ||
		    store_replace(st, path, img, len, err, errlen) == -1)
			goto done;
		if (st->rrdcached == NULL)
			break; /* this process is the only writer */
		usleep(2000);  /* a write begun before the rename ends */
		if (!store_changed(fd, orig, len))
			break;
		if (attempt == 3) {
			snprintf(err, errlen,
			    "%s: written by another process during every try "
			    "to add late counts",
			    path);
			goto done;
		}
	}
	store_check_path(path, &e->inode, err, errlen);
	e->gen = gen;
	rc = 0;
done:
	if (locked)
		store_patch_lock(st, name, F_UNLCK);
	store_unlock(st);
	if (fd != -1)
		close(fd);
	free(orig);
	free(img);
	return rc;
}

/* Flush rrdcached and sync the data directory's file system. */
int
store_sync(struct store *st, char *err, size_t errlen)
{
	int fd, ret = 0;

	store_lock(st);
	if (store_rrdcached_same(st, err, errlen) == -1)
		ret = -1;
	else if (st->rrdcached != NULL && store_flush_dirty(st) > 0) {
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
