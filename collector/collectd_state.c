/*
 * collectd_state.c -- previous values of cumulative collectd values, per
 * host, with caps, expiry and changes settled after ingest (see
 * collectd_state.h).
 *
 * Owns the host table (host -> struct cd_source, each with its own table
 * of values) and the pending changes of bodies in flight.  It does not
 * parse bodies (collectd.c) nor know of HTTP or the ingest pipeline
 * (api_collectd.c settles each change from the ingest answer).  Both
 * tables are strmaps, keyed per table, since every name in them is chosen
 * by a client.
 */
#include "collectd_state.h"

#include <stdlib.h>
#include <string.h>

#include "../lib/strmap.h"

#define CD_SWEEP_EVERY 60 /* seconds between sweeps of idle state */

struct cd_source;

/* The previous value of one cumulative data source of one host. */
struct cd_value {
	struct cd_source       *src;
	const char	       *id;    /* the value table's copy of the name */
	struct collectd_change *owner; /* the body in flight holding it */
	int64_t			seen;  /* when it was last settled */
	/* Remembered: what accepted bodies said. */
	int		   known;
	enum collectd_kind kind;
	double		   time;
	uint64_t	   u;
	/* Pending, while owner is set: what the body in flight says. */
	int		   pknown;
	enum collectd_kind pkind;
	double		   ptime;
	uint64_t	   pu;
};

/* One host's values. */
struct cd_source {
	const char    *host;   /* the host table's copy of the name */
	struct strmap *values; /* id -> struct cd_value */
	size_t	       busy;   /* values held by bodies in flight */
	int64_t	       seen;   /* when a body of it was last settled */
	int64_t	       swept;  /* when its values were last swept */
};

struct collectd_state {
	struct strmap	      *sources; /* host -> struct cd_source */
	struct collectd_limits lim;
	size_t		       nvalues;
	int64_t		       swept;  /* last sweep of idle hosts */
	int64_t		       forced; /* last sweep forced by a full table */
};

/* The values one body in flight holds. */
struct collectd_change {
	struct cd_value **v;
	size_t		  n, cap;
};

/* Create an empty state. */
struct collectd_state *
collectd_state_create(const struct collectd_limits *l)
{
	struct collectd_state *st;

	if ((st = calloc(1, sizeof(*st))) == NULL)
		abort();
	st->sources = strmap_create();
	st->lim = *l;
	return st;
}

/* Sweep callback freeing a value. */
static int
collectd_free_value(void *arg, const char *key, void *value)
{
	free(value);
	return 1;
}

/* Free one host and its values; the caller removes it from the host table. */
static void
collectd_free_source(struct collectd_state *st, struct cd_source *src)
{
	st->nvalues -= strmap_count(src->values);
	strmap_sweep(src->values, collectd_free_value, NULL);
	strmap_free(src->values);
	free(src);
}

/* Sweep callback freeing a host. */
static int
collectd_drop_source(void *arg, const char *key, void *value)
{
	collectd_free_source(arg, value);
	return 1;
}

/* Free the state. */
void
collectd_state_free(struct collectd_state *st)
{
	if (st == NULL)
		return;
	strmap_sweep(st->sources, collectd_drop_source, st);
	strmap_free(st->sources);
	free(st);
}

/* Number of values remembered. */
size_t
collectd_state_keys(const struct collectd_state *st)
{
	return st->nvalues;
}

/* Number of hosts remembered. */
size_t
collectd_state_sources(const struct collectd_state *st)
{
	return strmap_count(st->sources);
}

/* What a sweep compares against. */
struct cd_sweep {
	struct collectd_state *st;
	int64_t		       before; /* forget what was last seen before */
};

/* Sweep callback forgetting an idle value that no body holds. */
static int
collectd_expire_value(void *arg, const char *key, void *value)
{
	struct cd_sweep *sw = arg;
	struct cd_value *v = value;

	if (v->owner != NULL || v->seen >= sw->before)
		return 0;
	sw->st->nvalues--;
	free(v);
	return 1;
}

/* Sweep callback forgetting an idle host that no body holds. */
static int
collectd_expire_source(void *arg, const char *key, void *value)
{
	struct cd_sweep	 *sw = arg;
	struct cd_source *src = value;

	if (src->busy > 0 || src->seen >= sw->before)
		return 0;
	collectd_free_source(sw->st, src);
	return 1;
}

/* Forget the idle values of one host. */
static void
collectd_sweep_values(
    struct collectd_state *st, struct cd_source *src, int64_t now)
{
	struct cd_sweep sw = {st, now - st->lim.idle};

	src->swept = now;
	strmap_sweep(src->values, collectd_expire_value, &sw);
}

/* Forget idle hosts. */
static void
collectd_sweep_sources(struct collectd_state *st, int64_t now)
{
	struct cd_sweep sw = {st, now - st->lim.idle};

	st->swept = now;
	strmap_sweep(st->sources, collectd_expire_source, &sw);
}

/* The host's entry, made when there is room; NULL with e filled when not. */
static struct cd_source *
collectd_source(struct collectd_state *st, const struct collectd_counter *c,
    int64_t now, struct st_error *e)
{
	struct cd_source *src;

	if (now - st->swept >= CD_SWEEP_EVERY)
		collectd_sweep_sources(st, now);
	if ((src = strmap_get(st->sources, c->host)) != NULL)
		return src;
	/* A full table is swept at once, but at most once a second. */
	if (strmap_count(st->sources) >= st->lim.max_sources &&
	    now != st->forced) {
		st->forced = now;
		collectd_sweep_sources(st, now);
	}
	if (strmap_count(st->sources) >= st->lim.max_sources) {
		err_set(e, ERR_LIMITED, "too_many_sources", c->field,
		    "counter values of %zu hosts are remembered already; "
		    "a host's are forgotten after %lld s without a sample",
		    st->lim.max_sources, (long long)st->lim.idle);
		return NULL;
	}
	if ((src = calloc(1, sizeof(*src))) == NULL)
		abort();
	src->values = strmap_create();
	src->seen = now;
	src->swept = now;
	src->host = strmap_put(st->sources, c->host, src);
	return src;
}

/* The value's entry in src, made when there is room; NULL with e filled. */
static struct cd_value *
collectd_value(struct collectd_state *st, struct cd_source *src,
    const struct collectd_counter *c, int64_t now, struct st_error *e)
{
	struct cd_value *v;

	if (now - src->swept >= CD_SWEEP_EVERY)
		collectd_sweep_values(st, src, now);
	if ((v = strmap_get(src->values, c->id)) != NULL)
		return v;
	if (strmap_count(src->values) >= st->lim.max_values)
		collectd_sweep_values(st, src, now);
	if (strmap_count(src->values) >= st->lim.max_values) {
		err_set(e, ERR_LIMITED, "too_many_values", c->field,
		    "%s already has %zu counter values; one is forgotten "
		    "after %lld s without a sample (collectd_max_values)",
		    c->host, st->lim.max_values, (long long)st->lim.idle);
		return NULL;
	}
	if ((v = calloc(1, sizeof(*v))) == NULL)
		abort();
	v->src = src;
	v->seen = now;
	v->id = strmap_put(src->values, c->id, v);
	st->nvalues++;
	return v;
}

/* Make v part of the body's change, starting from what is remembered. */
static void
collectd_hold(struct collectd_change *ch, struct cd_value *v)
{
	if (ch->n == ch->cap) {
		size_t		  cap = ch->cap ? ch->cap * 2 : 16;
		struct cd_value **nv;

		if ((nv = reallocarray(ch->v, cap, sizeof(*nv))) == NULL)
			abort();
		ch->v = nv;
		ch->cap = cap;
	}
	ch->v[ch->n++] = v;
	v->owner = ch;
	v->src->busy++;
	v->pknown = v->known;
	v->pkind = v->kind;
	v->ptime = v->time;
	v->pu = v->u;
}

/* Offer one sample; see collectd_state.h. */
int
collectd_state_offer(struct collectd_state *st, struct collectd_change **ch,
    const struct collectd_counter *c, uint64_t max_count, int64_t now,
    struct collectd_result *res, uint64_t *out, struct st_error *e)
{
	struct cd_source *src;
	struct cd_value	 *v;
	uint64_t	  d;

	if ((src = collectd_source(st, c, now, e)) == NULL ||
	    (v = collectd_value(st, src, c, now, e)) == NULL)
		return -1;
	if (v->owner != NULL && v->owner != *ch)
		return err_set(e, ERR_UNAVAILABLE, "busy", c->field,
		    "another body with this value of %s is being written; "
		    "send this one again",
		    c->host);
	if (*ch == NULL && (*ch = calloc(1, sizeof(**ch))) == NULL)
		abort();
	if (v->owner == NULL)
		collectd_hold(*ch, v);
	if (!v->pknown || v->pkind != c->kind) {
		v->pknown = 1;
		v->pkind = c->kind;
		v->ptime = c->time;
		v->pu = c->value;
		res->primed++;
		return 0;
	}
	if (c->time <= v->ptime) {
		res->repeats++;
		return 0;
	}
	if (c->value >= v->pu)
		d = c->value - v->pu;
	else {
		d = c->value; /* the source restarted: count from zero */
		res->resets++;
	}
	v->ptime = c->time;
	v->pu = c->value;
	/* More than one submission may hold is no count but a glitch. */
	if (d > max_count) {
		res->jumps++;
		return 0;
	}
	*out = d;
	return 1;
}

/* Settle a body's change; see collectd_state.h. */
void
collectd_settle(struct collectd_state *st, struct collectd_change *ch,
    int accepted, int64_t now)
{
	struct cd_source *src;
	struct cd_value	 *v;
	size_t		  i;

	if (ch == NULL)
		return;
	for (i = 0; i < ch->n; i++) {
		v = ch->v[i];
		src = v->src;
		if (accepted) {
			v->known = v->pknown;
			v->kind = v->pkind;
			v->time = v->ptime;
			v->u = v->pu;
			v->seen = now;
			src->seen = now;
		}
		v->owner = NULL;
		src->busy--;
		if (!v->known) {
			strmap_del(src->values, v->id);
			st->nvalues--;
			free(v);
		}
		if (src->busy == 0 && strmap_count(src->values) == 0) {
			strmap_del(st->sources, src->host);
			collectd_free_source(st, src);
		}
	}
	free(ch->v);
	free(ch);
}

struct cd_each {
	void (*fn)(void *arg, const char *host, const char *id,
	    enum collectd_kind kind, double time, uint64_t value, int64_t seen);
	void		       *arg;
	const struct cd_source *src;
};

/* Sweep callback: one remembered value to the caller's function. */
static int
collectd_each_value(void *arg, const char *key, void *value)
{
	struct cd_each	*x = arg;
	struct cd_value *v = value;

	if (v->known)
		x->fn(x->arg, x->src->host, v->id, v->kind, v->time, v->u,
		    v->seen);
	return 0;
}

/* Sweep callback: the values of one host. */
static int
collectd_each_source(void *arg, const char *key, void *value)
{
	struct cd_each *x = arg;

	x->src = value;
	strmap_sweep(x->src->values, collectd_each_value, x);
	return 0;
}

/* Every remembered value; see collectd_state.h. */
void
collectd_state_each(const struct collectd_state *st,
    void (*fn)(void *arg, const char *host, const char *id,
	enum collectd_kind kind, double time, uint64_t value, int64_t seen),
    void *arg)
{
	struct cd_each x = {fn, arg, NULL};

	strmap_sweep(st->sources, collectd_each_source, &x);
}

/* Remember a value of a clean stop; see collectd_state.h. */
int
collectd_state_restore(struct collectd_state *st, const char *host,
    const char *id, enum collectd_kind kind, double time, uint64_t value,
    int64_t seen, int64_t now)
{
	struct collectd_counter c;
	struct cd_source       *src;
	struct cd_value	       *v;
	struct st_error		e;

	if (seen <= now - st->lim.idle || seen > now ||
	    (kind != COLLECTD_DERIVE && kind != COLLECTD_COUNTER))
		return 0;
	memset(&c, 0, sizeof(c));
	c.host = host;
	c.id = id;
	c.field = "";
	if ((src = collectd_source(st, &c, now, &e)) == NULL ||
	    (v = collectd_value(st, src, &c, now, &e)) == NULL)
		return -1;
	if (v->owner != NULL)
		return 0;
	v->known = 1;
	v->kind = kind;
	v->time = time;
	v->u = value;
	v->seen = seen;
	if (seen > src->seen)
		src->seen = seen;
	return 1;
}
