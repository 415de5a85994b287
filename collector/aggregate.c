/*
 * aggregate.c -- open buckets per source, and their hand-over when a step
 * closes.
 *
 * Owns the per-source bucket lists and the interned source names; it does
 * not decide when a step closes (ingest does) nor write anything (flush
 * and rrd/store do).
 */
#include "aggregate.h"

#include <stdlib.h>
#include <string.h>

#include "../lib/step.h"
#include "../lib/strmap.h"

struct bucket {
	int64_t	 step;
	uint64_t counts[ST_MAX_CATEGORIES];
};

struct agg_source {
	const char    *name;	/* the map's copy */
	struct bucket *buckets; /* unordered; usually one to three */
	size_t	       n, cap;
};

struct aggregate {
	struct strmap *sources; /* name -> struct agg_source * */
	unsigned       ncategories;
	unsigned       step;
	size_t	       open;
};

/* Create an empty aggregate. */
struct aggregate *
aggregate_create(unsigned ncategories, unsigned step)
{
	struct aggregate *a;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		abort();
	a->sources = strmap_create();
	a->ncategories = ncategories;
	a->step = step;
	return a;
}

/* Sweep callback freeing one source. */
static int
aggregate_free_source(void *arg, const char *key, void *value)
{
	struct agg_source *s = value;

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
	strmap_sweep(a->sources, aggregate_free_source, NULL);
	strmap_free(a->sources);
	free(a);
}

/* The bucket of src for step label st, created if needed. */
static struct bucket *
aggregate_bucket(struct aggregate *a, struct agg_source *src, int64_t st)
{
	struct bucket *b;
	size_t	       i;

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

/* Spread s over its steps and add it. */
void
aggregate_add(struct aggregate *a, const struct submission *s)
{
	struct agg_source *src = strmap_get(a->sources, s->source);
	int64_t		   first, last, st;
	unsigned	   c;

	if (src == NULL) {
		if ((src = calloc(1, sizeof(*src))) == NULL)
			abort();
		src->name = strmap_put(a->sources, s->source, src);
	}
	step_span(s->time, s->interval, a->step, &first, &last);
	for (st = first; st <= last; st += a->step) {
		struct bucket *b = aggregate_bucket(a, src, st);

		for (c = 0; c < a->ncategories; c++)
			aggregate_sum(&b->counts[c],
			    step_share(s->counts[c], s->time, s->interval,
				a->step, st));
	}
}

struct close_ctx {
	struct aggregate  *a;
	int64_t		   through;
	struct flush_step *steps;
	size_t		   n, cap;
};

/* The flush_step for label st in ctx, created if needed. */
static struct flush_step *
aggregate_step(struct close_ctx *ctx, int64_t st)
{
	struct flush_step *fs;
	size_t		   i;

	for (i = 0; i < ctx->n; i++)
		if (ctx->steps[i].step == st)
			return &ctx->steps[i];
	if (ctx->n == ctx->cap) {
		ctx->cap = ctx->cap ? ctx->cap * 2 : 4;
		ctx->steps =
		    reallocarray(ctx->steps, ctx->cap, sizeof(*ctx->steps));
		if (ctx->steps == NULL)
			abort();
	}
	fs = &ctx->steps[ctx->n++];
	memset(fs, 0, sizeof(*fs));
	fs->step = st;
	return fs;
}

/* Sweep callback: move one source's closed buckets into ctx. */
static int
aggregate_close_source(void *arg, const char *key, void *value)
{
	struct close_ctx  *ctx = arg;
	struct agg_source *src = value;
	size_t		   i = 0;
	unsigned	   c;

	while (i < src->n) {
		struct bucket	   *b = &src->buckets[i];
		struct flush_step  *fs;
		struct flush_entry *e;

		if (b->step > ctx->through) {
			i++;
			continue;
		}
		fs = aggregate_step(ctx, b->step);
		if ((fs->n & (fs->n - 1)) == 0) {
			fs->entries = reallocarray(fs->entries,
			    fs->n ? fs->n * 2 : 1, sizeof(*fs->entries));
			if (fs->entries == NULL)
				abort();
		}
		e = &fs->entries[fs->n++];
		e->source = src->name;
		memcpy(e->counts, b->counts, sizeof(e->counts));
		for (c = 0; c < ctx->a->ncategories; c++)
			aggregate_sum(&fs->total[c], b->counts[c]);
		src->buckets[i] = src->buckets[--src->n];
		ctx->a->open--;
	}
	return 0;
}

/* qsort comparison by step. */
static int
aggregate_cmp_step(const void *x, const void *y)
{
	int64_t a = ((const struct flush_step *)x)->step;
	int64_t b = ((const struct flush_step *)y)->step;

	return a < b ? -1 : a > b;
}

/* Detach every bucket at or before through. */
size_t
aggregate_close(struct aggregate *a, int64_t through, struct flush_step **out)
{
	struct close_ctx ctx = {a, through, NULL, 0, 0};

	if (a->open > 0)
		strmap_sweep(a->sources, aggregate_close_source, &ctx);
	if (ctx.n > 1)
		qsort(ctx.steps, ctx.n, sizeof(*ctx.steps), aggregate_cmp_step);
	*out = ctx.steps;
	return ctx.n;
}

/* Free what aggregate_close returned. */
void
aggregate_free_steps(struct flush_step *steps, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(steps[i].entries);
	free(steps);
}

/* 1 if source was seen. */
int
aggregate_knows(const struct aggregate *a, const char *source)
{
	return strmap_get(a->sources, source) != NULL;
}

/* Distinct sources seen. */
size_t
aggregate_sources(const struct aggregate *a)
{
	return strmap_count(a->sources);
}

/* Open buckets. */
size_t
aggregate_open_buckets(const struct aggregate *a)
{
	return a->open;
}
