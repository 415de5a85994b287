/*
 * admit.c -- idempotency, known sources and their limits, the window of
 * placeable time: what may enter the journal.
 *
 * Owns the idempotency table (idem.c), the map of known sources and the
 * counters of refusals; it does not journal, count or answer (ingest.c
 * does).  Every function takes the admission lock and nothing else.
 */
#include "admit.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>

#include "../lib/fault.h"
#include "../lib/step.h"
#include "../lib/strmap.h"
#include "idem.h"

#define KEY_LEN (ST_SOURCE_MAX + ST_KEY_MAX + 2)

struct admit {
	struct admit_settings s;
	char		     *data_dir;
	pthread_mutex_t	      lock;
	struct idem	     *idem;
	struct idem	     *peers; /* ids other collectors journaled */
	struct strmap	     *known; /* source -> (void *)1 */
	int64_t		      new_minute;
	unsigned	      new_count;
	struct admit_stats    stats;
};

/* Create the admission state. */
struct admit *
admit_create(const struct admit_settings *s)
{
	struct admit *a;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		abort();
	a->s = *s;
	if ((a->data_dir = strdup(s->data_dir)) == NULL)
		abort();
	a->s.data_dir = a->data_dir;
	pthread_mutex_init(&a->lock, NULL);
	a->idem = idem_create();
	a->peers = idem_create();
	a->known = strmap_create();
	return a;
}

/* Free it. */
void
admit_free(struct admit *a)
{
	if (a == NULL)
		return;
	idem_free(a->idem);
	idem_free(a->peers);
	strmap_free(a->known);
	pthread_mutex_destroy(&a->lock);
	free(a->data_dir);
	free(a);
}

/* The JSON path of field name of element i ("" prefix for one submission). */
static void
admit_field(char *buf, size_t len, size_t n, size_t i, const char *name)
{
	if (n == 1)
		snprintf(buf, len, "%s", name);
	else
		snprintf(buf, len, "[%zu].%s", i, name);
}

/* Format unix time t as ISO 8601 UTC. */
static void
admit_iso(int64_t t, char *buf, size_t len)
{
	time_t	  tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* 1 when the data directory has less free space than the guard wants. */
static int
admit_disk_short(const struct admit *a)
{
	struct statvfs sv;
	long long      v;

	if (a->s.min_free_disk == 0)
		return 0;
	if (fault_value("disk_free", &v))
		return (uint64_t)v < a->s.min_free_disk;
	return statvfs(a->s.data_dir, &sv) == 0 &&
	    (unsigned long long)sv.f_bavail * sv.f_frsize < a->s.min_free_disk;
}

/* Check the new sources of a submission against the limits; lock held. */
static int
admit_sources(struct admit *a, const struct submission *subs, size_t n,
    int64_t now, struct st_error *e)
{
	char   field[64];
	size_t i, fresh = 0, first = 0;

	for (i = 0; i < n; i++)
		if (strmap_get(a->known, subs[i].source) == NULL) {
			if (fresh++ == 0)
				first = i;
		}
	if (fresh == 0)
		return 0;
	admit_field(field, sizeof(field), n, first, "source");
	if (now / 60 != a->new_minute) {
		a->new_minute = now / 60;
		a->new_count = 0;
	}
	if (strmap_count(a->known) + fresh > a->s.max_sources) {
		a->stats.refused_sources++;
		return err_set(e, ERR_LIMITED, "too_many_sources", field,
		    "the collector already has %zu sources (max_sources)",
		    strmap_count(a->known));
	}
	if (a->new_count + fresh > a->s.new_sources_per_minute) {
		a->stats.refused_sources++;
		return err_set(e, ERR_LIMITED, "too_many_new_sources", field,
		    "too many new sources this minute "
		    "(new_sources_per_minute); retry in a minute");
	}
	if (admit_disk_short(a)) {
		a->stats.refused_disk++;
		return err_set(e, ERR_NO_SPACE, "insufficient_storage", field,
		    "the data directory is short of free space "
		    "(min_free_disk); new sources are refused");
	}
	for (i = 0; i < n; i++)
		if (strmap_get(a->known, subs[i].source) == NULL) {
			strmap_put(a->known, subs[i].source, (void *)1);
			a->new_count++;
		}
	return 0;
}

/* Take back the ids of subs[0..upto) that this call reserved; lock held. */
static void
admit_unreserve(struct admit *a, const struct submission *subs, size_t upto,
    const unsigned char *dup)
{
	char   key[KEY_LEN];
	size_t i;

	for (i = 0; i < upto; i++)
		if (!dup[i] && subs[i].id[0] != '\0') {
			idem_key(key, sizeof(key), subs[i].source, subs[i].id);
			idem_abort(a->idem, key);
		}
}

/* Check a submission; see admit.h. */
int
admit_check(struct admit *a, struct submission *subs, size_t n,
    const char *header_key, int64_t now, unsigned char *dup,
    int *repeats_durable, struct st_error *e)
{
	const struct idem_entry *ie;
	char			 key[KEY_LEN], field[64], iso[32];
	size_t			 i, ndup = 0, npending = 0;
	int64_t			 first, last, oldest;

	*repeats_durable = 0;
	for (i = 0; i < n; i++)
		if (subs[i].id[0] == '\0' && header_key != NULL) {
			if (n == 1)
				snprintf(subs[i].id, sizeof(subs[i].id), "%s",
				    header_key);
			else
				snprintf(subs[i].id, sizeof(subs[i].id),
				    "%s#%zu", header_key, i);
		}
	/* The oldest step that can still be placed exactly. */
	oldest = step_end_of(now - a->s.max_late, a->s.step);

	pthread_mutex_lock(&a->lock);
	for (i = 0; i < n; i++) {
		dup[i] = 0;
		if (subs[i].id[0] != '\0') {
			idem_key(key, sizeof(key), subs[i].source, subs[i].id);
			if ((ie = idem_find(a->idem, key)) != NULL ||
			    (ie = idem_find(a->peers, key)) != NULL) {
				if (ie->hash != subs[i].hash) {
					if (header_key != NULL)
						snprintf(field, sizeof(field),
						    "Idempotency-Key");
					else
						admit_field(field,
						    sizeof(field), n, i, "id");
					admit_unreserve(a, subs, i, dup);
					a->stats.refused_id_reused++;
					pthread_mutex_unlock(&a->lock);
					return err_set(e, ERR_INVALID,
					    "id_reused", field,
					    "this id was already used for a "
					    "submission with other content");
				}
				dup[i] = 1;
				ndup++;
				npending += ie->state == IDEM_PENDING;
				continue;
			}
		}
		step_span(
		    subs[i].time, subs[i].interval, a->s.step, &first, &last);
		if (first < oldest) {
			admit_field(field, sizeof(field), n, i, "time");
			admit_iso(first - a->s.step, iso, sizeof(iso));
			admit_unreserve(a, subs, i, dup);
			a->stats.refused_too_old++;
			pthread_mutex_unlock(&a->lock);
			return err_set(e, ERR_INVALID, "time_too_old", field,
			    "the interval starts at %s, more than %" PRId64
			    " seconds ago: counts that old can no longer be "
			    "placed in their step (max_late)",
			    iso, a->s.max_late);
		}
		if (subs[i].id[0] != '\0') {
			idem_key(key, sizeof(key), subs[i].source, subs[i].id);
			idem_add_pending(a->idem, key, subs[i].hash);
		}
	}
	if (admit_sources(a, subs, n, now, e) == -1) {
		admit_unreserve(a, subs, n, dup);
		pthread_mutex_unlock(&a->lock);
		return -1;
	}
	*repeats_durable = ndup == n && npending == 0;
	pthread_mutex_unlock(&a->lock);
	return 0;
}

/* Settle the reserved ids after the journal write. */
void
admit_settle(struct admit *a, const struct submission *subs, size_t n,
    const unsigned char *dup, int ok, int64_t now)
{
	char   key[KEY_LEN];
	size_t i;

	pthread_mutex_lock(&a->lock);
	for (i = 0; i < n; i++) {
		if (dup[i] || subs[i].id[0] == '\0')
			continue;
		idem_key(key, sizeof(key), subs[i].source, subs[i].id);
		if (ok)
			idem_commit(a->idem, key, subs[i].hash,
			    now + a->s.idempotency_ttl);
		else
			idem_abort(a->idem, key);
	}
	pthread_mutex_unlock(&a->lock);
}

/* Whether a repeat's original is on disk. */
int
admit_repeat_durable(struct admit *a, const struct submission *s)
{
	const struct idem_entry *ie;
	char			 key[KEY_LEN];
	int			 d;

	idem_key(key, sizeof(key), s->source, s->id);
	pthread_mutex_lock(&a->lock);
	if ((ie = idem_find(a->idem, key)) == NULL)
		ie = idem_find(a->peers, key);
	d = ie != NULL && ie->state == IDEM_DURABLE;
	pthread_mutex_unlock(&a->lock);
	return d;
}

/* A replayed record: its id and its source. */
void
admit_replayed(struct admit *a, const struct submission *s, int64_t received)
{
	char key[KEY_LEN];

	pthread_mutex_lock(&a->lock);
	if (s->id[0] != '\0') {
		idem_key(key, sizeof(key), s->source, s->id);
		idem_commit(
		    a->idem, key, s->hash, received + a->s.idempotency_ttl);
	}
	strmap_put(a->known, s->source, (void *)1);
	pthread_mutex_unlock(&a->lock);
}

/* Remember an id another collector journaled. */
void
admit_peer(struct admit *a, const struct submission *s, int64_t received)
{
	char key[KEY_LEN];

	pthread_mutex_lock(&a->lock);
	if (s->id[0] != '\0') {
		idem_key(key, sizeof(key), s->source, s->id);
		idem_commit(
		    a->peers, key, s->hash, received + a->s.idempotency_ttl);
	}
	strmap_put(a->known, s->source, (void *)1);
	pthread_mutex_unlock(&a->lock);
}

/* Whether s repeats what another collector took. */
int
admit_peer_repeat(struct admit *a, const struct submission *s)
{
	const struct idem_entry *ie;
	char			 key[KEY_LEN];
	int			 r = 0;

	if (s->id[0] == '\0')
		return 0;
	idem_key(key, sizeof(key), s->source, s->id);
	pthread_mutex_lock(&a->lock);
	if ((ie = idem_find(a->peers, key)) != NULL)
		r = ie->hash == s->hash ? 1 : -1;
	pthread_mutex_unlock(&a->lock);
	return r;
}

/* Drop a reserved id. */
void
admit_forget(struct admit *a, const struct submission *s)
{
	char key[KEY_LEN];

	if (s->id[0] == '\0')
		return;
	idem_key(key, sizeof(key), s->source, s->id);
	pthread_mutex_lock(&a->lock);
	idem_abort(a->idem, key);
	pthread_mutex_unlock(&a->lock);
}

/* Count a source as known. */
void
admit_know(struct admit *a, const char *source)
{
	pthread_mutex_lock(&a->lock);
	strmap_put(a->known, source, (void *)1);
	pthread_mutex_unlock(&a->lock);
}

/* Forget expired keys. */
void
admit_expire(struct admit *a, int64_t now)
{
	pthread_mutex_lock(&a->lock);
	idem_expire(a->idem, now);
	idem_expire(a->peers, now);
	pthread_mutex_unlock(&a->lock);
}

/* Copy the counters. */
void
admit_get_stats(struct admit *a, struct admit_stats *out)
{
	pthread_mutex_lock(&a->lock);
	*out = a->stats;
	out->sources = strmap_count(a->known);
	out->idempotency_keys = idem_count(a->idem);
	out->peer_keys = idem_count(a->peers);
	pthread_mutex_unlock(&a->lock);
}
