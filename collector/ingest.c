/*
 * ingest.c -- the commit pipeline from validated submissions to closed steps.
 *
 * Owns the submission queue, the commit thread, the idempotency table, the
 * open-window watermark, the set of known sources and the journal.  The
 * aggregate belongs to the commit thread alone.  It does not parse (see
 * submission.c) nor write RRD files (see flush.c and rrd/store.c).
 *
 * Why a submission is never lost nor counted twice: it is appended to the
 * journal and synced before it is counted or acknowledged; a step is closed
 * (no longer accepted) before it is written; and replay after a crash feeds
 * the journal through the same path, with store_write skipping every step a
 * file already holds.
 */
#include "ingest.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "../rrd/store.h"
#include "aggregate.h"
#include "conf.h"
#include "flush.h"
#include "idem.h"
#include "journal.h"
#include "../lib/log.h"
#include "../lib/step.h"
#include "../lib/strmap.h"

#define KEY_LEN (ST_SOURCE_MAX + ST_KEY_MAX + 2)

struct pending {
	struct pending	  *next;
	struct submission *subs;
	size_t		   n;
	unsigned char	  *dup; /* 1: an idempotent repeat */
	int64_t		   received;
	ingest_done_fn	   done;
	void		  *arg;
};

struct ingest {
	const struct conf *conf;
	unsigned	   step;
	unsigned	   ncategories;
	char		   state_path[4200];
	struct journal	  *journal;
	struct aggregate  *agg; /* commit thread only */
	struct flush	  *flush;
	pthread_t	   thread;
	int		   running;

	pthread_mutex_t	    lock; /* guards everything below */
	pthread_cond_t	    wake;
	struct pending	   *head, **tail;
	int		    stopping;
	int64_t		    watermark; /* steps <= this are closed */
	int		    degraded;
	struct idem	   *idem;
	struct strmap	   *known; /* source -> (void *)1 */
	int64_t		    new_minute;
	unsigned	    new_count;
	struct ingest_stats stats;
};

/* The latest closed step label at wall time now. */
static int64_t
ingest_watermark_at(const struct ingest *in, int64_t now)
{
	int64_t t = now - (int64_t)in->conf->lateness * in->step;

	return step_end_of(t, in->step) - in->step;
}

/* Format unix time t as ISO 8601 UTC. */
static void
ingest_iso(int64_t t, char *buf, size_t len)
{
	time_t	  tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Answer done with a refusal. */
static void
ingest_fail(ingest_done_fn done, void *arg, enum err_kind kind,
    const char *code, const char *field, const char *detail)
{
	struct ingest_result res;

	memset(&res, 0, sizeof(res));
	err_set(&res.error, kind, code, field, "%s", detail);
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

/* The JSON path prefix of element i ("" for a single submission). */
static void
ingest_field(char *buf, size_t len, size_t n, size_t i, const char *name)
{
	if (n == 1)
		snprintf(buf, len, "%s", name);
	else
		snprintf(buf, len, "[%zu].%s", i, name);
}

/* Read the watermark kept across a clean stop; 0 when there is none. */
static int64_t
ingest_read_state(const struct ingest *in)
{
	long long w = 0;
	FILE	 *fp;

	if ((fp = fopen(in->state_path, "r")) == NULL)
		return 0;
	if (fscanf(fp, "watermark %lld", &w) != 1)
		w = 0;
	fclose(fp);
	return w;
}

/* Record that steps up to w are (about to be) written, durably. */
static void
ingest_write_state(const struct ingest *in, int64_t w)
{
	char  tmp[4300];
	FILE *fp;

	snprintf(tmp, sizeof(tmp), "%s.tmp", in->state_path);
	if ((fp = fopen(tmp, "w")) == NULL) {
		log_error("%s: %s", tmp, strerror(errno));
		return;
	}
	fprintf(fp, "watermark %lld\n", (long long)w);
	if (fflush(fp) != 0 || fsync(fileno(fp)) != 0) {
		log_error("%s: %s", tmp, strerror(errno));
		fclose(fp);
		return;
	}
	fclose(fp);
	if (rename(tmp, in->state_path) == -1)
		log_error("%s: %s", in->state_path, strerror(errno));
}

/* Close every step at or before through and hand them to the writer. */
static void
ingest_close_through(struct ingest *in, int64_t through)
{
	struct flush_step *steps;
	size_t		   n = aggregate_close(in->agg, through, &steps);

	flush_push(in->flush, steps, n);
}

/* Replay callback: feed one journaled record through the live path. */
static int
ingest_replay_record(void *arg, const struct journal_record *r)
{
	struct ingest *in = arg;
	int64_t	       w = ingest_watermark_at(in, r->received), first, last;
	char	       key[KEY_LEN];

	/*
	 * Live, this record was checked against a watermark that may have
	 * been a moment older than its receipt time: never close its own
	 * steps before it is added.
	 */
	step_span(r->sub.time, r->sub.interval, in->step, &first, &last);
	if (w > first - (int64_t)in->step)
		w = first - (int64_t)in->step;
	if (w > in->watermark) {
		in->watermark = w;
		ingest_close_through(in, w);
	}
	if (r->sub.id[0] != '\0') {
		idem_key(key, sizeof(key), r->sub.source, r->sub.id);
		idem_commit(in->idem, key, r->sub.hash,
		    r->received + in->conf->idempotency_ttl);
	}
	strmap_put(in->known, r->sub.source, (void *)1);
	aggregate_add(in->agg, &r->sub);
	return 0;
}

/* Commit one batch of pending requests: journal, sync, count, answer. */
static void
ingest_commit(struct ingest *in, struct pending *batch, int64_t now)
{
	struct journal_record *recs;
	struct pending	      *p, *next;
	size_t		       nrec = 0, i;
	char		       err[512], key[KEY_LEN];
	int		       errnum = 0, rc = 0;

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
		rc = journal_append(
		    in->journal, recs, nrec, now, &errnum, err, sizeof(err));
		if (rc == 0)
			rc = journal_sync(
			    in->journal, &errnum, err, sizeof(err));
	}
	free(recs);

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
	for (p = batch; p != NULL; p = p->next)
		for (i = 0; i < p->n; i++) {
			if (p->dup[i] || p->subs[i].id[0] == '\0')
				continue;
			idem_key(
			    key, sizeof(key), p->subs[i].source, p->subs[i].id);
			if (rc == -1)
				idem_abort(in->idem, key);
			else
				idem_commit(in->idem, key, p->subs[i].hash,
				    now + in->conf->idempotency_ttl);
		}
	pthread_mutex_unlock(&in->lock);

	for (p = batch; p != NULL; p = next) {
		size_t accepted = 0, dups = 0, lost = 0;

		next = p->next;
		for (i = 0; i < p->n; i++) {
			if (!p->dup[i]) {
				accepted++;
				if (rc == 0)
					aggregate_add(in->agg, &p->subs[i]);
				continue;
			}
			dups++;
			idem_key(
			    key, sizeof(key), p->subs[i].source, p->subs[i].id);
			pthread_mutex_lock(&in->lock);
			{
				const struct idem_entry *e =
				    idem_find(in->idem, key);

				if (e == NULL || e->state != IDEM_DURABLE)
					lost++;
			}
			pthread_mutex_unlock(&in->lock);
		}
		if (rc == -1 || lost > 0) {
			int disk = errnum == ENOSPC || errnum == EDQUOT;

			ingest_fail(p->done, p->arg,
			    disk ? ERR_NO_SPACE : ERR_UNAVAILABLE,
			    disk ? "insufficient_storage"
				 : "journal_unavailable",
			    "",
			    rc == -1
				? "the submission could not be made "
				  "durable; nothing was counted; retry later"
				: "an earlier try with this id failed; retry");
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
		int64_t		now, w;
		int		stopping;

		pthread_mutex_lock(&in->lock);
		if (in->head == NULL && !in->stopping) {
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += 1;
			pthread_cond_timedwait(&in->wake, &in->lock, &ts);
		}
		batch = in->head;
		in->head = NULL;
		in->tail = &in->head;
		now = time(NULL);
		w = ingest_watermark_at(in, now);
		if (w > in->watermark)
			in->watermark = w;
		w = in->watermark;
		stopping = in->stopping;
		pthread_mutex_unlock(&in->lock);

		if (batch != NULL)
			ingest_commit(in, batch, now);
		ingest_close_through(in, w);
		if (now - last_gc >= 10 || now < last_gc) {
			journal_gc(in->journal, flush_synced_through(in->flush),
			    now - in->conf->idempotency_ttl);
			pthread_mutex_lock(&in->lock);
			idem_expire(in->idem, now);
			pthread_mutex_unlock(&in->lock);
			last_gc = now;
		}
		if (stopping && batch == NULL)
			break;
	}
	return NULL;
}

/* Note a new source against the cardinality limits; -1 with e filled. */
static int
ingest_check_new_sources(struct ingest *in, const struct submission *subs,
    size_t n, int64_t now, char *field, size_t fieldlen, char *detail,
    size_t detaillen, enum err_kind *kind, const char **code)
{
	size_t	       i, fresh = 0;
	struct statvfs sv;

	for (i = 0; i < n; i++)
		if (strmap_get(in->known, subs[i].source) == NULL)
			fresh++;
	if (fresh == 0)
		return 0;
	if (now / 60 != in->new_minute) {
		in->new_minute = now / 60;
		in->new_count = 0;
	}
	if (strmap_count(in->known) + fresh > in->conf->max_sources) {
		*kind = ERR_LIMITED;
		*code = "too_many_sources";
		snprintf(detail, detaillen,
		    "the collector already has %zu "
		    "sources (max_sources)",
		    strmap_count(in->known));
		goto fail;
	}
	if (in->new_count + fresh > in->conf->new_sources_per_minute) {
		*kind = ERR_LIMITED;
		*code = "too_many_new_sources";
		snprintf(detail, detaillen,
		    "too many new sources this minute "
		    "(new_sources_per_minute); retry in a minute");
		goto fail;
	}
	if (in->conf->min_free_disk > 0 &&
	    statvfs(in->conf->data_dir, &sv) == 0 &&
	    (unsigned long long)sv.f_bavail * sv.f_frsize <
		in->conf->min_free_disk) {
		*kind = ERR_NO_SPACE;
		*code = "insufficient_storage";
		snprintf(detail, detaillen,
		    "the data directory is short of free "
		    "space (min_free_disk); new sources are refused");
		goto fail;
	}
	for (i = 0; i < n; i++)
		if (strmap_get(in->known, subs[i].source) == NULL) {
			strmap_put(in->known, subs[i].source, (void *)1);
			in->new_count++;
		}
	return 0;
fail:
	for (i = 0; i < n; i++)
		if (strmap_get(in->known, subs[i].source) == NULL) {
			ingest_field(field, fieldlen, n, i, "source");
			break;
		}
	return -1;
}

/* Take n submissions; see ingest.h. */
void
ingest_submit(struct ingest *in, struct submission *subs, size_t n,
    const char *header_key, int64_t now, ingest_done_fn done, void *arg)
{
	struct pending *p;
	unsigned char  *dup;
	char		key[KEY_LEN], field[64], detail[320], iso[32];
	const char     *code = NULL;
	size_t		i, added = 0, ndup = 0, npending_dup = 0;
	enum err_kind	kind = ERR_NONE;

	if ((dup = calloc(n, 1)) == NULL)
		abort();
	for (i = 0; i < n; i++)
		if (subs[i].id[0] == '\0' && header_key != NULL) {
			if (n == 1)
				snprintf(subs[i].id, sizeof(subs[i].id), "%s",
				    header_key);
			else
				snprintf(subs[i].id, sizeof(subs[i].id),
				    "%s#%zu", header_key, i);
		}

	pthread_mutex_lock(&in->lock);
	if (in->stopping) {
		kind = ERR_UNAVAILABLE;
		code = "shutting_down";
		snprintf(field, sizeof(field), "%s", "");
		snprintf(
		    detail, sizeof(detail), "the collector is stopping; retry");
		goto fail;
	}
	for (i = 0; i < n; i++) {
		const struct idem_entry *e;
		int64_t			 first, last;

		if (subs[i].id[0] != '\0') {
			idem_key(key, sizeof(key), subs[i].source, subs[i].id);
			if ((e = idem_find(in->idem, key)) != NULL) {
				if (e->hash != subs[i].hash) {
					kind = ERR_INVALID;
					code = "id_reused";
					if (header_key != NULL)
						snprintf(field, sizeof(field),
						    "Idempotency-Key");
					else
						ingest_field(field,
						    sizeof(field), n, i, "id");
					snprintf(detail, sizeof(detail),
					    "this id "
					    "was already used for a submission "
					    "with "
					    "other content");
					goto fail;
				}
				dup[i] = 1;
				ndup++;
				npending_dup += e->state == IDEM_PENDING;
				continue;
			}
		}
		step_span(
		    subs[i].time, subs[i].interval, in->step, &first, &last);
		if (first <= in->watermark) {
			kind = ERR_CONFLICT;
			code = "step_closed";
			ingest_field(field, sizeof(field), n, i, "time");
			ingest_iso(first, iso, sizeof(iso));
			snprintf(detail, sizeof(detail),
			    "the step ending at %s "
			    "(%" PRId64 ") is already written; steps ending "
			    "after %" PRId64 " are open",
			    iso, first, in->watermark);
			goto fail;
		}
		if (subs[i].id[0] != '\0') {
			idem_add_pending(in->idem, key, subs[i].hash);
			added++;
		}
	}
	if (ingest_check_new_sources(in, subs, n, now, field, sizeof(field),
		detail, sizeof(detail), &kind, &code) == -1)
		goto fail;
	if (ndup == n && npending_dup == 0) {
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
	*in->tail = p;
	in->tail = &p->next;
	pthread_cond_signal(&in->wake);
	pthread_mutex_unlock(&in->lock);
	return;
fail:
	/* Take back the keys this call added. */
	for (i = 0; added > 0 && i < n; i++)
		if (!dup[i] && subs[i].id[0] != '\0') {
			idem_key(key, sizeof(key), subs[i].source, subs[i].id);
			idem_abort(in->idem, key);
			added--;
		}
	if (kind == ERR_CONFLICT)
		in->stats.rejected_closed++;
	pthread_mutex_unlock(&in->lock);
	free(subs);
	free(dup);
	ingest_fail(done, arg, kind, code, field, detail);
}

/* Open the journal, replay, start the threads. */
struct ingest *
ingest_create(const struct conf *c, struct store *st, int recover, char *err,
    size_t errlen)
{
	struct journal_settings js;
	struct ingest	       *in;
	char			dir[4200];
	int64_t			w;

	if ((in = calloc(1, sizeof(*in))) == NULL)
		abort();
	in->conf = c;
	in->step = c->step;
	in->ncategories = c->ncategories;
	in->tail = &in->head;
	in->watermark = INT64_MIN;
	pthread_mutex_init(&in->lock, NULL);
	pthread_cond_init(&in->wake, NULL);
	in->idem = idem_create();
	in->known = strmap_create();
	in->agg = aggregate_create(c->ncategories, c->step);
	snprintf(
	    in->state_path, sizeof(in->state_path), "%s/state", c->data_dir);
	snprintf(dir, sizeof(dir), "%s/journal", c->data_dir);
	memset(&js, 0, sizeof(js));
	js.dir = dir;
	js.categories = (const char(*)[ST_CATEGORY_MAX + 1]) c->categories;
	js.ncategories = c->ncategories;
	js.step = c->step;
	js.segment_bytes = c->journal_segment;
	js.segment_age = 300;
	if ((in->journal = journal_open(&js, err, errlen)) == NULL)
		goto fail;
	in->flush = flush_create(st, c->ncategories, 30);
	if (journal_replay(in->journal, ingest_replay_record, in, recover, err,
		errlen) == -1)
		goto fail;
	{
		char **names;
		size_t nnames, i;

		if (store_list_sources(st, &names, &nnames) == 0) {
			for (i = 0; i < nnames; i++)
				strmap_put(in->known, names[i], (void *)1);
			store_names_free(names, nnames);
		}
	}
	w = ingest_watermark_at(in, time(NULL));
	if (ingest_read_state(in) > w)
		w = ingest_read_state(in);
	if (w > in->watermark)
		in->watermark = w;
	ingest_close_through(in, in->watermark);
	flush_drain(in->flush);
	{
		struct journal_stats jst;

		journal_get_stats(in->journal, &jst);
		if (jst.replayed > 0)
			log_info("replayed %" PRIu64 " journal records",
			    jst.replayed);
	}
	if (pthread_create(&in->thread, NULL, ingest_main, in) != 0)
		abort();
	in->running = 1;
	return in;
fail:
	ingest_free(in);
	return NULL;
}

/* Stop, write every open step, free. */
void
ingest_free(struct ingest *in)
{
	struct flush_step *steps;
	size_t		   n;

	if (in == NULL)
		return;
	if (in->running) {
		pthread_mutex_lock(&in->lock);
		in->stopping = 1;
		pthread_cond_signal(&in->wake);
		pthread_mutex_unlock(&in->lock);
		pthread_join(in->thread, NULL);
		/*
		 * Write every open step, the current one too.  That includes a
		 * step ahead of the clock that a reporter with a fast clock
		 * opened (up to max_future): after a restart it answers 409.
		 */
		n = aggregate_close(in->agg, INT64_MAX, &steps);
		if (n > 0 && steps[n - 1].step > in->watermark)
			ingest_write_state(in, steps[n - 1].step);
		else
			ingest_write_state(in, in->watermark);
		if (in->flush != NULL)
			flush_push(in->flush, steps, n);
		else
			aggregate_free_steps(steps, n);
	}
	flush_free(in->flush);
	if (in->running)
		journal_gc(in->journal, INT64_MIN, INT64_MIN);
	journal_close(in->journal);
	aggregate_free(in->agg);
	idem_free(in->idem);
	strmap_free(in->known);
	pthread_mutex_destroy(&in->lock);
	pthread_cond_destroy(&in->wake);
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

/* Copy the counters. */
void
ingest_get_stats(struct ingest *in, struct ingest_stats *out)
{
	struct flush_stats fs;

	pthread_mutex_lock(&in->lock);
	*out = in->stats;
	out->watermark = in->watermark;
	out->idempotency_keys = idem_count(in->idem);
	out->sources = strmap_count(in->known);
	pthread_mutex_unlock(&in->lock);
	flush_get_stats(in->flush, &fs);
	out->flush_steps = fs.steps;
	out->flush_last_seconds = fs.last_seconds;
	out->flush_last_step = fs.last_step;
	out->flush_errors = fs.errors;
}

/* Report per-source running totals. */
void
ingest_each_source(struct ingest *in,
    void (*fn)(void *, const char *, const uint64_t *, int64_t), void *arg)
{
	flush_each_source(in->flush, fn, arg);
}
