/*
 * sources.c -- the in-memory index of sources: first and last step written
 * and a ring of hourly sums per source.
 *
 * Owns the index and its lock; it reads no file (flush.c and
 * sources_scan.c feed it) and knows nothing of HTTP.
 */
#include "sources.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/strmap.h"
#include "../rrd/store.h"

#define HOUR 3600

/* One source: its hours[SOURCES_HOURS][ncategories] ring ends at newest. */
struct src {
	int64_t	 first;
	int64_t	 last;
	int64_t	 newest;     /* end label of the newest hour in the ring */
	int64_t	 known_from; /* hours ending after this are complete */
	uint64_t hours[];    /* SOURCES_HOURS * ncategories */
};

struct sources {
	pthread_mutex_t	   lock;
	unsigned	   ncat;
	unsigned	   step;
	struct strmap	  *map;	   /* name -> struct src * */
	int64_t		   newest; /* over all sources */
	enum sources_state state;
	uint64_t	   learned;
	int64_t		   dir_mtime; /* sources_dir_changed */
};

/* Create an empty index. */
struct sources *
sources_create(unsigned ncategories, unsigned step)
{
	struct sources *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		abort();
	pthread_mutex_init(&s->lock, NULL);
	s->ncat = ncategories;
	s->step = step;
	s->map = strmap_create();
	return s;
}

/* Sweep callback freeing one source. */
static int
sources_free_one(void *arg, const char *key, void *value)
{
	(void)arg;
	(void)key;
	free(value);
	return 1;
}

/* Free it. */
void
sources_free(struct sources *s)
{
	if (s == NULL)
		return;
	strmap_sweep(s->map, sources_free_one, NULL);
	strmap_free(s->map);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/* The end label of the clock hour that holds step label t. */
static int64_t
sources_hour(int64_t t)
{
	return ((t - 1) / HOUR + 1) * HOUR;
}

/* name's entry, created when missing; lock held. */
static struct src *
sources_get(struct sources *s, const char *name)
{
	struct src *x = strmap_get(s->map, name);

	if (x == NULL) {
		x = calloc(
		    1, sizeof(*x) + SOURCES_HOURS * s->ncat * sizeof(uint64_t));
		if (x == NULL)
			abort();
		x->known_from = INT64_MAX;
		strmap_put(s->map, name, x);
	}
	return x;
}

/* The ring slot of hour h (an end label) in x, moving the ring on. */
static uint64_t *
sources_slot(struct sources *s, struct src *x, int64_t h)
{
	int64_t k;

	if (x->newest == 0)
		x->newest = h;
	while (h > x->newest) {
		x->newest += HOUR;
		k = (x->newest / HOUR) % SOURCES_HOURS;
		memset(&x->hours[k * s->ncat], 0, s->ncat * sizeof(uint64_t));
	}
	if (h <= x->newest - SOURCES_HOURS * HOUR)
		return NULL; /* older than the ring */
	k = (h / HOUR) % SOURCES_HOURS;
	return &x->hours[k * s->ncat];
}

/* Points written. */
void
sources_written(struct sources *s, const char *name,
    const struct store_point *pts, size_t n, int fresh)
{
	struct src *x;
	uint64_t   *slot;
	size_t	    i;
	unsigned    c;

	pthread_mutex_lock(&s->lock);
	x = sources_get(s, name);
	if (fresh)
		x->known_from = INT64_MIN;
	for (i = 0; i < n; i++) {
		if (pts[i].step > x->last)
			x->last = pts[i].step;
		if (pts[i].cover > 0 &&
		    (x->first == 0 || pts[i].step - s->step < x->first))
			x->first = pts[i].step - s->step;
		if ((slot = sources_slot(s, x, sources_hour(pts[i].step))) ==
		    NULL)
			continue;
		for (c = 0; c < s->ncat; c++)
			slot[c] += pts[i].counts[c];
	}
	if (x->newest > s->newest)
		s->newest = x->newest;
	pthread_mutex_unlock(&s->lock);
}

/* A name only. */
void
sources_add(struct sources *s, const char *name)
{
	pthread_mutex_lock(&s->lock);
	sources_get(s, name);
	pthread_mutex_unlock(&s->lock);
}

/* What a file holds: replaces the entry. */
void
sources_learn(struct sources *s, const char *name, int64_t first, int64_t last,
    int64_t hour_end, const uint64_t *hours, size_t nhours)
{
	struct src *x;
	uint64_t   *slot;
	size_t	    i;
	unsigned    c;

	if (nhours > SOURCES_HOURS)
		nhours = SOURCES_HOURS;
	pthread_mutex_lock(&s->lock);
	x = sources_get(s, name);
	x->first = first;
	x->last = last;
	memset(x->hours, 0, SOURCES_HOURS * s->ncat * sizeof(uint64_t));
	x->newest = 0;
	x->known_from = INT64_MAX;
	if (nhours > 0) {
		x->newest = hour_end + (int64_t)(nhours - 1) * HOUR;
		x->known_from = hour_end - HOUR;
	}
	for (i = 0; i < nhours; i++) {
		slot = sources_slot(s, x, hour_end + (int64_t)i * HOUR);
		for (c = 0; slot != NULL && c < s->ncat; c++)
			slot[c] = hours[i * s->ncat + c];
	}
	if (x->newest > s->newest)
		s->newest = x->newest;
	s->learned++;
	pthread_mutex_unlock(&s->lock);
}

/* How much it knows. */
void
sources_set_state(struct sources *s, enum sources_state st)
{
	pthread_mutex_lock(&s->lock);
	if (st > s->state)
		s->state = st;
	pthread_mutex_unlock(&s->lock);
}

/* Whether it knows every file. */
enum sources_state
sources_state(struct sources *s)
{
	enum sources_state r;

	pthread_mutex_lock(&s->lock);
	r = s->state;
	pthread_mutex_unlock(&s->lock);
	return r;
}

struct list_ctx {
	struct sources	  *s;
	const char	  *text;
	int64_t		   start, end;
	struct source_row *rows;
	size_t		   n, cap;
};

/* Sweep callback: one source into the listing. */
static int
sources_list_one(void *arg, const char *key, void *value)
{
	struct list_ctx	  *l = arg;
	struct src	  *x = value;
	struct source_row *r;
	int64_t		   h;
	unsigned	   c;

	if (l->text[0] != '\0' && strstr(key, l->text) == NULL)
		return 0;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 256;
		l->rows = reallocarray(l->rows, l->cap, sizeof(*l->rows));
		if (l->rows == NULL)
			abort();
	}
	r = &l->rows[l->n++];
	memset(r, 0, sizeof(*r));
	r->name = key;
	r->first = x->first;
	r->last = x->last;
	if (l->end == 0)
		return 0;
	r->complete = l->start >= x->known_from &&
	    l->start >= x->newest - SOURCES_HOURS * HOUR;
	for (h = l->start + HOUR; h <= l->end && h <= x->newest; h += HOUR) {
		uint64_t *slot;

		if (h <= x->newest - SOURCES_HOURS * HOUR)
			continue;
		slot = &x->hours[((h / HOUR) % SOURCES_HOURS) * l->s->ncat];
		for (c = 0; c < l->s->ncat; c++)
			r->sums[c] += slot[c];
	}
	return 0;
}

/* List the sources with their sums over whole hours. */
int
sources_list(struct sources *s, const char *text, int64_t start, int64_t end,
    struct source_row **out, size_t *n)
{
	struct list_ctx l;

	*out = NULL;
	*n = 0;
	pthread_mutex_lock(&s->lock);
	if ((start != 0 || end != 0) &&
	    (start % HOUR != 0 || end % HOUR != 0 || end <= start ||
		start < s->newest - SOURCES_HOURS * HOUR)) {
		pthread_mutex_unlock(&s->lock);
		return -1;
	}
	memset(&l, 0, sizeof(l));
	l.s = s;
	l.text = text;
	l.start = start;
	l.end = end;
	strmap_sweep(s->map, sources_list_one, &l);
	pthread_mutex_unlock(&s->lock);
	*out = l.rows;
	*n = l.n;
	return 0;
}

/* Sources in the index. */
size_t
sources_count(struct sources *s)
{
	size_t n;

	pthread_mutex_lock(&s->lock);
	n = strmap_count(s->map);
	pthread_mutex_unlock(&s->lock);
	return n;
}

/* Whether the directory changed. */
int
sources_dir_changed(struct sources *s, int64_t mtime)
{
	int changed;

	pthread_mutex_lock(&s->lock);
	changed = mtime != s->dir_mtime || mtime == 0;
	s->dir_mtime = mtime;
	pthread_mutex_unlock(&s->lock);
	return changed;
}

/* Files read into it. */
uint64_t
sources_files_read(struct sources *s)
{
	uint64_t n;

	pthread_mutex_lock(&s->lock);
	n = s->learned;
	pthread_mutex_unlock(&s->lock);
	return n;
}
