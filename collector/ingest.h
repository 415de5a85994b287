/*
 * ingest.h -- the commit pipeline: accepted submissions become durable,
 * then counted, then written when their step closes.
 *
 *   submitters (HTTP thread) --admit.c--> queue --> commit thread: journal
 *   write + fdatasync (group commit), aggregate, step closing
 *   --cycles--> writer thread (flush.c) --> rrd/store
 *
 * A count may arrive late (up to max_late seconds after its step): it is
 * journaled like any other and, when its step was written already, the
 * writer adds it to the rows that hold it.  Stopping writes the steps that
 * are due and leaves the open ones in the journal, so a restart is
 * invisible to reporters.
 *
 * Lock order: ingest lock, then (never while holding it) the admission
 * lock, the flush lock, then the store lock.  The done callback is called
 * without any lock held.
 */
#ifndef ST_INGEST_H
#define ST_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "../lib/clock.h"
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
 * Open the journal, replay what the RRD files lack, and start the threads.
 * clock gives the time (the system's in the daemon).  recover: cut a
 * corrupt journal segment instead of refusing to start.  stop, when it
 * turns non-zero during start-up (a signal), ends it early.  Returns NULL
 * with err filled.
 */
struct ingest *ingest_create(const struct conf *c, struct store *st,
    const struct st_clock *clock, int recover, volatile const int *stop,
    char *err, size_t errlen);

/*
 * Stop: answer whatever is queued, write the steps that are due (not the
 * open ones: the journal keeps them for the next start), sync, and free.
 * No submission may be in flight in the caller.
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
	uint64_t late; /* accepted after a step they touch was closed */
	uint64_t refused_too_old;
	uint64_t refused_id_reused;
	uint64_t refused_sources;
	uint64_t refused_disk;
	uint64_t refused_journal; /* the journal could not be written */
	uint64_t commits;	  /* group commits (one fdatasync each) */
	uint64_t commit_failures;
	uint64_t journal_records;
	uint64_t journal_segments;
	size_t	 sources;
	size_t	 open_buckets;
	size_t	 idempotency_keys;
	int64_t	 watermark;	/* steps at or before it are closed */
	int	 late_waiting;	/* late shares wait for the next cycle */
	uint64_t cycles_queued; /* cycles handed to the writer */
	uint64_t flush_cycles;
	uint64_t flush_points;
	uint64_t flush_late_points;
	uint64_t flush_patches;
	uint64_t flush_inexact;
	uint64_t flush_errors;
	uint64_t flush_dropped_points;
	uint64_t flush_dropped_messages;
	size_t	 flush_parked;
	size_t	 flush_failing;
	double	 flush_last_seconds;
	int64_t	 flush_last_step;
	uint64_t flush_sync_failures;
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

/* Call fn for every file that cannot be written now (flush_each_failing). */
void ingest_each_failing(struct ingest *in,
    void (*fn)(void *arg, const char *name, const char *error, int64_t since),
    void *arg);

/*
 * Wait until everything submitted so far is committed, the steps due by the
 * clock are closed, and the writer has written them.  For tests and
 * benchmarks that move the clock.
 */
void ingest_settle(struct ingest *in);

/*
 * The index of sources (sources.h) the writer keeps: what every source
 * sent over the last day, for listings of very many sources.
 */
struct sources *ingest_sources(struct ingest *in);

#endif
