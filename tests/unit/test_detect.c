/*
 * test_detect.c -- level-shift detection over synthetic hourly series:
 * cycles and noise stay quiet; real shifts are found once, measured over
 * a fixed window and ended by their return; reporting gaps are outages;
 * new series are learnt; a finding does not change with the data after it.
 * (The published events and the controls are tests/unit/test_scenarios.c.)
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collector/detect.h"
#include "tap.h"

#define T0    1222819200LL /* 2008-10-01 00:00 UTC, a Wednesday */
#define WEEKS 10
#define N     (WEEKS * DETECT_WEEK)
#define AT    (6 * DETECT_WEEK + 37) /* a Wednesday, 13:00 */

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
 * Fill v with a mail-like series of `volume` msgs/hour: a daily cycle
 * (night 45 % under the afternoon), weekends at `weekend` of weekdays
 * (spam: a little quieter, 0.85; ham: much quieter, 0.45), and +-noise
 * uniform noise.
 */
static void
gen_week(double *v, size_t n, uint64_t seed, double volume, double noise,
    double weekend)
{
	uint64_t st = seed * 2654435761ULL + 1;
	size_t	 i;
	double	 day, week;
	int	 h, d;

	for (i = 0; i < n; i++) {
		h = (int)(i % 24);
		d = (int)((i / 24 + 3) % 7); /* 0 = Sunday; T0 is a Wednesday */
		day = 1.0 + 0.45 * sin(2.0 * M_PI * (h - 9) / 24.0);
		week = (d == 0 || d == 6) ? weekend : 1.0;
		v[i] = round(volume * day * week *
		    (1.0 - noise + 2.0 * noise * rnd_unit(&st)));
	}
}

/* A spam-like series (see gen_week). */
static void
gen(double *v, size_t n, uint64_t seed, double volume, double noise)
{
	gen_week(v, n, seed, volume, noise, 0.85);
}

/* Multiply hours [from, to) of v by f. */
static void
scale(double *v, size_t from, size_t to, double f)
{
	size_t i;

	for (i = from; i < to; i++)
		v[i] *= f;
}

/* Run the detector with the defaults and coverage cov (or NULL). */
static long
run_cov(const double *v, const double *cov, size_t n, struct detect_finding **f)
{
	struct detect_params p;

	detect_defaults(&p);
	return detect_shifts(v, cov, n, T0, &p, f);
}

/* Run the detector with the defaults. */
static long
run(const double *v, size_t n, struct detect_finding **f)
{
	return run_cov(v, NULL, n, f);
}

/* How many findings of kind k there are. */
static long
count(const struct detect_finding *f, long n, enum detect_kind k)
{
	long i, c = 0;

	for (i = 0; i < n; i++)
		c += f[i].kind == k;
	return c;
}

/* The first finding of kind k, or NULL. */
static const struct detect_finding *
first(const struct detect_finding *f, long n, enum detect_kind k)
{
	long i;

	for (i = 0; i < n; i++)
		if (f[i].kind == k)
			return &f[i];
	return NULL;
}

/* Order doubles for qsort: the reference the median is checked against. */
static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The median by sorting, the obvious way. */
static double
sorted_median(double *x, size_t n)
{
	qsort(x, n, sizeof(*x), cmp);
	return n % 2 ? x[n / 2] : (x[n / 2 - 1] + x[n / 2]) / 2.0;
}

/* The median helper against sorting, on random arrays with ties. */
static void
test_median(void)
{
	double	 m[5], a[300], b[300];
	uint64_t st = 99;
	size_t	 n, i;
	int	 bad = 0, t;

	m[0] = 3;
	m[1] = NAN;
	m[2] = 1;
	m[3] = 2;
	ok(detect_median(m, 4) == 2, "the median skips unknown values");
	m[0] = 4;
	m[1] = 1;
	ok(detect_median(m, 2) == 2.5,
	    "the median of an even count is the mean of the middle pair");
	for (t = 0; t < 500; t++) {
		n = 1 + (size_t)(rnd_unit(&st) * 299);
		for (i = 0; i < n; i++)
			a[i] = b[i] = floor(rnd_unit(&st) * 20);
		bad += detect_median(a, n) != sorted_median(b, n);
	}
	is_int(bad, 0, "the median agrees with sorting on 500 random arrays");
}

int
main(void)
{
	static double		     v[N], w[N + 4 * DETECT_WEEK], cov[N];
	struct detect_finding	    *f, *g;
	const struct detect_finding *x;
	long			     n, n2, total = 0;
	uint64_t		     seed;
	size_t			     i;
	int			     same;

	plan(44);
	test_median();

	/* Cycles and noise only, many seeds. */
	for (seed = 1; seed <= 30; seed++) {
		gen(v, N, seed, 20000, 0.15);
		n = run(v, N, &f);
		total += count(f, n, DETECT_FALL) + count(f, n, DETECT_RISE);
		free(f);
	}
	is_int(total, 0,
	    "daily and weekly cycles with noise give no fall or rise (30 "
	    "series)");

	/* A -66 % step that lasts. */
	gen(v, N, 7, 20000, 0.15);
	scale(v, AT, N, 0.34);
	n = run(v, N, &f);
	is_int(count(f, n, DETECT_FALL) + count(f, n, DETECT_RISE), 1,
	    "a -66%% step gives one finding");
	if ((x = first(f, n, DETECT_FALL)) != NULL) {
		is_int(
		    x->start, T0 + (int64_t)AT * 3600, "it starts at the step");
		ok(fabs(x->change_pct - -66.0) <= 3.0,
		    "its change is within 3 points of -66 (got %.1f)",
		    x->change_pct);
		ok(x->change_pct == round(x->change_pct * 10) / 10,
		    "the change has one decimal");
		ok(x->level < x->baseline * 0.4 && x->baseline > 10000,
		    "level %.0f is well under baseline %.0f", x->level,
		    x->baseline);
		ok(x->end == 0 && x->ret == 0 && x->state == DETECT_ONGOING,
		    "a shift lasting to the end is ongoing");
		ok(x->recovered_pct < 10, "nothing recovered (got %.1f)",
		    x->recovered_pct);
		is_int(x->confirmed - x->start, 8 * 3600,
		    "it is sure of it after 8 hours");
		ok(x->threshold_pct <= -20.0 && x->threshold_pct > -66.0,
		    "the series' threshold is the floor or above (%.1f)",
		    x->threshold_pct);
	} else
		for (i = 0; i < 8; i++)
			ok(0, "no finding to check");
	free(f);

	/* The same step, recovering fully after ten days. */
	gen(v, N, 8, 20000, 0.15);
	scale(v, AT, AT + 240, 0.34);
	n = run(v, N, &f);
	is_int(count(f, n, DETECT_FALL) + count(f, n, DETECT_RISE), 1,
	    "a step that comes back gives one finding, not two");
	if ((x = first(f, n, DETECT_FALL)) != NULL) {
		ok(x->state == DETECT_ENDED && x->end == x->ret &&
			llabs(x->ret - (T0 + (int64_t)(AT + 240) * 3600)) <=
			    3600,
		    "it ends with the return, within an hour");
		ok(x->recovered_pct > 85 && x->recovered_pct < 115,
		    "recovered about 100%% (got %.1f)", x->recovered_pct);
	} else {
		ok(0, "no finding to check");
		ok(0, "no finding to check");
	}
	free(f);

	/* Back, then down again a week later: two findings. */
	gen(v, N, 21, 20000, 0.15);
	scale(v, AT - 14 * 24, AT - 7 * 24, 0.4);
	scale(v, AT, N, 0.4);
	n = run(v, N, &f);
	ok(count(f, n, DETECT_FALL) == 2 && count(f, n, DETECT_RISE) == 0 &&
		f[n - 1].start == T0 + (int64_t)AT * 3600,
	    "a fall that came back and a fall a week later are two falls");
	free(f);

	/* Short dips are not shifts; half a day is. */
	gen(v, N, 9, 20000, 0.15);
	scale(v, AT, AT + 4, 0.25);
	n = run(v, N, &f);
	is_int(count(f, n, DETECT_FALL), 0, "a four-hour dip is no finding");
	free(f);
	gen(v, N, 9, 20000, 0.15);
	scale(v, AT, AT + 12, 0.25);
	n = run(v, N, &f);
	x = first(f, n, DETECT_FALL);
	ok(count(f, n, DETECT_FALL) == 1 && x->ret - x->start == 12 * 3600,
	    "a twelve-hour dip is one finding, ended twelve hours later");
	free(f);

	/* A rise of 80 %. */
	gen(v, N, 10, 20000, 0.15);
	scale(v, AT, N, 1.8);
	n = run(v, N, &f);
	x = first(f, n, DETECT_RISE);
	ok(count(f, n, DETECT_RISE) == 1 && count(f, n, DETECT_FALL) == 0 &&
		fabs(x->change_pct - 80) <= 4,
	    "a +80%% step is one rise of about +80 (got %.1f)",
	    x != NULL ? x->change_pct : 0.0);
	free(f);

	/* -30 % is found on a steady sensor; -12 % is under the floor. */
	gen(v, N, 11, 20000, 0.10);
	scale(v, AT, N, 0.70);
	n = run(v, N, &f);
	x = first(f, n, DETECT_FALL);
	ok(count(f, n, DETECT_FALL) == 1 && fabs(x->change_pct + 30) <= 3,
	    "a -30%% step on a steady sensor is found (got %.1f)",
	    x != NULL ? x->change_pct : 0.0);
	free(f);
	gen(v, N, 11, 20000, 0.10);
	scale(v, AT, N, 0.88);
	n = run(v, N, &f);
	is_int(count(f, n, DETECT_FALL), 0, "a -12%% step is not");
	free(f);

	/* The same -30 % on a series whose hours swing by +-60 % is not. */
	gen(v, N, 12, 20000, 0.60);
	scale(v, AT, N, 0.70);
	n = run(v, N, &f);
	is_int(count(f, n, DETECT_FALL) + count(f, n, DETECT_RISE), 0,
	    "a -30%% step in +-60%% noise is under that series' threshold");
	free(f);

	/* A level that settles near the threshold is one finding. */
	gen(v, N, 13, 20000, 0.10);
	scale(v, AT - 4 * DETECT_WEEK, N, 0.74);
	n = run(v, N, &f);
	is_int(count(f, n, DETECT_FALL) + count(f, n, DETECT_RISE), 1,
	    "a -26%% level held for four weeks is one finding");
	x = first(f, n, DETECT_FALL);
	ok(x != NULL && x->state == DETECT_SETTLED &&
		x->end == x->start + 28 * 86400,
	    "after four weeks it is the new normal (settled)");
	free(f);

	/* Unknown hours are not a fall. */
	gen(v, N, 14, 20000, 0.15);
	for (i = AT; i < AT + 48; i++)
		v[i] = NAN;
	n = run(v, N, &f);
	is_int(count(f, n, DETECT_FALL) + count(f, n, DETECT_RISE) +
		count(f, n, DETECT_OUTAGE),
	    0, "two unknown days give no finding");
	free(f);

	/* A quiet series is below the evidence floor. */
	for (i = 0; i < N; i++)
		v[i] = i < AT ? 10 : 0;
	n = run(v, N, &f);
	is_int(count(f, n, DETECT_FALL) + count(f, n, DETECT_OUTAGE), 0,
	    "a series of 10 msgs/hour falling to 0 is ignored");
	free(f);

	/* A young series is learning; learnt, it is watched. */
	gen(v, N, 15, 20000, 0.15);
	n = run(v, 2 * 24, &f);
	ok(n == 1 && f[0].kind == DETECT_LEARNING &&
		f[0].state == DETECT_ONGOING && f[0].start == T0 &&
		f[0].end == 0,
	    "a two-day-old series is one learning span, ongoing");
	ok(n == 1 &&
		strcmp(detect_state_name(f[0].kind, f[0].state), "learning") ==
		    0 &&
		strcmp(detect_kind_name(f[0].kind), "learning") == 0,
	    "named learning");
	free(f);
	for (i = 0; i < N; i++)
		v[i] = i < AT - 10 * 24 ? NAN : v[i];
	scale(v, AT, N, 0.34);
	n = run(v, N, &f);
	x = first(f, n, DETECT_LEARNING);
	ok(x != NULL && x->state == DETECT_ENDED &&
		x->start == T0 + (int64_t)(AT - 240) * 3600 &&
		x->end - x->start >= 72 * 3600 &&
		x->end - x->start <= 6 * 86400,
	    "a new series learns for three to six days");
	x = first(f, n, DETECT_FALL);
	ok(x != NULL && x->start == T0 + (int64_t)AT * 3600 &&
		fabs(x->change_pct + 66) <= 3,
	    "and a -66%% fall on its tenth day is found at once (%.1f)",
	    x != NULL ? x->change_pct : 0.0);
	free(f);

	/* Reporting: zeros with no coverage are an outage, not a fall. */
	gen(v, N, 16, 20000, 0.15);
	for (i = 0; i < N; i++)
		cov[i] = 1.0;
	for (i = AT; i < AT + 48; i++) {
		v[i] = 0;
		cov[i] = 0;
	}
	n = run_cov(v, cov, N, &f);
	ok(count(f, n, DETECT_OUTAGE) == 1 && count(f, n, DETECT_FALL) == 0 &&
		count(f, n, DETECT_RISE) == 0,
	    "two silent days (coverage 0) are one outage");
	x = first(f, n, DETECT_OUTAGE);
	ok(x != NULL && x->state == DETECT_ENDED &&
		llabs(x->ret - (T0 + (int64_t)(AT + 48) * 3600)) <= 3600,
	    "which ends when reporting resumes");
	free(f);
	n = run(v, N, &f);
	ok(count(f, n, DETECT_OUTAGE) == 1 && count(f, n, DETECT_FALL) == 0,
	    "two days of zeros without coverage are an outage too");
	free(f);

	/* A sum of three sources that loses its biggest for a day. */
	gen(v, N, 17, 20000, 0.10);
	for (i = 0; i < N; i++)
		cov[i] = 3.0;
	for (i = AT; i < AT + 24; i++) {
		v[i] *= 0.5;
		cov[i] = 2.0;
	}
	n = run_cov(v, cov, N, &f);
	ok(count(f, n, DETECT_OUTAGE) == 1 && count(f, n, DETECT_FALL) == 0,
	    "a sum that lost one of three sources for a day: an outage, not a "
	    "fall");
	free(f);

	/* A sum that gains a source is coverage, not a rise. */
	gen(v, N, 18, 20000, 0.10);
	for (i = 0; i < N; i++)
		cov[i] = i < AT ? 3.0 : 4.0;
	scale(v, AT, N, 4.0 / 3.0);
	n = run_cov(v, cov, N, &f);
	ok(count(f, n, DETECT_COVERAGE) == 1 && count(f, n, DETECT_RISE) == 0,
	    "a sum that gained a fourth source: coverage, not a rise");
	free(f);

	/* Weekdays as quiet as Sundays (ham on holidays), then for good. */
	gen_week(v, N, 19, 3000, 0.10, 0.45);
	scale(v, AT - 13, AT + 35, 0.45);
	n = run(v, N, &f);
	is_int(count(f, n, DETECT_FALL), 0,
	    "two weekdays of ham at weekend level are taken for holidays");
	free(f);
	gen_week(v, N, 19, 3000, 0.10, 0.45);
	scale(v, AT - 13, N, 0.45);
	n = run(v, N, &f);
	is_int(count(f, n, DETECT_FALL), 1,
	    "but ham that stays at weekend level has fallen");
	free(f);

	/*
	 * What the data after a finding's window do not change: cut three
	 * days after the start, or four weeks more, the finding is the same.
	 */
	gen(w, N + 4 * DETECT_WEEK, 20, 20000, 0.15);
	scale(w, AT, AT + 24 * 18, 0.4);
	n = run(w, AT + 72, &f);
	n2 = run(w, N + 4 * DETECT_WEEK, &g);
	x = first(g, n2, DETECT_FALL);
	same = x != NULL && first(f, n, DETECT_FALL) != NULL;
	if (same) {
		const struct detect_finding *y = first(f, n, DETECT_FALL);

		same = y->start == x->start && y->confirmed == x->confirmed &&
		    y->baseline == x->baseline && y->level == x->level &&
		    y->change_pct == x->change_pct &&
		    y->threshold_pct == x->threshold_pct;
	}
	ok(same,
	    "start, baseline, level and change do not depend on how much "
	    "data follows");
	ok(x != NULL && x->state == DETECT_ENDED && f[n - 1].end == 0,
	    "only the state and end follow the data: ended later, ongoing "
	    "before");
	free(f);
	free(g);

	/* Names. */
	ok(strcmp(detect_kind_name(DETECT_FALL), "fall") == 0 &&
		strcmp(detect_kind_name(DETECT_RISE), "rise") == 0 &&
		strcmp(detect_kind_name(DETECT_OUTAGE), "outage") == 0 &&
		strcmp(detect_kind_name(DETECT_COVERAGE), "coverage") == 0,
	    "kinds are named fall, rise, outage, coverage");
	ok(strcmp(detect_state_name(DETECT_FALL, DETECT_ONGOING), "ongoing") ==
		    0 &&
		strcmp(detect_state_name(DETECT_FALL, DETECT_SETTLED),
		    "settled") == 0 &&
		strcmp(detect_state_name(DETECT_FALL, DETECT_ENDED), "ended") ==
		    0,
	    "states are named ongoing, settled, ended");

	/* All unknown; empty. */
	for (i = 0; i < N; i++)
		v[i] = NAN;
	n = run(v, N, &f);
	ok(n == 0 && f == NULL,
	    "an unknown series gives no finding and no "
	    "array");
	free(f);
	n = run(v, 0, &f);
	is_int(n, 0, "an empty series gives no finding");
	return tap_done();
}
