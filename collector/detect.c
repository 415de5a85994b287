/*
 * detect.c -- level-shift detection over hourly message counts.
 *
 * Owns the arithmetic of baselines (same hour of the same weekday in the
 * weeks before), of shifts (runs of hours beyond a threshold, merged when
 * close) and of their measures (baseline, level, change, recovery).  It
 * fetches nothing (drops.c does) and formats nothing.
 */
#include "detect.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Fill p with the defaults. */
void
detect_defaults(struct detect_params *p)
{
	memset(p, 0, sizeof(*p));
	p->fall = 0.40;
	p->rise = 0.40;
	p->min_hours = 3;
	p->weeks = 4;
	p->min_weeks = 2;
	p->merge_hours = 12;
	p->level_hours = 24;
	p->min_baseline = 50.0;
}

/* Order doubles for qsort. */
static int
detect_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The median of the known values of x[0..n) (x is reordered). */
double
detect_median(double *x, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		if (!isnan(x[i]))
			x[k++] = x[i];
	if (k == 0)
		return NAN;
	qsort(x, k, sizeof(*x), detect_cmp);
	return k % 2 ? x[k / 2] : (x[k / 2 - 1] + x[k / 2]) / 2.0;
}

/*
 * The expected value of hour i: the median of the same hour of the week in
 * the p->weeks weeks before hour `before` (so i itself and anything after
 * `before` never count), skipping hours inside earlier shifts (mask) and
 * looking back at most twice as many weeks for them.  NaN when fewer than
 * p->min_weeks are known.
 */
static double
detect_baseline(const double *v, const unsigned char *mask, size_t i,
    size_t before, const struct detect_params *p)
{
	double	 w[64];
	size_t	 k, kmin, known = 0, j;
	unsigned weeks = p->weeks < 32 ? p->weeks : 32;

	kmin = i < before ? 1 : (i - before) / DETECT_WEEK + 1;
	for (k = kmin; k < kmin + 2 * weeks && known < weeks; k++) {
		if (k * DETECT_WEEK > i)
			break;
		j = i - k * DETECT_WEEK;
		if (!isnan(v[j]) && !mask[j])
			w[known++] = v[j];
	}
	if (known < p->min_weeks || known == 0)
		return NAN;
	return detect_median(w, known);
}

/* -1 for a fall beyond the threshold, 1 for a rise, 0 otherwise. */
static int
detect_classify(double value, double base, const struct detect_params *p)
{
	double r;

	if (isnan(value) || isnan(base) || base < p->min_baseline)
		return 0;
	r = value / base - 1.0;
	if (r <= -p->fall)
		return -1;
	if (r >= p->rise)
		return 1;
	return 0;
}

/* Round to one decimal. */
static double
detect_round1(double x)
{
	return round(x * 10.0) / 10.0;
}

/*
 * Measure the shift over hours [s, e] and fill f.  The change is the median
 * of the hourly changes (each hour against its own baseline), which does not
 * depend on the hours of the day the span covers; baseline and level are
 * the medians of the expected and the seen hourly values.
 */
static void
detect_measure(const double *v, const unsigned char *mask, size_t n, int64_t t0,
    size_t s, size_t e, int ended, const struct detect_params *p,
    double *scratch_a, double *scratch_b, double *scratch_c,
    struct detect_finding *f)
{
	size_t i, k = 0, lim, from;
	double b, r_shift, r_end;

	memset(f, 0, sizeof(*f));
	f->first = s;
	f->last = e;
	f->start = t0 + (int64_t)s * DETECT_HOUR;
	f->end = ended ? t0 + (int64_t)(e + 1) * DETECT_HOUR : 0;
	lim = p->level_hours > 0 ? s + p->level_hours - 1 : e;
	if (lim > e)
		lim = e;
	for (i = s; i <= lim; i++) {
		b = detect_baseline(v, mask, i, s, p);
		if (isnan(v[i]) || isnan(b) || b <= 0)
			continue;
		scratch_a[k] = v[i];
		scratch_b[k] = b;
		scratch_c[k] = v[i] / b;
		k++;
	}
	f->level = detect_median(scratch_a, k);
	f->baseline = detect_median(scratch_b, k);
	r_shift = detect_median(scratch_c, k);
	if (isnan(r_shift)) {
		f->change_pct = 0;
		f->recovered_pct = NAN;
		return;
	}
	f->change_pct = detect_round1((r_shift - 1.0) * 100.0);

	/* How far the end of the series is back toward the old baseline. */
	from = n > p->level_hours ? n - p->level_hours : 0;
	if (from < s)
		from = s;
	for (k = 0, i = from; i < n; i++) {
		b = detect_baseline(v, mask, i, s, p);
		if (isnan(v[i]) || isnan(b) || b <= 0)
			continue;
		scratch_a[k++] = v[i] / b;
	}
	r_end = detect_median(scratch_a, k);
	if (isnan(r_end) || fabs(1.0 - r_shift) < 1e-9)
		f->recovered_pct = NAN;
	else {
		f->recovered_pct =
		    detect_round1((r_end - r_shift) / (1.0 - r_shift) * 100.0);
		if (f->recovered_pct < 0)
			f->recovered_pct = 0;
	}
}

/* Append a finding to the growing array; -1 when out of memory. */
static int
detect_push(struct detect_finding **v, size_t *n, size_t *cap,
    const struct detect_finding *f)
{
	struct detect_finding *nv;

	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 8;
		if ((nv = realloc(*v, *cap * sizeof(**v))) == NULL)
			return -1;
		*v = nv;
	}
	(*v)[(*n)++] = *f;
	return 0;
}

/* Find the sustained shifts of v. */
long
detect_shifts(const double *v, size_t n, int64_t t0,
    const struct detect_params *p, struct detect_finding **out)
{
	struct detect_finding f, *found = NULL;
	double		     *sa = NULL, *sb = NULL, *sc = NULL;
	unsigned char	     *mask = NULL;
	size_t nfound = 0, cap = 0, i, run = 0, runstart = 0, s = 0, last = 0;
	size_t lh = p->level_hours > 0 ? p->level_hours : 1;
	int    rundir = 0, dir = 0, c, inshift = 0;

	*out = NULL;
	if (n == 0 || p->min_hours == 0)
		return 0;
	if ((sa = malloc((n > lh ? n : lh) * sizeof(double))) == NULL ||
	    (sb = malloc((n > lh ? n : lh) * sizeof(double))) == NULL ||
	    (sc = malloc((n > lh ? n : lh) * sizeof(double))) == NULL ||
	    (mask = calloc(n, 1)) == NULL)
		goto fail;
	for (i = 0; i < n; i++) {
		if (inshift) {
			/* The baseline stays the one from before the start. */
			c = detect_classify(
			    v[i], detect_baseline(v, mask, i, s, p), p);
			if (c == dir)
				last = i;
			if (i - last <= p->merge_hours)
				continue;
			detect_measure(
			    v, mask, n, t0, s, last, 1, p, sa, sb, sc, &f);
			if (detect_push(&found, &nfound, &cap, &f) == -1)
				goto fail;
			/* Shifted hours are no one's baseline. */
			memset(mask + s, 1, last - s + 1);
			inshift = 0;
			run = 0;
			rundir = 0;
			i = last; /* rescan the hours after the shift */
			continue;
		}
		c = detect_classify(v[i], detect_baseline(v, mask, i, i, p), p);
		if (c == 0) {
			run = 0;
			rundir = 0;
			continue;
		}
		if (c != rundir) {
			rundir = c;
			runstart = i;
			run = 0;
		}
		if (++run < p->min_hours)
			continue;
		/*
		 * A new shift, or the continuation of one that ended less than
		 * two merge windows ago (a level hovering at the threshold).
		 */
		if (nfound > 0 && found[nfound - 1].change_pct * c > 0 &&
		    runstart - found[nfound - 1].last <= 2 * p->merge_hours) {
			nfound--;
			s = found[nfound].first;
			memset(mask + s, 0, found[nfound].last - s + 1);
		} else
			s = runstart;
		dir = c;
		last = i;
		inshift = 1;
	}
	if (inshift) {
		detect_measure(v, mask, n, t0, s, last,
		    n - 1 - last > p->merge_hours, p, sa, sb, sc, &f);
		if (detect_push(&found, &nfound, &cap, &f) == -1)
			goto fail;
	}
	free(sa);
	free(sb);
	free(sc);
	free(mask);
	*out = found;
	return (long)nfound;
fail:
	free(sa);
	free(sb);
	free(sc);
	free(mask);
	free(found);
	*out = NULL;
	return -1;
}
