/*
 * peers.c -- following the journals of the other collectors that share
 * this data directory.
 *
 * Owns the list of peer journal directories and, for each, the segment and
 * offset read up to.  It decodes records (journal.c) and hands them on; it
 * never writes nor removes a peer's file, and a record cut short (still
 * being written) is read on the next scan.
 */
#include "peers.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "journal.h"

/*
 * Seconds between looks for new peers where the data directory's link
 * count does not tell (btrfs keeps it at 1); elsewhere a new journal
 * directory raises it, and it is looked at on every scan.
 */
#define PEERS_RESCAN 30

struct peer {
	char	*dir;
	uint64_t seq; /* segment being read */
	size_t	 off; /* read up to here (0: its header comes first) */
};

struct peers {
	char	    *data_dir;
	char	    *own;
	unsigned     ncategories;
	struct peer *v;
	size_t	     n;
	int64_t	     looked;
	nlink_t	     nlink; /* of data_dir at the last look */
};

/* Add dir as a peer unless it is followed already. */
static void
peers_add(struct peers *p, const char *dir)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (strcmp(p->v[i].dir, dir) == 0)
			return;
	if ((p->v = reallocarray(p->v, p->n + 1, sizeof(*p->v))) == NULL)
		abort();
	memset(&p->v[p->n], 0, sizeof(p->v[p->n]));
	if ((p->v[p->n].dir = strdup(dir)) == NULL)
		abort();
	p->n++;
}

/* Find the journal directories of the data directory that are not ours. */
static void
peers_look(struct peers *p)
{
	DIR	      *d;
	struct dirent *de;
	char	       path[4200];
	struct stat    sb;

	if ((d = opendir(p->data_dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, p->own) == 0 ||
		    (strcmp(de->d_name, "journal") != 0 &&
			strncmp(de->d_name, "journal.", 8) != 0))
			continue;
		snprintf(path, sizeof(path), "%s/%s", p->data_dir, de->d_name);
		if (lstat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
			peers_add(p, path);
	}
	closedir(d);
}

/* Create the follower. */
struct peers *
peers_create(const char *data_dir, const char *own, unsigned ncategories)
{
	struct peers *p;

	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->data_dir = strdup(data_dir)) == NULL ||
	    (p->own = strdup(own)) == NULL)
		abort();
	p->ncategories = ncategories;
	p->looked = INT64_MIN;
	return p;
}

/* Free it. */
void
peers_free(struct peers *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->n; i++)
		free(p->v[i].dir);
	free(p->v);
	free(p->data_dir);
	free(p->own);
	free(p);
}

/*
 * Read segment seq of peer x from x->off to its end: every whole record to
 * fn.  Returns the records read; x->off moves past the last whole one.
 */
static size_t
peers_read(struct peers *p, struct peer *x, uint64_t seq,
    void (*fn)(void *, const struct journal_record *), void *arg)
{
	struct journal_record r;
	unsigned char	     *buf;
	char		      path[4300];
	struct stat	      sb;
	size_t		      len, got = 0, used;
	ssize_t		      k;
	int		      fd;

	snprintf(path, sizeof(path), JOURNAL_SEGMENT_FMT, x->dir, seq);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return 0;
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode) ||
	    (size_t)sb.st_size <= x->off) {
		close(fd);
		return 0;
	}
	len = (size_t)sb.st_size - x->off;
	if ((buf = malloc(len)) == NULL)
		abort();
	k = pread(fd, buf, len, (off_t)x->off);
	close(fd);
	len = k > 0 ? (size_t)k : 0;
	used = 0;
	if (x->off == 0) {
		if (journal_header_len(buf, len, &used) != 1) {
			free(buf);
			return 0;
		}
	}
	while (used < len) {
		size_t n;

		if (journal_decode(
			buf + used, len - used, p->ncategories, &r, &n) != 1)
			break;
		fn(arg, &r);
		used += n;
		got++;
	}
	x->off += used;
	free(buf);
	return got;
}

/* Read what the peers appended since the last scan. */
size_t
peers_scan(struct peers *p, int64_t			     now,
    void (*fn)(void *, const struct journal_record *), void *arg)
{
	struct stat sb;
	uint64_t   *seqs;
	size_t	    i, k, n, got = 0;
	char	    err[256];

	if (stat(p->data_dir, &sb) == 0 && sb.st_nlink != p->nlink) {
		p->nlink = sb.st_nlink;
		p->looked = INT64_MIN;
	}
	if (p->looked == INT64_MIN || now < p->looked ||
	    now - p->looked >= PEERS_RESCAN) {
		peers_look(p);
		p->looked = now;
	}
	for (i = 0; i < p->n; i++) {
		struct peer *x = &p->v[i];

		if (journal_segments(x->dir, &seqs, &n, err, sizeof(err)) == -1)
			continue;
		for (k = 0; k < n; k++) {
			if (seqs[k] < x->seq)
				continue;
			if (seqs[k] > x->seq) {
				x->seq = seqs[k];
				x->off = 0;
			}
			got += peers_read(p, x, seqs[k], fn, arg);
		}
		free(seqs);
	}
	return got;
}

/* Peers followed. */
size_t
peers_count(const struct peers *p)
{
	return p->n;
}
