/*
 * journal.c -- segment files of checksummed records, replay, and removal.
 *
 * Owns the files under <data-dir>/journal: NNNNNNNNNNNNNNNN.log segments,
 * each a header record naming the step and categories followed by
 * submission records.  Every record is
 *
 *	u32 magic | u32 payload length | u32 CRC-32C of payload | payload
 *
 * in little-endian order.  It knows nothing of idempotency or aggregation;
 * the ingest module feeds it records and consumes the replay.
 */
#include "journal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../lib/crc32c.h"
#include "../lib/fault.h"
#include "../lib/log.h"
#include "../lib/step.h"

#define REC_MAGIC	0x314a5453U /* "STJ1" */
#define HDR_MAGIC	0x484a5453U /* "STJH" */
#define JOURNAL_VERSION 1

struct segment {
	uint64_t seq;
	int64_t	 max_step; /* latest step any record touches */
	int64_t	 max_received;
	int64_t	 opened; /* when it was started (0 if replayed) */
	uint64_t bytes;
	uint64_t synced; /* bytes known to be on disk */
	uint64_t records;
};

struct journal {
	char	       *dir;
	char		categories[ST_MAX_CATEGORIES][ST_CATEGORY_MAX + 1];
	unsigned	ncategories;
	unsigned	step;
	uint64_t	segment_bytes;
	unsigned	segment_age;
	int		dirfd;
	int		fd;   /* the open segment, or -1 */
	struct segment *segs; /* oldest first; the last is open if fd != -1 */
	size_t		nsegs;
	uint64_t	next_seq;
	unsigned char  *buf; /* encoding buffer */
	size_t		bufcap;
	struct journal_stats stats;
};

/* Little-endian stores and loads. */
static void
put32(unsigned char *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

static void
put64(unsigned char *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static uint64_t
get64(const unsigned char *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

/* Frame payload[0..len) (already in buf + 12) with magic, length and CRC. */
static size_t
journal_frame(unsigned char *buf, uint32_t magic, size_t len)
{
	put32(buf, magic);
	put32(buf + 4, (uint32_t)len);
	put32(buf + 8, crc32c(0, buf + 12, len));
	return 12 + len;
}

/* Encode r into buf; returns its length. */
size_t
journal_encode(
    const struct journal_record *r, unsigned ncategories, unsigned char *buf)
{
	unsigned char *p = buf + 12;
	size_t	       slen = strlen(r->sub.source), klen = strlen(r->sub.id);
	unsigned       i;

	put64(p, (uint64_t)r->received);
	p += 8;
	put64(p, (uint64_t)r->sub.time);
	p += 8;
	put32(p, r->sub.interval);
	p += 4;
	put64(p, r->sub.hash);
	p += 8;
	*p++ = (unsigned char)ncategories;
	for (i = 0; i < ncategories; i++, p += 8)
		put64(p, r->sub.counts[i]);
	*p++ = (unsigned char)slen;
	memcpy(p, r->sub.source, slen);
	p += slen;
	*p++ = (unsigned char)klen;
	memcpy(p, r->sub.id, klen);
	p += klen;
	return journal_frame(buf, REC_MAGIC, (size_t)(p - (buf + 12)));
}

/* Check a frame at buf; 1 ok (payload length in *plen), 0 incomplete, -1 bad. */
static int
journal_check_frame(
    const unsigned char *buf, size_t len, uint32_t magic, size_t *plen)
{
	uint32_t n;

	if (len < 12)
		return len >= 4 && get32(buf) != magic ? -1 : 0;
	if (get32(buf) != magic)
		return -1;
	n = get32(buf + 4);
	if (n > JOURNAL_RECORD_MAX + 512)
		return -1;
	if (len - 12 < n)
		return 0;
	if (crc32c(0, buf + 12, n) != get32(buf + 8))
		return -1;
	*plen = n;
	return 1;
}

/* Decode one record; 1 decoded, 0 incomplete, -1 invalid. */
int
journal_decode(const unsigned char *buf, size_t len, unsigned ncategories,
    struct journal_record *r, size_t *used)
{
	const unsigned char *p, *end;
	size_t		     plen, slen, klen;
	unsigned	     i;
	int		     rc;

	if ((rc = journal_check_frame(buf, len, REC_MAGIC, &plen)) != 1)
		return rc;
	p = buf + 12;
	end = p + plen;
	memset(r, 0, sizeof(*r));
	if (plen < 29 || p[28] != ncategories ||
	    plen < 29 + 8 * (size_t)ncategories + 2)
		return -1;
	r->received = (int64_t)get64(p);
	r->sub.time = (int64_t)get64(p + 8);
	r->sub.interval = get32(p + 16);
	r->sub.hash = get64(p + 20);
	p += 29;
	for (i = 0; i < ncategories; i++, p += 8)
		r->sub.counts[i] = get64(p);
	slen = *p++;
	if (slen == 0 || slen > ST_SOURCE_MAX || (size_t)(end - p) < slen + 1)
		return -1;
	memcpy(r->sub.source, p, slen);
	p += slen;
	klen = *p++;
	if (klen > ST_KEY_MAX || (size_t)(end - p) != klen)
		return -1;
	memcpy(r->sub.id, p, klen);
	if (memchr(r->sub.source, '\0', slen) != NULL ||
	    memchr(r->sub.id, '\0', klen) != NULL || r->sub.interval == 0 ||
	    r->sub.time <= 0)
		return -1;
	*used = 12 + plen;
	return 1;
}

/* The length of the segment header frame at buf; see journal.h. */
int
journal_header_len(const unsigned char *buf, size_t len, size_t *used)
{
	size_t plen;
	int    r = journal_check_frame(buf, len, HDR_MAGIC, &plen);

	if (r == 1)
		*used = 12 + plen;
	return r;
}

/* Encode the segment header: version, step and category names. */
static size_t
journal_encode_header(const struct journal *j, unsigned char *buf)
{
	unsigned char *p = buf + 12;
	unsigned       i;

	put32(p, JOURNAL_VERSION);
	p += 4;
	put32(p, j->step);
	p += 4;
	*p++ = (unsigned char)j->ncategories;
	for (i = 0; i < j->ncategories; i++) {
		size_t n = strlen(j->categories[i]);

		*p++ = (unsigned char)n;
		memcpy(p, j->categories[i], n);
		p += n;
	}
	return journal_frame(buf, HDR_MAGIC, (size_t)(p - (buf + 12)));
}

/* Check that a segment's header matches this journal's step and categories. */
static int
journal_check_header(const struct journal *j, const unsigned char *buf,
    size_t len, size_t *used, char *why, size_t whylen)
{
	unsigned char want[12 + 9 + ST_MAX_CATEGORIES * (ST_CATEGORY_MAX + 1)];
	size_t	      plen, wlen;

	if (journal_check_frame(buf, len, HDR_MAGIC, &plen) != 1) {
		snprintf(why, whylen, "no valid segment header");
		return -1;
	}
	wlen = journal_encode_header(j, want);
	if (12 + plen != wlen || memcmp(buf + 12, want + 12, plen) != 0) {
		snprintf(why, whylen,
		    "written with another step or other "
		    "categories than configured now");
		return -1;
	}
	*used = 12 + plen;
	return 0;
}

/* The last step label that a record touches. */
static int64_t
journal_record_step(const struct journal *j, const struct journal_record *r)
{
	return step_end_of(r->sub.time - 1, j->step);
}

/* Write all of buf[0..len) to fd; -1 with errno set on failure. */
static int
journal_write_all(int fd, const unsigned char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			errno = ENOSPC;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The path of segment seq, into buf. */
static void
journal_path(const struct journal *j, uint64_t seq, char *buf, size_t len)
{
	snprintf(buf, len, JOURNAL_SEGMENT_FMT, j->dir, seq);
}

/* Grow the segment table by one entry and return it. */
static struct segment *
journal_add_segment(struct journal *j, uint64_t seq)
{
	struct segment *s;

	s = reallocarray(j->segs, j->nsegs + 1, sizeof(*j->segs));
	if (s == NULL)
		abort();
	j->segs = s;
	s = &j->segs[j->nsegs++];
	memset(s, 0, sizeof(*s));
	s->seq = seq;
	s->max_step = INT64_MIN;
	s->max_received = INT64_MIN;
	if (seq >= j->next_seq)
		j->next_seq = seq + 1;
	return s;
}

/* Start a new segment file with its header; -1 with errno on failure. */
static int
journal_start_segment(struct journal *j, int64_t now)
{
	unsigned char hdr[12 + 9 + ST_MAX_CATEGORIES * (ST_CATEGORY_MAX + 1)];
	char	      path[4096];
	size_t	      len;
	int	      fd, saved;

	journal_path(j, j->next_seq, path, sizeof(path));
	fd = open(path,
	    O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd == -1)
		return -1;
	len = journal_encode_header(j, hdr);
	if (journal_write_all(fd, hdr, len) == -1 || fdatasync(fd) == -1 ||
	    fsync(j->dirfd) == -1) {
		saved = errno;
		close(fd);
		unlink(path);
		errno = saved;
		return -1;
	}
	j->fd = fd;
	journal_add_segment(j, j->next_seq)->opened = now;
	j->segs[j->nsegs - 1].bytes = len;
	j->segs[j->nsegs - 1].synced = len;
	j->stats.segments++;
	return 0;
}

/* Open (creating) the journal directory. */
struct journal *
journal_open(const struct journal_settings *s, char *err, size_t errlen)
{
	struct journal *j;

	if (mkdir(s->dir, 0700) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", s->dir, strerror(errno));
		return NULL;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL ||
	    (j->dir = strdup(s->dir)) == NULL)
		abort();
	memcpy(j->categories, s->categories,
	    s->ncategories * sizeof(j->categories[0]));
	j->ncategories = s->ncategories;
	j->step = s->step;
	j->segment_bytes = s->segment_bytes;
	j->segment_age = s->segment_age;
	j->fd = -1;
	j->next_seq = 1;
	j->dirfd =
	    open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (j->dirfd == -1) {
		snprintf(err, errlen, "%s: %s", s->dir, strerror(errno));
		journal_close(j);
		return NULL;
	}
	return j;
}

/* Close the journal; appended records stay on disk. */
void
journal_close(struct journal *j)
{
	if (j == NULL)
		return;
	if (j->fd != -1)
		close(j->fd);
	if (j->dirfd != -1)
		close(j->dirfd);
	free(j->segs);
	free(j->buf);
	free(j->dir);
	free(j);
}

/* qsort comparison for segment numbers. */
static int
journal_cmp_seq(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* List the segment numbers of a journal directory, sorted; see journal.h. */
int
journal_segments(
    const char *dir, uint64_t **out, size_t *n, char *err, size_t errlen)
{
	DIR	      *d;
	struct dirent *de;
	uint64_t      *seqs = NULL;
	size_t	       cnt = 0;

	if ((d = opendir(dir)) == NULL) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		char		  *end;
		unsigned long long v;

		if (strlen(de->d_name) != 20 ||
		    strcmp(de->d_name + 16, ".log") != 0)
			continue;
		errno = 0;
		v = strtoull(de->d_name, &end, 10);
		if (errno != 0 || end != de->d_name + 16)
			continue;
		if ((seqs = reallocarray(seqs, cnt + 1, sizeof(*seqs))) == NULL)
			abort();
		seqs[cnt++] = v;
	}
	closedir(d);
	if (cnt > 1)
		qsort(seqs, cnt, sizeof(*seqs), journal_cmp_seq);
	*out = seqs;
	*n = cnt;
	return 0;
}

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

/* Close the open segment if it is full or old, so it can be removed later. */
static void
journal_maybe_rotate(struct journal *j, int64_t now)
{
	struct segment *s;

	if (j->fd == -1)
		return;
	s = &j->segs[j->nsegs - 1];
	if (s->records == 0)
		return;
	if (s->bytes < j->segment_bytes &&
	    now - s->opened < (int64_t)j->segment_age && now >= s->opened)
		return;
	close(j->fd);
	j->fd = -1;
}

/* Append n records to the open segment; see journal.h. */
int
journal_append(struct journal *j, const struct journal_record *recs, size_t n,
    int64_t now, uint64_t *end, int *errnum, char *err, size_t errlen)
{
	struct segment *s;
	size_t		need = n * JOURNAL_RECORD_MAX, len = 0, i;
	int64_t		max_step = INT64_MIN, max_recv = INT64_MIN;

	journal_maybe_rotate(j, now);
	if (j->fd == -1 && journal_start_segment(j, now) == -1) {
		*errnum = errno;
		snprintf(err, errlen, "journal: cannot start a segment: %s",
		    strerror(errno));
		return -1;
	}
	if (need > j->bufcap) {
		free(j->buf);
		if ((j->buf = malloc(need)) == NULL)
			abort();
		j->bufcap = need;
	}
	for (i = 0; i < n; i++) {
		int64_t st = journal_record_step(j, &recs[i]);

		len += journal_encode(&recs[i], j->ncategories, j->buf + len);
		if (st > max_step)
			max_step = st;
		if (recs[i].received > max_recv)
			max_recv = recs[i].received;
	}
	s = &j->segs[j->nsegs - 1];
	if ((errno = fault_at("journal_write", NULL)) != 0 ||
	    journal_write_all(j->fd, j->buf, len) == -1) {
		*errnum = errno;
		snprintf(
		    err, errlen, "journal: write failed: %s", strerror(errno));
		/* Leave no partial record behind for a later append to follow. */
		if (ftruncate(j->fd, (off_t)s->bytes) == -1) {
			close(j->fd);
			j->fd = -1;
		}
		return -1;
	}
	s->bytes += len;
	s->records += n;
	*end = JOURNAL_POS(s->seq, s->bytes);
	if (max_step > s->max_step)
		s->max_step = max_step;
	if (max_recv > s->max_received)
		s->max_received = max_recv;
	j->stats.records += n;
	j->stats.bytes += len;
	return 0;
}

/* Make what was appended durable. */
int
journal_sync(struct journal *j, int *errnum, char *err, size_t errlen)
{
	if (j->fd == -1)
		return 0;
	struct segment *s = &j->segs[j->nsegs - 1];

	if ((errno = fault_at("journal_sync", NULL)) != 0 ||
	    fdatasync(j->fd) == -1) {
		*errnum = errno;
		snprintf(err, errlen, "journal: fdatasync failed: %s",
		    strerror(errno));
		/*
		 * The records were not acknowledged: take them back out, so a
		 * replay cannot count them, and start a new segment, since after
		 * a failed sync the file's state on disk is unknown.
		 */
		if (ftruncate(j->fd, (off_t)s->synced) == 0)
			s->bytes = s->synced;
		close(j->fd);
		j->fd = -1;
		return -1;
	}
	s->synced = s->bytes;
	j->stats.syncs++;
	return 0;
}

/* Remove closed segments that are no longer needed. */
void
journal_gc(struct journal *j, uint64_t through_pos, int64_t through_step,
    int64_t received_before)
{
	size_t i, keep = 0;
	size_t closed = j->fd != -1 ? j->nsegs - 1 : j->nsegs;

	for (i = 0; i < j->nsegs; i++) {
		struct segment *s = &j->segs[i];
		char		path[4096];

		if (i < closed && keep == 0 &&
		    JOURNAL_POS(s->seq, s->bytes) <= through_pos &&
		    s->max_step <= through_step &&
		    s->max_received < received_before) {
			char skip[4200];

			journal_path(j, s->seq, path, sizeof(path));
			snprintf(skip, sizeof(skip), "%s.skip", path);
			unlink(skip);
			if (unlink(path) == -1 && errno != ENOENT) {
				log_warn("journal: cannot remove %s: %s", path,
				    strerror(errno));
				j->segs[keep++] = *s;
			}
			continue;
		}
		j->segs[keep++] = *s;
	}
	if (keep != j->nsegs)
		fsync(j->dirfd);
	j->nsegs = keep;
	j->stats.segments = keep;
}

/* The position just after the last record written, for a first checkpoint. */
uint64_t
journal_end(const struct journal *j)
{
	if (j->nsegs == 0)
		return JOURNAL_POS(j->next_seq, 0);
	return JOURNAL_POS(
	    j->segs[j->nsegs - 1].seq, j->segs[j->nsegs - 1].bytes);
}

/* Copy the counters. */
void
journal_get_stats(const struct journal *j, struct journal_stats *out)
{
	*out = j->stats;
}
