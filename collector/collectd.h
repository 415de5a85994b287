/*
 * collectd.h -- turning what collectd's write_http plugin posts (Format
 * "JSON" value lists or Format "Command" PUTVAL lines) into submissions.
 *
 * A map names which collectd values count as which category.  Cumulative
 * values (counter, derive) become deltas against the previous value kept
 * per (host, value) in a struct collectd_state; gauge and absolute values
 * are already counts per interval.  Pure: no clock (now is passed in), no
 * I/O, not thread-safe (the caller locks the state).
 */
#ifndef ST_COLLECTD_H
#define ST_COLLECTD_H

#include <stddef.h>
#include <stdint.h>

#include "../lib/error.h"
#include "../lib/limits.h"
#include "submission.h"

#define COLLECTD_MAX_RULES  64
#define COLLECTD_MAX_VALUES 20000 /* values in one body */

/* How a value accumulates. */
enum collectd_kind {
	COLLECTD_AS_SENT, /* in a map rule: take the kind the data gives */
	COLLECTD_GAUGE,
	COLLECTD_DERIVE,
	COLLECTD_COUNTER,
	COLLECTD_ABSOLUTE
};

#define COLLECTD_NAME_MAX 64 /* plugin, type, instance, data source names */

/* One map rule: values whose names match count as category. */
struct collectd_rule {
	char		   plugin[COLLECTD_NAME_MAX]; /* "" any */
	char		   type[COLLECTD_NAME_MAX];
	char		   type_instance[COLLECTD_NAME_MAX];
	char		   dsname[COLLECTD_NAME_MAX]; /* "" single value */
	unsigned	   category; /* index into the categories */
	enum collectd_kind kind;
};

struct collectd_map {
	struct collectd_rule rules[COLLECTD_MAX_RULES];
	size_t		     n;
	char		     skipped[512]; /* rules left out, for a warning */
};

/*
 * Parse a map such as "mail_counter/spam=spam,mail_counter/virus=virus:derive".
 * A key is "type/type_instance" or "plugin/type/type_instance", with
 * ":dsname" appended for a value list of several data sources; a rule may
 * force the kind with ":gauge", ":derive", ":counter" or ":absolute" after
 * the category.  An empty text is an empty map.  A rule naming a category
 * that is not configured is left out and listed in m->skipped (so the
 * default map suits a daemon counting fewer categories).  -1 with err
 * filled on a malformed rule.
 */
int collectd_map_parse(struct collectd_map *m, const char  *text,
    const char (*categories)[ST_CATEGORY_MAX + 1], unsigned ncategories,
    char *err, size_t errlen);

struct collectd_state;

/* The previous values, at most max_keys of them (new keys beyond are ignored). */
struct collectd_state *collectd_state_create(size_t max_keys);
void		       collectd_state_free(struct collectd_state *s);
/* Number of (host, value) pairs remembered. */
size_t collectd_state_keys(const struct collectd_state *s);

/* What one body held, for the answer and the logs. */
struct collectd_result {
	size_t values;	/* data source values read */
	size_t mapped;	/* of which matched a rule */
	size_t primed;	/* first samples of a cumulative value */
	size_t resets;	/* cumulative values that went backwards */
	size_t repeats; /* samples not newer than the last one */
};

/*
 * Parse body[0..len): a JSON array of value lists (putval = 0) or PUTVAL
 * lines (putval = 1), received at now.  Mapped values become submissions
 * (source = the host, time = the sample time rounded, interval = the
 * sample interval rounded, at least 1 s), one per (host, time, interval),
 * in *out (calloc'd, the caller frees; NULL when *n is 0); st is updated
 * only when 0 is returned.  allow (may be NULL) sees every submission,
 * sources filled and counts not yet, before st changes: returning -1 with
 * e filled refuses the body (the reporter's token may not speak for a host).  -1 with e filled and nothing changed: 400
 * "bad_json" / "bad_command" for malformed input, 413 "batch_too_large",
 * 422 "bad_source", "bad_time", "time_in_future", "bad_interval",
 * "bad_count".
 */
int collectd_parse(const char *body, size_t len, int putval,
    const struct collectd_map *m, const struct submission_rules *rules,
    struct collectd_state *st, int64_t now,
    int (*allow)(
	void *arg, const struct submission *subs, size_t n, struct st_error *e),
    void *allow_arg, struct submission **out, size_t *n,
    struct collectd_result *res, struct st_error *e);

#endif
