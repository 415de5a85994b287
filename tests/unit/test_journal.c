/*
 * test_journal.c -- record encoding and decoding, and segment files:
 * replay, rotation, removal, torn tails and corruption.
 */
#define _XOPEN_SOURCE 700
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/crc32c.h"
#include "collector/journal.h"
#include "tap.h"

#define T0     1226448000 /* a multiple of 60 */
#define R0     1226448100
#define MAXREC 64

static const char cats[ST_MAX_CATEGORIES][ST_CATEGORY_MAX + 1] = {
    "spam", "ham", "virus", "rejected"};
static const char other_cats[ST_MAX_CATEGORIES][ST_CATEGORY_MAX + 1] = {
    "spam", "ham", "virus", "bounced"};

static char		     tmpdir[] = "/tmp/st-journal-XXXXXX";
static struct journal_record got[MAXREC];
static uint64_t		     gotpos[MAXREC];
static uint64_t		     lastpos;
static size_t		     ngot;

/* Fill r with a record whose content follows from its arguments. */
static void
make_rec(struct journal_record *r, int64_t received, const char *source,
    const char *id, int64_t time, uint32_t interval, uint64_t base)
{
	unsigned i;

	memset(r, 0, sizeof(*r));
	r->received = received;
	snprintf(r->sub.source, sizeof(r->sub.source), "%s", source);
	snprintf(r->sub.id, sizeof(r->sub.id), "%s", id);
	r->sub.time = time;
	r->sub.interval = interval;
	for (i = 0; i < 4; i++)
		r->sub.counts[i] = base + i;
	r->sub.hash = base * 0x9e3779b97f4a7c15ULL;
}

/* 1 when a and b hold the same record over ncat categories. */
static int
same_rec(const struct journal_record *a, const struct journal_record *b,
    unsigned ncat)
{
	unsigned i;

	if (a->received != b->received || a->sub.time != b->sub.time ||
	    a->sub.interval != b->sub.interval || a->sub.hash != b->sub.hash ||
	    strcmp(a->sub.source, b->sub.source) != 0 ||
	    strcmp(a->sub.id, b->sub.id) != 0)
		return 0;
	for (i = 0; i < ncat; i++)
		if (a->sub.counts[i] != b->sub.counts[i])
			return 0;
	return 1;
}

/* Replay callback: keep a copy of every record, and its position. */
static int
collect(void *arg, const struct journal_record *r, uint64_t pos)
{
	if (ngot < MAXREC) {
		got[ngot] = *r;
		gotpos[ngot] = pos;
	}
	ngot++;
	return 0;
}

/* Replay callback that asks to stop at the second record. */
static int
stop_second(void *arg, const struct journal_record *r, uint64_t pos)
{
	return ++*(int *)arg == 2;
}

/* Open a journal in dir with the given categories and segment size. */
static struct journal *
open_journal(const char *dir, const char (*c)[ST_CATEGORY_MAX + 1],
    unsigned step, uint64_t segment_bytes, char *err, size_t errlen)
{
	struct journal_settings s;

	memset(&s, 0, sizeof(s));
	s.dir = dir;
	s.categories = c;
	s.ncategories = 4;
	s.step = step;
	s.segment_bytes = segment_bytes;
	s.segment_age = 3600;
	return journal_open(&s, err, errlen);
}

/* Open, replay (collecting into got) and return the journal, or NULL. */
static struct journal *
reopen(const char *dir, uint64_t segment_bytes, int recover, int *rc, char *err,
    size_t errlen)
{
	struct journal *j;

	ngot = 0;
	err[0] = '\0';
	if ((j = open_journal(dir, cats, 60, segment_bytes, err, errlen)) ==
	    NULL)
		return NULL;
	*rc = journal_replay(j, collect, NULL, recover, err, errlen);
	return j;
}

/* Append one record; returns journal_append's result. */
static int
append1(struct journal *j, const struct journal_record *r, int64_t now)
{
	char err[256];
	int  errnum = 0;

	if (journal_append(j, r, 1, now, &lastpos, &errnum, err, sizeof(err)) ==
	    -1) {
		diag("append: %s", err);
		return -1;
	}
	return 0;
}

/* The path of segment seq in dir. */
static const char *
seg_path(const char *dir, unsigned seq, const char *suffix)
{
	static char path[600];

	snprintf(path, sizeof(path), "%s/%016u.log%s", dir, seq, suffix);
	return path;
}

/* Size of a file, or -1 when it does not exist. */
static long long
file_size(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == -1 ? -1 : (long long)sb.st_size;
}

/* Append len bytes to the file at path. */
static void
append_bytes(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0600);

	if (fd == -1 || write(fd, buf, len) != (ssize_t)len) {
		perror(path);
		exit(1);
	}
	close(fd);
}

/* XOR one byte of the file at path at offset off. */
static void
flip_byte(const char *path, long long off)
{
	unsigned char b;
	int	      fd = open(path, O_RDWR);

	if (fd == -1 || pread(fd, &b, 1, off) != 1) {
		perror(path);
		exit(1);
	}
	b ^= 0x5a;
	if (pwrite(fd, &b, 1, off) != 1) {
		perror(path);
		exit(1);
	}
	close(fd);
}

/* nftw callback removing everything. */
static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *f)
{
	return remove(path);
}

int
main(void)
{
	struct journal_record r, d, recs[8];
	struct journal_stats  st;
	struct journal	     *j;
	unsigned char buf[JOURNAL_RECORD_MAX + 64], buf2[JOURNAL_RECORD_MAX];
	char	      dir[512], err[1024], want[600], src[ST_SOURCE_MAX + 1],
	    id[ST_KEY_MAX + 1];
	size_t	  len, used, i, bad_zero, bad_other, hdr, reclen;
	long long size;
	int	  rc, errnum, stops;

	plan(63);
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}

	/* The checksum: the standard check value, both ways, every length. */
	is_int(crc32c(0, "123456789", 9), 0xE3069283U,
	    "CRC-32C of \"123456789\" is the standard check value");
	is_int(crc32c_sw(0, "123456789", 9), 0xE3069283U,
	    "the table-driven CRC-32C gives it too");
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)(i * 131 + 7);
	stops = 0;
	for (i = 0; i <= 200; i++)
		if (crc32c(0x1234, buf + (i % 7), i) !=
		    crc32c_sw(0x1234, buf + (i % 7), i))
			stops++;
	ok(stops == 0, "both ways agree on every length and alignment");

	/* Encoding: every field survives, up to the longest source and id. */
	memset(src, 'a', ST_SOURCE_MAX);
	src[ST_SOURCE_MAX] = '\0';
	memset(id, 'k', ST_KEY_MAX);
	id[ST_KEY_MAX] = '\0';
	make_rec(&r, -5, src, id, INT64_MAX, UINT32_MAX, UINT64_MAX - 3);
	len = journal_encode(&r, 4, buf);
	rc = journal_decode(buf, len, 4, &d, &used);
	ok(rc == 1 && used == len,
	    "a record with the longest source and id decodes");
	ok(same_rec(&r, &d, 4),
	    "all fields are identical after the round trip");
	ok(strlen(d.sub.source) == ST_SOURCE_MAX &&
		strlen(d.sub.id) == ST_KEY_MAX,
	    "source and id keep their full length");
	for (i = 0; i < ST_MAX_CATEGORIES; i++)
		r.sub.counts[i] = UINT64_MAX - i;
	len = journal_encode(&r, ST_MAX_CATEGORIES, buf);
	is_int(len, JOURNAL_RECORD_MAX,
	    "the largest record is exactly JOURNAL_RECORD_MAX");
	ok(journal_decode(buf, len, ST_MAX_CATEGORIES, &d, &used) == 1 &&
		same_rec(&r, &d, ST_MAX_CATEGORIES),
	    "sixteen categories round-trip");

	make_rec(&r, R0, "mx1.example.com", "", T0 + 60, 60, 100);
	len = journal_encode(&r, 4, buf);
	memset(buf + len, 0xee, 40);
	ok(journal_decode(buf, len + 40, 4, &d, &used) == 1 && used == len &&
		same_rec(&r, &d, 4),
	    "an empty id round-trips and trailing bytes are not used");

	/* Truncated input is incomplete, never valid nor invalid. */
	bad_zero = 0;
	for (i = 0; i < len; i++)
		if (journal_decode(buf, i, 4, &d, &used) != 0)
			bad_zero++;
	is_int(bad_zero, 0,
	    "every proper prefix of a record decodes as incomplete (0)");

	/* Flipped bytes fail the checksum or the frame. */
	bad_other = bad_zero = 0;
	for (i = 0; i < len; i++) {
		memcpy(buf2, buf, len);
		buf2[i] ^= 0x01;
		rc = journal_decode(buf2, len, 4, &d, &used);
		if (rc == 1)
			bad_zero++;
		if ((i < 4 || i >= 8) && rc != -1)
			bad_other++;
	}
	is_int(bad_zero, 0, "no single flipped bit leaves a valid record");
	is_int(bad_other, 0,
	    "a flip in magic, checksum or payload is invalid (-1)");
	ok(journal_decode(buf, len, 3, &d, &used) == -1 &&
		journal_decode(buf, len, 5, &d, &used) == -1,
	    "a different category count is invalid");

	make_rec(&r, R0, "mx1.example.com", "x", T0, 0, 1);
	len = journal_encode(&r, 4, buf);
	is_int(journal_decode(buf, len, 4, &d, &used), -1,
	    "interval 0 is invalid");
	make_rec(&r, R0, "mx1.example.com", "x", 0, 60, 1);
	len = journal_encode(&r, 4, buf);
	is_int(journal_decode(buf, len, 4, &d, &used), -1, "time 0 is invalid");
	make_rec(&r, R0, "", "x", T0, 60, 1);
	len = journal_encode(&r, 4, buf);
	is_int(journal_decode(buf, len, 4, &d, &used), -1,
	    "an empty source is invalid");

	/* Files: append, sync, replay in order. */
	snprintf(dir, sizeof(dir), "%s/j1", tmpdir);
	j = reopen(dir, 1 << 20, 0, &rc, err, sizeof(err));
	ok(j != NULL && rc == 0 && ngot == 0,
	    "a new journal replays nothing (%s)", err);
	for (i = 0; i < 5; i++) {
		snprintf(src, sizeof(src), "mx%zu.example.com", i);
		snprintf(id, sizeof(id), "id-%zu", i);
		make_rec(&recs[i], R0 + i, src, id, T0 + 60 * i, 60, 10 * i);
	}
	rc = append1(j, &recs[0], R0);
	errnum = 0;
	rc |= journal_append(
	    j, &recs[1], 4, R0, &lastpos, &errnum, err, sizeof(err));
	is_int(rc, 0, "one record, then four in one call, are appended");
	is_int(journal_sync(j, &errnum, err, sizeof(err)), 0, "sync succeeds");
	journal_get_stats(j, &st);
	ok(st.records == 5 && st.syncs == 1 && st.segments == 1,
	    "stats count 5 records, 1 sync, 1 segment");
	journal_close(j);
	j = reopen(dir, 1 << 20, 0, &rc, err, sizeof(err));
	is_int(rc, 0, "replay succeeds");
	is_int(ngot, 5, "all five records come back");
	for (i = 0, bad_zero = 0; i < 5 && i < ngot; i++)
		if (!same_rec(&recs[i], &got[i], 4))
			bad_zero++;
	is_int(bad_zero, 0, "in order, with identical content");
	ok(ngot == 5 && gotpos[0] < gotpos[1] && gotpos[3] < gotpos[4] &&
		gotpos[4] == lastpos,
	    "replay gives each record's position, as append did");
	ok(journal_end(j) == lastpos, "the journal ends at the last record");
	journal_get_stats(j, &st);
	is_int(st.replayed, 5, "stats count the replayed records");
	journal_close(j);

	j = open_journal(dir, cats, 60, 1 << 20, err, sizeof(err));
	stops = 0;
	ok(journal_replay(j, stop_second, &stops, 0, err, sizeof(err)) == -1 &&
		stops == 2,
	    "a callback's nonzero answer stops the replay");
	journal_close(j);

	/* A segment from another configuration is refused. */
	j = open_journal(dir, other_cats, 60, 1 << 20, err, sizeof(err));
	ngot = 0;
	rc = journal_replay(j, collect, NULL, 1, err, sizeof(err));
	ok(rc == -1 && ngot == 0 && strstr(err, "categories") != NULL,
	    "a segment written with other categories is refused (%s)", err);
	journal_close(j);
	j = open_journal(dir, cats, 300, 1 << 20, err, sizeof(err));
	ok(journal_replay(j, collect, NULL, 0, err, sizeof(err)) == -1,
	    "a segment written with another step is refused");
	journal_close(j);

	/* A file of zero bytes as the newest segment is removed. */
	append_bytes(seg_path(dir, 9, ""), "", 0);
	j = reopen(dir, 1 << 20, 0, &rc, err, sizeof(err));
	ok(rc == 0 && ngot == 5 && file_size(seg_path(dir, 9, "")) == -1,
	    "an empty newest segment is dropped");
	ok(append1(j, &recs[0], R0) == 0 &&
		file_size(seg_path(dir, 2, "")) > 0 &&
		file_size(seg_path(dir, 9, "")) == -1,
	    "appends after a replay go to a new segment after the last "
	    "replayed one");
	journal_close(j);

	/* Rotation and removal. */
	snprintf(dir, sizeof(dir), "%s/j2", tmpdir);
	j = reopen(dir, 100, 0, &rc, err, sizeof(err));
	for (i = 0; i < 6; i++) {
		make_rec(&r, R0 + i, "mx1.example.com", "", T0 + 60 * (i + 1),
		    60, i);
		append1(j, &r, R0 + i);
	}
	journal_sync(j, &errnum, err, sizeof(err));
	for (i = 1, bad_zero = 0; i <= 6; i++)
		if (file_size(seg_path(dir, i, "")) <= 0)
			bad_zero++;
	ok(bad_zero == 0 && file_size(seg_path(dir, 7, "")) == -1,
	    "a tiny segment size gives one segment per record (six files)");
	journal_get_stats(j, &st);
	is_int(st.segments, 6, "stats count six segments");
	/* Segment k holds step T0 + 60k, received R0 + k - 1. */
	journal_gc(j, UINT64_MAX, T0 + 60 * 3, INT64_MAX);
	ok(file_size(seg_path(dir, 1, "")) == -1 &&
		file_size(seg_path(dir, 3, "")) == -1 &&
		file_size(seg_path(dir, 4, "")) > 0,
	    "gc removes segments 1-3 whose steps are <= through");
	journal_gc(j, UINT64_MAX, INT64_MAX, R0 + 4);
	ok(file_size(seg_path(dir, 4, "")) == -1 &&
		file_size(seg_path(dir, 5, "")) > 0,
	    "gc keeps a segment with a record received at received_before");
	journal_gc(j, UINT64_MAX, T0 + 60 * 5 - 1, INT64_MAX);
	ok(file_size(seg_path(dir, 5, "")) > 0,
	    "gc keeps a segment with a step after through");
	journal_gc(j, UINT64_MAX, INT64_MAX, INT64_MAX);
	ok(file_size(seg_path(dir, 5, "")) == -1 &&
		file_size(seg_path(dir, 6, "")) > 0,
	    "gc never removes the open segment");
	journal_get_stats(j, &st);
	is_int(st.segments, 1, "one segment left");
	make_rec(&r, R0 + 6, "mx1.example.com", "", T0 + 60 * 7, 60, 6);
	ok(append1(j, &r, R0 + 6) == 0 &&
		journal_sync(j, &errnum, err, sizeof(err)) == 0,
	    "appending goes on after gc");
	journal_close(j);
	j = reopen(dir, 100, 0, &rc, err, sizeof(err));
	ok(rc == 0 && ngot == 2 && got[0].received == R0 + 5 &&
		got[1].received == R0 + 6,
	    "replay after gc returns only the records kept");
	journal_gc(j, UINT64_MAX, INT64_MAX, INT64_MAX);
	ok(file_size(seg_path(dir, 6, "")) == -1 &&
		file_size(seg_path(dir, 7, "")) == -1,
	    "after a replay, every segment is closed and may go");
	journal_close(j);

	/* A torn tail: half a record at the end of the newest segment. */
	snprintf(dir, sizeof(dir), "%s/j3", tmpdir);
	j = reopen(dir, 1 << 20, 0, &rc, err, sizeof(err));
	for (i = 0; i < 3; i++)
		append1(j, &recs[i], R0);
	journal_sync(j, &errnum, err, sizeof(err));
	journal_close(j);
	size = file_size(seg_path(dir, 1, ""));
	len = journal_encode(&recs[3], 4, buf);
	append_bytes(seg_path(dir, 1, ""), buf, len / 2);
	j = reopen(dir, 1 << 20, 0, &rc, err, sizeof(err));
	ok(rc == 0 && ngot == 3,
	    "a torn tail is cut and the whole records replay (%s)", err);
	ok(ngot == 3 && same_rec(&got[2], &recs[2], 4),
	    "the last whole record is intact");
	is_int(file_size(seg_path(dir, 1, "")), size,
	    "the file is cut to the last whole record");
	ok(append1(j, &recs[3], R0) == 0 &&
		journal_sync(j, &errnum, err, sizeof(err)) == 0,
	    "appending works after the cut");
	journal_close(j);
	j = reopen(dir, 1 << 20, 0, &rc, err, sizeof(err));
	ok(rc == 0 && ngot == 4 && same_rec(&got[3], &recs[3], 4),
	    "the next replay sees the old records and the new one");
	journal_close(j);

	/* Zeros at the end (space allocated, never written) are a torn tail too. */
	size = file_size(seg_path(dir, 2, ""));
	memset(buf, 0, 40);
	append_bytes(seg_path(dir, 2, ""), buf, 40);
	j = reopen(dir, 1 << 20, 0, &rc, err, sizeof(err));
	ok(rc == 0 && ngot == 4 && file_size(seg_path(dir, 2, "")) == size,
	    "trailing zero bytes are cut");
	journal_close(j);

	/*
	 * A header cut short in the newest segment: the segment was being
	 * started, so no record in it was ever acknowledged.
	 */
	{
		unsigned char head[20];
		int	      fd = open(seg_path(dir, 1, ""), O_RDONLY);

		if (fd == -1 || read(fd, head, sizeof(head)) != sizeof(head))
			abort();
		close(fd);
		append_bytes(seg_path(dir, 3, ""), head, sizeof(head));
	}
	j = reopen(dir, 1 << 20, 0, &rc, err, sizeof(err));
	ok(rc == 0 && ngot == 4,
	    "a torn header in the newest segment does not block replay (%s)",
	    rc ? err : "ok");
	journal_close(j);
	unlink(seg_path(dir, 3, ""));

	/* Corruption in the middle of a segment. */
	snprintf(dir, sizeof(dir), "%s/j4", tmpdir);
	j = reopen(dir, 1 << 20, 0, &rc, err, sizeof(err));
	for (i = 0; i < 5; i++)
		append1(j, &recs[0], R0); /* five records of one length */
	journal_sync(j, &errnum, err, sizeof(err));
	journal_close(j);
	reclen = journal_encode(&recs[0], 4, buf);
	size = file_size(seg_path(dir, 1, ""));
	hdr = (size_t)size - 5 * reclen;
	flip_byte(seg_path(dir, 1, ""), (long long)(hdr + 2 * reclen + 20));
	j = reopen(dir, 1 << 20, 0, &rc, err, sizeof(err));
	snprintf(want, sizeof(want), "offset %zu", hdr + 2 * reclen);
	ok(rc == -1 && strstr(err, seg_path(dir, 1, "")) != NULL &&
		strstr(err, want) != NULL,
	    "damage followed by valid records fails naming file and offset "
	    "(%s)",
	    err);
	is_int(file_size(seg_path(dir, 1, "")), size,
	    "without recover the file is untouched");
	journal_close(j);
	j = reopen(dir, 1 << 20, 1, &rc, err, sizeof(err));
	ok(rc == 0 && ngot == 4,
	    "with recover the records before and after the damage replay");
	is_int(file_size(seg_path(dir, 1, "")), size,
	    "the segment keeps its size, so positions do not move");
	is_int(file_size(seg_path(dir, 1, ".damaged")), reclen,
	    "the damaged record is kept in .damaged");
	journal_close(j);
	j = reopen(dir, 1 << 20, 0, &rc, err, sizeof(err));
	ok(rc == 0 && ngot == 4 &&
		file_size(seg_path(dir, 1, ".damaged")) == (long long)reclen,
	    "the recovery is lasting: a plain replay skips the same range");
	journal_close(j);

	/* Damage in the first record of an older segment, valid records after it. */
	snprintf(dir, sizeof(dir), "%s/j5", tmpdir);
	j = reopen(dir, 3 * reclen, 0, &rc, err, sizeof(err));
	for (i = 0; i < 5; i++)
		append1(j, &recs[i], R0);
	journal_sync(j, &errnum, err, sizeof(err));
	journal_close(j);
	ok(file_size(seg_path(dir, 2, "")) > 0 &&
		file_size(seg_path(dir, 3, "")) == -1,
	    "two segments were written");
	j = reopen(dir, 3 * reclen, 0, &rc, err, sizeof(err));
	is_int(ngot, 5, "all five records before the damage");
	journal_close(j);
	flip_byte(seg_path(dir, 1, ""), (long long)hdr + 30);
	j = reopen(dir, 3 * reclen, 0, &rc, err, sizeof(err));
	snprintf(want, sizeof(want), "offset %zu", hdr);
	ok(rc == -1 && strstr(err, seg_path(dir, 1, "")) != NULL &&
		strstr(err, want) != NULL,
	    "damage at the first record fails naming file and offset (%s)",
	    err);
	journal_close(j);
	j = reopen(dir, 3 * reclen, 1, &rc, err, sizeof(err));
	ok(rc == 0 && file_size(seg_path(dir, 1, ".damaged")) > 0,
	    "with recover it succeeds and the damaged bytes are kept (%s)",
	    err);
	ok(ngot == 4 && same_rec(&got[0], &recs[1], 4) &&
		same_rec(&got[3], &recs[4], 4),
	    "every other record replays, in this segment and the next (%zu)",
	    ngot);
	journal_close(j);

	/* The same damage in the newest segment, followed by valid records. */
	snprintf(dir, sizeof(dir), "%s/j6", tmpdir);
	j = reopen(dir, 1 << 20, 0, &rc, err, sizeof(err));
	for (i = 0; i < 3; i++)
		append1(j, &recs[0], R0);
	journal_sync(j, &errnum, err, sizeof(err));
	journal_close(j);
	flip_byte(seg_path(dir, 1, ""), (long long)hdr + 13);
	j = reopen(dir, 1 << 20, 0, &rc, err, sizeof(err));
	ok(rc == -1 && ngot == 0,
	    "damage in the newest segment with records after it is "
	    "not taken for a torn tail");
	journal_close(j);
	j = reopen(dir, 1 << 20, 1, &rc, err, sizeof(err));
	ok(rc == 0 && ngot == 2 &&
		file_size(seg_path(dir, 1, ".damaged")) == (long long)reclen,
	    "with recover the two records after it replay");
	journal_close(j);

	/* A flipped bit in the last, whole record: corruption, kept aside. */
	snprintf(dir, sizeof(dir), "%s/j7", tmpdir);
	j = reopen(dir, 1 << 20, 0, &rc, err, sizeof(err));
	for (i = 0; i < 3; i++)
		append1(j, &recs[0], R0);
	journal_sync(j, &errnum, err, sizeof(err));
	journal_close(j);
	size = file_size(seg_path(dir, 1, ""));
	flip_byte(seg_path(dir, 1, ""), (long long)hdr + 2 * reclen + 20);
	j = reopen(dir, 1 << 20, 0, &rc, err, sizeof(err));
	ok(rc == 0 && ngot == 2 &&
		file_size(seg_path(dir, 1, ".damaged")) == (long long)reclen &&
		file_size(seg_path(dir, 1, "")) == size - (long long)reclen,
	    "a whole record with a bad checksum at the end is set aside in "
	    ".damaged, not dropped as a torn tail");
	journal_close(j);

	/* A failed open names the directory. */
	ok(open_journal("/nonexistent/dir/journal", cats, 60, 4096, err,
	       sizeof(err)) == NULL &&
		strstr(err, "/nonexistent/dir/journal") != NULL,
	    "an uncreatable directory fails naming it");

	nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return tap_done();
}
