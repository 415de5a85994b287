/*
 * events.c -- the list of event annotations and its file.
 *
 * Owns <data-dir>/events.json ({"next_id":N,"events":[...]}), its mutex and
 * the id counter (ids are never reused, even after a delete).  It does not
 * speak HTTP (api_events.c does) nor check source names (the caller passes
 * them normalised).
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
#include <unistd.h>

#include "../lib/source.h"

struct events {
	pthread_mutex_t lock;
	char		path[PATH_MAX];
	char		dir[PATH_MAX];
	struct event   *v;
	size_t		n, cap;
	int64_t		next_id;
};

/* Check text: UTF-8, 1..EVENT_TEXT_CHARS characters, no control characters. */
int
events_check_text(const char *text, struct st_error *e)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t		     chars = 0, len, i;
	unsigned	     cp;

	while (*p != '\0') {
		if (*p < 0x80) {
			cp = *p;
			len = 1;
		} else if ((*p & 0xe0) == 0xc0) {
			cp = *p & 0x1f;
			len = 2;
		} else if ((*p & 0xf0) == 0xe0) {
			cp = *p & 0x0f;
			len = 3;
		} else if ((*p & 0xf8) == 0xf0) {
			cp = *p & 0x07;
			len = 4;
		} else
			return err_set(e, ERR_INVALID, "bad_text", "text",
			    "the text is not UTF-8");
		for (i = 1; i < len; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return err_set(e, ERR_INVALID, "bad_text",
				    "text", "the text is not UTF-8");
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0) ||
		    cp == 0x2028 || cp == 0x2029)
			return err_set(e, ERR_INVALID, "bad_text", "text",
			    "the text may not hold control characters or line "
			    "breaks");
		p += len;
		chars++;
	}
	if (chars == 0 || chars > EVENT_TEXT_CHARS ||
	    (size_t)((const char *)p - text) > EVENT_TEXT_MAX)
		return err_set(e, ERR_INVALID, "bad_text", "text",
		    "the text must be 1 "
		    "to %d characters",
		    EVENT_TEXT_CHARS);
	return 0;
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

/* Read one stored event object into out; -1 when it is not valid. */
static int
events_decode(json_t *o, struct event *out)
{
	json_t *id = json_object_get(o, "id"), *t = json_object_get(o, "time");
	json_t *text = json_object_get(o, "text"), *src;
	json_t *created = json_object_get(o, "created");
	struct st_error e;

	memset(out, 0, sizeof(*out));
	if (!json_is_integer(id) || !json_is_integer(t) ||
	    !json_is_string(text) ||
	    events_check_text(json_string_value(text), &e) == -1)
		return -1;
	out->id = json_integer_value(id);
	out->time = json_integer_value(t);
	out->created =
	    json_is_integer(created) ? json_integer_value(created) : 0;
	snprintf(out->text, sizeof(out->text), "%s", json_string_value(text));
	src = json_object_get(o, "source");
	if (json_is_string(src) && *json_string_value(src) != '\0') {
		if (!source_is_valid_name(json_string_value(src)))
			return -1;
		snprintf(out->source, sizeof(out->source), "%s",
		    json_string_value(src));
	}
	return 0;
}

/* Open the list at <data_dir>/events.json. */
struct events *
events_open(const char *data_dir, char *err, size_t errlen)
{
	struct events *ev;
	json_error_t   je;
	json_t	      *root = NULL, *list, *o, *next;
	size_t	       i;

	if ((ev = calloc(1, sizeof(*ev))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&ev->lock, NULL);
	ev->next_id = 1;
	snprintf(ev->dir, sizeof(ev->dir), "%s", data_dir);
	snprintf(ev->path, sizeof(ev->path), "%s/events.json", data_dir);
	if (access(ev->path, F_OK) == -1 && errno == ENOENT)
		return ev;
	if ((root = json_load_file(ev->path, JSON_REJECT_DUPLICATES, &je)) ==
	    NULL) {
		snprintf(
		    err, errlen, "%s: line %d: %s", ev->path, je.line, je.text);
		goto fail;
	}
	list = json_object_get(root, "events");
	next = json_object_get(root, "next_id");
	if (!json_is_array(list) || !json_is_integer(next) ||
	    json_array_size(list) > EVENTS_MAX) {
		snprintf(err, errlen, "%s: not an events file", ev->path);
		goto fail;
	}
	ev->next_id = json_integer_value(next);
	json_array_foreach(list, i, o)
	{
		if (events_reserve(ev) == -1) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		if (events_decode(o, &ev->v[ev->n]) == -1) {
			snprintf(err, errlen, "%s: event %zu is not valid",
			    ev->path, i);
			goto fail;
		}
		if (ev->v[ev->n].id >= ev->next_id)
			ev->next_id = ev->v[ev->n].id + 1;
		ev->n++;
	}
	json_decref(root);
	return ev;
fail:
	json_decref(root);
	events_free(ev);
	return NULL;
}

/* Free the list. */
void
events_free(struct events *ev)
{
	if (ev == NULL)
		return;
	free(ev->v);
	pthread_mutex_destroy(&ev->lock);
	free(ev);
}

/* The event as a JSON object (new reference). */
static json_t *
events_encode(const struct event *x)
{
	return json_pack("{s:I,s:I,s:s?,s:s,s:I}", "id", (json_int_t)x->id,
	    "time", (json_int_t)x->time, "source",
	    x->source[0] != '\0' ? x->source : NULL, "text", x->text, "created",
	    (json_int_t)x->created);
}

/* The event as compact JSON text. */
char *
events_to_json(const struct event *x)
{
	json_t *o;
	char   *s;

	if ((o = events_encode(x)) == NULL)
		return NULL;
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
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
