/*
 * journal_int.h -- what collector/journal.c and collector/journal_replay.c
 * share: the record format, the journal's state and the calls replay makes.
 * Private to those two files; everything else goes through journal.h.
 *
 * journal.c owns the segments while the daemon runs (encoding, starting,
 * appending, syncing, removing); journal_replay.c reads them back at start
 * and deals with what a crash or a bad disk left in them.
 */
#ifndef ST_JOURNAL_INT_H
#define ST_JOURNAL_INT_H

#include <stddef.h>
#include <stdint.h>

#include "journal.h"

#define REC_MAGIC	0x314a5453U /* "STJ1" */
#define HDR_MAGIC	0x484a5453U /* "STJH" */
#define JOURNAL_VERSION 1

/* One segment file: its number and what its records hold. */
struct segment {
	uint64_t seq;
	int64_t	 max_step; /* latest step any record touches */
	int64_t	 max_received;
	int64_t	 opened; /* when it was started (0 if replayed) */
	uint64_t bytes;
	uint64_t synced; /* bytes known to be on disk */
	uint64_t records;
};

/* The journal: its settings, its segments and the one open for appends. */
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

/* Store v at p, little-endian. */
static inline void
put32(unsigned char *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

/* Store v at p, little-endian. */
static inline void
put64(unsigned char *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

/* Load a little-endian value from p. */
static inline uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

/* Load a little-endian value from p. */
static inline uint64_t
get64(const unsigned char *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

/* journal.c: the format and the segments. */

/*
 * Check a frame at buf[0..len) with the given magic: 1 whole and valid
 * (payload length in *plen), 0 cut short, -1 not a valid frame.  Pure.
 */
int journal_check_frame(
    const unsigned char *buf, size_t len, uint32_t magic, size_t *plen);

/*
 * Check that a segment's header (at buf) matches this journal's step and
 * categories: 0 with its length in *used, or -1 with why filled.
 */
int journal_check_header(const struct journal *j, const unsigned char *buf,
    size_t len, size_t *used, char *why, size_t whylen);

/* The last step label that a record touches. */
int64_t journal_record_step(
    const struct journal *j, const struct journal_record *r);

/* Write all of buf[0..len) to fd; -1 with errno set on failure. */
int journal_write_all(int fd, const unsigned char *buf, size_t len);

/* The path of segment seq, into buf. */
void journal_path(const struct journal *j, uint64_t seq, char *buf, size_t len);

/* Add segment seq to the table (after the others) and return it. */
struct segment *journal_add_segment(struct journal *j, uint64_t seq);

#endif
