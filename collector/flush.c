/*
 * flush.c -- the writer thread between closed points and rrd/store.
 *
 * Owns the queue of cycles, the writer's state (checkpoint.c: begun cycles,
 * the done cycle, parked points), the list of failing files and the running
 * totals /metrics shows.  It takes the flush lock only to move queue
 * entries and counters; every file write takes the store lock on its own,
 * so renders interleave with a long cycle.
 *
 * One cycle: look up every file it touches; record the cycle, with the
 * files it will patch, in the state file; patch the late points and append
 * the others, file by file; keep what a file refused as parked points,
 * retried next cycle (one bad file never holds back another); at the next
 * store sync, record the cycle as done.  replay.c reads the same state.
 */
#include "flush.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "../lib/clock.h"
#include "../lib/log.h"
#include "../lib/source.h"
#include "../lib/strmap.h"
#include "../rrd/store.h"
#include "sources.h"
#include "sources_scan.h"

struct flush_item {
	struct flush_item *next;
	uint64_t	   pos;
	int64_t		   step;
	struct agg_batch   batch;
};

/* A file that failed its last write. */
struct flush_failing {
	char	error[256];
	int64_t since;
};

/* Messages written per file since start, for /metrics. */
struct flush_total {
	uint64_t counts[ST_MAX_CATEGORIES];
	int64_t	 last_step;
};

struct flush {
	struct flush_settings s;
	char		     *state_path;
	pthread_t	      thread;
	pthread_mutex_t	      lock;
	pthread_cond_t	      wake; /* work queued or stopping */
	pthread_cond_t	      idle; /* queue drained */
	struct flush_item    *head, **tail;
	int		      busy;
	int		      stopping;

	/* The writer thread's own. */
	struct ckpt_state    state;
	uint64_t	     cycle;   /* the last begun */
	int		     aborted; /* a cycle was given up at a stop */
	struct ckpt_parked  *parked;
	size_t		     nparked;
	double		     last_sync;
	int		     state_failing;
	struct sources_scan *scan; /* NULL without an index */

	/* Under the lock. */
	uint64_t	   done_pos;
	int64_t		   done_step;
	struct flush_stats stats;
	struct strmap	  *totals;  /* name -> struct flush_total * */
	struct strmap	  *failing; /* name -> struct flush_failing * */
};

/* One file's work in a cycle. */
struct flush_work {
	const char	   *name;
	struct store_point *pts; /* sorted by step, owned by the work */
	size_t		    n;
	size_t		    nlate; /* pts[0..nlate) are late: patch them */
	struct store_file   info;
	int		    info_failed;
	char		    error[256];
};

/* Add written points to name's running totals; lock held. */
static void
flush_count(
    struct flush *f, const char *name, const struct store_point *pts, size_t n)
{
	struct flush_total *t = strmap_get(f->totals, name);
	size_t		    i;
	unsigned	    c;

	if (t == NULL) {
		if ((t = calloc(1, sizeof(*t))) == NULL)
			abort();
		strmap_put(f->totals, name, t);
	}
	for (i = 0; i < n; i++) {
		for (c = 0; c < f->s.ncategories; c++)
			t->counts[c] += pts[i].counts[c];
		if (pts[i].step > t->last_step)
			t->last_step = pts[i].step;
	}
}

/*
 * Points written to name: its running totals, and the index of sources
 * (fresh: the write made the file); lock not held.
 */
static void
flush_record(struct flush *f, const char *name, const struct store_point *pts,
    size_t n, int fresh)
{
	pthread_mutex_lock(&f->lock);
	flush_count(f, name, pts, n);
	pthread_mutex_unlock(&f->lock);
	if (f->s.sources != NULL && !source_is_total(name))
		sources_written(f->s.sources, name, pts, n, fresh);
}

/* Note that name failed (log the first failure); lock not held. */
static void
flush_fail(struct flush *f, const char *name, const char *error, int64_t step)
{
	struct flush_failing *x;

	pthread_mutex_lock(&f->lock);
	f->stats.errors++;
	if ((x = strmap_get(f->failing, name)) == NULL) {
		if ((x = calloc(1, sizeof(*x))) == NULL)
			abort();
		x->since = step;
		strmap_put(f->failing, name, x);
		log_error("cannot write %s: %s; its counts wait (retried every "
			  "step) while every other file is written",
		    name, error);
	}
	snprintf(x->error, sizeof(x->error), "%s", error);
	pthread_mutex_unlock(&f->lock);
}

/* Note that name was written (log a recovery); lock not held. */
static void
flush_ok(struct flush *f, const char *name)
{
	struct flush_failing *x;

	pthread_mutex_lock(&f->lock);
	if ((x = strmap_del(f->failing, name)) != NULL) {
		log_info("%s is written again; the counts that waited are in "
			 "it",
		    name);
		free(x);
	}
	pthread_mutex_unlock(&f->lock);
}

/* Add pts[0..n) of name to the parked list. */
static void
flush_park(struct flush *f, const char *name, const struct store_point *pts,
    size_t n, struct ckpt_parked **out, size_t *nout)
{
	size_t i;

	if (n == 0)
		return;
	*out = reallocarray(*out, *nout + n, sizeof(**out));
	if (*out == NULL)
		abort();
	for (i = 0; i < n; i++) {
		struct ckpt_parked *p = &(*out)[(*nout)++];

		memset(p, 0, sizeof(*p));
		snprintf(p->name, sizeof(p->name), "%s", name);
		p->pt = pts[i];
	}
}

/* qsort comparison of points by step. */
static int
flush_cmp_step(const void *x, const void *y)
{
	int64_t a = ((const struct store_point *)x)->step;
	int64_t b = ((const struct store_point *)y)->step;

	return a < b ? -1 : a > b;
}

/*
 * The works of one cycle: the batch's targets, with the parked points
 * merged in (same step: summed).  The batch's point arrays move into the
 * works.
 */
static struct flush_work *
flush_works(struct flush *f, struct agg_batch *b, size_t *nw)
{
	struct flush_work *w;
	struct strmap	  *idx = NULL;
	size_t		   n = b->n, i, k;
	unsigned	   c;

	if ((w = calloc(n + f->nparked + 1, sizeof(*w))) == NULL)
		abort();
	if (f->nparked > 0)
		idx = strmap_create();
	for (i = 0; i < b->n; i++) {
		w[i].name = b->targets[i].name;
		w[i].pts = b->targets[i].pts;
		w[i].n = b->targets[i].n;
		b->targets[i].pts = NULL;
		if (idx != NULL)
			strmap_put(idx, w[i].name, &w[i]);
	}
	for (i = 0; i < f->nparked; i++) {
		struct ckpt_parked *p = &f->parked[i];
		struct flush_work  *x =
		     idx != NULL ? strmap_get(idx, p->name) : NULL;

		if (x == NULL) {
			x = &w[n++];
			x->name = p->name;
			strmap_put(idx, x->name, x);
		}
		for (k = 0; k < x->n && x->pts[k].step != p->pt.step; k++)
			;
		if (k == x->n) {
			x->pts =
			    reallocarray(x->pts, x->n + 1, sizeof(*x->pts));
			if (x->pts == NULL)
				abort();
			x->pts[x->n++] = p->pt;
			qsort(x->pts, x->n, sizeof(*x->pts), flush_cmp_step);
			continue;
		}
		for (c = 0; c < f->s.ncategories; c++)
			x->pts[k].counts[c] += p->pt.counts[c];
		x->pts[k].cover += p->pt.cover;
	}
	if (idx != NULL)
		strmap_free(idx);
	*nw = n;
	return w;
}

/* Save the state file, logging a failure once. */
static int
flush_save(struct flush *f)
{
	char err[512];

	if (checkpoint_save(f->state_path, f->s.ncategories, &f->state, err,
		sizeof(err)) == -1) {
		if (!f->state_failing)
			log_error("%s; nothing is written until it can be "
				  "(the journal keeps every count)",
			    err);
		f->state_failing = 1;
		return -1;
	}
	if (f->state_failing)
		log_info("the state file is written again; writing goes on");
	f->state_failing = 0;
	return 0;
}

/* Sync the store and record every begun cycle as done. */
static void
flush_sync(struct flush *f)
{
	char err[512];

	if (store_sync(f->s.store, err, sizeof(err)) == -1) {
		log_error("%s", err);
		pthread_mutex_lock(&f->lock);
		f->stats.sync_failures++;
		pthread_mutex_unlock(&f->lock);
		return;
	}
	f->last_sync = clock_mono();
	checkpoint_done(&f->state);
	checkpoint_park(&f->state, f->parked, f->nparked, f->state.done);
	if (flush_save(f) == 0) {
		pthread_mutex_lock(&f->lock);
		f->done_pos = f->state.done_pos;
		f->done_step = f->state.done_step;
		pthread_mutex_unlock(&f->lock);
	}
}

/* Give up the parked points too old to be written (logged, counted). */
static void
flush_drop_old(struct flush *f, int64_t step)
{
	size_t	 i, keep = 0;
	uint64_t msgs;
	unsigned c;

	for (i = 0; i < f->nparked; i++) {
		struct ckpt_parked *p = &f->parked[i];

		if (p->pt.step > step - f->s.keep) {
			f->parked[keep++] = *p;
			continue;
		}
		for (msgs = 0, c = 0; c < f->s.ncategories; c++)
			msgs += p->pt.counts[c];
		log_error("giving up %llu messages of %s at step %lld: its "
			  "file could not be written for as long as late "
			  "counts are taken",
		    (unsigned long long)msgs, p->name, (long long)p->pt.step);
		pthread_mutex_lock(&f->lock);
		f->stats.dropped_points++;
		f->stats.dropped_messages += msgs;
		pthread_mutex_unlock(&f->lock);
	}
	f->nparked = keep;
}

/* Write one cycle; see the top of the file. */
static void
flush_cycle(struct flush *f, struct flush_item *it)
{
	struct flush_work  *w;
	struct ckpt_patch  *patches = NULL;
	struct ckpt_parked *parked = NULL;
	size_t		    nw, i, k, np = 0, nparked = 0;
	double		    t0 = clock_mono();
	uint64_t	    points = 0, late = 0, nfiles = 0, inexact = 0;
	unsigned	    delay = 1;

	/*
	 * After a cycle was given up at a stop, no later one may be recorded
	 * as done: done is a journal position, and the given-up cycle's
	 * records before it would be taken for written.
	 */
	if (f->aborted)
		return;
	w = flush_works(f, &it->batch, &nw);
	if (nw > 0 && (patches = calloc(nw, sizeof(*patches))) == NULL)
		abort();
	for (i = 0; i < nw; i++) {
		if (store_info(f->s.store, w[i].name, &w[i].info, w[i].error,
			sizeof(w[i].error)) == -1) {
			w[i].info_failed = 1;
			continue;
		}
		for (k = 0; w[i].info.exists && k < w[i].n &&
		     w[i].pts[k].step <= w[i].info.last;
		     k++)
			;
		w[i].nlate = k;
		if (k > 0) {
			snprintf(patches[np].name, sizeof(patches[np].name),
			    "%s", w[i].name);
			patches[np].gen = w[i].info.gen;
			patches[np].last = w[i].info.last;
			np++;
		}
	}

	/* Record the cycle before it changes any file. */
	f->cycle++;
	if (nw > 0) {
		checkpoint_park(&f->state, f->parked, f->nparked, f->cycle - 1);
		checkpoint_begin(
		    &f->state, f->cycle, it->pos, it->step, patches, np);
		while (flush_save(f) == -1) {
			struct timespec ts;
			int		stop;

			pthread_mutex_lock(&f->lock);
			stop = f->stopping;
			if (!stop) {
				clock_gettime(CLOCK_REALTIME, &ts);
				ts.tv_sec += delay;
				pthread_cond_timedwait(&f->wake, &f->lock, &ts);
			}
			pthread_mutex_unlock(&f->lock);
			if (stop) {
				/* Unwritten: the journal keeps it all. */
				checkpoint_unbegin(&f->state);
				f->cycle--;
				f->aborted = 1;
				goto done;
			}
			if (delay < 30)
				delay *= 2;
		}
	} else
		checkpoint_begin(
		    &f->state, f->cycle, it->pos, it->step, NULL, 0);

	for (i = 0; i < nw; i++) {
		struct flush_work *x = &w[i];
		int		   bad = 0, inex = 0;

		if (x->info_failed) {
			flush_fail(f, x->name, x->error, it->step);
			flush_park(f, x->name, x->pts, x->n, &parked, &nparked);
			continue;
		}
		if (x->nlate > 0) {
			if (store_patch(f->s.store, x->name, x->pts, x->nlate,
				&inex, x->error, sizeof(x->error)) == -1) {
				bad = 1;
				flush_fail(f, x->name, x->error, it->step);
				flush_park(f, x->name, x->pts, x->nlate,
				    &parked, &nparked);
			} else {
				late += x->nlate;
				nfiles++;
				inexact += (uint64_t)inex;
				flush_record(f, x->name, x->pts, x->nlate, 0);
			}
		}
		if (x->n > x->nlate) {
			if (store_update(f->s.store, x->name, x->pts + x->nlate,
				x->n - x->nlate, x->error,
				sizeof(x->error)) == -1) {
				bad = 1;
				flush_fail(f, x->name, x->error, it->step);
				flush_park(f, x->name, x->pts + x->nlate,
				    x->n - x->nlate, &parked, &nparked);
			} else {
				points += x->n - x->nlate;
				flush_record(f, x->name, x->pts + x->nlate,
				    x->n - x->nlate, !x->info.exists);
			}
		}
		if (!bad)
			flush_ok(f, x->name);
	}
	free(f->parked);
	f->parked = parked;
	f->nparked = nparked;
	parked = NULL;
	flush_drop_old(f, it->step);

	pthread_mutex_lock(&f->lock);
	f->stats.cycles++;
	f->stats.points += points;
	f->stats.late_points += late;
	f->stats.patches += nfiles;
	f->stats.inexact += inexact;
	f->stats.parked = f->nparked;
	f->stats.failing = strmap_count(f->failing);
	f->stats.last_seconds = clock_mono() - t0;
	f->stats.last_step = it->step;
	pthread_mutex_unlock(&f->lock);
	if (inexact > 0)
		log_warn("%llu late counts met rows an older version left "
			 "unknown; coarse rows there stay as they were",
		    (unsigned long long)inexact);

	if (f->stopping || clock_mono() - f->last_sync >= f->s.sync_every)
		flush_sync(f);
done:
	for (i = 0; i < nw; i++)
		free(w[i].pts);
	free(w);
	free(patches);
	free(parked);
}

/* Wait for work, at most secs seconds when secs > 0; lock held. */
static void
flush_wait(struct flush *f, double secs)
{
	struct timespec ts;

	if (secs <= 0 || secs > 86400) {
		pthread_cond_wait(&f->wake, &f->lock);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)secs;
	ts.tv_nsec += (long)((secs - (double)(time_t)secs) * 1e9);
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(&f->wake, &f->lock, &ts);
}

/* The writer thread: take cycles off the queue and write them. */
static void *
flush_main(void *arg)
{
	struct flush *f = arg;

	/*
	 * Writing RRD files is mostly kernel time; let the threads that
	 * answer reporters go first when the cores are busy.
	 */
	setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10);
	pthread_mutex_lock(&f->lock);
	for (;;) {
		struct flush_item *it;
		double		   wait = 0;

		while (f->head == NULL && !f->stopping) {
			f->busy = 0;
			pthread_cond_broadcast(&f->idle);
			/*
			 * Idle: read a few files into the index of sources,
			 * then look at the queue again before waiting.
			 */
			if (f->scan != NULL && wait == 0) {
				pthread_mutex_unlock(&f->lock);
				wait = sources_scan_run(f->scan, 0.1);
				pthread_mutex_lock(&f->lock);
				continue;
			}
			flush_wait(f, wait);
			wait = 0;
		}
		if (f->head == NULL)
			break;
		it = f->head;
		f->head = it->next;
		if (f->head == NULL)
			f->tail = &f->head;
		f->busy = 1;
		if (f->stats.queued > 0)
			f->stats.queued--;
		pthread_mutex_unlock(&f->lock);
		flush_cycle(f, it);
		aggregate_batch_free(&it->batch);
		free(it);
		pthread_mutex_lock(&f->lock);
	}
	pthread_mutex_unlock(&f->lock);
	/* What was written since the last sync is recorded before the end. */
	if (f->state.ncycles > 0 && !f->aborted)
		flush_sync(f);
	pthread_mutex_lock(&f->lock);
	f->busy = 0;
	pthread_cond_broadcast(&f->idle);
	pthread_mutex_unlock(&f->lock);
	return NULL;
}

/* Start the writer thread. */
struct flush *
flush_create(const struct flush_settings *fs, struct ckpt_state *s)
{
	struct flush *f;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		abort();
	f->s = *fs;
	if ((f->state_path = strdup(fs->state_path)) == NULL)
		abort();
	f->tail = &f->head;
	f->totals = strmap_create();
	f->failing = strmap_create();
	f->state = *s;
	checkpoint_init(s);
	/* Replay has turned the begun cycles into buckets again. */
	f->cycle = f->state.done;
	for (size_t i = 0; i < f->state.ncycles; i++)
		if (f->state.cycles[i].cycle > f->cycle)
			f->cycle = f->state.cycles[i].cycle;
	f->parked = f->state.parked;
	f->nparked = f->state.nparked;
	f->state.parked = NULL;
	f->state.nparked = 0;
	f->stats.parked = f->nparked;
	f->done_pos = f->state.done_pos;
	f->done_step = f->state.done_step;
	f->last_sync = clock_mono();
	if (fs->sources != NULL)
		f->scan = sources_scan_create(
		    fs->sources, fs->store, fs->ncategories, fs->rescan);
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->wake, NULL);
	pthread_cond_init(&f->idle, NULL);
	if (pthread_create(&f->thread, NULL, flush_main, f) != 0)
		abort();
	return f;
}

/* Sweep callback freeing a value. */
static int
flush_free_value(void *arg, const char *key, void *value)
{
	(void)arg;
	(void)key;
	free(value);
	return 1;
}

/* Drain, sync, record, stop and free. */
void
flush_free(struct flush *f)
{
	if (f == NULL)
		return;
	pthread_mutex_lock(&f->lock);
	f->stopping = 1;
	pthread_cond_signal(&f->wake);
	pthread_mutex_unlock(&f->lock);
	pthread_join(f->thread, NULL);
	strmap_sweep(f->totals, flush_free_value, NULL);
	strmap_free(f->totals);
	strmap_sweep(f->failing, flush_free_value, NULL);
	strmap_free(f->failing);
	checkpoint_clear(&f->state);
	sources_scan_free(f->scan);
	free(f->parked);
	free(f->state_path);
	pthread_mutex_destroy(&f->lock);
	pthread_cond_destroy(&f->wake);
	pthread_cond_destroy(&f->idle);
	free(f);
}

/* Queue one cycle. */
void
flush_push(struct flush *f, uint64_t pos, int64_t step, struct agg_batch *batch)
{
	struct flush_item *it;

	if ((it = calloc(1, sizeof(*it))) == NULL)
		abort();
	it->pos = pos;
	it->step = step;
	it->batch = *batch;
	memset(batch, 0, sizeof(*batch));
	pthread_mutex_lock(&f->lock);
	*f->tail = it;
	f->tail = &it->next;
	f->busy = 1;
	f->stats.queued++;
	pthread_cond_signal(&f->wake);
	pthread_mutex_unlock(&f->lock);
}

/* Wait until the queue is written. */
void
flush_drain(struct flush *f)
{
	pthread_mutex_lock(&f->lock);
	while (f->head != NULL || f->busy)
		pthread_cond_wait(&f->idle, &f->lock);
	pthread_mutex_unlock(&f->lock);
}

/* The done cycle's position and step. */
void
flush_done_through(struct flush *f, uint64_t *pos, int64_t *step)
{
	pthread_mutex_lock(&f->lock);
	*pos = f->done_pos;
	*step = f->done_step;
	pthread_mutex_unlock(&f->lock);
}

/* Copy the counters. */
void
flush_get_stats(struct flush *f, struct flush_stats *out)
{
	pthread_mutex_lock(&f->lock);
	*out = f->stats;
	pthread_mutex_unlock(&f->lock);
}

struct each_ctx {
	void (*fn)(void *, const char *, const uint64_t *, int64_t);
	void (*fail)(void *, const char *, const char *, int64_t);
	void *arg;
};

/* Sweep callback: report one file's totals and keep it. */
static int
flush_each_one(void *arg, const char *key, void *value)
{
	struct each_ctx		 *c = arg;
	const struct flush_total *t = value;

	c->fn(c->arg, key, t->counts, t->last_step);
	return 0;
}

/* Report every file's running totals. */
void
flush_each_source(struct flush *f,
    void (*fn)(void *, const char *, const uint64_t *, int64_t), void *arg)
{
	struct each_ctx c = {fn, NULL, arg};

	pthread_mutex_lock(&f->lock);
	strmap_sweep(f->totals, flush_each_one, &c);
	pthread_mutex_unlock(&f->lock);
}

/* Sweep callback: report one failing file and keep it. */
static int
flush_failing_one(void *arg, const char *key, void *value)
{
	struct each_ctx		   *c = arg;
	const struct flush_failing *x = value;

	c->fail(c->arg, key, x->error, x->since);
	return 0;
}

/* Report every failing file. */
void
flush_each_failing(struct flush *f,
    void (*fn)(void *, const char *, const char *, int64_t), void *arg)
{
	struct each_ctx c = {NULL, fn, arg};

	pthread_mutex_lock(&f->lock);
	strmap_sweep(f->failing, flush_failing_one, &c);
	pthread_mutex_unlock(&f->lock);
}
