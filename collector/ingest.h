/*
 * ingest.h -- the commit pipeline: accepted submissions become durable,
 * then counted, then written when their step closes.
 *
 *   submitters (HTTP thread) --queue--> commit thread: journal write +
 *   fdatasync (group commit), idempotency, aggregate, step closing
 *   --flush queue--> writer thread (flush.c) --> rrd/store
 *
 * Lock order: ingest lock, then (never while holding it) the flush lock,
 * then the store lock.  The done callback is called without any lock held.
 */
#ifndef ST_INGEST_H
#define ST_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "../lib/error.h"
#include "submission.h"

struct conf;
struct store;
struct ingest;

/*
 * What became of one ingest_submit: how many submissions were accepted
 * (made durable) and how many were repeats of accepted ones, or, when
 * error.kind is not ERR_NONE, why nothing was counted.
 */
struct ingest_result {
	size_t		accepted;
	size_t		duplicates;
	struct st_error error;
};

/*
 * Called exactly once per ingest_submit: from the submitting thread when the
 * answer is immediate, or from the commit thread after the journal sync.
 */
typedef void (*ingest_done_fn)(void *arg, const struct ingest_result *res);

/*
 * Open the journal, replay it into the RRD files, and start the threads.
 * recover: cut a corrupt journal segment instead of refusing to start.
 * Returns NULL with err filled.
 */
struct ingest *ingest_create(const struct conf *c, struct store *st,
    int recover, char *err, size_t errlen);

/*
 * Stop: answer whatever is queued, write every open step (the current
 * one too), sync, and free.  No submission may be in flight in the caller.
 */
void ingest_free(struct ingest *in);

/*
 * Take n validated submissions received at now (ownership of subs passes
 * to ingest).  header_key is the Idempotency-Key header or NULL: it
 * becomes the id of a submission that has none ("#<index>" appended in a
 * batch).  Calls done once (see above).
 */
void ingest_submit(struct ingest *in, struct submission *subs, size_t n,
    const char *header_key, int64_t now, ingest_done_fn done, void *arg);

/* 1 while journal writes are failing (for /healthz). */
int ingest_degraded(struct ingest *in);

struct ingest_stats {
	uint64_t accepted; /* submissions made durable */
	uint64_t duplicates;
	uint64_t rejected_closed;
	uint64_t commits; /* group commits (one fdatasync each) */
	uint64_t commit_failures;
	uint64_t journal_records;
	uint64_t journal_segments;
	size_t	 sources;
	size_t	 open_buckets;
	size_t	 idempotency_keys;
	int64_t	 watermark; /* steps at or before it are closed */
	uint64_t flush_steps;
	double	 flush_last_seconds;
	int64_t	 flush_last_step;
	uint64_t flush_errors;
};
void ingest_get_stats(struct ingest *in, struct ingest_stats *out);

/*
 * Call fn for every source with the messages written for it since start,
 * per category, and the last step written (see flush_each_source).
 */
void ingest_each_source(struct ingest *in,
    void (*fn)(void *arg, const char *source, const uint64_t *totals,
	int64_t last_step),
    void *arg);

#endif
