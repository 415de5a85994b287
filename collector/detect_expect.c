/*
 * detect_expect.c -- what an hour of a series is expected at: its
 * seasonal baseline (the same hour of the weeks before, or of the days of
 * the same kind), how much its hours stray from it (a robust spread and
 * the autocorrelation of the strays), how much of it was reported, and the
 * robust statistics these use.
 *
 * It does not decide what a shift is (detect.c does), fetches nothing and
 * reads no clock.  The reasoning is at the top of detect.c.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "detect.h"
#include "detect_int.h"

/*
 * Put the k-th smallest of x[0..n) at x[k], the smaller ones before it
 * and the others after (Hoare's selection; x is reordered).
 */
static void
detect_select(double *x, size_t n, size_t k)
{
	size_t lo = 0, hi = n - 1, i, j;
	double p, t;

	while (hi > lo) {
		if (hi - lo < 16) {
			/* Insertion sort finishes small ranges. */
			for (i = lo + 1; i <= hi; i++) {
				t = x[i];
				for (j = i; j > lo && x[j - 1] > t; j--)
					x[j] = x[j - 1];
				x[j] = t;
			}
			return;
		}
		p = x[lo + (hi - lo) / 2];
		i = lo;
		j = hi;
		while (i <= j) {
			while (x[i] < p)
				i++;
			while (x[j] > p)
				j--;
			if (i <= j) {
				t = x[i];
				x[i] = x[j];
				x[j] = t;
				i++;
				if (j == 0)
					break;
				j--;
			}
		}
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			return;
	}
}

/* The median of the known values of x[0..n) (x is reordered). */
double
detect_median(double *x, size_t n)
{
	size_t i, k = 0;
	double lower;

	for (i = 0; i < n; i++)
		if (!isnan(x[i]))
			x[k++] = x[i];
	if (k == 0)
		return NAN;
	detect_select(x, k, k / 2);
	if (k % 2)
		return x[k / 2];
	/* The largest of the lower half is the other middle value. */
	lower = x[0];
	for (i = 1; i < k / 2; i++)
		lower = fmax(lower, x[i]);
	return (lower + x[k / 2]) / 2.0;
}

/* 1.4826 times the median absolute deviation of x[0..n) (reordered). */
double
expect_spread(double *x, size_t n)
{
	double m = detect_median(x, n);
	size_t i;

	for (i = 0; i < n; i++)
		x[i] = fabs(x[i] - m);
	return 1.4826 * detect_median(x, n);
}

/* 1 when the hour starting at t falls on a Saturday or Sunday (UTC). */
int
expect_weekend(int64_t t)
{
	int64_t day = t / 86400 - (t % 86400 < 0);
	int	wd = (int)(((day + 4) % 7 + 7) % 7); /* 0 = Sunday */

	return wd == 0 || wd == 6;
}

/*
 * The median of y - regime over the history hours i - k * step before
 * hour `before` (at most `reach` of them) of the given kind of day (-1 any,
 * 0 weekday, 1 weekend), the first `want` there are; NaN when fewer than
 * `need`.
 */
double
expect_base(const struct run *r, size_t i, size_t before, size_t step,
    unsigned reach, unsigned want, unsigned need, int kind)
{
	double	 w[BASE_MAX];
	size_t	 k, j, k0 = i >= before ? (i - before) / step + 1 : 1;
	unsigned known = 0;

	if (want > BASE_MAX)
		want = BASE_MAX;
	for (k = k0; k < k0 + reach && known < want && k * step <= i; k++) {
		j = i - k * step;
		if (!(r->h[j].fl & H_HIST))
			continue;
		if (kind >= 0 && expect_weekend(run_time(r, j)) != kind)
			continue;
		w[known++] = r->h[j].y - r->h[j].reg;
	}
	if (known == 0 || known < need)
		return NAN;
	return detect_median(w, known);
}

/*
 * Hour i's seasonal baseline from the hours before hour `before`: weekly
 * when it can be, else daily.
 */
double
expect_baseline(
    const struct run *r, size_t i, size_t before, unsigned need_days)
{
	const struct detect_params *p = r->p;
	double			    b;

	b = expect_base(r, i, before, DETECT_WEEK, 2 * p->weeks, p->weeks,
	    p->min_weeks, -1);
	if (isnan(b))
		b = expect_base(r, i, before, DETECT_DAY, 2 * p->days, p->days,
		    need_days, expect_weekend(run_time(r, i)));
	return b;
}

/* Set the thresholds that follow from sigma and rho. */
void
expect_derive(struct run *r)
{
	double fl = -log(1.0 - r->p->floor);

	r->dmin = fmax(fl, r->p->z * r->sigma);
	r->k = r->dmin / 2.0;
	r->se = r->sigma * sqrt((1.0 + r->rho) / (1.0 - r->rho));
}

/*
 * Measure the spread and the lag-1 autocorrelation of the ordinary hours
 * before hour i; keeps the previous figures when too few are known.  Once
 * the window is half full, measuring once a week is enough (the spread of
 * hundreds of hours moves slowly, and the selection is the detector's
 * largest cost).
 */
void
expect_noise(struct run *r, size_t i)
{
	size_t j, m = 0, from;
	double a, b, num = 0, den = 0, lim;

	if (r->noise_m >= r->p->noise_hours / 2 && r->noise_at <= i &&
	    i - r->noise_at < DETECT_WEEK)
		return;
	from = i > r->p->noise_hours ? i - r->p->noise_hours : 0;
	for (j = from; j < i; j++)
		if (r->h[j].fl & H_NOISE)
			r->tmp[m++] = r->h[j].r;
	if (m < NOISE_MIN)
		return;
	r->noise_at = i;
	r->noise_m = m;
	r->sigma = fmax(expect_spread(r->tmp, m), SIGMA_MIN);
	lim = 3.0 * r->sigma;
	for (j = from + 1; j < i; j++) {
		if (!(r->h[j].fl & H_NOISE) || !(r->h[j - 1].fl & H_NOISE))
			continue;
		a = fmax(-lim, fmin(lim, r->h[j].r));
		b = fmax(-lim, fmin(lim, r->h[j - 1].r));
		num += a * b;
		den += b * b;
	}
	r->rho = den > 0 ? fmax(0.0, fmin(0.9, num / den)) : 0.0;
	expect_derive(r);
}

/* The usual coverage: the median over the week before hour i, if known. */
void
expect_coverage(struct run *r, size_t i)
{
	size_t j, m = 0;

	r->cref = NAN;
	if (r->cov == NULL)
		return;
	for (j = i > DETECT_WEEK ? i - DETECT_WEEK : 0; j < i; j++)
		if (!isnan(r->cov[j]))
			r->tmp[m++] = r->cov[j];
	if (m >= DETECT_DAY)
		r->cref = detect_median(r->tmp, m);
}

/* Is there history in the week before hour i? */
int
expect_recent(const struct run *r, size_t i)
{
	size_t j;

	for (j = i > DETECT_WEEK ? i - DETECT_WEEK : 0; j < i; j++)
		if (r->h[j].fl & H_HIST)
			return 1;
	return 0;
}

/*
 * Flag hour i's reporting: less (or more) coverage than usual, a zero
 * where plenty was due, or the partial hour at either edge of such a
 * spell.  e is the hour's expected count.
 */
void
expect_flags(struct run *r, size_t i, double e)
{
	struct hour *h = &r->h[i], *prev = i > 0 ? &r->h[i - 1] : NULL;
	double	     c, tol;

	if (r->cov != NULL && !isnan(c = r->cov[i]) && !isnan(r->cref)) {
		tol = 0.02 * fmax(r->cref, 1.0);
		if (c < r->cref - tol)
			h->fl |= H_LOSS;
		else if (c > r->cref + tol)
			h->fl |= H_GAIN;
	}
	if (r->v[i] == 0 && e >= r->p->min_expected)
		h->fl |= H_LOSS;
	if (prev == NULL || isnan(prev->y))
		return;
	if (!(h->fl & H_LOSS) && (prev->fl & H_LOSS) &&
	    h->raw - run_level(r) < -r->k)
		h->fl |= H_LOSS;
	else if ((h->fl & H_LOSS) && !(prev->fl & H_LOSS) && !isnan(prev->r) &&
	    prev->r < -r->k)
		prev->fl = (prev->fl | H_LOSS) & ~(H_HIST | H_NOISE);
}
