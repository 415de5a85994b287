/*
 * strmap.h -- a string-keyed hash table of pointers: the one map type for
 * keys that come from clients.
 *
 * Not thread-safe: each owner guards its map with its own lock.  Keys are
 * copied into the map; values are the caller's and are never freed here.
 * Each map hashes with SipHash-2-4 under its own random key, so which keys
 * collide cannot be known, let alone chosen, outside the process.
 */
#ifndef ST_STRMAP_H
#define ST_STRMAP_H

#include <stddef.h>
#include <stdint.h>

struct strmap;

/* A new empty map with a fresh secret key (aborts on out-of-memory). */
struct strmap *strmap_create(void);
/* Free the map and its key copies (not the values). */
void strmap_free(struct strmap *m);
/* The value stored under key, or NULL. */
void *strmap_get(const struct strmap *m, const char *key);
/*
 * Store value under key, replacing any old value.  Returns the map's own
 * copy of the key, valid until the entry is deleted or the map freed.
 */
const char *strmap_put(struct strmap *m, const char *key, void *value);
/* Remove key; returns its old value or NULL. */
void  *strmap_del(struct strmap *m, const char *key);
size_t strmap_count(const struct strmap *m);
/*
 * Call fn for every entry (in no particular order).  fn may ask for the
 * entry to be deleted by returning 1; it returns 0 to keep it.
 */
void strmap_sweep(struct strmap *m,
    int (*fn)(void *arg, const char *key, void *value), void *arg);
/* The longest bucket chain: how evenly the keys spread (for tests). */
size_t strmap_longest_chain(const struct strmap *m);
/* The number of buckets, a power of two (the load is count / buckets). */
size_t strmap_buckets(const struct strmap *m);

#endif
