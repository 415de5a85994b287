/*
 * test_detect.c -- level-shift detection over synthetic hourly series:
 * cycles and noise stay quiet, real shifts are found and measured.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "collector/detect.h"
#include "tap.h"

#define T0    1222819200LL /* 2008-10-01 00:00 UTC, a Wednesday */
#define WEEKS 8
#define N     (WEEKS * DETECT_WEEK)

/* A small deterministic generator, so failures can be reproduced. */
static double
rnd_unit(uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return (double)(*state >> 11) / (double)(1ULL << 53);
}

/*
 * Fill v with a mail-like series: a daily cycle (night 45 % under the
 * afternoon), weekends 38 % under weekdays, and +-15 % uniform noise.
 */
static void
gen(double *v, size_t n, uint64_t seed)
{
	uint64_t st = seed * 2654435761ULL + 1;
	size_t	 i;
	double	 day, week;
	int	 h, d;

	for (i = 0; i < n; i++) {
		h = (int)(i % 24);
		d = (int)((i / 24 + 3) % 7); /* 0 = Sunday; T0 is a Wednesday */
		day = 1.0 + 0.45 * sin(2.0 * M_PI * (h - 9) / 24.0);
		week = (d == 0 || d == 6) ? 0.62 : 1.0;
		v[i] = 20000.0 * day * week * (0.85 + 0.30 * rnd_unit(&st));
	}
}

/* Multiply hours [from, to) of v by f. */
static void
scale(double *v, size_t from, size_t to, double f)
{
	size_t i;

	for (i = from; i < to; i++)
		v[i] *= f;
}

/* Run the detector with the defaults; returns the count and sets *f. */
static long
run(const double *v, size_t n, struct detect_finding **f)
{
	struct detect_params p;

	detect_defaults(&p);
	return detect_shifts(v, n, T0, &p, f);
}

int
main(void)
{
	static double	       v[N];
	struct detect_finding *f;
	double		       m[5];
	long		       n, total = 0;
	uint64_t	       seed;
	size_t		       at = 5 * DETECT_WEEK + 37, i;

	plan(27);

	m[0] = 3;
	m[1] = NAN;
	m[2] = 1;
	m[3] = 2;
	ok(detect_median(m, 4) == 2, "the median skips unknown values");
	m[0] = 4;
	m[1] = 1;
	ok(detect_median(m, 2) == 2.5,
	    "the median of an even count is the mean "
	    "of the middle pair");

	/* Cycles and noise only, many seeds. */
	for (seed = 1; seed <= 30; seed++) {
		gen(v, N, seed);
		n = run(v, N, &f);
		total += n;
		free(f);
	}
	is_int(total, 0,
	    "daily and weekly cycles with noise give no finding "
	    "(30 series)");

	/* A -66 % step that lasts. */
	gen(v, N, 7);
	scale(v, at, N, 0.34);
	n = run(v, N, &f);
	is_int(n, 1, "a -66%% step gives one finding");
	if (n >= 1) {
		ok(llabs(f[0].start - (T0 + (int64_t)at * 3600)) <= 3600,
		    "its start is within an hour of the step");
		ok(fabs(f[0].change_pct - -66.0) <= 3.0,
		    "its change is within 3 points of -66 (got %.1f)",
		    f[0].change_pct);
		ok(f[0].change_pct == round(f[0].change_pct * 10) / 10,
		    "the change has one decimal");
		ok(f[0].level < f[0].baseline * 0.4 && f[0].baseline > 10000,
		    "level %.0f is well under baseline %.0f", f[0].level,
		    f[0].baseline);
		is_int(f[0].end, 0, "a shift lasting to the end has no end");
		ok(f[0].recovered_pct < 10, "nothing recovered (got %.1f)",
		    f[0].recovered_pct);
	} else
		for (i = 0; i < 6; i++)
			ok(0, "no finding to check");
	free(f);

	/* The same step that recovers fully after ten days. */
	gen(v, N, 8);
	scale(v, at, at + 240, 0.34);
	n = run(v, N, &f);
	is_int(n, 1, "a step that recovers gives one finding");
	if (n >= 1) {
		ok(f[0].end > f[0].start &&
			llabs(f[0].end - (T0 + (int64_t)(at + 240) * 3600)) <=
			    13 * 3600,
		    "its end is near the recovery");
		ok(f[0].recovered_pct > 85 && f[0].recovered_pct < 115,
		    "recovered about 100%% (got %.1f)", f[0].recovered_pct);
	} else {
		ok(0, "no finding to check");
		ok(0, "no finding to check");
	}
	free(f);

	/* A two-hour dip. */
	gen(v, N, 9);
	scale(v, at, at + 2, 0.25);
	n = run(v, N, &f);
	is_int(n, 0, "a two-hour dip gives no finding");
	free(f);

	/* A three-hour dip is the shortest shift. */
	gen(v, N, 9);
	scale(v, at, at + 3, 0.25);
	n = run(v, N, &f);
	is_int(n, 1, "a three-hour dip is a finding");
	if (n >= 1)
		is_int(f[0].end - f[0].start, 3 * 3600, "it lasts three hours");
	else
		ok(0, "no finding to check");
	free(f);

	/* A rise of 80 %. */
	gen(v, N, 10);
	scale(v, at, N, 1.8);
	n = run(v, N, &f);
	is_int(n, 1, "a +80%% rise gives one finding");
	ok(n >= 1 && f[0].change_pct > 0 && fabs(f[0].change_pct - 80) <= 4,
	    "its change is positive and near +80 (got %.1f)",
	    n >= 1 ? f[0].change_pct : 0.0);
	free(f);

	/* A fall of 30 % is under the threshold. */
	gen(v, N, 11);
	scale(v, at, N, 0.70);
	n = run(v, N, &f);
	is_int(n, 0, "a -30%% step gives no finding");
	free(f);

	/* Two falls four hours apart are one finding. */
	gen(v, N, 12);
	scale(v, at, at + 10, 0.3);
	scale(v, at + 14, at + 24, 0.3);
	n = run(v, N, &f);
	is_int(n, 1, "two falls four hours apart are merged");
	if (n >= 1)
		ok(f[0].start == T0 + (int64_t)at * 3600 &&
			f[0].end == T0 + (int64_t)(at + 24) * 3600,
		    "the merged finding spans both");
	else
		ok(0, "no finding to check");
	free(f);

	/* Unknown hours are not a fall. */
	gen(v, N, 13);
	for (i = at; i < at + 48; i++)
		v[i] = NAN;
	n = run(v, N, &f);
	is_int(n, 0, "two unknown days give no finding");
	free(f);

	/* A quiet series falling to nothing is below the noise floor. */
	for (i = 0; i < N; i++)
		v[i] = i < at ? 20 : 0;
	n = run(v, N, &f);
	is_int(n, 0, "a series of 20 msgs/hour falling to 0 is ignored");
	free(f);

	/* Too little history: no baseline, no finding. */
	gen(v, N, 14);
	scale(v, 100, 200, 0.2);
	n = run(v, 2 * DETECT_WEEK, &f);
	is_int(n, 0, "a fall in the first week has no baseline");
	free(f);

	/* All unknown. */
	for (i = 0; i < N; i++)
		v[i] = NAN;
	n = run(v, N, &f);
	is_int(n, 0, "an unknown series gives no finding");
	ok(f == NULL, "and no array");
	free(f);

	n = run(v, 0, &f);
	is_int(n, 0, "an empty series gives no finding");
	return tap_done();
}
