/*
 * test_rrdfile -- a late count added to a file image gives the file librrd
 * writes when the count is there in time: every archive, AVERAGE and MAX,
 * finished rows and the consolidation in progress, and the rows that
 * consolidate after the patch.
 */
#define RRD_EXPORT_DEPRECATED /* stat_head_t */
#include <rrd.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rrd/rrdfile.h"
#include "tap.h"

#define STEP  60
#define T0    1700002800LL /* a multiple of 900 */
#define NSTEP 40

static char dir[] = "/tmp/spamtrend-rrdfile-XXXXXX";

/* Create path with two data sources and four archives. */
static void
make(const char *path)
{
	const char *argv[] = {"DS:a:GAUGE:316224000:0:U",
	    "DS:b:GAUGE:316224000:0:U", "RRA:AVERAGE:0.5:1:30",
	    "RRA:AVERAGE:0.5:5:10", "RRA:MAX:0.5:5:10", "RRA:AVERAGE:0.5:15:6"};

	unlink(path);
	if (rrd_create_r(path, STEP, T0, 6, argv) != 0)
		BAIL_OUT("create: %s", rrd_get_error());
}

/* Update path at step k (1-based) with rates a and b. */
static void
put(const char *path, int k, double a, double b)
{
	char	    v[96];
	const char *argv[1] = {v};

	snprintf(
	    v, sizeof(v), "%lld:%.17g:%.17g", T0 + (long long)k * STEP, a, b);
	if (rrd_update_r(path, NULL, 1, argv) != 0)
		BAIL_OUT("update: %s", rrd_get_error());
}

/* The rate of step k in the reference series. */
static double
rate(int k, int ds)
{
	return ds == 0 ? (double)(k * 7 % 11 + 1) : 1.0;
}

/* Read a whole file. */
static unsigned char *
slurp(const char *path, size_t *len)
{
	struct stat    sb;
	unsigned char *b;
	FILE	      *fp = fopen(path, "rb");

	if (fp == NULL || fstat(fileno(fp), &sb) != 0)
		BAIL_OUT("read %s", path);
	b = malloc((size_t)sb.st_size);
	*len = fread(b, 1, (size_t)sb.st_size, fp);
	fclose(fp);
	return b;
}

/* Write a whole file. */
static void
spill(const char *path, const unsigned char *b, size_t len)
{
	FILE *fp = fopen(path, "wb");

	if (fp == NULL || fwrite(b, 1, len, fp) != len)
		BAIL_OUT("write %s", path);
	fclose(fp);
}

/* 1 when two values agree (both unknown, or within rounding). */
static int
same(double x, double y)
{
	if (isnan(x) || isnan(y))
		return isnan(x) && isnan(y);
	if (isinf(x) || isinf(y))
		return x == y;
	return fabs(x - y) <= 1e-9 * (fabs(x) + fabs(y) + 1);
}

/* Compare every archive of two files through rrd_fetch and rrd_info. */
static int
agree(const char *p, const char *q, const char *what)
{
	static const struct {
		const char   *cf;
		unsigned long res;
	} views[] = {
	    {"AVERAGE", 60}, {"AVERAGE", 300}, {"MAX", 300}, {"AVERAGE", 900}};
	rrd_info_t *ip, *iq, *x, *y;
	size_t	    v;
	int	    good = 1;

	for (v = 0; v < sizeof(views) / sizeof(views[0]); v++) {
		time_t s = T0, e = T0 + NSTEP * STEP + 900, s2 = s, e2 = e;
		unsigned long st = views[v].res, st2 = st, n, n2, i;
		char	    **names, **names2;
		rrd_value_t  *d, *d2;

		if (rrd_fetch_r(p, views[v].cf, &s, &e, &st, &n, &names, &d) !=
			0 ||
		    rrd_fetch_r(
			q, views[v].cf, &s2, &e2, &st2, &n2, &names2, &d2) != 0)
			BAIL_OUT("fetch: %s", rrd_get_error());
		for (i = 0; i < (unsigned long)((e - s) / (long)st) * n; i++)
			if (!same(d[i], d2[i])) {
				diag("%s: %s/%lu row %lu: %g vs %g", what,
				    views[v].cf, st, i / n, d[i], d2[i]);
				good = 0;
				break;
			}
		for (i = 0; i < n; i++) {
			free(names[i]);
			free(names2[i]);
		}
		free(names);
		free(names2);
		free(d);
		free(d2);
	}
	ip = rrd_info_r(p);
	iq = rrd_info_r(q);
	for (x = ip; x != NULL; x = x->next) {
		if (strstr(x->key, "cdp_prep") == NULL ||
		    (strstr(x->key, "].value") == NULL &&
			strstr(x->key, "unknown_datapoints") == NULL))
			continue;
		for (y = iq; y != NULL && strcmp(x->key, y->key) != 0;
		     y = y->next)
			;
		if (y == NULL ||
		    (x->type == RD_I_VAL &&
			!same(x->value.u_val, y->value.u_val)) ||
		    (x->type == RD_I_CNT && x->value.u_cnt != y->value.u_cnt)) {
			diag("%s: %s differs: %g vs %g", what, x->key,
			    x->value.u_val, y ? y->value.u_val : 0);
			good = 0;
		}
	}
	rrd_info_free(ip);
	rrd_info_free(iq);
	return good;
}

/*
 * Write the reference file in order, and a second one with late step j
 * missing x from data source a; patch it in after step upto; compare,
 * then write both on to the end and compare again.
 */
static void
check_late(int j, int upto, double x, const char *what)
{
	char		      ref[128], late[128], err[256];
	struct rrdfile_layout l;
	unsigned char	     *img;
	size_t		      len;
	double		      delta[2] = {x, 0};
	int		      k, inexact = -1;

	err[0] = '\0';
	snprintf(ref, sizeof(ref), "%s/ref.rrd", dir);
	snprintf(late, sizeof(late), "%s/late.rrd", dir);
	make(ref);
	make(late);
	for (k = 1; k <= upto; k++) {
		put(ref, k, rate(k, 0), rate(k, 1));
		put(late, k, rate(k, 0) - (k == j ? x : 0), rate(k, 1));
	}
	img = slurp(late, &len);
	ok(rrdfile_parse(img, len, &l, err, sizeof(err)) == 0 &&
		rrdfile_patch(img, &l, T0 + (long long)j * STEP, delta,
		    &inexact, err, sizeof(err)) == 0 &&
		inexact == 0,
	    "%s: patched (%s)", what, err);
	spill(late, img, len);
	free(img);
	ok(agree(ref, late, what), "%s: every archive as if in time", what);
	for (k = upto + 1; k <= NSTEP; k++) {
		put(ref, k, rate(k, 0), rate(k, 1));
		put(late, k, rate(k, 0), rate(k, 1));
	}
	ok(agree(ref, late, what), "%s: and after later rows consolidate",
	    what);
}

int
main(void)
{
	char		      path[128], err[256];
	struct rrdfile_layout l;
	unsigned char	     *img;
	size_t		      len;
	double		      delta[2] = {2, 0};
	int		      inexact = 0, k;

	err[0] = '\0';
	plan(34);
	if (mkdtemp(dir) == NULL)
		BAIL_OUT("mkdtemp");

	snprintf(path, sizeof(path), "%s/ref.rrd", dir);
	make(path);
	for (k = 1; k <= 12; k++)
		put(path, k, rate(k, 0), 1);
	img = slurp(path, &len);
	ok(rrdfile_parse(img, len, &l, err, sizeof(err)) == 0, "parses (%s)",
	    err);
	is_int(l.ds_cnt, 2, "two data sources");
	is_int(l.rra_cnt, 4, "four archives");
	ok(strcmp(l.ds_names[1], "b") == 0 && rrdfile_ds_index(&l, "b") == 1 &&
		rrdfile_ds_index(&l, "c") == -1,
	    "data source names");
	ok(l.rra[2].cf == RRDFILE_MAX && l.rra[1].pdp == 5 &&
		l.rra[3].rows == 6,
	    "archive definitions");
	is_int(l.last_up, T0 + 12 * STEP, "last update");
	ok(rrdfile_parse(img, len - 8, &l, err, sizeof(err)) == -1,
	    "a truncated image is refused");
	{
		/* A header claiming more definitions than the bytes hold. */
		stat_head_t    sh;
		unsigned char *cut = malloc(sizeof(sh) + 8);

		if (cut == NULL)
			BAIL_OUT("malloc");
		memcpy(&sh, img, sizeof(sh));
		sh.ds_cnt = RRDFILE_MAX_DS;
		memcpy(cut, &sh, sizeof(sh));
		memset(cut + sizeof(sh), 0, 8);
		ok(rrdfile_parse(cut, sizeof(sh) + 8, &l, err, sizeof(err)) ==
			-1,
		    "a header cut short after its counts is refused, "
		    "nothing read past it");
		free(cut);
	}
	img[0] = 'X';
	ok(rrdfile_parse(img, len, &l, err, sizeof(err)) == -1,
	    "a foreign image is refused");
	img[0] = 'R';
	rrdfile_parse(img, len, &l, err, sizeof(err));
	ok(rrdfile_patch(img, &l, T0 + 13 * STEP, delta, &inexact, err,
	       sizeof(err)) == -1,
	    "a step after the last update is not a patch");
	ok(rrdfile_patch(img, &l, T0 + 12 * STEP + 1, delta, &inexact, err,
	       sizeof(err)) == -1,
	    "an unaligned step is refused");
	ok(rrdfile_patch(img, &l, T0 - 40 * STEP, delta, &inexact, err,
	       sizeof(err)) == -1,
	    "a step older than the one-step archive is refused");
	free(img);

	check_late(3, 12, 2.5, "a finished five-step row");
	check_late(12, 14, 3, "the five-step row being filled");
	check_late(14, 14, 1, "the newest step");
	check_late(16, 22, 2, "the fifteen-step row being filled");
	check_late(10, 39, 1.5, "a row near the ring's end");
	check_late(7, 9, 0.25, "MAX raised by a late point");

	/*
	 * A new file from a header alone (rows a hole of zeros) behaves as
	 * the file librrd creates, once both are written.
	 */
	{
		char		      made[128], ref[128];
		struct rrdfile_layout tl;
		unsigned char	     *tmpl, *hdr;
		size_t		      tlen;
		FILE		     *fp;

		snprintf(ref, sizeof(ref), "%s/ref.rrd", dir);
		snprintf(made, sizeof(made), "%s/made.rrd", dir);
		make(ref);
		tmpl = slurp(ref, &tlen);
		rrdfile_parse(tmpl, tlen, &tl, err, sizeof(err));
		hdr = malloc(tl.data_off);
		ok(rrdfile_header(tmpl, &tl, T0, hdr, err, sizeof(err)) == 0 &&
			rrdfile_header(
			    tmpl, &tl, T0 + 1, hdr, err, sizeof(err)) == -1,
		    "a header is built for a start on a step, not between");
		rrdfile_header(tmpl, &tl, T0, hdr, err, sizeof(err));
		fp = fopen(made, "wb");
		fwrite(hdr, 1, tl.data_off, fp);
		fclose(fp);
		if (truncate(made, (off_t)tl.size) != 0)
			BAIL_OUT("truncate");
		for (k = 1; k <= NSTEP; k++) {
			put(ref, k, rate(k, 0), rate(k, 1));
			put(made, k, rate(k, 0), rate(k, 1));
		}
		ok(agree(ref, made, "header-made file"),
		    "a header-made file consolidates as librrd's own");
		free(tmpl);

		/* Started in the middle of rows: those rows sum exactly. */
		tmpl = slurp(made, &tlen);
		rrdfile_parse(tmpl, tlen, &tl, err, sizeof(err));
		rrdfile_header(tmpl, &tl, T0 + 7 * STEP, hdr, err, sizeof(err));
		fp = fopen(made, "wb");
		fwrite(hdr, 1, tl.data_off, fp);
		fclose(fp);
		if (truncate(made, (off_t)tl.size) != 0)
			BAIL_OUT("truncate");
		for (k = 8; k <= 15; k++)
			put(made, k, 2, 1);
		{
			time_t	      fs = T0, fe = T0 + 900;
			unsigned long st = 900, n = 0, i;
			char	    **names;
			rrd_value_t  *data;

			rrd_fetch_r(
			    made, "AVERAGE", &fs, &fe, &st, &n, &names, &data);
			ok(st == 900 && fabs(data[0] * 900 - 8 * 2 * 60) < 1e-6,
			    "a row begun before the file's start sums its "
			    "steps exactly (%g)",
			    st == 900 ? data[0] * 900 : -1.0);
			for (i = 0; i < n; i++)
				free(names[i]);
			free(names);
			free(data);
		}
		free(tmpl);
		free(hdr);
	}

	/* A file of the old kind: a gap of unknown points. */
	make(path);
	put(path, 1, 1, 1);
	put(path, 2, 1, 1);
	{
		char	    v[64];
		const char *argv[1] = {v};

		snprintf(v, sizeof(v), "%lld:U:U", T0 + 3LL * STEP);
		rrd_update_r(path, NULL, 1, argv);
	}
	for (k = 4; k <= 11; k++)
		put(path, k, 1, 1);
	img = slurp(path, &len);
	rrdfile_parse(img, len, &l, err, sizeof(err));
	ok(rrdfile_patch(img, &l, T0 + 3 * STEP, delta, &inexact, err,
	       sizeof(err)) == 0 &&
		inexact == 1,
	    "an unknown point of an old file is set, coarse rows reported "
	    "inexact");
	free(img);

	snprintf(path, sizeof(path), "rm -rf %s", dir);
	if (system(path) != 0)
		diag("cleanup failed");
	return tap_done();
}
