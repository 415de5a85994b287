/*
 * aggregate.h -- counts summed per (source, step) in memory until the step
 * closes.  Pure: no clock, no I/O, not thread-safe (one owner thread).
 */
#ifndef ST_AGGREGATE_H
#define ST_AGGREGATE_H

#include <stddef.h>
#include <stdint.h>

#include "../lib/limits.h"
#include "submission.h"

struct aggregate;

/* One source's counts for a closed step. */
struct flush_entry {
	const char
		*source; /* owned by the aggregate, valid until it is freed */
	uint64_t counts[ST_MAX_CATEGORIES];
};

/* Everything closed for one step: each live source, and the sum. */
struct flush_step {
	int64_t		    step; /* label: the step's end */
	size_t		    n;
	struct flush_entry *entries;
	uint64_t	    total[ST_MAX_CATEGORIES];
};

struct aggregate *aggregate_create(unsigned ncategories, unsigned step);
void		  aggregate_free(struct aggregate *a);

/*
 * Spread s's counts over the steps its interval overlaps and add them to
 * the open buckets of s->source (a step touched by any submission is live:
 * every category gets at least 0).
 */
void aggregate_add(struct aggregate *a, const struct submission *s);

/*
 * Detach every bucket whose step is <= through.  Returns the number of
 * steps and sets *out to a malloc'd array of them in increasing step order;
 * free it with aggregate_free_steps().
 */
size_t aggregate_close(
    struct aggregate *a, int64_t through, struct flush_step **out);
void aggregate_free_steps(struct flush_step *steps, size_t n);

/* 1 if source has been seen by this aggregate. */
int aggregate_knows(const struct aggregate *a, const char *source);
/* Number of distinct sources seen. */
size_t aggregate_sources(const struct aggregate *a);
/* Number of open buckets. */
size_t aggregate_open_buckets(const struct aggregate *a);

#endif
