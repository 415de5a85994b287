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
	if ((out->counts = malloc((n ? n : 1) * sizeof(int64_t))) == NULL)
		return err_set(
		    e, ERR_INTERNAL, "store_error", NULL, "out of memory");
	for (i = 0; i < n; i++)
		out->counts[i] = SERIES_UNKNOWN;
	return 0;
}

/* Fetch a source's rows and turn rates into counts. */
int
export_fetch(struct store *st, const char *source, int64_t start, int64_t end,
    unsigned resolution, const unsigned *cats, unsigned ncats, int missing,
    struct series *out, struct st_error *e)
{
	const char(*names)[ST_CATEGORY_MAX + 1];
	char	      path[PATH_MAX], **ds_namv = NULL;
	unsigned long step = resolution, ds_cnt = 0, k;
	rrd_value_t  *data = NULL, v;
	time_t	      fs, fe;
	unsigned      i, nnames;
	int	      col[ST_MAX_CATEGORIES], r, ret = -1;
	int64_t	      lim;
	size_t	      row;

	memset(out, 0, sizeof(*out));
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
	fs = (time_t)start;
	fe = (time_t)end;
	rrd_clear_error();
	r = rrd_fetch_r(
	    path, "AVERAGE", &fs, &fe, &step, &ds_cnt, &ds_namv, &data);
	if (r != 0) {
		err_set(e, ERR_INTERNAL, "store_error", NULL, "fetch: %s",
		    rrd_get_error());
		rrd_clear_error();
		store_unlock(st);
		return -1;
	}
	store_unlock(st);

	for (i = 0; i < ncats; i++) {
		col[i] = -1;
		for (k = 0; k < ds_cnt; k++)
			if (strcmp(ds_namv[k], out->names[i]) == 0)
				col[i] = (int)k;
	}
	if (step == 0 || fe < fs) {
		err_set(e, ERR_INTERNAL, "store_error", NULL,
		    "fetch returned no rows");
		goto done;
	}
	out->step = (unsigned)step;
	out->first = (int64_t)fs + (int64_t)step;
	out->nrows = (size_t)((fe - fs) / (time_t)step);
	/* librrd hands back one row past end; keep (start, end] only. */
	lim = export_floor(end + (int64_t)step - 1, (unsigned)step);
	if (lim <= (int64_t)fs)
		out->nrows = 0;
	else if ((size_t)((lim - (int64_t)fs) / (int64_t)step) < out->nrows)
		out->nrows = (size_t)((lim - (int64_t)fs) / (int64_t)step);
	if ((out->counts = malloc(
		 (out->nrows * ncats + 1) * sizeof(int64_t))) == NULL) {
		err_set(e, ERR_INTERNAL, "store_error", NULL, "out of memory");
		goto done;
	}
	for (row = 0; row < out->nrows; row++) {
		for (i = 0; i < ncats; i++) {
			v = col[i] < 0 ? NAN : data[row * ds_cnt + col[i]];
			out->counts[row * ncats + i] =
			    isnan(v) || v < 0 || isinf(v)
			    ? SERIES_UNKNOWN
			    : (int64_t)llround(v * (double)step);
		}
	}
	ret = 0;
done:
	for (k = 0; k < ds_cnt; k++)
		free(ds_namv[k]);
	free(ds_namv);
	free(data);
	if (ret == -1)
		series_free(out);
	return ret;
}

/* Free the rows of a series. */
void
series_free(struct series *s)
{
	free(s->counts);
	s->counts = NULL;
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
	long	      found = -1;
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
	for (row = 0; row < nrows && found < 0; row++) {
		for (k = 0; k < ds_cnt; k++) {
			if (!isnan(data[row * ds_cnt + k])) {
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
