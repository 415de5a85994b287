/*
 * events.h -- event annotations ("McColo depeered"): a time, an optional
 * source and a short text, kept in <data-dir>/events.json.
 *
 * Thread-safe: every call takes the events mutex (a leaf lock).  The file
 * is rewritten whole on every change (temporary file, fsync, rename), so a
 * crash leaves the old list or the new one, never half of one.
 */
#ifndef ST_EVENTS_H
#define ST_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "../lib/error.h"
#include "../lib/limits.h"

#define EVENT_TEXT_CHARS 200			/* characters (code points) */
#define EVENT_TEXT_MAX	 (4 * EVENT_TEXT_CHARS) /* bytes */
#define EVENTS_MAX	 10000

struct event {
	int64_t id;
	int64_t time;			   /* unix seconds */
	int64_t created;		   /* unix seconds */
	char	source[ST_SOURCE_MAX + 1]; /* "" for every source */
	char	text[EVENT_TEXT_MAX + 1];
};

struct events;

/*
 * Load <data_dir>/events.json (none yet: an empty list).  NULL with err
 * filled when the file is unreadable or not ours.
 */
struct events *events_open(const char *data_dir, char *err, size_t errlen);
void	       events_free(struct events *ev);

/*
 * Check text: 1..EVENT_TEXT_CHARS characters of strict UTF-8 with no
 * control characters, line separators or bidirectional controls (U+202E
 * and its kind).  0, or -1 with e filled (ERR_INVALID "bad_text", field
 * "text").  Pure.
 */
int events_check_text(const char *text, struct st_error *e);

/*
 * Decode the JSON body of a new event ({"time":T,"text":"...","source":
 * "..." or null}) received at now into out (id and created left 0; the
 * source normalised, "" for every source).  -1 with e filled:
 * ERR_BAD_INPUT "bad_json" for text that is not JSON, ERR_INVALID
 * "bad_event", "unknown_field" (field: the name), "bad_time", "bad_text",
 * "bad_source".  Pure.
 */
int events_parse(const char *body, size_t len, int64_t now, struct event *out,
    struct st_error *e);

/*
 * Add an event (text checked, source already normalised or "") and save
 * the list; *out gets a copy with its new id.  -1 with e filled: 422 for a
 * bad text or a full list, 500 when the file cannot be written (then the
 * list is unchanged).
 */
int events_add(struct events *ev, int64_t time, const char *source,
    const char *text, int64_t now, struct event *out, struct st_error *e);

/* Delete event id and save.  -1 with e filled: 404, or 500 on a write error. */
int events_delete(struct events *ev, int64_t id, struct st_error *e);

/*
 * The events with start <= time <= end, by time, for source (NULL or "":
 * all; otherwise that source's and those for every source).  *out is a
 * malloc'd array the caller frees (NULL when *n is 0).  -1 when out of
 * memory.
 */
int events_list(struct events *ev, int64_t start, int64_t end,
    const char *source, struct event **out, size_t *n);

/*
 * The event as compact JSON text ({"id","time","source","text","created"};
 * a null source is for every source), strings escaped by lib/jsonstr.c,
 * malloc'd, or NULL when out of memory.
 */
char *events_to_json(const struct event *x);

#endif
