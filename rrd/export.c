/*
 * export.c -- reading stored series back from the RRD files as whole counts
 * per row.
 *
 * Owns the conversion from stored rates to counts (rate * seconds per row,
 * rounded) and the mapping of file data sources to configured categories.
 * It does not format anything (csv.c does) and holds the store lock only
 * while librrd runs.
 */
#include "export.h"

#include <rrd.h>

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

/* Round t down to a multiple of res. */
static int64_t
export_floor(int64_t t, unsigned res)
{
	int64_t r = t % (int64_t)res;

	return r < 0 ? t - r - res : t - r;
}

/* Fill an all-unknown series over (start, end] for a source without a file. */
static int
export_empty(int64_t start, int64_t end, unsigned res, struct series *out,
    struct st_error *e)
{
	size_t i, n;

	out->first = start + res;
	out->step = res;
	out->nrows = end > start ? (size_t)((end - start) / res) : 0;
	n = out->nrows * out->ncat;
	if ((out->counts = malloc((n ? n : 1) * sizeof(int64_t))) == NULL ||
	    (out->coverage = malloc((out->nrows + 1) * sizeof(double))) == NULL)
		return err_set(
		    e, ERR_INTERNAL, "store_error", NULL, "out of memory");
	for (i = 0; i < n; i++)
		out->counts[i] = SERIES_UNKNOWN;
	for (i = 0; i < out->nrows; i++)
		out->coverage[i] = 0;
	return 0;
}

/* The raw rows of one rrd_fetch. */
struct export_raw {
	time_t	      start, end;
	unsigned long step, ds_cnt;
	char	    **names;
	rrd_value_t  *data;
};

/* rrd_fetch AVERAGE rows of path in (start, end]; lock held. */
static int
export_raw_fetch(const char *path, int64_t start, int64_t end, unsigned res,
    struct export_raw *raw, struct st_error *e)
{
	memset(raw, 0, sizeof(*raw));
	raw->start = (time_t)start;
	raw->end = (time_t)end;
	raw->step = res;
	rrd_clear_error();
	if (rrd_fetch_r(path, "AVERAGE", &raw->start, &raw->end, &raw->step,
		&raw->ds_cnt, &raw->names, &raw->data) != 0) {
		err_set(e, ERR_INTERNAL, "store_error", NULL, "fetch: %s",
		    rrd_get_error());
		rrd_clear_error();
		return -1;
	}
	if (raw->step == 0 || raw->end < raw->start) {
		err_set(e, ERR_INTERNAL, "store_error", NULL,
		    "fetch returned no rows");
		return -1;
	}
	return 0;
}

/* Free what export_raw_fetch returned. */
static void
export_raw_free(struct export_raw *raw)
{
	unsigned long k;

	for (k = 0; k < raw->ds_cnt; k++)
		free(raw->names[k]);
	free(raw->names);
	free(raw->data);
	memset(raw, 0, sizeof(*raw));
}

/* The column of data source name in raw, or -1. */
static int
export_col(const struct export_raw *raw, const char *name)
{
	unsigned long k;

	for (k = 0; k < raw->ds_cnt; k++)
		if (strcmp(raw->names[k], name) == 0)
			return (int)k;
	return -1;
}

/* The rows raw holds, labelled (start, end] (librrd gives one past end). */
static size_t
export_raw_rows(const struct export_raw *raw)
{
	return (size_t)((raw->end - raw->start) / (time_t)raw->step);
}

/*
 * Sum the one-step rows of tail into one row: the counts of category
 * columns col[] into sums (SERIES_UNKNOWN when none is known) and the
 * covered seconds into *cover.
 */
static void
export_sum_tail(const struct export_raw *tail, const int *col, unsigned ncats,
    int cov, int64_t *sums, double *cover)
{
	size_t	 row, n = export_raw_rows(tail);
	unsigned i;
	int	 known = 0;

	*cover = 0;
	for (i = 0; i < ncats; i++)
		sums[i] = 0;
	for (row = 0; row < n; row++) {
		const rrd_value_t *d = tail->data + row * tail->ds_cnt;

		if (cov >= 0 && !isnan(d[cov]))
			*cover += d[cov] * (double)tail->step;
		for (i = 0; i < ncats; i++)
			if (col[i] >= 0 && !isnan(d[col[i]]) &&
			    d[col[i]] >= 0) {
				sums[i] += (int64_t)llround(
				    d[col[i]] * (double)tail->step);
				known = 1;
			}
	}
	if (!known)
		for (i = 0; i < ncats; i++)
			sums[i] = SERIES_UNKNOWN;
}

/* Fetch one file's rows and turn rates into counts; see export_fetch. */
static int
export_fetch_one(struct store *st, const char *source, int64_t start,
    int64_t end, unsigned resolution, const unsigned *cats, unsigned ncats,
    int missing, struct series *out, struct st_error *e)
{
	const char(*names)[ST_CATEGORY_MAX + 1];
	struct export_raw raw, tail;
	char		  path[PATH_MAX];
	unsigned	  i, nnames, fine = store_step(st);
	int		  col[ST_MAX_CATEGORIES], tcol[ST_MAX_CATEGORIES];
	int		  cov, tcov = -1, r, ret = -1;
	int64_t		  lim, last, tail_label = 0, tsums[ST_MAX_CATEGORIES];
	double		  tcover = 0, v, c;
	size_t		  row;

	memset(out, 0, sizeof(*out));
	memset(&tail, 0, sizeof(tail));
	if (resolution == 0 || ncats == 0 || ncats > ST_MAX_CATEGORIES ||
	    end <= start)
		return err_set(e, ERR_BAD_INPUT, "bad_parameter", "step",
		    "empty range or resolution");
	if (store_path(st, source, path, sizeof(path)) == -1)
		return err_set(e, ERR_BAD_INPUT, "bad_parameter", "source",
		    "not a valid source name");
	snprintf(out->source, sizeof(out->source), "%s", source);
	names = store_categories(st, &nnames);
	out->ncat = ncats;
	for (i = 0; i < ncats; i++) {
		if (cats[i] >= nnames)
			return err_set(e, ERR_BAD_INPUT, "bad_parameter",
			    "categories", "unknown category");
		snprintf(
		    out->names[i], sizeof(out->names[i]), "%s", names[cats[i]]);
	}
	start = export_floor(start, resolution);
	end = export_floor(end + resolution - 1, resolution);

	store_lock(st);
	r = store_prepare_read_locked(st, path);
	if (r != 1) {
		store_unlock(st);
		if (r == 0 && missing)
			return export_empty(start, end, resolution, out, e);
		return err_set(e, r == 0 ? ERR_NOT_FOUND : ERR_INTERNAL,
		    r == 0 ? "unknown_source" : "store_error", "source",
		    r == 0 ? "no data for this source"
			   : "the source's file is not a regular file");
	}
	if (export_raw_fetch(path, start, end, resolution, &raw, e) == -1) {
		store_unlock(st);
		return -1;
	}
	rrd_clear_error();
	last = (int64_t)rrd_last_r(path);
	rrd_clear_error();
	/*
	 * A coarse row still being consolidated holds nothing yet in its
	 * archive: sum it from the finest one, which spans more than any
	 * coarse row does.
	 */
	if (raw.step > fine && last > 0 && last % (int64_t)raw.step != 0) {
		tail_label =
		    export_floor(last, (unsigned)raw.step) + (int64_t)raw.step;
		if (tail_label <= (int64_t)raw.start ||
		    tail_label > (int64_t)raw.end ||
		    export_raw_fetch(path, tail_label - (int64_t)raw.step, last,
			fine, &tail, e) == -1 ||
		    tail.step != fine)
			tail_label = 0;
	}
	store_unlock(st);

	for (i = 0; i < ncats; i++) {
		col[i] = export_col(&raw, out->names[i]);
		tcol[i] = tail_label ? export_col(&tail, out->names[i]) : -1;
	}
	cov = export_col(&raw, STORE_COVERAGE_DS);
	if (tail_label) {
		tcov = export_col(&tail, STORE_COVERAGE_DS);
		export_sum_tail(&tail, tcol, ncats, tcov, tsums, &tcover);
	}
	out->step = (unsigned)raw.step;
	out->first = (int64_t)raw.start + (int64_t)raw.step;
	out->nrows = export_raw_rows(&raw);
	out->complete_through =
	    last > 0 ? export_floor(last, (unsigned)raw.step) : 0;
	/* librrd hands back one row past end; keep (start, end] only. */
	lim = export_floor(end + (int64_t)raw.step - 1, (unsigned)raw.step);
	if (lim <= (int64_t)raw.start)
		out->nrows = 0;
	else if ((size_t)((lim - (int64_t)raw.start) / (int64_t)raw.step) <
	    out->nrows)
		out->nrows =
		    (size_t)((lim - (int64_t)raw.start) / (int64_t)raw.step);
	if ((out->counts = malloc(
		 (out->nrows * ncats + 1) * sizeof(int64_t))) == NULL ||
	    (out->coverage = malloc((out->nrows + 1) * sizeof(double))) ==
		NULL) {
		err_set(e, ERR_INTERNAL, "store_error", NULL, "out of memory");
		goto done;
	}
	for (row = 0; row < out->nrows; row++) {
		const rrd_value_t *d = raw.data + row * raw.ds_cnt;
		int64_t label = out->first + (int64_t)row * (int64_t)raw.step;
		int	known;

		if (label == tail_label) {
			c = tcov >= 0 ? tcover / (double)raw.step : NAN;
			known =
			    tcov >= 0 ? tcover > 0 : tsums[0] != SERIES_UNKNOWN;
			out->coverage[row] = c;
			for (i = 0; i < ncats; i++)
				out->counts[row * ncats + i] =
				    known ? tsums[i] : SERIES_UNKNOWN;
			continue;
		}
		c = cov >= 0 ? d[cov] : NAN;
		out->coverage[row] = c;
		/* Nothing reported is unknown, even where zeros fill a gap. */
		known = isnan(c) || c > 0;
		for (i = 0; i < ncats; i++) {
			v = col[i] < 0 ? NAN : d[col[i]];
			out->counts[row * ncats + i] =
			    !known || isnan(v) || v < 0 || isinf(v)
			    ? SERIES_UNKNOWN
			    : (int64_t)llround(v * (double)raw.step);
		}
	}
	ret = 0;
done:
	export_raw_free(&raw);
	export_raw_free(&tail);
	if (ret == -1)
		series_free(out);
	return ret;
}

/*
 * Add the rows of b to a (same rows, same categories): counts that either
 * knows, coverage summed; complete as far as both are.
 */
static void
export_add(struct series *a, const struct series *b)
{
	size_t	 i, n = a->nrows < b->nrows ? a->nrows : b->nrows;
	unsigned c;

	for (i = 0; i < n; i++) {
		for (c = 0; c < a->ncat; c++) {
			int64_t *x = &a->counts[i * a->ncat + c];
			int64_t	 y = b->counts[i * b->ncat + c];

			if (y == SERIES_UNKNOWN)
				continue;
			*x = *x == SERIES_UNKNOWN ? y : *x + y;
		}
		if (isnan(a->coverage[i]))
			a->coverage[i] = b->coverage[i];
		else if (!isnan(b->coverage[i]))
			a->coverage[i] += b->coverage[i];
	}
	if (b->complete_through > 0 &&
	    (a->complete_through == 0 ||
		b->complete_through < a->complete_through))
		a->complete_through = b->complete_through;
}

/*
 * Fetch a series: a source's file, or for "_total" the sum of the partial
 * totals of every collector that shares the data directory.
 */
int
export_fetch(struct store *st, const char *source, int64_t start, int64_t end,
    unsigned resolution, const unsigned *cats, unsigned ncats, int missing,
    struct series *out, struct st_error *e)
{
	char	      parts[STORE_MAX_PARTS][ST_SOURCE_MAX + 1];
	struct series more;
	size_t	      n, i;

	n = store_parts(st, source, parts, STORE_MAX_PARTS);
	if (n <= 1) {
		if (export_fetch_one(st, n == 1 ? parts[0] : source, start, end,
			resolution, cats, ncats, missing, out, e) == -1)
			return -1;
		snprintf(out->source, sizeof(out->source), "%s", source);
		return 0;
	}
	if (export_fetch_one(st, parts[0], start, end, resolution, cats, ncats,
		1, out, e) == -1)
		return -1;
	for (i = 1; i < n; i++) {
		if (export_fetch_one(st, parts[i], start, end, out->step, cats,
			ncats, 1, &more, e) == -1) {
			series_free(out);
			return -1;
		}
		if (more.step == out->step && more.first == out->first)
			export_add(out, &more);
		series_free(&more);
	}
	snprintf(out->source, sizeof(out->source), "%s", source);
	return 0;
}

/* Free the rows of a series. */
void
series_free(struct series *s)
{
	free(s->counts);
	free(s->coverage);
	s->counts = NULL;
	s->coverage = NULL;
	s->nrows = 0;
}

/* Sum column c's known counts. */
size_t
series_total(const struct series *s, unsigned c, int64_t *sum)
{
	size_t	row, known = 0;
	int64_t v;

	*sum = 0;
	for (row = 0; row < s->nrows; row++) {
		v = s->counts[row * s->ncat + c];
		if (v != SERIES_UNKNOWN) {
			*sum += v;
			known++;
		}
	}
	return known;
}

/*
 * Look for the first row with data in archive rra; returns its row index or
 * -1, with the row's label in *t.  Lock held.
 */
static long
export_first_in(
    const char *path, int rra, unsigned res, int64_t last, int64_t *t)
{
	char	    **ds_namv = NULL;
	unsigned long step = res, ds_cnt = 0, k;
	rrd_value_t  *data = NULL;
	time_t	      fs, fe;
	long	      found = -1, cov = -1;
	size_t	      row, nrows;

	rrd_clear_error();
	fs = rrd_first_r(path, rra);
	if (fs <= 0) {
		rrd_clear_error();
		return -1;
	}
	fe = (time_t)last;
	if (rrd_fetch_r(path, "AVERAGE", &fs, &fe, &step, &ds_cnt, &ds_namv,
		&data) != 0) {
		rrd_clear_error();
		return -1;
	}
	nrows = step ? (size_t)((fe - fs) / (time_t)step) : 0;
	for (k = 0; k < ds_cnt; k++)
		if (strcmp(ds_namv[k], STORE_COVERAGE_DS) == 0)
			cov = (long)k;
	for (row = 0; row < nrows && found < 0; row++) {
		const rrd_value_t *d = data + row * ds_cnt;

		/* Zeros that fill time before the first report do not count. */
		if (cov >= 0) {
			if (!isnan(d[cov]) && d[cov] > 0) {
				found = (long)row;
				*t = (int64_t)fs + (int64_t)(row + 1) * step;
			}
			continue;
		}
		for (k = 0; k < ds_cnt; k++) {
			if (!isnan(d[k])) {
				found = (long)row;
				*t = (int64_t)fs + (int64_t)(row + 1) * step;
				break;
			}
		}
	}
	for (k = 0; k < ds_cnt; k++)
		free(ds_namv[k]);
	free(ds_namv);
	free(data);
	return found;
}

/* Find the first row with data, from the finest archive to the coarsest. */
int
export_first_seen(struct store *st, const char *source, int64_t *first)
{
	struct store_archive ar[STORE_ARCHIVES];
	char		     path[PATH_MAX];
	unsigned	     i, n;
	int64_t		     t, last;
	long		     row;

	*first = 0;
	if (store_path(st, source, path, sizeof(path)) == -1)
		return -1;
	n = store_layout(store_step(st), ar);
	store_lock(st);
	if (store_prepare_read_locked(st, path) != 1) {
		store_unlock(st);
		return 0;
	}
	rrd_clear_error();
	last = (int64_t)rrd_last_r(path);
	rrd_clear_error();
	for (i = 0; i < n && last > 0; i++) {
		row = export_first_in(path, (int)i, ar[i].resolution, last, &t);
		if (row < 0) {
			/* Older data may still sit in a coarser archive. */
			if (*first != 0)
				break;
			continue;
		}
		*first = t - ar[i].resolution;
		if (row > 0)
			break;
	}
	store_unlock(st);
	return 0;
}
