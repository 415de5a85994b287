/*
 * test_ingest.c -- the commit pipeline with a clock the test moves: counts
 * become durable and are answered, steps are written when due, late counts
 * land in their own step, a stop leaves open steps to the journal and a
 * restart brings them back once; and the one mapping from error kinds to
 * HTTP statuses.  Real journal and RRD files in a temporary directory.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector/api.h"
#include "collector/conf.h"
#include "collector/ingest.h"
#include "lib/error.h"
#include "rrd/export.h"
#include "rrd/store.h"
#include "tap.h"

#define T0 1796036400LL /* a multiple of 3600 */

static int64_t		    now_value;
static struct ingest_result last;
static int		    answers;

/* The test's clock. */
static int64_t
test_now(void *arg)
{
	(void)arg;
	return __atomic_load_n(&now_value, __ATOMIC_SEQ_CST);
}

static const struct st_clock test_clock = {test_now, NULL};

/* Move the clock. */
static void
set_now(int64_t t)
{
	__atomic_store_n(&now_value, t, __ATOMIC_SEQ_CST);
}

/* The done callback: keep the answer. */
static void
done(void *arg, const struct ingest_result *res)
{
	(void)arg;
	last = *res;
	__atomic_add_fetch(&answers, 1, __ATOMIC_SEQ_CST);
}

/* Submit one submission for source at step with spam counted; settle. */
static const struct ingest_result *
submit(struct ingest *in, const char *source, int64_t step, uint32_t interval,
    uint64_t spam, const char *id)
{
	struct submission *s = calloc(1, sizeof(*s));

	snprintf(s->source, sizeof(s->source), "%s", source);
	snprintf(s->id, sizeof(s->id), "%s", id != NULL ? id : "");
	s->time = step;
	s->interval = interval;
	s->counts[0] = spam;
	s->hash = spam * 31 + (uint64_t)step;
	memset(&last, 0, sizeof(last));
	last.error.kind = (enum err_kind) - 1;
	ingest_submit(in, s, 1, NULL, test_now(NULL), done, NULL);
	ingest_settle(in);
	return &last;
}

/* Spam stored for source at step (-1 unknown, -2 no file). */
static int64_t
stored(struct store *st, const char *source, int64_t step)
{
	struct series	s;
	struct st_error e;
	unsigned	cat = 0;
	int64_t		v;

	if (export_fetch(st, source, step - 60, step, 60, &cat, 1, 0, &s, &e) ==
	    -1)
		return -2;
	v = s.nrows == 1 ? s.counts[0] : -3;
	series_free(&s);
	return v == SERIES_UNKNOWN ? -1 : v;
}

/* The highest segment number in dir's journal (0: none). */
static unsigned long
segment_max(const char *dir)
{
	char	       path[600];
	DIR	      *d;
	struct dirent *de;
	unsigned long  seq, max = 0;

	snprintf(path, sizeof(path), "%s/journal", dir);
	if ((d = opendir(path)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		if (sscanf(de->d_name, "%lu.log", &seq) == 1 && seq > max)
			max = seq;
	closedir(d);
	return max;
}

/* Open the store and the pipeline on dir. */
static void
open_all(struct conf *c, struct store **st, struct ingest **in)
{
	struct store_settings ss;
	char		      err[512];

	memset(&ss, 0, sizeof(ss));
	ss.data_dir = c->data_dir;
	ss.step = c->step;
	ss.categories = (const char(*)[ST_CATEGORY_MAX + 1]) c->categories;
	ss.ncategories = c->ncategories;
	if ((*st = store_create(&ss, err, sizeof(err))) == NULL ||
	    (*in = ingest_create(
		 c, *st, &test_clock, 0, NULL, err, sizeof(err))) == NULL) {
		printf("Bail out! %s\n", err);
		exit(1);
	}
}

int
main(void)
{
	static const struct {
		enum err_kind kind;
		int	      status;
	} map[] = {{ERR_BAD_INPUT, 400}, {ERR_UNAUTHENTICATED, 401},
	    {ERR_FORBIDDEN, 403}, {ERR_NOT_FOUND, 404}, {ERR_CONFLICT, 409},
	    {ERR_TOO_LARGE, 413}, {ERR_UNSUPPORTED, 415}, {ERR_INVALID, 422},
	    {ERR_LIMITED, 429}, {ERR_INTERNAL, 500}, {ERR_UNAVAILABLE, 503},
	    {ERR_NO_SPACE, 507}};
	char		    dir[] = "/tmp/spamtrend-ingest-XXXXXX", err[512];
	struct conf	    c;
	struct store	   *st;
	struct ingest	   *in;
	struct ingest_stats is;
	const struct ingest_result *r;
	size_t			    i, wrong = 0;

	plan(18);
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		wrong += api_error_status(map[i].kind) != map[i].status;
	ok(wrong == 0 && api_error_status((enum err_kind)999) == 500,
	    "every error kind maps to its status, an unknown one to 500");

	if (mkdtemp(dir) == NULL)
		return 1;
	conf_defaults(&c);
	if (conf_set(&c, "data_dir", dir, err, sizeof(err)) == -1 ||
	    conf_finish(&c, err, sizeof(err)) == -1) {
		printf("Bail out! %s\n", err);
		return 1;
	}
	set_now(T0 + 10);
	open_all(&c, &st, &in);

	r = submit(in, "mx1.example.com", T0 + 60, 60, 5, "a");
	ok(r->error.kind == ERR_NONE && r->accepted == 1 && r->duplicates == 0,
	    "a submission is made durable and answered");
	is_int(stored(st, "mx1.example.com", T0 + 60), -2,
	    "its step is open: nothing is written yet");
	set_now(T0 + 60 + 180);
	ingest_settle(in);
	is_int(stored(st, "mx1.example.com", T0 + 60), 5,
	    "once due, the step is written");
	r = submit(in, "mx1.example.com", T0 + 60, 60, 7, "b");
	ok(r->error.kind == ERR_NONE && r->accepted == 1,
	    "a count for a written step is accepted");
	ingest_settle(in);
	is_int(stored(st, "mx1.example.com", T0 + 60), 12,
	    "and added to that step");
	is_int(stored(st, "_total", T0 + 60), 12, "and to _total's");
	r = submit(in, "mx1.example.com", T0 + 60, 60, 7, "b");
	ok(r->accepted == 0 && r->duplicates == 1, "a repeat is not counted");
	r = submit(in, "mx1.example.com", T0 - 3 * 86400, 60, 1, NULL);
	ok(r->error.kind == ERR_INVALID &&
		strcmp(r->error.code, "time_too_old") == 0 &&
		strcmp(r->error.field, "time") == 0,
	    "a count too old to place is refused, naming the field");
	r = submit(in, "mx1.example.com", T0 + 300, 60, 3, "c");
	ingest_get_stats(in, &is);
	ok(is.accepted == 3 && is.late == 1 && is.refused_too_old == 1 &&
		is.open_buckets == 2,
	    "the counters say what happened");

	/* A stop leaves the open step to the journal; a restart brings it back. */
	ingest_free(in);
	store_free(st);
	open_all(&c, &st, &in);
	is_int(stored(st, "mx1.example.com", T0 + 300), -1,
	    "a stop does not write a step that is not due");
	is_int(stored(st, "mx1.example.com", T0 + 60), 12,
	    "a restart does not count a written step again");
	r = submit(in, "mx1.example.com", T0 + 300, 60, 3, "c");
	ok(r->duplicates == 1, "the ids of the journal are known again");
	set_now(T0 + 300 + 180);
	ingest_settle(in);
	is_int(stored(st, "mx1.example.com", T0 + 300), 3,
	    "the open step comes back from the journal and is written once "
	    "due");
	is_int(stored(st, "_total", T0 + 300), 3, "_total's too");

#ifdef ST_FAULT_INJECTION
	{
		char  faults[128];
		FILE *fp;

		snprintf(faults, sizeof(faults), "%s/faults", dir);
		if ((fp = fopen(faults, "w")) != NULL) {
			fputs("journal_write ENOSPC\n", fp);
			fclose(fp);
		}
		setenv("SPAMTRENDD_FAULTS", faults, 1);
		r = submit(in, "mx1.example.com", T0 + 600, 60, 1, "d");
		ok(r->error.kind == ERR_NO_SPACE &&
			strcmp(r->error.code, "insufficient_storage") == 0 &&
			ingest_degraded(in),
		    "a full disk refuses with no space and the pipeline says "
		    "it is degraded");
		unsetenv("SPAMTRENDD_FAULTS");
		r = submit(in, "mx1.example.com", T0 + 600, 60, 1, "d");
		ok(r->error.kind == ERR_NONE && r->accepted == 1 &&
			!ingest_degraded(in),
		    "and the same id is taken once the disk has room");
	}
#else
	ok(1, "# SKIP built without fault injection");
	ok(1, "# SKIP built without fault injection");
#endif

	/*
	 * Every segment gone (all written, ids expired, removed): the next
	 * records are numbered after them, never at positions the writer's
	 * state already calls written.
	 */
	set_now(T0 + 600 + 180);
	ingest_settle(in);
	ingest_free(in);
	store_free(st);
	{
		char	      cmd[600];
		unsigned long before = segment_max(dir), after;

		snprintf(cmd, sizeof(cmd), "rm -f %s/journal/*.log", dir);
		if (system(cmd) != 0)
			diag("cannot remove the segments");
		open_all(&c, &st, &in);
		r = submit(in, "mx1.example.com", T0 + 60, 60, 2, "e");
		after = segment_max(dir);
		ok(r->error.kind == ERR_NONE && before > 0 && after > before,
		    "after every segment was removed, new records go in a "
		    "segment numbered after them (%lu, then %lu)",
		    before, after);
	}
	ingest_free(in);
	store_free(st);
	conf_clear(&c);
	snprintf(err, sizeof(err), "rm -rf %s", dir);
	if (system(err) != 0)
		diag("cleanup failed");
	return tap_done();
}
