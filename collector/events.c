/*
 * events.c -- the list of event annotations and its file.
 *
 * Owns <data-dir>/events.json ({"next_id":N,"events":[...]}), its mutex and
 * the id counter (ids are never reused, even after a delete), the rules for
 * an event's text, and the decoding of a new event from a request body.
 * It does not speak HTTP (api_events.c does).
 *
 * Several collectors may share the data directory: the list is read again
 * whenever the file was replaced since it was last read, and a change is
 * made under flock(2) on <data-dir>/.events.lock, from the file as it is.
 */
#include "events.h"

#include <jansson.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/jsonstr.h"
#include "../lib/log.h"
#include "../lib/source.h"
#include "../lib/utf8.h"

struct events {
	pthread_mutex_t lock;
	char		path[PATH_MAX];
	char		dir[PATH_MAX];
	struct event   *v;
	size_t		n, cap;
	int64_t		next_id;
	int		lock_fd; /* .events.lock, or -1 */
	struct stat	read;	 /* the file as last read (st_ino 0: none) */
};

/*
 * Check text: strict UTF-8, 1..EVENT_TEXT_CHARS characters, no control
 * characters, no line separators, no bidirectional controls.
 */
int
events_check_text(const char *text, struct st_error *e)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t		     len = strlen(text), chars = 0, i, n;
	uint32_t	     cp;

	for (i = 0; i < len; i += n, chars++) {
		n = utf8_decode(p + i, len - i, &cp);
		if (cp == UTF8_INVALID)
			return err_set(e, ERR_INVALID, "bad_text", "text",
			    "the text is not UTF-8");
		if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0) ||
		    cp == 0x2028 || cp == 0x2029)
			return err_set(e, ERR_INVALID, "bad_text", "text",
			    "the text may not hold control characters or line "
			    "breaks");
		/*
		 * Refused rather than stripped: a text that reads one way and
		 * is stored another is worse than a clear error.
		 */
		if (utf8_is_bidi_control(cp))
			return err_set(e, ERR_INVALID, "bad_text", "text",
			    "the text may not hold bidirectional controls "
			    "(U+%04X reorders what is shown)",
			    (unsigned)cp);
	}
	if (chars == 0 || chars > EVENT_TEXT_CHARS || len > EVENT_TEXT_MAX)
		return err_set(e, ERR_INVALID, "bad_text", "text",
		    "the text must be 1 "
		    "to %d characters",
		    EVENT_TEXT_CHARS);
	return 0;
}

/*
 * Remove bidirectional controls from a stored text in place (a file written
 * before they were refused); returns how many were removed.
 */
static size_t
events_strip_bidi(char *text)
{
	unsigned char *p = (unsigned char *)text;
	size_t	       len = strlen(text), i, o = 0, n, gone = 0;
	uint32_t       cp;

	for (i = 0; i < len; i += n) {
		n = utf8_decode(p + i, len - i, &cp);
		if (cp != UTF8_INVALID && utf8_is_bidi_control(cp)) {
			gone++;
			continue;
		}
		memmove(p + o, p + i, n);
		o += n;
	}
	p[o] = '\0';
	return gone;
}

/* Make room for one more event. */
static int
events_reserve(struct events *ev)
{
	struct event *nv;
	size_t	      cap;

	if (ev->n < ev->cap)
		return 0;
	cap = ev->cap ? ev->cap * 2 : 64;
	if ((nv = realloc(ev->v, cap * sizeof(*nv))) == NULL)
		return -1;
	ev->v = nv;
	ev->cap = cap;
	return 0;
}

/*
 * Read one stored event object into out; -1 when it is not valid.  Adds
 * the bidirectional controls removed from its text to *stripped.
 */
static int
events_decode(json_t *o, struct event *out, size_t *stripped)
{
	json_t *id = json_object_get(o, "id"), *t = json_object_get(o, "time");
	json_t *text = json_object_get(o, "text"), *src;
	json_t *created = json_object_get(o, "created");
	struct st_error e;

	memset(out, 0, sizeof(*out));
	if (!json_is_integer(id) || !json_is_integer(t) ||
	    !json_is_string(text) || json_string_length(text) > EVENT_TEXT_MAX)
		return -1;
	snprintf(out->text, sizeof(out->text), "%s", json_string_value(text));
	*stripped += events_strip_bidi(out->text);
	if (events_check_text(out->text, &e) == -1)
		return -1;
	out->id = json_integer_value(id);
	out->time = json_integer_value(t);
	out->created =
	    json_is_integer(created) ? json_integer_value(created) : 0;
	src = json_object_get(o, "source");
	if (json_is_string(src) && *json_string_value(src) != '\0') {
		if (!source_is_valid_name(json_string_value(src)))
			return -1;
		snprintf(out->source, sizeof(out->source), "%s",
		    json_string_value(src));
	}
	return 0;
}

/*
 * Read the file into the list, replacing it (an absent file is an empty
 * list); -1 with err, the list unchanged, when it cannot be read.  Lock
 * held.
 */
static int
events_load_locked(struct events *ev, char *err, size_t errlen)
{
	struct events old = *ev;
	json_error_t  je;
	json_t	     *root = NULL, *list, *o, *next;
	struct stat   sb;
	size_t	      i, stripped = 0;

	if (stat(ev->path, &sb) == -1) {
		if (errno != ENOENT) {
			snprintf(
			    err, errlen, "%s: %s", ev->path, strerror(errno));
			return -1;
		}
		memset(&sb, 0, sizeof(sb));
		ev->n = 0; /* next_id stays: ids are never given out twice */
		ev->read = sb;
		return 0;
	}
	if ((root = json_load_file(ev->path, JSON_REJECT_DUPLICATES, &je)) ==
	    NULL) {
		snprintf(
		    err, errlen, "%s: line %d: %s", ev->path, je.line, je.text);
		return -1;
	}
	list = json_object_get(root, "events");
	next = json_object_get(root, "next_id");
	if (!json_is_array(list) || !json_is_integer(next) ||
	    json_array_size(list) > EVENTS_MAX) {
		snprintf(err, errlen, "%s: not an events file", ev->path);
		goto fail;
	}
	ev->v = NULL;
	ev->n = ev->cap = 0;
	ev->next_id = json_integer_value(next);
	if (old.next_id > ev->next_id)
		ev->next_id = old.next_id;
	json_array_foreach(list, i, o)
	{
		if (events_reserve(ev) == -1) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		if (events_decode(o, &ev->v[ev->n], &stripped) == -1) {
			snprintf(err, errlen, "%s: event %zu is not valid",
			    ev->path, i);
			goto fail;
		}
		if (ev->v[ev->n].id >= ev->next_id)
			ev->next_id = ev->v[ev->n].id + 1;
		ev->n++;
	}
	json_decref(root);
	free(old.v);
	ev->read = sb;
	if (stripped > 0)
		log_warn("%s: %zu bidirectional control(s) removed from event "
			 "texts (they are refused since)",
		    ev->path, stripped);
	return 0;
fail:
	json_decref(root);
	if (ev->v != old.v)
		free(ev->v);
	ev->v = old.v;
	ev->n = old.n;
	ev->cap = old.cap;
	ev->next_id = old.next_id;
	return -1;
}

/*
 * Read the file again when another collector replaced it since it was last
 * read (a failure is logged and the list kept).  Lock held.
 */
static void
events_refresh_locked(struct events *ev)
{
	struct stat sb;
	char	    err[512];

	if (stat(ev->path, &sb) == -1)
		memset(&sb, 0, sizeof(sb));
	if (sb.st_ino == ev->read.st_ino && sb.st_dev == ev->read.st_dev &&
	    sb.st_size == ev->read.st_size &&
	    sb.st_mtim.tv_sec == ev->read.st_mtim.tv_sec &&
	    sb.st_mtim.tv_nsec == ev->read.st_mtim.tv_nsec)
		return;
	if (events_load_locked(ev, err, sizeof(err)) == -1)
		log_warn("%s; the events read before are kept", err);
}

/* Take (LOCK_EX) or give back (LOCK_UN) the lock between collectors. */
static void
events_flock(struct events *ev, int op)
{
	if (ev->lock_fd != -1)
		while (flock(ev->lock_fd, op) == -1 && errno == EINTR)
			;
}

/* Open the list at <data_dir>/events.json. */
struct events *
events_open(const char *data_dir, char *err, size_t errlen)
{
	struct events *ev;
	char	       lock[PATH_MAX + 16];

	if ((ev = calloc(1, sizeof(*ev))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&ev->lock, NULL);
	ev->next_id = 1;
	snprintf(ev->dir, sizeof(ev->dir), "%s", data_dir);
	snprintf(ev->path, sizeof(ev->path), "%s/events.json", data_dir);
	snprintf(lock, sizeof(lock), "%s/.events.lock", data_dir);
	if ((ev->lock_fd = open(
		 lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640)) == -1)
		log_warn("%s: %s; events are not locked against other "
			 "collectors",
		    lock, strerror(errno));
	if (events_load_locked(ev, err, errlen) == -1) {
		events_free(ev);
		return NULL;
	}
	return ev;
}

/* Free the list. */
void
events_free(struct events *ev)
{
	if (ev == NULL)
		return;
	if (ev->lock_fd != -1)
		close(ev->lock_fd);
	free(ev->v);
	pthread_mutex_destroy(&ev->lock);
	free(ev);
}

/* The event as a JSON object for events.json (new reference). */
static json_t *
events_encode(const struct event *x)
{
	return json_pack("{s:I,s:I,s:s?,s:s,s:I}", "id", (json_int_t)x->id,
	    "time", (json_int_t)x->time, "source",
	    x->source[0] != '\0' ? x->source : NULL, "text", x->text, "created",
	    (json_int_t)x->created);
}

/* The event as compact JSON text for a response (lib/jsonstr.c's escaping). */
char *
events_to_json(const struct event *x)
{
	char source[ST_SOURCE_MAX + 3], text[6 * EVENT_TEXT_MAX + 3], *s;

	if (x->source[0] != '\0')
		jsonstr_quote(
		    source, sizeof(source), x->source, strlen(x->source));
	else
		snprintf(source, sizeof(source), "null");
	jsonstr_quote(text, sizeof(text), x->text, strlen(x->text));
	if (asprintf(&s,
		"{\"id\":%lld,\"time\":%lld,\"source\":%s,\"text\":%s,"
		"\"created\":%lld}",
		(long long)x->id, (long long)x->time, source, text,
		(long long)x->created) == -1)
		return NULL;
	return s;
}

/* Read a POST /api/v1/events body; see events.h. */
int
events_parse(const char *body, size_t len, int64_t now, struct event *out,
    struct st_error *e)
{
	json_error_t je;
	json_t	    *root, *v;
	const char  *key;
	int	     rc = -1;

	memset(out, 0, sizeof(*out));
	if ((root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je)) == NULL)
		return err_set(e, ERR_BAD_INPUT, "bad_json", "",
		    "the body is not one JSON object without repeated keys");
	if (!json_is_object(root)) {
		err_set(e, ERR_INVALID, "bad_event", "",
		    "the body must be a JSON object");
		goto done;
	}
	json_object_foreach(root, key, v)
	{
		if (strcmp(key, "time") != 0 && strcmp(key, "text") != 0 &&
		    strcmp(key, "source") != 0) {
			err_set(e, ERR_INVALID, "unknown_field", key,
			    "unknown field (time, text and source are known)");
			goto done;
		}
	}
	v = json_object_get(root, "time");
	if (!json_is_integer(v) || json_integer_value(v) < 1 ||
	    json_integer_value(v) > now + 366 * 86400LL) {
		err_set(e, ERR_INVALID, "bad_time", "time",
		    "time must be unix seconds (an integer, at most a year "
		    "ahead)");
		goto done;
	}
	out->time = json_integer_value(v);
	v = json_object_get(root, "text");
	if (!json_is_string(v)) {
		err_set(e, ERR_INVALID, "bad_text", "text",
		    "text must be a string");
		goto done;
	}
	if (events_check_text(json_string_value(v), e) == -1)
		goto done;
	snprintf(out->text, sizeof(out->text), "%s", json_string_value(v));
	v = json_object_get(root, "source");
	if (v != NULL && !json_is_null(v)) {
		if (!json_is_string(v)) {
			err_set(e, ERR_INVALID, "bad_source", "source",
			    "source must be a host name");
			goto done;
		}
		if (source_normalise(json_string_value(v),
			json_string_length(v), out->source, "source", e) == -1)
			goto done;
	}
	rc = 0;
done:
	json_decref(root);
	return rc;
}

/* Write the list to a temporary file, sync it and rename it over the old; lock held. */
static int
events_save_locked(struct events *ev, struct st_error *e)
{
	char	tmp[PATH_MAX + 8], *text = NULL;
	json_t *root, *list;
	size_t	i, len, off;
	ssize_t w;
	int	fd = -1, ret = -1;

	if ((root = json_object()) == NULL || (list = json_array()) == NULL) {
		json_decref(root);
		return err_set(
		    e, ERR_INTERNAL, "internal", NULL, "out of memory");
	}
	json_object_set_new(root, "next_id", json_integer(ev->next_id));
	json_object_set_new(root, "events", list);
	for (i = 0; i < ev->n; i++)
		json_array_append_new(list, events_encode(&ev->v[i]));
	if ((text = json_dumps(root, JSON_INDENT(1))) == NULL) {
		err_set(e, ERR_INTERNAL, "internal", NULL, "out of memory");
		goto done;
	}
	len = strlen(text);
	snprintf(tmp, sizeof(tmp), "%s.tmp", ev->path);
	if ((fd = open(tmp,
		 O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		 0640)) == -1)
		goto ioerr;
	for (off = 0; off < len; off += (size_t)w)
		if ((w = write(fd, text + off, len - off)) <= 0)
			goto ioerr;
	if (write(fd, "\n", 1) != 1 || fsync(fd) == -1)
		goto ioerr;
	close(fd);
	fd = -1;
	if (rename(tmp, ev->path) == -1)
		goto ioerr;
	if (stat(ev->path, &ev->read) == -1)
		memset(&ev->read, 0, sizeof(ev->read));
	if ((fd = open(ev->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		fsync(fd);
		close(fd);
		fd = -1;
	}
	ret = 0;
	goto done;
ioerr:
	err_set(e, ERR_INTERNAL, "store_error", NULL, "cannot write %s: %s",
	    ev->path, strerror(errno));
	if (fd != -1)
		close(fd);
	fd = -1;
	unlink(tmp);
done:
	free(text);
	json_decref(root);
	return ret;
}

/* Add an event and save. */
int
events_add(struct events *ev, int64_t time, const char *source,
    const char *text, int64_t now, struct event *out, struct st_error *e)
{
	struct event *x;
	int	      ret = -1;

	if (events_check_text(text, e) == -1)
		return -1;
	pthread_mutex_lock(&ev->lock);
	events_flock(ev, LOCK_EX);
	events_refresh_locked(ev);
	if (ev->n >= EVENTS_MAX) {
		err_set(e, ERR_INVALID, "too_many_events", "",
		    "there are already %d "
		    "events; delete some first",
		    EVENTS_MAX);
		goto done;
	}
	if (events_reserve(ev) == -1) {
		err_set(e, ERR_INTERNAL, "internal", NULL, "out of memory");
		goto done;
	}
	x = &ev->v[ev->n];
	memset(x, 0, sizeof(*x));
	x->id = ev->next_id;
	x->time = time;
	x->created = now;
	snprintf(x->source, sizeof(x->source), "%s", source ? source : "");
	snprintf(x->text, sizeof(x->text), "%s", text);
	ev->n++;
	ev->next_id++;
	if (events_save_locked(ev, e) == -1) {
		ev->n--;
		ev->next_id--;
		goto done;
	}
	*out = *x;
	ret = 0;
done:
	events_flock(ev, LOCK_UN);
	pthread_mutex_unlock(&ev->lock);
	return ret;
}

/* Delete an event and save. */
int
events_delete(struct events *ev, int64_t id, struct st_error *e)
{
	struct event gone;
	size_t	     i;
	int	     ret = -1;

	pthread_mutex_lock(&ev->lock);
	events_flock(ev, LOCK_EX);
	events_refresh_locked(ev);
	for (i = 0; i < ev->n; i++)
		if (ev->v[i].id == id)
			break;
	if (i == ev->n) {
		err_set(e, ERR_NOT_FOUND, "not_found", "id", "no event %lld",
		    (long long)id);
		goto done;
	}
	gone = ev->v[i];
	memmove(&ev->v[i], &ev->v[i + 1], (ev->n - i - 1) * sizeof(ev->v[0]));
	ev->n--;
	if (events_save_locked(ev, e) == -1) {
		memmove(
		    &ev->v[i + 1], &ev->v[i], (ev->n - i) * sizeof(ev->v[0]));
		ev->v[i] = gone;
		ev->n++;
		goto done;
	}
	ret = 0;
done:
	events_flock(ev, LOCK_UN);
	pthread_mutex_unlock(&ev->lock);
	return ret;
}

/* Order events by time, then id. */
static int
events_cmp(const void *a, const void *b)
{
	const struct event *x = a, *y = b;

	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* Copy the matching events out, sorted by time. */
int
events_list(struct events *ev, int64_t start, int64_t end, const char *source,
    struct event **out, size_t *n)
{
	size_t i, k = 0;

	*out = NULL;
	*n = 0;
	pthread_mutex_lock(&ev->lock);
	events_refresh_locked(ev);
	if (ev->n > 0 && (*out = malloc(ev->n * sizeof(**out))) == NULL) {
		pthread_mutex_unlock(&ev->lock);
		return -1;
	}
	for (i = 0; i < ev->n; i++) {
		const struct event *x = &ev->v[i];

		if (x->time < start || x->time > end)
			continue;
		if (source != NULL && *source != '\0' && x->source[0] != '\0' &&
		    strcmp(source, x->source) != 0)
			continue;
		(*out)[k++] = *x;
	}
	pthread_mutex_unlock(&ev->lock);
	if (k == 0) {
		free(*out);
		*out = NULL;
	} else
		qsort(*out, k, sizeof(**out), events_cmp);
	*n = k;
	return 0;
}
