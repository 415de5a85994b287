/*
 * test_store.c -- the RRD store, export and render against real files in a
 * temporary directory, and the worker pool that runs renders.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem */
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"
#include "collector/workers.h"
#include "rrd/export.h"
#include "rrd/render.h"
#include "rrd/store.h"
#include "tap.h"

static const char cats[4][ST_CATEGORY_MAX + 1] = {
    "spam", "ham", "virus", "rejected"};

static int job_pipe[2];
static int jobs_done;

/* A job that waits until the test writes a byte to the pipe. */
static void
slow_job(void *arg)
{
	char c;

	if (read(job_pipe[0], &c, 1) == 1)
		__atomic_add_fetch(&jobs_done, 1, __ATOMIC_SEQ_CST);
}

/* A bounded pool refuses work when its queue is full, and drains on free. */
static void
test_workers(void)
{
	struct workers *w;
	char		err[128];

	if (pipe(job_pipe) != 0)
		return;
	w = workers_create(1, 1, err, sizeof(err));
	ok(w != NULL, "a pool of one thread and one slot starts");
	if (w == NULL)
		return;
	is_int(workers_submit(w, slow_job, NULL), 0, "the first job runs");
	while (workers_pending(w) != 1 || jobs_done != 0)
		usleep(1000);
	usleep(20000);
	is_int(workers_submit(w, slow_job, NULL), 0, "the second job waits");
	is_int(workers_submit(w, slow_job, NULL), -1,
	    "a third job is refused: the queue is full");
	if (write(job_pipe[1], "ab", 2) != 2)
		diag("short write");
	workers_free(w);
	is_int(jobs_done, 2, "free runs the queued jobs before stopping");
	close(job_pipe[0]);
	close(job_pipe[1]);
}

/* Remove every file of dir and dir itself. */
static void
rm_tree(const char *dir)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		diag("could not remove %s", dir);
}

/* Open a store with the default categories on dir. */
static struct store *
open_store(const char *dir, unsigned step)
{
	struct store_settings s;
	char		      err[256];
	struct store	     *st;

	memset(&s, 0, sizeof(s));
	s.data_dir = dir;
	s.step = step;
	s.categories = cats;
	s.ncategories = 4;
	if ((st = store_create(&s, err, sizeof(err))) == NULL)
		diag("store_create: %s", err);
	return st;
}

/* Return 1 if path exists (without following a symlink). */
static int
exists(const char *path)
{
	struct stat sb;

	return lstat(path, &sb) == 0;
}

int
main(void)
{
	struct store_archive ar[STORE_ARCHIVES];
	char tmpl[] = "/tmp/spamtrend-store-XXXXXX", path[600], err[256];
	char path2[500];
	const unsigned	      all[4] = {0, 1, 2, 3}, sub[2] = {3, 0};
	uint64_t	      c[4];
	struct store	     *st;
	struct series	      s;
	struct st_error	      e;
	struct render_request rq;
	struct render_area    area;
	unsigned char	     *img = NULL;
	size_t		      len = 0, i;
	int64_t	 t0 = 1226448000, last, sum, first; /* 2008-11-12 00:00 UTC */
	char   **names;
	size_t	 nnames;
	unsigned n;
	int	 fd, r;

	plan(60);
	log_set_level("error");
	test_workers();

	n = store_layout(60, ar);
	is_int(n, 4, "step 60 has four archives");
	ok(ar[0].pdp == 1 && ar[0].rows == 2880, "minutes for two days");
	ok(ar[1].pdp == 5 && ar[1].rows == 4032, "5 minutes for 14 days");
	ok(ar[2].pdp == 60 && ar[2].rows == 9480, "hours for 395 days");
	ok(ar[3].pdp == 1440 && ar[3].rows == 3660, "days for 3660 days");
	n = store_layout(3600, ar);
	ok(n == 2 && ar[0].resolution == 3600 &&
		ar[0].retention >= 395 * 86400LL && ar[1].resolution == 86400,
	    "step 3600 merges the finer archives and keeps the retention");

	if (mkdtemp(tmpl) == NULL)
		return 1;
	st = open_store(tmpl, 60);
	ok(st != NULL, "store opens on a temp dir");
	if (st == NULL)
		return tap_done();

	c[0] = 120;
	c[1] = 300;
	c[2] = 0;
	c[3] = 7;
	is_int(store_write(st, "mx1.example.com", t0, c, 60, err, sizeof(err)),
	    0, "first write creates the file");
	snprintf(path, sizeof(path), "%s/mx1.example.com.rrd", tmpl);
	ok(exists(path), "file is <data_dir>/<source>.rrd");
	{
		/*
		 * Its blocks are reserved: librrd writes rows through a
		 * mapping, and a first write into a hole on a full disk is a
		 * SIGBUS.  A file left with holes (an older version made
		 * them) gets its blocks when it is learnt.
		 */
		struct stat	  sb;
		struct store_file info;
		char		  cmd[1400], holed[600];

		r = stat(path, &sb);
		ok(r == 0 && (off_t)sb.st_blocks * 512 >= sb.st_size,
		    "a new file's blocks are reserved (%lld of %lld bytes)",
		    (long long)sb.st_blocks * 512, (long long)sb.st_size);
		snprintf(
		    holed, sizeof(holed), "%s/holed.example.com.rrd", tmpl);
		snprintf(
		    cmd, sizeof(cmd), "cp --sparse=always %s %s", path, holed);
		if (system(cmd) != 0)
			diag("cp failed");
		store_info(st, "holed.example.com", &info, err, sizeof(err));
		r = stat(holed, &sb);
		ok(r == 0 && (off_t)sb.st_blocks * 512 >= sb.st_size,
		    "a file with holes gets its blocks when learnt (%lld of "
		    "%lld bytes)",
		    (long long)sb.st_blocks * 512, (long long)sb.st_size);
		unlink(holed);
		{
			/* reserve_disk 0: rows not yet written stay holes. */
			struct store_settings hs;
			struct store	     *hst;
			char		      hdir[400];

			snprintf(hdir, sizeof(hdir), "%s/holes", tmpl);
			mkdir(hdir, 0700);
			memset(&hs, 0, sizeof(hs));
			hs.data_dir = hdir;
			hs.step = 60;
			hs.categories = cats;
			hs.ncategories = 4;
			hs.holes = 1;
			hst = store_create(&hs, err, sizeof(err));
			c[0] = 1;
			r = hst != NULL ? store_write(hst, "mx1.example.com",
					      t0, c, 60, err, sizeof(err))
					: -1;
			snprintf(holed, sizeof(holed), "%s/mx1.example.com.rrd",
			    hdir);
			r = r == 0 ? stat(holed, &sb) : -1;
			ok(r == 0 && (off_t)sb.st_blocks * 512 < sb.st_size / 2,
			    "with holes the new file takes only what was "
			    "written (%lld of %lld bytes)",
			    (long long)sb.st_blocks * 512,
			    (long long)sb.st_size);
			store_free(hst);
		}
#ifdef ST_FAULT_INJECTION
		{
			/*
			 * A full disk when a file is made: an error, no file
			 * and no temporary left; made once there is room.
			 */
			char  faults[600];
			FILE *fp;

			snprintf(faults, sizeof(faults), "%s/faults", tmpl);
			if ((fp = fopen(faults, "w")) != NULL) {
				fputs("store_reserve ENOSPC\n", fp);
				fclose(fp);
			}
			setenv("SPAMTRENDD_FAULTS", faults, 1);
			c[0] = 1;
			r = store_write(st, "full.example.com", t0, c, 60, err,
			    sizeof(err));
			snprintf(cmd, sizeof(cmd),
			    "ls -a %s | grep -q '^\\.patch\\..*\\.tmp$'", tmpl);
			snprintf(holed, sizeof(holed),
			    "%s/full.example.com.rrd", tmpl);
			ok(r == -1 && strstr(err, "No space") != NULL &&
				!exists(holed) && system(cmd) != 0,
			    "no room to reserve a new file's blocks: an error "
			    "(%s), no file, no temporary left",
			    err);
			unsetenv("SPAMTRENDD_FAULTS");
			unlink(faults);
			ok(store_write(st, "full.example.com", t0, c, 60, err,
			       sizeof(err)) == 0 &&
				exists(holed),
			    "and it is made once there is room");
			unlink(holed);
		}
#else
		ok(1, "# SKIP built without fault injection");
		ok(1, "# SKIP built without fault injection");
#endif
	}
	is_int(store_write(st, "mx1.example.com", t0, c, 60, err, sizeof(err)),
	    1, "same step again is skipped");
	is_int(store_write(
		   st, "mx1.example.com", t0 - 60, c, 60, err, sizeof(err)),
	    1, "an older step is skipped");
	c[0] = 1;
	c[1] = 2;
	c[2] = 3;
	c[3] = 1000000007;
	is_int(store_write(
		   st, "mx1.example.com", t0 + 60, c, 60, err, sizeof(err)),
	    0, "next step written");
	/* A gap of two steps, then data again. */
	c[0] = 5;
	c[1] = 6;
	c[2] = 0;
	c[3] = 0;
	is_int(store_write(
		   st, "mx1.example.com", t0 + 240, c, 60, err, sizeof(err)),
	    0, "write after a gap");
	store_last(st, "mx1.example.com", &last);
	is_int(last, t0 + 240, "store_last is the last step written");
	is_int(store_write(st, "../etc/passwd", t0, c, 60, err, sizeof(err)),
	    -1, "an invalid source name is refused");
	is_int(store_write(
		   st, "mx1.example.com", t0 + 270, c, 60, err, sizeof(err)),
	    -1, "an unaligned step end is refused");

	memset(&e, 0, sizeof(e));
	r = export_fetch(
	    st, "mx1.example.com", t0 - 60, t0 + 240, 60, all, 4, 0, &s, &e);
	is_int(r, 0, "export fetch works");
	if (r == 0) {
		is_int(s.step, 60, "resolution 60");
		is_int(s.nrows, 5, "five rows in (t0-60, t0+240]");
		is_int(s.first, t0, "first row labelled t0");
		is_int(s.counts[0 * 4 + 0], 120, "spam count exact");
		is_int(s.counts[0 * 4 + 1], 300, "ham count exact");
		is_int(s.counts[1 * 4 + 3], 1000000007,
		    "a large count comes back exactly");
		ok(s.counts[2 * 4 + 0] == SERIES_UNKNOWN &&
			s.counts[3 * 4 + 1] == SERIES_UNKNOWN,
		    "the gap is unknown, not interpolated");
		is_int(s.counts[4 * 4 + 1], 6, "the step after the gap");
		series_total(&s, 0, &sum);
		is_int(sum, 126, "spam total over the range");
		series_free(&s);
	} else {
		diag("%s", e.detail);
		for (i = 0; i < 9; i++)
			ok(0, "skipped");
	}
	r = export_fetch(
	    st, "mx1.example.com", t0 - 60, t0 + 60, 60, sub, 2, 0, &s, &e);
	ok(r == 0 && s.ncat == 2 && strcmp(s.names[0], "rejected") == 0 &&
		s.counts[1 * 2 + 0] == 1000000007 && s.counts[1 * 2 + 1] == 1,
	    "a subset of categories in the order asked");
	if (r == 0)
		series_free(&s);
	r = export_fetch(
	    st, "nope.example.com", t0, t0 + 60, 60, all, 4, 0, &s, &e);
	ok(r == -1 && e.kind == ERR_NOT_FOUND, "an unknown source is a 404");
	r = export_fetch(st, "_total", t0 - 600, t0, 60, all, 4, 1, &s, &e);
	ok(r == 0 && s.nrows == 10 && s.counts[0] == SERIES_UNKNOWN,
	    "a missing series may be asked for as all unknown");
	if (r == 0)
		series_free(&s);
	export_first_seen(st, "mx1.example.com", &first);
	is_int(first, t0 - 60, "first seen is the start of the first row");

	/* Rendering. */
	memset(&rq, 0, sizeof(rq));
	rq.source = "mx1.example.com";
	rq.cats = all;
	rq.ncats = 4;
	rq.start = t0 - 3600;
	rq.end = t0 + 3600;
	rq.width = 400;
	rq.height = 150;
	rq.view = RENDER_LINES;
	r = render_graph(st, &rq, &img, &len, &area, &e);
	ok(r == 0 && len > 24 && memcmp(img, "\x89PNG", 4) == 0,
	    "render gives a PNG");
	ok(area.left > 0 && area.width > 200 && area.left + area.width < 400 &&
		area.height > 0 && area.top + area.height < 150,
	    "the plot area lies inside the image (%u,%u %ux%u)", area.left,
	    area.top, area.width, area.height);
	ok(area.start == rq.start && area.end == rq.end,
	    "the plot area spans the asked range");
	if (r == 0) {
		unsigned w = (img[16] << 24) | (img[17] << 16) |
		    (img[18] << 8) | img[19];
		unsigned h = (img[20] << 24) | (img[21] << 16) |
		    (img[22] << 8) | img[23];
		ok(w == 400 && h == 150, "the PNG is the size asked (%ux%u)", w,
		    h);
	} else {
		diag("%s", e.detail);
		ok(0, "png width");
	}
	free(img);
	img = NULL;
	rq.svg = 1;
	rq.view = RENDER_STACKED;
	rq.compare = 86400;
	r = render_graph(st, &rq, &img, &len, NULL, &e);
	ok(r == 0 && len > 5 && memmem(img, len, "<svg", 4) != NULL,
	    "render gives an SVG, stacked with a comparison");
	free(img);
	img = NULL;
	rq.svg = 0;
	rq.view = RENDER_RATIO;
	rq.compare = 0;
	r = render_graph(st, &rq, &img, &len, NULL, &e);
	ok(r == 0 && len > 8, "ratio view renders");
	free(img);
	img = NULL;
	rq.source = "_total";
	rq.view = RENDER_LINES;
	r = render_graph(st, &rq, &img, &len, NULL, &e);
	ok(r == 0 && len > 8 && memcmp(img, "\x89PNG", 4) == 0,
	    "a total with no file yet renders an empty graph");
	free(img);
	img = NULL;
	rq.source = "nope.example.com";
	r = render_graph(st, &rq, &img, &len, NULL, &e);
	ok(r == -1 && e.kind == ERR_NOT_FOUND,
	    "render of an unknown source is 404");

	/* A planted symlink is never followed. */
	snprintf(path2, sizeof(path2), "%s/evil.example.com.rrd", tmpl);
	if (symlink("/tmp/spamtrend-should-not-exist", path2) != 0)
		diag("symlink: %s", strerror(errno));
	is_int(store_write(st, "evil.example.com", t0, c, 60, err, sizeof(err)),
	    -1, "a symlinked file is refused");
	ok(!exists("/tmp/spamtrend-should-not-exist"),
	    "nothing was created through the symlink");

	/* A foreign file is moved aside and recreated. */
	snprintf(path2, sizeof(path2), "%s/bad.example.com.rrd", tmpl);
	fd = open(path2, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0) {
		if (write(fd, "not an rrd file at all\n", 23) != 23)
			diag("short write");
		close(fd);
	}
	is_int(store_write(st, "bad.example.com", t0, c, 60, err, sizeof(err)),
	    0, "writing over a corrupt file works");
	snprintf(path, sizeof(path), "%s.corrupt", path2);
	ok(exists(path), "the corrupt file was kept as .corrupt");
	r = export_fetch(
	    st, "bad.example.com", t0 - 60, t0, 60, all, 4, 0, &s, &e);
	ok(r == 0 && s.nrows == 1 && s.counts[1] == 6,
	    "the recreated file holds the new step");
	if (r == 0)
		series_free(&s);

	store_list_sources(st, &names, &nnames);
	ok(nnames == 2 && strcmp(names[0], "bad.example.com") == 0 &&
		strcmp(names[1], "mx1.example.com") == 0,
	    "sources are listed sorted, symlinks and _total left out");
	store_names_free(names, nnames);
	is_int(store_sync(st, err, sizeof(err)), 0, "sync works");

	/*
	 * Two collectors on one directory: one found a file missing, the
	 * other made it; the first appends to that file.
	 */
	{
		struct store *b = open_store(tmpl, 60);

		store_last(st, "race.example.com", &last);
		c[0] = 11;
		is_int(store_write(
			   b, "race.example.com", t0, c, 60, err, sizeof(err)),
		    0, "the other collector makes the file first");
		c[0] = 13;
		r = store_write(
		    st, "race.example.com", t0 + 60, c, 60, err, sizeof(err));
		is_int(r, 0, "a collector that found no file appends to it");
		if (r != 0)
			diag("%s", err);
		r = export_fetch(st, "race.example.com", t0 - 60, t0 + 60, 60,
		    all, 4, 0, &s, &e);
		ok(r == 0 && s.nrows == 2 && s.counts[0] == 11 &&
			s.counts[4] == 13,
		    "both steps are in the one file");
		if (r == 0)
			series_free(&s);
		store_free(b);
	}

	/*
	 * Another collector (a process) reads every file while this one makes
	 * new ones: it never sees one half-made (it would move it aside as
	 * corrupt, and the counts written to it would be lost).
	 */
	{
		pid_t child;
		int   status, ok_all = 1, k;

		fflush(NULL);
		if ((child = fork()) == 0) {
			struct store *b = open_store(tmpl, 60);
			time_t	      end = time(NULL) + 3;

			while (time(NULL) < end)
				for (k = 0; k < 300; k++) {
					char nm[64];

					snprintf(nm, sizeof(nm),
					    "new%03d.example.com", k);
					store_last(b, nm, &last);
				}
			_exit(0);
		}
		for (i = 0; i < 300; i++) {
			char nm[64];

			snprintf(nm, sizeof(nm), "new%03zu.example.com", i);
			c[0] = i;
			/*
			 * librrd's own file lock may refuse a write while the
			 * other reads: the writer retries (so does flush.c).
			 */
			for (r = -1, k = 0; r != 0 && k < 50; k++)
				if ((r = store_write(st, nm, t0, c, 60, err,
					 sizeof(err))) == -1)
					usleep(2000);
			if (r != 0) {
				diag("write %s: %s", nm, err);
				ok_all = 0;
			}
			usleep(5000);
		}
		waitpid(child, &status, 0);
		for (i = 0; i < 300 && ok_all; i++) {
			snprintf(path, sizeof(path),
			    "%s/new%03zu.example.com.rrd.corrupt", tmpl, i);
			if (exists(path)) {
				diag("%s", path);
				ok_all = 0;
			}
			snprintf(path, sizeof(path), "new%03zu.example.com", i);
			if (export_fetch(st, path, t0 - 60, t0, 60, all, 4, 0,
				&s, &e) != 0)
				ok_all = 0;
			else {
				if (s.nrows != 1 || s.counts[0] != (int64_t)i) {
					diag("%s: %zu rows, %lld", path,
					    s.nrows, (long long)s.counts[0]);
					ok_all = 0;
				}
				series_free(&s);
			}
		}
		ok(ok_all,
		    "files made while another process reads them are "
		    "never taken for corrupt");
	}

	/* A new store on the same directory learns the last update. */
	store_free(st);
	st = open_store(tmpl, 60);
	c[0] = 1;
	is_int(store_write(
		   st, "mx1.example.com", t0 + 240, c, 60, err, sizeof(err)),
	    1, "a reopened store skips a step already stored");

	store_free(st);
	rm_tree(tmpl);
	return tap_done();
}
