/*
 * aggregate.h -- counts summed per (file, step) in memory until the writer
 * takes them.  Pure: no clock, no I/O, not thread-safe (one owner thread).
 *
 * A file is a "target": each source's own, and _total.  A submission adds
 * its share of every step its interval overlaps, and the seconds of that
 * step it covers, to its source and to _total.  Journal replay may add to
 * one and not the other (a filter decides), since after a crash each file
 * holds what it holds.
 */
#ifndef ST_AGGREGATE_H
#define ST_AGGREGATE_H

#include <stddef.h>
#include <stdint.h>

#include "../lib/limits.h"
#include "../rrd/store.h"
#include "submission.h"

struct aggregate;

/* One target's detached points, in increasing step order. */
struct agg_target {
	char		   *name; /* malloc'd */
	struct store_point *pts;
	size_t		    n;
};

/* Everything one aggregate_close detached. */
struct agg_batch {
	struct agg_target *targets;
	size_t		   n;
};

/*
 * Whether a share of a submission goes to target (the source's name, or
 * _total when to_total) at step label; 1 adds it.
 */
typedef int (*agg_filter_fn)(
    void *arg, const char *target, int to_total, int64_t step);

/*
 * An empty aggregate; total names the file every share is also added to
 * ("_total", or "_total.<id>" for one collector among several; copied).
 */
struct aggregate *aggregate_create(
    unsigned ncategories, unsigned step, const char *total);
void		  aggregate_free(struct aggregate *a);

/*
 * Spread s's counts over the steps its interval overlaps and add them, with
 * the seconds covered, to the buckets of s->source and of the total: all of
 * them when filter is NULL, else those filter allows.
 */
void aggregate_add(struct aggregate *a, const struct submission *s,
    agg_filter_fn filter, void *arg);

/* Add one whole point to target's bucket of its step. */
void aggregate_add_point(
    struct aggregate *a, const char *target, const struct store_point *p);

/*
 * Detach every bucket whose step is <= through (late ones included) into
 * *out, by target; free with aggregate_batch_free.
 */
void aggregate_close(
    struct aggregate *a, int64_t through, struct agg_batch *out);
void aggregate_batch_free(struct agg_batch *b);

/* Targets with open buckets, and open buckets. */
size_t aggregate_targets(const struct aggregate *a);
size_t aggregate_open_buckets(const struct aggregate *a);

#endif
