/*
 * idem.c -- the table of idempotency keys.
 *
 * Owns the keys and their states; does not decide what a duplicate means
 * for the client (the ingest module does).
 */
#include "idem.h"

#include <stdio.h>
#include <stdlib.h>

#include "../lib/strmap.h"

struct idem {
	struct strmap *map; /* key -> struct idem_entry * */
};

/* Create an empty table. */
struct idem *
idem_create(void)
{
	struct idem *t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		abort();
	t->map = strmap_create();
	return t;
}

/* Sweep callback that frees every entry. */
static int
idem_free_entry(void *arg, const char *key, void *value)
{
	free(value);
	return 1;
}

/* Free the table and its entries. */
void
idem_free(struct idem *t)
{
	if (t == NULL)
		return;
	strmap_sweep(t->map, idem_free_entry, NULL);
	strmap_free(t->map);
	free(t);
}

/* Compose the scoped key. */
void
idem_key(char *buf, size_t len, const char *source, const char *id)
{
	snprintf(buf, len, "%s %s", source, id);
}

/* Look key up. */
const struct idem_entry *
idem_find(const struct idem *t, const char *key)
{
	return strmap_get(t->map, key);
}

/* Find or create the entry for key. */
static struct idem_entry *
idem_get(struct idem *t, const char *key)
{
	struct idem_entry *e = strmap_get(t->map, key);

	if (e == NULL) {
		if ((e = calloc(1, sizeof(*e))) == NULL)
			abort();
		strmap_put(t->map, key, e);
	}
	return e;
}

/* Add key as PENDING. */
void
idem_add_pending(struct idem *t, const char *key, uint64_t hash)
{
	struct idem_entry *e = idem_get(t, key);

	e->hash = hash;
	e->state = IDEM_PENDING;
	e->expires = 0;
}

/* Mark key DURABLE until expires. */
void
idem_commit(struct idem *t, const char *key, uint64_t hash, int64_t expires)
{
	struct idem_entry *e = idem_get(t, key);

	e->hash = hash;
	e->state = IDEM_DURABLE;
	if (expires > e->expires)
		e->expires = expires;
}

/* Forget a PENDING key. */
void
idem_abort(struct idem *t, const char *key)
{
	struct idem_entry *e = strmap_get(t->map, key);

	if (e != NULL && e->state == IDEM_PENDING)
		free(strmap_del(t->map, key));
}

struct idem_sweep {
	int64_t now;
	size_t	removed;
};

/* Sweep callback: drop expired DURABLE entries. */
static int
idem_expire_entry(void *arg, const char *key, void *value)
{
	struct idem_sweep *s = arg;
	struct idem_entry *e = value;

	if (e->state != IDEM_DURABLE || e->expires >= s->now)
		return 0;
	free(e);
	s->removed++;
	return 1;
}

/* Forget expired keys. */
size_t
idem_expire(struct idem *t, int64_t now)
{
	struct idem_sweep s = {now, 0};

	strmap_sweep(t->map, idem_expire_entry, &s);
	return s.removed;
}

/* Number of keys. */
size_t
idem_count(const struct idem *t)
{
	return strmap_count(t->map);
}
