/*
 * ingest.c -- the commit pipeline from admitted submissions to closed
 * steps.
 *
 * Owns the submission queue, the commit thread, the journal, the aggregate
 * (the commit thread's alone) and the close watermark.  It does not parse
 * (submission.c), decide admission (admit.c), rebuild state after a restart
 * (replay.c) nor write RRD files (flush.c, rrd/store.c).
 *
 * Why a submission is never lost nor counted twice: it is appended to the
 * journal and synced before it is counted or acknowledged; the writer
 * records each cycle before it changes a file, and replay adds back exactly
 * the shares the files lack.  Why a late count lands in its own step: the
 * watermark only decides when steps are handed to the writer, not what may
 * still be taken; a count for a step already written is patched into it.
 */
#include "ingest.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../lib/clock.h"
#include "../lib/log.h"
#include "../lib/step.h"
#include "../rrd/store.h"
#include "admit.h"
#include "aggregate.h"
#include "checkpoint.h"
#include "conf.h"
#include "flush.h"
#include "journal.h"
#include "peers.h"
#include "replay.h"
#include "sources.h"

#define INGEST_LATE_PACE      2.0 /* seconds between cycles of late shares */
#define INGEST_RESCAN	      300 /* seconds between readings of every file */
#define INGEST_SYNC	      30  /* seconds between store syncs */
#define INGEST_SYNC_RRDCACHED 300 /* the same through rrdcached */

struct pending {
	struct pending	  *next;
	struct submission *subs;
	size_t		   n;
	/* Per element: 1 a repeat, 2 a reused id, 3 refused with one. */
	unsigned char *dup;
	int64_t	       received;
	ingest_done_fn done;
	void	      *arg;
};

struct ingest {
	const struct conf     *conf;
	const struct st_clock *clock;
	unsigned	       step;
	struct journal	      *journal;
	struct admit	      *admit;
	struct aggregate      *agg;   /* commit thread only */
	struct peers	      *peers; /* commit thread only */
	struct flush	      *flush;
	struct sources	      *sources; /* the index the writer keeps */
	uint64_t	       pos; /* commit thread: after the last record */
	int64_t		       closed; /* commit thread: handed to the writer */
	int		       late;   /* commit thread: late shares wait */
	double	  late_sent;	       /* commit thread: when they last went */
	pthread_t thread;
	int	  running;

	pthread_mutex_t	    lock; /* guards everything below */
	pthread_cond_t	    wake;
	pthread_cond_t	    settled; /* a loop of the commit thread ended */
	uint64_t	    loops;
	int		    flush_late; /* a settle wants late shares now */
	struct pending	   *head, **tail;
	int		    stopping;
	int64_t		    watermark; /* steps <= this are closed */
	int		    degraded;
	struct ingest_stats stats;
};

/* The latest closed step label at time now. */
static int64_t
ingest_watermark_at(const struct ingest *in, int64_t now)
{
	int64_t t = now - (int64_t)in->conf->lateness * in->step;

	return step_end_of(t, in->step) - in->step;
}

/* Answer done with a refusal. */
static void
ingest_fail(ingest_done_fn done, void *arg, const struct st_error *e)
{
	struct ingest_result res;

	memset(&res, 0, sizeof(res));
	res.error = *e;
	done(arg, &res);
}

/* Answer done with what was accepted. */
static void
ingest_ok(ingest_done_fn done, void *arg, size_t accepted, size_t duplicates)
{
	struct ingest_result res;

	memset(&res, 0, sizeof(res));
	res.accepted = accepted;
	res.duplicates = duplicates;
	done(arg, &res);
}

/* Hand every step at or before through to the writer as one cycle. */
static void
ingest_close_through(struct ingest *in, int64_t through)
{
	struct agg_batch b;

	aggregate_close(in->agg, through, &b);
	if (through > in->closed)
		in->closed = through;
	pthread_mutex_lock(&in->lock);
	in->stats.cycles_queued++;
	in->stats.open_buckets = aggregate_open_buckets(in->agg);
	pthread_mutex_unlock(&in->lock);
	flush_push(in->flush, in->pos, in->closed, &b);
}

/* Peer hook: an id another collector journaled. */
static void
ingest_peer(void *arg, const struct journal_record *r)
{
	struct ingest *in = arg;

	admit_peer(in->admit, &r->sub, r->received);
}

/*
 * Before a submission reaches the journal here, look its id up among those
 * the other collectors of the data directory journaled (read just before,
 * in ingest_main): a source moves to another collector whenever the one it
 * was on dies, and back when that one returns, so a retry of what the one
 * before acknowledged is a repeat, not a new count, however often the
 * source moved.
 */
static void
ingest_check_peers(struct ingest *in, struct pending *batch)
{
	struct pending *p;
	size_t		i;
	int		r, reused;

	for (p = batch; p != NULL; p = p->next) {
		reused = 0;
		for (i = 0; i < p->n; i++) {
			if (p->dup[i] || p->subs[i].id[0] == '\0')
				continue;
			if ((r = admit_peer_repeat(in->admit, &p->subs[i])) !=
			    0) {
				admit_forget(in->admit, &p->subs[i]);
				p->dup[i] = r > 0 ? 1 : 2;
				reused |= r < 0;
			}
		}
		/*
		 * A request refused for a reused id is refused whole, as
		 * admission refuses it: nothing of it is journaled, so the
		 * client may correct it and send it again.
		 */
		for (i = 0; reused && i < p->n; i++)
			if (!p->dup[i]) {
				admit_forget(in->admit, &p->subs[i]);
				p->dup[i] = 3;
			}
	}
}

/* Commit one batch of pending requests: journal, sync, count, answer. */
static void
ingest_commit(struct ingest *in, struct pending *batch, int64_t now)
{
	struct journal_record *recs;
	struct pending	      *p, *next;
	struct st_error	       e;
	size_t		       nrec = 0, i, late = 0;
	uint64_t	       end = in->pos;
	char		       err[512];
	int		       errnum = 0, rc = 0;

	if (peers_count(in->peers) > 0)
		ingest_check_peers(in, batch);
	for (p = batch; p != NULL; p = p->next)
		for (i = 0; i < p->n; i++)
			nrec += !p->dup[i];
	if ((recs = calloc(nrec ? nrec : 1, sizeof(*recs))) == NULL)
		abort();
	nrec = 0;
	for (p = batch; p != NULL; p = p->next)
		for (i = 0; i < p->n; i++)
			if (!p->dup[i]) {
				recs[nrec].received = p->received;
				recs[nrec++].sub = p->subs[i];
			}
	if (nrec > 0) {
		rc = journal_append(in->journal, recs, nrec, now, &end, &errnum,
		    err, sizeof(err));
		if (rc == 0)
			rc = journal_sync(
			    in->journal, &errnum, err, sizeof(err));
	}
	free(recs);
	if (rc == 0)
		in->pos = end;

	pthread_mutex_lock(&in->lock);
	if (rc == -1) {
		if (!in->degraded)
			log_error("%s; refusing submissions until the journal "
				  "can be written again",
			    err);
		in->degraded = 1;
		in->stats.commit_failures++;
	} else if (nrec > 0) {
		if (in->degraded)
			log_info(
			    "journal writable again; accepting submissions");
		in->degraded = 0;
		in->stats.commits++;
		in->stats.accepted += nrec;
	}
	pthread_mutex_unlock(&in->lock);

	for (p = batch; p != NULL; p = next) {
		size_t accepted = 0, dups = 0, lost = 0, reused = 0;

		next = p->next;
		admit_settle(in->admit, p->subs, p->n, p->dup, rc == 0, now);
		for (i = 0; i < p->n; i++) {
			int64_t first, last;

			if (p->dup[i]) {
				dups++;
				reused += p->dup[i] == 2;
				lost += !admit_repeat_durable(
				    in->admit, &p->subs[i]);
				continue;
			}
			accepted++;
			if (rc != 0)
				continue;
			step_span(p->subs[i].time, p->subs[i].interval,
			    in->step, &first, &last);
			late += first <= in->closed;
			aggregate_add(in->agg, &p->subs[i], NULL, NULL);
		}
		if (reused > 0) {
			err_set(&e, ERR_INVALID, "id_reused",
			    p->n == 1 ? "id" : "", "%s",
			    "this id was already used (at another collector) "
			    "for a submission with other content");
			ingest_fail(p->done, p->arg, &e);
		} else if (rc == -1 || lost > 0) {
			int disk = errnum == ENOSPC || errnum == EDQUOT;

			err_set(&e, disk ? ERR_NO_SPACE : ERR_UNAVAILABLE,
			    disk ? "insufficient_storage"
				 : "journal_unavailable",
			    "", "%s",
			    rc == -1 ? "the submission could not be made "
				       "durable; nothing was counted; retry "
				       "later"
				     : "an earlier try with this id failed; "
				       "retry");
			pthread_mutex_lock(&in->lock);
			in->stats.refused_journal++;
			pthread_mutex_unlock(&in->lock);
			ingest_fail(p->done, p->arg, &e);
		} else {
			pthread_mutex_lock(&in->lock);
			in->stats.duplicates += dups;
			pthread_mutex_unlock(&in->lock);
			ingest_ok(p->done, p->arg, accepted, dups);
		}
		free(p->subs);
		free(p->dup);
		free(p);
	}
	pthread_mutex_lock(&in->lock);
	in->stats.late += late;
	pthread_mutex_unlock(&in->lock);
	if (late > 0)
		in->late = 1;
}

/* The commit thread: group commit, step closing, journal clean-up. */
static void *
ingest_main(void *arg)
{
	struct ingest *in = arg;
	int64_t	       last_gc = 0;

	for (;;) {
		struct pending *batch;
		struct timespec ts;
		int64_t		now, w, gc_step;
		uint64_t	gc_pos;
		int		stopping, force;

		pthread_mutex_lock(&in->lock);
		if (in->head == NULL && !in->stopping && !in->flush_late) {
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += 1;
			pthread_cond_timedwait(&in->wake, &in->lock, &ts);
		}
		batch = in->head;
		in->head = NULL;
		in->tail = &in->head;
		now = clock_now(in->clock);
		w = ingest_watermark_at(in, now);
		if (w > in->watermark)
			in->watermark = w;
		w = in->watermark;
		stopping = in->stopping;
		force = in->flush_late;
		in->flush_late = 0;
		pthread_mutex_unlock(&in->lock);

		peers_scan(in->peers, now, ingest_peer, in);
		if (batch != NULL)
			ingest_commit(in, batch, now);
		/*
		 * Steps are handed over when the watermark passes them; late
		 * shares of steps already handed over follow within a few
		 * seconds, paced so a stream of them costs few cycles.
		 */
		if (w > in->closed || (in->late && (stopping || force)) ||
		    (in->late &&
			clock_mono() - in->late_sent >= INGEST_LATE_PACE)) {
			ingest_close_through(in, w);
			in->late = 0;
			in->late_sent = clock_mono();
		}
		if (now - last_gc >= 10 || now < last_gc) {
			flush_done_through(in->flush, &gc_pos, &gc_step);
			journal_gc(in->journal, gc_pos, gc_step,
			    now - in->conf->idempotency_ttl);
			admit_expire(in->admit, now);
			last_gc = now;
		}
		pthread_mutex_lock(&in->lock);
		in->stats.late_waiting = in->late;
		in->stats.open_buckets = aggregate_open_buckets(in->agg);
		in->loops++;
		pthread_cond_broadcast(&in->settled);
		pthread_mutex_unlock(&in->lock);
		if (stopping && batch == NULL)
			break;
	}
	return NULL;
}

/* Take n submissions; see ingest.h. */
void
ingest_submit(struct ingest *in, struct submission *subs, size_t n,
    const char *header_key, int64_t now, ingest_done_fn done, void *arg)
{
	struct pending *p;
	struct st_error e;
	unsigned char  *dup;
	int		repeats_durable, stopping;

	pthread_mutex_lock(&in->lock);
	stopping = in->stopping;
	pthread_mutex_unlock(&in->lock);
	if (stopping) {
		err_set(&e, ERR_UNAVAILABLE, "shutting_down", "",
		    "the collector is stopping; retry");
		free(subs);
		ingest_fail(done, arg, &e);
		return;
	}
	if ((dup = calloc(n, 1)) == NULL)
		abort();
	if (admit_check(in->admit, subs, n, header_key, now, dup,
		&repeats_durable, &e) == -1) {
		free(subs);
		free(dup);
		ingest_fail(done, arg, &e);
		return;
	}
	if (repeats_durable) {
		pthread_mutex_lock(&in->lock);
		in->stats.duplicates += n;
		pthread_mutex_unlock(&in->lock);
		free(subs);
		free(dup);
		ingest_ok(done, arg, 0, n);
		return;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL)
		abort();
	p->subs = subs;
	p->n = n;
	p->dup = dup;
	p->received = now;
	p->done = done;
	p->arg = arg;
	pthread_mutex_lock(&in->lock);
	*in->tail = p;
	in->tail = &p->next;
	pthread_cond_signal(&in->wake);
	pthread_mutex_unlock(&in->lock);
}

/* Replay hook: a record's id and source. */
static void
ingest_replayed(void *arg, const struct journal_record *r)
{
	struct ingest *in = arg;

	admit_replayed(in->admit, &r->sub, r->received);
}

/* Open the journal, replay, start the threads. */
struct ingest *
ingest_create(const struct conf *c, struct store *st,
    const struct st_clock *clock, int recover, volatile const int *stop,
    char *err, size_t errlen)
{
	struct journal_settings js;
	struct admit_settings	as;
	struct flush_settings	fs;
	struct store_archive	ar[STORE_ARCHIVES];
	struct ckpt_state	state;
	struct ingest	       *in;
	char			dir[4200], state_path[4200];
	char			jname[64], sname[64], tname[64];
	char		      **names;
	size_t			nnames, i;
	int64_t			w;

	checkpoint_init(&state);
	if ((in = calloc(1, sizeof(*in))) == NULL)
		abort();
	in->conf = c;
	in->clock = clock;
	in->step = c->step;
	in->tail = &in->head;
	in->watermark = INT64_MIN;
	in->closed = INT64_MIN;
	pthread_mutex_init(&in->lock, NULL);
	pthread_cond_init(&in->wake, NULL);
	pthread_cond_init(&in->settled, NULL);
	/* Alone: journal, state, _total; one of several: each with its id. */
	if (c->collector_id[0] != '\0') {
		snprintf(jname, sizeof(jname), "journal.%s", c->collector_id);
		snprintf(sname, sizeof(sname), "state.%s", c->collector_id);
		snprintf(tname, sizeof(tname), "%s.%s", ST_TOTAL_SOURCE,
		    c->collector_id);
	} else {
		snprintf(jname, sizeof(jname), "journal");
		snprintf(sname, sizeof(sname), "state");
		snprintf(tname, sizeof(tname), "%s", ST_TOTAL_SOURCE);
	}
	in->agg = aggregate_create(c->ncategories, c->step, tname);
	in->peers = peers_create(c->data_dir, jname, c->ncategories);

	store_layout(c->step, ar);
	memset(&as, 0, sizeof(as));
	as.step = c->step;
	/* Late counts are patched into the finest archive: stay inside it. */
	as.max_late = ar[0].retention - (int64_t)(c->lateness + 3) * c->step;
	if (c->max_late > 0 && (int64_t)c->max_late <= as.max_late)
		as.max_late = c->max_late;
	else if (c->max_late > 0)
		log_warn("max_late %u is more than the finest archive holds; "
			 "using %lld",
		    c->max_late, (long long)as.max_late);
	as.idempotency_ttl = c->idempotency_ttl;
	as.max_sources = c->max_sources;
	as.new_sources_per_minute = c->new_sources_per_minute;
	as.min_free_disk = c->min_free_disk;
	as.data_dir = c->data_dir;
	in->admit = admit_create(&as);

	snprintf(dir, sizeof(dir), "%s/%s", c->data_dir, jname);
	memset(&js, 0, sizeof(js));
	js.dir = dir;
	js.categories = (const char(*)[ST_CATEGORY_MAX + 1]) c->categories;
	js.ncategories = c->ncategories;
	js.step = c->step;
	js.segment_bytes = c->journal_segment;
	js.segment_age = 300;
	if ((in->journal = journal_open(&js, err, errlen)) == NULL)
		goto fail;
	snprintf(state_path, sizeof(state_path), "%s/%s", c->data_dir, sname);
	if (checkpoint_load(state_path, c->ncategories, &state, err, errlen) ==
	    -1)
		goto fail;
	/* Every source is known, and named in the index, before serving. */
	in->sources = sources_create(c->ncategories, c->step);
	if (store_list_sources(st, &names, &nnames) == 0) {
		for (i = 0; i < nnames; i++) {
			admit_know(in->admit, names[i]);
			sources_add(in->sources, names[i]);
		}
		store_names_free(names, nnames);
		sources_set_state(in->sources, SOURCES_NAMED);
	}
	if (replay_run(in->journal, st, &state, in->agg, ingest_replayed, in,
		recover, stop, err, errlen) == -1)
		goto fail;
	journal_continue_after(in->journal, state.done_pos);
	for (i = 0; i < state.ncycles; i++)
		journal_continue_after(in->journal, state.cycles[i].pos);
	in->pos = journal_end(in->journal);
	{
		struct journal_stats jst;

		journal_get_stats(in->journal, &jst);
		if (jst.replayed > 0)
			log_info("replayed %" PRIu64 " journal records",
			    jst.replayed);
	}
	memset(&fs, 0, sizeof(fs));
	fs.store = st;
	fs.state_path = state_path;
	fs.ncategories = c->ncategories;
	fs.step = c->step;
	/*
	 * A sync writes every file touched since the last one out of
	 * rrdcached: every 30 s would undo its batching with many sources.
	 */
	fs.sync_every = c->rrdcached != NULL && c->rrdcached[0] != '\0'
	    ? INGEST_SYNC_RRDCACHED
	    : INGEST_SYNC;
	fs.keep = as.max_late + (int64_t)(c->lateness + 1) * c->step;
	/* Others sharing the directory write files too: read them again. */
	fs.sources = in->sources;
	fs.rescan = c->collector_id[0] != '\0' ? INGEST_RESCAN : 0;
	w = state.done_step;
	in->flush = flush_create(&fs, &state);

	/* Write what is due (replayed late counts included) before serving. */
	if (ingest_watermark_at(in, clock_now(clock)) > w)
		w = ingest_watermark_at(in, clock_now(clock));
	in->watermark = w;
	ingest_close_through(in, w);
	flush_drain(in->flush);
	if (stop != NULL && *stop) {
		snprintf(err, errlen, "stopped during start-up");
		goto fail;
	}
	if (pthread_create(&in->thread, NULL, ingest_main, in) != 0)
		abort();
	in->running = 1;
	return in;
fail:
	checkpoint_clear(&state);
	ingest_free(in);
	return NULL;
}

/* Stop, write the steps that are due, free. */
void
ingest_free(struct ingest *in)
{
	if (in == NULL)
		return;
	if (in->running) {
		pthread_mutex_lock(&in->lock);
		in->stopping = 1;
		pthread_cond_signal(&in->wake);
		pthread_mutex_unlock(&in->lock);
		pthread_join(in->thread, NULL);
	}
	/* Open steps are not written: the journal keeps them. */
	flush_free(in->flush);
	sources_free(in->sources);
	journal_close(in->journal);
	aggregate_free(in->agg);
	peers_free(in->peers);
	admit_free(in->admit);
	pthread_mutex_destroy(&in->lock);
	pthread_cond_destroy(&in->wake);
	pthread_cond_destroy(&in->settled);
	free(in);
}

/* 1 while journal writes fail. */
int
ingest_degraded(struct ingest *in)
{
	int d;

	pthread_mutex_lock(&in->lock);
	d = in->degraded;
	pthread_mutex_unlock(&in->lock);
	return d;
}

/* Wait until what was submitted is committed and what is due is written. */
void
ingest_settle(struct ingest *in)
{
	uint64_t seen;

	pthread_mutex_lock(&in->lock);
	/* Two whole loops: one may have begun before the caller's change. */
	seen = in->loops;
	in->flush_late = 1;
	pthread_cond_signal(&in->wake);
	while (in->loops < seen + 2 && !in->stopping) {
		in->flush_late = 1;
		pthread_cond_signal(&in->wake);
		pthread_cond_wait(&in->settled, &in->lock);
	}
	pthread_mutex_unlock(&in->lock);
	flush_drain(in->flush);
}

/* Copy the counters. */
void
ingest_get_stats(struct ingest *in, struct ingest_stats *out)
{
	struct flush_stats fs;
	struct admit_stats as;

	pthread_mutex_lock(&in->lock);
	*out = in->stats;
	out->watermark = in->watermark;
	pthread_mutex_unlock(&in->lock);
	admit_get_stats(in->admit, &as);
	out->sources = as.sources;
	out->idempotency_keys = as.idempotency_keys;
	out->refused_too_old = as.refused_too_old;
	out->refused_id_reused = as.refused_id_reused;
	out->refused_sources = as.refused_sources;
	out->refused_disk = as.refused_disk;
	flush_get_stats(in->flush, &fs);
	out->flush_cycles = fs.cycles;
	out->flush_points = fs.points;
	out->flush_late_points = fs.late_points;
	out->flush_patches = fs.patches;
	out->flush_inexact = fs.inexact;
	out->flush_errors = fs.errors;
	out->flush_dropped_points = fs.dropped_points;
	out->flush_dropped_messages = fs.dropped_messages;
	out->flush_parked = fs.parked;
	out->flush_failing = fs.failing;
	out->flush_last_seconds = fs.last_seconds;
	out->flush_last_step = fs.last_step;
	out->flush_sync_failures = fs.sync_failures;
}

/* Report per-source running totals. */
void
ingest_each_source(struct ingest *in,
    void (*fn)(void *, const char *, const uint64_t *, int64_t), void *arg)
{
	flush_each_source(in->flush, fn, arg);
}

/* Report the files that cannot be written. */
void
ingest_each_failing(struct ingest *in,
    void (*fn)(void *, const char *, const char *, int64_t), void *arg)
{
	flush_each_failing(in->flush, fn, arg);
}

/* The index of sources the writer keeps. */
struct sources *
ingest_sources(struct ingest *in)
{
	return in->sources;
}
