/*
 * flush.c -- the writer thread between closed steps and rrd/store.
 *
 * Owns the queue of closed steps; a step whose writing fails is retried,
 * with growing pauses, before any later step, so files never skip a step.
 * It takes the flush lock only to move queue entries; every file update
 * takes the store lock on its own, so renders interleave with a long flush.
 */
#include "flush.h"

#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../rrd/store.h"
#include "../lib/log.h"
#include "../lib/strmap.h"

struct flush_item {
	struct flush_item *next;
	struct flush_step *steps;
	size_t		   n;
};

struct flush {
	struct store	  *store;
	unsigned	   ncategories;
	unsigned	   sync_every;
	pthread_t	   thread;
	pthread_mutex_t	   lock;
	pthread_cond_t	   wake; /* work queued or stopping */
	pthread_cond_t	   idle; /* queue drained */
	struct flush_item *head, **tail;
	int		   busy;
	int		   stopping;
	int64_t		   written_through; /* writer thread only */
	int64_t		   synced_through;  /* under lock */
	int		   failing;	    /* writer thread only */
	struct flush_stats stats;	    /* under lock */
	struct strmap *totals; /* source -> struct flush_total; under lock */
};

/* Messages written per source since start, for /metrics. */
struct flush_total {
	uint64_t counts[ST_MAX_CATEGORIES];
	int64_t	 last_step;
};

/* Seconds on the monotonic clock. */
static double
flush_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Add a written update to source's running totals; lock held. */
static void
flush_count(
    struct flush *f, const char *source, int64_t st, const uint64_t *counts)
{
	struct flush_total *t = strmap_get(f->totals, source);
	unsigned	    c;

	if (t == NULL) {
		if ((t = calloc(1, sizeof(*t))) == NULL)
			abort();
		strmap_put(f->totals, source, t);
	}
	for (c = 0; c < f->ncategories; c++)
		t->counts[c] += counts[c];
	if (st > t->last_step)
		t->last_step = st;
}

/*
 * Write one file update, retrying a few times, and count it for /metrics
 * when it was written (not skipped as already there).  0 when written or
 * skipped, -1 on failure.
 */
static int
flush_write(
    struct flush *f, const char *source, int64_t st, const uint64_t *counts)
{
	char err[512];
	int  attempt, rc;

	for (attempt = 0; attempt < 3; attempt++) {
		rc =
		    store_write(f->store, source, st, counts, err, sizeof(err));
		if (rc == 0) {
			pthread_mutex_lock(&f->lock);
			flush_count(f, source, st, counts);
			pthread_mutex_unlock(&f->lock);
		}
		if (rc >= 0)
			return 0;
		if (attempt == 0 && !f->failing)
			log_error("writing %s at %lld: %s", source,
			    (long long)st, err);
	}
	return -1;
}

/* Write one closed step: every source, then _total. */
static int
flush_step_write(
    struct flush *f, const struct flush_step *fs, uint64_t *updates)
{
	size_t i;
	int    failed = 0;

	for (i = 0; i < fs->n; i++) {
		if (flush_write(f, fs->entries[i].source, fs->step,
			fs->entries[i].counts) == -1)
			failed = 1;
		(*updates)++;
	}
	if (flush_write(f, ST_TOTAL_SOURCE, fs->step, fs->total) == -1)
		failed = 1;
	(*updates)++;
	return failed ? -1 : 0;
}

/*
 * Write one closed step, retrying with growing pauses while it fails (a full
 * disk, an I/O error), so that steps are written in order and none is
 * skipped; updates already written are skipped on the retry.  Returns 0 once
 * written, -1 when asked to stop first (the journal keeps the step).
 */
static int
flush_step_until_written(struct flush *f, const struct flush_step *fs)
{
	unsigned delay = 1;
	int	 counted = 0;

	for (;;) {
		double		t0 = flush_clock();
		uint64_t	updates = 0;
		int		rc = flush_step_write(f, fs, &updates);
		struct timespec ts;

		pthread_mutex_lock(&f->lock);
		f->stats.updates += updates;
		f->stats.last_seconds = flush_clock() - t0;
		f->stats.last_step = fs->step;
		if (!counted && f->stats.queued > 0)
			f->stats.queued--;
		counted = 1;
		if (rc == 0) {
			f->stats.steps++;
			pthread_mutex_unlock(&f->lock);
			if (f->failing)
				log_info("step %lld written after all; writing "
					 "goes on",
				    (long long)fs->step);
			f->failing = 0;
			f->written_through = fs->step;
			return 0;
		}
		f->stats.errors++;
		if (!f->failing)
			log_error(
			    "step %lld could not be written in full; retrying "
			    "(the journal keeps its submissions)",
			    (long long)fs->step);
		f->failing = 1;
		if (f->stopping) {
			pthread_mutex_unlock(&f->lock);
			return -1;
		}
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += delay;
		pthread_cond_timedwait(&f->wake, &f->lock, &ts);
		pthread_mutex_unlock(&f->lock);
		if (delay < 30)
			delay *= 2;
	}
}

/* The writer thread: drain the queue, write, sync now and then. */
static void *
flush_main(void *arg)
{
	struct flush *f = arg;
	double	      last_sync = flush_clock();
	char	      err[512];

	/*
	 * Writing RRD files is mostly kernel time; let the threads that
	 * answer reporters go first when the cores are busy.
	 */
	setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10);
	pthread_mutex_lock(&f->lock);
	for (;;) {
		struct flush_item *it;
		size_t		   i;
		int		   need_sync, gave_up = 0;

		while (f->head == NULL && !f->stopping) {
			f->busy = 0;
			pthread_cond_broadcast(&f->idle);
			pthread_cond_wait(&f->wake, &f->lock);
		}
		if (f->head == NULL && f->stopping)
			break;
		it = f->head;
		f->head = it->next;
		if (f->head == NULL)
			f->tail = &f->head;
		f->busy = 1;
		pthread_mutex_unlock(&f->lock);

		for (i = 0; i < it->n && !gave_up; i++)
			gave_up =
			    flush_step_until_written(f, &it->steps[i]) == -1;
		aggregate_free_steps(it->steps, it->n);
		free(it);
		if (gave_up) {
			/* Stopping while a write fails: the journal keeps the rest. */
			pthread_mutex_lock(&f->lock);
			while ((it = f->head) != NULL) {
				f->head = it->next;
				aggregate_free_steps(it->steps, it->n);
				free(it);
			}
			f->tail = &f->head;
			break;
		}

		pthread_mutex_lock(&f->lock);
		need_sync = f->head == NULL &&
		    (f->stopping || flush_clock() - last_sync >= f->sync_every);
		pthread_mutex_unlock(&f->lock);
		if (need_sync) {
			if (store_sync(f->store, err, sizeof(err)) == -1)
				log_error("%s", err);
			else {
				pthread_mutex_lock(&f->lock);
				f->synced_through = f->written_through;
				pthread_mutex_unlock(&f->lock);
			}
			last_sync = flush_clock();
		}
		pthread_mutex_lock(&f->lock);
	}
	pthread_mutex_unlock(&f->lock);
	/* What was written since the last sync is synced before the thread ends. */
	if (f->written_through != flush_synced_through(f) &&
	    store_sync(f->store, err, sizeof(err)) == 0) {
		pthread_mutex_lock(&f->lock);
		f->synced_through = f->written_through;
		pthread_mutex_unlock(&f->lock);
	} else if (f->written_through != flush_synced_through(f))
		log_error("%s", err);
	pthread_mutex_lock(&f->lock);
	f->busy = 0;
	pthread_cond_broadcast(&f->idle);
	pthread_mutex_unlock(&f->lock);
	return NULL;
}

/* Start the writer thread. */
struct flush *
flush_create(struct store *st, unsigned ncategories, unsigned sync_every)
{
	struct flush *f;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		abort();
	f->store = st;
	f->ncategories = ncategories;
	f->sync_every = sync_every;
	f->tail = &f->head;
	f->totals = strmap_create();
	f->written_through = INT64_MIN;
	f->synced_through = INT64_MIN;
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->wake, NULL);
	pthread_cond_init(&f->idle, NULL);
	if (pthread_create(&f->thread, NULL, flush_main, f) != 0)
		abort();
	return f;
}

/* Sweep callback freeing one source's totals. */
static int
flush_free_total(void *arg, const char *key, void *value)
{
	free(value);
	return 1;
}

/* Drain, stop and free. */
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
	strmap_sweep(f->totals, flush_free_total, NULL);
	strmap_free(f->totals);
	pthread_mutex_destroy(&f->lock);
	pthread_cond_destroy(&f->wake);
	pthread_cond_destroy(&f->idle);
	free(f);
}

/* Queue closed steps. */
void
flush_push(struct flush *f, struct flush_step *steps, size_t n)
{
	struct flush_item *it;

	if (n == 0) {
		free(steps);
		return;
	}
	if ((it = calloc(1, sizeof(*it))) == NULL)
		abort();
	it->steps = steps;
	it->n = n;
	pthread_mutex_lock(&f->lock);
	*f->tail = it;
	f->tail = &it->next;
	f->busy = 1;
	f->stats.queued += n;
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

/* How far the files are written and synced. */
int64_t
flush_synced_through(struct flush *f)
{
	int64_t v;

	pthread_mutex_lock(&f->lock);
	v = f->synced_through;
	pthread_mutex_unlock(&f->lock);
	return v;
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
	void *arg;
};

/* Sweep callback: report one source and keep it. */
static int
flush_each_one(void *arg, const char *key, void *value)
{
	struct each_ctx		 *c = arg;
	const struct flush_total *t = value;

	c->fn(c->arg, key, t->counts, t->last_step);
	return 0;
}

/* Report every source's running totals. */
void
flush_each_source(struct flush *f,
    void (*fn)(void *, const char *, const uint64_t *, int64_t), void *arg)
{
	struct each_ctx c = {fn, arg};

	pthread_mutex_lock(&f->lock);
	strmap_sweep(f->totals, flush_each_one, &c);
	pthread_mutex_unlock(&f->lock);
}
