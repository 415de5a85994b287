/*
 * flush.h -- the writer thread: closed points go from memory to RRD files,
 * in cycles, with a durable record of what each cycle did.
 *
 * It owns the hand-over queue between the ingest commit thread and
 * rrd/store, the writer's state file (checkpoint.h), and the points of files
 * that cannot be written.  Each cycle appends to a file what is after its
 * last update and patches in what is not (late counts); a file that fails
 * is retried every cycle without holding back any other file, and is named
 * in the failing list until it works again.  The writer also keeps the
 * index of sources (sources.h): every point written, and when it is idle,
 * what the files hold (sources_scan.h).
 */
#ifndef ST_FLUSH_H
#define ST_FLUSH_H

#include <stddef.h>
#include <stdint.h>

#include "aggregate.h"
#include "checkpoint.h"

struct flush;
struct store;

struct flush_settings {
	struct store   *store;
	const char     *state_path; /* <data-dir>/state */
	unsigned	ncategories;
	unsigned	step;
	unsigned	sync_every; /* seconds between store syncs */
	int64_t		keep;	    /* seconds a parked point is retried */
	struct sources *sources;    /* the index to keep, or NULL */
	unsigned	rescan;	    /* seconds between readings of every file */
};

/*
 * Start the writer thread with the state replay left (its done cycle and
 * parked points; taken over, s is emptied).
 */
struct flush *flush_create(
    const struct flush_settings *fs, struct ckpt_state *s);
/* Write everything queued, sync, record it, stop the thread and free. */
void flush_free(struct flush *f);

/*
 * Queue one cycle: the points aggregate_close detached (ownership passes),
 * taken from records up to journal position pos and steps up to step.
 * Thread-safe.
 */
void flush_push(
    struct flush *f, uint64_t pos, int64_t step, struct agg_batch *batch);
/* Block until everything queued so far is written (not necessarily synced). */
void flush_drain(struct flush *f);
/* The done cycle: records up to *pos, steps up to *step are on disk. */
void flush_done_through(struct flush *f, uint64_t *pos, int64_t *step);

struct flush_stats {
	uint64_t cycles;
	uint64_t points;      /* points appended */
	uint64_t late_points; /* points patched into past rows */
	uint64_t patches;     /* files patched */
	uint64_t inexact;     /* patches that met unknown rows of old files */
	uint64_t errors;      /* failed file writes */
	uint64_t dropped_points; /* parked too long and given up */
	uint64_t dropped_messages;
	size_t	 parked;       /* points waiting for a failing file */
	size_t	 failing;      /* files failing now */
	double	 last_seconds; /* time to write the last cycle */
	int64_t	 last_step;
	size_t	 queued; /* cycles waiting */
	uint64_t sync_failures;
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

/*
 * Call fn for every file failing now, with its error and since when (unix
 * seconds of the cycle's step).  Same lock rule.
 */
void flush_each_failing(struct flush *f,
    void (*fn)(void *arg, const char *name, const char *error, int64_t since),
    void *arg);

#endif
