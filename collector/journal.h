/*
 * journal.h -- the append-only journal that makes a 2xx mean "on disk".
 *
 * Accepted submissions are appended to segment files in <data-dir>/journal
 * and made durable with fdatasync before they are acknowledged.  On start,
 * every segment is replayed; segments whose steps are all safely in the RRD
 * files (and whose idempotency keys have expired) are removed.
 *
 * Not thread-safe: one thread (the ingest commit thread) owns a journal.
 */
#ifndef ST_JOURNAL_H
#define ST_JOURNAL_H

#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>

#include "../lib/limits.h"
#include "submission.h"

/* One journaled submission: what was accepted, and when. */
struct journal_record {
	int64_t		  received; /* unix seconds at receipt */
	struct submission sub;
};

/* The largest encoded record, in bytes. */
#define JOURNAL_RECORD_MAX \
	(12 + 8 + 8 + 4 + 8 + 1 + 8 * ST_MAX_CATEGORIES + 1 + ST_SOURCE_MAX + \
	    1 + ST_KEY_MAX)

struct journal;

/*
 * A place in the journal: segment number and byte offset, ordered as the
 * records were written.  A record's position is the offset of its end, so
 * "every record at or before P" is the records written up to P.
 */
#define JOURNAL_POS(seq, off) (((uint64_t)(seq) << 40) | (uint64_t)(off))

struct journal_settings {
	const char *dir; /* created if missing */
	const char (*categories)[ST_CATEGORY_MAX + 1];
	unsigned ncategories;
	unsigned step;
	uint64_t segment_bytes; /* rotate past this size */
	unsigned segment_age;	/* or past this many seconds */
};

/* The segment number of a position. */
#define JOURNAL_SEQ(pos) ((pos) >> 40)

/* Open (creating) the journal directory.  NULL with err filled on failure. */
struct journal *journal_open(
    const struct journal_settings *s, char *err, size_t errlen);
void journal_close(struct journal *j);

/*
 * Call fn for every record of every segment, oldest first, with the
 * record's position; fn returns 0 to go on.  A record cut short at the end
 * of a segment (a write that never completed) is cut off with a warning.
 * A whole record that is wrong at the end of a segment (a flipped bit) is
 * corruption: its bytes are appended to <segment>.damaged, an error is
 * logged and replay goes on.  Damage followed by valid records returns -1
 * with err naming the file and offset, unless recover is set: then the
 * damaged bytes are appended to <segment>.damaged, their range is noted in
 * <segment>.skip (so positions do not move and later starts skip it too),
 * and the records after them are replayed.  Call once, before the first
 * append.
 */
int journal_replay(struct journal *j,
    int (*fn)(void *arg, const struct journal_record *r, uint64_t pos),
    void *arg, int recover, char *err, size_t errlen);

/*
 * Number new segments after the one of pos, a position the writer's state
 * refers to: once every segment was removed, numbering from 1 again would
 * put new records at positions the state calls written.  Call after replay,
 * before the first append.
 */
void journal_continue_after(struct journal *j, uint64_t pos);

/*
 * Write n records at the end of the current segment (not yet durable).
 * On failure nothing of them remains in the file; returns -1 with err and
 * *errnum set (ENOSPC for a full disk).
 */
int journal_append(struct journal *j, const struct journal_record *recs,
    size_t n, int64_t now, uint64_t *end, int *errnum, char *err,
    size_t errlen);

/* Make everything appended durable (fdatasync).  -1 with err on failure. */
int journal_sync(struct journal *j, int *errnum, char *err, size_t errlen);

/*
 * Remove closed segments whose every record is at or before through_pos
 * with every step at or before through_step (so all of it is in the RRD
 * files), and whose every record was received before received_before (so
 * its idempotency keys have expired).
 */
void journal_gc(struct journal *j, uint64_t through_pos, int64_t through_step,
    int64_t received_before);

/* The position after the last record (what the journal holds so far). */
uint64_t journal_end(const struct journal *j);

/* Counters for /metrics. */
struct journal_stats {
	uint64_t records; /* appended since start */
	uint64_t bytes;
	uint64_t syncs;
	uint64_t segments; /* on disk now */
	uint64_t replayed;
};
void journal_get_stats(const struct journal *j, struct journal_stats *out);

/*
 * The segment numbers of the journal directory dir, sorted, into a malloc'd
 * *out (free() it).  -1 with err when the directory cannot be read.
 */
int journal_segments(
    const char *dir, uint64_t **out, size_t *n, char *err, size_t errlen);

/* The path of segment seq of the journal directory dir. */
#define JOURNAL_SEGMENT_FMT "%s/%016" PRIu64 ".log"

/*
 * The length of the segment header frame that starts buf[0..len) into
 * *used: 1 when whole and valid, 0 when cut short, -1 when not a header.
 * Pure.
 */
int journal_header_len(const unsigned char *buf, size_t len, size_t *used);

/*
 * Encode r into buf (at least JOURNAL_RECORD_MAX bytes); returns its length.
 * Pure.
 */
size_t journal_encode(
    const struct journal_record *r, unsigned ncategories, unsigned char *buf);

/*
 * Decode one record from buf[0..len).  Returns 1 with *r and *used filled,
 * 0 when buf holds only the start of a record, -1 when the bytes are not a
 * valid record.  Pure; safe on any input.
 */
int journal_decode(const unsigned char *buf, size_t len, unsigned ncategories,
    struct journal_record *r, size_t *used);

#endif
