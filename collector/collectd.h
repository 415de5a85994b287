/*
 * collectd.h -- turning what collectd's write_http plugin posts (Format
 * "JSON" value lists or Format "Command" PUTVAL lines) into submissions.
 *
 * A map names which collectd values count as which category.  Cumulative
 * values (counter, derive) become deltas against the previous value kept
 * per host in a struct collectd_state (collectd_state.h); gauge and
 * absolute values are already counts per interval.  Pure: no clock (now
 * is passed in), no I/O, not thread-safe (the caller locks the state).
 */
#ifndef ST_COLLECTD_H
#define ST_COLLECTD_H

#include <stddef.h>
#include <stdint.h>

#include "../lib/error.h"
#include "../lib/limits.h"
#include "collectd_state.h"
#include "submission.h"

#define COLLECTD_MAX_RULES  64
#define COLLECTD_MAX_VALUES 20000 /* values in one body */

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

/*
 * Parse body[0..len): a JSON array of value lists (putval = 0) or PUTVAL
 * lines (putval = 1), received at now.  Mapped values become submissions
 * (source = the host, time = the sample time rounded, interval = the
 * sample interval rounded, at least 1 s), one per (host, time, interval),
 * in *out (calloc'd, the caller frees; NULL when *n is 0).  allow (may be
 * NULL) sees every submission, sources filled and counts not yet, before
 * the state is touched: returning -1 with e filled refuses the body (the
 * reporter's token may not speak for a host).
 *
 * On 0, *change holds what the body would make the previous values (NULL
 * when it has no cumulative value): the caller must collectd_settle it,
 * accepted once the submissions are durable, refused otherwise.  -1 with e
 * filled and the state as it was: ERR_BAD_INPUT "bad_json" / "bad_command"
 * for malformed input, ERR_TOO_LARGE "batch_too_large", ERR_INVALID
 * "bad_source", "bad_time", "time_in_future", "bad_interval", "bad_count"
 * (a gauge or absolute value below 0 or above max_count), ERR_LIMITED
 * "too_many_values" / "too_many_sources" and ERR_UNAVAILABLE "busy" (see
 * collectd_state.h).
 */
int collectd_parse(const char *body, size_t len, int putval,
    const struct collectd_map *m, const struct submission_rules *rules,
    struct collectd_state *st, int64_t now,
    int (*allow)(
	void *arg, const struct submission *subs, size_t n, struct st_error *e),
    void *allow_arg, struct submission **out, size_t *n,
    struct collectd_change **change, struct collectd_result *res,
    struct st_error *e);

#endif
