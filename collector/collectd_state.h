/*
 * collectd_state.h -- the previous values of collectd's cumulative data
 * sources (counter, derive), kept per host, bounded and expiring.
 *
 * A counter becomes a count by subtracting its previous value.  Each host
 * has its own table of previous values, capped at max_values: one host
 * sending ever new value names fills its own table and is refused (429
 * "too_many_values"), never another host's.  At most max_sources hosts are
 * remembered at once.  A value not updated for idle seconds is forgotten,
 * and so is a host without values.
 *
 * A body changes nothing at once: what it would remember is held in a
 * struct collectd_change until collectd_settle says whether the ingest
 * pipeline accepted it.  A refused body leaves the previous values as they
 * were, so the next body counts the growth the refused one carried.  While
 * a body is in flight its values are its own: another body touching them
 * is refused with 503 "busy" (collectd's write_http sends one body at a
 * time, so only a second sender sharing a host name meets this).
 *
 * Pure: no clock (now is passed in), no I/O.  Not thread-safe: the caller
 * holds one lock around every call, collectd_settle included.
 */
#ifndef ST_COLLECTD_STATE_H
#define ST_COLLECTD_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "../lib/error.h"

/* How a value accumulates. */
enum collectd_kind {
	COLLECTD_AS_SENT, /* in a map rule: take the kind the data gives */
	COLLECTD_GAUGE,
	COLLECTD_DERIVE,
	COLLECTD_COUNTER,
	COLLECTD_ABSOLUTE
};

struct collectd_state;
struct collectd_change;

/* The bounds of the state. */
struct collectd_limits {
	size_t	max_sources; /* hosts remembered at once */
	size_t	max_values;  /* previous values per host */
	int64_t idle;	     /* seconds a value is kept without an update */
};

/* What one body held, for the answer and the logs. */
struct collectd_result {
	size_t values;	/* data source values read */
	size_t mapped;	/* of which matched a rule */
	size_t primed;	/* first samples of a cumulative value */
	size_t resets;	/* cumulative values that went backwards */
	size_t jumps;	/* grew by more than max_count at once: not counted */
	size_t clamped; /* category sums cut to max_count */
	size_t repeats; /* samples not newer than the last one */
};

/* One sample of a cumulative value, offered to the state. */
struct collectd_counter {
	const char	  *host;  /* normalised */
	const char	  *id;	  /* plugin-instance/type-instance:dsname */
	const char	  *field; /* where the body holds it, for errors */
	enum collectd_kind kind;  /* COLLECTD_DERIVE or COLLECTD_COUNTER */
	double		   time;
	uint64_t	   value; /* a derive below zero is passed as 0 */
};

/* An empty state with these bounds. */
struct collectd_state *collectd_state_create(const struct collectd_limits *l);
/* Free the state; no change may be unsettled. */
void collectd_state_free(struct collectd_state *st);
/* Previous values remembered, over all hosts. */
size_t collectd_state_keys(const struct collectd_state *st);
/* Hosts remembered. */
size_t collectd_state_sources(const struct collectd_state *st);

/*
 * Offer one sample of the body whose change is *ch (NULL before its first
 * sample; created here).  Returns 1 with *out the count it adds since the
 * previous value, 0 when it adds nothing (a first sample, a repeat, a
 * change of kind, a jump past max_count), or -1 with e filled: ERR_LIMITED
 * "too_many_values" or "too_many_sources" (field: c->field), ERR_UNAVAILABLE
 * "busy".  After -1 the caller settles *ch as refused.
 */
int collectd_state_offer(struct collectd_state *st, struct collectd_change **ch,
    const struct collectd_counter *c, uint64_t max_count, int64_t now,
    struct collectd_result *res, uint64_t *out, struct st_error *e);

/*
 * Settle a body's change (NULL is allowed): accepted = 1 makes the values
 * it saw the previous values; 0 forgets them (values first seen in it are
 * dropped).  Frees ch.
 */
void collectd_settle(struct collectd_state *st, struct collectd_change *ch,
    int accepted, int64_t now);

/*
 * Call fn for every remembered value: what accepted bodies said (a body in
 * flight does not count until it is settled).  seen is when it was last
 * settled.
 */
void collectd_state_each(const struct collectd_state *st,
    void (*fn)(void *arg, const char *host, const char *id,
	enum collectd_kind kind, double time, uint64_t value, int64_t seen),
    void *arg);

/*
 * Remember a value as if an accepted body had said it at seen (restoring
 * the values of a clean stop).  A value idle for max_interval by now is
 * left out.  Returns 1 when remembered, 0 when left out, -1 when the
 * bounds refuse it.
 */
int collectd_state_restore(struct collectd_state *st, const char *host,
    const char *id, enum collectd_kind kind, double time, uint64_t value,
    int64_t seen, int64_t now);

#endif
