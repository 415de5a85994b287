/*
 * test_aggregate.c -- summing submissions per source and step, and handing
 * closed steps over in order.
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

/* The entry of source in fs, or NULL. */
static const struct flush_entry *
find_entry(const struct flush_step *fs, const char *source)
{
	size_t i;

	for (i = 0; i < fs->n; i++)
		if (strcmp(fs->entries[i].source, source) == 0)
			return &fs->entries[i];
	return NULL;
}

/* 1 when e holds exactly these four counts. */
static int
counts_are(const struct flush_entry *e, uint64_t c0, uint64_t c1, uint64_t c2,
    uint64_t c3)
{
	return e != NULL && e->counts[0] == c0 && e->counts[1] == c1 &&
	    e->counts[2] == c2 && e->counts[3] == c3;
}

int
main(void)
{
	struct aggregate	 *a;
	struct submission	  s;
	struct flush_step	 *steps;
	const struct flush_entry *e;
	char			  name[64];
	size_t			  n, i, wrong;
	uint64_t		  sum0;
	int64_t			  prev;

	plan(38);

	/* Exact sums per source and a total per step. */
	a = aggregate_create(4, 60);
	ok(aggregate_close(a, INT64_MAX, &steps) == 0,
	    "an empty aggregate closes nothing");
	aggregate_free_steps(steps, 0);
	make_sub(&s, "mx1.example.com", T0, 60, 1, 2, 3, 4);
	aggregate_add(a, &s);
	aggregate_add(a, &s);
	make_sub(&s, "mx2.example.com", T0, 60, 10, 0, 0, 1000000000000ULL);
	aggregate_add(a, &s);
	ok(aggregate_knows(a, "mx1.example.com") &&
		!aggregate_knows(a, "mx3.example.com"),
	    "aggregate_knows tells seen sources from others");
	is_int(aggregate_sources(a), 2, "two sources");
	is_int(aggregate_open_buckets(a), 2,
	    "one open bucket per source and step");
	n = aggregate_close(a, T0 - 60, &steps);
	is_int(n, 0, "closing before the step detaches nothing");
	aggregate_free_steps(steps, n);
	n = aggregate_close(a, T0, &steps);
	is_int(n, 1, "closing through the step detaches one step");
	ok(n == 1 && steps[0].step == T0, "labelled by its end");
	ok(n == 1 && steps[0].n == 2, "with both sources");
	ok(n == 1 &&
		counts_are(
		    find_entry(&steps[0], "mx1.example.com"), 2, 4, 6, 8),
	    "a source's two submissions are summed exactly");
	ok(n == 1 &&
		counts_are(find_entry(&steps[0], "mx2.example.com"), 10, 0, 0,
		    1000000000000ULL),
	    "the other source keeps its own counts");
	ok(n == 1 && steps[0].total[0] == 12 && steps[0].total[1] == 4 &&
		steps[0].total[2] == 6 && steps[0].total[3] == 1000000000008ULL,
	    "the total is the sum over the sources");
	aggregate_free_steps(steps, n);
	is_int(aggregate_open_buckets(a), 0, "no bucket is left open");
	n = aggregate_close(a, T0, &steps);
	is_int(n, 0, "a step is handed over only once");
	aggregate_free_steps(steps, n);
	ok(aggregate_knows(a, "mx1.example.com"),
	    "closing keeps the source known");
	aggregate_free(a);

	/* Closing detaches only steps <= through, in increasing order. */
	a = aggregate_create(4, 60);
	for (i = 10; i > 0; i--) {
		make_sub(&s, i % 2 ? "odd.example.com" : "even.example.com",
		    T0 + 60 * (int64_t)i, 60, i, 0, 0, 0);
		aggregate_add(a, &s);
	}
	is_int(aggregate_open_buckets(a), 10, "ten open buckets");
	n = aggregate_close(a, T0 + 60 * 6, &steps);
	is_int(n, 6, "closing through the sixth step detaches six steps");
	for (i = 0, wrong = 0, prev = INT64_MIN; i < n; i++) {
		if (steps[i].step <= prev || steps[i].step > T0 + 60 * 6 ||
		    steps[i].n != 1 ||
		    steps[i].total[0] != (uint64_t)(steps[i].step - T0) / 60)
			wrong++;
		prev = steps[i].step;
	}
	is_int(wrong, 0, "steps come sorted, each with its own count");
	aggregate_free_steps(steps, n);
	is_int(aggregate_open_buckets(a), 4, "the four later steps stay open");
	make_sub(&s, "odd.example.com", T0 + 60 * 8, 60, 100, 0, 0, 0);
	aggregate_add(a, &s);
	n = aggregate_close(a, T0 + 60 * 8, &steps);
	ok(n == 2 && steps[0].step == T0 + 60 * 7 &&
		steps[1].step == T0 + 60 * 8,
	    "later steps close later");
	ok(n == 2 && steps[1].total[0] == 108,
	    "an open step keeps adding until it closes");
	aggregate_free_steps(steps, n);
	aggregate_free(a);

	/* An empty counts submission makes a live zero entry. */
	a = aggregate_create(4, 60);
	make_sub(&s, "quiet.example.com", T0, 60, 0, 0, 0, 0);
	aggregate_add(a, &s);
	n = aggregate_close(a, T0, &steps);
	ok(n == 1 && steps[0].n == 1 &&
		counts_are(
		    find_entry(&steps[0], "quiet.example.com"), 0, 0, 0, 0),
	    "a source that counted nothing yields a zero entry");
	aggregate_free_steps(steps, n);
	aggregate_free(a);

	/* Spreading across steps. */
	a = aggregate_create(4, 60);
	make_sub(&s, "mx1.example.com", T0 + 120, 120, 121, 1, 0, 2);
	aggregate_add(a, &s);
	is_int(aggregate_open_buckets(a), 2,
	    "a two-step interval opens two buckets");
	n = aggregate_close(a, T0 + 120, &steps);
	ok(n == 2 && steps[0].step == T0 + 60 && steps[1].step == T0 + 120,
	    "121 over 120 s lands in two steps");
	ok(n == 2 && steps[0].total[0] == 60 && steps[1].total[0] == 61,
	    "as 60 then 61");
	ok(n == 2 && steps[0].total[1] + steps[1].total[1] == 1 &&
		steps[0].total[3] + steps[1].total[3] == 2,
	    "small counts are not lost");
	ok(n == 2 && steps[0].n == 1 && steps[1].n == 1,
	    "both steps are live for the source, even one with zero of a "
	    "category");
	aggregate_free_steps(steps, n);
	make_sub(&s, "mx1.example.com", T0 + 30, 60, 10, 0, 0, 0);
	aggregate_add(a, &s);
	n = aggregate_close(a, INT64_MAX, &steps);
	ok(n == 2 && steps[0].step == T0 && steps[1].step == T0 + 60 &&
		steps[0].total[0] == 5 && steps[1].total[0] == 5,
	    "an interval straddling a boundary is split by overlap");
	aggregate_free_steps(steps, n);
	make_sub(&s, "mx1.example.com", T0 + 600, 600, 1000, 0, 0, 0);
	aggregate_add(a, &s);
	n = aggregate_close(a, INT64_MAX, &steps);
	for (i = 0, sum0 = 0, wrong = 0; i < n; i++) {
		sum0 += steps[i].total[0];
		if (steps[i].total[0] < 100 || steps[i].total[0] > 101)
			wrong++;
	}
	ok(n == 10 && sum0 == 1000 && wrong == 0,
	    "ten steps share 1000 evenly and the sum is exact");
	aggregate_free_steps(steps, n);
	aggregate_free(a);

	/* Categories past ncategories are not summed. */
	a = aggregate_create(2, 60);
	make_sub(&s, "mx1.example.com", T0, 60, 1, 2, 3, 4);
	aggregate_add(a, &s);
	n = aggregate_close(a, T0, &steps);
	ok(n == 1 && counts_are(&steps[0].entries[0], 1, 2, 0, 0) &&
		steps[0].total[2] == 0,
	    "only the configured categories are counted");
	aggregate_free_steps(steps, n);
	aggregate_free(a);

	/* Ten thousand sources. */
	a = aggregate_create(4, 60);
	for (i = 0; i < NSOURCES; i++) {
		snprintf(name, sizeof(name), "s%zu.example.com", i);
		make_sub(&s, name, T0, 60, i, 1, 0, 0);
		aggregate_add(a, &s);
		make_sub(&s, name, T0 + 60, 60, 0, 0, i, 0);
		aggregate_add(a, &s);
		if (i % 3 == 0) {
			make_sub(&s, name, T0, 60, 0, 0, 0, 1);
			aggregate_add(a, &s);
		}
	}
	is_int(aggregate_sources(a), NSOURCES, "ten thousand sources");
	is_int(aggregate_open_buckets(a), 2 * NSOURCES, "two buckets each");
	n = aggregate_close(a, T0, &steps);
	is_int(n, 1, "one step closes");
	ok(n == 1 && steps[0].n == NSOURCES, "with every source");
	for (i = 0, wrong = 0, sum0 = 0; n == 1 && i < steps[0].n; i++) {
		unsigned long k;

		e = &steps[0].entries[i];
		if (sscanf(e->source, "s%lu.example.com", &k) != 1 ||
		    !counts_are(e, k, 1, 0, k % 3 == 0))
			wrong++;
		sum0 += e->counts[0];
	}
	is_int(wrong, 0, "each entry has its own source's counts");
	ok(n == 1 && sum0 == (uint64_t)NSOURCES * (NSOURCES - 1) / 2 &&
		steps[0].total[0] == sum0 && steps[0].total[1] == NSOURCES &&
		steps[0].total[3] == (NSOURCES + 2) / 3,
	    "the totals are exact");
	aggregate_free_steps(steps, n);
	is_int(aggregate_open_buckets(a), NSOURCES, "the next step stays open");
	n = aggregate_close(a, T0 + 60, &steps);
	ok(n == 1 && steps[0].n == NSOURCES &&
		steps[0].total[2] == (uint64_t)NSOURCES * (NSOURCES - 1) / 2 &&
		steps[0].total[0] == 0,
	    "the next step closes with its own counts");
	aggregate_free_steps(steps, n);
	is_int(aggregate_open_buckets(a), 0, "nothing left open");
	aggregate_free(a);

	return tap_done();
}
