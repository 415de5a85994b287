/*
 * store_sync.c -- getting what the store wrote onto the disk: flushing files
 * out of rrdcached (one, or every file updated through it since its last
 * flush), knowing whether rrdcached is still the process the store first
 * wrote through, and syncing the data directory's file system.
 *
 * Part of the store (store_int.h joins it to store.c and store_file.c); it
 * runs with the store lock held unless said otherwise.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* syncfs, reallocarray */
#endif

#include <rrd.h>
#include <rrd_client.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/log.h"
#include "../lib/strmap.h"
#include "store.h"
#include "store_int.h"

/*
 * 0 when rrdcached is still the process this store first wrote through;
 * -1 with err once its unix socket was made anew.  A restarted rrdcached has
 * lost the updates it had taken and not written (its journal is buffered),
 * and librrd reconnects without a word: from then on nothing is written or
 * recorded as written, so the journal keeps every count until a restart of
 * this collector writes again what the files lack.  Lock held.
 */
int
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

/* A growing list of names. */
struct store_names {
	char **v;
	size_t n, cap;
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

/* Sweep callback: the name of one dirty file into a list. */
static int
store_dirty_one(void *arg, const char *name, void *value)
{
	struct store_names *l = arg;
	struct store_entry *e = value;

	if (!e->dirty)
		return 0;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 256;
		if ((l->v = reallocarray(l->v, l->cap, sizeof(*l->v))) == NULL)
			abort();
	}
	if ((l->v[l->n++] = strdup(name)) == NULL)
		abort();
	return 0;
}

/*
 * Flush every file updated through rrdcached since its last flush (librrd
 * 1.7.2 has no client call for FLUSHALL, and FLUSHALL does not wait for the
 * writes anyway).  Lock held on entry and on return; with relock, it is
 * dropped and taken again around each file, so that with 100,000 files a
 * graph or a page of sources waits for one flush, not for all of them.
 * Returns the number of failures.
 */
int
store_flush_dirty(struct store *st, int relock)
{
	struct flush_ctx    c = {st, 0};
	struct store_names  l = {0};
	struct store_entry *e;
	size_t		    i;

	if (!relock) {
		strmap_sweep(st->files, store_flush_one, &c);
		return c.failed;
	}
	strmap_sweep(st->files, store_dirty_one, &l);
	for (i = 0; i < l.n; i++) {
		if ((e = strmap_get(st->files, l.v[i])) != NULL)
			store_flush_one(&c, l.v[i], e);
		store_unlock(st);
		store_lock(st);
	}
	store_names_free(l.v, l.n);
	return c.failed;
}

/* Ask rrdcached (if used) to write out path's pending updates; lock held. */
int
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

/* Flush rrdcached and sync the data directory's file system. */
int
store_sync(struct store *st, char *err, size_t errlen)
{
	int fd, ret = 0;

	store_lock(st);
	if (store_rrdcached_same(st, err, errlen) == -1)
		ret = -1;
	else if (st->rrdcached != NULL && store_flush_dirty(st, 1) > 0) {
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
