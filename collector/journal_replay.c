/*
 * journal_replay.c -- reading the journal's segments back at start, and
 * what is done with what a crash or a bad disk left in them.
 *
 * Owns the rules for damage, which keep a 2xx meaning "on disk":
 *   - a segment whose header never reached the disk held nothing that was
 *     acknowledged: it is removed;
 *   - a record cut short at the end of a segment (a torn tail) was never
 *     acknowledged: it is cut off with a warning;
 *   - a whole record that is wrong at the end of a segment (a flipped bit)
 *     may have been acknowledged: its bytes are kept in <segment>.damaged
 *     and an error is logged;
 *   - damage followed by valid records stops the start, unless
 *     --journal-recover is given: the damaged bytes are kept in .damaged,
 *     their range is noted in <segment>.skip (so positions do not move and
 *     later starts skip it too), and the records after them are replayed.
 * It does not append, sync or remove segments (journal.c does), nor decide
 * what a replayed record adds (replay.c does).
 */
#include "journal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/log.h"
#include "journal_int.h"

/* Read a whole file into memory. */
static int
journal_slurp(const char *path, unsigned char **buf, size_t *len)
{
	struct stat    sb;
	unsigned char *b;
	size_t	       off = 0;
	int	       fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return -1;
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	if ((b = malloc((size_t)sb.st_size + 1)) == NULL)
		abort();
	while (off < (size_t)sb.st_size) {
		ssize_t n = read(fd, b + off, (size_t)sb.st_size - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	close(fd);
	*buf = b;
	*len = off;
	return 0;
}

/* The offset of the first valid record in buf[from..len), or 0 if none. */
static size_t
journal_valid_after(
    const struct journal *j, const unsigned char *buf, size_t len, size_t from)
{
	struct journal_record r;
	size_t		      off, used;

	for (off = from; off + 12 <= len; off++)
		if (get32(buf + off) == REC_MAGIC &&
		    journal_decode(
			buf + off, len - off, j->ncategories, &r, &used) == 1)
			return off;
	return 0;
}

/*
 * 1 when buf[0..len) starts with a whole record frame (the magic, and as
 * many bytes as its length says), whatever its checksum: a record that was
 * written in full, as opposed to one cut short or space never written.
 */
static int
journal_whole(const unsigned char *buf, size_t len)
{
	return len >= 12 && get32(buf) == REC_MAGIC &&
	    get32(buf + 4) <= JOURNAL_RECORD_MAX + 512 &&
	    (size_t)get32(buf + 4) <= len - 12;
}

/*
 * Append buf[0..len) (damaged bytes) to path.damaged, synced: they are kept
 * for inspection, never replayed.
 */
static int
journal_keep_aside(const char *path, const unsigned char *buf, size_t len)
{
	char aside[4200];
	int  fd;

	snprintf(aside, sizeof(aside), "%s.damaged", path);
	fd = open(aside, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd == -1 || journal_write_all(fd, buf, len) == -1 ||
	    fsync(fd) == -1) {
		if (fd != -1)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/*
 * The damaged ranges of a segment that a recovery skipped: <path>.skip
 * holds "offset end" lines.  Returns the end of the range starting at off,
 * or 0 when none does.
 */
static size_t
journal_skipped(const char *path, size_t off)
{
	char		   skip[4200];
	unsigned long long a, b;
	size_t		   end = 0;
	FILE		  *fp;

	snprintf(skip, sizeof(skip), "%s.skip", path);
	if ((fp = fopen(skip, "r")) == NULL)
		return 0;
	while (end == 0 && fscanf(fp, "%llu %llu", &a, &b) == 2)
		if (a == off && b > a)
			end = (size_t)b;
	fclose(fp);
	return end;
}

/* Record that [off, end) of path is damaged and skipped. */
static int
journal_skip(const char *path, size_t off, size_t end)
{
	char  skip[4200];
	FILE *fp;
	int   rc;

	snprintf(skip, sizeof(skip), "%s.skip", path);
	if ((fp = fopen(skip, "a")) == NULL)
		return -1;
	fprintf(fp, "%zu %zu\n", off, end);
	rc = fflush(fp) == 0 && fsync(fileno(fp)) == 0 ? 0 : -1;
	fclose(fp);
	return rc;
}

/* Cut segment path at off (a tail that holds no valid record). */
static int
journal_cut(const char *path, size_t off)
{
	return truncate(path, (off_t)off);
}

/* Replay every segment, oldest first; see journal.h. */
int
journal_replay(struct journal *j,
    int (*fn)(void *, const struct journal_record *, uint64_t), void *arg,
    int recover, char *err, size_t errlen)
{
	uint64_t *seqs = NULL;
	size_t	  nseqs, i;
	int	  rc = -1;

	if (journal_segments(j->dir, &seqs, &nseqs, err, errlen) == -1)
		return -1;
	for (i = 0; i < nseqs; i++) {
		char		      path[4096], why[128];
		unsigned char	     *buf = NULL;
		size_t		      len, off = 0, used;
		struct segment	     *seg;
		struct journal_record r;
		int		      last = i + 1 == nseqs, d;

		journal_path(j, seqs[i], path, sizeof(path));
		if (journal_slurp(path, &buf, &len) == -1) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto done;
		}
		if (len == 0 && last) {
			/* Created but the header never made it: nothing acknowledged. */
			free(buf);
			unlink(path);
			continue;
		}
		if (last &&
		    journal_check_frame(buf, len, HDR_MAGIC, &used) != 1 &&
		    !journal_valid_after(j, buf, len, 0)) {
			/* Its header never reached the disk: nothing acknowledged. */
			log_warn(
			    "journal %s: removing a segment whose header was "
			    "never completed",
			    path);
			free(buf);
			unlink(path);
			continue;
		}
		if (journal_check_header(j, buf, len, &off, why, sizeof(why)) ==
		    -1) {
			snprintf(err, errlen,
			    "journal segment %s: %s; move the "
			    "journal directory aside only after its records "
			    "are "
			    "no longer needed",
			    path, why);
			free(buf);
			goto done;
		}
		seg = journal_add_segment(j, seqs[i]);
		while (off < len) {
			size_t next, skipped;

			d = journal_decode(
			    buf + off, len - off, j->ncategories, &r, &used);
			if (d == 1) {
				int64_t st = journal_record_step(j, &r);

				if (st > seg->max_step)
					seg->max_step = st;
				if (r.received > seg->max_received)
					seg->max_received = r.received;
				seg->records++;
				j->stats.replayed++;
				if (fn(arg, &r,
					JOURNAL_POS(seqs[i], off + used)) !=
				    0) {
					snprintf(err, errlen,
					    "replay stopped at %s offset %zu",
					    path, off);
					free(buf);
					goto done;
				}
				off += used;
				continue;
			}
			/* A range an earlier recovery set aside. */
			if ((skipped = journal_skipped(path, off)) > off &&
			    skipped <= len) {
				off = skipped;
				continue;
			}
			next = journal_valid_after(j, buf, len, off + 1);
			if (next == 0 && !journal_whole(buf + off, len - off)) {
				/* A record cut short: a write never acknowledged. */
				log_warn(
				    "journal %s: cutting off a torn tail of "
				    "%zu bytes at offset %zu (a write that "
				    "was never acknowledged)",
				    path, len - off, off);
				if (journal_cut(path, off) == -1) {
					snprintf(err, errlen,
					    "%s: cannot truncate: %s", path,
					    strerror(errno));
					free(buf);
					goto done;
				}
				break;
			}
			if (next == 0) {
				/*
				 * Whole but wrong (a bad checksum, a flipped
				 * bit): corruption, not a torn write.  It may
				 * have been acknowledged; its bytes are kept.
				 */
				log_error(
				    "journal %s: the record at offset %zu "
				    "is corrupt (%zu bytes, the end of "
				    "the segment); it cannot be replayed "
				    "and is kept in %s.damaged",
				    path, off, len - off, path);
				if (journal_keep_aside(
					path, buf + off, len - off) == -1 ||
				    journal_cut(path, off) == -1) {
					snprintf(err, errlen,
					    "%s: cannot set the damage aside: "
					    "%s",
					    path, strerror(errno));
					free(buf);
					goto done;
				}
				break;
			}
			if (!recover) {
				snprintf(err, errlen,
				    "journal segment %s is corrupt at offset "
				    "%zu (records follow it); start once with "
				    "--journal-recover to set the damaged "
				    "bytes aside in %s.damaged and replay the "
				    "rest",
				    path, off, path);
				free(buf);
				goto done;
			}
			log_error("journal %s: %zu damaged bytes at offset %zu "
				  "set aside in %s.damaged; the records after "
				  "them are replayed",
			    path, next - off, off, path);
			if (journal_keep_aside(path, buf + off, next - off) ==
				-1 ||
			    journal_skip(path, off, next) == -1) {
				snprintf(err, errlen,
				    "%s: cannot set the damage aside: %s", path,
				    strerror(errno));
				free(buf);
				goto done;
			}
			off = next;
		}
		seg->bytes = off;
		free(buf);
	}
	j->stats.segments = j->nsegs;
	rc = 0;
done:
	free(seqs);
	return rc;
}
