/*
 * strmap.c -- chained hash table with string keys, grown by doubling.
 *
 * Owns the key copies, the buckets and each table's secret hash key; knows
 * nothing of what the values are.  Keys are often chosen by clients
 * (sources, idempotency keys, collectd names, peer addresses), so they are
 * hashed with SipHash-2-4 under a key drawn from the kernel for each table:
 * nobody outside the process can tell which keys share a bucket, so nobody
 * can send keys that all do (with an unkeyed hash, 20,000 such keys turn
 * every insertion into a walk of one long chain).
 */
#include "strmap.h"

#include <stdlib.h>
#include <string.h>

#include "random.h"
#include "siphash.h"

struct strmap_entry {
	struct strmap_entry *next;
	uint64_t	     hash;
	void		    *value;
	char		     key[];
};

struct strmap {
	struct strmap_entry **buckets;
	size_t		      nbuckets; /* a power of two */
	size_t		      count;
	uint8_t		      key[SIPHASH_KEY_LEN]; /* secret, per table */
};

/* The keyed hash of s in map m. */
static uint64_t
strmap_hash(const struct strmap *m, const char *s)
{
	return siphash24(m->key, s, strlen(s));
}

/* Allocate an empty map with a fresh secret key; aborts on out-of-memory. */
struct strmap *
strmap_create(void)
{
	struct strmap *m;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		abort();
	random_bytes(m->key, sizeof(m->key));
	m->nbuckets = 64;
	if ((m->buckets = calloc(m->nbuckets, sizeof(*m->buckets))) == NULL)
		abort();
	return m;
}

/* Free the map and its keys. */
void
strmap_free(struct strmap *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->nbuckets; i++) {
		struct strmap_entry *e = m->buckets[i], *next;

		for (; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
	}
	free(m->buckets);
	free(m);
}

/* Find the link that points at key's entry (or at the NULL ending its chain). */
static struct strmap_entry **
strmap_link(const struct strmap *m, const char *key, uint64_t h)
{
	struct strmap_entry **pp = &m->buckets[h & (m->nbuckets - 1)];

	while (
	    *pp != NULL && ((*pp)->hash != h || strcmp((*pp)->key, key) != 0))
		pp = &(*pp)->next;
	return pp;
}

/* Double the bucket array when the load passes one. */
static void
strmap_grow(struct strmap *m)
{
	struct strmap_entry **nb, *e, *next;
	size_t		      n = m->nbuckets * 2, i;

	if ((nb = calloc(n, sizeof(*nb))) == NULL)
		abort();
	for (i = 0; i < m->nbuckets; i++)
		for (e = m->buckets[i]; e != NULL; e = next) {
			next = e->next;
			e->next = nb[e->hash & (n - 1)];
			nb[e->hash & (n - 1)] = e;
		}
	free(m->buckets);
	m->buckets = nb;
	m->nbuckets = n;
}

/* The value under key, or NULL. */
void *
strmap_get(const struct strmap *m, const char *key)
{
	struct strmap_entry *e = *strmap_link(m, key, strmap_hash(m, key));

	return e != NULL ? e->value : NULL;
}

/* Store value under key; returns the map's copy of the key. */
const char *
strmap_put(struct strmap *m, const char *key, void *value)
{
	uint64_t	      h = strmap_hash(m, key);
	struct strmap_entry **pp = strmap_link(m, key, h), *e;
	size_t		      len;

	if (*pp != NULL) {
		(*pp)->value = value;
		return (*pp)->key;
	}
	len = strlen(key);
	if ((e = malloc(sizeof(*e) + len + 1)) == NULL)
		abort();
	e->next = NULL;
	e->hash = h;
	e->value = value;
	memcpy(e->key, key, len + 1);
	*pp = e;
	if (++m->count > m->nbuckets)
		strmap_grow(m);
	return e->key;
}

/* Remove key and return its value. */
void *
strmap_del(struct strmap *m, const char *key)
{
	struct strmap_entry **pp = strmap_link(m, key, strmap_hash(m, key)), *e;
	void		     *v;

	if ((e = *pp) == NULL)
		return NULL;
	*pp = e->next;
	v = e->value;
	free(e);
	m->count--;
	return v;
}

/* Number of entries. */
size_t
strmap_count(const struct strmap *m)
{
	return m->count;
}

/* Visit every entry; delete those for which fn returns 1. */
void
strmap_sweep(
    struct strmap *m, int (*fn)(void *, const char *, void *), void *arg)
{
	size_t i;

	for (i = 0; i < m->nbuckets; i++) {
		struct strmap_entry **pp = &m->buckets[i];

		while (*pp != NULL) {
			struct strmap_entry *e = *pp;

			if (fn(arg, e->key, e->value) == 1) {
				*pp = e->next;
				free(e);
				m->count--;
			} else
				pp = &e->next;
		}
	}
}

/* The length of the longest bucket chain (a measure of how keys spread). */
size_t
strmap_longest_chain(const struct strmap *m)
{
	const struct strmap_entry *e;
	size_t			   i, n, longest = 0;

	for (i = 0; i < m->nbuckets; i++) {
		for (n = 0, e = m->buckets[i]; e != NULL; e = e->next)
			n++;
		if (n > longest)
			longest = n;
	}
	return longest;
}

/* The number of buckets (a power of two). */
size_t
strmap_buckets(const struct strmap *m)
{
	return m->nbuckets;
}
