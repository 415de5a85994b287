/*
 * test_aggregate.c -- summing submissions per file and step (each source's
 * and _total), the seconds covered, late shares, replay filters, and the
 * hand-over of closed points in step order.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/aggregate.h"
#include "tap.h"

#define T0	 1226448000 /* a multiple of 60 */
#define NSOURCES 10000

/* Fill s with one submission. */
static void
make_sub(struct submission *s, const char *source, int64_t time,
    uint32_t interval, uint64_t c0, uint64_t c1, uint64_t c2, uint64_t c3)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->source, sizeof(s->source), "%s", source);
	s->time = time;
	s->interval = interval;
	s->counts[0] = c0;
	s->counts[1] = c1;
	s->counts[2] = c2;
	s->counts[3] = c3;
}

/* The target called name in b, or NULL. */
static const struct agg_target *
target(const struct agg_batch *b, const char *name)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		if (strcmp(b->targets[i].name, name) == 0)
			return &b->targets[i];
	return NULL;
}

/* The point of name at step in b, or NULL. */
static const struct store_point *
point(const struct agg_batch *b, const char *name, int64_t step)
{
	const struct agg_target *t = target(b, name);
	size_t			 i;

	for (i = 0; t != NULL && i < t->n; i++)
		if (t->pts[i].step == step)
			return &t->pts[i];
	return NULL;
}

/* 1 when p holds exactly these four counts and this cover. */
static int
counts_are(const struct store_point *p, uint64_t c0, uint64_t c1, uint64_t c2,
    uint64_t c3, uint64_t cover)
{
	return p != NULL && p->counts[0] == c0 && p->counts[1] == c1 &&
	    p->counts[2] == c2 && p->counts[3] == c3 && p->cover == cover;
}

/* A replay filter: add to the sources, never to _total. */
static int
no_total(void *arg, const char *target, int to_total, int64_t step)
{
	(void)arg;
	(void)target;
	(void)step;
	return !to_total;
}

/* A replay filter: only steps after *(int64_t *)arg. */
static int
after(void *arg, const char *target, int to_total, int64_t step)
{
	(void)target;
	(void)to_total;
	return step > *(int64_t *)arg;
}

int
main(void)
{
	struct aggregate	*a;
	struct submission	 s;
	struct agg_batch	 b;
	const struct agg_target *t;
	struct store_point	 p;
	char			 name[64];
	size_t			 i, wrong;
	uint64_t		 sum0;
	int64_t			 prev, cut;

	plan(32);

	/* Exact sums per source and for _total. */
	a = aggregate_create(4, 60, ST_TOTAL_SOURCE);
	aggregate_close(a, INT64_MAX, &b);
	is_int(b.n, 0, "an empty aggregate closes nothing");
	aggregate_batch_free(&b);
	make_sub(&s, "mx1.example.com", T0, 60, 1, 2, 3, 4);
	aggregate_add(a, &s, NULL, NULL);
	aggregate_add(a, &s, NULL, NULL);
	make_sub(&s, "mx2.example.com", T0, 60, 10, 0, 0, 1000000000000ULL);
	aggregate_add(a, &s, NULL, NULL);
	is_int(aggregate_targets(a), 3, "two sources and _total");
	is_int(
	    aggregate_open_buckets(a), 3, "one open bucket per file and step");
	aggregate_close(a, T0 - 60, &b);
	is_int(b.n, 0, "closing before the step detaches nothing");
	aggregate_batch_free(&b);
	aggregate_close(a, T0, &b);
	is_int(b.n, 3, "closing through the step detaches three files");
	ok(counts_are(point(&b, "mx1.example.com", T0), 2, 4, 6, 8, 120),
	    "a source's two submissions are summed, covering 120 s");
	ok(counts_are(point(&b, "mx2.example.com", T0), 10, 0, 0,
	       1000000000000ULL, 60),
	    "the other source keeps its own counts");
	ok(counts_are(
	       point(&b, ST_TOTAL_SOURCE, T0), 12, 4, 6, 1000000000008ULL, 180),
	    "_total is the sum, its cover the sum of the sources'");
	aggregate_batch_free(&b);
	is_int(aggregate_open_buckets(a), 0, "no bucket is left open");
	is_int(aggregate_targets(a), 0, "and no file is remembered");
	aggregate_close(a, T0, &b);
	is_int(b.n, 0, "a step is handed over only once");
	aggregate_batch_free(&b);

	/* A late share for a closed step is handed over at the next close. */
	make_sub(&s, "mx1.example.com", T0, 60, 5, 0, 0, 0);
	aggregate_add(a, &s, NULL, NULL);
	make_sub(&s, "mx1.example.com", T0 + 120, 60, 7, 0, 0, 0);
	aggregate_add(a, &s, NULL, NULL);
	aggregate_close(a, T0 + 60, &b);
	ok(b.n == 2 &&
		counts_are(point(&b, "mx1.example.com", T0), 5, 0, 0, 0, 60) &&
		point(&b, "mx1.example.com", T0 + 120) == NULL,
	    "a late share of a closed step goes with the next close");
	aggregate_batch_free(&b);
	aggregate_free(a);

	/* Closing detaches only steps <= through, sorted per file. */
	a = aggregate_create(4, 60, ST_TOTAL_SOURCE);
	for (i = 10; i > 0; i--) {
		make_sub(&s, "odd.example.com", T0 + 60 * (int64_t)i, 60, i, 0,
		    0, 0);
		aggregate_add(a, &s, NULL, NULL);
	}
	is_int(aggregate_open_buckets(a), 20, "twenty open buckets");
	aggregate_close(a, T0 + 60 * 6, &b);
	t = target(&b, "odd.example.com");
	for (i = 0, wrong = 0, prev = INT64_MIN; t != NULL && i < t->n; i++) {
		if (t->pts[i].step <= prev || t->pts[i].step > T0 + 60 * 6 ||
		    t->pts[i].counts[0] != (uint64_t)(t->pts[i].step - T0) / 60)
			wrong++;
		prev = t->pts[i].step;
	}
	ok(t != NULL && t->n == 6 && wrong == 0,
	    "six points, sorted, each with its own count");
	aggregate_batch_free(&b);
	is_int(aggregate_open_buckets(a), 8, "the four later steps stay open");
	aggregate_free(a);

	/* An empty counts submission makes a live zero point. */
	a = aggregate_create(4, 60, ST_TOTAL_SOURCE);
	make_sub(&s, "quiet.example.com", T0, 60, 0, 0, 0, 0);
	aggregate_add(a, &s, NULL, NULL);
	aggregate_close(a, T0, &b);
	ok(counts_are(point(&b, "quiet.example.com", T0), 0, 0, 0, 0, 60),
	    "a source that counted nothing yields a zero point, covered");
	aggregate_batch_free(&b);
	aggregate_free(a);

	/* Spreading across steps. */
	a = aggregate_create(4, 60, ST_TOTAL_SOURCE);
	make_sub(&s, "mx1.example.com", T0 + 120, 120, 121, 1, 0, 2);
	aggregate_add(a, &s, NULL, NULL);
	aggregate_close(a, T0 + 120, &b);
	ok(counts_are(point(&b, "mx1.example.com", T0 + 60), 60, 0, 0, 1, 60) &&
		counts_are(
		    point(&b, "mx1.example.com", T0 + 120), 61, 1, 0, 1, 60),
	    "121 over 120 s lands as 60 and 61, small counts not lost");
	aggregate_batch_free(&b);
	make_sub(&s, "mx1.example.com", T0 + 30, 60, 10, 0, 0, 0);
	aggregate_add(a, &s, NULL, NULL);
	aggregate_close(a, INT64_MAX, &b);
	ok(counts_are(point(&b, "mx1.example.com", T0), 5, 0, 0, 0, 30) &&
		counts_are(
		    point(&b, "mx1.example.com", T0 + 60), 5, 0, 0, 0, 30),
	    "an interval straddling a boundary is split by overlap, cover "
	    "too");
	aggregate_batch_free(&b);
	make_sub(&s, "mx1.example.com", T0 + 600, 600, 1000, 0, 0, 0);
	aggregate_add(a, &s, NULL, NULL);
	aggregate_close(a, INT64_MAX, &b);
	t = target(&b, "mx1.example.com");
	for (i = 0, sum0 = 0, wrong = 0; t != NULL && i < t->n; i++) {
		sum0 += t->pts[i].counts[0];
		if (t->pts[i].counts[0] < 100 || t->pts[i].counts[0] > 101 ||
		    t->pts[i].cover != 60)
			wrong++;
	}
	ok(t != NULL && t->n == 10 && sum0 == 1000 && wrong == 0,
	    "ten steps share 1000 evenly, each fully covered");
	aggregate_batch_free(&b);
	aggregate_free(a);

	/* Replay filters add to one file and not another. */
	a = aggregate_create(4, 60, ST_TOTAL_SOURCE);
	make_sub(&s, "mx1.example.com", T0 + 60, 120, 10, 0, 0, 0);
	aggregate_add(a, &s, no_total, NULL);
	cut = T0;
	aggregate_add(a, &s, after, &cut);
	aggregate_close(a, INT64_MAX, &b);
	ok(counts_are(point(&b, "mx1.example.com", T0), 5, 0, 0, 0, 60) &&
		counts_are(
		    point(&b, "mx1.example.com", T0 + 60), 10, 0, 0, 0, 120),
	    "a filter picks the steps of the source");
	ok(point(&b, ST_TOTAL_SOURCE, T0) == NULL &&
		counts_are(point(&b, ST_TOTAL_SOURCE, T0 + 60), 5, 0, 0, 0, 60),
	    "and of _total, separately");
	aggregate_batch_free(&b);
	memset(&p, 0, sizeof(p));
	p.step = T0;
	p.counts[1] = 3;
	p.cover = 60;
	aggregate_add_point(a, "mx9.example.com", &p);
	aggregate_add_point(a, "mx9.example.com", &p);
	aggregate_close(a, T0, &b);
	ok(b.n == 1 &&
		counts_are(point(&b, "mx9.example.com", T0), 0, 6, 0, 0, 120),
	    "whole points add to one file only");
	aggregate_batch_free(&b);
	aggregate_free(a);

	/* Categories past ncategories are not summed. */
	a = aggregate_create(2, 60, ST_TOTAL_SOURCE);
	make_sub(&s, "mx1.example.com", T0, 60, 1, 2, 3, 4);
	aggregate_add(a, &s, NULL, NULL);
	aggregate_close(a, T0, &b);
	ok(counts_are(point(&b, "mx1.example.com", T0), 1, 2, 0, 0, 60),
	    "only the configured categories are counted");
	aggregate_batch_free(&b);
	aggregate_free(a);

	/* Saturating sums. */
	a = aggregate_create(4, 60, ST_TOTAL_SOURCE);
	make_sub(&s, "mx1.example.com", T0, 60, UINT64_MAX - 1, 0, 0, 0);
	aggregate_add(a, &s, NULL, NULL);
	aggregate_add(a, &s, NULL, NULL);
	aggregate_close(a, T0, &b);
	ok(point(&b, "mx1.example.com", T0) != NULL &&
		point(&b, "mx1.example.com", T0)->counts[0] == UINT64_MAX,
	    "a sum stops at the largest value rather than wrapping");
	aggregate_batch_free(&b);
	aggregate_free(a);

	/* Ten thousand sources. */
	a = aggregate_create(4, 60, ST_TOTAL_SOURCE);
	for (i = 0; i < NSOURCES; i++) {
		snprintf(name, sizeof(name), "s%zu.example.com", i);
		make_sub(&s, name, T0, 60, i, 1, 0, 0);
		aggregate_add(a, &s, NULL, NULL);
		make_sub(&s, name, T0 + 60, 60, 0, 0, i, 0);
		aggregate_add(a, &s, NULL, NULL);
		if (i % 3 == 0) {
			make_sub(&s, name, T0, 60, 0, 0, 0, 1);
			aggregate_add(a, &s, NULL, NULL);
		}
	}
	is_int(
	    aggregate_targets(a), NSOURCES + 1, "ten thousand and one files");
	is_int(
	    aggregate_open_buckets(a), 2 * (NSOURCES + 1), "two buckets each");
	aggregate_close(a, T0, &b);
	is_int(b.n, NSOURCES + 1, "one step closes for every file");
	for (i = 0, wrong = 0, sum0 = 0; i < b.n; i++) {
		unsigned long k;

		t = &b.targets[i];
		if (strcmp(t->name, ST_TOTAL_SOURCE) == 0)
			continue;
		if (t->n != 1 || sscanf(t->name, "s%lu.example.com", &k) != 1 ||
		    !counts_are(
			&t->pts[0], k, 1, 0, k % 3 == 0, k % 3 == 0 ? 120 : 60))
			wrong++;
		sum0 += t->pts[0].counts[0];
	}
	is_int(wrong, 0, "each file has its own source's counts");
	ok(sum0 == (uint64_t)NSOURCES * (NSOURCES - 1) / 2 &&
		counts_are(point(&b, ST_TOTAL_SOURCE, T0), sum0, NSOURCES, 0,
		    (NSOURCES + 2) / 3,
		    60ULL * (NSOURCES + (NSOURCES + 2) / 3)),
	    "the total is exact");
	aggregate_batch_free(&b);
	is_int(aggregate_open_buckets(a), NSOURCES + 1,
	    "the next step stays open");
	aggregate_close(a, T0 + 60, &b);
	ok(point(&b, ST_TOTAL_SOURCE, T0 + 60) != NULL &&
		point(&b, ST_TOTAL_SOURCE, T0 + 60)->counts[2] ==
		    (uint64_t)NSOURCES * (NSOURCES - 1) / 2,
	    "the next step closes with its own counts");
	aggregate_batch_free(&b);
	is_int(aggregate_open_buckets(a), 0, "nothing left open");
	aggregate_free(a);

	return tap_done();
}
