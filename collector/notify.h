/*
 * notify.h -- telling someone when a drop is found or comes back, and when
 * a source goes stale or reports again: a webhook (an HTTP POST of JSON)
 * and/or a command (the same JSON on its standard input).
 *
 * notify_hour does the work for one hour; notify_start runs it from a
 * thread of its own a few minutes after every hour.
 */
#ifndef ST_NOTIFY_H
#define ST_NOTIFY_H

#include <stddef.h>
#include <stdint.h>

#include "../lib/clock.h"

struct store;
struct notify;

/* What to watch and whom to tell. */
struct notify_settings {
	const char *url;	 /* "http://host[:port]/path", or "" */
	const char *command;	 /* run by /bin/sh -c, or "" */
	const char *sources;	 /* comma list watched for drops: "_total" */
	unsigned    stale_after; /* seconds without data: stale */
	unsigned    timeout;	 /* seconds one delivery may take */
};

/*
 * Check s (the URL's form, the names of the sources).  Returns a notifier,
 * or NULL: with err filled on a bad setting, with err empty when neither a
 * URL nor a command is set (nothing to do).  The strings are copied.
 */
struct notify *notify_create(
    const struct notify_settings *s, char *err, size_t errlen);

/* Stop the thread, if started, and free n (NULL is fine). */
void notify_free(struct notify *n);

/*
 * The work of one hour, at now: the drops of the watched sources (falls,
 * rises and outages, every category) and the staleness of every source,
 * against what the last call saw.  One message is delivered for each
 * finding newly confirmed ("found"), each that came back ("ended") or
 * became the normal ("settled"), each source that went stale ("stale") or
 * reports again ("back").  The first call only takes note of what is
 * older than an hour.  A failed delivery is logged, not retried.  Returns
 * the number of messages delivered (both ways count once), or -1 when out
 * of memory.  Takes the store lock through drops_find; call it from one
 * thread at a time.
 */
int notify_hour(struct notify *n, struct store *st, int64_t now);

/*
 * Run notify_hour from a thread of n's own, five minutes after every hour
 * by clock (when the hour's rows are written).  Returns 0, or -1 with err
 * filled.  notify_free stops it.
 */
int notify_start(struct notify *n, struct store *st,
    const struct st_clock *clock, char *err, size_t errlen);

#endif
