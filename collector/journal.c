/*
 * journal.c -- segment files of checksummed records: encoding, appending,
 * syncing and removal.
 *
 * Owns the files under <data-dir>/journal: NNNNNNNNNNNNNNNN.log segments,
 * each a header record naming the step and categories followed by
 * submission records.  Every record is
 *
 *	u32 magic | u32 payload length | u32 CRC-32C of payload | payload
 *
 * in little-endian order.  Reading the segments back at start, and what is
 * done with torn or damaged records, is journal_replay.c's (journal_int.h
 * joins the two).  It knows nothing of idempotency or aggregation; the
 * ingest module feeds it records and consumes the replay.
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
#include "journal_int.h"

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
int
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
int
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
int64_t
journal_record_step(const struct journal *j, const struct journal_record *r)
{
	return step_end_of(r->sub.time - 1, j->step);
}

/* Write all of buf[0..len) to fd; -1 with errno set on failure. */
int
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
void
journal_path(const struct journal *j, uint64_t seq, char *buf, size_t len)
{
	snprintf(buf, len, JOURNAL_SEGMENT_FMT, j->dir, seq);
}

/* Grow the segment table by one entry and return it. */
struct segment *
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

/* Number new segments after pos's; see journal.h. */
void
journal_continue_after(struct journal *j, uint64_t pos)
{
	if (JOURNAL_SEQ(pos) >= j->next_seq)
		j->next_seq = JOURNAL_SEQ(pos) + 1;
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
