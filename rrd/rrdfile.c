/*
 * rrdfile.c -- the byte layout of an RRD file, and adding a late count to
 * a primary data point in every archive that holds it.
 *
 * Owns the knowledge of librrd's on-disk structures (rrd_format.h): the
 * static header, data source and archive definitions, the live header, the
 * per-archive consolidation state and the ring of rows, each archive's
 * newest row at rra_ptr.cur_row.  It opens no file and takes no lock
 * (rrd/store_file.c does both).
 *
 * How a late count is added.  Rows hold rates (count / step).  For AVERAGE
 * a finished row holds the mean of its primary points and the one being
 * filled keeps their running sum in cdp_prep[CDP_val]; for MAX the row or
 * the running value is the largest point.  Adding d to one point therefore
 * adds d to the finest row, d / pdp to a finished AVERAGE row, d to the
 * running sum, and raises a MAX to the new point if it is larger.  This is
 * exact when every point of the row is known, which holds for files written
 * since gaps are stored as zeros; a row of an older file that consolidated
 * unknown points is left alone and reported as inexact.
 */
#include "rrdfile.h"

/*
 * librrd keeps its file structures behind this switch: they are the on-disk
 * format of version 0003/0004 files, stable since rrdtool 1.2, and the only
 * way to change a row that librrd has already written.
 */
#define RRD_EXPORT_DEPRECATED
#include <rrd.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Read a value of type T at buf + off (the image need not be aligned). */
#define LOAD(T, buf, off) \
	({ \
		T v_; \
		memcpy(&v_, (buf) + (off), sizeof(v_)); \
		v_; \
	})

/* Parse a file image's header; see rrdfile.h. */
int
rrdfile_parse(const unsigned char *buf, size_t len, struct rrdfile_layout *l,
    char *err, size_t errlen)
{
	stat_head_t sh;
	size_t	    off, rra_def_off, data;
	unsigned    i;
	int	    v;

	memset(l, 0, sizeof(*l));
	if (len < sizeof(sh)) {
		snprintf(err, errlen, "shorter than an RRD header");
		return -1;
	}
	memcpy(&sh, buf, sizeof(sh));
	if (memcmp(sh.cookie, "RRD", 4) != 0 ||
	    sh.float_cookie != FLOAT_COOKIE) {
		snprintf(
		    err, errlen, "not an RRD file of this machine's format");
		return -1;
	}
	v = (int)strtol(sh.version, NULL, 10);
	if (v < 3 || v > 4) {
		snprintf(err, errlen, "RRD format version %.4s is not handled",
		    sh.version);
		return -1;
	}
	if (sh.ds_cnt == 0 || sh.ds_cnt > RRDFILE_MAX_DS || sh.rra_cnt == 0 ||
	    sh.rra_cnt > RRDFILE_MAX_RRA || sh.pdp_step == 0) {
		snprintf(
		    err, errlen, "unexpected data source or archive count");
		return -1;
	}
	l->ds_cnt = (unsigned)sh.ds_cnt;
	l->rra_cnt = (unsigned)sh.rra_cnt;
	l->step = (unsigned)sh.pdp_step;
	off = sizeof(stat_head_t);
	/* The definitions are read before anything else is checked. */
	if (off + l->ds_cnt * sizeof(ds_def_t) +
		l->rra_cnt * sizeof(rra_def_t) + sizeof(live_head_t) >
	    len)
		goto short_file;
	for (i = 0; i < l->ds_cnt; i++) {
		memcpy(l->ds_names[i],
		    buf + off + i * sizeof(ds_def_t) +
			offsetof(ds_def_t, ds_nam),
		    sizeof(l->ds_names[i]));
		l->ds_names[i][sizeof(l->ds_names[i]) - 1] = '\0';
	}
	off += l->ds_cnt * sizeof(ds_def_t);
	rra_def_off = off;
	off += l->rra_cnt * sizeof(rra_def_t);
	if (off + sizeof(live_head_t) > len)
		goto short_file;
	l->live_off = off;
	l->last_up =
	    (int64_t)LOAD(time_t, buf, off + offsetof(live_head_t, last_up));
	off += sizeof(live_head_t);
	l->pdp_off = off;
	off += l->ds_cnt * sizeof(pdp_prep_t);
	l->cdp_off = off;
	l->cdp_size = sizeof(cdp_prep_t);
	off += (size_t)l->rra_cnt * l->ds_cnt * sizeof(cdp_prep_t);
	data = off + l->rra_cnt * sizeof(rra_ptr_t);
	if (data > len)
		goto short_file;
	l->data_off = data;
	for (i = 0; i < l->rra_cnt; i++) {
		size_t	      d = rra_def_off + i * sizeof(rra_def_t);
		char	      cf[CF_NAM_SIZE];
		unsigned long rows, pdp, cur;

		memcpy(cf, buf + d + offsetof(rra_def_t, cf_nam), sizeof(cf));
		cf[sizeof(cf) - 1] = '\0';
		rows =
		    LOAD(unsigned long, buf, d + offsetof(rra_def_t, row_cnt));
		pdp =
		    LOAD(unsigned long, buf, d + offsetof(rra_def_t, pdp_cnt));
		cur = LOAD(unsigned long, buf,
		    off + i * sizeof(rra_ptr_t) + offsetof(rra_ptr_t, cur_row));
		if (rows == 0 || pdp == 0 || cur >= rows ||
		    rows > (1UL << 28)) {
			snprintf(
			    err, errlen, "archive %u has a bad definition", i);
			return -1;
		}
		l->rra[i].cf = strcmp(cf, "AVERAGE") == 0 ? RRDFILE_AVERAGE
		    : strcmp(cf, "MAX") == 0		  ? RRDFILE_MAX
							  : RRDFILE_OTHER;
		l->rra[i].pdp = (unsigned)pdp;
		l->rra[i].rows = (unsigned)rows;
		l->rra[i].cur = (unsigned)cur;
		l->rra[i].data_off = data;
		data += (size_t)rows * l->ds_cnt * sizeof(rrd_value_t);
	}
	if (data != len) {
		snprintf(err, errlen,
		    "size %zu does not match the header (%zu)", len, data);
		return -1;
	}
	l->size = len;
	return 0;
short_file:
	snprintf(err, errlen, "shorter than its header says");
	return -1;
}

/* The index of a data source by name. */
int
rrdfile_ds_index(const struct rrdfile_layout *l, const char *name)
{
	unsigned i;

	for (i = 0; i < l->ds_cnt; i++)
		if (strcmp(l->ds_names[i], name) == 0)
			return (int)i;
	return -1;
}

/*
 * The byte offset of the value of data source d in the row of archive i
 * that ends at label, or 0 when that row is no longer (or not yet) stored.
 */
static size_t
rrdfile_row_off(
    const struct rrdfile_layout *l, unsigned i, int64_t label, unsigned d)
{
	int64_t span = (int64_t)l->rra[i].pdp * l->step;
	int64_t newest = l->last_up - l->last_up % span, back;
	size_t	row;

	if (label > newest || (newest - label) % span != 0)
		return 0;
	back = (newest - label) / span;
	if (back >= (int64_t)l->rra[i].rows)
		return 0;
	row = (l->rra[i].cur + l->rra[i].rows - (size_t)back) % l->rra[i].rows;
	return l->rra[i].data_off + (row * l->ds_cnt + d) * sizeof(rrd_value_t);
}

/* The byte offset of scratch value k of archive i's consolidation for d. */
static size_t
rrdfile_cdp_off(
    const struct rrdfile_layout *l, unsigned i, unsigned d, unsigned k)
{
	return l->cdp_off + ((size_t)i * l->ds_cnt + d) * l->cdp_size +
	    offsetof(cdp_prep_t, scratch) + k * sizeof(unival);
}

/* Store a double at buf + off. */
static void
rrdfile_put(unsigned char *buf, size_t off, double v)
{
	memcpy(buf + off, &v, sizeof(v));
}

/* Add delta to the point ending at step_end; see rrdfile.h. */
int
rrdfile_patch(unsigned char *buf, const struct rrdfile_layout *l,
    int64_t step_end, const double *delta, int *inexact, char *err,
    size_t errlen)
{
	double	 old[RRDFILE_MAX_DS], neu[RRDFILE_MAX_DS];
	size_t	 fine_off[RRDFILE_MAX_DS];
	unsigned i, d, fine = l->rra_cnt;

	*inexact = 0;
	if (step_end % l->step != 0 || step_end > l->last_up ||
	    l->last_up % l->step != 0) {
		snprintf(err, errlen,
		    "step %lld is not a past step of this file (last update "
		    "%lld)",
		    (long long)step_end, (long long)l->last_up);
		return -1;
	}
	for (i = 0; i < l->rra_cnt && fine == l->rra_cnt; i++)
		if (l->rra[i].pdp == 1 && l->rra[i].cf == RRDFILE_AVERAGE)
			fine = i;
	if (fine == l->rra_cnt) {
		snprintf(err, errlen, "the file has no one-step archive");
		return -1;
	}
	for (i = 0; i < l->rra_cnt; i++)
		if (l->rra[i].cf == RRDFILE_OTHER) {
			snprintf(err, errlen,
			    "archive %u consolidates other than AVERAGE or MAX",
			    i);
			return -1;
		}
	for (d = 0; d < l->ds_cnt; d++) {
		if ((fine_off[d] = rrdfile_row_off(l, fine, step_end, d)) ==
		    0) {
			snprintf(err, errlen,
			    "step %lld is older than the one-step archive",
			    (long long)step_end);
			return -1;
		}
		old[d] = LOAD(double, buf, fine_off[d]);
		neu[d] = (isnan(old[d]) ? 0 : old[d]) + delta[d];
	}

	for (i = 0; i < l->rra_cnt; i++) {
		int64_t span = (int64_t)l->rra[i].pdp * l->step;
		int64_t label = step_end + (span - step_end % span) % span;

		for (d = 0; d < l->ds_cnt; d++) {
			size_t off;
			double v;

			if (delta[d] == 0 && !isnan(old[d]))
				continue;
			if (i == fine) {
				rrdfile_put(buf, fine_off[d], neu[d]);
				continue;
			}
			if ((off = rrdfile_row_off(l, i, label, d)) != 0) {
				/* A finished row. */
				v = LOAD(double, buf, off);
				if (isnan(v) || isnan(old[d]))
					*inexact = 1;
				else if (l->rra[i].cf == RRDFILE_AVERAGE)
					rrdfile_put(buf, off,
					    v + delta[d] / l->rra[i].pdp);
				else if (neu[d] > v)
					rrdfile_put(buf, off, neu[d]);
				continue;
			}
			if (label <= l->last_up)
				continue; /* a row already out of the ring */
			/* The row being filled: its running value. */
			off = rrdfile_cdp_off(l, i, d, CDP_val);
			v = LOAD(double, buf, off);
			if (l->rra[i].cf == RRDFILE_AVERAGE)
				v = isnan(v)
				    ? neu[d]
				    : v + (isnan(old[d]) ? neu[d] : delta[d]);
			else
				v = isnan(v) || neu[d] > v ? neu[d] : v;
			rrdfile_put(buf, off, v);
			if (isnan(old[d])) {
				size_t k =
				    rrdfile_cdp_off(l, i, d, CDP_unkn_pdp_cnt);
				unsigned long u = LOAD(unsigned long, buf, k);

				if (u > 0)
					u--;
				memcpy(buf + k, &u, sizeof(u));
			}
		}
	}
	return 0;
}

/* Build the header of a new, empty file; see rrdfile.h. */
int
rrdfile_header(const unsigned char *tmpl, const struct rrdfile_layout *tl,
    int64_t start, unsigned char *hdr, char *err, size_t errlen)
{
	live_head_t lh;
	pdp_prep_t  pp;
	unsigned    d, i;

	if (start <= 0 || start % tl->step != 0) {
		snprintf(err, errlen,
		    "start %lld is not a multiple of the step",
		    (long long)start);
		return -1;
	}
	memcpy(hdr, tmpl, tl->data_off);
	rrdfile_set_generation(hdr, 0);
	memset(&lh, 0, sizeof(lh));
	lh.last_up = (time_t)start;
	memcpy(hdr + tl->live_off, &lh, sizeof(lh));
	/* No reading yet: the point being built is empty. */
	memset(&pp, 0, sizeof(pp));
	snprintf(pp.last_ds, sizeof(pp.last_ds), "U");
	pp.scratch[PDP_unkn_sec_cnt].u_cnt = 0;
	pp.scratch[PDP_val].u_val = 0;
	for (d = 0; d < tl->ds_cnt; d++)
		memcpy(hdr + tl->pdp_off + d * sizeof(pp), &pp, sizeof(pp));
	/*
	 * Every consolidation in progress holds known zeros so far: the steps
	 * of its row before start were not reported, which is stored as 0.
	 * (A one-step archive consolidates nothing: it keeps librrd's own.)
	 */
	for (i = 0; i < tl->rra_cnt; i++)
		if (tl->rra[i].pdp > 1)
			memset(hdr + tl->cdp_off +
				(size_t)i * tl->ds_cnt * tl->cdp_size,
			    0, (size_t)tl->ds_cnt * tl->cdp_size);
	return 0;
}

/* The patch generation of an image (0 for a file never patched). */
uint64_t
rrdfile_generation(const unsigned char *buf, size_t len)
{
	if (len < sizeof(stat_head_t))
		return 0;
	return (uint64_t)LOAD(unsigned long, buf,
	    offsetof(stat_head_t, par) + offsetof(unival, u_cnt));
}

/* Set the patch generation of an image. */
void
rrdfile_set_generation(unsigned char *buf, uint64_t gen)
{
	unsigned long g = (unsigned long)gen;

	memcpy(buf + offsetof(stat_head_t, par) + offsetof(unival, u_cnt), &g,
	    sizeof(g));
}
