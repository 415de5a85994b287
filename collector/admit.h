/*
 * admit.h -- the admission policy of the ingest pipeline: which validated
 * submissions may enter the journal.
 *
 * Owns the idempotency table (repeats, reused ids), the set of known
 * sources with its limits (max_sources, new_sources_per_minute, the free
 * disk guard) and the window of time a count may still be placed in (late
 * counts are welcome up to max_late seconds back; older ones cannot be
 * stored exactly and are refused).  Thread-safe: one internal lock, a leaf
 * (take no other lock while calling in).  Reads no clock: the time is
 * passed in.
 */
#ifndef ST_ADMIT_H
#define ST_ADMIT_H

#include <stddef.h>
#include <stdint.h>

#include "../lib/error.h"
#include "submission.h"

struct admit;

struct admit_settings {
	unsigned    step;
	int64_t	    max_late;	     /* seconds a step may lie in the past */
	unsigned    idempotency_ttl; /* seconds a key is remembered */
	unsigned    max_sources;
	unsigned    new_sources_per_minute;
	uint64_t    min_free_disk; /* bytes; 0: no guard */
	const char *data_dir;	   /* where free space is measured */
};

struct admit *admit_create(const struct admit_settings *s);
void	      admit_free(struct admit *a);

/*
 * Check n submissions received at now.  header_key (the Idempotency-Key
 * header, or NULL) becomes the id of a submission that has none ("#<index>"
 * appended in a batch).  dup[i] is set for a repeat of an accepted id; the
 * ids of the others are reserved (pending) until admit_settle.
 * *repeats_durable is set when every submission is a repeat whose original
 * is already on disk (the answer can be given at once).  Returns 0, or -1
 * with e filled and nothing reserved: invalid (id reused for other content,
 * time too old to place), limited (too many sources), no space (disk
 * guard).
 */
int admit_check(struct admit *a, struct submission *subs, size_t n,
    const char *header_key, int64_t now, unsigned char *dup,
    int *repeats_durable, struct st_error *e);

/*
 * After the journal write of subs (ok: durable at now; else failed): make
 * their reserved ids durable or forget them.  Repeats (dup[i]) are left
 * alone.
 */
void admit_settle(struct admit *a, const struct submission *subs, size_t n,
    const unsigned char *dup, int ok, int64_t now);

/* 1 when the original of repeat subs[i] is on disk (not merely pending). */
int admit_repeat_durable(struct admit *a, const struct submission *s);

/* A record replayed from the journal, received at received. */
void admit_replayed(
    struct admit *a, const struct submission *s, int64_t received);

/*
 * A record another collector of the data directory journaled: its id is
 * remembered apart, so a retry of it here is known as a repeat.
 */
void admit_peer(struct admit *a, const struct submission *s, int64_t received);

/*
 * After the peers were read: 1 when s (admitted here as new) repeats a
 * submission another collector took, -1 when it reuses such an id for
 * other content, 0 otherwise.
 */
int admit_peer_repeat(struct admit *a, const struct submission *s);

/* Drop the id s reserved here (it turned out to be another's repeat). */
void admit_forget(struct admit *a, const struct submission *s);

/* Count a source as known (its file exists). */
void admit_know(struct admit *a, const char *source);

/* Forget idempotency keys that expired before now. */
void admit_expire(struct admit *a, int64_t now);

struct admit_stats {
	size_t	 sources;
	size_t	 idempotency_keys;
	size_t	 peer_keys;
	uint64_t refused_too_old;
	uint64_t refused_id_reused;
	uint64_t refused_sources; /* max_sources, new_sources_per_minute */
	uint64_t refused_disk;	  /* min_free_disk */
};
void admit_get_stats(struct admit *a, struct admit_stats *out);

#endif
