/*
 * drops.c -- change detection over the stored series.
 *
 * Owns the choice of archive (the hourly one, read whole up to the latest
 * data, so that no finding depends on the range asked), the turning of
 * fetched rows into hourly values and coverage, and which findings a range
 * holds.  The detection itself is collector/detect.c;
 * fetching is rrd/export.c (which takes the store lock).
 */
#include "drops.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../rrd/export.h"
#include "../rrd/store.h"
#include "csv.h"

/* Order findings by start, then category. */
static int
drops_cmp(const void *a, const void *b)
{
	const struct drop *x = a, *y = b;

	if (x->f.start != y->f.start)
		return x->f.start < y->f.start ? -1 : 1;
	return strcmp(x->category, y->category);
}

/*
 * Turn column c of s into hourly values in v (nh of them, hour 0 starting
 * at h0): the sum of the rows in the hour, NaN when any of them is unknown
 * or still filling (labelled after s->complete_through), when the hour is
 * only partly in s, or when nothing at all was reported in it (coverage 0:
 * the zeros of a file before its source began, or of a silent source, say
 * nothing about mail).  With cov not NULL, also each hour's coverage: the
 * mean of its rows' (NaN when none is known).
 */
static void
drops_hourly(const struct series *s, unsigned c, int64_t h0, double *v,
    double *cov, size_t nh)
{
	size_t	row, h, known = 0, cur = nh;
	int64_t x, label;
	double	rc, sum = 0;

	for (h = 0; h < nh; h++) {
		v[h] = 0;
		if (cov != NULL)
			cov[h] = NAN;
	}
	/* The rows come in time order: an hour's rows are consecutive. */
	for (row = 0; row <= s->nrows; row++) {
		label = s->first + (int64_t)row * s->step;
		h = row < s->nrows
		    ? (size_t)((label - s->step - h0) / DETECT_HOUR)
		    : nh;
		if (h != cur && cur < nh && known > 0) {
			if (cov != NULL)
				cov[cur] = sum / (double)known;
			if (sum == 0)
				v[cur] = NAN;
		}
		if (h != cur) {
			cur = h;
			sum = 0;
			known = 0;
		}
		if (h >= nh)
			continue;
		x = s->counts[row * s->ncat + c];
		if (x == SERIES_UNKNOWN || label > s->complete_through)
			v[h] = NAN;
		else
			v[h] += (double)x;
		rc = s->coverage != NULL ? s->coverage[row] : NAN;
		if (!isnan(rc)) {
			sum += rc;
			known++;
		}
	}
	/* A partial first or last hour is unknown. */
	if (nh > 0 && (s->first - (int64_t)s->step) != h0)
		v[0] = NAN;
	if (nh > 0 &&
	    (s->first + (int64_t)s->nrows * s->step - (int64_t)s->step) %
		    DETECT_HOUR !=
		0)
		v[nh - 1] = NAN;
}

/*
 * Is f inside [start, end)?  A finding counts from its start to its end,
 * or for ever while it is ongoing.
 */
static int
drops_overlaps(const struct detect_finding *f, int64_t start, int64_t end)
{
	return f->start < end && (f->end == 0 || f->end > start);
}

/* Find the shifts of source in the categories cats. */
int
drops_find(struct store *st, const char *source, const unsigned *cats,
    unsigned ncats, int64_t start, int64_t end, const struct detect_params *p,
    struct drop **out, size_t *n, struct st_error *e)
{
	struct store_archive   ar[STORE_ARCHIVES];
	struct detect_params   dp;
	struct detect_finding *fs = NULL;
	struct series	       s;
	struct drop	      *v = NULL, *nv;
	const char(*names)[ST_CATEGORY_MAX + 1];
	double	*hv = NULL, *hc = NULL;
	unsigned i, na, res = 0, nnames;
	int64_t	 last, fstart, h0, keep = 0, hend;
	size_t	 nh, cap = 0, k;
	long	 nf;

	*out = NULL;
	*n = 0;
	if (p != NULL)
		dp = *p;
	else
		detect_defaults(&dp);
	memset(&s, 0, sizeof(s));
	names = store_categories(st, &nnames);
	na = store_layout(store_step(st), ar);
	for (i = 0; i < na; i++)
		if (ar[i].resolution <= DETECT_HOUR &&
		    DETECT_HOUR % ar[i].resolution == 0) {
			res = ar[i].resolution;
			keep = ar[i].retention;
		}
	if (res == 0)
		return err_set(e, ERR_INTERNAL, "store_error", NULL,
		    "no archive of an "
		    "hour or finer that divides an hour");
	if (store_last(st, source, &last) == -1)
		return err_set(e, ERR_BAD_INPUT, "bad_parameter", "source",
		    "not a valid source name");
	if (last == 0) {
		if (strcmp(source, ST_TOTAL_SOURCE) == 0)
			return 0;
		return err_set(e, ERR_NOT_FOUND, "unknown_source", "source",
		    "no data for this source");
	}
	/*
	 * The whole archive up to the latest data, whatever range was asked:
	 * the detector's state at an hour depends on the hours before it, so
	 * reading a fixed span is what keeps each finding's numbers the same
	 * for every range that holds it.
	 */
	fstart = last - keep + (int64_t)res;
	fstart += (DETECT_HOUR - fstart % DETECT_HOUR) % DETECT_HOUR;
	hend = last + (DETECT_HOUR - last % DETECT_HOUR) % DETECT_HOUR;
	if (fstart >= hend)
		return 0;
	if (export_fetch(
		st, source, fstart, hend, res, cats, ncats, 1, &s, e) == -1)
		return -1;
	if (s.step == 0 || s.step > DETECT_HOUR || DETECT_HOUR % s.step != 0) {
		series_free(&s);
		return err_set(e, ERR_INTERNAL, "store_error", NULL,
		    "the hourly archive could not be read");
	}
	h0 = s.first - (int64_t)s.step;
	h0 -= ((h0 % DETECT_HOUR) + DETECT_HOUR) % DETECT_HOUR;
	nh = (size_t)((s.first + (int64_t)s.nrows * s.step - s.step - h0 +
			  DETECT_HOUR - 1) /
	    DETECT_HOUR);
	if (nh == 0 || (hv = malloc(nh * sizeof(double))) == NULL ||
	    (hc = malloc(nh * sizeof(double))) == NULL) {
		free(hv);
		series_free(&s);
		if (nh == 0)
			return 0;
		return err_set(
		    e, ERR_INTERNAL, "internal", NULL, "out of memory");
	}
	for (i = 0; i < ncats; i++) {
		drops_hourly(&s, i, h0, hv, i == 0 ? hc : NULL, nh);
		if ((nf = detect_shifts(hv, hc, nh, h0, &dp, &fs)) < 0)
			goto nomem;
		for (k = 0; k < (size_t)nf; k++) {
			if (!drops_overlaps(&fs[k], start, end))
				continue;
			/*
			 * Learning from the archive's first day is the
			 * archive's horizon, not a new series.
			 */
			if (fs[k].kind == DETECT_LEARNING &&
			    fs[k].start < h0 + 24 * DETECT_HOUR)
				continue;
			if (*n == cap) {
				cap = cap ? cap * 2 : 16;
				if ((nv = realloc(v, cap * sizeof(*v))) == NULL)
					goto nomem;
				v = nv;
			}
			memset(&v[*n], 0, sizeof(v[0]));
			snprintf(
			    v[*n].source, sizeof(v[*n].source), "%s", source);
			snprintf(v[*n].category, sizeof(v[*n].category), "%s",
			    cats[i] < nnames ? names[cats[i]] : "");
			v[*n].f = fs[k];
			(*n)++;
		}
		free(fs);
		fs = NULL;
	}
	free(hv);
	free(hc);
	series_free(&s);
	if (*n > 1)
		qsort(v, *n, sizeof(*v), drops_cmp);
	*out = v;
	return 0;
nomem:
	free(fs);
	free(hv);
	free(hc);
	free(v);
	series_free(&s);
	*n = 0;
	return err_set(e, ERR_INTERNAL, "internal", NULL, "out of memory");
}

/* Append a number, or null when it is not one. */
static void
drops_json_num(struct csv_buf *b, const char *name, double v)
{
	if (isnan(v) || isinf(v))
		csv_printf(b, ",\"%s\":null", name);
	else
		csv_printf(b, ",\"%s\":%.1f", name, v);
}

/* Append a time and its ISO 8601 form, or two nulls when it is 0. */
static void
drops_json_time(struct csv_buf *b, const char *name, int64_t t)
{
	char iso[32];

	if (t == 0) {
		csv_printf(b, ",\"%s\":null,\"%s_iso8601\":null", name, name);
		return;
	}
	csv_iso8601(t, iso, sizeof(iso));
	csv_printf(b, ",\"%s\":%lld,\"%s_iso8601\":\"%s\"", name, (long long)t,
	    name, iso);
}

/* Append d's fields to b (the members of one JSON object). */
void
drops_json(struct csv_buf *b, const struct drop *d)
{
	const struct detect_finding *f = &d->f;

	csv_printf(b, "\"source\":");
	csv_json_string(b, d->source);
	csv_printf(b, ",\"category\":");
	csv_json_string(b, d->category);
	csv_printf(b, ",\"kind\":\"%s\",\"state\":\"%s\"",
	    detect_kind_name(f->kind), detect_state_name(f->kind, f->state));
	drops_json_time(b, "start", f->start);
	drops_json_time(b, "confirmed", f->confirmed);
	drops_json_time(b, "end", f->end);
	drops_json_time(b, "return", f->ret);
	drops_json_num(b, "baseline", f->baseline);
	drops_json_num(b, "level", f->level);
	drops_json_num(b, "change_pct", f->change_pct);
	drops_json_num(b, "recovered_pct", f->recovered_pct);
	drops_json_num(b, "threshold_pct", f->threshold_pct);
}
