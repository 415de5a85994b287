/*
 * aggregate.c -- open buckets per target, and their hand-over to the
 * writer.
 *
 * Owns the per-target bucket lists; it does not decide when buckets are
 * taken (ingest does) nor what is late (the writer asks the store).  A
 * target whose buckets were all taken is forgotten, so memory follows the
 * open buckets, not every name ever seen.
 */
#include "aggregate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/step.h"
#include "../lib/strmap.h"

struct agg_source {
	struct store_point *buckets; /* unordered; usually one to three */
	size_t		    n, cap;
};

struct aggregate {
	struct strmap *targets; /* name -> struct agg_source * */
	char	       total[ST_SOURCE_MAX + 1];
	unsigned       ncategories;
	unsigned       step;
	size_t	       open;
};

/* Create an empty aggregate. */
struct aggregate *
aggregate_create(unsigned ncategories, unsigned step, const char *total)
{
	struct aggregate *a;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		abort();
	snprintf(a->total, sizeof(a->total), "%s", total);
	a->targets = strmap_create();
	a->ncategories = ncategories;
	a->step = step;
	return a;
}

/* Sweep callback freeing one target. */
static int
aggregate_free_target(void *arg, const char *key, void *value)
{
	struct agg_source *s = value;

	(void)arg;
	(void)key;
	free(s->buckets);
	free(s);
	return 1;
}

/* Free everything, open buckets included. */
void
aggregate_free(struct aggregate *a)
{
	if (a == NULL)
		return;
	strmap_sweep(a->targets, aggregate_free_target, NULL);
	strmap_free(a->targets);
	free(a);
}

/* The bucket of target name for step label st, created if needed. */
static struct store_point *
aggregate_bucket(struct aggregate *a, const char *name, int64_t st)
{
	struct agg_source  *src = strmap_get(a->targets, name);
	struct store_point *b;
	size_t		    i;

	if (src == NULL) {
		if ((src = calloc(1, sizeof(*src))) == NULL)
			abort();
		strmap_put(a->targets, name, src);
	}
	for (i = 0; i < src->n; i++)
		if (src->buckets[i].step == st)
			return &src->buckets[i];
	if (src->n == src->cap) {
		src->cap = src->cap ? src->cap * 2 : 4;
		src->buckets =
		    reallocarray(src->buckets, src->cap, sizeof(*src->buckets));
		if (src->buckets == NULL)
			abort();
	}
	b = &src->buckets[src->n++];
	memset(b, 0, sizeof(*b));
	b->step = st;
	a->open++;
	return b;
}

/* Add v to *sum, stopping at the largest value rather than wrapping. */
static void
aggregate_sum(uint64_t *sum, uint64_t v)
{
	*sum = *sum > UINT64_MAX - v ? UINT64_MAX : *sum + v;
}

/* Add one point into a bucket. */
static void
aggregate_merge(struct aggregate *a, struct store_point *b,
    const uint64_t *counts, uint64_t cover)
{
	unsigned c;

	for (c = 0; c < a->ncategories; c++)
		aggregate_sum(&b->counts[c], counts[c]);
	aggregate_sum(&b->cover, cover);
}

/* Spread s over its steps and add it. */
void
aggregate_add(struct aggregate *a, const struct submission *s,
    agg_filter_fn filter, void *arg)
{
	uint64_t share[ST_MAX_CATEGORIES];
	int64_t	 first, last, st;
	unsigned c;
	uint32_t cover;

	step_span(s->time, s->interval, a->step, &first, &last);
	for (st = first; st <= last; st += a->step) {
		for (c = 0; c < a->ncategories; c++)
			share[c] = step_share(
			    s->counts[c], s->time, s->interval, a->step, st);
		cover = step_cover(s->time, s->interval, a->step, st);
		if (filter == NULL || filter(arg, s->source, 0, st))
			aggregate_merge(a, aggregate_bucket(a, s->source, st),
			    share, cover);
		if (filter == NULL || filter(arg, a->total, 1, st))
			aggregate_merge(
			    a, aggregate_bucket(a, a->total, st), share, cover);
	}
}

/* Add one whole point. */
void
aggregate_add_point(
    struct aggregate *a, const char *target, const struct store_point *p)
{
	aggregate_merge(
	    a, aggregate_bucket(a, target, p->step), p->counts, p->cover);
}

struct close_ctx {
	struct aggregate *a;
	int64_t		  through;
	struct agg_batch *out;
	size_t		  cap;
};

/* qsort comparison of points by step. */
static int
aggregate_cmp_step(const void *x, const void *y)
{
	int64_t a = ((const struct store_point *)x)->step;
	int64_t b = ((const struct store_point *)y)->step;

	return a < b ? -1 : a > b;
}

/* Sweep callback: move one target's closed buckets into the batch. */
static int
aggregate_close_target(void *arg, const char *key, void *value)
{
	struct close_ctx  *ctx = arg;
	struct agg_source *src = value;
	struct agg_target *t = NULL;
	size_t		   i = 0;

	while (i < src->n) {
		if (src->buckets[i].step > ctx->through) {
			i++;
			continue;
		}
		if (t == NULL) {
			if (ctx->out->n == ctx->cap) {
				ctx->cap = ctx->cap ? ctx->cap * 2 : 16;
				ctx->out->targets =
				    reallocarray(ctx->out->targets, ctx->cap,
					sizeof(*ctx->out->targets));
				if (ctx->out->targets == NULL)
					abort();
			}
			t = &ctx->out->targets[ctx->out->n++];
			memset(t, 0, sizeof(*t));
			if ((t->name = strdup(key)) == NULL ||
			    (t->pts = calloc(src->n, sizeof(*t->pts))) == NULL)
				abort();
		}
		t->pts[t->n++] = src->buckets[i];
		src->buckets[i] = src->buckets[--src->n];
		ctx->a->open--;
	}
	if (t != NULL && t->n > 1)
		qsort(t->pts, t->n, sizeof(*t->pts), aggregate_cmp_step);
	if (src->n == 0) {
		free(src->buckets);
		free(src);
		return 1;
	}
	return 0;
}

/* Detach every bucket at or before through. */
void
aggregate_close(struct aggregate *a, int64_t through, struct agg_batch *out)
{
	struct close_ctx ctx = {a, through, out, 0};

	memset(out, 0, sizeof(*out));
	if (a->open > 0)
		strmap_sweep(a->targets, aggregate_close_target, &ctx);
}

/* Free what aggregate_close returned. */
void
aggregate_batch_free(struct agg_batch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		free(b->targets[i].name);
		free(b->targets[i].pts);
	}
	free(b->targets);
	memset(b, 0, sizeof(*b));
}

/* Targets with open buckets. */
size_t
aggregate_targets(const struct aggregate *a)
{
	return strmap_count(a->targets);
}

/* Open buckets. */
size_t
aggregate_open_buckets(const struct aggregate *a)
{
	return a->open;
}
