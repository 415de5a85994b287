/*
 * store_file.c -- making whole RRD files: creating new ones from a
 * template header, moving corrupt or foreign ones aside, bringing older
 * layouts up to date, and reading whole files.
 *
 * Owns the archive layout every file is made with, the template header
 * (made by librrd once per process), and the temporary files (of new files
 * and of patches: .patch.<pid>.tmp, removed at start when their process is
 * gone).  It does not keep the table of files nor append steps (store.c
 * does), nor patch late counts in (store_patch.c does); the three share
 * store_int.h, and rows are edited only through rrdfile.c.
 *
 * Crash safety.  A new file is its header and zero rows, "nothing
 * reported", whose blocks are reserved (fallocate) but not written, so
 * making a file stays cheap.  Reserved, not left as holes: librrd writes
 * rows through a shared mapping, and a first write into a hole on a full
 * file system kills the process with SIGBUS; with the blocks reserved a
 * full disk is an error when the file is made, reported and retried.  A
 * new file is written under a temporary name and linked into place whole,
 * so another process never sees half of it, and one another collector
 * made first is kept.
 */
#include "store.h"

#include <rrd.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "../lib/fault.h"
#include "../lib/log.h"
#include "rrdfile.h"
#include "store_int.h"

#define STORE_XFF	"0.5"
#define STORE_DAY	86400LL
#define STORE_HEARTBEAT 316224000U /* ten years: a gap is ours to fill */

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

/*
 * Read path's header into *k.  Returns 0, or -1 with why filled when it is
 * not an RRD file librrd can read.  Lock held.
 */
int
store_file_inspect(struct store *st, const char *path, struct store_kind *k,
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
int
store_file_check_layout(struct store *st, char *err, size_t errlen)
{
	char		  path[PATH_MAX], why[256];
	struct store_kind k;
	struct stat	  sb;

	snprintf(
	    path, sizeof(path), "%s/%s.rrd", st->data_dir, ST_TOTAL_SOURCE);
	if (lstat(path, &sb) == -1 || !S_ISREG(sb.st_mode))
		return 0;
	if (store_file_inspect(st, path, &k, why, sizeof(why)) == -1 || k.ours)
		return 0; /* not an RRD at all: moved aside when written */
	snprintf(err, errlen,
	    "data directory %s was made with another step or other categories "
	    "(%s: %s); start with the step and categories it was made with, "
	    "or use a new data directory",
	    st->data_dir, path, why);
	return -1;
}

/*
 * Add the coverage data source and the long heartbeat to a file of the
 * older layout (rrdtool tune rewrites it under a new inode).  Lock held.
 */
int
store_file_migrate(struct store *st, const char *path,
    const struct store_kind *k, char *err, size_t errlen)
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

/*
 * Reserve the blocks of the first len bytes of fd without writing them
 * (see the top of the file).  Returns 0, or -1 with errno set.
 */
int
store_file_reserve(int fd, off_t len)
{
	int r;

	if ((errno = fault_at("store_reserve", NULL)) != 0)
		return -1;
	if (fallocate(fd, 0, 0, len) == 0)
		return 0;
	if (errno != EOPNOTSUPP)
		return -1;
	if ((r = posix_fallocate(fd, 0, len)) != 0) {
		errno = r;
		return -1;
	}
	return 0;
}

/* Read all of the open regular file fd into memory. */
unsigned char *
store_file_read(int fd, const char *path, size_t *len, char *err, size_t errlen)
{
	struct stat    sb;
	unsigned char *b;
	size_t	       off = 0;

	if (fstat(fd, &sb) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (!S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		return NULL;
	}
	if (sb.st_size > (off_t)1 << 30) {
		snprintf(err, errlen, "%s: over 1 GiB, not an RRD file of ours",
		    path);
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
 * 1 when path reads as a whole RRD file of this machine's format by
 * rrdfile_parse, which takes no lock: librrd refuses a file another
 * process (rrdcached, another collector) holds locked for a moment, and
 * that is no reason to take the file for corrupt.
 */
int
store_file_intact(const char *path)
{
	struct rrdfile_layout l;
	unsigned char	     *buf;
	char		      err[256];
	size_t		      len;
	int		      fd, ok = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return 0;
	if ((buf = store_file_read(fd, path, &len, err, sizeof(err))) != NULL) {
		ok = rrdfile_parse(buf, len, &l, err, sizeof(err)) == 0;
		free(buf);
	}
	close(fd);
	return ok;
}

/* Move a corrupt or foreign file aside to <path>.corrupt[.N]. */
int
store_file_move_aside(
    const char *path, const char *why, char *err, size_t errlen)
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

/* The patch generation in path's header (0 when it cannot be read). */
uint64_t
store_file_generation(const char *path)
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
 * Remove the temporary copies that patches interrupted by a crash left
 * (void: their file was never replaced), but not those of a live process
 * sharing the data directory.
 */
void
store_file_clean_tmp(struct store *st)
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
		/* EPERM: alive, another user's. */
		if (pid != (long)getpid() &&
		    (kill((pid_t)pid, 0) == 0 || errno == EPERM))
			continue;
		snprintf(path, sizeof(path), "%s/%s", st->data_dir, de->d_name);
		unlink(path);
	}
	closedir(d);
}

/* Create path with librrd and the store's layout from start; lock held. */
static int
store_file_rrd_create(
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

/*
 * The header every new file starts from: a file librrd makes once per
 * process (beside the data, then removed), kept in memory.  Lock held.
 */
static int
store_file_template(struct store *st, char *err, size_t errlen)
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
	if (store_file_rrd_create(st, path, start, err, errlen) == -1)
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	unlink(path);
	if (fd == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	st->tmpl = store_file_read(fd, path, &len, err, errlen);
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

/* 1 when buf[0..len) is all zero bytes. */
static int
store_file_zero(const unsigned char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (buf[i] != 0)
			return 0;
	return 1;
}

/* Write this process's temporary file; see store_int.h. */
int
store_file_write_tmp(struct store *st, const unsigned char *img, size_t len,
    size_t size, int sync, char *tmp, size_t tmplen)
{
	size_t off = 0;
	int    fd, saved;

	snprintf(
	    tmp, tmplen, "%s/" STORE_PATCH_TMP, st->data_dir, (long)getpid());
	fd = open(
	    tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd == -1)
		return -1;
	/* Blocks of zeros are reserved (or left as holes), not written. */
	if (!st->holes && store_file_reserve(fd, (off_t)size) == -1)
		goto fail;
	while (off < len) {
		size_t	chunk = len - off < 4096 ? len - off : 4096;
		ssize_t w;

		if (store_file_zero(img + off, chunk)) {
			off += chunk;
			continue;
		}
		w = pwrite(fd, img + off, chunk, (off_t)off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = ENOSPC;
			goto fail;
		}
		off += (size_t)w;
	}
	if (ftruncate(fd, (off_t)size) == -1 || (sync && fdatasync(fd) == -1))
		goto fail;
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	return 0;
fail:
	saved = errno;
	if (fd != -1)
		close(fd);
	unlink(tmp);
	errno = saved;
	return -1;
}

/*
 * Create path with the store's layout and its last update at start; see
 * store_int.h.
 */
int
store_file_create(
    struct store *st, const char *path, int64_t start, char *err, size_t errlen)
{
	unsigned char *hdr;
	char	       tmp[PATH_MAX + 32];
	size_t	       len;
	int	       saved;

	if (store_file_template(st, err, errlen) == -1)
		return -1;
	len = st->tmpl_layout.data_off;
	if ((hdr = malloc(len)) == NULL)
		abort();
	if (rrdfile_header(
		st->tmpl, &st->tmpl_layout, start, hdr, err, errlen) == -1) {
		free(hdr);
		return -1;
	}
	if (store_file_write_tmp(st, hdr, len, st->tmpl_layout.size, 0, tmp,
		sizeof(tmp)) == -1) {
		snprintf(err, errlen, "create %s: %s", path, strerror(errno));
		free(hdr);
		return -1;
	}
	free(hdr);
	if (link(tmp, path) == -1) {
		saved = errno;
		unlink(tmp);
		if (saved == EEXIST)
			return 1;
		snprintf(err, errlen, "create %s: %s", path, strerror(saved));
		return -1;
	}
	unlink(tmp);
	return 0;
}

/*
 * Free space a reservation of old files' holes leaves, at the least: 5 % of
 * the file system, and 1 GiB.  A data directory an older version filled
 * with sparse files may not hold them all at full size, and the journal
 * usually shares its file system.
 */
#define STORE_FILL_KEEP_PCT 5
#define STORE_FILL_KEEP_MIN (1ULL << 30)

/* Reserve the holes of an existing file; see store_int.h. */
int
store_file_fill_holes(
    struct store *st, const char *path, char *err, size_t errlen)
{
	struct statvfs vs;
	struct stat    sb;
	uint64_t       need, avail, keep;
	int	       fd, rc = 0;

	if ((fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return 0; /* not ours to write: learning says so */
	if (fstat(fd, &sb) == -1 || (off_t)sb.st_blocks * 512 >= sb.st_size ||
	    fstatvfs(fd, &vs) == -1)
		goto done;
	need = (uint64_t)sb.st_size - (uint64_t)sb.st_blocks * 512;
	avail = (uint64_t)vs.f_bavail * vs.f_frsize;
	keep = (uint64_t)vs.f_blocks * vs.f_frsize / 100 * STORE_FILL_KEEP_PCT;
	if (keep < STORE_FILL_KEEP_MIN)
		keep = STORE_FILL_KEEP_MIN;
	if (avail < need + keep) {
		if (!st->fill_warned)
			log_warn(
			    "files an older version made with holes keep "
			    "them: reserving their blocks would leave less "
			    "than %d %% (or 1 GiB) of %s free; a full disk "
			    "can then stop the process writing them (free "
			    "space, or set reserve_disk 0)",
			    STORE_FILL_KEEP_PCT, st->data_dir);
		st->fill_warned = 1;
		goto done;
	}
	if (store_file_reserve(fd, sb.st_size) == -1) {
		snprintf(err, errlen, "%s: cannot reserve its blocks: %s", path,
		    strerror(errno));
		rc = -1;
	}
done:
	close(fd);
	return rc;
}
