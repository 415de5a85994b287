/*
 * detect.c -- level-shift detection over hourly message counts.
 *
 * Owns what a shift is: where it starts, whether it holds, how big it is,
 * when it comes back or settles, what is an outage rather than a fall,
 * and the learning of a new series.  What each hour is expected at (its
 * baseline, the series' noise, its reporting) is detect_expect.c.  It
 * fetches nothing (drops.c does) and formats nothing (api_events.c does).
 *
 * Design notes.
 *
 * The quantity judged is the hour's log-ratio against its expectation,
 * log((v + 1) / (e + 1)): a fall to half and a rise to double are the same
 * distance from zero, and a multiplicative daily or weekly cycle cancels.
 * The expectation is the median of the same hour of the same weekday over
 * the last `weeks` weeks with data (at least `min_weeks`), or, for a young
 * series or after a long gap, of the same hour over the last `days` days
 * of the same kind (weekday or weekend, at least `min_days`).  History
 * enters minus the regime in effect then (the level of the last shift
 * adopted), so the weeks before and after a shift line up and nothing has
 * to be masked; a slow drift is followed between shifts (an exponential
 * average over `level_tau` hours, each hour's pull capped at k) but is not
 * written into history, so a wrong step of it corrects itself.
 *
 * Each series sets its own threshold: sigma is 1.4826 times the median
 * absolute deviation of the log-ratios of its ordinary hours over the last
 * `noise_hours`, measured again every day.  The smallest shift reported is
 * dmin = max(-log(1 - floor), z * sigma): on an aggregate sensor with 7 %
 * hourly noise that is the 20 % floor (a rise: 25 %); on a small source
 * whose hours swing by 30 % it is a fall of 60 %.  A robust spread, not
 * the standard deviation, so the shifts and bursts being looked for do not
 * raise their own bar.
 *
 * A two-sided CUSUM of the log-ratios (reference k = dmin / 2) notes when
 * a shift may have begun.  It is a finding when, at once: the last
 * `min_hours` hours are all beyond k (so what comes back within a few
 * hours is not one: campaign bursts, a reporter silent or sending zeros
 * for two to four hours, which straddle up to five clock hours); the
 * median of its hours is beyond dmin; and their mean is h standard
 * errors from zero, the standard error sigma * sqrt((1 + rho) / (1 - rho))
 * / sqrt(n), rho the lag-1 autocorrelation of the same residuals: hourly
 * noise drifts, and n drifting hours are worth fewer independent ones.
 * Its start is the maximum-likelihood change point of a mean shift,
 * (sum)^2 / n over the hours from it, so a sum that crept up before the
 * shift does not date it early.  CUSUM was chosen over Bayesian online
 * change-point detection because it is a few lines, runs in one pass over
 * a year of hours in milliseconds, and each of its numbers can be
 * explained; librrd's Holt-Winters FAILURES flags that something is odd
 * but gives neither a start nor a size.
 *
 * A finding is measured over its first `level_hours` (the median
 * log-ratio of those hours, against the expectation before it), or fewer
 * when it comes back sooner, so its baseline, level and change depend on
 * that window only, not on what is asked or on the data after it; one
 * that does not hold at half its threshold over that window is withdrawn.
 * Its level is then the expectation: a level near the threshold is one
 * finding, not many.  It waits for a return: a later shift, or a slow
 * drift (the median of the last day), that brings the volume `recover`
 * of the way back against the finding's own baseline ends it.  A shift
 * that undoes part of an open finding is its recovery, not a finding of
 * its own (unless it overshoots the old level by a threshold).  After
 * `settle_hours` without a return the new level is the normal (settled);
 * a later return is then a shift of its own.
 *
 * Reporting is not mail.  Hours reported less than usual (coverage), or
 * zeros where at least min_expected was due, and the partial hours at the
 * edges of such a spell, are flagged and never history.  A shift made
 * mostly of them is an outage (rising: coverage), not a fall; while it
 * lasts its hours are no further evidence, and the return of reporting
 * ends it.  A weekday hour that matches the same hour of the recent
 * weekends, on a series whose weekends are much quieter, is taken for a
 * holiday and judged against them, at most three days' worth a week.
 *
 * A new series (or one back after a week without history) is learnt: at
 * least warmup_hours, until a day matches the last day of the same kind
 * within half the floor.  The days before that are never history, so a
 * ramp-up is not a rise.
 */
#include "detect.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "detect_int.h"

/* Fill p with the defaults. */
void
detect_defaults(struct detect_params *p)
{
	memset(p, 0, sizeof(*p));
	p->floor = 0.20;
	p->z = 3.0;
	p->h = 5.0;
	p->min_hours = 8;
	p->level_hours = 24;
	p->recover = 0.75;
	p->settle_hours = 28 * DETECT_DAY;
	p->weeks = 4;
	p->min_weeks = 2;
	p->days = 7;
	p->min_days = 2;
	p->warmup_hours = 3 * DETECT_DAY;
	p->noise_hours = 4 * DETECT_WEEK;
	p->level_tau = 3 * DETECT_DAY;
	p->min_expected = 20.0;
}

/* The API's name of a kind. */
const char *
detect_kind_name(enum detect_kind k)
{
	switch (k) {
	case DETECT_FALL:
		return "fall";
	case DETECT_RISE:
		return "rise";
	case DETECT_OUTAGE:
		return "outage";
	case DETECT_COVERAGE:
		return "coverage";
	case DETECT_LEARNING:
		return "learning";
	}
	return "?";
}

/* The API's name of a state: a learning series still learning is "learning". */
const char *
detect_state_name(enum detect_kind k, enum detect_state s)
{
	switch (s) {
	case DETECT_ONGOING:
		return k == DETECT_LEARNING ? "learning" : "ongoing";
	case DETECT_SETTLED:
		return "settled";
	case DETECT_ENDED:
		return "ended";
	}
	return "?";
}

/* Round to one decimal. */
static double
detect_round1(double x)
{
	return round(x * 10.0) / 10.0;
}

/* Append a finding; -1 when out of memory. */
static long
run_push(struct run *r, const struct track *t)
{
	struct track *nv;

	if (r->ntr == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 8;
		if ((nv = realloc(r->tr, r->cap * sizeof(*nv))) == NULL)
			return -1;
		r->tr = nv;
	}
	r->tr[r->ntr] = *t;
	return (long)r->ntr++;
}

/* Forget both sums; they may start again at hour i. */
static void
run_reset(struct run *r, size_t i)
{
	r->cus[0] = r->cus[1] = 0;
	r->reset = i;
}

/*
 * Close the level window at hour end (exclusive): the level becomes the
 * median of its hours, which is written into their history, and the
 * finding it measures gets its baseline, level and change.
 */
static void
run_window_close(struct run *r, size_t end)
{
	struct track *t;
	size_t	      j, m = 0;
	double	      lv;

	for (j = r->w.s; j < end; j++)
		if (!isnan(r->h[j].r))
			r->tmp[m++] = r->h[j].raw;
	lv = m > 0 ? detect_median(r->tmp, m) : r->reg;
	for (j = r->w.s; j < end; j++)
		r->h[j].reg = lv;
	r->reg = lv;
	r->drift = 0;
	r->w.active = 0;
	if (r->w.track < 0)
		return;
	t = &r->tr[r->w.track];
	t->wend = end;
	t->delta = lv - t->pre;
	/* What did not hold over its window at half the size it needed. */
	if (t->dir * t->delta < t->dmin / 2.0) {
		t->gone = 1;
		t->open = 0;
		return;
	}
	t->f.change_pct = detect_round1((exp(t->delta) - 1.0) * 100.0);
	for (m = 0, j = r->w.s; j < end; j++)
		if (!isnan(r->h[j].r))
			r->tmp[m++] =
			    exp(r->h[j].y - r->h[j].raw + t->pre) - 1.0;
	t->f.baseline = detect_median(r->tmp, m);
	for (m = 0, j = r->w.s; j < end; j++)
		if (!isnan(r->h[j].r))
			r->tmp[m++] = r->v[j];
	t->f.level = detect_median(r->tmp, m);
}

/* Follow the open window: its level is the median of its hours so far. */
static void
run_window(struct run *r, size_t i)
{
	size_t j, lim = i, m = 0;
	int    opp = r->w.dir < 0 ? 1 : 0;

	/* Hours that already lean back are the return's, not the shift's. */
	if (r->cus[opp] > 0 && r->from[opp] > r->w.s)
		lim = r->from[opp] - 1;
	for (j = r->w.s; j <= lim; j++)
		if (!isnan(r->h[j].r))
			r->tmp[m++] = r->h[j].raw;
	if (m > 0)
		r->reg = detect_median(r->tmp, m);
	if (i + 1 - r->w.s >= r->p->level_hours)
		run_window_close(r, i + 1);
}

/*
 * The share of t's change undone at rel, a log level against t's baseline
 * (1: all of it, 0: none).
 */
static double
track_recovered(const struct track *t, double rel)
{
	double shifted = exp(t->delta);

	if (fabs(1.0 - shifted) < 1e-9)
		return 0;
	return (exp(rel) - shifted) / (1.0 - shifted);
}

/*
 * Hour j's log level against t's baseline: what the weeks (or days) before
 * t began expected of it, at the level before t.  NaN when unknown.
 */
static double
track_rel(const struct run *r, const struct track *t, size_t j)
{
	double b;

	if (isnan(r->h[j].raw))
		return NAN;
	b = expect_baseline(r, j, t->s, r->p->min_days);
	return isnan(b) ? NAN : r->h[j].y - b - t->pre;
}

/*
 * The median log level against t's baseline over up to `max` known hours
 * from hour j on (dir 1) or back from it (dir -1), never before t's start.
 */
static double
track_span(struct run *r, const struct track *t, size_t j, int dir, size_t max)
{
	size_t m = 0;
	double x;

	for (; j >= t->s && j < r->n && m < max; j += (size_t)dir) {
		if (!isnan(x = track_rel(r, t, j)))
			r->tmp[m++] = x;
		if (j == 0)
			break;
	}
	return detect_median(r->tmp, m);
}

/* End t with its return at hour i. */
static void
run_return(struct run *r, struct track *t, size_t i)
{
	t->open = 0;
	t->reti = i;
	t->f.state = DETECT_ENDED;
	t->f.end = t->f.ret = run_time(r, i);
}

/*
 * A shift of direction dir from hour s, seen by hour i: adopt its level,
 * end the findings it undoes, or start a finding.  Returns -1 when out of
 * memory.
 */
static int
run_confirm(struct run *r, size_t i, int dir, size_t s)
{
	struct track t, *o;
	size_t	     j, m = 0, loss = 0, gain = 0, x;
	double	     lv, est, rel, rec;
	int	     undoes = 0, returns = 0, beyond = 0;

	if (r->w.active)
		run_window_close(r, s);
	for (j = s; j <= i; j++) {
		if (isnan(r->h[j].r))
			continue;
		r->tmp[m++] = r->h[j].raw;
		loss += (r->h[j].fl & H_LOSS) != 0;
		gain += (r->h[j].fl & H_GAIN) != 0;
		r->h[j].fl &= ~H_NOISE;
	}
	lv = detect_median(r->tmp, m);
	est = lv - run_level(r);
	/*
	 * Against the findings it leans back on: back most of the way is
	 * their return; part of the way is their recovery, not a finding of
	 * its own, unless it overshoots their old level by a shift's size.
	 */
	for (x = 0; x < r->ntr; x++) {
		o = &r->tr[x];
		if (o->dir != -dir || o->gone ||
		    !(o->open ||
			(o->f.state == DETECT_ENDED &&
			    o->reti + DETECT_DAY >= s)) ||
		    isnan(rel = track_span(r, o, s, 1, i + 1 - s)))
			continue;
		rec = track_recovered(o, rel);
		if (rec >= r->p->recover) {
			if (o->open)
				run_return(r, o, s);
			returns = 1;
		}
		if (rec >= 1.0 - r->p->recover)
			undoes = 1;
		if (dir * rel >= r->dmin)
			beyond = 1;
	}
	memset(&t, 0, sizeof(t));
	t.dir = dir;
	t.s = s;
	t.pre = run_level(r);
	t.delta = est;
	t.dmin = r->dmin;
	t.open = 1;
	t.f.kind = dir < 0 ? (2 * loss >= m ? DETECT_OUTAGE : DETECT_FALL)
			   : (2 * gain >= m ? DETECT_COVERAGE : DETECT_RISE);
	t.f.state = DETECT_ONGOING;
	t.f.start = run_time(r, s);
	t.f.confirmed = run_time(r, i + 1);
	t.f.change_pct = detect_round1((exp(est) - 1.0) * 100.0);
	t.f.recovered_pct = NAN;
	t.f.threshold_pct = detect_round1((exp(dir * r->dmin) - 1.0) * 100.0);
	r->w.active = 1;
	r->w.dir = dir;
	r->w.s = s;
	r->w.track = -1;
	t.hidden = undoes && !beyond;
	/* A return is over once it is back: a later fall is news. */
	if (returns && !beyond)
		t.open = 0;
	if ((r->w.track = run_push(r, &t)) < 0)
		return -1;
	r->reg = lv;
	r->drift = 0;
	run_reset(r, i + 1);
	run_window(r, i);
	return 0;
}

/*
 * Does the sum of direction d (0 falls, 1 rises) show a shift that holds
 * at hour i?  Confirms it if so; -1 when out of memory.
 */
static int
run_check(struct run *r, size_t i, int d)
{
	const struct detect_params *p = r->p;
	int			    dir = d ? 1 : -1;
	size_t			    j, s0 = r->from[d], s, m = 0, cnt = 0;
	size_t			    beyond = 0;
	double			    est, sum = 0, best = -INFINITY;

	if (r->cus[d] <= 0 || s0 < r->reset || isnan(r->h[i].r) ||
	    dir * r->h[i].r <= r->k)
		return 0;
	/* The last min_hours hours all beyond the reference. */
	for (j = i + 1; j-- > s0 && cnt < p->min_hours;) {
		if (isnan(r->h[j].r))
			continue;
		r->tmp[m++] = r->h[j].r;
		cnt++;
		beyond += dir * r->h[j].r > r->k;
	}
	if (cnt < p->min_hours || beyond < p->min_hours)
		return 0;
	est = detect_median(r->tmp, m);
	if (dir * est < r->dmin)
		return 0;
	/*
	 * The start of largest likelihood for a shift of unknown size away
	 * from the expectation, (sum)^2 / n over the hours from it: the sum
	 * may have crept up for a while before the shift.
	 */
	s = s0;
	for (cnt = 0, j = i + 1; j-- > s0;) {
		if (isnan(r->h[j].r))
			continue;
		sum += dir * r->h[j].r;
		cnt++;
		if (sum > 0 && sum * sum / (double)cnt >= best) {
			best = sum * sum / (double)cnt;
			s = j;
		}
	}
	if (i + 1 - s < p->min_hours)
		return 0;
	for (m = 0, sum = 0, j = s; j <= i; j++)
		if (!isnan(r->h[j].r)) {
			r->tmp[m++] = r->h[j].r;
			sum += dir * r->h[j].r;
		}
	/* Big enough, and its mean h standard errors away from none. */
	est = detect_median(r->tmp, m);
	if (dir * est < r->dmin || sum < p->h * r->se * sqrt((double)m))
		return 0;
	return run_confirm(r, i, dir, s);
}

/*
 * Returns and settling of the findings still open, at hour i: a level
 * that came back slowly is seen in the median of the last day's hours
 * against the finding's baseline, and dated to the middle of that day.
 */
static void
run_open(struct run *r, size_t i)
{
	struct track *t;
	size_t	      x;
	double	      rel, ring[DETECT_DAY];

	for (x = 0; x < r->ntr; x++) {
		t = &r->tr[x];
		if (!t->open || t->wend == 0 || t->wend > i)
			continue;
		if (!isnan(rel = track_rel(r, t, i)))
			t->ring[t->nring++ % DETECT_DAY] = rel;
		memcpy(ring, t->ring, sizeof(ring));
		if (t->nring >= DETECT_DAY / 2 &&
		    track_recovered(t,
			detect_median(ring,
			    t->nring < DETECT_DAY ? t->nring : DETECT_DAY)) >=
			r->p->recover)
			run_return(r, t, i + 1 - DETECT_DAY / 2);
		else if (i - t->s >= r->p->settle_hours) {
			t->open = 0;
			t->f.state = DETECT_SETTLED;
			t->f.end = run_time(r, t->s + r->p->settle_hours);
		}
	}
}

/* Start learning at hour i: open findings can no longer be judged. */
static void
run_learn_start(struct run *r, size_t i)
{
	size_t x;

	if (r->w.active)
		run_window_close(r, i);
	for (x = 0; x < r->ntr; x++) {
		if (!r->tr[x].open)
			continue;
		r->tr[x].open = 0;
		r->tr[x].f.state = DETECT_SETTLED;
		r->tr[x].f.end = run_time(r, i);
	}
	r->learning = 1;
	r->l0 = i;
	run_reset(r, i);
}

/*
 * At the start of day i (an hour index at midnight), has the learning
 * series become steady?  Returns the first hour of history, or r->n.
 */
static size_t
run_steady(struct run *r, size_t i)
{
	size_t d1 = i - DETECT_DAY, dk, j, k, m;
	int    kind = expect_weekend(run_time(r, i) - 86400);
	double med, se, a, b;

	if (i - r->l0 >= LEARN_MAX)
		return i - DETECT_WEEK;
	if (i - r->l0 < r->p->warmup_hours || i < DETECT_DAY)
		return r->n;
	for (k = 1; k * DETECT_DAY < i - r->l0 && (k + 1) * DETECT_DAY <= i;
	     k++) {
		dk = d1 - k * DETECT_DAY;
		if (expect_weekend(run_time(r, dk)) != kind)
			continue;
		for (m = 0, j = 0; j < DETECT_DAY; j++) {
			a = r->h[d1 + j].y;
			b = dk + j >= r->l0 ? r->h[dk + j].y : NAN;
			if (!isnan(a) && !isnan(b))
				r->tmp[m++] = a - b;
		}
		if (m < DETECT_DAY / 2)
			return r->n;
		med = detect_median(r->tmp, m);
		se = 1.25 * expect_spread(r->tmp, m) / sqrt((double)m);
		if (fabs(med) < fmax(-log(1.0 - r->p->floor) / 2.0, 2.5 * se))
			return dk;
		return r->n;
	}
	return r->n;
}

/*
 * Learning ends at hour i with history from hour from: the hours since
 * are history, and their log-ratios give a first measure of the noise.
 */
static int
run_learn_end(struct run *r, size_t i, size_t from)
{
	struct track t;
	size_t	     j;
	double	     b;

	memset(&t, 0, sizeof(t));
	t.f.kind = DETECT_LEARNING;
	t.f.state = DETECT_ENDED;
	t.f.start = run_time(r, r->l0);
	t.f.end = run_time(r, i);
	t.f.baseline = t.f.level = t.f.change_pct = NAN;
	t.f.recovered_pct = t.f.threshold_pct = NAN;
	if (run_push(r, &t) < 0)
		return -1;
	for (j = from; j < i; j++)
		if (!isnan(r->h[j].y) && r->v[j] > 0)
			r->h[j].fl |= H_HIST;
	for (j = from; j < i; j++) {
		if (!(r->h[j].fl & H_HIST))
			continue;
		b = expect_base(r, j, j, DETECT_DAY, 2 * r->p->days, r->p->days,
		    1, expect_weekend(run_time(r, j)));
		if (isnan(b) ||
		    exp(b + run_level(r)) - 1.0 < r->p->min_expected)
			continue;
		r->h[j].raw = r->h[j].y - b;
		r->h[j].r = r->h[j].raw - run_level(r);
		r->h[j].fl |= H_NOISE;
	}
	r->sigma = SIGMA_UNKNOWN;
	r->noise_m = 0;
	r->rho = 0;
	expect_derive(r);
	expect_noise(r, i);
	for (j = from; j < i; j++)
		r->h[j].fl &= ~H_NOISE;
	r->learning = 0;
	expect_coverage(r, i);
	run_reset(r, i);
	return 0;
}

/*
 * The level before the outage still open, or NaN: what the hours after it
 * are expected at, so that an outage's own level (next to nothing) does
 * not make them too quiet to be evidence of its end.
 */
static double
run_outage(const struct run *r)
{
	size_t x;

	for (x = 0; x < r->ntr; x++)
		if (r->tr[x].open && r->tr[x].f.kind == DETECT_OUTAGE)
			return r->tr[x].pre;
	return NAN;
}

/* Judge known hour i against its baseline; -1 when out of memory. */
static int
run_judge(struct run *r, size_t i)
{
	const struct detect_params *p = r->p;
	struct hour		   *h = &r->h[i];
	int64_t			    t = run_time(r, i);
	double			    b, we, e, out;
	int			    d;

	if (isnan(b = expect_baseline(r, i, i, p->min_days))) {
		if (!expect_recent(r, i))
			run_learn_start(r, i);
		else if (r->v[i] > 0)
			h->fl |= H_HIST;
		return 0;
	}
	h->raw = h->y - b;
	/*
	 * A weekday that looks like the weekends around it, on a series whose
	 * weekends are much quieter, is a holiday: at most HOLIDAY_MAX such
	 * hours a week, for a fall to weekend level that lasts is a fall.
	 */
	if (i >= DETECT_WEEK && (r->h[i - DETECT_WEEK].fl & H_HOLIDAY))
		r->holidays--;
	if (!expect_weekend(t) && r->holidays < HOLIDAY_MAX &&
	    !isnan(
		we = expect_base(r, i, i, DETECT_DAY, 7 * p->weeks, 4, 2, 1)) &&
	    b - we >= 1.5 * r->dmin &&
	    fabs(h->y - r->reg - we) <= 0.75 * r->dmin) {
		h->fl |= H_HOLIDAY;
		h->raw = h->y - we;
		b = we;
		r->holidays++;
	}
	out = run_outage(r);
	e = exp(b + (isnan(out) ? run_level(r) : fmax(run_level(r), out))) -
	    1.0;
	expect_flags(r, i, e);
	if (!(h->fl & (H_LOSS | H_HOLIDAY)))
		h->fl |= H_HIST;
	/* During an outage, its own hours say nothing more. */
	if ((!isnan(out) && (h->fl & H_LOSS)) || e < p->min_expected)
		return 0;
	h->r = h->raw - run_level(r);
	if (!(h->fl & (H_LOSS | H_GAIN | H_HOLIDAY)) && !r->w.active)
		h->fl |= H_NOISE;
	for (d = 0; d < 2; d++) {
		double prev = r->cus[d];

		r->cus[d] = fmax(0.0, prev + (d ? h->r : -h->r) - r->k);
		if (prev == 0 && r->cus[d] > 0)
			r->from[d] = i;
	}
	if (r->w.active)
		run_window(r, i);
	else if (!(h->fl & (H_LOSS | H_HOLIDAY)))
		r->drift += fmax(-r->k, fmin(r->k, h->r)) / p->level_tau;
	for (d = 0; d < 2; d++)
		if (run_check(r, i, d) == -1)
			return -1;
	return 0;
}

/* Take hour i in; -1 when out of memory. */
static int
run_hour(struct run *r, size_t i)
{
	struct hour *h = &r->h[i];
	size_t	     from;

	if (run_time(r, i) % 86400 == 0) {
		if (r->learning && r->l0 < r->n &&
		    (from = run_steady(r, i)) < r->n &&
		    run_learn_end(r, i, from) == -1)
			return -1;
		if (!r->learning) {
			expect_noise(r, i);
			expect_coverage(r, i);
		}
	}
	h->reg = r->reg;
	h->raw = h->r = NAN;
	h->y = isnan(r->v[i]) || r->v[i] < 0 ? NAN : log(r->v[i] + 1.0);
	if (r->learning) {
		if (r->l0 >= r->n && !isnan(h->y))
			r->l0 = i;
		return 0;
	}
	if (!isnan(h->y) && run_judge(r, i) == -1)
		return -1;
	if (!r->w.active)
		run_open(r, i);
	h->reg = r->reg;
	return 0;
}

/*
 * How much of t's change is undone: over the day after its return, or
 * over the last day of data.
 */
static void
run_recovered(struct run *r, struct track *t)
{
	double rel;

	if (t->f.state == DETECT_ENDED)
		rel = track_span(r, t, t->reti, 1, DETECT_DAY);
	else
		rel = track_span(r, t, r->n - 1, -1, DETECT_DAY);
	if (!isnan(rel))
		t->f.recovered_pct =
		    detect_round1(fmax(0.0, track_recovered(t, rel)) * 100.0);
}

/* Order findings by start. */
static int
detect_cmp_track(const void *a, const void *b)
{
	const struct track *x = a, *y = b;

	if (x->f.start != y->f.start)
		return x->f.start < y->f.start ? -1 : 1;
	return (int)x->f.kind - (int)y->f.kind;
}

/* Find the sustained shifts of v. */
long
detect_shifts(const double *v, const double *cov, size_t n, int64_t t0,
    const struct detect_params *p, struct detect_finding **out)
{
	struct track t;
	struct run   r;
	size_t	     i, k;
	long	     ret = -1;

	*out = NULL;
	if (n == 0)
		return 0;
	memset(&r, 0, sizeof(r));
	r.v = v;
	r.cov = cov;
	r.n = n;
	r.t0 = t0;
	r.p = p;
	r.learning = 1;
	r.l0 = n;
	r.sigma = SIGMA_UNKNOWN;
	r.cref = NAN;
	expect_derive(&r);
	if ((r.h = calloc(n, sizeof(*r.h))) == NULL ||
	    (r.tmp = malloc((n + BASE_MAX) * sizeof(double))) == NULL)
		goto done;
	for (i = 0; i < n; i++)
		if (run_hour(&r, i) == -1)
			goto done;
	if (r.w.active)
		run_window_close(&r, n);
	if (r.learning && r.l0 < n) {
		memset(&t, 0, sizeof(t));
		t.f.kind = DETECT_LEARNING;
		t.f.state = DETECT_ONGOING;
		t.f.start = run_time(&r, r.l0);
		t.f.baseline = t.f.level = t.f.change_pct = NAN;
		t.f.recovered_pct = t.f.threshold_pct = NAN;
		if (run_push(&r, &t) < 0)
			goto done;
	}
	for (i = 0; i < r.ntr; i++)
		if (r.tr[i].dir != 0)
			run_recovered(&r, &r.tr[i]);
	for (i = k = 0; i < r.ntr; i++)
		if (!r.tr[i].gone && !r.tr[i].hidden)
			r.tr[k++] = r.tr[i];
	if (k > 0) {
		qsort(r.tr, k, sizeof(*r.tr), detect_cmp_track);
		if ((*out = malloc(k * sizeof(**out))) == NULL)
			goto done;
		for (i = 0; i < k; i++)
			(*out)[i] = r.tr[i].f;
	}
	ret = (long)k;
done:
	free(r.h);
	free(r.tmp);
	free(r.tr);
	return ret;
}
