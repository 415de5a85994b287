/*
 * flush.h -- the writer thread: closed steps go from memory to RRD files.
 *
 * It owns the hand-over queue between the ingest commit thread and
 * rrd/store, writes each closed step once per source and once to _total,
 * and says how far the files are written and synced, which is what lets the
 * journal drop old segments.
 */
#ifndef ST_FLUSH_H
#define ST_FLUSH_H

#include <stddef.h>
#include <stdint.h>

#include "aggregate.h"

struct flush;
struct store;

/*
 * Start the writer thread.  sync_every: seconds between store syncs (the
 * journal can only drop what was synced).
 */
struct flush *flush_create(
    struct store *st, unsigned ncategories, unsigned sync_every);
/* Write everything queued, sync, stop the thread and free. */
void flush_free(struct flush *f);

/* Queue closed steps for writing; takes ownership of steps. Thread-safe. */
void flush_push(struct flush *f, struct flush_step *steps, size_t n);
/* Block until everything queued so far is written and synced. */
void flush_drain(struct flush *f);
/* Steps at or before this label are written and synced (INT64_MIN: none). */
int64_t flush_synced_through(struct flush *f);

struct flush_stats {
	uint64_t steps;	  /* steps written */
	uint64_t updates; /* file updates */
	uint64_t errors;
	double	 last_seconds; /* time to write the last step */
	int64_t	 last_step;
	size_t	 queued; /* steps waiting */
};
void flush_get_stats(struct flush *f, struct flush_stats *out);

/*
 * Call fn for every source written since start (and _total) with its
 * running totals per category and the last step written.  Holds the flush
 * lock while it runs: fn must not block.
 */
void flush_each_source(struct flush *f,
    void (*fn)(void *arg, const char *source, const uint64_t *totals,
	int64_t last_step),
    void *arg);

#endif
