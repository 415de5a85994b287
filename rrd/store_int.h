/*
 * store_int.h -- what rrd/store.c, store_file.c, store_patch.c and
 * store_sync.c share: the store's state and the calls each makes into the
 * others.  Private to those files; everything else goes through store.h.
 *
 * store.c owns the table of files (what is known of each) and appending;
 * store_file.c makes whole files: new ones from the template header, older
 * layouts brought up to date; store_patch.c adds late counts by copy and
 * rename; store_sync.c gets what was written onto the disk (rrdcached
 * flushes, syncing the file system).  Unless said otherwise, the functions
 * below run with the store lock held.
 */
#ifndef ST_STORE_INT_H
#define ST_STORE_INT_H

#include <sys/stat.h>

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "../lib/strmap.h"
#include "rrdfile.h"
#include "store.h"

/* The temporary file of a new file or a patch, per process. */
#define STORE_PATCH_TMP ".patch.%ld.tmp"

/* One file's state; the value of the store's table. */
struct store_entry {
	int64_t	 last;
	uint64_t inode;
	uint64_t gen;	/* patch generation of the file */
	int	 cover; /* it has the coverage data source */
	int	 dirty; /* updated through rrdcached, not flushed */
};

/* The store: its settings, its table of files and what new files start from. */
struct store {
	/*
	 * The store lock is taken in turn (a ticket each): the writer and the
	 * index's reading of files take it once per file, over and over, and
	 * a plain mutex let them starve a reader that waited between two.
	 */
	pthread_mutex_t lock;
	pthread_cond_t	turn;
	uint64_t	tickets, serving;
	char	       *data_dir;
	unsigned	step;
	char		categories[ST_MAX_CATEGORIES][ST_CATEGORY_MAX + 1];
	unsigned	ncategories;
	char	       *rrdcached;
	struct strmap  *files; /* name -> struct store_entry * */
	unsigned char  *tmpl;  /* header of new files (store_file_template) */
	struct rrdfile_layout tmpl_layout;
	char	    parts[STORE_MAX_PARTS][ST_SOURCE_MAX + 1]; /* _total's */
	size_t	    nparts;
	double	    parts_looked; /* monotonic seconds */
	int	    patch_fd; /* the patch lock file (store_patch.c), or -1 */
	int	    patch_tried; /* it was opened, or that failed */
	struct stat rrdc_sock;	 /* rrdcached's socket when first met */
	int	    rrdc_met;	 /* 0: not yet, or not a unix socket */
	int	    rrdc_lost;	 /* started anew since: nothing is written */
	int	    holes;	 /* unwritten rows stay holes (store_file.c) */
	int	    shared;	 /* other collectors write the directory */
	int	    fill_warned; /* store_file_fill_holes said it is short */
};

/* What store_file_inspect learns of a file. */
struct store_kind {
	int64_t last;
	int	ours;	     /* our step and categories, in order */
	int	has_cover;   /* the coverage data source is there */
	int	short_heart; /* a heartbeat shorter than STORE_HEARTBEAT */
};

/* store.c: the table of files. */

/*
 * Learn name's file (path): its last update and inode, moving a corrupt or
 * foreign file aside and migrating an older one.  Returns the table's
 * entry (owned by the store), or NULL with err filled.
 */
struct store_entry *store_learn(struct store *st, const char *name,
    const char *path, char *err, size_t errlen);

/*
 * lstat path: 1 a regular file (its inode in *inode), 0 absent, -1 with
 * err filled for anything else (a symlink, a directory, an I/O error).
 */
int store_check_path(
    const char *path, uint64_t *inode, char *err, size_t errlen);

/* store_file.c: whole files. */

/*
 * Read path's header into *k.  Returns 0, or -1 with why filled when it is
 * not an RRD file librrd can read.
 */
int store_file_inspect(struct store *st, const char *path, struct store_kind *k,
    char *why, size_t whylen);

/*
 * Refuse (-1 with err) a data directory whose _total.rrd was made with
 * another step or other categories.  Called by store_create (no lock yet).
 */
int store_file_check_layout(struct store *st, char *err, size_t errlen);

/*
 * Remove the temporary copies of patches that a crash interrupted, but not
 * those of a live process sharing the data directory.  Called by
 * store_create.
 */
void store_file_clean_tmp(struct store *st);

/*
 * 1 when path reads whole as an RRD file by rrdfile_parse (no lock taken):
 * a file librrd refused for a moment is not corrupt.
 */
int store_file_intact(const char *path);

/* Move a corrupt or foreign file aside to <path>.corrupt[.N]; -1 with err. */
int store_file_move_aside(
    const char *path, const char *why, char *err, size_t errlen);

/*
 * Bring a file of the older layout (k) up to date: the coverage data
 * source and the long heartbeat.  Its inode changes.  -1 with err.
 */
int store_file_migrate(struct store *st, const char *path,
    const struct store_kind *k, char *err, size_t errlen);

/* The patch generation in path's header (0 when it cannot be read). */
uint64_t store_file_generation(const char *path);

/*
 * Create path with the store's layout and its last update at start: the
 * header, then zero rows whose blocks are reserved, not written, linked
 * into place whole.  Returns 0,
 * 1 when another process made path first (left as it is), or -1 with err.
 */
int store_file_create(struct store *st, const char *path, int64_t start,
    char *err, size_t errlen);

/*
 * Reserve the blocks of the first len bytes of fd without writing them:
 * 0, or -1 with errno set.
 */
int store_file_reserve(int fd, off_t len);

/*
 * Write this process's temporary file (STORE_PATCH_TMP, its path into tmp)
 * of size bytes: img[0..len) and zeros after, the blocks of zeros reserved
 * (unless the store keeps holes) rather than written; with sync, synced.
 * Returns 0, or -1 with errno set and nothing left behind.
 */
int store_file_write_tmp(struct store *st, const unsigned char *img, size_t len,
    size_t size, int sync, char *tmp, size_t tmplen);

/*
 * Read all of the open regular file fd (path, for errors) into memory:
 * the bytes (malloc'd) and *len, or NULL with err filled.
 */
unsigned char *store_file_read(
    int fd, const char *path, size_t *len, char *err, size_t errlen);

/*
 * Reserve the blocks of an existing file that has holes (one made before
 * blocks were reserved), when the file system keeps enough free space
 * after it (else the holes stay, said once in the log): 0, or -1 with err
 * filled when the reservation fails.
 */
int store_file_fill_holes(
    struct store *st, const char *path, char *err, size_t errlen);

/* store_sync.c: onto the disk. */

/*
 * 0 when rrdcached is still the process the store first wrote through (or
 * none is used); -1 with err once it was started anew.
 */
int store_rrdcached_same(struct store *st, char *err, size_t errlen);

/* Ask rrdcached (if one is used) to write out path's updates; -1 on failure. */
int store_flush_locked(struct store *st, const char *path);

/*
 * Flush every file updated through rrdcached since its last flush; with
 * relock, the lock is dropped and taken again around each file.  Returns
 * the number of failures.
 */
int store_flush_dirty(struct store *st, int relock);

#endif
